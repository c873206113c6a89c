// LaTeX / plain-text math expression parser: tokens -> a small expression tree (Node).
// Covers what competition answers use: numbers, + - * / ^, \frac, \sqrt, factorials, \binom,
// floor/ceil/abs, trig and logs, implicit multiplication, subscripted variables. Anything
// else (words, \ldots, set-builder...) throws NotMath so the caller can fall back.

import { Deadline, MathLimits, MathTooLarge } from './limits';

export type Node =
  | { t: 'num'; n: bigint; d: bigint; dec: boolean } // exact rational literal; dec: written as a decimal
  | { t: 'sym'; name: string } // variable, or constant pi / e / infty
  | { t: 'add'; args: Node[] }
  | { t: 'mul'; args: Node[] }
  | { t: 'neg'; a: Node }
  | { t: 'div'; a: Node; b: Node }
  | { t: 'pow'; a: Node; b: Node }
  | { t: 'fn'; name: string; args: Node[] };

/** The input is not an expression this parser understands (words, lists, unknown commands). */
export class NotMath extends Error {
  constructor(why: string) {
    super(`not a math expression: ${why}`);
    this.name = 'NotMath';
  }
}

type Tok = { k: 'num' | 'id' | 'cmd' | 'op'; v: string };

const GREEK_ALIASES: Record<string, string> = { varphi: 'phi', vartheta: 'theta', varepsilon: 'epsilon', varrho: 'rho', varsigma: 'sigma', varpi: 'pi' };
const GREEK = new Set([
  'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu', 'nu', 'xi', 'rho',
  'sigma', 'tau', 'upsilon', 'phi', 'chi', 'psi', 'omega', 'Gamma', 'Delta', 'Theta', 'Lambda', 'Xi', 'Pi', 'Sigma', 'Phi', 'Psi', 'Omega',
]);
/** Functions written with a backslash (\sin) or as a plain word (sin). */
const FUNCS = new Set(['sin', 'cos', 'tan', 'cot', 'sec', 'csc', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'tanh', 'log', 'ln', 'lg', 'exp', 'gcd', 'lcm', 'min', 'max']);
const PLAIN_FUNCS = ['arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'tanh', 'sin', 'cos', 'tan', 'cot', 'sec', 'csc', 'log', 'exp', 'gcd', 'lcm', 'min', 'max', 'ln', 'lg', 'sqrt'];
/** Three-letter runs that are words, not products of three variables. */
const SHORT_WORDS = new Set(['odd', 'and', 'for', 'all', 'the', 'any', 'are', 'not', 'one', 'two', 'six', 'ten', 'set', 'has', 'its', 'but', 'nor', 'can', 'let', 'yes', 'off', 'non', 'mod', 'how', 'who', 'why', 'way']);
/** Accents over a variable make a new variable; the two spellings of each accent are one. */
const DECOR: Record<string, string> = { bar: 'bar', overline: 'bar', hat: 'hat', widehat: 'hat', tilde: 'tilde', widetilde: 'tilde', vec: 'vec', underline: 'underline' };

export function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\n' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if ((c >= '0' && c <= '9') || (c === '.' && s[i + 1] >= '0' && s[i + 1] <= '9')) {
      const m = /^\d*(?:\.\d+)?/.exec(s.slice(i))!;
      out.push({ k: 'num', v: m[0] });
      i += m[0].length;
      continue;
    }
    if (/[a-zA-Z]/.test(c)) {
      const run = /^[a-zA-Z]+/.exec(s.slice(i))![0];
      const fn = PLAIN_FUNCS.find((f) => run.startsWith(f));
      if (fn) {
        out.push({ k: 'cmd', v: fn });
        i += fn.length;
        continue;
      }
      if (run.length >= 4 || (run.length === 3 && SHORT_WORDS.has(run.toLowerCase()))) throw new NotMath(`word "${run}"`);
      out.push({ k: 'id', v: c });
      i++;
      continue;
    }
    if (c === '\\') {
      const m = /^\\([a-zA-Z]+|.)/.exec(s.slice(i));
      if (!m) throw new NotMath('lone backslash');
      out.push({ k: 'cmd', v: m[1] });
      i += m[0].length;
      continue;
    }
    if ('+-*/^_()[]{}!,=<>|\''.includes(c)) {
      out.push({ k: 'op', v: c });
      i++;
      continue;
    }
    throw new NotMath(`character "${c}"`);
  }
  return out;
}

const num = (n: bigint, d = 1n, dec = false): Node => ({ t: 'num', n, d, dec });

/** Parse one decimal / integer literal into an exact rational. */
export function literal(v: string): Node {
  const dot = v.indexOf('.');
  if (dot < 0) return num(BigInt(v));
  const frac = v.slice(dot + 1);
  const whole = v.slice(0, dot) || '0';
  const d = 10n ** BigInt(frac.length);
  return num(BigInt(whole) * d + BigInt(frac || '0'), d, true);
}

class Parser {
  private i = 0;
  private nodes = 0;
  private depth = 0;
  private absDepth = 0;
  constructor(
    private toks: Tok[],
    private lim: MathLimits,
    private dl: Deadline,
  ) {}

  parseAll(): Node {
    const e = this.expr();
    if (this.i < this.toks.length) throw new NotMath(`unexpected "${this.toks[this.i].v}"`);
    return e;
  }

  private peek(o = 0): Tok | undefined {
    return this.toks[this.i + o];
  }
  private isOp(v: string, o = 0): boolean {
    const t = this.toks[this.i + o];
    return !!t && t.k === 'op' && t.v === v;
  }
  private isCmd(v: string, o = 0): boolean {
    const t = this.toks[this.i + o];
    return !!t && t.k === 'cmd' && t.v === v;
  }
  private expect(k: Tok['k'], v: string): void {
    const t = this.toks[this.i];
    if (!t || t.k !== k || t.v !== v) throw new NotMath(`expected "${v}"`);
    this.i++;
  }
  private mk<T extends Node>(n: T): T {
    if (++this.nodes > this.lim.maxNodes) throw new MathTooLarge(`expression has more than ${this.lim.maxNodes} nodes`);
    if ((this.nodes & 127) === 0) this.dl.check();
    return n;
  }
  private enter(): void {
    if (++this.depth > this.lim.maxDepth) throw new MathTooLarge(`expression nests deeper than ${this.lim.maxDepth}`);
  }

  expr(): Node {
    this.enter();
    const terms: Node[] = [this.term()];
    for (;;) {
      if (this.isOp('+')) {
        this.i++;
        terms.push(this.term());
      } else if (this.isOp('-')) {
        this.i++;
        terms.push(this.mk({ t: 'neg', a: this.term() }));
      } else break;
    }
    this.depth--;
    return terms.length === 1 ? terms[0] : this.mk({ t: 'add', args: terms });
  }

  private term(): Node {
    let acc: Node = this.unary();
    for (;;) {
      const t = this.peek();
      if (!t) break;
      if ((t.k === 'op' && t.v === '*') || (t.k === 'cmd' && (t.v === 'cdot' || t.v === 'times'))) {
        this.i++;
        acc = this.mul(acc, this.unary());
      } else if ((t.k === 'op' && t.v === '/') || (t.k === 'cmd' && t.v === 'div')) {
        this.i++;
        acc = this.mk({ t: 'div', a: acc, b: this.unary() });
      } else if (this.startsPrimary(t)) {
        if (t.k === 'num' && this.toks[this.i - 1]?.k === 'num') throw new NotMath('two numbers side by side');
        acc = this.mul(acc, this.power());
      } else break;
    }
    return acc;
  }

  private mul(a: Node, b: Node): Node {
    if (a.t === 'mul') return this.mk({ t: 'mul', args: [...a.args, b] });
    return this.mk({ t: 'mul', args: [a, b] });
  }

  private startsPrimary(t: Tok): boolean {
    if (t.k === 'num' || t.k === 'id') return true;
    if (t.k === 'op') return t.v === '(' || t.v === '{' || (t.v === '|' && this.absDepth === 0);
    if (t.k === 'cmd') return !['cdot', 'times', 'div', 'rfloor', 'rceil', 'pm', 'mp', 'le', 'ge', 'ne', 'cup', 'cap', 'in', 'to', 'mid', '}', 'right'].includes(t.v);
    return false;
  }

  private unary(): Node {
    if (this.isOp('-')) {
      this.i++;
      return this.mk({ t: 'neg', a: this.unary() });
    }
    if (this.isOp('+')) {
      this.i++;
      return this.unary();
    }
    return this.power();
  }

  private power(): Node {
    const base = this.postfix();
    if (this.isOp('^')) {
      this.i++;
      const e = this.exponent();
      return this.postfixOps(this.mk({ t: 'pow', a: base, b: e }));
    }
    return base;
  }

  /** Exponent after ^: a braced group, a parenthesised group, a signed atom, a number or a
   *  symbol; right-associative (a^b^c = a^(b^c)). */
  private exponent(): Node {
    this.enter();
    let e: Node;
    if (this.isOp('-')) {
      this.i++;
      e = this.mk({ t: 'neg', a: this.exponent() });
    } else if (this.isOp('{') || this.isOp('(')) {
      e = this.primary();
    } else {
      const t = this.peek();
      if (!t) throw new NotMath('missing exponent');
      e = this.primary();
    }
    if (this.isOp('^')) {
      this.i++;
      e = this.mk({ t: 'pow', a: e, b: this.exponent() });
    }
    this.depth--;
    return e;
  }

  private postfix(): Node {
    return this.postfixOps(this.primary());
  }

  private postfixOps(p: Node): Node {
    while (this.isOp('!')) {
      this.i++;
      if (this.isOp('!')) {
        this.i++;
        p = this.mk({ t: 'fn', name: 'fact2', args: [p] });
      } else p = this.mk({ t: 'fn', name: 'fact', args: [p] });
    }
    return p;
  }

  /** A command argument: {group}, a single digit of a number (\frac12), a symbol, or a
   *  primary. `paren` also allows (group) (\sqrt(2) written by models). */
  private arg(paren = false): Node {
    const t = this.peek();
    if (!t) throw new NotMath('missing argument');
    if (t.k === 'op' && t.v === '{') return this.primary();
    if (paren && t.k === 'op' && t.v === '(') return this.primary();
    if (t.k === 'num') {
      if (t.v.length > 1 && !t.v.includes('.')) {
        this.toks[this.i] = { k: 'num', v: t.v.slice(1) };
        return this.mk(literal(t.v[0]));
      }
      this.i++;
      return this.mk(literal(t.v));
    }
    return this.primary();
  }

  private group(close: string, closeKind: Tok['k'] = 'op'): Node {
    const e = this.expr();
    this.expect(closeKind, close);
    return e;
  }

  private primary(): Node {
    this.enter();
    const n = this.primaryInner();
    this.depth--;
    return n;
  }

  private primaryInner(): Node {
    const t = this.peek();
    if (!t) throw new NotMath('unexpected end');
    this.i++;
    if (t.k === 'num') return this.mk(literal(t.v));
    if (t.k === 'id') return this.subscripted(t.v);
    if (t.k === 'op') {
      if (t.v === '(') return this.group(')');
      if (t.v === '{') return this.group('}');
      if (t.v === '|') {
        this.absDepth++;
        const e = this.expr();
        this.absDepth--;
        this.expect('op', '|');
        return this.mk({ t: 'fn', name: 'abs', args: [e] });
      }
      throw new NotMath(`unexpected "${t.v}"`);
    }
    // commands
    const c = t.v;
    if (c === 'frac') {
      const a = this.arg();
      const b = this.arg();
      return this.mk({ t: 'div', a, b });
    }
    if (c === 'sqrt') {
      if (this.isOp('[')) {
        this.i++;
        const k = this.group(']');
        return this.mk({ t: 'fn', name: 'root', args: [this.arg(true), k] });
      }
      return this.mk({ t: 'fn', name: 'root', args: [this.arg(true), num(2n)] });
    }
    if (c === 'binom') {
      const a = this.arg();
      const b = this.arg();
      return this.mk({ t: 'fn', name: 'binom', args: [a, b] });
    }
    if (c === 'lfloor') return this.mk({ t: 'fn', name: 'floor', args: [this.group('rfloor', 'cmd')] });
    if (c === 'lceil') return this.mk({ t: 'fn', name: 'ceil', args: [this.group('rceil', 'cmd')] });
    if (c === 'pi' || c === 'infty') return this.mk({ t: 'sym', name: c });
    if ((c === 'Gamma' || c === 'zeta') && this.isOp('(')) throw new NotMath(`\\${c} as a function`);
    if (GREEK.has(c) || c in GREEK_ALIASES) return this.subscripted(GREEK_ALIASES[c] ?? c);
    if (c in DECOR) {
      const a = this.arg();
      if (a.t !== 'sym') throw new NotMath(`\\${c} over an expression`);
      return this.mk({ t: 'sym', name: `${DECOR[c]}_${a.name}` });
    }
    if (c === 'operatorname') {
      const g = this.peek();
      if (!g || !(g.k === 'op' && g.v === '{')) throw new NotMath('\\operatorname without a name');
      // \operatorname{lcm} -> the tokens l c m were produced; rebuild the name
      let name = '';
      this.i++;
      while (this.peek() && !this.isOp('}')) name += this.toks[this.i++].v;
      this.expect('op', '}');
      if (!FUNCS.has(name)) throw new NotMath(`\\operatorname{${name}}`);
      return this.func(name);
    }
    if (FUNCS.has(c)) return this.func(c);
    throw new NotMath(`command \\${c}`);
  }

  private subscripted(name: string): Node {
    if (this.isOp('_')) {
      this.i++;
      const t = this.peek();
      if (!t) throw new NotMath('missing subscript');
      let sub = '';
      if (t.k === 'op' && t.v === '{') {
        this.i++;
        while (this.peek() && !this.isOp('}')) {
          const u = this.toks[this.i++];
          if (u.k === 'op' && u.v !== ',' && u.v !== '+' && u.v !== '-') throw new NotMath('complex subscript');
          sub += u.v;
        }
        this.expect('op', '}');
      } else {
        this.i++;
        sub = t.k === 'num' ? t.v[0] : t.v;
        if (t.k === 'num' && t.v.length > 1) {
          this.i--;
          this.toks[this.i] = { k: 'num', v: t.v.slice(1) };
        }
      }
      name = `${name}_${sub}`;
    }
    return this.mk({ t: 'sym', name });
  }

  /** A named function: optional base (log_b), optional power (\sin^2 x), then its argument
   *  in parentheses, or the juxtaposed factors that follow (\sin 2x, \cos\frac{\pi}{n}). */
  private func(name: string): Node {
    let base: Node | null = null;
    if (name === 'log' && this.isOp('_')) {
      this.i++;
      base = this.arg();
    }
    let power: Node | null = null;
    if (this.isOp('^')) {
      this.i++;
      power = this.exponent();
    }
    let args: Node[];
    if (this.isOp('(')) {
      this.i++;
      args = [this.expr()];
      while (this.isOp(',')) {
        this.i++;
        args.push(this.expr());
      }
      this.expect('op', ')');
    } else {
      let a = this.power();
      for (;;) {
        const t = this.peek();
        if (!t || !this.startsPrimary(t) || (t.k === 'cmd' && FUNCS.has(t.v))) break;
        a = this.mul(a, this.power());
      }
      args = [a];
    }
    let f: Node;
    if (name === 'log' || name === 'lg' || name === 'ln') {
      if (args.length !== 1) throw new NotMath(`${name} takes one argument`);
      const b = name === 'ln' ? { t: 'sym' as const, name: 'e' } : name === 'lg' ? num(10n) : base ?? num(10n);
      f = this.mk({ t: 'fn', name: 'log', args: [args[0], b] });
    } else {
      if (['gcd', 'lcm', 'min', 'max'].includes(name) ? args.length < 1 : args.length !== 1) throw new NotMath(`bad arguments to ${name}`);
      f = this.mk({ t: 'fn', name, args });
    }
    return power ? this.mk({ t: 'pow', a: f, b: power }) : f;
  }
}

/** Parse an expression; throws NotMath (not an expression) or MathTooLarge / MathTimeout. */
export function parseExpr(s: string, lim: MathLimits, dl: Deadline): Node {
  const toks = tokenize(s);
  if (toks.length === 0) throw new NotMath('empty');
  return new Parser(toks, lim, dl).parseAll();
}

/** Free variables of a tree (constants pi, e and infty excluded). */
export function freeVars(n: Node, out: Set<string> = new Set()): Set<string> {
  switch (n.t) {
    case 'sym':
      if (n.name !== 'pi' && n.name !== 'e' && n.name !== 'infty') out.add(n.name);
      break;
    case 'num':
      break;
    case 'neg':
      freeVars(n.a, out);
      break;
    case 'div':
    case 'pow':
      freeVars(n.a, out);
      freeVars(n.b, out);
      break;
    default:
      for (const a of n.args) freeVars(a, out);
  }
  return out;
}

/** True when a tree uses an integer-only function (factorial, binomial, gcd...) of a
 *  variable, so it must be evaluated at integer points. */
export function needsIntegers(n: Node): boolean {
  switch (n.t) {
    case 'sym':
    case 'num':
      return false;
    case 'neg':
      return needsIntegers(n.a);
    case 'div':
    case 'pow':
      return needsIntegers(n.a) || needsIntegers(n.b);
    default:
      if (n.t === 'fn' && ['fact', 'fact2', 'binom', 'gcd', 'lcm'].includes(n.name) && n.args.some((a) => freeVars(a).size > 0)) return true;
      return n.args.some(needsIntegers);
  }
}

/** Rename variables (used to align f(t)=2t with f(x)=2x). */
export function renameVars(n: Node, map: Map<string, string>): Node {
  switch (n.t) {
    case 'sym':
      return map.has(n.name) ? { t: 'sym', name: map.get(n.name)! } : n;
    case 'num':
      return n;
    case 'neg':
      return { t: 'neg', a: renameVars(n.a, map) };
    case 'div':
    case 'pow':
      return { t: n.t, a: renameVars(n.a, map), b: renameVars(n.b, map) };
    default:
      return { ...n, args: n.args.map((a) => renameVars(a, map)) } as Node;
  }
}
