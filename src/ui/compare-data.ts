// Two runs side by side: per arm and tier both runs' held-out pass@1 with their intervals and the
// difference this run - the other with its interval. Paired when both runs were evaluated on the
// same test problems (a bootstrap over those problems, the same draw for both runs); unpaired
// otherwise (different datasets, splits or chains worlds: each run's own problems resampled
// independently), with the reason pairing was not possible. Pure.
import type { ExperimentResults } from '../int/report';
import { pairedBootstrap, type BootstrapOptions, type Interval, type ProblemOutcome } from '../int/stats';
import { createRng } from '../util/random';

export interface CompareRow {
  arm: string;
  label: string;
  /** "all" or a tier name. */
  tier: string;
  /** pass@1 of the arm in this run / the other run (null: not in that run). */
  mine: Interval | null;
  theirs: Interval | null;
  /** mine - theirs in percentage points; null when either is missing. */
  diff: number | null;
  /** The difference's interval in points; null when it cannot be computed (a run without
   *  per-problem outcomes, or a side missing). */
  ci: [number, number] | null;
}

export interface Comparison {
  /** The differences are paired (same test problems in both runs) or unpaired. */
  paired: boolean;
  /** Why they are not paired, one line; null when paired. */
  reason: string | null;
  /** Problems behind a paired difference (shared), or each run's own test problems. */
  problems: { mine: number; theirs: number; shared: number };
  /** Level of the intervals (this run's eval.bootstrap.level). */
  level: number;
  rows: CompareRow[];
}

/** Why two runs' numbers may not be comparable (different model, task, test set size or eval budget). */
export function compareCaveats(mine: ExperimentResults, theirs: ExperimentResults): string[] {
  const out: string[] = [];
  if (mine.model !== theirs.model) out.push(`different models (${mine.model} / ${theirs.model})`);
  if (mine.task !== theirs.task) out.push(`different tasks (${mine.task} / ${theirs.task})`);
  if (mine.problems.test !== theirs.problems.test) out.push(`different test sets (${mine.problems.test} / ${theirs.problems.test} problems)`);
  if (mine.config.eval.samples !== theirs.config.eval.samples) out.push(`different samples per problem (${mine.config.eval.samples} / ${theirs.config.eval.samples})`);
  return out;
}

/** Percentile bootstrap of mean(a) - mean(b) for two independent samples (one value per problem):
 *  each resample draws a's problems and b's problems with replacement from separate seeded
 *  streams. `estimate` is mean(a) - mean(b); NaNs when either side is empty. */
export function unpairedBootstrap(a: readonly number[], b: readonly number[], opts: BootstrapOptions = {}): Interval {
  const B = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  if (!Number.isSafeInteger(B) || B < 1) throw new Error(`bootstrap: resamples must be an integer >= 1, got ${B}; use 1000`);
  if (!(level > 0 && level < 1)) throw new Error(`bootstrap: level must be in (0, 1), got ${level}; use 0.95`);
  if (a.length === 0 || b.length === 0) return { estimate: NaN, lo: NaN, hi: NaN };
  const seed = opts.seed ?? 0;
  const ra = createRng(`${seed}:unpaired:a`);
  const rb = createRng(`${seed}:unpaired:b`);
  const draw = (xs: readonly number[], rng: ReturnType<typeof createRng>) => {
    let s = 0;
    for (let j = 0; j < xs.length; j++) s += xs[Math.floor(rng.next() * xs.length)];
    return s / xs.length;
  };
  const diffs = new Array<number>(B);
  for (let i = 0; i < B; i++) diffs[i] = draw(a, ra) - draw(b, rb);
  diffs.sort((x, y) => x - y);
  const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return { estimate: mean(a) - mean(b), lo: quantile(diffs, (1 - level) / 2), hi: quantile(diffs, (1 + level) / 2) };
}

/** Quantile with linear interpolation between order statistics (sorted input). */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < sorted.length ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}

/** A run's held-out problem ids (every arm is evaluated on the same ones), or null when the run
 *  does not record per-problem outcomes. */
function testIds(r: ExperimentResults): Set<string> | null {
  const arms = Object.values(r.arms);
  if (arms.length === 0 || arms.some((a) => !a.outcomes)) return null;
  return new Set(arms.flatMap((a) => a.outcomes!.map((o) => o.problemId)));
}

const canonical = (v: unknown): string =>
  v !== null && typeof v === 'object' && !Array.isArray(v)
    ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`
    : Array.isArray(v) ? `[${v.map(canonical).join(',')}]` : JSON.stringify(v);

/** Whether the two runs' differences can be paired, and if not why (one line). Paired needs
 *  per-problem outcomes in both runs, the same task, the same chains world (ids alone do not
 *  name a generated problem) and the same held-out problem ids. */
export function comparePairing(mine: ExperimentResults, theirs: ExperimentResults): { paired: boolean; reason: string | null; problems: Comparison['problems'] } {
  const a = testIds(mine);
  const b = testIds(theirs);
  const shared = a && b ? [...a].filter((id) => b.has(id)).length : 0;
  const problems = { mine: a?.size ?? mine.problems.test, theirs: b?.size ?? theirs.problems.test, shared };
  const no = (reason: string) => ({ paired: false, reason, problems });
  if (!a || !b) {
    const which = !a && !b ? 'neither run records' : !a ? 'this run does not record' : 'the other run does not record';
    return no(`${which} its per-problem outcomes (saved before they were recorded), so the difference has no interval: judge the two intervals`);
  }
  if (mine.task !== theirs.task) return no(`the runs evaluated different tasks (${mine.task} / ${theirs.task}), so no problem is in both test sets`);
  if (mine.config.data.task === 'chains' && canonical(mine.config.data.chains) !== canonical(theirs.config.data.chains)) {
    return no('the runs generated different chains worlds (data.chains differs), so the same problem id names different problems');
  }
  if (shared !== a.size || shared !== b.size) {
    return no(`the runs were evaluated on different test problems (${a.size} and ${b.size}, ${shared} in both: another dataset, data.testFraction, data.splitSeed or problem cap)`);
  }
  return { paired: true, reason: null, problems };
}

/** One row per arm of either run (this run's order first) and per tier ("all" first), with the
 *  paired or unpaired difference and its interval (this run's eval.bootstrap settings). */
export function compareRuns(mine: ExperimentResults, theirs: ExperimentResults): Comparison {
  const pairing = comparePairing(mine, theirs);
  const boot = mine.config.eval.bootstrap;
  const arms = [...new Set([...Object.keys(mine.arms), ...Object.keys(theirs.arms)])];
  const tiers = ['all', ...new Set([mine, theirs].flatMap((r) => Object.values(r.arms).flatMap((a) => Object.keys(a.eval.tiers))))];
  const pass1 = (r: ExperimentResults, arm: string, tier: string): Interval | null => {
    const a = r.arms[arm];
    if (!a) return null;
    return (tier === 'all' ? a.eval.overall : a.eval.tiers[tier])?.passAt['1'] ?? null;
  };
  const outcomes = (r: ExperimentResults, arm: string, tier: string): ProblemOutcome[] | null => {
    const os = r.arms[arm]?.outcomes;
    return os ? (tier === 'all' ? os : os.filter((o) => o.tier === tier)) : null;
  };
  const pts = (x: number) => Math.round(x * 1e4) / 100;
  const rows: CompareRow[] = [];
  for (const arm of arms) {
    const label = (mine.arms[arm] ?? theirs.arms[arm]).label;
    for (const tier of tiers) {
      const [m, t] = [pass1(mine, arm, tier), pass1(theirs, arm, tier)];
      if (!m && !t) continue;
      const row: CompareRow = { arm, label, tier, mine: m, theirs: t, diff: m && t ? 100 * (m.estimate - t.estimate) : null, ci: null };
      const [om, ot] = [outcomes(mine, arm, tier), outcomes(theirs, arm, tier)];
      if (row.diff !== null && om?.length && ot?.length) {
        const d = pairing.paired
          ? pairedBootstrap(om, ot, boot)
          : unpairedBootstrap(om.map((o) => o.c / o.n), ot.map((o) => o.c / o.n), boot);
        row.ci = [pts(d.lo), pts(d.hi)];
      }
      rows.push(row);
    }
  }
  return { ...pairing, level: boot.level, rows };
}

/** The hover definition of the comparison's difference column. */
export function differenceDefinition(c: Pick<Comparison, 'paired' | 'level'>, boot: { resamples: number }): string {
  const level = `${Math.round(c.level * 100)}%`;
  return c.paired
    ? `Paired difference: this run's pass@1 minus the other run's, in percentage points, on the same held-out problems; per problem the difference of success rates, then a ${level} percentile bootstrap over those problems (${boot.resamples} resamples, the same draw for both runs). A difference is resolved when its interval excludes zero.`
    : `Unpaired difference: this run's pass@1 minus the other run's, in percentage points, when the runs were not evaluated on the same problems; its ${level} interval resamples each run's own held-out problems independently (${boot.resamples} resamples, seeded) and takes the spread of the difference of the two means. It carries the spread between problems of both test sets, so it is wider than a paired interval would be. A difference is resolved when its interval excludes zero.`;
}
