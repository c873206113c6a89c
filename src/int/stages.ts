// The data stages of InT as functions over an Engine and a Task: training pool, rollouts (K
// graded attempts per problem), verify-and-intervene proposals, filtering, the optional
// continuation check, self-reflection rewrites, diagnostics, and the SFT sets of every arm.
// Every stage is seeded from (experiment seed, stage name) and returns plain JSON.

import type { Problem, Task } from '../tasks/task';
import { hashString } from '../util/random';
import type { IntConfig, SamplingConfig } from './config';
import { continuationTable, locationAccuracy, planContinuationStarts, type ContinuationRecord, type ContinuationTable, type LocationAccuracy, type LocationRecord } from './diagnostics';
import type { Engine, GenRequest, Generation } from './engine';
import { applyContinuationCheck, filterInterventions, leakCheckFor, type ContinuationOutcome, type FilterResult, type KeptIntervention } from './filter';
import { continuationText, interventionExample, noPrefixLossExample, splice, withSuffixExample, type SftExample } from './splice';
import type { ProblemOutcome } from './stats';
import { MAX_VERDICT_TOKENS, runStepwiseVerify, type TextGenerator } from './stepwise';

/** What every stage needs. */
export interface StageContext {
  engine: Engine;
  task: Task;
  config: IntConfig;
  /** Progress of the running stage: (units done, units total). */
  progress?: (done: number, total: number) => void;
}

/** Seed of a stage: a hash of the experiment seed and the stage name. */
export function stageSeed(seed: number, name: string): number {
  return hashString(`${seed}:${name}`) % 2147483647;
}

/** Solutions end at the end-of-sequence token (every task's documents end with it). */
const SOLUTION_STOPS: string[] = [];

/** Sample every request (each names its problem, so a refusal says which one). */
async function sample(ctx: StageContext, reqs: GenRequest[], n: number, s: SamplingConfig, name: string, stop: string[] = []): Promise<Generation[][]> {
  return ctx.engine.generate(reqs, { n, ...s, seed: stageSeed(ctx.config.seed, name), stop, onProgress: ctx.progress });
}

/** The stage engine as a TextGenerator (stepwise verification) with the given sampling. */
function engineTextGenerator(ctx: StageContext, s: SamplingConfig): TextGenerator {
  return async (reqs, o) =>
    (await ctx.engine.generate(reqs, { n: o.n, temperature: s.temperature, topP: s.topP, topK: s.topK, maxNewTokens: o.maxNewTokens, seed: o.seed, stop: o.stop })).map((g) => g.map((x) => x.text));
}

// ---------------------------------------------------------------- 1-2. pool and rollouts

export interface Attempt {
  /** "<problemId>#<k>". */
  id: string;
  problemId: string;
  tier: string;
  text: string;
  correct: boolean;
  /** Grader's reason. */
  reason: string;
}

export interface PoolResult {
  /** Outcomes of the pool sampling (empty when rollouts.poolSamples is 0). */
  outcomes: ProblemOutcome[];
  /** Problems kept in the training pool. */
  problemIds: string[];
}

/** Training pool: problems the base model solves at most poolMaxCorrect of poolSamples times
 *  (every problem when poolSamples is 0). */
export async function selectPool(ctx: StageContext, problems: readonly Problem[]): Promise<PoolResult> {
  const r = ctx.config.rollouts;
  if (r.poolSamples === 0) return { outcomes: [], problemIds: problems.map((p) => p.id) };
  const gens = await sample(ctx, problems.map((p) => ({ id: p.id, prompt: ctx.task.prompts.solve(p) })), r.poolSamples, r.sampling, 'pool', SOLUTION_STOPS);
  const outcomes: ProblemOutcome[] = [];
  for (const [i, p] of problems.entries()) {
    let c = 0;
    for (const g of gens[i]) if ((await ctx.task.grade(g.text, p)).correct) c++;
    outcomes.push({ problemId: p.id, tier: p.difficulty, n: gens[i].length, c });
  }
  return { outcomes, problemIds: outcomes.filter((o) => o.c <= r.poolMaxCorrect).map((o) => o.problemId) };
}

/** K graded attempts per problem (rollouts.k, rollouts.sampling). */
export async function sampleAttempts(ctx: StageContext, problems: readonly Problem[]): Promise<Attempt[]> {
  const r = ctx.config.rollouts;
  const gens = await sample(ctx, problems.map((p) => ({ id: p.id, prompt: ctx.task.prompts.solve(p) })), r.k, r.sampling, 'rollouts', SOLUTION_STOPS);
  const out: Attempt[] = [];
  for (const [i, p] of problems.entries()) {
    for (const [k, g] of gens[i].entries()) {
      const grade = await ctx.task.grade(g.text, p);
      out.push({ id: `${p.id}#${k}`, problemId: p.id, tier: p.difficulty, text: g.text, correct: grade.correct, reason: grade.reason });
    }
  }
  return out;
}

/** Failed attempts with at least one step and a reference to check against, at most `max`,
 *  taken round-robin over problems so that one problem cannot fill the budget. */
export function pickFailures(attempts: readonly Attempt[], task: Task, byId: Map<string, Problem>, max: number | null): Attempt[] {
  const per = new Map<string, Attempt[]>();
  for (const a of attempts) {
    const p = byId.get(a.problemId);
    if (a.correct || !p || task.splitSteps(a.text).length === 0) continue;
    if (!per.has(a.problemId)) per.set(a.problemId, []);
    per.get(a.problemId)!.push(a);
  }
  const queues = [...per.values()];
  const out: Attempt[] = [];
  for (let round = 0; queues.some((q) => q.length > round); round++) {
    for (const q of queues) if (q.length > round) out.push(q[round]);
  }
  return max === null ? out : out.slice(0, max);
}

// ---------------------------------------------------------------- 3-4. propose

export interface Proposal {
  attemptId: string;
  problemId: string;
  tier: string;
  /** The attempt text and its steps (numbered 1..n in the verify prompt). */
  attempt: string;
  steps: string[];
  /** Raw verifier outputs (propose.perAttempt samples). */
  outputs: string[];
  /** Ground-truth first divergent step, where the task knows it (chains); else null. */
  truth: number | null;
}

/** The intervention block ends a verification output. */
export const VERIFY_STOP = '</intervention>';

/** Ask the same model to verify each failed attempt against the reference and propose one
 *  intervention (propose.perAttempt samples each): one verifyAndIntervene prompt, or the task's
 *  stepwise protocol where it has one (the outputs are then the logs after its header). */
export async function proposeInterventions(ctx: StageContext, failures: readonly Attempt[], byId: Map<string, Problem>): Promise<Proposal[]> {
  const pc = ctx.config.propose;
  const items = failures.map((a) => ({ a, p: byId.get(a.problemId)!, steps: ctx.task.splitSteps(a.text) }));
  const fmt = ctx.task.stepwiseVerify;
  const texts = fmt
    ? await runStepwiseVerify(engineTextGenerator(ctx, pc.sampling), fmt, items.map((x) => ({ problem: x.p, steps: x.steps })), {
        n: pc.perAttempt,
        maxVerdictTokens: Math.min(MAX_VERDICT_TOKENS, pc.sampling.maxNewTokens),
        maxTailTokens: pc.sampling.maxNewTokens,
        end: VERIFY_STOP,
        seed: stageSeed(ctx.config.seed, 'propose'),
        onProgress: ctx.progress,
      })
    : (await sample(ctx, items.map((x) => ({ id: x.p.id, prompt: ctx.task.prompts.verifyAndIntervene(x.p, x.steps) })), pc.perAttempt, pc.sampling, 'propose', [VERIFY_STOP])).map((g) => g.map((x) => x.text));
  const fds = (ctx.task as { firstDivergentStep?: (s: string[], p: Problem) => number | null }).firstDivergentStep;
  return items.map((x, i) => ({
    attemptId: x.a.id,
    problemId: x.p.id,
    tier: x.p.difficulty,
    attempt: x.a.text,
    steps: x.steps,
    outputs: texts[i],
    truth: fds ? fds(x.steps, x.p) : null,
  }));
}

/** Parse, reject (by reason: parse failures, leaked answers, duplicates) and select. */
export async function filterProposals(ctx: StageContext, proposals: readonly Proposal[], byId: Map<string, Problem>): Promise<FilterResult> {
  const f = ctx.config.filter;
  return filterInterventions(
    proposals.map((p) => ({ attemptId: p.attemptId, problemId: p.problemId, nSteps: p.steps.length, steps: p.steps, gold: byId.get(p.problemId)!.answer, outputs: p.outputs })),
    { leak: leakCheckFor(ctx.task, { timeoutMs: f.leakTimeoutMs }), parse: { allowAppend: f.allowAppend, allowEmpty: f.allowEmpty }, keep: f.keep },
  );
}

// ---------------------------------------------------------------- 5. continuation check

export interface ContinuationCheck {
  /** One per kept intervention (before the check). */
  outcomes: (ContinuationOutcome & { attemptId: string; sample: number })[];
  /** The filter result after the check (kept interventions with pass@k > 0). */
  result: FilterResult;
}

/** Sample continuation.k continuations from problem + prefix + intervention for each kept
 *  intervention and drop those with fewer than minCorrect correct. */
export async function checkContinuations(ctx: StageContext, proposals: readonly Proposal[], filtered: FilterResult, byId: Map<string, Problem>): Promise<ContinuationCheck> {
  const ct = ctx.config.continuation;
  const prop = new Map(proposals.map((p) => [p.attemptId, p]));
  const reqs = filtered.kept.map((k) => {
    const p = byId.get(k.problemId)!;
    return { id: p.id, prompt: ctx.task.prompts.solve(p), prefix: continuationText((s) => ctx.task.joinSteps(s), splice(prop.get(k.attemptId)!.steps, k.location, k.content).newSteps) };
  });
  const gens = await sample(ctx, reqs, ct.k, ct.sampling, 'continuations', SOLUTION_STOPS);
  const outcomes: ContinuationCheck['outcomes'] = [];
  for (const [i, k] of filtered.kept.entries()) {
    let correct = 0;
    for (const g of gens[i]) if ((await ctx.task.grade(reqs[i].prefix + g.text, byId.get(k.problemId)!)).correct) correct++;
    outcomes.push({ attemptId: k.attemptId, sample: k.sample, samples: gens[i].length, correct });
  }
  const key = (a: string, s: number) => `${a}\u0000${s}`;
  const by = new Map(outcomes.map((o) => [key(o.attemptId, o.sample), o]));
  return { outcomes, result: applyContinuationCheck(filtered, (k) => by.get(key(k.attemptId, k.sample)), ct.minCorrect) };
}

// ---------------------------------------------------------------- self-reflection rewrites

export interface Reflection {
  attemptId: string;
  problemId: string;
  text: string;
  correct: boolean;
}

/** One reference-guided rewrite of each failed attempt (the self-reflection baseline's data). */
export async function reflectAttempts(ctx: StageContext, failures: readonly Attempt[], byId: Map<string, Problem>): Promise<Reflection[]> {
  const items = failures.map((a) => ({ a, p: byId.get(a.problemId)! }));
  const gens = await sample(ctx, items.map((x) => ({ id: x.p.id, prompt: ctx.task.prompts.selfReflect(x.p, ctx.task.splitSteps(x.a.text)) })), 1, ctx.config.rollouts.sampling, 'reflect', SOLUTION_STOPS);
  const out: Reflection[] = [];
  for (const [i, x] of items.entries()) {
    const text = gens[i][0].text;
    out.push({ attemptId: x.a.id, problemId: x.p.id, text, correct: (await ctx.task.grade(text, x.p)).correct });
  }
  return out;
}

// ---------------------------------------------------------------- diagnostics

export interface Diagnostics {
  /** Problems of the training pool with no correct rollout. */
  neverSolved: string[];
  records: ContinuationRecord[];
  table: ContinuationTable;
  /** Proposed vs true first divergent step over every parsed proposal (null without ground truth). */
  location: LocationAccuracy | null;
}

/** On never-solved problems, for every intervention that passed the filter (before the
 *  continuation check): continuation.k continuations from each start, the problem alone, the
 *  prefix, prefix + original step and prefix + intervention (planContinuationStarts: equal
 *  samples per start); and location accuracy. */
export async function runDiagnostics(
  ctx: StageContext,
  attempts: readonly Attempt[],
  proposals: readonly Proposal[],
  filtered: FilterResult,
  byId: Map<string, Problem>,
): Promise<Diagnostics> {
  const solved = new Set(attempts.filter((a) => a.correct).map((a) => a.problemId));
  const neverSolved = [...new Set(attempts.map((a) => a.problemId))].filter((id) => !solved.has(id));
  const ns = new Set(neverSolved);
  const prop = new Map(proposals.map((p) => [p.attemptId, p]));
  const kept = filtered.kept.filter((k) => ns.has(k.problemId)).map((k) => ({ ...k, steps: prop.get(k.attemptId)!.steps }));
  const items = planContinuationStarts(kept, (s) => ctx.task.joinSteps(s), ctx.config.continuation.k);
  const reqs = items.map((x) => ({ id: x.problemId, prompt: ctx.task.prompts.solve(byId.get(x.problemId)!), prefix: x.prefix }));
  const gens = await sample(ctx, reqs, ctx.config.continuation.k, ctx.config.continuation.sampling, 'diagnostics', SOLUTION_STOPS);
  const records: ContinuationRecord[] = [];
  for (const [i, x] of items.entries()) {
    let correct = 0;
    for (const g of gens[i]) if ((await ctx.task.grade(x.prefix + g.text, byId.get(x.problemId)!)).correct) correct++;
    records.push({ problemId: x.problemId, attemptId: x.attemptId, ...(x.sample === undefined ? {} : { sample: x.sample }), condition: x.condition, samples: gens[i].length, correct });
  }
  let location: LocationAccuracy | null = null;
  if (proposals.some((p) => p.truth !== null)) {
    const parsed = new Map<string, number | null>();
    for (const v of filtered.verdicts) if (!parsed.has(v.attemptId) || parsed.get(v.attemptId) === null) parsed.set(v.attemptId, v.location);
    const recs: LocationRecord[] = proposals.map((p) => ({ attemptId: p.attemptId, problemId: p.problemId, tier: p.tier, proposed: parsed.get(p.attemptId) ?? null, truth: p.truth }));
    location = locationAccuracy(recs);
  }
  return { neverSolved, records, table: continuationTable(records, neverSolved), location };
}

// ---------------------------------------------------------------- SFT sets

export interface SftSets {
  /** InT: problem -> prefix + intervention (nothing after it), interventions that passed every
   *  filter (the continuation check included when it is enabled). */
  interventions: SftExample[];
  /** The InT rows of every intervention that passed the parse and answer-leak filters, before the
   *  continuation check (a superset of `interventions`; equal when the check is off). */
  interventions_no_filter: SftExample[];
  /** `interventions` with the prefix on the prompt side (loss on the intervention only); rows
   *  whose intervention is empty (a deleted step) are left out: nothing would be trained. */
  interventions_no_prefix_loss: SftExample[];
  /** `interventions` with the reference solution's steps after the intervention appended. */
  interventions_with_suffix: SftExample[];
  /** problem -> reference solution, for the problems of the failed attempts. */
  reference: SftExample[];
  /** problem -> the model's correct reference-guided rewrite of its failed attempt. */
  self_reflection: SftExample[];
}

/** What interventions.jsonl shows of a problem beside each intervention. */
export interface ProblemText {
  /** The problem statement (natural language for chains). */
  statement: string;
  /** The reference solution (referenceCompletion). */
  reference: string;
  answer: string;
}

/** The statement, reference solution and answer of every problem, by id. */
export function problemTexts(task: Task, problems: readonly Problem[]): Map<string, ProblemText> {
  return new Map(problems.map((p) => [p.id, { statement: p.statement, reference: referenceCompletion(task, p), answer: p.answer }]));
}

/** The reference solution as a completion: the task's full solution when it can write one
 *  (chains), else the dataset's reference text. */
export function referenceCompletion(task: Task, p: Problem): string {
  const t = task as { solution?: (p: Problem) => string };
  return typeof t.solution === 'function' ? t.solution(p) : p.reference;
}

/** The SFT set of every arm. `kept`: interventions after every filter; `unchecked`: after the
 *  parse and leak filters, before the continuation check (default `kept`). */
export function buildSftSets(
  task: Task,
  proposals: readonly Proposal[],
  kept: readonly KeptIntervention[],
  reflections: readonly Reflection[],
  byId: Map<string, Problem>,
  unchecked: readonly KeptIntervention[] = kept,
): SftSets {
  const prop = new Map(proposals.map((p) => [p.attemptId, p]));
  const row = (k: KeptIntervention) => ({ p: byId.get(k.problemId)!, steps: prop.get(k.attemptId)!.steps, meta: { attemptId: k.attemptId, sample: k.sample } });
  const intRows = (ks: readonly KeptIntervention[]) =>
    ks.map((k) => {
      const r = row(k);
      return interventionExample(task, r.p, r.steps, k.location, k.content, r.meta);
    });
  const interventions = intRows(kept);
  const interventions_no_prefix_loss = kept.flatMap((k) => {
    const r = row(k);
    return noPrefixLossExample(task, r.p, r.steps, k.location, k.content, r.meta) ?? [];
  });
  const interventions_with_suffix = kept.map((k) => {
    const r = row(k);
    return withSuffixExample(task, r.p, r.steps, k.location, k.content, task.splitSteps(referenceCompletion(task, r.p)), r.meta);
  });
  const problemIds = [...new Set(proposals.map((p) => p.problemId))];
  const reference = problemIds
    .map((id) => byId.get(id)!)
    .filter((p) => referenceCompletion(task, p).trim() !== '')
    .map((p) => ({ problemId: p.id, prompt: task.prompts.solve(p), completion: referenceCompletion(task, p), answer: p.answer, meta: { source: 'reference' } }));
  const self_reflection = reflections
    .filter((r) => r.correct)
    .map((r) => {
      const p = byId.get(r.problemId)!;
      return { problemId: p.id, prompt: task.prompts.solve(p), completion: r.text, answer: p.answer, meta: { source: 'self_reflection', attemptId: r.attemptId } };
    });
  return { interventions, interventions_no_filter: intRows(unchecked), interventions_no_prefix_loss, interventions_with_suffix, reference, self_reflection };
}

/** SFT sources whose completion stops mid-trace (InT's prefix + intervention): no end token. */
const PARTIAL_SOURCES = new Set(['interventions', 'interventions_no_filter', 'interventions_no_prefix_loss']);

/** Whether an SFT example's completion is a whole solution (trained with end-of-sequence) or
 *  an InT prefix + intervention (the trace goes on after it: no end token). */
export function completionEnds(ex: SftExample): boolean {
  return !PARTIAL_SOURCES.has(String(ex.meta?.source));
}
