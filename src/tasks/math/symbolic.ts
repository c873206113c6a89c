// Symbolic fallback through @cortex-js/compute-engine, for expressions our own parser does
// not read: parse both LaTeX strings, compare canonical forms, then compare numeric values
// (at random points when there are free variables). Loaded lazily on first need.

import type { BoxedExpression, ComputeEngine } from '@cortex-js/compute-engine';
import { Deadline, MathLimits } from './limits';
import { FLOAT_MAX_TRUSTED, FLOAT_REL_TOL } from './evaluate';

let engine: ComputeEngine | null = null;
let loading: Promise<ComputeEngine> | null = null;
/** Set when the engine could not be loaded: the fallback then answers 'unknown'. */
let unavailable = false;

/** True once the compute engine is loaded (or known to be missing), so symbolicCompare can
 *  run synchronously. */
export function symbolicReady(): boolean {
  return engine !== null || unavailable;
}

/** Load the compute engine (dynamic import, once). A failed load is remembered, not thrown:
 *  grading then goes on without the symbolic fallback. */
export async function loadSymbolic(): Promise<void> {
  if (engine || unavailable) return;
  loading ??= import('@cortex-js/compute-engine').then((m) => new m.ComputeEngine());
  try {
    engine = await loading;
  } catch {
    unavailable = true;
  }
}

/** Thrown by symbolicCompare when the engine is not loaded yet; the caller loads it and
 *  runs the comparison again. */
export class NeedSymbolic extends Error {
  constructor() {
    super('the compute engine is not loaded yet: await loadSymbolic() first');
    this.name = 'NeedSymbolic';
  }
}

function hasError(x: unknown): boolean {
  if (Array.isArray(x)) return x[0] === 'Error' || x.some(hasError);
  if (typeof x === 'string') return x === 'Error' || x === 'Nothing';
  return false;
}

/** Inputs the engine could spend unbounded time on (its calls cannot be interrupted):
 *  big or nested exponents, factorials of big or computed arguments, sums and products
 *  with large bounds, integrals and limits; also sets of numbers and ellipses. */
const RISKY: RegExp[] = [
  /\^\s*\{?\s*-?\d{4,}/, // 2^{1000}
  /\^\s*\{[^{}]*\^/, // 10^{10^{10}}
  /\^\s*\{[^{}]*\{/, // exponents with nested groups
  /\d{4,}\s*!|[)}]\s*!/, // 1000!, (n^2)!
  /\\(?:sum|prod)(?![a-zA-Z])(?![^\^]*\^\s*\{?\s*\d{1,3}\s*\}?(?:[^\d]|$))/, // bounds above 999 or symbolic
  /\\(?:int|iint|oint|lim|partial|mathbb|ldots)(?![a-zA-Z])/,
];

/** Numeric value of an evaluated expression, or null when it is not a finite real number. */
function realOf(e: BoxedExpression): number | null {
  if (!e.isNumberLiteral) return null;
  const re = e.re;
  const im = e.im;
  if (!Number.isFinite(re) || (Number.isFinite(im) && im !== 0) || Number.isNaN(im)) return null;
  return re;
}

function sameReal(x: number | null, y: number | null, bounded: boolean): 'eq' | 'ne' | 'unknown' {
  if (x === null || y === null) return 'unknown';
  const m = Math.max(Math.abs(x), Math.abs(y));
  if (m !== 0 && m < 1e-200) return 'unknown';
  const close = Math.abs(x - y) <= FLOAT_REL_TOL * Math.max(m, 1e-3);
  if (!close) return 'ne';
  return bounded && m > FLOAT_MAX_TRUSTED ? 'unknown' : 'eq';
}

/** Compare two LaTeX strings with the compute engine. Synchronous once loaded; bounded by
 *  maxSymbolicChars and evalPoints, with the deadline polled between evaluations. */
export function symbolicCompare(a: string, b: string, lim: MathLimits, dl: Deadline, rand: () => number): 'eq' | 'ne' | 'unknown' {
  if (unavailable) return 'unknown';
  if (!engine) throw new NeedSymbolic();
  if (a.length > lim.maxSymbolicChars || b.length > lim.maxSymbolicChars) return 'unknown';
  if (RISKY.some((re) => re.test(a) || re.test(b))) return 'unknown';
  // "2 3": LaTeX would read 23, a person may mean two numbers; too ambiguous to grade
  if (/\d\s+\d/.test(a + ' ' + b)) return 'unknown';
  const ce = engine;
  try {
    const ea = ce.parse(a);
    const eb = ce.parse(b);
    dl.check();
    if (!ea.isValid || !eb.isValid || hasError(ea.json) || hasError(eb.json)) return 'unknown';
    if (ea.isSame(eb)) return 'eq';
    // constants (also sums and products whose bound variable shows up as an unknown)
    const na = realOf(ea.N());
    const nb = realOf(eb.N());
    if (na !== null && nb !== null) return sameReal(na, nb, true);
    const vars = [...new Set([...ea.unknowns, ...eb.unknowns])];
    if (vars.length === 0) return 'unknown';
    if (vars.length > 6) return 'unknown';
    let valid = 0;
    for (let p = 0; p < lim.evalPoints; p++) {
      dl.check();
      const sub: Record<string, BoxedExpression> = {};
      for (const v of vars) sub[v] = ce.number(Math.round((0.2 + 3 * rand()) * 1000) / 1000);
      const r = sameReal(realOf(ea.subs(sub).N()), realOf(eb.subs(sub).N()), false);
      if (r === 'ne') return 'ne';
      if (r === 'eq') valid++;
    }
    return valid >= 3 ? 'eq' : 'unknown';
  } catch (e) {
    if (e instanceof Error && e.name === 'MathTimeout') throw e;
    return 'unknown';
  }
}
