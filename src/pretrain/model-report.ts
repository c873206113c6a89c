// Measurements of a chains model on the held-out split: solve pass@1 / pass@k per tier, location
// accuracy and answer leaks of the interventions it proposes for its own failed attempts, and the
// continuation table (prefix vs prefix + original step vs prefix + intervention on never-solved
// problems), and the verifier's line-by-line decisions (ok / bad) on those attempts given the ideal
// log so far, which separate the skill of checking one line from errors compounding over a log.
// Used by `npm run model-report`, the embedded-model test and the app.

import type { Gpu } from '../gpu';
import type { ModelSource } from '../io/folder';
import type { Decoder } from '../model/decoder';
import { loadModelFolder } from '../model/load';
import { rawCodec, type TextCodec } from '../model/codec';
import { sampleTextsOnly, strideSeeds, type SampleTextsOptions } from '../model/sample-texts';
import { GREEDY_SAMPLING, PAPER_SAMPLING, PLAIN_SAMPLING, type Sampling } from '../model/sampling';
import { compactStepwiseVerify, compactVerificationLog, createChainsTask, TINY_LADDER, type ChainsConfigInput, type ChainsTask, type HabitSpec } from '../tasks/chains';
import { criticalReport, formatCriticalReport, type CriticalReport } from './critical-report';
import type { Problem } from '../tasks/task';
import { continuationTable, locationAccuracy, type ContinuationRecord, type LocationRecord, type StartCondition } from '../int/diagnostics';
import { chainsLeakCheck } from '../int/filter';
import { parseInterventionOutput } from '../int/parse';
import { VERIFY_STOP } from '../int/stages';
import { passAtK } from '../int/stats';
import { MAX_VERDICT_TOKENS, runStepwiseVerify, type TextGenerator } from '../int/stepwise';

/** Text <-> ids of the model: the one TextCodec (src/model/codec.ts). */
export type ReportCodec = TextCodec;
export type { Sampling };

/** A model folder loaded for measuring: the decoder (f32 weights) and its text codec. */
export interface ReportModel {
  model: Decoder;
  codec: ReportCodec;
  release(): void;
}

/** Load a model folder for the report through the one folder loader (src/model/load.ts), with the
 *  folder's Hugging Face tokenizer as its codec (encode adds the special tokens, decode keeps them). */
export async function loadReportModel(gpu: Gpu, source: ModelSource): Promise<ReportModel> {
  const m = await loadModelFolder(gpu, source);
  try {
    const codec = rawCodec(await m.tokenizer(), source.label);
    return {
      model: m.decoder,
      codec,
      release: () => m.release(),
    };
  } catch (e) {
    m.release();
    throw e;
  }
}

/** Batches of similar prompt length, seeded as every report before this one was. */
const byLength = (seed: number): Pick<SampleTextsOptions, 'order' | 'seedOf'> => ({ order: 'by-length', seedOf: strideSeeds(seed) });

export interface ModelReportOptions {
  /** Held-out problems per tier (the first N of the test split). Default 64 (all of the default split). */
  problemsPerTier: number;
  /** Solve samples per problem (pass@1 is their mean; pass@k needs k <= samples). Default 8. */
  samples: number;
  /** Sampling of solves and continuations. Default temperature 1, no top-p / top-k (what the model was trained to imitate). */
  solveSampling: Sampling;
  /** Sampling of the verify-and-intervene outputs. Default the paper's (0.7, 0.8, 20). */
  proposeSampling: Sampling;
  /** Most new tokens of a solve / continuation. Default 400 (the longest hard solution is ~350). */
  maxSolveTokens: number;
  /** Most new tokens of a verification log. Default 300. */
  maxVerifyTokens: number;
  /** Failed attempts verified per problem. Default 1. */
  attemptsPerProblem: number;
  /** Continuations per start and condition. Default 8. */
  continuationSamples: number;
  /** At most this many never-solved problems in the continuation table. Default 64. */
  maxContinuationProblems: number;
  /** Prompts per generate call (each with its group of samples). Default 24. */
  batchPrompts: number;
  /** Seed of all sampling. Default 0. */
  seed: number;
  /** Chains world config (must match the one the model was trained against). Default TINY_LADDER,
   *  the embedded model's; a model of the critical recipe takes CRITICAL_LADDER (the critical
   *  tier's calibration then runs too). */
  chains: ChainsConfigInput;
  /** The habit the model was pretrained with (critical-report.ts groups and names its figures by
   *  it). Default null (the embedded model has none); MUL_AS_ADD_HABIT for the critical recipe's. */
  habit: HabitSpec | null;
  /** Skip the verify / continuation parts (solve figures only). Default false. */
  solveOnly: boolean;
  /** Progress lines. Default: none. */
  log: (line: string) => void;
}

export const MODEL_REPORT_DEFAULTS: Readonly<ModelReportOptions> = Object.freeze({
  problemsPerTier: 64,
  samples: 8,
  solveSampling: { ...PLAIN_SAMPLING },
  proposeSampling: { ...PAPER_SAMPLING },
  maxSolveTokens: 400,
  maxVerifyTokens: 300,
  attemptsPerProblem: 1,
  continuationSamples: 8,
  maxContinuationProblems: 64,
  batchPrompts: 24,
  seed: 0,
  chains: { tiers: [...TINY_LADDER] },
  habit: null,
  solveOnly: false,
  log: () => {},
});

/** One problem's solve samples. */
export interface SolveRecord {
  problem: Problem;
  completions: string[];
  correct: boolean[];
}

export interface TierFigures {
  problems: number;
  pass1: number;
  /** pass@k with k = samples (unbiased estimator; = solved at least once). */
  passK: number;
}

export interface DecisionFigures {
  lines: number;
  accuracy: number;
}

export interface ContinuationRow {
  problems: number;
  solved: number;
  samples: number;
  correct: number;
}

export interface ModelReport {
  problems: number;
  samples: number;
  solve_pass1: number;
  solve_pass1_by_tier: Record<string, number>;
  pass_k_by_tier: Record<string, TierFigures>;
  /** pass@8 of the tier named "hard" (else the last tier; pass@samples when fewer than 8 samples). */
  hard_pass8: number;
  hard_tier: string;
  /** solve pass@1 on FIXED_SAMPLE (what the checkpoint test reproduces). */
  fixed_sample: { problems_per_tier: number; samples: number; seed: number; solve_pass1: number };
  verify?: {
    attempts: number;
    parsed: number;
    scored: number;
    verify_location_acc: number;
    not_late: number;
    by_tier: Record<string, { scored: number; accuracy: number }>;
    offsets: Record<string, number>;
  };
  /** Greedy verdict decisions on the same failed attempts, each line given the ideal log before
   *  it: lines before the first error (right answer "ok") and the first wrong line ("bad"). */
  verify_decisions?: {
    ok_lines: DecisionFigures;
    first_error: DecisionFigures;
    first_error_by_tier: Record<string, DecisionFigures>;
  };
  intervention_leak_rate?: number;
  continuation?: {
    never_solved: number;
    starts: number;
    samples_per_start: number;
    prefix: ContinuationRow;
    prefix_original: ContinuationRow;
    prefix_intervention: ContinuationRow;
  };
  /** The critical-step tier's calibration (critical-report.ts), when the ladder has one. */
  critical?: CriticalReport;
  settings: Omit<ModelReportOptions, 'log' | 'chains'>;
  seconds: number;
}

/** The held-out problems the report uses: the first `perTier` test problems of every tier. */
export function reportProblems(perTier: number, chains: ChainsConfigInput = MODEL_REPORT_DEFAULTS.chains): Problem[] {
  const task = createChainsTask(chains);
  const byTier = new Map<string, Problem[]>();
  for (const p of task.problems('test')) {
    const list = byTier.get(p.difficulty) ?? [];
    if (list.length < perTier) list.push(p);
    byTier.set(p.difficulty, list);
  }
  return [...byTier.values()].flat();
}

/** Solve every problem `samples` times and grade the samples. */
export async function measureSolve(model: Decoder, codec: ReportCodec, problems: readonly Problem[], opts: Partial<ModelReportOptions> = {}): Promise<SolveRecord[]> {
  const o = { ...MODEL_REPORT_DEFAULTS, ...opts };
  const task = createChainsTask(o.chains);
  const texts = await sampleTextsOnly(model, codec, problems.map((p) => task.renderers.compact.solve(p)), {
    groupSize: o.samples,
    maxNewTokens: o.maxSolveTokens,
    sampling: o.solveSampling,
    ...byLength(o.seed),
    batchPrompts: o.batchPrompts,
  });
  return problems.map((problem, i) => ({ problem, completions: texts[i], correct: texts[i].map((t) => task.grade(t, problem).correct) }));
}

/** pass@1 overall (mean over problems) and per tier, and pass@k per tier. */
export function solveFigures(records: readonly SolveRecord[]): { pass1: number; byTier: Record<string, TierFigures> } {
  const tiers = new Map<string, SolveRecord[]>();
  for (const r of records) tiers.set(r.problem.difficulty, [...(tiers.get(r.problem.difficulty) ?? []), r]);
  const p1 = (r: SolveRecord) => r.correct.filter(Boolean).length / r.correct.length;
  const byTier: Record<string, TierFigures> = {};
  for (const [t, rs] of tiers) {
    byTier[t] = {
      problems: rs.length,
      pass1: rs.reduce((a, r) => a + p1(r), 0) / rs.length,
      passK: rs.reduce((a, r) => a + passAtK(r.correct.length, r.correct.filter(Boolean).length, r.correct.length), 0) / rs.length,
    };
  }
  return { pass1: records.reduce((a, r) => a + p1(r), 0) / Math.max(1, records.length), byTier };
}

/** The fixed sample a checkpoint's card records and its test re-measures: the first 4 held-out
 *  problems of every tier, 4 solve samples each, seed 0, the report's solve sampling. */
export const FIXED_SAMPLE = Object.freeze({ problemsPerTier: 4, samples: 4, seed: 0 });

/** solve pass@1 on FIXED_SAMPLE. */
export async function fixedSamplePass1(model: Decoder, codec: ReportCodec, opts: Partial<ModelReportOptions> = {}): Promise<number> {
  const o = { ...MODEL_REPORT_DEFAULTS, ...opts, ...FIXED_SAMPLE };
  const recs = await measureSolve(model, codec, reportProblems(FIXED_SAMPLE.problemsPerTier, o.chains), o);
  return solveFigures(recs).pass1;
}

/** Run every measurement. */
export async function modelReport(model: Decoder, codec: ReportCodec, opts: Partial<ModelReportOptions> = {}): Promise<ModelReport> {
  const o: ModelReportOptions = { ...MODEL_REPORT_DEFAULTS, ...opts };
  const t0 = performance.now();
  const task = createChainsTask(o.chains);
  const problems = reportProblems(o.problemsPerTier, o.chains);
  o.log(`[report] solving ${problems.length} held-out problems x ${o.samples} samples`);
  const solves = await measureSolve(model, codec, problems, o);
  const { pass1, byTier } = solveFigures(solves);
  const tierNames = task.config.tiers.map((t) => t.name);
  const hard = tierNames.includes('hard') ? 'hard' : tierNames[tierNames.length - 1];
  const k8 = Math.min(8, o.samples);
  const hardRecs = solves.filter((r) => r.problem.difficulty === hard);
  const hardPass8 = hardRecs.reduce((a, r) => a + passAtK(r.correct.length, r.correct.filter(Boolean).length, k8), 0) / Math.max(1, hardRecs.length);
  const { log: _log, chains: _chains, ...settings } = o;
  const report: ModelReport = {
    problems: problems.length,
    samples: o.samples,
    solve_pass1: pass1,
    solve_pass1_by_tier: Object.fromEntries(Object.entries(byTier).map(([t, f]) => [t, f.pass1])),
    pass_k_by_tier: byTier,
    hard_pass8: hardPass8,
    hard_tier: hard,
    fixed_sample: {
      problems_per_tier: FIXED_SAMPLE.problemsPerTier,
      samples: FIXED_SAMPLE.samples,
      seed: FIXED_SAMPLE.seed,
      solve_pass1: await fixedSamplePass1(model, codec, o),
    },
    settings,
    seconds: 0,
  };
  o.log(`[report] solve pass@1 ${pass1.toFixed(3)} (${Object.entries(byTier).map(([t, f]) => `${t} ${f.pass1.toFixed(3)}`).join(', ')})`);
  if (o.solveOnly) {
    report.seconds = (performance.now() - t0) / 1000;
    return report;
  }

  const v = await measureVerify(model, codec, task, solves, o);
  report.verify = v.figures;
  report.intervention_leak_rate = v.leakRate;

  // ---- line-by-line decisions, each given the ideal log before it
  report.verify_decisions = await measureDecisions(model, codec, v.attempts, o);
  const d = report.verify_decisions;
  o.log(`[report] verdict decisions: ok lines ${d.ok_lines.accuracy.toFixed(3)} of ${d.ok_lines.lines}, first errors ${d.first_error.accuracy.toFixed(3)} of ${d.first_error.lines}`);

  report.continuation = await measureContinuations(model, codec, task, solves, v, o);
  if (task.config.tiers.some((t) => t.critical)) {
    o.log('[report] critical tier calibration');
    report.critical = await criticalReport(model, codec, { chains: o.chains, habit: o.habit, seed: o.seed, batchPrompts: o.batchPrompts });
  }
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}

/** One failed attempt whose verification the report measures. */
interface Attempt {
  id: string;
  problem: Problem;
  steps: string[];
  truth: number | null;
  solvedEver: boolean;
}

/** What verify-and-intervene on the model's own failed attempts gave: the attempts, each one's
 *  parsed proposal (null when unparsed), the parsed ones' indices and the report's figures. */
interface VerifyOutcome {
  attempts: Attempt[];
  proposals: ({ location: number; content: string } | null)[];
  parsedIdx: number[];
  figures: NonNullable<ModelReport['verify']>;
  leakRate: number;
}

/** Verify-and-intervene on up to attemptsPerProblem failed attempts per problem: location
 *  accuracy of the proposed interventions and their answer leaks. */
async function measureVerify(model: Decoder, codec: ReportCodec, task: ChainsTask, solves: readonly SolveRecord[], o: ModelReportOptions): Promise<VerifyOutcome> {
  const attempts: Attempt[] = [];
  for (const r of solves) {
    let taken = 0;
    r.completions.forEach((text, j) => {
      if (r.correct[j] || taken >= o.attemptsPerProblem) return;
      const steps = task.splitSteps(text);
      if (steps.length === 0) return;
      attempts.push({ id: `${r.problem.id}#${j}`, problem: r.problem, steps, truth: task.firstDivergentStep(steps, r.problem), solvedEver: r.correct.some(Boolean) });
      taken++;
    });
  }
  o.log(`[report] verifying ${attempts.length} failed attempts`);
  // The compact verifier is stepwise: check line K, its verdict, the next line after an ok.
  const gen: TextGenerator = (reqs, g) =>
    sampleTextsOnly(model, codec, reqs.map((r) => r.prompt + r.prefix), {
      groupSize: g.n,
      maxNewTokens: g.maxNewTokens,
      sampling: o.proposeSampling,
      ...byLength(g.seed),
      batchPrompts: o.batchPrompts * 4,
      stop: g.stop,
    });
  const verifyTexts = await runStepwiseVerify(gen, compactStepwiseVerify, attempts, {
    n: 1,
    maxVerdictTokens: Math.min(MAX_VERDICT_TOKENS, o.maxVerifyTokens),
    maxTailTokens: o.maxVerifyTokens,
    end: VERIFY_STOP,
    seed: o.seed + 1,
  });
  const proposals = attempts.map((a, i) => {
    const parsed = parseInterventionOutput(verifyTexts[i][0], a.steps.length, { allowAppend: true, allowEmpty: true });
    return parsed.ok ? { location: parsed.location, content: parsed.content } : null;
  });
  const locRecords: LocationRecord[] = attempts.map((a, i) => ({ attemptId: a.id, problemId: a.problem.id, tier: a.problem.difficulty, proposed: proposals[i]?.location ?? null, truth: a.truth }));
  const acc = locationAccuracy(locRecords);
  const parsedIdx = proposals.flatMap((p, i) => (p ? [i] : []));
  const leaks = parsedIdx.filter((i) => chainsLeakCheck(proposals[i]!.content, attempts[i].problem.answer).leaks).length;
  const figures: NonNullable<ModelReport['verify']> = {
    attempts: attempts.length,
    parsed: parsedIdx.length,
    scored: acc.scored,
    // Unparsed outputs count as wrong: the denominator is every attempt with a true location.
    verify_location_acc: acc.exact / Math.max(1, locRecords.filter((r) => r.truth !== null).length),
    not_late: acc.notLate,
    by_tier: Object.fromEntries(Object.entries(acc.byTier).map(([t, c]) => [t, { scored: c.scored, accuracy: c.accuracy }])),
    offsets: acc.offsets,
  };
  const leakRate = parsedIdx.length ? leaks / parsedIdx.length : NaN;
  o.log(`[report] location accuracy ${figures.verify_location_acc.toFixed(3)} (${acc.exact}/${attempts.length}), leak rate ${leakRate.toFixed(3)}`);
  return { attempts, proposals, parsedIdx, figures, leakRate };
}

/** Continuations on never-solved problems: from the prefix before the proposed location, the
 *  prefix + the original step, and the prefix + the intervention. */
async function measureContinuations(
  model: Decoder,
  codec: ReportCodec,
  task: ChainsTask,
  solves: readonly SolveRecord[],
  v: VerifyOutcome,
  o: ModelReportOptions,
): Promise<NonNullable<ModelReport['continuation']>> {
  const R = task.renderers.compact;
  const { attempts, proposals, parsedIdx } = v;
  const starts = parsedIdx.filter((i) => !attempts[i].solvedEver).slice(0, o.maxContinuationProblems);
  const neverSolved = solves.filter((r) => !r.correct.some(Boolean)).map((r) => r.problem.id);
  const conds: Exclude<StartCondition, 'problem_only'>[] = ['prefix', 'prefix_original', 'prefix_intervention'];
  const prompts: { i: number; cond: (typeof conds)[number]; text: string; lead: string }[] = [];
  for (const i of starts) {
    const a = attempts[i];
    const p = proposals[i]!;
    const prefix = a.steps.slice(0, p.location - 1);
    const lines = (xs: string[]) => xs.map((s) => `${s}\n`).join('');
    const original = a.steps[p.location - 1];
    const lead: Record<(typeof conds)[number], string[]> = {
      prefix,
      prefix_original: original === undefined ? prefix : [...prefix, original],
      prefix_intervention: p.content ? [...prefix, p.content] : prefix,
    };
    for (const cond of conds) prompts.push({ i, cond, text: R.solve(a.problem) + lines(lead[cond]), lead: lines(lead[cond]) });
  }
  o.log(`[report] continuing ${starts.length} never-solved starts x ${conds.length} conditions x ${o.continuationSamples}`);
  const contTexts = prompts.length
    ? await sampleTextsOnly(model, codec, prompts.map((p) => p.text), {
        groupSize: o.continuationSamples,
        maxNewTokens: o.maxSolveTokens,
        sampling: o.solveSampling,
        ...byLength(o.seed + 2),
        batchPrompts: o.batchPrompts,
      })
    : [];
  const records: ContinuationRecord[] = prompts.map((p, k) => {
    const a = attempts[p.i];
    return {
      problemId: a.problem.id,
      attemptId: a.id,
      condition: p.cond,
      samples: o.continuationSamples,
      correct: contTexts[k].filter((t) => task.grade(p.lead + t, a.problem).correct).length,
    };
  });
  const table = continuationTable(records, neverSolved);
  const row = (c: StartCondition): ContinuationRow => ({ problems: table.rows[c].problems, solved: table.rows[c].solved, samples: table.rows[c].samples, correct: table.rows[c].correct });
  return {
    never_solved: neverSolved.length,
    starts: starts.length,
    samples_per_start: o.continuationSamples,
    prefix: row('prefix'),
    prefix_original: row('prefix_original'),
    prefix_intervention: row('prefix_intervention'),
  };
}

/** Greedy first character of the verdict on every check line up to the first wrong one, each
 *  prompt being the verify header + the ideal log before that line + the line (as the stepwise
 *  verifier sees it when it has been right so far). */
async function measureDecisions(
  model: Decoder,
  codec: ReportCodec,
  attempts: readonly { problem: Problem; steps: string[]; truth: number | null }[],
  o: ModelReportOptions,
): Promise<NonNullable<ModelReport['verify_decisions']>> {
  const items: { prompt: string; want: string; firstError: boolean; tier: string }[] = [];
  for (const a of attempts) {
    if (a.truth === null) continue;
    const header = compactStepwiseVerify.header(a.problem);
    const { text, verdictAt } = compactVerificationLog(a.problem, a.steps);
    verdictAt.forEach((at, k) => items.push({ prompt: header + text.slice(0, at), want: text[at], firstError: k === verdictAt.length - 1, tier: a.problem.difficulty }));
  }
  const outs = await sampleTextsOnly(model, codec, items.map((x) => x.prompt), {
    groupSize: 1,
    maxNewTokens: 1,
    sampling: GREEDY_SAMPLING,
    ...byLength(o.seed),
    batchPrompts: o.batchPrompts * 4,
  });
  const tally = (xs: number[]): DecisionFigures => ({ lines: xs.length, accuracy: xs.length ? xs.filter((i) => outs[i][0] === items[i].want).length / xs.length : NaN });
  const idx = items.map((_, i) => i);
  const firsts = idx.filter((i) => items[i].firstError);
  const tiers = [...new Set(firsts.map((i) => items[i].tier))];
  return {
    ok_lines: tally(idx.filter((i) => !items[i].firstError)),
    first_error: tally(firsts),
    first_error_by_tier: Object.fromEntries(tiers.map((t) => [t, tally(firsts.filter((i) => items[i].tier === t))])),
  };
}

/** Human-readable summary lines of a report. */
export function formatReport(r: ModelReport): string[] {
  const f = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(3));
  const lines = [
    `held-out problems: ${r.problems} (${r.samples} samples each, temperature ${r.settings.solveSampling.temperature})`,
    `solve_pass1: ${f(r.solve_pass1)}  (${Object.entries(r.pass_k_by_tier).map(([t, x]) => `${t} ${f(x.pass1)}`).join(', ')})`,
    `pass@${r.samples} by tier: ${Object.entries(r.pass_k_by_tier).map(([t, x]) => `${t} ${f(x.passK)}`).join(', ')}`,
    `hard_pass8 (${r.hard_tier}): ${f(r.hard_pass8)}`,
    `fixed sample (${r.fixed_sample.problems_per_tier} per tier x ${r.fixed_sample.samples}, seed ${r.fixed_sample.seed}): solve_pass1 ${f(r.fixed_sample.solve_pass1)}`,
  ];
  if (r.verify) {
    lines.push(
      `verify_location_acc: ${f(r.verify.verify_location_acc)} on ${r.verify.attempts} failed attempts (${r.verify.parsed} parsed; ` +
        `${Object.entries(r.verify.by_tier).map(([t, x]) => `${t} ${f(x.accuracy)} of ${x.scored}`).join(', ')}); not late ${f(r.verify.not_late)}`,
      `intervention_leak_rate: ${f(r.intervention_leak_rate)}`,
    );
  }
  if (r.verify_decisions) {
    const d = r.verify_decisions;
    lines.push(
      `verdict decisions given the ideal log so far (greedy): "ok" on ${f(d.ok_lines.accuracy)} of ${d.ok_lines.lines} right lines, ` +
        `"bad" on ${f(d.first_error.accuracy)} of ${d.first_error.lines} first wrong lines (${Object.entries(d.first_error_by_tier).map(([t, x]) => `${t} ${f(x.accuracy)} of ${x.lines}`).join(', ')})`,
    );
  }
  if (r.continuation) {
    const c = r.continuation;
    lines.push(`continuations on never-solved problems (${c.never_solved} never solved, ${c.starts} starts, ${c.samples_per_start} samples each):`);
    lines.push('  condition            solved  problems  correct/samples');
    for (const k of ['prefix', 'prefix_original', 'prefix_intervention'] as const) {
      const x = c[k];
      lines.push(`  ${k.padEnd(20)} ${String(x.solved).padStart(6)}  ${String(x.problems).padStart(8)}  ${x.correct}/${x.samples}`);
    }
  }
  if (r.critical) lines.push(...formatCriticalReport(r.critical));
  lines.push(`measured in ${r.seconds.toFixed(0)} s`);
  return lines;
}
