// Per-step metric records with TRL's names, aggregation of objective stats over micro-batches,
// completion-length statistics, and CSV formatting with a stable column order.

import type { AdvantageResult } from './advantages';
import type { ObjectiveStats } from './objectives';

/** CSV column order (never reorder: logs from different runs must line up; append new names at the end). */
export const METRIC_COLUMNS = [
  'step',
  'loss',
  'reward',
  'reward_std',
  'frac_reward_zero_std',
  'completions/mean_length',
  'completions/min_length',
  'completions/max_length',
  'completions/clipped_ratio',
  'entropy',
  'kl',
  'clip_ratio/low_mean',
  'clip_ratio/high_mean',
  'clip_ratio/region_mean',
  'grad_norm',
  'learning_rate',
  'tokens_per_second',
  'skipped_steps',
] as const;

export type MetricName = (typeof METRIC_COLUMNS)[number];
/** One optimiser step; null = not measured this step (e.g. rewards during SFT). */
export type StepMetrics = Record<MetricName, number | null>;

/** What aggregateMicroBatches reads from each ObjectiveResult. */
export interface MicroPart {
  loss: number;
  stats: ObjectiveStats;
  skip: boolean;
  reason?: string;
}

/** ObjectiveStats over a whole step: tokens and sequences summed, the ratios and means token-weighted
 *  over the micro-batches (= the means over the whole effective batch). */
export interface AggregatedStats extends ObjectiveStats {
  /** Sum of the micro-batch losses = the effective-batch loss (objectives normalise by effective totals). */
  loss: number;
  /** Some micro-batch was skipped: the optimiser step must be skipped. */
  skip: boolean;
  /** Reasons of the skipped micro-batches. */
  reasons: string[];
}

/** Combine the results of the micro-batches of one optimiser step. */
export function aggregateMicroBatches(parts: readonly MicroPart[]): AggregatedStats {
  if (parts.length === 0) throw new Error('aggregateMicroBatches: no micro-batch results; call it after computing at least one');
  let loss = 0, tokens = 0, sequences = 0, low = 0, high = 0, region = 0, nll = 0;
  let klW = 0, kl = 0, entW = 0, ent = 0;
  const reasons: string[] = [];
  for (const p of parts) {
    if (p.skip) reasons.push(p.reason ?? 'skipped');
    const s = p.stats;
    loss += p.loss;
    tokens += s.tokens;
    sequences += s.sequences;
    low += s.clip_ratio_low * s.tokens;
    high += s.clip_ratio_high * s.tokens;
    region += s.clip_ratio_region * s.tokens;
    nll += s.nll * s.tokens;
    if (s.kl !== null) (kl += s.kl * s.tokens), (klW += s.tokens);
    if (s.entropy !== null) (ent += s.entropy * s.tokens), (entW += s.tokens);
  }
  const mean = (x: number) => (tokens ? x / tokens : 0);
  return {
    loss, tokens, sequences,
    clip_ratio_low: mean(low), clip_ratio_high: mean(high), clip_ratio_region: mean(region),
    kl: klW ? kl / klW : null, entropy: entW ? ent / entW : null, nll: mean(nll),
    skip: reasons.length > 0, reasons,
  };
}

export interface CompletionStats {
  meanLength: number;
  minLength: number;
  maxLength: number;
  /** Fraction of completions cut at maxCompletionLength. */
  clippedRatio: number;
}

/** Lengths (counted tokens, mask = 1) and truncation rate of a batch of completions. */
export function completionStats(seqs: readonly { mask: ArrayLike<number>; truncated?: boolean }[]): CompletionStats {
  if (seqs.length === 0) return { meanLength: NaN, minLength: NaN, maxLength: NaN, clippedRatio: NaN };
  let sum = 0, min = Infinity, max = -Infinity, cut = 0;
  for (const s of seqs) {
    let n = 0;
    for (let t = 0; t < s.mask.length; t++) if (s.mask[t] !== 0) n++;
    sum += n;
    min = Math.min(min, n);
    max = Math.max(max, n);
    if (s.truncated) cut++;
  }
  return { meanLength: sum / seqs.length, minLength: min, maxLength: max, clippedRatio: cut / seqs.length };
}

export interface StepInputs {
  step: number;
  /** aggregateMicroBatches over this step's micro-batches. */
  objective: AggregatedStats;
  /** Reward statistics of the rollouts (RL only). */
  rewards?: AdvantageResult;
  /** Completion statistics of the rollouts (RL only). */
  completions?: CompletionStats;
  /** Global gradient norm before clipping; null for a skipped step. */
  gradNorm: number | null;
  learningRate: number;
  tokensPerSecond: number | null;
  /** Skipped optimiser steps so far in the run (this one included). */
  skippedSteps: number;
}

const orNull = (x: number | null | undefined): number | null => (x === undefined || x === null || Number.isNaN(x) ? null : x);

/** The metric record of one optimiser step. A skipped step reports no loss and no objective stats. */
export function stepMetrics(inp: StepInputs): StepMetrics {
  const o = inp.objective;
  const live = (x: number | null) => (o.skip ? null : orNull(x));
  const r = inp.rewards && !inp.rewards.skip ? inp.rewards : undefined;
  const c = inp.completions;
  return {
    step: inp.step,
    loss: live(o.loss),
    reward: orNull(r?.rewardMean),
    reward_std: orNull(r?.rewardStd),
    frac_reward_zero_std: orNull(r?.fracRewardZeroStd),
    'completions/mean_length': orNull(c?.meanLength),
    'completions/min_length': orNull(c?.minLength),
    'completions/max_length': orNull(c?.maxLength),
    'completions/clipped_ratio': orNull(c?.clippedRatio),
    entropy: live(o.entropy),
    kl: live(o.kl),
    'clip_ratio/low_mean': live(o.clip_ratio_low),
    'clip_ratio/high_mean': live(o.clip_ratio_high),
    'clip_ratio/region_mean': live(o.clip_ratio_region),
    grad_norm: orNull(inp.gradNorm),
    learning_rate: inp.learningRate,
    tokens_per_second: orNull(inp.tokensPerSecond),
    skipped_steps: inp.skippedSteps,
  };
}

/** CSV header line (no newline). */
export function csvHeader(): string {
  return METRIC_COLUMNS.join(',');
}

/** One CSV line (no newline) in METRIC_COLUMNS order: shortest round-trip numbers, empty for null. */
export function csvRow(m: Partial<StepMetrics>): string {
  return METRIC_COLUMNS.map((k) => {
    const v = m[k];
    return v === null || v === undefined ? '' : String(v);
  }).join(',');
}

/** A whole CSV file: header, one line per step, trailing newline. */
export function toCsv(rows: readonly Partial<StepMetrics>[]): string {
  return [csvHeader(), ...rows.map(csvRow)].join('\n') + '\n';
}
