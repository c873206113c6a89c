// Comparing two saved runs: both runs' pass@1 per arm and tier, and the difference with its
// interval: paired over the shared test problems, or unpaired (each run resampled on its own
// problems) with the reason pairing was not possible.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ExperimentResults } from '../../src/int/report';
import { pairedBootstrap, summarizeOutcomes, type ProblemOutcome } from '../../src/int/stats';
import { compareCaveats, comparePairing, compareRuns, differenceDefinition, unpairedBootstrap } from '../../src/ui/compare-data';

const published = JSON.parse(readFileSync(new URL('../../public/results/chains-critical-strict/results.json', import.meta.url), 'utf8')) as ExperimentResults;

/** A run like the published one whose arms hold these per-problem outcomes (and the summaries of them). */
function runWith(outcomes: Record<string, ProblemOutcome[]>, edit: (r: ExperimentResults) => void = () => {}): ExperimentResults {
  const r = structuredClone(published);
  r.arms = {};
  for (const [arm, os] of Object.entries(outcomes)) {
    r.arms[arm] = { label: arm.toUpperCase(), sftRows: 0, sftDropped: 0, sftSteps: 0, rlSteps: 0, eval: summarizeOutcomes(os, { ks: [1], ...r.config.eval.bootstrap }), outcomes: os };
  }
  edit(r);
  return r;
}

/** n problems "<prefix>-i" over two tiers with 8 samples each; correct counts from `c(i)`. */
const outcomes = (prefix: string, n: number, c: (i: number) => number): ProblemOutcome[] =>
  Array.from({ length: n }, (_, i) => ({ problemId: `${prefix}-${i}`, tier: i % 2 === 0 ? 'easy' : 'critical', n: 8, c: c(i) }));

describe('comparing two runs', () => {
  it('lists every arm of either run per tier with both intervals and the difference of the estimates', () => {
    const other = structuredClone(published);
    other.arms.rl.eval.overall.passAt['1'].estimate -= 0.05;
    delete (other.arms as Record<string, unknown>).sft_ref;
    const { rows } = compareRuns(published, other);
    const tiers = ['all', ...Object.keys(published.arms.rl.eval.tiers)];
    expect(rows).toHaveLength(Object.keys(published.arms).length * tiers.length);
    const rl = rows.find((r) => r.arm === 'rl' && r.tier === 'all')!;
    expect(rl.diff).toBeCloseTo(5, 9);
    expect(rl.mine).toEqual(published.arms.rl.eval.overall.passAt['1']);
    const base = rows.find((r) => r.arm === 'base' && r.tier === 'critical')!;
    expect(base.diff).toBe(0);
    const gone = rows.filter((r) => r.arm === 'sft_ref');
    expect(gone.every((r) => r.theirs === null && r.diff === null && r.mine !== null)).toBe(true);
    expect(compareCaveats(published, other)).toEqual([]);
  });

  it('names what differs between the runs', () => {
    const other = structuredClone(published);
    other.model = 'someone/else';
    other.problems.test = 8;
    other.config.eval.samples = 4;
    expect(compareCaveats(published, other)).toEqual([
      `different models (${published.model} / someone/else)`,
      `different test sets (${published.problems.test} / 8 problems)`,
      `different samples per problem (${published.config.eval.samples} / 4)`,
    ]);
  });

  it('runs without per-problem outcomes: unpaired, no interval for the difference, and the reason', () => {
    const c = compareRuns(published, structuredClone(published));
    expect(c.paired).toBe(false);
    expect(c.reason).toBe('neither run records its per-problem outcomes (saved before they were recorded), so the difference has no interval: judge the two intervals');
    expect(c.rows.every((r) => r.ci === null && r.diff !== null)).toBe(true);
    const mine = runWith({ rl: outcomes('p', 10, () => 4) });
    expect(comparePairing(mine, published).reason).toMatch(/^the other run does not record its per-problem outcomes/);
  });

  it('the same test problems: paired over them, tighter than unpaired on problems whose difficulty both runs share', () => {
    // problem difficulty spreads widely (0 to 7 of 8 samples right); this run gets one more sample
    // right on half of the problems: +6.25 points
    const hard = (i: number) => (i * 5) % 8;
    const mine = runWith({ rl: outcomes('chains-test', 40, (i) => hard(i) + (i % 4 < 2 ? 1 : 0)), base: outcomes('chains-test', 40, hard) });
    const theirs = runWith({ rl: outcomes('chains-test', 40, hard), base: outcomes('chains-test', 40, hard) }, (r) => (r.seed = 7));
    const c = compareRuns(mine, theirs);
    expect(c).toMatchObject({ paired: true, reason: null, problems: { mine: 40, theirs: 40, shared: 40 }, level: 0.95 });
    const rl = c.rows.find((r) => r.arm === 'rl' && r.tier === 'all')!;
    const want = pairedBootstrap(mine.arms.rl.outcomes!, theirs.arms.rl.outcomes!, mine.config.eval.bootstrap);
    expect(rl.diff).toBeCloseTo(6.25, 9);
    expect(100 * want.estimate).toBeCloseTo(6.25, 9);
    expect(rl.ci).toEqual([Math.round(want.lo * 1e4) / 100, Math.round(want.hi * 1e4) / 100]);
    expect(rl.ci![0]).toBeGreaterThan(0); // resolved: paired removes the spread between problems
    // the same numbers unpaired (ids renamed) cannot resolve it
    const renamed = runWith({ rl: outcomes('other', 40, hard), base: outcomes('other', 40, hard) });
    const u = compareRuns(mine, renamed);
    expect(u.paired).toBe(false);
    expect(u.reason).toBe('the runs were evaluated on different test problems (40 and 40, 0 in both: another dataset, data.testFraction, data.splitSeed or problem cap)');
    const url = u.rows.find((r) => r.arm === 'rl' && r.tier === 'all')!;
    expect(url.diff).toBeCloseTo(rl.diff!, 9);
    expect(url.ci![0]).toBeLessThan(0);
    expect(url.ci![1] - url.ci![0]).toBeGreaterThan(3 * (rl.ci![1] - rl.ci![0]));
    // per tier too, each over that tier's problems
    const easy = c.rows.find((r) => r.arm === 'rl' && r.tier === 'easy')!;
    const pick = (os: ProblemOutcome[]) => os.filter((o) => o.tier === 'easy');
    const e = pairedBootstrap(pick(mine.arms.rl.outcomes!), pick(theirs.arms.rl.outcomes!), mine.config.eval.bootstrap);
    expect(easy.ci).toEqual([Math.round(e.lo * 1e4) / 100, Math.round(e.hi * 1e4) / 100]);
  });

  it('says why pairing is not possible: another task, another chains world, another split', () => {
    const os = outcomes('chains-test', 6, (i) => i);
    const mine = runWith({ rl: os });
    expect(comparePairing(mine, runWith({ rl: os }, (r) => (r.task = 'math:forty.csv'))).reason).toBe(`the runs evaluated different tasks (${published.task} / math:forty.csv), so no problem is in both test sets`);
    const world = runWith({ rl: os }, (r) => (r.config.data.chains = { ...r.config.data.chains, seed: 99 }));
    expect(comparePairing(mine, world).reason).toBe('the runs generated different chains worlds (data.chains differs), so the same problem id names different problems');
    const fewer = runWith({ rl: os.slice(0, 4) });
    expect(comparePairing(mine, fewer)).toMatchObject({ paired: false, problems: { mine: 6, theirs: 4, shared: 4 }, reason: expect.stringMatching(/different test problems \(6 and 4, 4 in both/) });
    expect(comparePairing(mine, runWith({ rl: os }, (r) => (r.seed = 3))).paired).toBe(true);
  });

  it('the unpaired interval resamples each run on its own: its width matches two independent samples', () => {
    // 100 problems at 60% against 80 at 40%, each problem right or wrong
    const a = Array.from({ length: 100 }, (_, i) => (i % 5 < 3 ? 1 : 0));
    const b = Array.from({ length: 80 }, (_, i) => (i % 5 < 2 ? 1 : 0));
    const d = unpairedBootstrap(a, b, { resamples: 4000, seed: 1, level: 0.95 });
    expect(d.estimate).toBeCloseTo(0.2, 12);
    const half = 1.96 * Math.sqrt(0.24 / 100 + 0.24 / 80);
    expect((d.hi - d.lo) / 2).toBeGreaterThan(0.9 * half);
    expect((d.hi - d.lo) / 2).toBeLessThan(1.1 * half);
    expect(unpairedBootstrap(a, b, { resamples: 4000, seed: 1, level: 0.95 })).toEqual(d);
    // a run against itself: independent draws still spread (one shared draw would give [0, 0])
    const self = unpairedBootstrap(a, a, { resamples: 500 });
    expect(self.estimate).toBe(0);
    expect(self.lo).toBeLessThan(-0.05);
    expect(self.hi).toBeGreaterThan(0.05);
    expect(unpairedBootstrap([1, 1], [0, 0, 0])).toEqual({ estimate: 1, lo: 1, hi: 1 });
    expect(unpairedBootstrap([], [1]).estimate).toBeNaN();
    expect(() => unpairedBootstrap(a, b, { resamples: 0 })).toThrow(/resamples must be an integer >= 1/);
  });

  it('defines the difference on hover, paired or unpaired', () => {
    const boot = { resamples: 1000 };
    expect(differenceDefinition({ paired: false, level: 0.95 }, boot)).toMatch(/^Unpaired difference: .*95% interval resamples each run's own held-out problems independently \(1000 resamples/);
    expect(differenceDefinition({ paired: true, level: 0.9 }, boot)).toMatch(/^Paired difference: .*same held-out problems.*90% percentile bootstrap/);
  });
});
