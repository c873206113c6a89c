// createChainsTask: the built-in procedural reasoning world as a Task, plus the extras InT
// needs on a world with ground truth (solutions, first divergent step, error injection,
// ideal compact verification output).

import type { Grade, Problem, PromptRenderers, Split, Task } from '../task';
import { resolveChainsConfig, type ChainsConfig, type ChainsConfigInput, type Style } from './config';
import { checkSteps, firstDivergentStep, type StepVerdict } from './diverge';
import { generateProblems } from './generate';
import { gradeChains } from './grade';
import { chatRenderers, compactRenderers, renderersFor } from './render';
import type { Rng } from '../../util/random';
import { correctStep, injectError, solutionSteps, solutionText, type InjectOptions, type InjectedAttempt } from './solve';
import { joinSteps, splitSteps } from './steps';
import { compactStepwiseVerify, compactVerification } from './verify';

export interface ChainsTask extends Task {
  name: 'chains';
  /** The resolved configuration (defaults filled in). */
  config: ChainsConfig;
  /** Style of `prompts`. */
  style: Style;
  /** Both renderer sets, whatever `style` is. */
  renderers: { compact: PromptRenderers; chat: PromptRenderers };
  grade(response: string, p: Problem): Grade;
  /** Correct solution steps / text in a style (default: the task's style). */
  solutionSteps(p: Problem, style?: Style): string[];
  solution(p: Problem, style?: Style): string;
  /** The correct step at a 1-based location (what an ideal intervention writes there). */
  correctStep(p: Problem, location: number, style?: Style): string;
  /** Ground-truth first wrong step (1-based) or null; see diverge.ts. */
  firstDivergentStep(attempt: string | string[], p: Problem): number | null;
  checkSteps(attempt: string | string[], p: Problem, style?: Style): StepVerdict[];
  /** An attempt with a slip at 1-based stepIndex (style defaults to the task's style). */
  injectError(p: Problem, stepIndex: number, rng: Rng, opts?: InjectOptions): InjectedAttempt;
  /** Ideal compact verification log (check lines with their verdicts) + intervention block. */
  compactVerification(p: Problem, attempt: string | string[]): string;
}

/** Build the chains task. Problems are generated lazily once per split and cached; the same
 *  config always yields the same problems (ids included). Throws on an invalid config with a
 *  message saying which field to fix. */
export function createChainsTask(input: ChainsConfigInput = {}): ChainsTask {
  const config = resolveChainsConfig(input);
  const cache = new Map<Split, Problem[]>();
  const style = config.style;
  return {
    name: 'chains',
    config,
    style,
    prompts: renderersFor(style),
    renderers: { compact: compactRenderers, chat: chatRenderers },
    problems(split: Split): Problem[] {
      if (split !== 'train' && split !== 'test') {
        throw new Error(`split must be "train" or "test", got ${JSON.stringify(split)}`);
      }
      let ps = cache.get(split);
      if (!ps) {
        ps = generateProblems(config, split);
        cache.set(split, ps);
      }
      return [...ps];
    },
    splitSteps,
    joinSteps,
    grade: gradeChains,
    solutionSteps: (p, s = style) => solutionSteps(p, s),
    solution: (p, s = style) => solutionText(p, s),
    correctStep: (p, location, s = style) => correctStep(p, location, s),
    firstDivergentStep,
    checkSteps: (attempt, p, s = style) => checkSteps(attempt, p, s),
    injectError: (p, k, rng, opts = {}) => injectError(p, k, rng, { style, ...opts }),
    compactVerification,
    // The compact verifier is stepwise; a chat model gets the one-prompt verifyAndIntervene.
    ...(style === 'compact' ? { stepwiseVerify: compactStepwiseVerify } : {}),
  };
}
