// Numeric helpers for kernel tests: seeded random data, closeness assertions with a useful
// message, and central finite differences of a scalar function.

import { normalsCosine, uniformStream } from '../../src/util/random';

/** Seeded PRNG returning floats in [0, 1). */
export const rng = uniformStream;

/** n uniform values in [lo, hi). */
export function randu(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/** n standard-normal values (Box-Muller, cosine branch), times `scale`. */
export const randn = normalsCosine;

export interface Tol {
  atol?: number;
  rtol?: number;
}

/** Largest |a-b| / (atol + rtol*|b|) ratio; <= 1 means close. Returns details of the worst element. */
export function closeness(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tol = {}) {
  const atol = tol.atol ?? 1e-5;
  const rtol = tol.rtol ?? 1e-4;
  if (actual.length !== expected.length) throw new Error(`length mismatch: actual ${actual.length}, expected ${expected.length}`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!Number.isFinite(a) && !(Number.isNaN(a) && Number.isNaN(e)) && a !== e) return { ratio: Infinity, at: i, actual: a, expected: e };
    const r = Math.abs(a - e) / (atol + rtol * Math.abs(e));
    if (r > worst) {
      worst = r;
      at = i;
    }
  }
  return { ratio: worst, at, actual: at >= 0 ? actual[at] : 0, expected: at >= 0 ? expected[at] : 0 };
}

/** Throws with the worst element when actual and expected are not close. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tol = {}, what = 'values'): void {
  const c = closeness(actual, expected, tol);
  if (c.ratio > 1) {
    throw new Error(`${what}: not close (atol ${tol.atol ?? 1e-5}, rtol ${tol.rtol ?? 1e-4}): worst at [${c.at}] actual ${c.actual} vs expected ${c.expected} (ratio ${c.ratio.toFixed(2)})`);
  }
}

/** Central finite-difference gradient of f at x (all coordinates, or the listed ones). */
export function finiteDiff(f: (x: Float64Array) => number, x: ArrayLike<number>, eps = 1e-6, coords?: number[]): Float64Array {
  const xx = Float64Array.from(x);
  const g = new Float64Array(xx.length);
  const idx = coords ?? Array.from({ length: xx.length }, (_, i) => i);
  for (const i of idx) {
    const v = xx[i];
    xx[i] = v + eps;
    const fp = f(xx);
    xx[i] = v - eps;
    const fm = f(xx);
    xx[i] = v;
    g[i] = (fp - fm) / (2 * eps);
  }
  return g;
}

/** Dot product (for scalar losses L = sum(w * y) used in gradient checks). */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Pick `k` distinct coordinates out of n, seeded. */
export function sampleCoords(n: number, k: number, seed: number): number[] {
  const r = rng(seed);
  const set = new Set<number>();
  while (set.size < Math.min(k, n)) set.add(Math.floor(r() * n));
  return [...set];
}

/** Throws unless fn throws an error whose message matches re (kernels' bad-input checks). */
export function expectError(fn: () => void, re: RegExp, what: string): void {
  let msg = '';
  try {
    fn();
  } catch (e) {
    msg = (e as Error).message;
  }
  if (!re.test(msg)) throw new Error(`${what}: expected an error matching ${re}, got: ${msg || 'no error'}`);
}

/** Async form of expectError for promises that must reject. */
export async function expectReject(p: Promise<unknown>, re: RegExp, what: string): Promise<void> {
  let msg = '';
  try {
    await p;
  } catch (e) {
    msg = (e as Error).message;
  }
  if (!re.test(msg)) throw new Error(`${what}: expected an error matching ${re}, got: ${msg || 'no error'}`);
}

/** Throws unless the adapter has shader-f16 (tests skip, with the reason, before calling an f16 check). */
export function needF16(gpu: { f16: boolean }, check: string): void {
  if (!gpu.f16) throw new Error(`${check} needs an adapter with shader-f16; skip it with ctx.skip(!gpu.f16, NO_F16) where there is none`);
}

/** Skip reasons of the f16 tests, so every runner reports the same words. */
export const NO_F16 = 'this adapter has no shader-f16: the f16 path cannot run here (its refusal is checked instead)';
export const HAS_F16 = 'this adapter has shader-f16: the refusal of f16 weights does not apply (the f16 path is checked instead)';
