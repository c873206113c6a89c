// Pull the final answer out of a model response: the last \boxed{...} / \fbox{...} (nested
// braces, also `\boxed 5`), else the last "the answer is ..." or final "Answer: ..." line,
// whichever comes later in the text. The result is cleaned (see normalize.ts).
// Linear time: the boxes are found with one scan that pairs every brace (a stack of open
// braces), never by rescanning the text from each box; an optional Deadline is polled
// between the passes.

import type { Deadline } from './limits';
import { braceMatches, cleanAnswer, stripThousands } from './normalize';

/** Content of the last well-formed \boxed / \fbox, or null. */
export function lastBoxed(text: string, dl?: Deadline): string | null {
  const re = /\\(?:boxed|fbox)(?![a-zA-Z])/g;
  const starts: number[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) starts.push(m.index + m[0].length);
  if (starts.length === 0) return null;
  dl?.check();
  let match: Int32Array | null = null;
  const token = /[^\s$\\{}]+/y;
  for (let k = starts.length - 1; k >= 0; k--) {
    let i = starts[k];
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '{') {
      match ??= braceMatches(text);
      if (match[i] >= 0) return text.slice(i + 1, match[i]);
      continue; // an unclosed box (cut-off response) is skipped
    }
    // `\boxed 5`: the following token
    token.lastIndex = i;
    const t = i > starts[k] ? token.exec(text) : null;
    if (t) return t[0];
  }
  return null;
}

/** Text right after the last "answer is", up to the end of its math span or sentence. */
function answerIs(text: string): { at: number; value: string } | null {
  const re = /answer\s+is\s*:?\s*/gi;
  let last: RegExpExecArray | null = null;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) last = m;
  if (!last) return null;
  const value = leadingSpan(text.slice(last.index + last[0].length));
  return value ? { at: last.index, value } : null;
}

/** A math span ($...$, $$...$$, \(...\), \[...\]) at the start, else the sentence. */
function leadingSpan(rest: string): string | null {
  rest = rest.replace(/^(?:\*\*|__)\s*/, '');
  const pairs: Array<[string, string]> = [
    ['$$', '$$'],
    ['$', '$'],
    ['\\(', '\\)'],
    ['\\[', '\\]'],
  ];
  for (const [open, close] of pairs) {
    if (rest.startsWith(open)) {
      const end = rest.indexOf(close, open.length);
      if (end > open.length) return rest.slice(open.length, end);
    }
  }
  const m = /^([^\n]*?)(?:\.(?![0-9])|\n|$)/.exec(rest);
  const s = m ? m[1].replace(/(?:\*\*|__)\s*$/, '').trim() : '';
  return s.length > 0 ? s : null;
}

/** Content of the last "Answer: ..." line (also "Final answer:", "**Answer:**"); when the
 *  line holds only the label, the next non-empty line. */
function answerLine(text: string): { at: number; value: string } | null {
  const lines = text.split('\n');
  let offset = text.length;
  for (let k = lines.length - 1; k >= 0; k--) {
    offset -= lines[k].length + (k < lines.length - 1 ? 1 : 0);
    const m = /^[\s#>*_-]*(?:final\s+)?answer\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?(.*)$/i.exec(lines[k]);
    if (!m) continue;
    let value = m[1].replace(/(?:\*\*|__)\s*$/, '').trim();
    if (!value) value = lines.slice(k + 1).find((l) => l.trim() !== '')?.trim() ?? '';
    return value ? { at: Math.max(0, offset), value } : null;
  }
  return null;
}

function finish(raw: string, dl?: Deadline): string | null {
  const c = cleanAnswer(raw);
  dl?.check();
  if (c === '') return null;
  return stripThousands(c) ?? c; // "1,000,000" as a whole answer is one number
}

/** The final answer of a response, cleaned, or null when none is found. With a Deadline,
 *  throws MathTimeout (limits.ts) once it has passed, checked between the passes. */
export function extractAnswer(text: string, dl?: Deadline): string | null {
  const boxed = lastBoxed(text, dl);
  dl?.check();
  if (boxed !== null) return finish(boxed, dl);
  const said = answerIs(text);
  dl?.check();
  const line = answerLine(text);
  dl?.check();
  const pick = said && line ? (line.at > said.at ? line : said) : (said ?? line);
  return pick ? finish(pick.value, dl) : null;
}
