// String clean-up of math answers: strips presentation-only LaTeX ($, \left, \text{},
// spacing, degrees, trailing punctuation, thousands separators) so that equal answers
// written differently become equal strings. Also the key used to compare answers in words.
// Every pass is linear in the length of the text (no rescans from each brace or command).

/** Read a balanced {...} group starting at s[i] === '{'. Escaped braces (\{ \}) do not
 *  count. Returns the inner text and the index just past the closing brace, or null when
 *  the group is not closed. One call scans to the end of the group (or of the text): to read
 *  many groups of one text, use braceMatches. */
export function readGroup(s: string, i: number): { inner: string; end: number } | null {
  if (s[i] !== '{') return null;
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (c === '\\') {
      j++; // skip the escaped character (\{, \}, \\ ...)
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return { inner: s.slice(i + 1, j), end: j + 1 };
    }
  }
  return null;
}

/** For every unescaped '{' of `s`, the index of its closing '}' (-1 when never closed); other
 *  entries are -1. One scan with a stack of open braces, so reading every group of a text
 *  costs O(length). Agrees with readGroup(s, i) at every '{' that is not itself escaped. */
export function braceMatches(s: string): Int32Array {
  const match = new Int32Array(s.length).fill(-1);
  const open = new Int32Array(s.length);
  let top = 0;
  for (let j = 0; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 92) j++; // backslash: skip the escaped character
    else if (c === 123) open[top++] = j;
    else if (c === 125 && top > 0) match[open[--top]] = j;
  }
  return match;
}

/** Replace `\cmd{X}` by `X` (or by `wrap(X)`) for each listed command, braces balanced. */
function unwrapCommands(s: string, cmds: string[], wrap: (x: string) => string = (x) => x): string {
  const re = new RegExp(`\\\\(?:${cmds.join('|')})(?![a-zA-Z])\\s*`, 'g');
  let out = '';
  let last = 0;
  let m: RegExpExecArray | null;
  let match: Int32Array | null = null;
  while ((m = re.exec(s)) !== null) {
    const at = m.index + m[0].length;
    match ??= braceMatches(s);
    const close = s[at] === '{' ? match[at] : -1;
    out += s.slice(last, m.index);
    if (close >= 0) {
      out += wrap(s.slice(at + 1, close));
      last = close + 1;
      re.lastIndex = close + 1;
    } else {
      last = at; // no group: drop the command word only
    }
  }
  return out + s.slice(last);
}

const UNIT_TAIL =
  /(\d\s*)\\(?:text|mathrm|mbox)\s*\{\s*(?:units?|square units|sq\.? units|cm|mm|km|m|meters?|inches|inch|feet|ft|degrees?|dollars?|cents?|seconds?|minutes?|hours?|days?|ways|cm\^2|m\^2)\s*\}\s*$/;

const UNICODE: [RegExp, string][] = [
  // minus signs and dashes: U+2212 minus sign, U+2010..U+2015 (hyphen, non-breaking hyphen,
  // figure dash, en dash, em dash, horizontal bar), U+02D7 modifier minus, U+2796 heavy minus,
  // U+FE58 small em dash, U+FE63 small hyphen-minus, U+FF0D fullwidth hyphen-minus
  [/[\u2212\u2010-\u2015\u02d7\u2796\ufe58\ufe63\uff0d]/g, '-'],
  [/×/g, '\\times '],
  [/[·⋅]/g, '\\cdot '],
  [/÷/g, '\\div '],
  [/≤/g, '\\le '],
  [/≥/g, '\\ge '],
  [/≠/g, '\\ne '],
  [/∞/g, '\\infty '],
  [/π/g, '\\pi '],
  [/√/g, '\\sqrt'],
  [/∪/g, '\\cup '],
  [/∩/g, '\\cap '],
  [/±/g, '\\pm '],
  [/[\u00a0\u2009\u202f]/g, ' '],
];

const SIMPLE: [RegExp, string][] = [
  // line breaks, then math delimiters
  [/\\\\/g, ' '],
  [/\\\(|\\\)|\\\[|\\\]/g, ' '],
  [/\$/g, ' '],
  // sizing and style commands with no meaning for the value
  [/\\(?:displaystyle|textstyle|scriptstyle|limits|nolimits)(?![a-zA-Z])/g, ' '],
  [/\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|big|Big|bigg|Bigg)(?![a-zA-Z])\s*\.?/g, ''],
  [/\\[dtc]frac(?![a-zA-Z])/g, '\\frac'],
  [/\\(?:dbinom|tbinom)(?![a-zA-Z])/g, '\\binom'],
  // degrees: removed everywhere (they never change which answer is meant)
  [/\^\s*\{\s*\\circ\s*\}/g, ''],
  [/\^\s*\\circ(?![a-zA-Z])/g, ''],
  [/\\degree(?![a-zA-Z])|°/g, ''],
  // thousands separators written {,} between digits
  [/(\d)\{,\}(?=\d{3})/g, '$1'],
  [/(\d)\\,(?=\d{3}(?!\d))/g, '$1'],
  // spacing
  [/\\[,;:! ]/g, ' '],
  [/\\(?:quad|qquad|enspace|thinspace|medspace|thickspace)(?![a-zA-Z])/g, ' '],
  [/~/g, ' '],
  // synonyms
  [/\\(?:leq|leqslant|leqq)(?![a-zA-Z])/g, '\\le'],
  [/\\(?:geq|geqslant|geqq)(?![a-zA-Z])/g, '\\ge'],
  [/\\(?:neq)(?![a-zA-Z])/g, '\\ne'],
  [/\\lbrace(?![a-zA-Z])/g, '\\{'],
  [/\\rbrace(?![a-zA-Z])/g, '\\}'],
  [/\\(?:lvert|rvert|vert)(?![a-zA-Z])/g, '|'],
  [/\\(?:cdots|dots|dotsc|dotsb|ldots)(?![a-zA-Z])/g, '\\ldots'],
  [/\\%/g, '%'],
  [/\\infin(?![a-zA-Z])/g, '\\infty'],
  [/\\varnothing(?![a-zA-Z])/g, '\\emptyset'],
];

/** Clean a LaTeX / plain-text answer into its canonical string form. Idempotent. */
export function cleanAnswer(raw: string): string {
  let s = raw;
  for (const [re, to] of UNICODE) s = s.replace(re, to);
  // a trailing unit written as text after a number: "12 \text{ cm}" -> "12"
  s = s.replace(UNIT_TAIL, '$1');
  // `\boxed{X}` left inside an answer (e.g. nested boxes) is just X
  s = unwrapCommands(s, ['boxed', 'fbox']);
  s = unwrapCommands(s, ['text', 'textbf', 'textit', 'textrm', 'textnormal', 'mathrm', 'mathbf', 'mathit', 'mbox', 'emph', 'textsf', 'mathsf']);
  for (const [re, to] of SIMPLE) s = s.replace(re, to);
  // TeX's infix {a \choose b} and {a \over b}
  s = s.replace(/\{([^{}]*?)\\choose(?![a-zA-Z])([^{}]*?)\}/g, '\\binom{$1}{$2}');
  s = s.replace(/\{([^{}]*?)\\over(?![a-zA-Z])([^{}]*?)\}/g, '\\frac{$1}{$2}');
  s = s.replace(/\*\*/g, ' ');
  s = s.replace(/\s+/g, ' ').trim();
  // trailing punctuation and line breaks ("\\"), repeatedly; a trailing "!" stays (factorial)
  s = stripTrailingPunctuation(s);
  // wrapping pairs of braces {{X}} -> X
  return unwrapBraces(s);
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';

/** Drop trailing ".", ",", ";", ":", "。" and "\\" with the spaces around them, scanning
 *  back from the end once. */
function stripTrailingPunctuation(s: string): string {
  let end = s.length;
  for (;;) {
    while (end > 0 && isSpace(s[end - 1])) end--;
    if (end > 0 && '.,;:。'.includes(s[end - 1])) end--;
    else if (end > 1 && s[end - 1] === '\\' && s[end - 2] === '\\') end -= 2;
    else break;
  }
  return end === s.length ? s : s.slice(0, end).trim();
}

/** Remove pairs of braces that wrap the whole (trimmed) text, however deeply nested. */
function unwrapBraces(s: string): string {
  if (s[0] !== '{') return s;
  const match = braceMatches(s);
  let lo = 0;
  let hi = s.length; // the text is s.slice(lo, hi), trimmed
  while (s[lo] === '{' && match[lo] === hi - 1) {
    lo++;
    hi--;
    while (lo < hi && isSpace(s[lo])) lo++;
    while (hi > lo && isSpace(s[hi - 1])) hi--;
  }
  return s.slice(lo, hi);
}

/** A whole answer written as one number with comma thousands separators, e.g. "1,000" or
 *  "-12,345.5". Returns the number without separators, or null. Lists such as "1, 000" or
 *  "43,47" do not match. */
export function stripThousands(s: string): string | null {
  const m = /^(-?)(\d{1,3}(?:,\d{3})+)(\.\d+)?$/.exec(s);
  return m ? m[1] + m[2].replace(/,/g, '') + (m[3] ?? '') : null;
}

/** Key for the plain string comparison: the cleaned answer without any whitespace. */
export function compactKey(cleaned: string): string {
  return cleaned.replace(/(\d)\s+(?=\d)/g, '$1 ').replace(/(?<!\d)\s+|\s+(?!\d)/g, '');
}

const STOP_WORDS = new Set(['the', 'a', 'an', 'all']);

/** Key for answers in words: lower case, LaTeX commands reduced to their names, sentence
 *  punctuation dropped (brackets kept), articles and "all" dropped.
 *  "All powers of $2$." -> "powers of 2". */
export function wordsKey(cleaned: string): string {
  const s = cleaned
    .toLowerCase()
    .replace(/\\([a-z]+)/g, ' $1 ')
    .replace(/[{}$.,;:!?'"`*]/g, ' ')
    .replace(/([()[\]|])/g, ' $1 ')
    .replace(/\s+/g, ' ')
    .trim();
  return s
    .split(' ')
    .filter((w) => w && !STOP_WORDS.has(w))
    .join(' ');
}
