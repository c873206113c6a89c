// Splicing an intervention into a failed attempt: cut the attempt just before the erroneous
// step (1-based `location`) and put the intervention there. Also the texts a model continues
// from in the continuation check and diagnostics, and the SFT example of one intervention.

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
