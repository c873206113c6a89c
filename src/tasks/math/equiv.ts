// Equivalence of two parsed answers: lists and sets (unordered, multiplicities kept),
// tuples and intervals (ordered, brackets must match), equations (named answers and
// solution sets), expressions (exact values, random points, compute-engine fallback), words.

import { Item } from './answer';
import { compactKey, wordsKey } from './normalize';
import { Deadline, MathLimits, MathTooLarge } from './limits';
import { Node, freeVars, needsIntegers, renameVars } from './parse';
import { Evaluator, FLOAT_REL_TOL, Undefined, Value, rat, sameValue, toFloat } from './evaluate';
import { symbolicCompare } from './symbolic';
import { uniformStream } from '../../util/random';

export type Verdict = 'eq' | 'ne' | 'unknown';

/** Relative tolerance when one side is written as a decimal (e.g. 0.333333 vs 1/3). */
export const DECIMAL_REL_TOL = 1e-6;


function infSign(n: Node): number {
  if (n.t === 'sym' && n.name === 'infty') return 1;
  if (n.t === 'neg') return -infSign(n.a);
  return 0;
}

function isDecimal(n: Node): boolean {
  return (n.t === 'num' && n.dec) || (n.t === 'neg' && isDecimal(n.a));
}

/** Does the tree use floor or ceil (functions that jump at integers)? */
function hasStep(n: Node): boolean {
  switch (n.t) {
    case 'sym':
    case 'num':
      return false;
    case 'neg':
      return hasStep(n.a);
    case 'div':
    case 'pow':
      return hasStep(n.a) || hasStep(n.b);
    default:
      return (n.t === 'fn' && (n.name === 'floor' || n.name === 'ceil')) || n.args.some(hasStep);
  }
}

function isZero(v: Value): boolean {
  return v.q ? v.n === 0n : Math.abs(v.v) < 1e-12;
}

/** Rename variables inside an item. The source text of a renamed item no longer says what
 *  it is, so it is marked (a leading NUL) to keep it from matching by string; an expression
 *  we could not parse cannot be renamed and then matches nothing. */
function renameItem(it: Item, map: Map<string, string>): Item {
  const src = `\u0000${it.src}`;
  switch (it.k) {
    case 'expr':
      return it.node ? { ...it, src, node: renameVars(it.node, map) } : { k: 'text', src };
    case 'eq':
      return { ...it, src, rhs: renameItem(it.rhs, map), lhsNode: it.lhsNode && renameVars(it.lhsNode, map), rhsNode: it.rhsNode && renameVars(it.rhsNode, map) };
    case 'seq':
    case 'set':
    case 'list':
      return { ...it, src, items: it.items.map((x) => renameItem(x, map)) };
    case 'union':
      return { ...it, src, parts: it.parts.map((x) => renameItem(x, map)) };
    case 'text':
      return { k: 'text', src };
  }
}

/** Free variables of every expression inside an item. */
function itemVars(it: Item, out: Set<string> = new Set()): Set<string> {
  switch (it.k) {
    case 'expr':
      if (it.node) freeVars(it.node, out);
      break;
    case 'eq':
      itemVars(it.rhs, out);
      if (it.lhsNode) freeVars(it.lhsNode, out);
      break;
    case 'seq':
    case 'set':
    case 'list':
      for (const x of it.items) itemVars(x, out);
      break;
    case 'union':
      for (const x of it.parts) itemVars(x, out);
      break;
    case 'text':
      break;
  }
  return out;
}

const isCollection = (it: Item): boolean => it.k === 'list' || it.k === 'set' || it.k === 'seq' || it.k === 'union';

export class Comparer {
  private ev: Evaluator;
  private rand: () => number;
  /** Inside a collection whose gold items name different unknowns (a=..., b=...), the
   *  names must match too. */
  private strictNames = false;
  constructor(
    private lim: MathLimits,
    private dl: Deadline,
    seed = 0x5eed,
  ) {
    this.ev = new Evaluator(lim, dl);
    this.rand = uniformStream(seed);
  }

  /** Is the predicted item `p` equivalent to the gold item `g`? */
  items(p: Item, g: Item): boolean {
    this.dl.check();
    if (compactKey(p.src) === compactKey(g.src) && p.src !== '') return true;
    if (p.k === 'eq' && g.k === 'eq') return this.equations(p, g);
    if (p.k === 'eq') return p.head !== null && this.items(p.rhs, g);
    if (g.k === 'eq') return g.head !== null && this.items(p, g.rhs);
    // a one-element list or set is the element itself
    if ((p.k === 'list' || p.k === 'set') && p.items.length === 1 && !isCollection(g)) return this.items(p.items[0], g);
    if ((g.k === 'list' || g.k === 'set') && g.items.length === 1 && !isCollection(p)) return this.items(p, g.items[0]);
    if (p.k === 'text' || g.k === 'text') return wordsKey(p.src) === wordsKey(g.src);
    if ((p.k === 'list' || p.k === 'set') && (g.k === 'list' || g.k === 'set')) return this.multiset(p.items, g.items);
    if (p.k === 'union' && g.k === 'union') return this.multiset(p.parts, g.parts);
    if (p.k === 'seq' && g.k === 'seq') {
      if (p.bound && g.bound && p.bound !== g.bound) return false; // m >= 2 is not n >= 2
      return p.open === g.open && p.close === g.close && this.ordered(p.items, g.items);
    }
    // a tuple of three or more written as a bare list keeps its order
    if (p.k === 'seq' && g.k === 'list') return p.open === '(' && p.close === ')' && p.items.length >= 3 && this.ordered(p.items, g.items);
    if (p.k === 'list' && g.k === 'seq') return g.open === '(' && g.close === ')' && g.items.length >= 3 && this.ordered(p.items, g.items);
    if (p.k === 'expr' && g.k === 'expr') return this.exprs(p, g) === 'eq';
    return false;
  }

  private ordered(a: Item[], b: Item[]): boolean {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!this.items(a[i], b[i])) return false;
    return true;
  }

  /** Unordered comparison keeping multiplicities: a perfect matching must exist. */
  private multiset(a: Item[], b: Item[]): boolean {
    if (a.length !== b.length) return false;
    if (a.length > this.lim.maxListItems) throw new MathTooLarge(`list of ${a.length} items`);
    const ka = a.map((x) => compactKey(x.src)).sort();
    const kb = b.map((x) => compactKey(x.src)).sort();
    if (ka.every((k, i) => k === kb[i])) return true;
    const memo = new Map<number, boolean>();
    const names = new Set(b.map((x) => (x.k === 'eq' && x.head ? x.head.name : '')));
    const strict = names.size > 1 && !names.has('');
    const eq = (i: number, j: number): boolean => {
      const key = i * b.length + j;
      let r = memo.get(key);
      if (r === undefined) {
        const outer = this.strictNames;
        this.strictNames = strict;
        try {
          r = this.items(a[i], b[j]);
        } finally {
          this.strictNames = outer;
        }
        memo.set(key, r);
      }
      return r;
    };
    const owner = new Array<number>(b.length).fill(-1);
    const augment = (i: number, seen: boolean[]): boolean => {
      for (let j = 0; j < b.length; j++) {
        if (seen[j] || !eq(i, j)) continue;
        seen[j] = true;
        if (owner[j] < 0 || augment(owner[j], seen)) {
          owner[j] = i;
          return true;
        }
      }
      return false;
    };
    for (let i = 0; i < a.length; i++) if (!augment(i, new Array<boolean>(b.length).fill(false))) return false;
    return true;
  }

  private equations(p: Extract<Item, { k: 'eq' }>, g: Extract<Item, { k: 'eq' }>): boolean {
    const pf = p.head !== null && p.head.params.length > 0;
    const gf = g.head !== null && g.head.params.length > 0;
    if (p.head && g.head && p.head.name !== g.head.name && this.strictNames) return false;
    // x = 3 is not y = 3 (but x = y is y = x: that is left to the solution-set test below)
    if (p.head && g.head && (p.head.name === g.head.name || pf || gf)) {
      let rhs = p.rhs;
      if (pf && gf) {
        if (p.head.params.length !== g.head.params.length) return false;
        // f(t) = t^2 is f(x) = x^2: rename the arguments, unless a name would be captured
        // (f(y) = 2x is a constant function, not f(x) = 2x)
        const bare = (v: string): string => v.replace(/[{}]/g, '');
        const from = p.head.params.map(bare);
        const to = g.head.params.map(bare);
        if (new Set(from).size !== from.length || new Set(to).size !== to.length) return false;
        const free = itemVars(rhs);
        if (to.some((v) => free.has(v) && !from.includes(v))) return false;
        const map = new Map<string, string>();
        from.forEach((v, i) => v !== to[i] && map.set(v, to[i]));
        if (map.size > 0) rhs = renameItem(rhs, map);
      }
      if (this.items(rhs, g.rhs)) return true;
    }
    if (pf || gf) return false; // f(x) = ... names a function, it is not an equation to solve
    // general equations: equal when L - R of one is a constant non-zero multiple of the other
    if (p.lhsNode && p.rhsNode && g.lhsNode && g.rhsNode) {
      const dp: Node = { t: 'add', args: [p.lhsNode, { t: 'neg', a: p.rhsNode }] };
      const dg: Node = { t: 'add', args: [g.lhsNode, { t: 'neg', a: g.rhsNode }] };
      return this.proportional(dp, dg) === 'eq';
    }
    return false;
  }

  private exprs(p: Extract<Item, { k: 'expr' }>, g: Extract<Item, { k: 'expr' }>): Verdict {
    if (p.pct && !g.pct) return 'ne'; // a percentage only answers a percentage
    const strip = (s: string): string => s.replace(/%$/, '');
    if (!p.node || !g.node) return this.symbolic(strip(p.src), strip(g.src));
    let r = this.nodes(p.node, g.node);
    if (r !== 'eq' && g.pct && !p.pct) {
      // gold 25% may be answered 25 or 0.25
      const r2 = this.nodes(p.node, { t: 'div', a: g.node, b: { t: 'num', n: 100n, d: 1n, dec: false } });
      if (r2 === 'eq') return 'eq';
    }
    if (r === 'unknown') r = this.symbolic(strip(p.src), strip(g.src));
    return r;
  }

  private symbolic(a: string, b: string): Verdict {
    return symbolicCompare(a, b, this.lim, this.dl, this.rand);
  }

  private evalOr(n: Node, env: Map<string, Value>): Value | 'undef' | 'big' {
    try {
      return this.ev.eval(n, env);
    } catch (e) {
      if (e instanceof Undefined) return 'undef';
      if (e instanceof MathTooLarge) return 'big';
      throw e;
    }
  }

  /** A random point for the variables: small positive rationals (a few points with random
   *  signs), or small integers when a factorial / binomial of a variable needs them. */
  private point(vars: Set<string>, k: number, intMode: boolean): Map<string, Value> {
    const env = new Map<string, Value>();
    for (const v of vars) {
      if (intMode) env.set(v, rat(BigInt(2 + Math.floor(this.rand() * 11))));
      else {
        const num = BigInt(1 + Math.floor(this.rand() * 60));
        const den = BigInt(7 + Math.floor(this.rand() * 13));
        const neg = k % 3 === 2 && this.rand() < 0.5; // every third point may be negative
        env.set(v, rat(neg ? -num : num, den));
      }
    }
    return env;
  }

  /** Compare two expression trees: exactly when both are constants, else at random points. */
  nodes(a: Node, b: Node): Verdict {
    const ia = infSign(a);
    const ib = infSign(b);
    if (ia !== 0 || ib !== 0) return ia === ib ? 'eq' : 'ne';
    const vars = freeVars(a);
    freeVars(b, vars);
    const decimal = isDecimal(a) || isDecimal(b);
    if (vars.size === 0) {
      const va = this.evalOr(a, new Map());
      const vb = this.evalOr(b, new Map());
      if (typeof va === 'string' || typeof vb === 'string') return 'unknown';
      const r = sameValue(va, vb, FLOAT_REL_TOL, true);
      if (r === 'eq' || !decimal) return r;
      // decimals are compared with a tolerance, except against an exact integer
      const other = isDecimal(a) ? vb : va;
      if (other.q && other.d === 1n) return r;
      return sameValue(toFloatValue(va), toFloatValue(vb), DECIMAL_REL_TOL, true);
    }
    if (vars.size > 12) return 'unknown';
    const intMode = needsIntegers(a) || needsIntegers(b);
    let valid = 0;
    // sample until evalPoints points lie in both domains, trying at most 4x as many
    for (let k = 0; k < 4 * this.lim.evalPoints && valid < this.lim.evalPoints; k++) {
      this.dl.check();
      const env = this.point(vars, k, intMode);
      const va = this.evalOr(a, env);
      const vb = this.evalOr(b, env);
      if (va === 'big' || vb === 'big') return 'unknown';
      if (va === 'undef' || vb === 'undef') continue; // outside one side's domain
      const r = sameValue(va, vb, decimal ? DECIMAL_REL_TOL : FLOAT_REL_TOL, false);
      if (r === 'ne') return 'ne';
      if (r === 'eq') valid++;
    }
    if (valid < 3) return 'unknown';
    // floor / ceil jump at integers, where random rationals never land: also try small
    // integers (including powers of two), e.g. ceil(log2 a) vs floor(log2 a) + 1 at a = 4
    if (!intMode && (hasStep(a) || hasStep(b))) {
      const names = [...vars];
      for (let k = 0; k < 16; k++) {
        this.dl.check();
        const env = new Map<string, Value>();
        names.forEach((v, i) => env.set(v, rat(BigInt(i === 0 ? k + 1 : 1 + Math.floor(this.rand() * 16)))));
        const va = this.evalOr(a, env);
        const vb = this.evalOr(b, env);
        if (typeof va === 'string' || typeof vb === 'string') continue;
        if (sameValue(va, vb, FLOAT_REL_TOL, false) === 'ne') return 'ne';
      }
    }
    return 'eq';
  }

  /** Are two expressions non-zero constant multiples of each other (same zero set)? */
  proportional(a: Node, b: Node): Verdict {
    const vars = freeVars(a);
    freeVars(b, vars);
    if (vars.size === 0 || vars.size > 12) return 'unknown';
    const intMode = needsIntegers(a) || needsIntegers(b);
    let ratio: Value | null = null;
    let valid = 0;
    for (let k = 0; k < 4 * this.lim.evalPoints && valid < this.lim.evalPoints; k++) {
      this.dl.check();
      const env = this.point(vars, k, intMode);
      const va = this.evalOr(a, env);
      const vb = this.evalOr(b, env);
      if (va === 'big' || vb === 'big') return 'unknown';
      if (va === 'undef' || vb === 'undef') continue;
      const za = isZero(va);
      if (za !== isZero(vb)) return 'ne';
      if (za) continue;
      const r = this.ev.div(va, vb);
      if (ratio === null) ratio = r;
      else {
        const same = sameValue(r, ratio, FLOAT_REL_TOL, false);
        if (same === 'ne') return 'ne';
        if (same === 'unknown') continue;
      }
      valid++;
    }
    return valid >= 3 ? 'eq' : 'unknown';
  }
}

function toFloatValue(v: Value): Value {
  const f = toFloat(v);
  return { q: false, v: f.v, lossy: f.lossy };
}
