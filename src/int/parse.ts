// Parser of a verifier's output: finds every <intervention>{"content": ..., "location": N}</intervention>
// block, picks the last one (the published rule) and checks it against the attempt's step count.
// Robust to prose and code fences around blocks, braces and escaped quotes inside strings,
// unescaped LaTeX backslashes, a location written as a string, extra keys and a cut-off output.

/** Why an output yields no usable intervention. */
export type ParseFailureReason =
  /** no <intervention> block at all (a tag mentioned in prose does not count) */
  | 'no_block'
  /** the only block(s) were cut off before their JSON object closed (the output hit its length limit) */
  | 'truncated'
  /** the chosen block's body is not a JSON object (or has text after the object) */
  | 'bad_json'
  /** "content" is missing or not a string */
  | 'bad_content'
  /** "content" is empty or only whitespace (see ParseOptions.allowEmpty) */
  | 'empty_content'
  /** "location" is missing or not a whole number (nor a string holding one) */
  | 'bad_location'
  /** "location" is a whole number outside [1, nSteps] (see ParseOptions.allowAppend) */
  | 'location_out_of_range';

export const PARSE_FAILURE_REASONS: readonly ParseFailureReason[] = Object.freeze([
  'no_block', 'truncated', 'bad_json', 'bad_content', 'empty_content', 'bad_location', 'location_out_of_range',
]);

/** One block found in the text. Offsets index the original text. */
export interface InterventionBlock {
  /** Offset of the opening tag. */
  start: number;
  /** Offset just past the block (past the closing tag when there is one). */
  end: number;
  /** 'object': a balanced JSON-looking object was found; 'bad': the body is not one;
   *  'truncated': the text ended inside the object. */
  kind: 'object' | 'bad' | 'truncated';
  /** The body text between the tags (without code fences), as written. */
  body: string;
  /** Whether the closing tag was present. A complete object at the very end of the text is
   *  accepted without it (a stop sequence often removes the closing tag). */
  closed: boolean;
}

export interface ParseOptions {
  /** Accept location = nSteps + 1 ("the attempt stopped early; append this step"). The chains
   *  world's ideal verifier emits it for a missing step. Default false (the paper: 1..n). */
  allowAppend?: boolean;
  /** Accept an empty content string (the chains world uses it for "delete this extra line").
   *  Default false. */
  allowEmpty?: boolean;
}

export type ParseResult =
  | {
      ok: true;
      /** The replacement step, trimmed, with LaTeX backslashes restored (see repairJsonText). */
      content: string;
      /** 1-based step the intervention replaces. */
      location: number;
      /** The block the values came from. */
      block: InterventionBlock;
      /** Blocks found in the text (tags only mentioned in prose not counted). */
      blocks: number;
      /** True when the last block was cut off and an earlier complete block was used. */
      fellBack: boolean;
      /** True when the JSON needed repair (unescaped backslashes, raw newlines in strings). */
      repaired: boolean;
    }
  | {
      ok: false;
      reason: ParseFailureReason;
      /** What exactly was wrong, for logs and the intervention viewer. */
      detail: string;
      /** The block the failure refers to, when there is one. */
      block?: InterventionBlock;
      blocks: number;
    };

const OPEN_RE = /<\s*intervention\s*>/gi;
const CLOSE_RE = /<\s*\/\s*intervention\s*>/i;
/** A code fence line opener: ``` or ```json (language tag optional). */
const FENCE_OPEN_RE = /^```[a-zA-Z]*[ \t]*\r?\n?/;

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i])) i++;
  return i;
}

/** Index just past the JSON object starting at text[i] === '{' (string-aware: braces and
 *  quotes inside strings and escaped quotes do not count), or -1 when the text ends first. */
export function scanJsonObject(text: string, i: number): number {
  let depth = 0;
  let inString = false;
  for (let j = i; j < text.length; j++) {
    const c = text[j];
    if (inString) {
      if (c === '\\') j++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return -1;
}

/** Where the closing tag after `from` starts, or -1. */
function findClose(text: string, from: number): { at: number; end: number } {
  const m = CLOSE_RE.exec(text.slice(from));
  return m ? { at: from + m.index, end: from + m.index + m[0].length } : { at: -1, end: -1 };
}

/** Every <intervention> block of a text, in order. An opening tag whose body does not start
 *  with "{" is a mention in prose (skipped) when another opening tag comes before the next
 *  closing tag or no closing tag follows; it is a 'bad' block when a closing tag follows,
 *  and 'truncated' when only whitespace follows it. */
export function findInterventionBlocks(text: string): InterventionBlock[] {
  const blocks: InterventionBlock[] = [];
  let pos = 0;
  for (;;) {
    OPEN_RE.lastIndex = pos;
    const open = OPEN_RE.exec(text);
    if (!open) break;
    const start = open.index;
    let bodyStart = skipSpace(text, start + open[0].length);
    const fence = FENCE_OPEN_RE.exec(text.slice(bodyStart));
    if (fence) bodyStart = skipSpace(text, bodyStart + fence[0].length);
    const close = findClose(text, bodyStart);
    if (text[bodyStart] !== '{') {
      if (bodyStart >= text.length) {
        blocks.push({ start, end: text.length, kind: 'truncated', body: '', closed: false });
        break;
      }
      OPEN_RE.lastIndex = bodyStart;
      const nextOpen = OPEN_RE.exec(text);
      if (close.at < 0 || (nextOpen && nextOpen.index < close.at)) {
        pos = bodyStart; // a mention such as "the <intervention> block below"
        continue;
      }
      blocks.push({ start, end: close.end, kind: 'bad', body: stripFence(text.slice(bodyStart, close.at)), closed: true });
      pos = close.end;
      continue;
    }
    const objEnd = scanJsonObject(text, bodyStart);
    if (objEnd < 0) {
      // Unbalanced: a closing tag means malformed JSON (e.g. an unescaped quote); none means cut off.
      if (close.at >= 0) {
        blocks.push({ start, end: close.end, kind: 'bad', body: text.slice(bodyStart, close.at).trim(), closed: true });
        pos = close.end;
        continue;
      }
      blocks.push({ start, end: text.length, kind: 'truncated', body: text.slice(bodyStart), closed: false });
      break;
    }
    const body = text.slice(bodyStart, objEnd);
    let after = skipSpace(text, objEnd);
    if (text.startsWith('```', after)) after = skipSpace(text, after + 3);
    const tail = findClose(text, after);
    if (tail.at === after) {
      blocks.push({ start, end: tail.end, kind: 'object', body, closed: true });
      pos = tail.end;
    } else if (after >= text.length) {
      blocks.push({ start, end: text.length, kind: 'object', body, closed: false });
      break;
    } else if (tail.at >= 0) {
      // Text between the object and the closing tag: the body as written is not one JSON object.
      blocks.push({ start, end: tail.end, kind: 'bad', body: text.slice(bodyStart, tail.at).trim(), closed: true });
      pos = tail.end;
    } else {
      // An object, then prose, and never a closing tag: accept the object as the block.
      blocks.push({ start, end: objEnd, kind: 'object', body, closed: false });
      pos = objEnd;
    }
  }
  return blocks;
}

function stripFence(s: string): string {
  return s.replace(/\s*```\s*$/, '').trim();
}

// LaTeX commands that begin with a letter JSON treats as an escape (\t, \r, \n): when the
// raw text has a backslash, that letter and the rest of one of these names, the backslash
// is meant literally. \b and \f (backspace, form feed) are never meant as control characters.
const LATEX_T = ['text', 'textbf', 'textit', 'times', 'theta', 'tan', 'tanh', 'tau', 'tfrac', 'to', 'top', 'triangle', 'tilde', 'therefore', 'tbinom'];
const LATEX_R = ['right', 'rightarrow', 'rangle', 'rho', 'rfloor', 'rceil', 'rbrace', 'rvert', 'rm'];
const LATEX_N = ['neq', 'nu', 'nabla', 'neg', 'nmid', 'notin', 'nleq', 'ngeq', 'nsubseteq', 'ne'];
const LATEX_AFTER: Record<string, string[]> = { t: LATEX_T, r: LATEX_R, n: LATEX_N };

function isLatexEscape(text: string, j: number): boolean {
  const c = text[j + 1];
  if (c === 'b' || c === 'f') return true;
  const names = LATEX_AFTER[c];
  if (!names) return false;
  const word = /^[a-zA-Z]+/.exec(text.slice(j + 1))?.[0] ?? '';
  return names.includes(word);
}

/** Rewrite JSON text so that backslashes meant literally (LaTeX such as \frac, \sqrt, \theta)
 *  survive JSON.parse, and raw control characters inside strings become escapes. Valid escapes
 *  (\", \\, \/, \uXXXX, and \n \t \r not followed by a LaTeX name) are kept. */
export function repairJsonText(json: string): string {
  let out = '';
  let inString = false;
  for (let j = 0; j < json.length; j++) {
    const c = json[j];
    if (!inString) {
      if (c === '"') inString = true;
      out += c;
      continue;
    }
    if (c === '"') {
      inString = false;
      out += c;
    } else if (c === '\\') {
      const n = json[j + 1];
      if (n === undefined) out += '\\\\';
      else if (n === '"' || n === '\\' || n === '/') {
        out += c + n;
        j++;
      } else if (n === 'u' && /^[0-9a-fA-F]{4}$/.test(json.slice(j + 2, j + 6))) {
        out += json.slice(j, j + 6);
        j += 5;
      } else if ('bfnrt'.includes(n) && !isLatexEscape(json, j)) {
        out += c + n;
        j++;
      } else {
        out += '\\\\'; // a literal backslash; the next character is handled on its own
      }
    } else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c.charCodeAt(0) < 0x20) out += `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return out;
}

/** Case-insensitive key lookup (exact key first). */
function field(obj: Record<string, unknown>, key: string): unknown {
  if (key in obj) return obj[key];
  const k = Object.keys(obj).find((x) => x.toLowerCase() === key);
  return k === undefined ? undefined : obj[k];
}

/** A location as a whole number: 3, 3.0, "3", " 3 ", "Step 3", "Substep 3". null otherwise. */
export function readLocation(v: unknown): number | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : null;
  if (typeof v !== 'string') return null;
  const m = /^\s*(?:(?:sub)?step\s*)?(-?\d+)\s*$/i.exec(v);
  return m ? Number(m[1]) : null;
}

const clip = (s: string, n = 80) => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

/** Parse a verifier's output. Picks the LAST block; when that block was cut off (the text ends
 *  inside its JSON object, or right after its opening tag) and an earlier block was closed, the
 *  last closed block is used instead (`fellBack`), as a regex over closed blocks would; with no
 *  earlier closed block the result is 'truncated'. A last block with bad JSON is a failure, never
 *  a fall-back. `nSteps` is the attempt's step count: location must be in [1, nSteps]
 *  ([1, nSteps + 1] with allowAppend). */
export function parseInterventionOutput(text: string, nSteps: number, opts: ParseOptions = {}): ParseResult {
  if (!Number.isSafeInteger(nSteps) || nSteps < 0) {
    throw new Error(`parseInterventionOutput: nSteps must be the attempt's step count (an integer >= 0), got ${nSteps}`);
  }
  const blocks = findInterventionBlocks(text);
  const count = blocks.length;
  if (count === 0) return { ok: false, reason: 'no_block', detail: 'no <intervention>{...}</intervention> block in the output', blocks: 0 };
  let block = blocks[count - 1];
  let fellBack = false;
  if (block.kind === 'truncated') {
    const earlier = blocks.slice(0, -1).filter((b) => b.closed || b.kind === 'object');
    if (earlier.length === 0) {
      return { ok: false, reason: 'truncated', detail: `the output ends inside its last block: ${clip(block.body || '<intervention>')}`, block, blocks: count };
    }
    block = earlier[earlier.length - 1];
    fellBack = true;
  }
  if (block.kind !== 'object') {
    return { ok: false, reason: 'bad_json', detail: `block body is not a JSON object: ${clip(block.body)}`, block, blocks: count };
  }
  const repairedText = repairJsonText(block.body);
  let obj: unknown;
  try {
    obj = JSON.parse(repairedText);
  } catch (e) {
    return { ok: false, reason: 'bad_json', detail: `${(e as Error).message} in ${clip(block.body)}`, block, blocks: count };
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return { ok: false, reason: 'bad_json', detail: `block holds ${Array.isArray(obj) ? 'an array' : typeof obj}, not an object`, block, blocks: count };
  }
  const rec = obj as Record<string, unknown>;
  const rawContent = field(rec, 'content');
  if (typeof rawContent !== 'string') {
    const what = rawContent === undefined ? 'missing' : `a ${rawContent === null ? 'null' : typeof rawContent}`;
    return { ok: false, reason: 'bad_content', detail: `"content" is ${what}; it must be a string`, block, blocks: count };
  }
  const content = rawContent.trim();
  if (content === '' && !opts.allowEmpty) {
    return { ok: false, reason: 'empty_content', detail: '"content" is empty', block, blocks: count };
  }
  const rawLoc = field(rec, 'location');
  const location = readLocation(rawLoc);
  if (location === null) {
    return { ok: false, reason: 'bad_location', detail: `"location" is ${rawLoc === undefined ? 'missing' : JSON.stringify(rawLoc)}; it must be a whole number`, block, blocks: count };
  }
  const max = opts.allowAppend ? nSteps + 1 : nSteps;
  if (location < 1 || location > max) {
    return { ok: false, reason: 'location_out_of_range', detail: `location ${location} is outside [1, ${max}] (the attempt has ${nSteps} steps)`, block, blocks: count };
  }
  return { ok: true, content, location, block, blocks: count, fellBack, repaired: repairedText !== block.body };
}
