// Intervene yourself, the pure part: the checks of a continueFrom request (each problem named with
// its fix), the starts it samples from (the attempt's prefix alone, the prefix + the replacement
// step, the prefix + the model's own intervention; cut and joined by int/splice as the pipeline
// does), and the failed attempts of a run (with the model's intervention and its filter verdict).
// No GPU here: the page, scripts and unit tests import it; intervene.ts samples.
import type { Attempt, Proposal } from '../int/stages';
import type { FilterResult } from '../int/filter';
import { continuationText, splice, type JoinSteps } from '../int/splice';
import { CONTINUE_SAMPLES, type ContinueRequest, type ContinueStartKind, type InterveneAttempt } from './protocol';

/** Where a replacement step sits: the attempt's steps and the 1-based step it replaces. */
type StepInput = Pick<ContinueRequest, 'steps' | 'location' | 'step'>;

/** What is wrong with the replacement step alone (empty: nothing); the page shows these beside the
 *  Sample button. */
export function stepProblems(r: StepInput): string[] {
  const out: string[] = [];
  if (!Array.isArray(r.steps) || r.steps.length === 0 || r.steps.some((s) => typeof s !== 'string')) {
    return ['the attempt has no steps to pick from: open a failed attempt that has at least one step'];
  }
  if (!Number.isSafeInteger(r.location) || r.location < 1 || r.location > r.steps.length) {
    out.push(`the picked step ${r.location} is not a step of this attempt: pick one of its lines, 1 to ${r.steps.length}`);
  }
  if (typeof r.step !== 'string' || r.step.trim() === '') {
    out.push(`your step is empty: write the line that should stand at step ${Number.isSafeInteger(r.location) ? r.location : '?'} (e.g. the corrected computation)`);
  } else if (/[\r\n]/.test(r.step)) {
    out.push('your step has more than one line: write one step (one line); the model writes the lines after it');
  }
  return out;
}

/** What is wrong with N (empty: nothing). */
export function samplesProblems(n: unknown): string[] {
  const { min, max } = CONTINUE_SAMPLES;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= min && n <= max
    ? []
    : [`N (continuations per start) must be a whole number from ${min} to ${max}, got ${String(n)}; ${CONTINUE_SAMPLES.default} is the default`];
}

/** Every problem of a request (empty: it can be sampled). The task and the model are checked by the
 *  worker once they are loaded (the problem must be in the task, the text readable by the model). */
export function requestProblems(r: ContinueRequest): string[] {
  const out = [...stepProblems(r), ...samplesProblems(r.n)];
  if (typeof r.problemId !== 'string' || r.problemId === '') out.push('the request names no problem: open a failed attempt of a run first');
  if (!Number.isSafeInteger(r.seed) || r.seed < 0) out.push(`the seed must be a whole number >= 0, got ${String(r.seed)}`);
  const iv = r.intervention;
  if (iv !== null && Array.isArray(r.steps)) {
    if (!Number.isSafeInteger(iv.location) || iv.location < 1 || iv.location > r.steps.length + 1) {
      out.push(`the model's intervention is at step ${iv.location}, outside 1..${r.steps.length + 1} for this attempt; pass the intervention of this attempt (or null)`);
    }
    if (typeof iv.content !== 'string') out.push("the model's intervention has no text; pass its content (or null for no third start)");
  }
  if (!r.config?.data || !r.config.continuation?.sampling) out.push("the request has no run config: pass the config of the run the attempt comes from (its data and continuation settings)");
  return out;
}

/** Throws one error listing every problem of the request. */
export function checkContinueRequest(r: ContinueRequest): void {
  const ps = requestProblems(r);
  if (ps.length > 0) throw new Error(`continueFrom: ${ps.join('; ')}`);
}

/** One start to sample from: the steps before the continuation and the completion text they make. */
export interface PlannedContinueStart {
  kind: ContinueStartKind;
  /** 1-based step this start replaces (the prefix is the steps before it). */
  location: number;
  /** The step after the prefix (null: the prefix alone). */
  step: string | null;
  /** The steps the model continues after. */
  steps: string[];
  /** Their text as the pipeline continues it (joined, then the step separator; '' for no steps). */
  text: string;
}

/** The starts of a request, in order: prefix alone, prefix + your step, and (when the request has
 *  one) the prefix + the model's intervention at its own location. Cut with int/splice's `splice` and
 *  joined with `continuationText`, exactly as the pipeline's continuation check and diagnostics do. */
export function planContinueStarts(join: JoinSteps, r: ContinueRequest): PlannedContinueStart[] {
  checkContinueRequest(r);
  const yours = splice(r.steps, r.location, r.step.trim());
  const out: PlannedContinueStart[] = [
    { kind: 'prefix', location: r.location, step: null, steps: yours.prefix, text: continuationText(join, yours.prefix) },
    { kind: 'yours', location: r.location, step: r.step.trim(), steps: yours.newSteps, text: continuationText(join, yours.newSteps) },
  ];
  if (r.intervention) {
    const m = splice(r.steps, r.intervention.location, r.intervention.content);
    out.push({ kind: 'model', location: r.intervention.location, step: r.intervention.content, steps: m.newSteps, text: continuationText(join, m.newSteps) });
  }
  return out;
}

/** Characters of `text` a codec cannot write back (a character model's alphabet lacks them). */
export function unknownCharacters(text: string, roundTrip: (s: string) => string): string[] {
  const bad = new Set<string>();
  for (const ch of text) if (roundTrip(ch) !== ch) bad.add(ch);
  return [...bad];
}

/** What a run holds of its attempts and interventions (a RunRecord, or a CLI run's stage files). */
export interface RunAttempts {
  attempts: readonly Attempt[];
  proposals: readonly Pick<Proposal, 'attemptId' | 'steps' | 'truth'>[];
  filtered: Pick<FilterResult, 'kept' | 'verdicts'>;
  /** Steps per attempt id (RunRecord.steps); proposals' steps are used where missing. */
  steps?: Record<string, string[]>;
  /** The continuation check's outcomes per kept intervention, when the run made it. */
  checks?: readonly { attemptId: string; sample: number; samples: number; correct: number }[];
}

/** The failed attempts of a run that have steps, in run order, each with the model's own
 *  intervention: the one the filter kept, else its first proposal that parsed (with the filter's
 *  verdict, e.g. 'leaks_answer'); null when none parsed. */
export function failedAttemptsOf(run: RunAttempts): InterveneAttempt[] {
  const props = new Map(run.proposals.map((p) => [p.attemptId, p]));
  const kept = new Map<string, (typeof run.filtered.kept)[number]>();
  for (const k of run.filtered.kept) if (!kept.has(k.attemptId)) kept.set(k.attemptId, k);
  const parsed = new Map<string, (typeof run.filtered.verdicts)[number]>();
  for (const v of run.filtered.verdicts) if (v.content !== null && v.location !== null && !parsed.has(v.attemptId)) parsed.set(v.attemptId, v);
  const checks = new Map((run.checks ?? []).map((c) => [`${c.attemptId}\u0000${c.sample}`, c]));
  const out: InterveneAttempt[] = [];
  for (const a of run.attempts) {
    if (a.correct) continue;
    const prop = props.get(a.id);
    const steps = run.steps?.[a.id] ?? prop?.steps ?? [];
    if (steps.length === 0) continue;
    const k = kept.get(a.id);
    const v = parsed.get(a.id);
    const intervention = k
      ? { location: k.location, content: k.content, status: 'kept', detail: 'kept by the filter' }
      : v
        ? { location: v.location!, content: v.content!, status: v.status, detail: v.detail }
        : null;
    const c = k ? checks.get(`${k.attemptId}\u0000${k.sample}`) : undefined;
    out.push({
      attemptId: a.id,
      problemId: a.problemId,
      tier: a.tier,
      steps: [...steps],
      reason: a.reason,
      intervention,
      truth: prop?.truth ?? null,
      checked: c ? { samples: c.samples, correct: c.correct } : null,
    });
  }
  return out;
}

/** One attempt per problem and text (rollouts often repeat themselves): the first, or the first
 *  whose intervention was kept; `copies` counts the attempts of that problem with that text. */
export function distinctAttempts(list: readonly InterveneAttempt[]): InterveneAttempt[] {
  const groups = new Map<string, InterveneAttempt[]>();
  for (const a of list) {
    const key = JSON.stringify([a.problemId, a.steps]);
    const g = groups.get(key);
    if (g) g.push(a);
    else groups.set(key, [a]);
  }
  return [...groups.values()].map((g) => ({ ...(g.find((a) => a.intervention?.status === 'kept') ?? g[0]), copies: g.length }));
}
