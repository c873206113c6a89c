// Several seeds of one experiment, summarised: each seed's headline (pass@1 per arm and tier, the
// paired InT + RL - RL difference per tier) and the pooled paired differences over all seeds
// (seeds.json / seeds.md). Pure: the runs' results and per-problem outcomes in, numbers out.

import { pairedVerdict, PAIRED_COMPARISONS, signedPoints as signed, type ExperimentResults, type PairedDiff } from './report';
import { bootstrapMean, pairedProblemDiffs, type BootstrapOptions, type ProblemOutcome } from './stats';

/** One finished seed: its results.json and each arm's per-problem held-out outcomes. */
export interface SeedRun {
  seed: number;
  /** Its run folder, relative to the seeds folder ("seed-3"). */
  dir: string;
  results: Pick<ExperimentResults, 'arms' | 'paired'>;
  outcomes: Record<string, ProblemOutcome[]>;
}

/** A paired difference pooled over seeds (percentage points of pass@1). */
export interface PooledDiff extends PairedDiff {
  /** Problem x seed pairs that entered (`problems` counts distinct problems). */
  units: number;
  /** Seeds where both arms ran. */
  seeds: number;
}

export interface SeedsSummary {
  format: 'int-lab-seeds';
  version: 1;
  preset: string | null;
  seeds: number[];
  /** How the pooled intervals were computed (POOLING). */
  pooling: string;
  bootstrap: Required<BootstrapOptions>;
  runs: { seed: number; dir: string; pass1: Record<string, Record<string, number>>; intVsRl: PairedDiff[] }[];
  pooled: PooledDiff[];
}

/** The pooling rule, as seeds.json and seeds.md state it. */
export const POOLING =
  'per test problem, the pass@1 differences of the seeds that evaluated it are averaged (a problem is one unit, its seeds ' +
  'repeated measurements of it); percentile bootstrap over problems. With the same test problems in every seed (the chains ' +
  'world draws them from its own seed) this resamples problems, not seeds: the spread between seeds shows in the per-seed rows.';

const round2 = (x: number) => Math.round(x * 100) / 100;

/** pass@1(arm) - pass@1(versus) pooled over the runs, per problem averaged over seeds, for `tier`
 *  ("all" = every tier); null when no run has both arms. */
export function pooledPairedDiff(runs: readonly SeedRun[], arm: string, versus: string, tier: string, bootstrap: BootstrapOptions): PooledDiff | null {
  const per = new Map<string, { sum: number; n: number }>();
  let units = 0;
  let seeds = 0;
  for (const r of runs) {
    const a = r.outcomes[arm];
    const b = r.outcomes[versus];
    if (!a || !b) continue;
    const pick = (xs: ProblemOutcome[]) => (tier === 'all' ? xs : xs.filter((o) => o.tier === tier));
    const diffs = pairedProblemDiffs(pick(a), pick(b));
    if (diffs.length === 0) continue;
    seeds++;
    for (const d of diffs) {
      const e = per.get(d.problemId) ?? { sum: 0, n: 0 };
      e.sum += d.diff;
      e.n++;
      per.set(d.problemId, e);
      units++;
    }
  }
  if (seeds === 0) return null;
  const iv = bootstrapMean([...per.values()].map((e) => e.sum / e.n), bootstrap);
  return { arm, versus, tier, diff: round2(100 * iv.estimate), ci95: [round2(100 * iv.lo), round2(100 * iv.hi)], problems: per.size, units, seeds };
}

/** Tiers of the runs' outcomes, first-seen order. */
function tiersOf(runs: readonly SeedRun[]): string[] {
  return [...new Set(runs.flatMap((r) => Object.values(r.outcomes).flatMap((os) => os.map((o) => o.tier))))];
}

/** seeds.json's object: per seed its headline, then every PAIRED_COMPARISONS pair pooled over the
 *  seeds, overall and per tier. */
export function summarizeSeeds(runs: readonly SeedRun[], preset: string | null, bootstrap: Required<BootstrapOptions>): SeedsSummary {
  const seen = new Set<number>();
  for (const r of runs) {
    if (seen.has(r.seed)) throw new Error(`summarizeSeeds: seed ${r.seed} appears twice; each seed is one run`);
    seen.add(r.seed);
  }
  const tiers = tiersOf(runs);
  const out: SeedsSummary = { format: 'int-lab-seeds', version: 1, preset, seeds: runs.map((r) => r.seed), pooling: POOLING, bootstrap, runs: [], pooled: [] };
  for (const r of runs) {
    const pass1: Record<string, Record<string, number>> = {};
    for (const [id, a] of Object.entries(r.results.arms)) {
      pass1[id] = { all: round2(100 * (a.eval.overall.passAt['1']?.estimate ?? NaN)) };
      for (const t of Object.keys(a.eval.tiers)) pass1[id][t] = round2(100 * (a.eval.tiers[t].passAt['1']?.estimate ?? NaN));
    }
    out.runs.push({ seed: r.seed, dir: r.dir, pass1, intVsRl: r.results.paired.filter((d) => d.arm === 'int_rl' && d.versus === 'rl') });
  }
  for (const [arm, versus] of PAIRED_COMPARISONS) {
    for (const tier of ['all', ...tiers]) {
      const d = pooledPairedDiff(runs, arm, versus, tier, bootstrap);
      if (d) out.pooled.push(d);
    }
  }
  return out;
}

const num = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const interval = (d: Pick<PairedDiff, 'diff' | 'ci95'>) => `${signed(d.diff)} [${signed(d.ci95[0])}, ${signed(d.ci95[1])}]`;

/** seeds.md: per-seed pass@1 and InT + RL - RL, then the pooled paired differences. */
export function seedsMarkdown(s: SeedsSummary, labels: Record<string, string> = {}): string {
  const label = (id: string) => labels[id] ?? id;
  const tiers = [...new Set(['all', ...s.runs.flatMap((r) => Object.values(r.pass1).flatMap((t) => Object.keys(t)))])];
  const L: string[] = [`# InT experiment over seeds${s.preset ? `: ${s.preset}` : ''}`, ''];
  L.push(`Seeds ${s.seeds.join(', ')}; each run is a complete experiment folder (${s.runs.map((r) => `${r.dir}/`).join(', ')}) with its own results.md. pass@1 in %, differences in percentage points, intervals ${Math.round(100 * s.bootstrap.level)}% paired bootstrap (${s.bootstrap.resamples} resamples).`, '');
  L.push('## pass@1 per seed (held-out, %)', '', `| seed | arm | ${tiers.join(' | ')} |`, `|---|---|${tiers.map(() => '---').join('|')}|`);
  for (const r of s.runs) for (const [id, p] of Object.entries(r.pass1)) L.push(`| ${r.seed} | ${label(id)} | ${tiers.map((t) => num(p[t])).join(' | ')} |`);
  L.push('', '## InT + RL - RL only, per seed (paired over the test problems)', '', `| seed | ${tiers.join(' | ')} |`, `|---|${tiers.map(() => '---').join('|')}|`);
  for (const r of s.runs) {
    const cell = (t: string) => {
      const d = r.intVsRl.find((x) => x.tier === t);
      return d ? interval(d) : 'n/a';
    };
    L.push(`| ${r.seed} | ${tiers.map(cell).join(' | ')} |`);
  }
  L.push('', '## Pooled over seeds', '', `Pooling: ${s.pooling}`, '');
  L.push('| arm | versus | tier | difference [95% interval] | problems | problem x seed units | seeds | reading |', '|---|---|---|---|---|---|---|---|');
  for (const d of s.pooled) L.push(`| ${label(d.arm)} | ${label(d.versus)} | ${d.tier} | ${interval(d)} | ${d.problems} | ${d.units} | ${d.seeds} | ${pairedVerdict(d)} |`);
  return L.join('\n') + '\n';
}
