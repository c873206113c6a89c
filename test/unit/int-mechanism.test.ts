// The zero-advantage share at an RL step: groups whose rewards are all equal, overall and per
// tier, on hand-made groups; grouping samples by prompt; the report's mechanism field.
import { describe, expect, it } from 'vitest';
import { isZeroVariance, rewardGroups, zeroVarianceShare } from '../../src/int/mechanism';

describe('zero-variance share', () => {
  it('counts groups with all-equal rewards, overall and per tier', () => {
    const m = zeroVarianceShare([
      { tier: 'critical', rewards: [0, 0, 0, 0] }, // zero: all wrong
      { tier: 'critical', rewards: [0, 1, 0, 0] },
      { tier: 'critical', rewards: [0, 0, 0, 0] }, // zero
      { tier: 'easy', rewards: [1, 1, 1, 1] }, // zero: all right
      { tier: 'easy', rewards: [1, 0, 1, 1] },
    ]);
    expect(m).toEqual({
      step: 1,
      groups: 5,
      zeroVariance: 3,
      share: 0.6,
      byTier: { critical: { groups: 3, zeroVariance: 2, share: 2 / 3 }, easy: { groups: 2, zeroVariance: 1, share: 0.5 } },
    });
  });

  it('a one-sample group has zero variance; no groups gives NaN', () => {
    expect(isZeroVariance([1])).toBe(true);
    expect(isZeroVariance([0.5, 0.5])).toBe(true);
    expect(isZeroVariance([0, 1e-9])).toBe(false);
    expect(zeroVarianceShare([]).share).toBeNaN();
  });

  it('groups samples by their prompt index with the prompt tiers', () => {
    const samples = [
      { prompt: 1, reward: 1 },
      { prompt: 0, reward: 0 },
      { prompt: 1, reward: 0 },
      { prompt: 0, reward: 0 },
    ];
    expect(rewardGroups(samples, ['hard', 'easy'])).toEqual([
      { tier: 'hard', rewards: [0, 0] },
      { tier: 'easy', rewards: [1, 0] },
    ]);
    expect(() => rewardGroups([{ prompt: 2, reward: 0 }], ['a'])).toThrow(/prompt 2/);
  });
});
