// Several seeds summarised on hand-made runs: the pooled paired difference (per problem averaged
// over seeds, bootstrap over problems), each seed's headline, and the seeds.md layout.
import { describe, expect, it } from 'vitest';
import { pooledPairedDiff, seedsMarkdown, summarizeSeeds, type SeedRun } from '../../src/int/seeds';
import { bootstrapMean, type ProblemOutcome } from '../../src/int/stats';

const boot = { resamples: 500, seed: 0, level: 0.95 };
const outs = (cs: number[]): ProblemOutcome[] => cs.map((c, i) => ({ problemId: `p${i + 1}`, tier: i < 2 ? 'easy' : 'hard', n: 4, c }));
const iv = (estimate: number) => ({ estimate, lo: estimate, hi: estimate });
function run(seed: number, arms: Record<string, number[]>): SeedRun {
  const outcomes = Object.fromEntries(Object.entries(arms).map(([a, cs]) => [a, outs(cs)]));
  const mean = (os: ProblemOutcome[]) => os.reduce((s, o) => s + o.c / o.n, 0) / os.length;
  const results = {
    arms: Object.fromEntries(Object.entries(outcomes).map(([a, os]) => [a, {
      label: a === 'int_rl' ? 'InT + RL' : a,
      eval: { overall: { passAt: { '1': iv(mean(os)) } }, tiers: { easy: { passAt: { '1': iv(mean(os.slice(0, 2))) } }, hard: { passAt: { '1': iv(mean(os.slice(2))) } } } },
    }])),
    paired: arms.rl ? [{ arm: 'int_rl', versus: 'rl', tier: 'all', diff: 12.5, ci95: [-5, 30] as [number, number], problems: 3 }] : [],
  } as unknown as SeedRun['results'];
  return { seed, dir: `seed-${seed}`, results, outcomes };
}

// per-problem differences int_rl - rl: seed 1 (0.5, 0, 0.5), seed 2 (0, 0.5, -0.5); averaged (0.25, 0.25, 0)
const runs = [run(1, { int_rl: [4, 0, 2], rl: [2, 0, 0] }), run(2, { int_rl: [1, 2, 2], rl: [1, 0, 4] }), run(3, { int_rl: [4, 4, 4] })];

describe('pooledPairedDiff', () => {
  it('averages a problem over the seeds, then bootstraps over problems', () => {
    const d = pooledPairedDiff(runs, 'int_rl', 'rl', 'all', boot)!;
    const want = bootstrapMean([0.25, 0.25, 0], boot);
    expect(d).toMatchObject({ arm: 'int_rl', versus: 'rl', tier: 'all', problems: 3, units: 6, seeds: 2 });
    expect(d.diff).toBeCloseTo(100 / 6, 1);
    expect(d.ci95).toEqual([Math.round(want.lo * 1e4) / 100, Math.round(want.hi * 1e4) / 100]);
    expect(pooledPairedDiff(runs, 'int_rl', 'rl', 'easy', boot)).toMatchObject({ diff: 25, problems: 2, units: 4 });
    expect(pooledPairedDiff(runs, 'int_rl', 'rl', 'hard', boot)).toMatchObject({ diff: 0, ci95: [0, 0], problems: 1 });
    expect(pooledPairedDiff(runs, 'int_rl', 'base', 'all', boot)).toBeNull();
  });

  it('refuses seeds whose arms saw different problems', () => {
    const bad = run(4, { int_rl: [1, 1, 1], rl: [1, 1, 1] });
    bad.outcomes.rl = bad.outcomes.rl.slice(0, 2);
    expect(() => pooledPairedDiff([bad], 'int_rl', 'rl', 'all', boot)).toThrow(/different problems/);
  });
});

describe('summarizeSeeds and seedsMarkdown', () => {
  const s = summarizeSeeds(runs, 'chains-smoke', boot);

  it('lists each seed with its headline and the pooled comparisons', () => {
    expect(s.seeds).toEqual([1, 2, 3]);
    expect(s.runs[0]).toMatchObject({ seed: 1, dir: 'seed-1', pass1: { int_rl: { all: 50, easy: 50, hard: 50 }, rl: { all: 16.67, easy: 25, hard: 0 } } });
    expect(s.runs[0].intVsRl).toHaveLength(1);
    expect(s.pooled.map((d) => `${d.arm}-${d.versus}:${d.tier}`)).toEqual(['int_rl-rl:all', 'int_rl-rl:easy', 'int_rl-rl:hard']);
    expect(s.pooling).toMatch(/averaged/);
    expect(() => summarizeSeeds([runs[0], runs[0]], null, boot)).toThrow(/seed 1 appears twice/);
  });

  it('writes the per-seed tables and the pooled table', () => {
    const md = seedsMarkdown(s, { int_rl: 'InT + RL', rl: 'RL only' });
    expect(md).toContain('# InT experiment over seeds: chains-smoke');
    expect(md).toContain('## pass@1 per seed (held-out, %)');
    expect(md).toContain('| seed | arm | all | easy | hard |');
    expect(md).toContain('| 1 | InT + RL | 50.0 | 50.0 | 50.0 |');
    expect(md).toContain('| 1 | +12.5 [-5.0, +30.0] | n/a | n/a |');
    expect(md).toContain('| 3 | n/a | n/a | n/a |');
    expect(md).toMatch(/\| InT \+ RL \| RL only \| all \| \+16\.7 \[[^\]]+\] \| 3 \| 6 \| 2 \| (higher|unresolved) \|/);
  });
});
