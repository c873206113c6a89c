// Evaluation statistics: the unbiased pass@k estimator against brute-force enumeration, means
// over problems (not pooled), seeded bootstrap determinism and coverage, per-tier summaries.
import { describe, expect, it } from 'vitest';
import {
  bootstrapMean,
  meanPassAtK,
  outcomesFromSamples,
  pairedBootstrap,
  passAtK,
  summarizeOutcomes,
  type ProblemOutcome,
} from '../../src/int/stats';
import { createRng } from '../../src/util/random';

/** Fraction of the k-subsets of n samples (the first c correct) that hold a correct one. */
function bruteForce(n: number, c: number, k: number): number {
  let hit = 0;
  let total = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    let bits = 0;
    for (let i = 0; i < n; i++) if (mask & (1 << i)) bits++;
    if (bits !== k) continue;
    total++;
    if (mask & ((1 << c) - 1)) hit++;
  }
  return hit / total;
}

describe('passAtK', () => {
  it('matches brute-force enumeration for every n <= 10, c, k', () => {
    let checked = 0;
    for (let n = 1; n <= 10; n++) {
      for (let c = 0; c <= n; c++) {
        for (let k = 1; k <= n; k++) {
          expect(passAtK(n, c, k)).toBeCloseTo(bruteForce(n, c, k), 12);
          checked++;
        }
      }
    }
    expect(checked).toBe(440);
  });

  it('pass@1 is c / n; edge cases are exact', () => {
    expect(passAtK(128, 5, 1)).toBeCloseTo(5 / 128, 14);
    expect(passAtK(8, 0, 8)).toBe(0);
    expect(passAtK(8, 1, 8)).toBe(1);
    expect(passAtK(8, 4, 5)).toBe(1); // fewer than k wrong samples
  });

  it('is stable for large n (no huge binomials)', () => {
    const v = passAtK(4096, 3, 64);
    // 1 - C(4093, 64) / C(4096, 64), through log-gamma-free products in another order
    let logRatio = 0;
    for (let i = 0; i < 64; i++) logRatio += Math.log((4093 - i) / (4096 - i));
    expect(v).toBeCloseTo(1 - Math.exp(logRatio), 12);
    const w = passAtK(100000, 50000, 1000);
    expect(w).toBe(1);
    const tiny = passAtK(100000, 1, 1);
    expect(tiny).toBeCloseTo(1e-5, 15);
    for (let k = 1; k < 64; k++) expect(passAtK(256, 2, k + 1)).toBeGreaterThan(passAtK(256, 2, k));
  });

  it('rejects impossible counts with a fix', () => {
    expect(() => passAtK(4, 1, 8)).toThrow(/at least k samples/);
    expect(() => passAtK(4, 5, 1)).toThrow(/c \(correct\)/);
    expect(() => passAtK(0, 0, 1)).toThrow(/n \(samples\)/);
    expect(() => passAtK(4, 1, 0)).toThrow(/k must be/);
  });
});

describe('means over problems', () => {
  it('pass@1 averages per-problem rates, not pooled samples', () => {
    const os: ProblemOutcome[] = [
      { problemId: 'a', tier: 'easy', n: 2, c: 2 },
      { problemId: 'b', tier: 'hard', n: 8, c: 0 },
    ];
    expect(meanPassAtK(os, 1)).toBe(0.5); // pooled would be 0.2
    expect(meanPassAtK([], 1)).toBeNaN();
  });

  it('outcomesFromSamples groups by problem', () => {
    const os = outcomesFromSamples([
      { problemId: 'a', tier: 't', correct: true },
      { problemId: 'b', tier: 'u', correct: false },
      { problemId: 'a', tier: 't', correct: false },
    ]);
    expect(os).toEqual([
      { problemId: 'a', tier: 't', n: 2, c: 1 },
      { problemId: 'b', tier: 'u', n: 1, c: 0 },
    ]);
    expect(() => outcomesFromSamples([{ problemId: 'a', tier: 't', correct: true }, { problemId: 'a', tier: 'x', correct: true }])).toThrow(/tiers/);
  });
});

describe('bootstrapMean', () => {
  const values = Array.from({ length: 50 }, (_, i) => (i * 37) % 11 / 10);

  it('is deterministic for a seed and brackets the estimate', () => {
    const a = bootstrapMean(values, { seed: 3 });
    expect(bootstrapMean(values, { seed: 3 })).toEqual(a);
    expect(bootstrapMean(values, { seed: 4 })).not.toEqual(a);
    expect(a.lo).toBeLessThanOrEqual(a.estimate);
    expect(a.hi).toBeGreaterThanOrEqual(a.estimate);
    expect(a.estimate).toBeCloseTo(values.reduce((x, y) => x + y) / values.length, 12);
    const wider = bootstrapMean(values, { seed: 3, level: 0.99 });
    expect(wider.hi - wider.lo).toBeGreaterThan(a.hi - a.lo);
  });

  it('a constant sample has a zero-width interval; no values give NaN', () => {
    expect(bootstrapMean([0.25, 0.25, 0.25])).toEqual({ estimate: 0.25, lo: 0.25, hi: 0.25 });
    expect(bootstrapMean([]).estimate).toBeNaN();
    expect(() => bootstrapMean(values, { resamples: 0 })).toThrow(/resamples/);
    expect(() => bootstrapMean(values, { level: 1 })).toThrow(/level/);
  });

  it('95% intervals cover the true mean about 95% of the time', () => {
    const rng = createRng('coverage');
    const truth = 0.3;
    const trials = 200;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const sample = Array.from({ length: 60 }, () => (rng.next() < truth ? 1 : 0));
      const ci = bootstrapMean(sample, { resamples: 400, seed: t });
      if (ci.lo <= truth && truth <= ci.hi) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.88);
    expect(covered / trials).toBeLessThan(0.99);
  });
});

describe('summarizeOutcomes', () => {
  const os: ProblemOutcome[] = [
    { problemId: 'e1', tier: 'easy', n: 8, c: 8 },
    { problemId: 'e2', tier: 'easy', n: 8, c: 4 },
    { problemId: 'h1', tier: 'hard', n: 8, c: 0 },
    { problemId: 'h2', tier: 'hard', n: 8, c: 1 },
  ];

  it('overall and per tier, for each k', () => {
    const s = summarizeOutcomes(os, { ks: [1, 4], resamples: 200, seed: 1 });
    expect(s.overall).toMatchObject({ problems: 4, samples: 32, correct: 13 });
    expect(s.overall.passAt['1'].estimate).toBeCloseTo((1 + 0.5 + 0 + 1 / 8) / 4, 12);
    expect(s.overall.passAt['4'].estimate).toBeCloseTo((1 + passAtK(8, 4, 4) + 0 + passAtK(8, 1, 4)) / 4, 12);
    expect(Object.keys(s.tiers)).toEqual(['easy', 'hard']);
    expect(s.tiers.easy.passAt['1'].estimate).toBeCloseTo(0.75, 12);
    expect(s.tiers.hard).toMatchObject({ problems: 2, samples: 16, correct: 1 });
    expect(summarizeOutcomes(os, { ks: [1, 4], resamples: 200, seed: 1 })).toEqual(s);
  });

  it('refuses k larger than a problem\'s samples', () => {
    expect(() => summarizeOutcomes(os, { ks: [16] })).toThrow(/fewer than k = 16/);
  });
});

describe('pairedBootstrap', () => {
  const o = (problemId: string, tier: string, n: number, c: number): ProblemOutcome => ({ problemId, tier, n, c });
  it('is exact when every problem moves by the same amount, however much problems differ', () => {
    // Problems from 0% to 100%: each arm's own interval is wide, the paired one has zero width.
    const b = [o('p1', 'hard', 10, 0), o('p2', 'hard', 10, 4), o('p3', 'hard', 10, 9), o('p4', 'hard', 10, 5)];
    const a = [o('p3', 'hard', 10, 10), o('p1', 'hard', 10, 1), o('p4', 'hard', 10, 6), o('p2', 'hard', 10, 5)];
    const d = pairedBootstrap(a, b, { resamples: 500, seed: 1 });
    expect(d.estimate).toBeCloseTo(0.1, 12);
    expect(d.lo).toBeCloseTo(0.1, 12);
    expect(d.hi).toBeCloseTo(0.1, 12);
    expect(d.problems).toBe(4);
    const own = bootstrapMean(a.map((x) => x.c / x.n), { resamples: 500, seed: 1 });
    expect(own.hi - own.lo).toBeGreaterThan(0.3);
  });
  it('equals bootstrapMean over the per-problem differences (hand-computed: +0.5, 0, -0.25)', () => {
    const a = [o('x', 't', 4, 3), o('y', 't', 2, 1), o('z', 't', 4, 0)];
    const b = [o('x', 't', 4, 1), o('y', 't', 2, 1), o('z', 't', 4, 1)];
    const d = pairedBootstrap(a, b, { resamples: 300, seed: 9 });
    const want = bootstrapMean([0.5, 0, -0.25], { resamples: 300, seed: 9 });
    expect(d).toEqual({ ...want, problems: 3 });
    expect(d.estimate).toBeCloseTo(0.25 / 3, 12);
  });
  it('refuses arms evaluated on different problems or tiers, naming them', () => {
    expect(() => pairedBootstrap([o('a', 't', 1, 1)], [o('b', 't', 1, 0)])).toThrow(/only in the first: a; only in the second: b/);
    expect(() => pairedBootstrap([o('a', 't', 1, 1)], [o('a', 'u', 1, 0)])).toThrow(/problem "a" has tier "t" in one arm and "u"/);
  });
});
