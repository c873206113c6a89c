// The outputs of an experiment: results.json (numbers only, no timings, so the same seed gives
// the same file), results.md (arms table, pipeline counts, zero-advantage share at RL step 1,
// diagnostics), metrics.csv (every step of every arm) and interventions.jsonl (one line per
// verifier output with its problem, reference, verdicts and continuation outcomes).

import { formatJsonl } from '../io/datasets/jsonl';
import { METRIC_COLUMNS, csvRow } from '../train/metrics';
import type { IntConfig } from './config';
import { continuationSummary, START_CONDITIONS, type ContinuationRecord, type ContinuationSummaryRow, type StartCondition } from './diagnostics';
import type { CandidateVerdict, FilterCounts, FilterResult, VerdictStatus } from './filter';
import { zeroVarianceShare, type ArmMechanism } from './mechanism';
import { splice } from './splice';
import type { DroppedProblems } from './prompt-fit';
import type { Attempt, ContinuationCheck, Diagnostics, PoolResult, Proposal, Reflection, SftSets } from './stages';
import { pairedBootstrap, type Interval, type ProblemOutcome } from './stats';
import type { EvalResult, TrainLog } from './train-arm';

export interface ArmResult {
  id: string;
  label: string;
  sft: TrainLog;
  rl: TrainLog;
  eval: EvalResult;
}

export interface ExperimentResults {
  preset: string | null;
  model: string;
  /** Storage of the base model's matrices as loaded (config.modelDtype resolved on this adapter).
   *  Absent in files written before it was recorded. */
  modelDtype?: 'f16' | 'f32';
  task: string;
  seed: number;
  config: IntConfig;
  problems: { train: number; test: number; pool: number };
  /** Problems dropped before the first stage because a prompt leaves the completion no room in
   *  the model's context (src/int/prompt-fit.ts), with their ids; `problems` counts the others.
   *  Absent in files written before it was recorded. */
  droppedProblems?: DroppedProblems;
  pipeline: {
    rollouts: { attempts: number; correct: number; failures: number; problemsNeverSolved: number };
    proposals: { attempts: number; outputs: number };
    filter: FilterCounts;
    afterContinuation: FilterCounts;
    continuation: { checked: number; samples: number; correct: number } | null;
    reflections: { total: number; correct: number };
    sftRows: { [K in keyof SftSets]: number };
  };
  /** `continuation`: per start condition { problems, solved, correct, samples, starts }, every
   *  start sampled `samplesPerStart` times; `table` is the full ContinuationTable (the UI reads it). */
  diagnostics: Pick<Diagnostics, 'table' | 'location'> & { neverSolved: number; samplesPerStart: number; continuation: Record<StartCondition, ContinuationSummaryRow> };
  /** `rlDropped`: training problems the arm's RL left out because its prompt (plain or hint) plus
   *  rl.maxCompletionLength does not fit the context (absent in files written before it was recorded).
   *  `outcomes`: per held-out problem { problemId, tier, n samples, c correct }, what a comparison
   *  of two runs resamples (absent in files written before it was recorded). */
  arms: Record<string, { label: string; sftRows: number; sftDropped: number; sftSteps: number; rlSteps: number; rlDropped?: number; eval: EvalResult['summary']; outcomes?: ProblemOutcome[] }>;
  /** Paired differences of pass@1 between arms on the same test problems (PAIRED_COMPARISONS, where
   *  both arms ran), overall (tier "all") and per tier. */
  paired: PairedDiff[];
  /** Per arm with RL: the share of prompt groups with all-equal rewards (zero advantage) at its
   *  first RL step, overall and per tier of the step's prompts. */
  mechanism: Record<string, ArmMechanism>;
  /** Per arm, per-step metrics (metrics.csv; left out of results.json). */
  metrics: { arm: string; stage: 'sft' | 'rl'; steps: TrainLog['steps'] }[];
}

/** pass@1(arm) - pass@1(versus) in percentage points, with its paired 95% bootstrap interval over
 *  the `problems` test problems of `tier` ("all" = every tier). */
export interface PairedDiff {
  arm: string;
  versus: string;
  tier: string;
  diff: number;
  ci95: [number, number];
  problems: number;
}

/** The comparisons results.json reports, [arm, versus]: the method against each baseline, then
 *  each training arm against the untrained model. */
export const PAIRED_COMPARISONS: readonly (readonly [string, string])[] = [
  ['int_rl', 'rl'],
  ['int_rl', 'sft_ref_rl'],
  ['int_rl', 'hint_rl'],
  ['int_rl', 'sft_reflect_rl'],
  ['int_rl', 'base'],
  ['rl', 'base'],
  ['sft_ref_rl', 'rl'],
];

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Paired differences for every PAIRED_COMPARISONS pair whose arms both ran: overall, then per tier. */
export function pairedDiffs(arms: Record<string, { eval: { outcomes: ProblemOutcome[] } }>, bootstrap: { resamples: number; seed: number; level: number }): PairedDiff[] {
  const out: PairedDiff[] = [];
  for (const [arm, versus] of PAIRED_COMPARISONS) {
    const a = arms[arm]?.eval.outcomes;
    const b = arms[versus]?.eval.outcomes;
    if (!a || !b) continue;
    const tiers = [...new Set(a.map((o) => o.tier))];
    for (const tier of ['all', ...tiers]) {
      const pick = (xs: ProblemOutcome[]) => (tier === 'all' ? xs : xs.filter((o) => o.tier === tier));
      const d = pairedBootstrap(pick(a), pick(b), bootstrap);
      out.push({ arm, versus, tier, diff: round2(100 * d.estimate), ci95: [round2(100 * d.lo), round2(100 * d.hi)], problems: d.problems });
    }
  }
  return out;
}

/** The data stages' outputs (what reports and viewers need besides the arms). */
export interface PipelineData {
  pool: PoolResult;
  attempts: Attempt[];
  proposals: Proposal[];
  filtered: FilterResult;
  checked: ContinuationCheck;
  reflections: Reflection[];
  diagnostics: Diagnostics;
  sets: SftSets;
}

export interface ReportInputs extends PipelineData {
  config: IntConfig;
  preset: string | null;
  model: string;
  modelDtype?: 'f16' | 'f32';
  task: string;
  train: number;
  test: number;
  arms: Record<string, ArmResult>;
  /** Problems dropped up front (results.json's droppedProblems; left out when not given). */
  droppedProblems?: DroppedProblems;
}

/** Assemble results.json's object. */
export function buildReport(x: ReportInputs): ExperimentResults {
  const armsOut: ExperimentResults['arms'] = {};
  const metrics: ExperimentResults['metrics'] = [];
  const mechanism: ExperimentResults['mechanism'] = {};
  for (const a of Object.values(x.arms)) {
    armsOut[a.id] = { label: a.label, sftRows: a.sft.rows, sftDropped: a.sft.dropped, sftSteps: a.sft.steps.length, rlSteps: a.rl.steps.length, rlDropped: a.rl.dropped, eval: a.eval.summary, outcomes: a.eval.outcomes };
    metrics.push({ arm: a.id, stage: 'sft', steps: a.sft.steps }, { arm: a.id, stage: 'rl', steps: a.rl.steps });
    if (a.rl.firstStepGroups?.length) mechanism[a.id] = zeroVarianceShare(a.rl.firstStepGroups);
  }
  const sftRows = Object.fromEntries(Object.entries(x.sets).map(([k, v]) => [k, v.length])) as ExperimentResults['pipeline']['sftRows'];
  const c = x.checked.outcomes;
  return {
    preset: x.preset,
    model: x.model,
    ...(x.modelDtype ? { modelDtype: x.modelDtype } : {}),
    task: x.task,
    seed: x.config.seed,
    config: x.config,
    problems: { train: x.train, test: x.test, pool: x.pool.problemIds.length },
    ...(x.droppedProblems ? { droppedProblems: { promptTooLong: x.droppedProblems.promptTooLong, ids: [...x.droppedProblems.ids] } } : {}),
    pipeline: {
      rollouts: {
        attempts: x.attempts.length,
        correct: x.attempts.filter((a) => a.correct).length,
        failures: x.attempts.filter((a) => !a.correct).length,
        problemsNeverSolved: x.diagnostics.neverSolved.length,
      },
      proposals: { attempts: x.proposals.length, outputs: x.proposals.reduce((n, p) => n + p.outputs.length, 0) },
      filter: x.filtered.counts,
      afterContinuation: x.checked.result.counts,
      continuation: x.config.continuation.enabled ? { checked: c.length, samples: c.reduce((n, o) => n + o.samples, 0), correct: c.reduce((n, o) => n + o.correct, 0) } : null,
      reflections: { total: x.reflections.length, correct: x.reflections.filter((r) => r.correct).length },
      sftRows,
    },
    diagnostics: {
      neverSolved: x.diagnostics.neverSolved.length,
      samplesPerStart: x.config.continuation.k,
      continuation: continuationSummary(x.diagnostics.table),
      table: x.diagnostics.table,
      location: x.diagnostics.location,
    },
    arms: armsOut,
    paired: pairedDiffs(x.arms, x.config.eval.bootstrap),
    mechanism,
    metrics,
  };
}

/** The tiers of the held-out evaluation, first-seen order over the arms. */
export function resultTiers(r: Pick<ExperimentResults, 'arms'>): string[] {
  return [...new Set(Object.values(r.arms).flatMap((a) => Object.keys(a.eval.tiers)))];
}

const pct = (v: number) => (Number.isFinite(v) ? (100 * v).toFixed(1) : 'n/a');
const ci = (i: Interval | undefined) => (i ? `${pct(i.estimate)} [${pct(i.lo)}, ${pct(i.hi)}]` : 'n/a');

/** results.md. */
export function resultsMarkdown(r: ExperimentResults): string {
  const ks = r.config.eval.ks;
  const tiers = resultTiers(r);
  const L: string[] = [];
  L.push(`# InT experiment${r.preset ? `: ${r.preset}` : ''}`, '');
  L.push(`Model: ${r.model}${r.modelDtype ? ` (${r.modelDtype} weights)` : ''}. Task: ${r.task}. Seed ${r.seed}. Problems: ${r.problems.train} train (pool ${r.problems.pool}), ${r.problems.test} held-out test; ${r.config.eval.samples} samples per test problem.${droppedLine(r)}`, '');
  L.push('## Arms (held-out, %, 95% bootstrap interval over problems)', '');
  L.push(`| arm | SFT rows | RL steps | ${ks.map((k) => `pass@${k}`).join(' | ')} | ${tiers.map((t) => `pass@1 ${t}`).join(' | ')} |`);
  L.push(`|---|---|---|${ks.map(() => '---').join('|')}|${tiers.map(() => '---').join('|')}|`);
  for (const a of Object.values(r.arms)) {
    L.push(`| ${a.label} | ${a.sftRows} | ${a.rlSteps} | ${ks.map((k) => ci(a.eval.overall.passAt[String(k)])).join(' | ')} | ${tiers.map((t) => ci(a.eval.tiers[t]?.passAt['1'])).join(' | ')} |`);
  }
  L.push('', ...readingLines(r, tiers));
  if (r.paired.length) {
    L.push('', `## Paired differences (pass@1, percentage points, ${pct(r.config.eval.bootstrap.level)}% paired bootstrap over the same test problems)`, '');
    L.push('| arm | versus | tier | difference | interval | problems |', '|---|---|---|---|---|---|');
    for (const d of r.paired) L.push(`| ${armLabel(r, d.arm)} | ${armLabel(r, d.versus)} | ${d.tier} | ${signedPoints(d.diff)} | [${signedPoints(d.ci95[0])}, ${signedPoints(d.ci95[1])}] | ${d.problems} |`);
  }
  L.push(...mechanismLines(r, tiers));
  const p = r.pipeline;
  L.push('', '## Pipeline', '');
  L.push(`- rollouts: ${p.rollouts.attempts} attempts, ${p.rollouts.correct} correct, ${p.rollouts.failures} failed; ${p.rollouts.problemsNeverSolved} problems never solved`);
  L.push(`- proposals: ${p.proposals.outputs} verifier outputs for ${p.proposals.attempts} failed attempts`);
  L.push(`- filter: ${Object.entries(p.filter.byStatus).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n}`).join(', ') || 'nothing'}`);
  const dups = (p.filter.byStatus.duplicate ?? 0) + (p.filter.byStatus.duplicate_across_attempts ?? 0);
  L.push(`- duplicates removed ${dups} rows: ${p.filter.byStatus.duplicate ?? 0} within an attempt, ${p.filter.byStatus.duplicate_across_attempts ?? 0} across the attempts of a problem (same prefix + intervention)`);
  if (p.continuation) L.push(`- continuation check: ${p.continuation.correct} of ${p.continuation.samples} continuations correct over ${p.continuation.checked} interventions; ${p.afterContinuation.byStatus.kept} kept`);
  L.push(`- self-reflections: ${p.reflections.correct} correct of ${p.reflections.total}`);
  const rlDropped = Object.values(r.arms).filter((a) => (a.rlDropped ?? 0) > 0);
  if (rlDropped.length) L.push(`- RL prompts left out (prompt + rl.maxCompletionLength over the context): ${rlDropped.map((a) => `${a.label} ${a.rlDropped}`).join(', ')}`);
  L.push(
    `- SFT rows: InT ${p.sftRows.interventions} (without the correctness filter ${p.sftRows.interventions_no_filter ?? 'n/a'}, ` +
      `loss on the intervention only ${p.sftRows.interventions_no_prefix_loss ?? 'n/a'}, with the correct suffix ${p.sftRows.interventions_with_suffix ?? 'n/a'}), ` +
      `reference ${p.sftRows.reference}, self-reflection ${p.sftRows.self_reflection}`,
  );
  const dg = r.diagnostics;
  L.push('', '## Diagnostics', '', `Never-solved problems: ${dg.neverSolved}. Solved at least once when continuing from (every start condition at ${dg.samplesPerStart} samples per start, one start per kept intervention):`, '');
  L.push('| start | starts | problems | solved | correct / samples |', '|---|---|---|---|---|');
  for (const c of START_CONDITIONS) {
    const row = dg.continuation?.[c] ?? { ...dg.table.rows[c], starts: dg.table.rows[c].starts ?? 0 };
    L.push(`| ${c.replace(/_/g, ' ')} | ${row.starts} | ${row.problems} | ${row.solved} | ${row.correct} / ${row.samples} |`);
  }
  const loc = r.diagnostics.location;
  if (loc) {
    L.push('', `Location accuracy (proposed == true first divergent step): ${loc.exact} of ${loc.scored} scored (${pct(loc.accuracy)}%); early ${loc.early}, late ${loc.late}; ${loc.proposed} of ${loc.total} attempts had a parsed location.`);
  }
  return L.join('\n') + '\n';
}

/** " N problems were dropped up front ..." for the header line of results.md (empty when none). */
function droppedLine(r: ExperimentResults): string {
  const d = r.droppedProblems;
  if (!d || d.promptTooLong === 0) return '';
  const ids = d.ids.length > 10 ? `${d.ids.slice(0, 10).join(', ')}, ...` : d.ids.join(', ');
  return ` ${d.promptTooLong} problem${d.promptTooLong === 1 ? ' was' : 's were'} dropped up front: a prompt leaves the completion no room in the model's context (${ids}).`;
}

/** The "Mechanism" section: zero-advantage groups at each RL arm's first step, overall and per tier. */
function mechanismLines(r: ExperimentResults, tiers: string[]): string[] {
  const ids = Object.keys(r.mechanism ?? {});
  if (ids.length === 0) return [];
  const cell = (c: { groups: number; zeroVariance: number; share: number } | undefined) => (c ? `${pct(c.share)}% (${c.zeroVariance} / ${c.groups})` : 'n/a');
  const L = ['', '## Mechanism: prompt groups with zero advantage at RL step 1 (all rewards equal)', ''];
  L.push(`| arm | all | ${tiers.join(' | ')} |`, `|---|---|${tiers.map(() => '---').join('|')}|`);
  for (const id of ids) {
    const m = r.mechanism[id];
    L.push(`| ${armLabel(r, id)} | ${cell(m)} | ${tiers.map((t) => cell(m.byTier[t])).join(' | ')} |`);
  }
  return L;
}

/** A difference in points with its sign ("+1.7", "-0.8", "0.0"), or n/a. */
export const signedPoints = (x: number): string => (Number.isFinite(x) ? `${x > 0 ? '+' : ''}${x.toFixed(1)}` : 'n/a');
const armLabel = (r: ExperimentResults, id: string) => r.arms[id]?.label ?? id;

/** What a paired interval says about arm - versus. */
export function pairedVerdict(d: Pick<PairedDiff, 'ci95'>): 'higher' | 'lower' | 'unresolved' | 'n/a' {
  const [lo, hi] = d.ci95;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return 'n/a';
  if (lo > 0) return 'higher';
  if (hi < 0) return 'lower';
  return 'unresolved';
}

/** The "Reading" section: the method's central comparison (InT + RL against RL only, pass@1,
 *  overall and per tier, hardest tier last), stated from the paired interval of the difference on
 *  the same test problems, whatever it says. Markdown lines: the heading, a blank line, then one
 *  "- " line per row (the app's published view shows the same lines). */
export function readingLines(r: ExperimentResults, tiers: string[] = resultTiers(r)): string[] {
  const int = r.arms.int_rl;
  const rl = r.arms.rl;
  const L = ['## Reading', ''];
  if (!int || !rl) return [...L, 'InT + RL and RL only were not both run, so the central comparison is not made.'];
  const rows: [string, string, Interval | undefined, Interval | undefined][] = [
    ['overall', 'all', int.eval.overall.passAt['1'], rl.eval.overall.passAt['1']],
    ...tiers.map((t): [string, string, Interval | undefined, Interval | undefined] => [t, t, int.eval.tiers[t]?.passAt['1'], rl.eval.tiers[t]?.passAt['1']]),
  ];
  const say = {
    higher: 'InT + RL is higher: the paired interval lies above zero',
    lower: 'RL only is higher: the paired interval lies below zero',
    unresolved: 'the paired interval contains zero: no difference is resolved at this scale',
    'n/a': 'not measured',
  };
  for (const [name, tier, a, b] of rows) {
    const d = r.paired.find((x) => x.arm === 'int_rl' && x.versus === 'rl' && x.tier === tier);
    const diff = d ? `, difference ${signedPoints(d.diff)} points [${signedPoints(d.ci95[0])}, ${signedPoints(d.ci95[1])}] over ${d.problems} problems` : '';
    L.push(`- ${name}: InT + RL ${ci(a)} vs RL only ${ci(b)}${diff}: ${say[d ? pairedVerdict(d) : 'n/a']}.`);
  }
  const base = r.arms.base?.eval.overall.passAt['1'];
  if (base) L.push(`- base model (no training): ${ci(base)} overall.`);
  return L;
}

/** metrics.csv: arm, stage, then the trainer's metric columns. */
export function metricsCsv(r: ExperimentResults): string {
  const lines = [`arm,stage,${METRIC_COLUMNS.join(',')}`];
  for (const m of r.metrics) for (const s of m.steps) lines.push(`${m.arm},${m.stage},${csvRow(s)}`);
  return lines.join('\n') + '\n';
}

/** Continuations from one start: correct of samples. */
export interface StartCount {
  samples: number;
  correct: number;
}

/** One line of interventions.jsonl. */
export interface InterventionRow {
  attemptId: string;
  problemId: string;
  tier: string;
  sample: number;
  /** The problem statement, its reference solution and gold answer (null in files written
   *  without them). */
  problem: string | null;
  reference: string | null;
  answer: string | null;
  attempt: string;
  steps: string[];
  verification: string;
  location: number | null;
  trueLocation: number | null;
  intervention: string | null;
  status: VerdictStatus;
  detail: string;
  spliced: string[] | null;
  /** The continuation check (prefix + intervention, continuation.k samples), when it ran. */
  continuation: StartCount | null;
  /** The diagnostics' continuations from each start (problem only, prefix, prefix + original step,
   *  prefix + intervention): kept interventions of never-solved training problems only, else null. */
  starts: Record<StartCondition, StartCount> | null;
}

/** What interventions.jsonl adds beside the proposals and verdicts, when the caller has it. */
export interface InterventionExtras {
  /** Problem texts by id (stages.problemTexts). */
  problems?: ReadonlyMap<string, { statement: string; reference: string; answer: string }>;
  /** The diagnostics stage's records. */
  diagnostics?: { records: readonly ContinuationRecord[] };
}

/** The diagnostics' starts of each intervention, keyed "attemptId#sample". Records carry their
 *  sample; older records (without it) belong to the one intervention of their attempt that was
 *  kept before the continuation check (filter.keep "first" keeps one per attempt). */
function startsByIntervention(records: readonly ContinuationRecord[], verdicts: readonly CandidateVerdict[]): Map<string, Record<StartCondition, StartCount>> {
  const keptBefore = new Map<string, number[]>();
  for (const v of verdicts) if (v.status === 'kept' || v.status === 'failed_continuation') (keptBefore.get(v.attemptId) ?? keptBefore.set(v.attemptId, []).get(v.attemptId)!).push(v.sample);
  const out = new Map<string, Record<StartCondition, StartCount>>();
  for (const r of records) {
    if (!r.attemptId) continue;
    const samples = keptBefore.get(r.attemptId) ?? [];
    const sample = r.sample ?? (samples.length === 1 ? samples[0] : undefined);
    if (sample === undefined) continue;
    const key = `${r.attemptId}#${sample}`;
    const row = out.get(key) ?? ({} as Record<StartCondition, StartCount>);
    const prev = row[r.condition];
    row[r.condition] = { samples: (prev?.samples ?? 0) + r.samples, correct: (prev?.correct ?? 0) + r.correct };
    out.set(key, row);
  }
  for (const [k, row] of out) if (!START_CONDITIONS.every((c) => row[c])) out.delete(k);
  return out;
}

/** interventions.jsonl: one line per verifier output (problem, reference, attempt, steps,
 *  verification text, parsed location and intervention, filter verdict, the spliced trace, the
 *  continuation check's outcome and the diagnostics' continuations from each start). */
export function interventionsJsonl(proposals: readonly Proposal[], checked: ContinuationCheck, extras: InterventionExtras = {}): string {
  return formatJsonl(interventionRows(proposals, checked, extras));
}

/** interventions.jsonl's rows. */
export function interventionRows(proposals: readonly Proposal[], checked: ContinuationCheck, extras: InterventionExtras = {}): InterventionRow[] {
  const prop = new Map(proposals.map((p) => [p.attemptId, p]));
  const cont = new Map(checked.outcomes.map((o) => [`${o.attemptId}#${o.sample}`, { samples: o.samples, correct: o.correct }]));
  const starts = startsByIntervention(extras.diagnostics?.records ?? [], checked.result.verdicts);
  return checked.result.verdicts.map((v) => {
    const p = prop.get(v.attemptId)!;
    const spliced = v.content !== null && v.location !== null ? splice(p.steps, v.location, v.content).newSteps : null;
    const text = extras.problems?.get(v.problemId);
    return {
      attemptId: v.attemptId,
      problemId: v.problemId,
      tier: p.tier,
      sample: v.sample,
      problem: text?.statement ?? null,
      reference: text?.reference ?? null,
      answer: text?.answer ?? null,
      attempt: p.attempt,
      steps: p.steps,
      verification: p.outputs[v.sample],
      location: v.location,
      trueLocation: p.truth,
      intervention: v.content,
      status: v.status,
      detail: v.detail,
      spliced,
      continuation: cont.get(`${v.attemptId}#${v.sample}`) ?? null,
      starts: starts.get(`${v.attemptId}#${v.sample}`) ?? null,
    };
  });
}

/** Every file's text. */
buildReport.files = (r: ExperimentResults, proposals: readonly Proposal[], checked: ContinuationCheck, extras: InterventionExtras = {}) => ({
  // Step metrics (they hold wall-clock rates) go to metrics.csv only: results.json is a pure
  // function of the config and seed.
  json: JSON.stringify({ ...r, metrics: undefined }, null, 2) + '\n',
  md: resultsMarkdown(r),
  csv: metricsCsv(r),
  jsonl: interventionsJsonl(proposals, checked, extras),
});
