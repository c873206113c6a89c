// Evaluation of expression trees: exact rationals (BigInt) whenever the value is rational,
// floats otherwise. Huge powers and factorials are refused before they are computed, and
// floats that lost their meaning (overflow, underflow of a huge exact value) are flagged.

import { Deadline, MathLimits, MathTooLarge } from './limits';
import type { Node } from './parse';

/** Exact rational n/d (d > 0, reduced) or a float. `lossy` marks floats whose value can no
 *  longer be trusted (made from an exact value too large or too small for a double). */
export type Value = { q: true; n: bigint; d: bigint } | { q: false; v: number; lossy: boolean };

/** The expression has no value here (division by zero, sqrt of a negative, 1.5!, ...). */
export class Undefined extends Error {
  constructor(why: string) {
    super(`undefined: ${why}`);
    this.name = 'Undefined';
  }
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);
function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}
export function bitLen(x: bigint): number {
  return x === 0n ? 0 : abs(x).toString(16).length * 4;
}

export function rat(n: bigint, d: bigint = 1n): Value {
  if (d === 0n) throw new Undefined('division by zero');
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d);
  return g > 1n ? { q: true, n: n / g, d: d / g } : { q: true, n, d };
}
const flt = (v: number, lossy = false): Value => ({ q: false, v, lossy });

/** A rational as a double without overflow in the intermediate steps. */
export function ratToNumber(n: bigint, d: bigint): number {
  const bn = bitLen(n);
  const bd = bitLen(d);
  if (bn < 1000 && bd < 1000) return Number(n) / Number(d);
  const sn = Math.max(0, bn - 64);
  const sd = Math.max(0, bd - 64);
  const m = Number(n >> BigInt(sn)) / Number(d >> BigInt(sd));
  return m * Math.pow(2, sn - sd);
}

export function toFloat(x: Value): { v: number; lossy: boolean } {
  if (!x.q) return { v: x.v, lossy: x.lossy };
  const v = ratToNumber(x.n, x.d);
  const a = Math.abs(v);
  return { v, lossy: !Number.isFinite(v) || (x.n !== 0n && (a < 1e-250 || a > 1e250)) };
}

function isInt(x: Value): x is { q: true; n: bigint; d: bigint } {
  return x.q && x.d === 1n;
}

/** Exact k-th root of a non-negative integer, or null when it is not a perfect power. */
function intRoot(x: bigint, k: number): bigint | null {
  if (x < 2n) return x;
  const bits = bitLen(x);
  let r = BigInt(Math.floor(Math.pow(2, bits / k + 1)));
  if (bits > 1000) {
    // Newton from above: r_{i+1} = ((k-1) r_i + x / r_i^(k-1)) / k
    r = 1n << BigInt(Math.ceil(bits / k) + 1);
  }
  const K = BigInt(k);
  for (let it = 0; it < 4000; it++) {
    const next = ((K - 1n) * r + x / r ** (K - 1n)) / K;
    if (next >= r) break;
    r = next;
  }
  for (const c of [r - 1n, r, r + 1n]) if (c >= 0n && c ** K === x) return c;
  return null;
}

export class Evaluator {
  private steps = 0;
  constructor(
    private lim: MathLimits,
    private dl: Deadline,
  ) {}

  eval(n: Node, env: Map<string, Value>): Value {
    if ((++this.steps & 63) === 0) this.dl.check();
    switch (n.t) {
      case 'num':
        return rat(n.n, n.d);
      case 'sym': {
        const v = env.get(n.name);
        if (v) return v;
        if (n.name === 'pi') return flt(Math.PI);
        if (n.name === 'e') return flt(Math.E);
        if (n.name === 'infty') throw new Undefined('infinity inside an expression');
        throw new Undefined(`unbound variable ${n.name}`);
      }
      case 'neg': {
        const a = this.eval(n.a, env);
        return a.q ? { q: true, n: -a.n, d: a.d } : flt(-a.v, a.lossy);
      }
      case 'add': {
        let acc = this.eval(n.args[0], env);
        for (let i = 1; i < n.args.length; i++) acc = this.add(acc, this.eval(n.args[i], env));
        return acc;
      }
      case 'mul': {
        let acc = this.eval(n.args[0], env);
        for (let i = 1; i < n.args.length; i++) acc = this.mul(acc, this.eval(n.args[i], env));
        return acc;
      }
      case 'div':
        return this.div(this.eval(n.a, env), this.eval(n.b, env));
      case 'pow':
        return this.pow(this.eval(n.a, env), this.eval(n.b, env));
      case 'fn':
        return this.fn(n.name, n.args.map((a) => this.eval(a, env)));
    }
  }

  private checkBits(bits: number, what: string): void {
    if (bits > this.lim.maxBits) throw new MathTooLarge(`${what} would need about ${bits} bits (limit ${this.lim.maxBits})`);
  }

  add(a: Value, b: Value): Value {
    if (a.q && b.q) {
      this.checkBits(Math.max(bitLen(a.n) + bitLen(b.d), bitLen(b.n) + bitLen(a.d)) + 1, 'sum');
      return rat(a.n * b.d + b.n * a.d, a.d * b.d);
    }
    const x = toFloat(a);
    const y = toFloat(b);
    return flt(x.v + y.v, x.lossy || y.lossy);
  }

  mul(a: Value, b: Value): Value {
    if (a.q && b.q) {
      if (a.n === 0n || b.n === 0n) return rat(0n);
      this.checkBits(bitLen(a.n) + bitLen(b.n), 'product');
      this.checkBits(bitLen(a.d) + bitLen(b.d), 'product');
      return rat(a.n * b.n, a.d * b.d);
    }
    if ((a.q && a.n === 0n) || (b.q && b.n === 0n)) return rat(0n);
    const x = toFloat(a);
    const y = toFloat(b);
    return flt(x.v * y.v, x.lossy || y.lossy);
  }

  div(a: Value, b: Value): Value {
    if (b.q) {
      if (b.n === 0n) throw new Undefined('division by zero');
      return this.mul(a, rat(b.d, b.n));
    }
    if (b.v === 0) throw new Undefined('division by zero');
    const x = toFloat(a);
    return flt(x.v / b.v, x.lossy || b.lossy);
  }

  pow(a: Value, b: Value): Value {
    if (a.q && isInt(b)) {
      const k = b.n;
      if (a.n === 0n) {
        if (k < 0n) throw new Undefined('zero to a negative power');
        return rat(k === 0n ? 1n : 0n);
      }
      if (a.d === 1n && (a.n === 1n || a.n === -1n)) return rat(a.n === -1n && k % 2n !== 0n ? -1n : 1n);
      const kb = abs(k);
      this.checkBits(Math.max(bitLen(a.n), bitLen(a.d)) * Number(kb > 1_000_000_000n ? 1_000_000_000n : kb), 'power');
      const n = a.n ** kb;
      const d = a.d ** kb;
      return k < 0n ? rat(d, n) : rat(n, d);
    }
    if (a.q && b.q && b.d <= 64n && a.n >= 0n) {
      // rational exponent p/q: exact when numerator and denominator are perfect q-th powers
      const q = Number(b.d);
      const rn = bitLen(a.n) < 4 * this.lim.maxBits ? intRoot(a.n, q) : null;
      const rd = rn !== null ? intRoot(a.d, q) : null;
      if (rn !== null && rd !== null) return this.pow(rat(rn, rd), rat(b.n));
    }
    if (a.q && b.q && b.d <= 64n && a.n < 0n && b.d % 2n === 1n) {
      // odd root of a negative number: (-x)^(p/q) = (-1)^p x^(p/q)
      const r = this.pow({ q: true, n: -a.n, d: a.d }, b);
      return b.n % 2n === 0n ? r : r.q ? { q: true, n: -r.n, d: r.d } : flt(-r.v, r.lossy);
    }
    const x = toFloat(a);
    const y = toFloat(b);
    if (x.v < 0 && !Number.isInteger(y.v)) throw new Undefined('negative base with a fractional exponent');
    if (Math.abs(y.v) > 1e6) throw new MathTooLarge('float power with a huge exponent');
    const v = Math.pow(x.v, y.v);
    if (!Number.isFinite(v)) throw new Undefined('power overflow');
    return flt(v, x.lossy || y.lossy);
  }

  private intArg(x: Value, what: string): bigint {
    if (!isInt(x)) throw new Undefined(`${what} of a non-integer`);
    return x.n;
  }

  private factorial(n: bigint, step: bigint): Value {
    if (n < 0n) throw new Undefined('factorial of a negative number');
    if (n > BigInt(this.lim.maxFactorial)) throw new MathTooLarge(`factorial of ${n} (limit ${this.lim.maxFactorial})`);
    let r = 1n;
    for (let i = n; i > 1n; i -= step) {
      r *= i;
      if ((i & 255n) === 0n) this.dl.check();
    }
    return rat(r);
  }

  private fn(name: string, args: Value[]): Value {
    const [a, b] = args;
    switch (name) {
      case 'root': {
        const k = this.intArg(b, 'root index');
        if (k < 1n || k > 64n) throw new Undefined('root index out of range');
        return this.pow(a, rat(1n, k));
      }
      case 'fact':
        return this.factorial(this.intArg(a, 'factorial'), 1n);
      case 'fact2':
        return this.factorial(this.intArg(a, 'double factorial'), 2n);
      case 'binom': {
        const n = this.intArg(a, 'binomial');
        let k = this.intArg(b, 'binomial');
        if (n < 0n || k < 0n) throw new Undefined('binomial of a negative number');
        if (k > n) return rat(0n);
        if (n - k < k) k = n - k;
        if (k > BigInt(this.lim.maxFactorial)) throw new MathTooLarge(`binomial with k=${k}`);
        this.checkBits(Number(k) * bitLen(n), 'binomial');
        let r = 1n;
        for (let i = 1n; i <= k; i++) r = (r * (n - k + i)) / i;
        return rat(r);
      }
      case 'floor':
      case 'ceil': {
        if (a.q) {
          let f = a.n / a.d; // truncates toward zero
          if (a.n < 0n && f * a.d !== a.n) f -= 1n;
          return rat(name === 'floor' || f * a.d === a.n ? f : f + 1n);
        }
        if (a.lossy) throw new Undefined('floor of an imprecise value');
        const r = Math.round(a.v);
        if (Math.abs(a.v - r) < 1e-9 * Math.max(1, Math.abs(a.v))) throw new Undefined('floor too close to an integer to decide');
        return rat(BigInt(name === 'floor' ? Math.floor(a.v) : Math.ceil(a.v)));
      }
      case 'abs':
        return a.q ? { q: true, n: abs(a.n), d: a.d } : flt(Math.abs(a.v), a.lossy);
      case 'log':
        return this.log(a, b);
      case 'gcd':
      case 'lcm': {
        let r = this.intArg(a, name);
        for (const x of args.slice(1)) {
          const y = this.intArg(x, name);
          r = name === 'gcd' ? gcd(r, y) : r === 0n || y === 0n ? 0n : abs(r * y) / gcd(r, y);
        }
        return rat(abs(r));
      }
      case 'min':
      case 'max': {
        let best = a;
        for (const x of args.slice(1)) {
          const c = compareValues(x, best);
          if (c === null) throw new Undefined('cannot order values');
          if ((name === 'min' && c < 0) || (name === 'max' && c > 0)) best = x;
        }
        return best;
      }
      default: {
        if (a.q && a.n === 0n && ['sin', 'tan', 'arcsin', 'arctan', 'sinh', 'tanh'].includes(name)) return rat(0n);
        if (a.q && a.n === 0n && ['cos', 'cosh', 'exp'].includes(name)) return rat(1n);
        const x = toFloat(a);
        const f = FLOAT_FUNCS[name];
        if (!f) throw new Undefined(`unknown function ${name}`);
        const v = f(x.v);
        if (!Number.isFinite(v)) throw new Undefined(`${name} out of its domain`);
        return flt(v, x.lossy);
      }
    }
  }

  private log(x: Value, base: Value): Value {
    if (x.q && base.q && x.n > 0n && base.n > 0n && !(base.n === 1n && base.d === 1n)) {
      // exact when x is an integer power of the base
      if (x.n === 1n && x.d === 1n) return rat(0n);
      const up = x.n * base.d > base.n * x.d === base.n > base.d; // x beyond 1 on the base's side
      const b = up ? base : rat(base.d, base.n);
      let p: Value = b;
      for (let k = 1n; k <= 4096n; k++) {
        if (p.q && p.n === x.n && p.d === x.d) return rat(up ? k : -k);
        if (!p.q || bitLen(p.n) > bitLen(x.n) + 4 || bitLen(p.d) > bitLen(x.d) + 4) break;
        p = this.mul(p, b);
      }
    }
    const a = toFloat(x);
    const c = toFloat(base);
    if (a.v <= 0 || c.v <= 0 || c.v === 1) throw new Undefined('log out of its domain');
    return flt(Math.log(a.v) / Math.log(c.v), a.lossy || c.lossy);
  }
}

const FLOAT_FUNCS: Record<string, (x: number) => number> = {
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  cot: (x) => 1 / Math.tan(x),
  sec: (x) => 1 / Math.cos(x),
  csc: (x) => 1 / Math.sin(x),
  arcsin: Math.asin,
  arccos: Math.acos,
  arctan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  exp: Math.exp,
};

/** Order two values: -1, 0, 1, or null when floats are too imprecise to tell. */
export function compareValues(a: Value, b: Value): number | null {
  if (a.q && b.q) {
    const l = a.n * b.d;
    const r = b.n * a.d;
    return l < r ? -1 : l > r ? 1 : 0;
  }
  const x = toFloat(a);
  const y = toFloat(b);
  if (x.lossy || y.lossy) return null;
  if (Math.abs(x.v - y.v) <= 1e-9 * Math.max(1, Math.abs(x.v), Math.abs(y.v))) return null;
  return x.v < y.v ? -1 : 1;
}

/** Relative tolerance for float comparisons, and the magnitude above which a float
 *  comparison of two constants is not trusted (doubles cannot see +1 differences there). */
export const FLOAT_REL_TOL = 1e-9;
export const FLOAT_MAX_TRUSTED = 1e9;

/** Are two values equal? 'eq' | 'ne' | 'unknown'. Exact values compare exactly; floats with
 *  a relative tolerance `tol`; `bounded` refuses float verdicts on huge magnitudes. */
export function sameValue(a: Value, b: Value, tol = FLOAT_REL_TOL, bounded = true): 'eq' | 'ne' | 'unknown' {
  if (a.q && b.q) return a.n === b.n && a.d === b.d ? 'eq' : 'ne';
  const x = toFloat(a);
  const y = toFloat(b);
  if (x.lossy || y.lossy || !Number.isFinite(x.v) || !Number.isFinite(y.v)) return 'unknown';
  const m = Math.max(Math.abs(x.v), Math.abs(y.v));
  const close = Math.abs(x.v - y.v) <= tol * Math.max(m, 1e-3);
  if (!close) return 'ne';
  if (bounded && m > FLOAT_MAX_TRUSTED) return 'unknown';
  return 'eq';
}
