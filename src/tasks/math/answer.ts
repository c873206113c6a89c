// Structure of a final answer: a list / set / tuple / interval / union / equation /
// expression / words, parsed from its cleaned string. Comparison lives in equiv.ts.

import { Deadline, MathLimits, MathTooLarge } from './limits';
import { Node, NotMath, parseExpr } from './parse';

/** Left-hand side that only names the answer: `x`, `f(x)`, `T(p,q,r)`, `(a,b,c)`. */
export interface Head {
  name: string;
  params: string[];
}

export type Item =
  | { k: 'expr'; src: string; node: Node | null; pct: boolean }
  | { k: 'eq'; src: string; head: Head | null; rhs: Item; lhsNode: Node | null; rhsNode: Node | null }
  | { k: 'seq'; src: string; open: string; close: string; items: Item[]; bound?: string } // tuple or interval; bound: the variable of an inequality
  | { k: 'set'; src: string; items: Item[] }
  | { k: 'list'; src: string; items: Item[] } // bare comma list: unordered
  | { k: 'union'; src: string; parts: Item[] }
  | { k: 'text'; src: string };

const OPENERS = new Set(['(', '[', '{']);
const CLOSERS = new Set([')', ']', '}']);

/** Positions and lengths of the top-level matches of `at` (outside any bracket, brace or
 *  \{ \}); `at(s, i)` returns the length of a match starting at i, or 0. */
function topLevel(s: string, at: (s: string, i: number) => number): Array<[number, number]> {
  const hits: Array<[number, number]> = [];
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      if (s[i + 1] === '{') depth++;
      else if (s[i + 1] === '}') depth--;
      else if (depth === 0) {
        const len = at(s, i);
        if (len > 0) {
          hits.push([i, len]);
          i += len - 1;
          continue;
        }
      }
      i++;
      continue;
    }
    if (OPENERS.has(c)) depth++;
    else if (CLOSERS.has(c)) depth--;
    else if (depth === 0) {
      const len = at(s, i);
      if (len > 0) {
        hits.push([i, len]);
        i += len - 1;
      }
    }
  }
  return hits;
}

function splitAt(s: string, hits: Array<[number, number]>): string[] {
  const parts: string[] = [];
  let last = 0;
  for (const [i, len] of hits) {
    parts.push(s.slice(last, i).trim());
    last = i + len;
  }
  parts.push(s.slice(last).trim());
  return parts;
}

const matcher =
  (re: RegExp) =>
  (s: string, i: number): number => {
    re.lastIndex = i;
    const m = re.exec(s);
    return m ? m[0].length : 0;
  };

const LIST_SEP = matcher(/(?:\s*[,;]\s*(?:(?:and|or)\s+)?)|(?:\s+(?:and|or)\s+)/y);
const COMMA = matcher(/\s*,\s*/y);
const CUP = matcher(/\\cup(?![a-zA-Z])/y);
const REL = matcher(/\\(?:le|ge|ne|in|equiv)(?![a-zA-Z])|<=|>=|[=<>]/y);

/** Index of the bracket closing the one at s[0] ( ( [ { or \{ ), any closer type allowed. */
function closingOf(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      if (s[i + 1] === '{') depth++;
      else if (s[i + 1] === '}') {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
      continue;
    }
    if (OPENERS.has(c)) depth++;
    else if (CLOSERS.has(c)) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

// Qualifiers. Universal ones ("for all x", "(for all odd primes p)") only say where the formula
// holds and are dropped. Conditions ("where c != -1", "for some a > 0", "for n >= 1") are split
// off: when both answers have one they must agree, when only one has it the formulas decide.
const UNIVERSAL_PAREN = /\s*\(\s*(?:\\forall|for\s+(?:all|every|each|any)\b)[^()]*\)/gi;
const UNIVERSAL_TAIL = /(?:\s*,)?\s*(?:\\forall|\bfor\s+(?:all|every|each|any)\b)[^,;]*$/is;
const CONDITION_PAREN = /\s*\(\s*(?:for|where|with)\s[^()]*\)/gi;
const CONDITION_TAIL = /(?:\s*,)?\s*(?:\bfor\s+some\b|\bwhere\b|\bfor\s+(?=[a-zA-Z](?:_\{?\w+\}?)?\s*(?:\\ge|\\le|\\in|\\ne|>|<|=))).*$/is;

/** Split an answer into its body and its condition (may be ''). */
export function splitQualifiers(s: string): { body: string; condition: string } {
  let body = s.replace(UNIVERSAL_PAREN, '').replace(UNIVERSAL_TAIL, '');
  const conds: string[] = [];
  body = body.replace(CONDITION_PAREN, (m) => (conds.push(m), ''));
  body = body.replace(CONDITION_TAIL, (m) => (conds.push(m), '')).trim();
  if (body.length === 0) return { body: s, condition: '' };
  const condition = conds
    .join(' ')
    .replace(/^[\s,(]*(?:where|for\s+some|for|with)\b/i, '')
    .replace(/[\s)]*$/, '')
    .replace(/\s+/g, '');
  return { body, condition };
}

const HEAD_VAR = String.raw`(?:[A-Za-z]|\\[a-zA-Z]+)(?:_\{?\w+\}?)?`;
const HEAD_SIMPLE = new RegExp(`^${HEAD_VAR}$`);
const HEAD_FUNC = new RegExp(`^(${HEAD_VAR})\\s*\\(\\s*(${HEAD_VAR}(?:\\s*,\\s*${HEAD_VAR})*)\\s*\\)$`);
const HEAD_TUPLE = new RegExp(`^\\(\\s*(${HEAD_VAR}(?:\\s*,\\s*${HEAD_VAR})*)\\s*\\)$`);

export function parseHead(lhs: string): Head | null {
  const s = lhs.replace(/\s+/g, '');
  if (HEAD_SIMPLE.test(s) && !/^\\(?:pi|infty)$/.test(s)) return { name: s, params: [] };
  let m = HEAD_FUNC.exec(s);
  if (m) return { name: m[1], params: m[2].split(',') };
  m = HEAD_TUPLE.exec(s);
  if (m) return { name: '', params: m[1].split(',') };
  return null;
}

export class AnswerParser {
  /** The first expression refused as too large or too deeply nested, if any: when the answers
   *  then compare unequal, the refusal is the reason. */
  refused: string | null = null;
  constructor(
    private lim: MathLimits,
    private dl: Deadline,
  ) {}

  /** Parse a whole cleaned answer (its condition, if any, is not part of the item). */
  parse(s: string): Item {
    this.dl.check();
    if (s.length > this.lim.maxAnswerChars) {
      this.refused ??= `refused: an answer of ${s.length} characters, more than maxAnswerChars (${this.lim.maxAnswerChars})`;
      return { k: 'text', src: s };
    }
    const body = splitQualifiers(s).body;
    const parts = splitAt(body, topLevel(body, LIST_SEP));
    if (parts.length > 1) {
      if (parts.length > this.lim.maxListItems) this.refused ??= `refused: a list of ${parts.length} items, more than maxListItems (${this.lim.maxListItems})`;
      if (parts.length > this.lim.maxListItems || parts.some((p) => p === '')) return { k: 'text', src: s };
      // a ± item stands for two items of the list
      const items = parts.map((p) => this.single(p)).flatMap((it) => (it.k === 'list' ? it.items : [it]));
      return { k: 'list', src: s, items };
    }
    return this.single(body);
  }

  tryExpr(s: string): Node | null {
    try {
      return parseExpr(s, this.lim, this.dl);
    } catch (e) {
      if (e instanceof MathTooLarge) this.refused ??= e.message;
      if (e instanceof NotMath || e instanceof MathTooLarge) return null;
      throw e;
    }
  }

  single(s: string): Item {
    this.dl.check();
    s = s.trim();
    if (s === '') return { k: 'text', src: s };
    // a ± b -> the two answers a + b and a - b
    const pm = s.match(/\\(?:pm|mp)(?![a-zA-Z])/g);
    if (pm) {
      if (pm.length > 1) return { k: 'text', src: s };
      const plus = s.replace(/\\pm(?![a-zA-Z])/, '+').replace(/\\mp(?![a-zA-Z])/, '-');
      const minus = s.replace(/\\pm(?![a-zA-Z])/, '-').replace(/\\mp(?![a-zA-Z])/, '+');
      return { k: 'list', src: s, items: [this.single(plus), this.single(minus)] };
    }
    const cups = topLevel(s, CUP);
    if (cups.length > 0) return { k: 'union', src: s, parts: splitAt(s, cups).map((p) => this.single(p)) };
    if (s === '\\emptyset' || s === '\\{\\}') return { k: 'set', src: s, items: [] };
    if (s.startsWith('\\{') && closingOf(s) === s.length - 1 && s.endsWith('\\}')) {
      const inner = s.slice(2, -2).trim();
      if (topLevel(inner, matcher(/:|\||\\mid(?![a-zA-Z])/y)).length > 0) return { k: 'text', src: s };
      const items = splitAt(inner, topLevel(inner, COMMA));
      if (items.some((p) => p === '')) return { k: 'text', src: s };
      return { k: 'set', src: s, items: items.map((p) => this.single(p)) };
    }
    if ((s[0] === '(' || s[0] === '[') && closingOf(s) === s.length - 1 && (s.endsWith(')') || s.endsWith(']'))) {
      const inner = s.slice(1, -1);
      const commas = topLevel(inner, COMMA);
      if (commas.length > 0) {
        const items = splitAt(inner, commas);
        if (items.some((p) => p === '')) return { k: 'text', src: s };
        return { k: 'seq', src: s, open: s[0], close: s[s.length - 1], items: items.map((p) => this.single(p)) };
      }
    }
    const rels = topLevel(s, REL);
    if (rels.length > 0) return this.relation(s, rels);
    if (/%$/.test(s)) {
      const body = s.slice(0, -1).trim();
      return { k: 'expr', src: s, node: this.tryExpr(body), pct: true };
    }
    const node = this.tryExpr(s);
    if (!node && /[a-zA-Z]{3,}/.test(s.replace(/\\[a-zA-Z]+/g, ' '))) return { k: 'text', src: s };
    return { k: 'expr', src: s, node, pct: false };
  }

  private relation(s: string, rels: Array<[number, number]>): Item {
    const ops = rels.map(([i, len]) => s.slice(i, i + len));
    const sides = splitAt(s, rels);
    if (sides.some((p) => p === '')) return { k: 'text', src: s };
    if (ops.length === 1 && (ops[0] === '=' || ops[0] === '\\in')) {
      const [lhs, rhs] = sides;
      const head = parseHead(lhs);
      if (ops[0] === '\\in' && !head) return { k: 'text', src: s };
      return { k: 'eq', src: s, head, rhs: this.single(rhs), lhsNode: ops[0] === '=' ? this.tryExpr(lhs) : null, rhsNode: ops[0] === '=' ? this.tryExpr(rhs) : null };
    }
    return this.inequality(s, ops, sides) ?? { k: 'text', src: s };
  }

  /** `x \ge a`, `a < x`, `a < x \le b` with one variable and constant bounds -> an interval. */
  private inequality(s: string, ops: string[], sides: string[]): Item | null {
    const dir = (op: string): number => (op === '<' || op === '\\le' || op === '<=' ? 1 : op === '>' || op === '\\ge' || op === '>=' ? -1 : 0);
    const strict = (op: string): boolean => op === '<' || op === '>';
    if (ops.some((o) => dir(o) === 0) || ops.length > 2) return null;
    const varIdx = sides.findIndex((p) => HEAD_SIMPLE.test(p.replace(/\s+/g, '')) && !/^\\(?:pi|infty)$/.test(p.trim()));
    if (varIdx < 0) return null;
    const bound = (p: string): Item => ({ k: 'expr', src: p, node: this.tryExpr(p), pct: false });
    const inf = (sign: string): Item => ({ k: 'expr', src: `${sign}\\infty`, node: this.tryExpr(`${sign}\\infty`), pct: false });
    let lo: Item = inf('-');
    let hi: Item = inf('');
    let open = '(';
    let close = ')';
    if (ops.length === 2) {
      if (varIdx !== 1 || dir(ops[0]) !== dir(ops[1])) return null;
      const [a, , b] = sides;
      const first = dir(ops[0]) > 0 ? { lo: a, hi: b, lo0: ops[0], hi0: ops[1] } : { lo: b, hi: a, lo0: ops[1], hi0: ops[0] };
      lo = bound(first.lo);
      hi = bound(first.hi);
      open = strict(first.lo0) ? '(' : '[';
      close = strict(first.hi0) ? ')' : ']';
    } else {
      const op = ops[0];
      const other = sides[1 - varIdx];
      // normalise to "var OP bound"
      const d = varIdx === 0 ? dir(op) : -dir(op);
      if (d > 0) {
        hi = bound(other);
        close = strict(op) ? ')' : ']';
      } else {
        lo = bound(other);
        open = strict(op) ? '(' : '[';
      }
    }
    return { k: 'seq', src: s, open, close, items: [lo, hi], bound: sides[varIdx].replace(/\s+/g, '') };
  }
}
