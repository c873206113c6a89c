// Micro-batch packing under a padded-token budget, and the per-step metric record built from
// micro-batch results (aggregation, TRL names, CSV column order).
import { describe, expect, it } from 'vitest';
import { computeAdvantages } from '../../src/train/advantages';
import { validateGrpoConfig } from '../../src/train/config';
import { packMicroBatches, splitInto } from '../../src/train/microbatch';
import {
  aggregateMicroBatches,
  completionStats,
  csvHeader,
  csvRow,
  METRIC_COLUMNS,
  stepMetrics,
  toCsv,
} from '../../src/train/metrics';
import { OBJECTIVES, type TrainSequence } from '../../src/train/objectives';

describe('packMicroBatches', () => {
  it('packs greedily in input order, padding counted as rows x longest row', () => {
    const mbs = packMicroBatches([10, 30, 20, 5, 40, 40, 8], 80);
    expect(mbs.map((m) => m.indices)).toEqual([[0, 1], [2, 3], [4, 5], [6]]);
    expect(mbs.map((m) => [m.rows, m.maxLength, m.paddedTokens, m.tokens])).toEqual([
      [2, 30, 60, 40],
      [2, 20, 40, 25],
      [2, 40, 80, 80],
      [1, 8, 8, 8],
    ]);
    for (const m of mbs) expect(m.paddedTokens).toBeLessThanOrEqual(80);
    // Every sequence exactly once, order preserved.
    expect(mbs.flatMap((m) => m.indices)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('a long row joining raises the padding of the rows already there', () => {
    // 3 rows of 10 fit in 40 (30 tokens), but a 4th row of 20 would make 4 x 20 = 80.
    const mbs = packMicroBatches([10, 10, 10, 20], 40);
    expect(mbs.map((m) => m.indices)).toEqual([[0, 1, 2], [3]]);
  });

  it("order 'length' puts longest first with ties in input order, and wastes less padding", () => {
    const lengths = [5, 40, 5, 40, 5, 40];
    const byInput = packMicroBatches(lengths, 80);
    const byLength = packMicroBatches(lengths, 80, { order: 'length' });
    expect(byLength.map((m) => m.indices)).toEqual([[1, 3], [5, 0], [2, 4]]);
    const padded = (ms: typeof byInput) => ms.reduce((a, m) => a + m.paddedTokens, 0);
    expect(padded(byLength)).toBeLessThan(padded(byInput));
    expect(packMicroBatches(lengths, 80, { order: 'length' })).toEqual(byLength); // deterministic
  });

  it('maxRows caps the rows; the budget is exact at the boundary', () => {
    expect(packMicroBatches([1, 1, 1, 1, 1], 100, { maxRows: 2 }).map((m) => m.rows)).toEqual([2, 2, 1]);
    expect(packMicroBatches([25, 25, 25, 25], 100).map((m) => m.rows)).toEqual([4]);
    expect(packMicroBatches([], 100)).toEqual([]);
  });

  it('a sequence longer than the budget names itself and the fix', () => {
    expect(() => packMicroBatches([100, 900, 50], 512)).toThrow(
      'sequence 1 is 900 tokens long but microBatchTokens is 512, so it fits in no micro-batch: raise microBatchTokens to at least 900, or make it shorter (lower maxCompletionLength, or drop or truncate long prompts)',
    );
    expect(() => packMicroBatches([10], 5, { budgetName: 'sft.microBatchTokens' })).toThrow(/raise sft.microBatchTokens to at least 10/);
    expect(() => packMicroBatches([10], 0)).toThrow(/microBatchTokens \(0\) must be an integer >= 1/);
    expect(() => packMicroBatches([3.5], 10)).toThrow(/sequence 0 has length 3.5/);
  });

  it('splitInto returns the items of each micro-batch', () => {
    const mbs = packMicroBatches([3, 3, 9], 9);
    expect(splitInto(['a', 'b', 'c'], mbs)).toEqual([['a', 'b'], ['c']]);
  });
});

describe('step metrics', () => {
  const seq = (logp: number[], adv: number, truncated = false, ref?: number[]): TrainSequence => ({
    logp: new Float64Array(logp),
    oldLogp: new Float64Array(logp.map((x) => x + 0.5)), // ratio exp(-0.5) ~ 0.61: clipped when A < 0
    refLogp: ref ? new Float64Array(ref) : undefined,
    entropy: new Float64Array(logp.map(() => 1.5)),
    mask: new Uint8Array(logp.map(() => 1)),
    advantage: adv,
    truncated,
  });

  it('aggregating micro-batch stats gives the full-batch stats (token-weighted means, summed loss)', () => {
    const batch = [seq([-1, -2, -1], -1, false, [-1, -1, -1]), seq([-0.5], 1, true, [-0.4]), seq([-1, -1, -1, -1, -1, -1], -0.5, false, [-2, -2, -2, -2, -2, -2])];
    const cfg = validateGrpoConfig({ lossType: 'dapo' });
    const full = OBJECTIVES.dapo.compute(batch, cfg);
    const ctx = OBJECTIVES.dapo.context(batch, cfg);
    const parts = [OBJECTIVES.dapo.compute(batch.slice(0, 2), cfg, ctx), OBJECTIVES.dapo.compute(batch.slice(2), cfg, ctx)];
    const agg = aggregateMicroBatches(parts);
    expect(agg.loss).toBeCloseTo(full.loss, 12);
    expect(agg.tokens).toBe(10);
    expect(agg.sequences).toBe(3);
    expect(agg.clip_ratio_low).toBeCloseTo(9 / 10, 12);
    expect(agg.clip_ratio_low).toBeCloseTo(full.stats.clip_ratio_low, 12);
    expect(agg.clip_ratio_region).toBeCloseTo(full.stats.clip_ratio_region, 12);
    expect(agg.kl!).toBeCloseTo(full.stats.kl!, 12);
    expect(agg.entropy).toBeCloseTo(1.5, 12);
    expect(agg.skip).toBe(false);
    const withSkip = aggregateMicroBatches([...parts, OBJECTIVES.dapo.compute([], cfg)]);
    expect(withSkip.skip).toBe(true);
    expect(withSkip.reasons).toEqual(['empty batch: no sequences']);
    expect(() => aggregateMicroBatches([])).toThrow(/no micro-batch results/);
  });

  it('builds a record with TRL names from objective, reward and completion stats', () => {
    const batch = [seq([-1, -2, -1], -1), seq([-0.5], 1, true), seq([-1, -1], 0)];
    const agg = aggregateMicroBatches([OBJECTIVES.grpo.compute(batch, validateGrpoConfig())]);
    const rewards = computeAdvantages([0, 1, 1, 1], [0, 0, 1, 1]);
    const m = stepMetrics({
      step: 7, objective: agg, rewards, completions: completionStats(batch),
      gradNorm: 0.5, learningRate: 1e-6, tokensPerSecond: 1234.5, skippedSteps: 1,
    });
    expect(Object.keys(m)).toEqual([...METRIC_COLUMNS]);
    expect(m.reward).toBe(0.75);
    expect(m.frac_reward_zero_std).toBe(0.5);
    expect(m.reward_std).toBeCloseTo(Math.SQRT1_2 / 2, 12);
    expect(m['completions/mean_length']).toBe(2);
    expect(m['completions/min_length']).toBe(1);
    expect(m['completions/max_length']).toBe(3);
    expect(m['completions/clipped_ratio']).toBeCloseTo(1 / 3, 12);
    expect(m['clip_ratio/low_mean']).toBeCloseTo(3 / 6, 12);
    expect(m.entropy).toBe(1.5);
    expect(m.kl).toBeNull(); // no reference log-probs
    expect(m.grad_norm).toBe(0.5);
    expect(m.skipped_steps).toBe(1);
    // SFT step: no rollouts, rewards are not measured.
    const sft = stepMetrics({ step: 0, objective: agg, gradNorm: null, learningRate: 1e-6, tokensPerSecond: null, skippedSteps: 0 });
    expect(sft.reward).toBeNull();
    expect(sft['completions/mean_length']).toBeNull();
    // A skipped step reports no loss.
    const skipped = stepMetrics({ step: 1, objective: { ...agg, skip: true, reasons: ['x'] }, gradNorm: null, learningRate: 1e-6, tokensPerSecond: null, skippedSteps: 2 });
    expect(skipped.loss).toBeNull();
    expect(skipped['clip_ratio/low_mean']).toBeNull();
  });

  it('CSV: stable header, values in column order, empty cells for null', () => {
    expect(csvHeader()).toBe(
      'step,loss,reward,reward_std,frac_reward_zero_std,completions/mean_length,completions/min_length,completions/max_length,' +
        'completions/clipped_ratio,entropy,kl,clip_ratio/low_mean,clip_ratio/high_mean,clip_ratio/region_mean,grad_norm,' +
        'learning_rate,tokens_per_second,skipped_steps',
    );
    const row = csvRow({ step: 3, loss: 0.125, learning_rate: 1e-6, kl: null, skipped_steps: 0 });
    expect(row).toBe('3,0.125,,,,,,,,,,,,,,0.000001,,0');
    expect(row.split(',')).toHaveLength(METRIC_COLUMNS.length);
    const csv = toCsv([{ step: 0, loss: 1 }, { step: 1, loss: 0.5 }]);
    expect(csv.split('\n')).toHaveLength(4);
    expect(csv.endsWith('\n')).toBe(true);
  });
});
