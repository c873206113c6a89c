// Group-relative advantages for the GRPO family: reward minus its group's mean (the InT
// setting), optionally divided by the group or batch std, plus the reward statistics logged per step.

import type { ScaleRewards } from './config';

export interface AdvantageOptions {
  /** 'none' (default, InT): A = r - mean_group. 'group': divide by the group's std + stdEps.
   *  'batch': divide by the std of all rewards in the batch + stdEps. */
  scaleRewards: ScaleRewards;
  /** Added to the std before dividing. Default 1e-4. */
  stdEps: number;
}

export const ADVANTAGE_DEFAULTS: Readonly<AdvantageOptions> = Object.freeze({ scaleRewards: 'none', stdEps: 1e-4 });

export interface AdvantageResult {
  /** One advantage per sequence, in input order; all zeros when `skip` is set. */
  advantages: Float64Array; // (N,)
  /** Mean reward of each sequence's group. */
  groupMean: Float64Array; // (N,)
  /** Sample std (n - 1 denominator) of each sequence's group; exactly 0 when all its rewards are equal or it has one member. */
  groupStd: Float64Array; // (N,)
  /** Mean reward over the batch. */
  rewardMean: number;
  /** Mean over sequences of their group's std (how TRL logs reward_std). */
  rewardStd: number;
  /** Sample std of all rewards in the batch. */
  batchStd: number;
  /** Fraction of sequences whose group's rewards are all equal (such groups teach nothing);
   *  equals the fraction of groups when every group has G members. */
  fracRewardZeroStd: number;
  /** Number of distinct groups. */
  numGroups: number;
  /** Set when a reward is NaN or infinite: the step must be skipped; `reason` says which. */
  skip: boolean;
  reason?: string;
}

function sampleStd(xs: readonly number[], mean: number): number {
  if (xs.length < 2) return 0;
  let lo = xs[0];
  let hi = xs[0];
  let s = 0;
  for (const x of xs) {
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
    s += (x - mean) * (x - mean);
  }
  // All-equal rewards: report exactly 0 rather than the rounding residue of the mean.
  return lo === hi ? 0 : Math.sqrt(s / (xs.length - 1));
}

/** Advantages of N sequences from their rewards and group ids (groups need not be contiguous;
 *  any id type that works as a Map key). A group whose rewards are all equal gets advantages
 *  that are exactly 0, so its sequences give exactly zero policy gradient. */
export function computeAdvantages(
  rewards: ArrayLike<number>,
  groups: ArrayLike<number | string>,
  opts: Partial<AdvantageOptions> = {},
): AdvantageResult {
  const { scaleRewards, stdEps } = { ...ADVANTAGE_DEFAULTS, ...opts };
  const n = rewards.length;
  if (groups.length !== n) {
    throw new Error(`computeAdvantages: ${n} rewards but ${groups.length} group ids; give one group id per sequence`);
  }
  if (!(stdEps > 0)) throw new Error(`computeAdvantages: stdEps (${stdEps}) must be > 0; use 1e-4`);
  if (!['none', 'group', 'batch'].includes(scaleRewards)) {
    throw new Error(`computeAdvantages: scaleRewards (${JSON.stringify(scaleRewards)}) must be "none", "group" or "batch"`);
  }
  const advantages = new Float64Array(n);
  const groupMean = new Float64Array(n);
  const groupStd = new Float64Array(n);
  const members = new Map<number | string, number[]>();
  for (let i = 0; i < n; i++) {
    const g = groups[i];
    let m = members.get(g);
    if (!m) members.set(g, (m = []));
    m.push(i);
  }
  const empty = (reason: string): AdvantageResult => ({
    advantages, groupMean, groupStd, rewardMean: NaN, rewardStd: NaN, batchStd: NaN,
    fracRewardZeroStd: NaN, numGroups: members.size, skip: true, reason,
  });
  if (n === 0) return empty('empty batch: no sequences to compute advantages for');
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(rewards[i])) {
      return empty(`reward of sequence ${i} (group ${JSON.stringify(groups[i])}) is ${rewards[i]}: the grader must return a finite number`);
    }
  }
  const all = Array.from(rewards);
  const rewardMean = all.reduce((a, b) => a + b, 0) / n;
  const batchStd = sampleStd(all, rewardMean);
  let zero = 0;
  for (const idx of members.values()) {
    const rs = idx.map((i) => rewards[i]);
    const allEqual = rs.every((r) => r === rs[0]);
    const mean = allEqual ? rs[0] : rs.reduce((a, b) => a + b, 0) / rs.length;
    const std = sampleStd(rs, mean);
    if (allEqual) zero += idx.length;
    const scale = scaleRewards === 'group' ? std + stdEps : scaleRewards === 'batch' ? batchStd + stdEps : 1;
    for (const i of idx) {
      groupMean[i] = mean;
      groupStd[i] = std;
      // r - mean is exactly 0 for an all-equal group; 0 / scale stays +0.
      advantages[i] = allEqual ? 0 : (rewards[i] - mean) / scale;
    }
  }
  let stdSum = 0;
  for (let i = 0; i < n; i++) stdSum += groupStd[i];
  return {
    advantages, groupMean, groupStd, rewardMean, rewardStd: stdSum / n, batchStd,
    fracRewardZeroStd: zero / n, numGroups: members.size, skip: false,
  };
}

/** What assignAdvantages reads and writes on each sequence. */
export interface Rewarded {
  reward?: number;
  group?: number | string;
  advantage?: number;
}

/** Compute advantages over the EFFECTIVE batch (whole groups; before splitting into micro-batches)
 *  and store them on the sequences as `advantage`. On `skip` the advantages written are 0.
 *  Throws when a sequence has no reward or no group id. */
export function assignAdvantages(seqs: Rewarded[], opts: Partial<AdvantageOptions> = {}): AdvantageResult {
  seqs.forEach((s, i) => {
    if (typeof s.reward !== 'number') throw new Error(`assignAdvantages: sequence ${i} has no reward; grade it before computing advantages`);
    if (s.group === undefined) throw new Error(`assignAdvantages: sequence ${i} has no group id; set group to its prompt's index`);
  });
  const res = computeAdvantages(seqs.map((s) => s.reward as number), seqs.map((s) => s.group as number | string), opts);
  seqs.forEach((s, i) => (s.advantage = res.advantages[i]));
  return res;
}
