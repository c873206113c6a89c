// InT's mechanism, measured: at an arm's first RL step, the share of prompt groups whose rewards
// are all equal (every sample right or every sample wrong), so the group-relative advantage is
// zero and RL learns nothing from that prompt; overall and per tier of the prompts.

/** The rewards of one prompt's samples at one RL step, with the prompt's tier. */
export interface RewardGroup {
  tier: string;
  rewards: number[];
}

export interface ZeroVarianceCount {
  groups: number;
  /** Groups whose rewards are all equal (zero advantage). */
  zeroVariance: number;
  /** zeroVariance / groups (NaN for no groups). */
  share: number;
}

/** results.json's mechanism entry of one arm. */
export interface ArmMechanism extends ZeroVarianceCount {
  /** The RL step measured (1-based). */
  step: 1;
  byTier: Record<string, ZeroVarianceCount>;
}

/** Group `samples` (each with the index of its prompt) by prompt, in prompt order, with the tier
 *  of each prompt. */
export function rewardGroups(samples: readonly { prompt: number; reward: number }[], tiers: readonly string[]): RewardGroup[] {
  const groups: RewardGroup[] = tiers.map((tier) => ({ tier, rewards: [] }));
  for (const s of samples) {
    if (!groups[s.prompt]) throw new Error(`rewardGroups: sample of prompt ${s.prompt} but only ${tiers.length} prompts have a tier`);
    groups[s.prompt].rewards.push(s.reward);
  }
  return groups;
}

/** Whether every reward of a group is the same (a group of one sample counts as zero variance). */
export function isZeroVariance(rewards: readonly number[]): boolean {
  return rewards.every((r) => r === rewards[0]);
}

function count(groups: readonly RewardGroup[]): ZeroVarianceCount {
  const zeroVariance = groups.filter((g) => isZeroVariance(g.rewards)).length;
  return { groups: groups.length, zeroVariance, share: groups.length ? zeroVariance / groups.length : NaN };
}

/** The zero-variance share of one RL step's groups, overall and per tier (tiers in first-seen order). */
export function zeroVarianceShare(groups: readonly RewardGroup[]): ArmMechanism {
  const byTier: Record<string, ZeroVarianceCount> = {};
  for (const tier of [...new Set(groups.map((g) => g.tier))]) byTier[tier] = count(groups.filter((g) => g.tier === tier));
  return { step: 1, ...count(groups), byTier };
}
