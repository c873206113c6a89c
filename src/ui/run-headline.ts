// A run's headline numbers for lists (saved runs): held-out pass@1 of InT + RL and of RL only on
// the critical tier (else over all tiers), and their paired difference when the run has it. Pure.
import type { ExperimentResults, PairedDiff } from '../int/report';
import type { Interval } from '../int/stats';
import { HEADLINE_TIER } from './published-data';

export interface RunHeadline {
  /** The tier the numbers are about: "critical", else "all". */
  tier: string;
  intRl: Interval | null;
  rl: Interval | null;
  /** pass@1(int_rl) - pass@1(rl) in points on `tier`, with its paired interval. */
  diff: PairedDiff | null;
}

/** The headline numbers of a run (any of them null when that arm or comparison did not run). */
export function runHeadline(r: Pick<ExperimentResults, 'arms' | 'paired'>): RunHeadline {
  const hasTier = Object.values(r.arms).some((a) => a.eval?.tiers?.[HEADLINE_TIER]);
  const tier = hasTier ? HEADLINE_TIER : 'all';
  const pass1 = (id: string): Interval | null => {
    const e = r.arms[id]?.eval;
    if (!e) return null;
    return (tier === 'all' ? e.overall : e.tiers[tier])?.passAt['1'] ?? null;
  };
  const diff = (r.paired ?? []).find((d) => d.arm === 'int_rl' && d.versus === 'rl' && d.tier === tier) ?? null;
  return { tier, intRl: pass1('int_rl'), rl: pass1('rl'), diff };
}

const pct = (i: Interval | null) => (i && Number.isFinite(i.estimate) ? `${(100 * i.estimate).toFixed(1)}%` : 'n/a');
const signed = (x: number) => `${x > 0 ? '+' : ''}${x.toFixed(1)}`;

/** The headline as table cells: [tier, InT + RL pass@1, RL pass@1, paired difference]. */
export function headlineCells(h: RunHeadline): [string, string, string, string] {
  const d = h.diff ? `${signed(h.diff.diff)} pts [${signed(h.diff.ci95[0])}, ${signed(h.diff.ci95[1])}]` : 'n/a';
  return [h.tier, pct(h.intRl), pct(h.rl), d];
}
