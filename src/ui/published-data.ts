// The published run's numbers as the "Published result" view shows them, pure (no DOM): the
// provenance file (published.json), the headline sentence, the forest-plot rows, the pass@1 bars,
// arm colours and the definitions shown on hover. Everything is read from the run's results.json.
import { ARMS, type ArmId } from '../int/arms';
import { START_CONDITIONS, type StartCondition } from '../int/diagnostics';
import { pairedVerdict, resultTiers, signedPoints as signed, type ExperimentResults, type PairedDiff } from '../int/report';
import type { SeedsSummary } from '../int/seeds';

/** published.json, beside results.json: how the published run was made. */
export interface PublishedMeta {
  command: string;
  /** The seed(s) run; more than one means a seeds.json sits beside results.json. */
  seeds: number[];
  preset: string;
  model: string;
  model_sha256: string;
  machine: string;
  /** Wall-clock minutes of the run. */
  minutes: number;
}

/** published.json's object, checked; `seed` (one number) is read as `seeds: [seed]`. Throws naming
 *  the field that is missing or of the wrong type. */
export function parsePublishedMeta(x: unknown): PublishedMeta {
  if (!x || typeof x !== 'object') throw new Error('published.json: expected a JSON object');
  const o = x as Record<string, unknown>;
  const str = (k: string) => {
    if (typeof o[k] !== 'string' || o[k] === '') throw new Error(`published.json: "${k}" must be a non-empty string`);
    return o[k] as string;
  };
  const seeds = Array.isArray(o.seeds) ? o.seeds : typeof o.seed === 'number' ? [o.seed] : null;
  if (!seeds || seeds.length === 0 || !seeds.every((s) => Number.isSafeInteger(s) && (s as number) >= 0)) {
    throw new Error('published.json: "seeds" must be a non-empty list of non-negative integers (or "seed" one integer)');
  }
  if (typeof o.minutes !== 'number' || !(o.minutes >= 0)) throw new Error('published.json: "minutes" must be a non-negative number');
  return { command: str('command'), seeds: seeds as number[], preset: str('preset'), model: str('model'), model_sha256: str('model_sha256'), machine: str('machine'), minutes: o.minutes };
}

/** results.json's object, checked for the parts the view reads (arms, paired, config.eval,
 *  diagnostics); throws naming the first missing part. */
export function checkResults(x: unknown): ExperimentResults {
  const r = x as Partial<ExperimentResults> | null;
  if (!r || typeof r !== 'object') throw new Error('results.json: expected a JSON object');
  if (!r.arms || typeof r.arms !== 'object') throw new Error('results.json: no "arms"');
  if (!Array.isArray(r.paired)) throw new Error('results.json: no "paired" list (written by runs before paired differences were reported?)');
  if (!r.config?.eval?.bootstrap) throw new Error('results.json: no "config.eval.bootstrap"');
  if (!r.diagnostics?.table) throw new Error('results.json: no "diagnostics.table"');
  return r as ExperimentResults;
}

/** The tier the headline is about (the tier built for the method's premise); "all" when a run has
 *  no such tier. */
export const HEADLINE_TIER = 'critical';

export interface Headline {
  text: string;
  verdict: ReturnType<typeof pairedVerdict>;
  /** The paired difference stated, or null when the run has none. */
  diff: PairedDiff | null;
}

const levelPct = (r: ExperimentResults) => Math.round(100 * r.config.eval.bootstrap.level);

/** The headline: InT + RL against RL only on the critical tier (else over all tiers), from the
 *  paired interval, stated as it came out: higher, lower, or not resolved. With `seeds` (the
 *  seeds.json of several runs) it states the difference pooled over the seeds, then each seed's. */
export function headline(r: ExperimentResults, seeds: SeedsSummary | null = null): Headline {
  const pick = (tier: string) => r.paired.find((d) => d.arm === 'int_rl' && d.versus === 'rl' && d.tier === tier);
  const pooled = (tier: string) => seeds?.pooled.find((d) => d.arm === 'int_rl' && d.versus === 'rl' && d.tier === tier);
  const p = seeds && seeds.seeds.length > 1 ? (pooled(HEADLINE_TIER) ?? pooled('all') ?? null) : null;
  const d = p ?? pick(HEADLINE_TIER) ?? pick('all') ?? null;
  if (!d) {
    return { text: 'This run has no paired comparison of InT + RL against RL only (one of the two arms did not run), so it states no headline; the tables below show what it measured.', verdict: 'n/a', diff: null };
  }
  const where = d.tier === 'all' ? 'over all tiers' : `on the ${d.tier} tier`;
  let iv = `${levelPct(r)}% paired interval [${signed(d.ci95[0])}, ${signed(d.ci95[1])}] over ${d.problems} held-out problems`;
  if (p && seeds) {
    const per = seeds.runs.map((x) => ({ seed: x.seed, d: x.intVsRl.find((y) => y.tier === d.tier) })).filter((x) => x.d);
    const each = per.map((x) => `seed ${x.seed} ${signed(x.d!.diff)} [${signed(x.d!.ci95[0])}, ${signed(x.d!.ci95[1])}]`).join(', ');
    iv = `pooled over seeds ${seeds.seeds.join(', ')}; ${iv} x ${p.seeds} seeds${each ? `; per seed: ${each}` : ''}`;
  }
  const verdict = pairedVerdict(d);
  const text = {
    higher: `InT + RL beats RL only ${where}: pass@1 is ${signed(d.diff)} points higher (${iv}). The interval excludes zero.`,
    lower: `InT + RL does worse than RL only ${where}: pass@1 is ${Math.abs(d.diff).toFixed(1)} points lower (${signed(d.diff)}, ${iv}). The interval excludes zero: in this run RL only is better.`,
    unresolved:
      `InT + RL against RL only ${where}: ${signed(d.diff)} points of pass@1 (${iv}). The interval includes zero, so this run does not resolve a difference` +
      (d.diff < 0 ? '; the point estimate favours RL only.' : d.diff > 0 ? '; the point estimate favours InT + RL.' : '.'),
    'n/a': `InT + RL against RL only ${where}: not measured (the interval is undefined).`,
  }[verdict];
  return { text, verdict, diff: d };
}

/** An arm's short name: its results-table label without the leading "+ " ("InT + RL", "RL"). */
export function armName(r: Pick<ExperimentResults, 'arms'>, id: string): string {
  return (r.arms[id]?.label ?? ARMS[id as ArmId]?.label ?? id).replace(/^\+ /, '');
}

/** What an arm is, for its hover text: "int_rl: SFT on prefix + ..., then RL". */
export function armDefinition(id: string): string {
  const a = ARMS[id as ArmId];
  return a ? `${id}: ${a.description}` : id;
}

const COLOURS: Record<ArmId, string> = {
  base: '#7f7f7f',
  rl: '#1f77b4',
  hint_rl: '#17becf',
  sft_ref_rl: '#2ca02c',
  sft_reflect_rl: '#bcbd22',
  int_rl: '#d62728',
  int_sft: '#ff7f0e',
  int_sft_no_filter: '#e377c2',
  int_sft_no_prefix_loss: '#9467bd',
  int_sft_with_suffix: '#8c564b',
  sft_ref: '#98df8a',
};

/** One colour per arm id, the same in every chart of the view. */
export function armColour(id: string): string {
  return COLOURS[id as ArmId] ?? '#444444';
}

/** One row of the forest plot: a paired difference in points with its interval. */
export interface ForestRow {
  arm: string;
  versus: string;
  tier: string;
  /** "InT + RL − RL" (a minus sign). */
  label: string;
  diff: number;
  lo: number;
  hi: number;
  problems: number;
  verdict: ReturnType<typeof pairedVerdict>;
  /** The row the headline states. */
  headline: boolean;
}

/** Every entry of results.paired, in its order (each comparison overall, then per tier). */
export function forestRows(r: ExperimentResults, seeds: SeedsSummary | null = null): ForestRow[] {
  // with several seeds the headline states the pooled difference, which is not one of these rows
  const h = headline(r, seeds).diff;
  return r.paired.map((d) => ({
    arm: d.arm,
    versus: d.versus,
    tier: d.tier,
    label: `${armName(r, d.arm)} − ${armName(r, d.versus)}`,
    diff: d.diff,
    lo: d.ci95[0],
    hi: d.ci95[1],
    problems: d.problems,
    verdict: pairedVerdict(d),
    headline: d === h,
  }));
}

/** The x range of the forest plot: every finite interval end and zero, widened to multiples of 5. */
export function forestDomain(rows: readonly Pick<ForestRow, 'diff' | 'lo' | 'hi'>[]): [number, number] {
  const xs = rows.flatMap((d) => [d.diff, d.lo, d.hi]).filter(Number.isFinite);
  const lo = Math.floor(Math.min(0, ...xs) / 5) * 5;
  const hi = Math.ceil(Math.max(0, ...xs) / 5) * 5;
  return lo === hi ? [lo - 5, hi + 5] : [lo, hi];
}

/** One bar: an arm's pass@1 on a tier ("all" = every tier), in %, with its interval. */
export interface PassBar {
  arm: string;
  tier: string;
  estimate: number;
  lo: number;
  hi: number;
  problems: number;
}

/** pass@1 per arm (results order) and tier ("all", then the evaluated tiers). */
export function passBars(r: ExperimentResults): { tiers: string[]; arms: string[]; bars: PassBar[] } {
  const tiers = ['all', ...resultTiers(r)];
  const arms = Object.keys(r.arms);
  const bars: PassBar[] = [];
  for (const tier of tiers) {
    for (const arm of arms) {
      const g = tier === 'all' ? r.arms[arm].eval.overall : r.arms[arm].eval.tiers[tier];
      const p = g?.passAt['1'];
      if (p) bars.push({ arm, tier, estimate: 100 * p.estimate, lo: 100 * p.lo, hi: 100 * p.hi, problems: g.problems });
    }
  }
  return { tiers, arms, bars };
}

export type StatTerm = 'pass@1' | 'pass@k' | 'interval' | 'paired' | 'zero-variance' | 'starts' | 'solved' | 'tier';

/** The definitions shown on hover, with the run's own numbers (samples, resamples, level). */
export function statDefinitions(r: ExperimentResults): Record<StatTerm, string> {
  const b = r.config.eval.bootstrap;
  const n = r.config.eval.samples;
  return {
    'pass@1': `pass@1: the share of sampled answers that are right, per held-out problem (correct / ${n} samples), averaged over the problems.`,
    'pass@k': `pass@k: the chance that at least one of k samples of a problem is right (unbiased estimate from the ${n} samples drawn), averaged over the problems.`,
    interval: `${levelPct(r)}% interval: percentile bootstrap over the held-out problems (${b.resamples} resamples with replacement, seeded). It covers which problems were drawn for the test set, not the spread between training seeds.`,
    paired:
      'Paired difference: pass@1 of one arm minus pass@1 of another, in percentage points, on the same held-out problems; per problem the difference of success rates, ' +
      'then a bootstrap over problems with the same draw for both arms. Pairing removes the spread between problems, so it resolves smaller differences than two separate intervals. ' +
      'A difference is resolved when its interval excludes zero.',
    'zero-variance':
      'Zero-variance share: at an arm\'s first RL step, the share of prompt groups whose samples were all right or all wrong. Their rewards are all equal, so the group-relative ' +
      'advantage is zero and RL learns nothing from them; InT is meant to lower it on problems the model never solves.',
    starts: 'Starts: continuation starting points, one per kept intervention in each condition, each sampled the same number of times.',
    solved: 'Solved: never-solved training problems that at least one continuation from this start answered right.',
    tier: 'Tier: a difficulty band of the procedural chains world; "all" is every held-out problem. The critical tier has one step the model gets wrong systematically.',
  };
}

/** The four start conditions of the diagnostics table by name. */
export const START_NAMES: Readonly<Record<StartCondition, string>> = {
  problem_only: 'problem only',
  prefix: 'prefix',
  prefix_original: 'prefix + original step',
  prefix_intervention: 'prefix + intervention',
};

/** The four start conditions of the diagnostics table, as their hover text says them. */
export const START_DEFINITIONS: Readonly<Record<StartCondition, string>> = {
  problem_only: 'problem only: a fresh attempt from the bare problem, with the same number of samples as each of the other starts.',
  prefix: 'prefix: continue from the failed attempt\'s steps before the step the verifier flagged, without that step.',
  prefix_original: 'prefix + original step: continue from the prefix followed by the attempt\'s own (wrong) step.',
  prefix_intervention: 'prefix + intervention: continue from the prefix followed by the model\'s self-proposed corrected step, the text InT trains on.',
};

/** The diagnostics rows in START_CONDITIONS order (runs without the summary read the full table). */
export function continuationRows(r: ExperimentResults): { condition: StartCondition; starts: number; problems: number; solved: number; correct: number; samples: number }[] {
  return START_CONDITIONS.map((c) => {
    const t = r.diagnostics.table.rows[c];
    const row = r.diagnostics.continuation?.[c] ?? { ...t, starts: t.starts ?? 0 };
    return { condition: c, starts: row.starts, problems: row.problems, solved: row.solved, correct: row.correct, samples: row.samples };
  });
}

/** Credit assignment as the run measured it, in one sentence: on the never-solved training problems,
 *  how often a continuation succeeds from the prefix alone against the prefix + the model's own
 *  intervention (the diagnostics table), or null when the run kept no intervention to measure. */
export function mechanismSentence(r: ExperimentResults): string | null {
  const rows = continuationRows(r);
  const at = (c: StartCondition) => rows.find((x) => x.condition === c)!;
  const pre = at('prefix');
  const iv = at('prefix_intervention');
  if (iv.samples === 0 || pre.samples === 0) return null;
  const share = (x: { correct: number; samples: number }) => `${x.correct} of ${x.samples} samples (${((100 * x.correct) / x.samples).toFixed(0)}%)`;
  const orig = at('prefix_original');
  const tail = orig.samples > 0 ? `; with the attempt's own step put back, ${share(orig)}` : '';
  return (
    `Credit assignment, measured: on the ${iv.problems} never-solved training problem${iv.problems === 1 ? '' : 's'} with a kept intervention, continuing a failed attempt ` +
    `from the steps before the flagged step succeeds in ${share(pre)}${tail}; from those steps + the model's own corrected step, in ${share(iv)} ` +
    `(solved ${iv.solved} of ${iv.problems} problems). That one step is what InT trains on.`
  );
}
