// Helpers the bench suites share in Node and in the browser (no Node imports): the median, seeded random token ids,
// and a phase timed with its own pool peak.
import type { Gpu } from '../../gpu';

/** The median of a list of numbers (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Seeded random token ids in [0, V) (a 32-bit LCG; its high bits). */
export function randomIds(n: number, V: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 8) % V; // high bits: the LCG's low bits are periodic
  });
}

/** Run a phase with a fresh pool peak; returns its result, the phase's peak bytes and its wall time (GPU work included). */
export async function phase<T>(gpu: Gpu, fn: () => Promise<T>): Promise<{ value: T; peak: number; ms: number }> {
  await gpu.sync();
  gpu.pool.resetPeak();
  const t0 = performance.now();
  const value = await fn();
  await gpu.sync();
  return { value, peak: gpu.poolStats().peak, ms: performance.now() - t0 };
}
