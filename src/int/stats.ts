// Evaluation statistics: pass@1 and the unbiased pass@k estimator per problem, their means over
// problems, and seeded percentile-bootstrap intervals over problems, overall and per tier.

import { createRng } from '../util/random';

/** n samples of one problem, c of them correct. */
export interface ProblemOutcome {
  problemId: string;
  /** Difficulty tier (Problem.difficulty). */
  tier: string;
  n: number;
  c: number;
}

/** One graded sample. */
export interface SampleResult {
  problemId: string;
  tier: string;
  correct: boolean;
}

function checkCounts(n: number, c: number, k: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`pass@k: n (samples) must be an integer >= 1, got ${n}`);
  if (!Number.isSafeInteger(c) || c < 0 || c > n) throw new Error(`pass@k: c (correct) must be an integer in [0, n = ${n}], got ${c}`);
  if (!Number.isSafeInteger(k) || k < 1 || k > n) {
    throw new Error(`pass@k: k must be an integer in [1, n = ${n}], got ${k}; draw at least k samples per problem or lower k`);
  }
}

/** Unbiased pass@k of one problem: the chance that k samples drawn without replacement from the
 *  n taken contain a correct one, 1 - C(n-c, k) / C(n, k). Computed as a product of ratios,
 *  1 - prod_{i=n-c+1}^{n} (1 - k / i), which never forms a large binomial. */
export function passAtK(n: number, c: number, k: number): number {
  checkCounts(n, c, k);
  if (n - c < k) return 1;
  let fail = 1;
  for (let i = n - c + 1; i <= n; i++) fail *= 1 - k / i;
  return 1 - fail;
}

/** Group graded samples by problem (first-seen order). A problem listed with two tiers is an error. */
export function outcomesFromSamples(samples: readonly SampleResult[]): ProblemOutcome[] {
  const by = new Map<string, ProblemOutcome>();
  for (const s of samples) {
    let o = by.get(s.problemId);
    if (!o) {
      o = { problemId: s.problemId, tier: s.tier, n: 0, c: 0 };
      by.set(s.problemId, o);
    } else if (o.tier !== s.tier) {
      throw new Error(`outcomesFromSamples: problem "${s.problemId}" has samples in tiers "${o.tier}" and "${s.tier}"; a problem has one tier`);
    }
    o.n++;
    if (s.correct) o.c++;
  }
  return [...by.values()];
}

/** Per-problem pass@k values. pass@1 of a problem is c / n. */
export function passAtKPerProblem(outcomes: readonly ProblemOutcome[], k: number): number[] {
  return outcomes.map((o) => passAtK(o.n, o.c, k));
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Mean over problems of pass@k (pass@1 = mean over problems of the per-problem success rate).
 *  NaN for no problems. */
export function meanPassAtK(outcomes: readonly ProblemOutcome[], k: number): number {
  return mean(passAtKPerProblem(outcomes, k));
}

/** An estimate with a confidence interval. */
export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
}

export interface BootstrapOptions {
  /** Resamples. Default 1000. */
  resamples?: number;
  /** Seed of the resampling. Default 0. */
  seed?: number;
  /** Two-sided level. Default 0.95. */
  level?: number;
}

/** Quantile with linear interpolation between order statistics (sorted input). */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < sorted.length ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}

/** Percentile bootstrap of the mean of `values` (one per problem): resample problems with
 *  replacement `resamples` times with a seeded generator and take the (1-level)/2 and
 *  (1+level)/2 quantiles of the resampled means. Same inputs and seed give the same interval.
 *  NaNs for no values. */
export function bootstrapMean(values: readonly number[], opts: BootstrapOptions = {}): Interval {
  const B = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  if (!Number.isSafeInteger(B) || B < 1) throw new Error(`bootstrap: resamples must be an integer >= 1, got ${B}; use 1000`);
  if (!(level > 0 && level < 1)) throw new Error(`bootstrap: level must be in (0, 1), got ${level}; use 0.95`);
  const m = values.length;
  if (m === 0) return { estimate: NaN, lo: NaN, hi: NaN };
  const rng = createRng(opts.seed ?? 0);
  const means = new Array<number>(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += values[Math.floor(rng.next() * m)];
    means[b] = s / m;
  }
  means.sort((a, b) => a - b);
  return { estimate: mean(values), lo: quantile(means, (1 - level) / 2), hi: quantile(means, (1 + level) / 2) };
}

/** Results of one group of problems (all of them, or one tier). */
export interface GroupSummary {
  problems: number;
  samples: number;
  correct: number;
  /** pass@k with its bootstrap interval, keyed by k ("1", "8", ...). */
  passAt: Record<string, Interval>;
}

export interface EvalSummary {
  overall: GroupSummary;
  /** Per tier, tiers in first-seen order. */
  tiers: Record<string, GroupSummary>;
}

export interface SummaryOptions extends BootstrapOptions {
  /** pass@k values to report. Default [1]. Every problem needs at least max(ks) samples. */
  ks?: number[];
}

function summarizeGroup(outcomes: readonly ProblemOutcome[], ks: number[], opts: BootstrapOptions): GroupSummary {
  const passAt: Record<string, Interval> = {};
  for (const k of ks) passAt[String(k)] = bootstrapMean(passAtKPerProblem(outcomes, k), opts);
  return {
    problems: outcomes.length,
    samples: outcomes.reduce((a, o) => a + o.n, 0),
    correct: outcomes.reduce((a, o) => a + o.c, 0),
    passAt,
  };
}

/** pass@k for each k with bootstrap intervals, overall and per tier. */
export function summarizeOutcomes(outcomes: readonly ProblemOutcome[], opts: SummaryOptions = {}): EvalSummary {
  const ks = opts.ks ?? [1];
  const short = outcomes.find((o) => ks.some((k) => k > o.n));
  if (short) {
    throw new Error(`summarizeOutcomes: problem "${short.problemId}" has ${short.n} samples, fewer than k = ${Math.max(...ks)}; sample more or drop that k`);
  }
  const tiers: Record<string, ProblemOutcome[]> = {};
  for (const o of outcomes) (tiers[o.tier] ??= []).push(o);
  const out: EvalSummary = { overall: summarizeGroup(outcomes, ks, opts), tiers: {} };
  for (const [t, os] of Object.entries(tiers)) out.tiers[t] = summarizeGroup(os, ks, opts);
  return out;
}

/** A paired difference between two arms on the same problems. */
export interface PairedInterval extends Interval {
  /** Problems both arms were evaluated on (the bootstrap resamples these). */
  problems: number;
}

/** One problem's pass@1(a) - pass@1(b) (success rates c/n). */
export interface ProblemDiff {
  problemId: string;
  tier: string;
  diff: number;
}

/** Per-problem differences of success rate between two arms evaluated on the same problems, in
 *  the order of `a`. The two lists must hold the same problems (any order, same tier). */
export function pairedProblemDiffs(a: readonly ProblemOutcome[], b: readonly ProblemOutcome[]): ProblemDiff[] {
  const byId = new Map(b.map((o) => [o.problemId, o]));
  const missing = a.filter((o) => !byId.has(o.problemId)).map((o) => o.problemId);
  const aIds = new Set(a.map((o) => o.problemId));
  const extra = b.filter((o) => !aIds.has(o.problemId)).map((o) => o.problemId);
  if (missing.length || extra.length || a.length !== b.length) {
    const show = (xs: string[]) => (xs.length ? xs.slice(0, 5).join(', ') + (xs.length > 5 ? `, ... (${xs.length})` : '') : 'none');
    throw new Error(`pairedBootstrap: the arms were evaluated on different problems (only in the first: ${show(missing)}; only in the second: ${show(extra)}); evaluate both on the same test set`);
  }
  return a.map((o) => {
    const p = byId.get(o.problemId)!;
    if (p.tier !== o.tier) throw new Error(`pairedBootstrap: problem "${o.problemId}" has tier "${o.tier}" in one arm and "${p.tier}" in the other`);
    return { problemId: o.problemId, tier: o.tier, diff: o.c / o.n - p.c / p.n };
  });
}

/** Paired percentile bootstrap of mean pass@1(a) - pass@1(b) over the problems both arms were
 *  evaluated on: per problem the difference of success rates c/n (pairedProblemDiffs), then
 *  bootstrapMean over those differences (problems resampled with replacement, the same draw for
 *  both arms). Pairing removes the spread between problems that two separate intervals both
 *  carry, so it resolves a smaller difference at the same budget. */
export function pairedBootstrap(a: readonly ProblemOutcome[], b: readonly ProblemOutcome[], opts: BootstrapOptions = {}): PairedInterval {
  const diffs = pairedProblemDiffs(a, b).map((d) => d.diff);
  return { ...bootstrapMean(diffs, opts), problems: diffs.length };
}
