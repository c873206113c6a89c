// The kernels benchmark's FMA probe on Node + Dawn: every chain runs its iterations (the stored sums equal
// the float64 limit of the recurrence), and the measured ceiling is a positive, finite rate.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { FMA_PROBE_ITERS, fmaProbe, measureFmaPeak } from '../../src/cli/bench/fma-peak';
import { measureInterleaved, parseKernelArgs } from '../../src/cli/bench/kernels';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('FMA probe', () => {
  it('each invocation stores the sum of its chains after all iterations (x <- 0.999 x + 1e-3 tends to 1)', async () => {
    for (const chains of [4, 8] as const) {
      const probe = fmaProbe(gpu, chains);
      try {
        probe.call();
        const got = await gpu.readF32(probe.out);
        const steps = 4 * FMA_PROBE_ITERS;
        const decay = 0.999 ** steps;
        for (const idx of [0, 1, 777, got.length - 1]) {
          const s = Math.fround(idx * 1e-7);
          let want = 0;
          for (let c = 0; c < chains; c++) for (let q = 0; q < 4; q++) want += 1 + (s + 0.01 * q + 0.1 * c - 1) * decay;
          expect(Math.abs(got[idx] - want), `chains ${chains}, invocation ${idx}: got ${got[idx]}, want ${want}`).toBeLessThan(2e-3 * chains);
        }
        // a probe that skipped its loop would store the sum of the starting values (far below 4 * chains)
        expect(got[0]).toBeGreaterThan(3.9 * chains);
      } finally {
        probe.release();
      }
    }
  });

  it('measureFmaPeak reports a positive finite ceiling per variant, finite sums, and a per-CPU-time rate', async () => {
    const cfg = parseKernelArgs(['--quick', '--budget-ms=50']);
    const peak = await measureFmaPeak(gpu, cfg, measureInterleaved, () => {});
    expect(peak.finite).toBe(true);
    expect(peak.variants.map((v) => v.chains)).toEqual([4, 8]);
    for (const v of peak.variants) {
      expect(v.error).toBeUndefined();
      expect(v.gflops).toBeGreaterThan(0);
      expect(Number.isFinite(v.gflops)).toBe(true);
      expect(v.cpu_gflops).toBeGreaterThan(0);
    }
    expect(peak.gflops).toBe(Math.max(...peak.variants.map((v) => v.gflops ?? 0)));
  });
});
