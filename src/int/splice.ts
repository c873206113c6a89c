// Splicing an intervention into a failed attempt: cut the attempt just before the erroneous
// step (1-based `location`) and put the intervention there. Also the texts a model continues
// from in the continuation check and diagnostics, and the SFT examples of one intervention
// (InT's row and the rows of the paper's ablations: no prefix in the loss, with the correct suffix).

import type { Problem, Task } from '../tasks/task';

export interface Spliced {
  /** steps[0 .. location-2]: the attempt's steps before the erroneous one. */
  prefix: string[];
  /** prefix + [intervention] (just prefix when the intervention is empty). */
  newSteps: string[];
  /** steps[location-1]: the step the intervention replaces; null when location = steps.length + 1
   *  (the attempt stopped early and the intervention is appended). */
  originalStep: string | null;
}

/** Cut `steps` before the 1-based `location` and append `intervention`. location must be in
 *  [1, steps.length + 1] (steps.length + 1 appends after the last step). An empty (or
 *  whitespace-only) intervention deletes the step: newSteps is the prefix alone. */
export function splice(steps: readonly string[], location: number, intervention: string): Spliced {
  if (!Number.isSafeInteger(location) || location < 1 || location > steps.length + 1) {
    throw new Error(
      `splice: location ${location} is outside [1, ${steps.length + 1}] for an attempt of ${steps.length} steps; ` +
        'location is 1-based and names the step the intervention replaces (parse with parseInterventionOutput first)',
    );
  }
  const prefix = steps.slice(0, location - 1);
  const originalStep = location <= steps.length ? steps[location - 1] : null;
  const newSteps = intervention.trim() === '' ? [...prefix] : [...prefix, intervention];
  return { prefix, newSteps, originalStep };
}

/** A task's step joiner (Task.joinSteps). */
export type JoinSteps = (steps: string[]) => string;

/** Text that continues from `steps`: the joined steps followed by the step separator, so that
 *  the model's next token starts a new step. Empty for no steps. */
export function continuationText(join: JoinSteps, steps: readonly string[]): string {
  return steps.length === 0 ? '' : join([...steps, '']);
}

/** The four starting points of the diagnostic table (completion text after the solve prompt). */
export interface ContinuationStarts {
  problemOnly: string;
  prefix: string;
  prefixOriginal: string;
  prefixIntervention: string;
}

/** Completion texts to continue from, for the problem alone, the prefix, the prefix plus the
 *  original (erroneous) step, and the prefix plus the intervention. prefixOriginal equals prefix
 *  when the intervention is appended (there is no original step). */
export function continuationStarts(join: JoinSteps, steps: readonly string[], location: number, intervention: string): ContinuationStarts {
  const s = splice(steps, location, intervention);
  return {
    problemOnly: '',
    prefix: continuationText(join, s.prefix),
    prefixOriginal: continuationText(join, s.originalStep === null ? s.prefix : [...s.prefix, s.originalStep]),
    prefixIntervention: continuationText(join, s.newSteps),
  };
}

/** One SFT example as plain text: the user prompt and the assistant completion. */
export interface SftExample {
  problemId: string;
  prompt: string;
  /** Assistant text the model is conditioned on but not trained on: it joins the prompt side
   *  (codec.promptIds(prompt, prefix)), as in the continuation check. Default none. */
  prefix?: string;
  completion: string;
  /** Gold final answer of the problem (exports put it in reward_model.ground_truth). */
  answer?: string;
  /** Where it came from (arm data source, attempt id, location...), kept in exports' extra info. */
  meta?: Record<string, string | number>;
}

/** The InT SFT example: problem -> prefix + intervention. The loss covers the whole completion
 *  (the on-policy prefix and the intervention); nothing after the intervention is included.
 *  The completion ends with the intervention (no trailing separator). */
export function interventionExample(
  task: Pick<Task, 'prompts' | 'joinSteps'>,
  p: Problem,
  steps: readonly string[],
  location: number,
  intervention: string,
  meta: Record<string, string | number> = {},
): SftExample {
  const s = splice(steps, location, intervention);
  return {
    problemId: p.id,
    prompt: task.prompts.solve(p),
    completion: task.joinSteps(s.newSteps),
    answer: p.answer,
    meta: { source: 'interventions', location, prefixSteps: s.prefix.length, ...meta },
  };
}

/** InT without the prefix in the loss: the same text as interventionExample, but the on-policy
 *  prefix (joined steps and the separator) moves to the prompt side, so the loss covers the
 *  intervention only. null for an empty intervention (a deleted step leaves nothing to train). */
export function noPrefixLossExample(
  task: Pick<Task, 'prompts' | 'joinSteps'>,
  p: Problem,
  steps: readonly string[],
  location: number,
  intervention: string,
  meta: Record<string, string | number> = {},
): SftExample | null {
  const s = splice(steps, location, intervention);
  if (intervention.trim() === '') return null;
  return {
    problemId: p.id,
    prompt: task.prompts.solve(p),
    prefix: continuationText((x) => task.joinSteps(x), s.prefix),
    completion: intervention,
    answer: p.answer,
    meta: { source: 'interventions_no_prefix_loss', location, prefixSteps: s.prefix.length, ...meta },
  };
}

/** InT with the correct suffix: prefix + intervention, then the reference solution's steps after
 *  the intervention's step (reference steps from index newSteps.length on: the steps after
 *  `location`, or from `location` itself when the intervention deletes the step), so that the
 *  completion is a whole solution ending with the reference's final answer (trained with the
 *  end-of-sequence token). */
export function withSuffixExample(
  task: Pick<Task, 'prompts' | 'joinSteps'>,
  p: Problem,
  steps: readonly string[],
  location: number,
  intervention: string,
  referenceSteps: readonly string[],
  meta: Record<string, string | number> = {},
): SftExample {
  const s = splice(steps, location, intervention);
  const suffix = referenceSteps.slice(s.newSteps.length);
  return {
    problemId: p.id,
    prompt: task.prompts.solve(p),
    completion: task.joinSteps([...s.newSteps, ...suffix]),
    answer: p.answer,
    meta: { source: 'interventions_with_suffix', location, prefixSteps: s.prefix.length, suffixSteps: suffix.length, ...meta },
  };
}
