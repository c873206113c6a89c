// Two runs side by side: per arm and tier both runs' held-out pass@1 with their intervals and the
// difference of the estimates. Run records keep per-arm summaries, not per-problem outcomes, so the
// difference is not paired: it is a reading aid, and the two intervals are what to judge. Pure.
import type { ExperimentResults } from '../int/report';
import type { Interval } from '../int/stats';

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

/** One row per arm of either run (this run's order first) and per tier ("all" first). */
export function compareRuns(mine: ExperimentResults, theirs: ExperimentResults): CompareRow[] {
  const arms = [...new Set([...Object.keys(mine.arms), ...Object.keys(theirs.arms)])];
  const tiers = ['all', ...new Set([mine, theirs].flatMap((r) => Object.values(r.arms).flatMap((a) => Object.keys(a.eval.tiers))))];
  const pass1 = (r: ExperimentResults, arm: string, tier: string): Interval | null => {
    const a = r.arms[arm];
    if (!a) return null;
    return (tier === 'all' ? a.eval.overall : a.eval.tiers[tier])?.passAt['1'] ?? null;
  };
  const rows: CompareRow[] = [];
  for (const arm of arms) {
    const label = (mine.arms[arm] ?? theirs.arms[arm]).label;
    for (const tier of tiers) {
      const [m, t] = [pass1(mine, arm, tier), pass1(theirs, arm, tier)];
      if (!m && !t) continue;
      rows.push({ arm, label, tier, mine: m, theirs: t, diff: m && t ? 100 * (m.estimate - t.estimate) : null });
    }
  }
  return rows;
}
