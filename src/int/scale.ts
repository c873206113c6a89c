// --scale F: grow an experiment's budgets for GPU runs. Counts of problems, samples and steps are
// multiplied by F (rounded, at least 1 where they were >= 1); rates, epochs, lengths, batch and
// group shapes and the definitions of the pool and the filter stay as the preset has them.

import { resolveChainsConfig } from '../tasks/chains/config';
import { mergeConfig, resolveIntConfig, type IntConfig, type IntConfigInput } from './config';

/** What --scale multiplies, as --help lists it. */
export const SCALED_FIELDS: readonly string[] = Object.freeze([
  'data.chains.counts.<tier>.train / .test (problems per tier)',
  'data.maxTrainProblems, data.maxTestProblems (when set)',
  'rollouts.k (attempts per training problem)',
  'propose.maxAttempts (when set)',
  'continuation.k (continuations per intervention, and per diagnostic start)',
  'rl.steps',
  'eval.samples (samples per test problem)',
]);

/** What --scale keeps, as --help lists it. */
export const UNSCALED_FIELDS: readonly string[] = Object.freeze([
  'learning rates and schedules, sft.epochs',
  'lengths (maxNewTokens, rl.maxCompletionLength)',
  'batch and group shapes (sft.batchSize, rl.promptsPerStep, rl.numGenerations)',
  'propose.perAttempt (one kept of that many), continuation.minCorrect, eval.ks (a k above the scaled samples is dropped)',
  'the pool definition (rollouts.poolSamples, rollouts.poolMaxCorrect)',
]);

/** Check a --scale value: a finite number > 0. */
export function checkScale(f: number, what = '--scale'): number {
  if (typeof f !== 'number' || !Number.isFinite(f) || f <= 0) throw new Error(`${what} must be a positive number (e.g. 4), got ${String(f)}`);
  return f;
}

/** The config with its budgets multiplied by `f` (see SCALED_FIELDS), validated; f = 1 returns
 *  the config itself. */
export function scaleConfig(c: IntConfig, f: number): IntConfig {
  checkScale(f);
  if (f === 1) return c;
  const n = (x: number) => (x >= 1 ? Math.max(1, Math.round(x * f)) : x);
  const nn = (x: number | null) => (x === null ? null : n(x));
  const over: IntConfigInput = {
    data: { maxTrainProblems: nn(c.data.maxTrainProblems), maxTestProblems: nn(c.data.maxTestProblems) },
    rollouts: { k: n(c.rollouts.k) },
    propose: { maxAttempts: nn(c.propose.maxAttempts) },
    continuation: { k: n(c.continuation.k) },
    rl: { steps: n(c.rl.steps) },
    // a k larger than the scaled samples (F < 1) is dropped: pass@k needs k samples
    eval: { samples: n(c.eval.samples), ks: c.eval.ks.filter((k) => k <= n(c.eval.samples)) },
  };
  if (c.data.task === 'chains') {
    const counts = resolveChainsConfig({ ...c.data.chains, style: undefined }).counts;
    const scaled = Object.fromEntries(Object.entries(counts).map(([t, k]) => [t, { train: n(k.train), test: n(k.test) }]));
    over.data = { ...over.data, chains: { ...c.data.chains, counts: scaled } };
  }
  return resolveIntConfig(mergeConfig(c as IntConfigInput, over));
}
