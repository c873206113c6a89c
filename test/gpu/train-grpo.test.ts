// Trainer, GRPO-family steps: groups whose rewards are all equal give exactly zero policy gradient;
// micro-batch 1 x accumulation N equals N x 1 for grpo / dr_grpo / dapo; GRPO raises a verifiable
// reward on a tiny random model; several passes per batch, the KL to the adapter-off reference, and bad
// input (too-long prompt, NaN reward, empty prompt list, wrong config).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { validateGrpoConfig, validateSftConfig, type GrpoConfigInput } from '../../src/train/config';
import { rlStep, type RewardFn } from '../../src/train/rl';
import { Trainer } from '../../src/train/trainer';
import { randn } from '../shared/check';
import { getTestGpu } from '../shared/gpu-env';
import { BOS, mapDiff, readParams, releaseModel, sameBits, tinyLlama, trainModel } from './train-fixtures';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

const models: ReturnType<typeof trainModel>[] = [];
afterAll(() => models.forEach(releaseModel));

function trainer(mode: 'full' | 'lora', cfg: GrpoConfigInput, extra: Partial<ConstructorParameters<typeof Trainer>[1]> = {}): Trainer {
  const model = trainModel(gpu, tinyLlama(7), mode);
  models.push(model);
  return new Trainer(model, { config: validateGrpoConfig(cfg), ...extra });
}

/** Fixture byte tokenizer: '0'..'9', 'A'..'Z', 'a'..'z'. */
const isAlnum = (id: number) => (id >= 48 && id <= 57) || (id >= 65 && id <= 90) || (id >= 97 && id <= 122);
/** Verifiable reward: 1 when the completion starts with a letter or digit (about 9% at the start). */
const alnumReward: RewardFn = (s) => (isAlnum(s.completion[0]) ? 1 : 0);
const PROMPTS = [[BOS, 50], [BOS, 51], [BOS, 72], [BOS, 105]];

describe('GRPO: zero-variance groups', () => {
  it('rewards all equal within every group: every gradient is exactly 0 and no weight moves', async () => {
    const grads: Map<string, Float32Array>[] = [];
    const t = trainer('full', { numGenerations: 4, maxCompletionLength: 3, optim: { lr: 1e-2 } }, { onGradients: async (ps) => void grads.push(await readParams(gpu, ps, 'grad')) });
    const before = await readParams(gpu, t.params, 'value');
    const r = await rlStep(t, PROMPTS.slice(0, 2), (s) => (s.prompt === 0 ? 0 : 1)); // group 0 all 0, group 1 all 1
    expect(r.skipped).toBe(false);
    expect(r.samples).toHaveLength(8);
    expect(r.samples.every((s) => s.advantage === 0)).toBe(true);
    expect(r.metrics.frac_reward_zero_std).toBe(1);
    expect(r.metrics.reward).toBe(0.5);
    expect(r.metrics.loss).toBe(0);
    let nonZero = 0;
    for (const g of grads[0].values()) for (const x of g) if (x !== 0) nonZero++;
    expect(nonZero).toBe(0);
    expect(r.metrics.grad_norm).toBe(0);
    expect(sameBits(await readParams(gpu, t.params, 'value'), before)).toBe(true);

    // Control: rewards that differ inside a group do give a gradient, and the weights move.
    const r2 = await rlStep(t, PROMPTS.slice(0, 2), (s) => s.sample % 2);
    expect(r2.metrics.frac_reward_zero_std).toBe(0);
    expect(r2.metrics.grad_norm!).toBeGreaterThan(1e-4);
    expect(mapDiff(grads[1], grads[0]).diff).toBeGreaterThan(0);
    expect(sameBits(await readParams(gpu, t.params, 'value'), before)).toBe(false);
  });
});

describe('GRPO: micro-batch 1 x accumulation N == N x 1', () => {
  for (const lossType of ['grpo', 'dr_grpo', 'dapo'] as const) {
    it(`${lossType}: same rollouts, same loss, gradients within 1e-5 of each tensor's largest entry`, async () => {
      const grads: Map<string, Float32Array>[] = [];
      const cfg = { lossType, numGenerations: 4, maxCompletionLength: 4, optim: { lr: 1e-3 } };
      // Rows are prompt 2 + completion <= 4 tokens: a budget of 6 holds one row, 1000 all of them.
      const ts = [6, 1000].map((budget) => trainer('full', { ...cfg, microBatchTokens: budget }, { onGradients: async (ps) => void grads.push(await readParams(gpu, ps, 'grad')) }));
      const reward: RewardFn = (s) => (s.completion.reduce((a, b) => a + b, 0) % 3) / 2; // varies inside groups
      const [a, b] = [await rlStep(ts[0], PROMPTS.slice(0, 3), reward), await rlStep(ts[1], PROMPTS.slice(0, 3), reward)];
      expect(a.samples.map((s) => s.completion)).toEqual(b.samples.map((s) => s.completion));
      expect([a.microBatches, b.microBatches]).toEqual([12, 1]);
      expect(a.metrics.frac_reward_zero_std!).toBeLessThan(1);
      expect(Math.abs(a.metrics.loss! - b.metrics.loss!)).toBeLessThanOrEqual(1e-5 * Math.abs(b.metrics.loss!) + 1e-7);
      let total = 0;
      for (const [name, ga] of grads[0]) {
        const d = mapDiff(new Map([[name, ga]]), new Map([[name, grads[1].get(name)!]]));
        total += d.scale;
        expect(d.diff, name).toBeLessThanOrEqual(1e-5 * d.scale);
      }
      expect(total).toBeGreaterThan(0);
    });
  }
});

describe('GRPO learns a verifiable reward', () => {
  it('LoRA GRPO raises the rate of completions that start with a letter or digit from < 0.5 to > 0.8 in 30 steps', async () => {
    const steps = 30;
    const t = trainer('lora', { numGenerations: 8, promptsPerStep: 4, maxCompletionLength: 2, steps, optim: { lr: 1e-2 } });
    const rewards: number[] = [];
    for (let i = 0; i < steps; i++) {
      const r = await rlStep(t, PROMPTS, alnumReward);
      expect(r.skipped).toBe(false);
      rewards.push(r.metrics.reward!);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(rewards.slice(0, 3));
    const last = mean(rewards.slice(-5));
    console.log(`[grpo] mean reward ${first.toFixed(2)} (first 3 steps) -> ${last.toFixed(2)} (last 5); ${t.history.at(-1)!.tokens_per_second!.toFixed(0)} tokens/s`);
    expect(first).toBeLessThan(0.5);
    expect(last).toBeGreaterThan(0.8);
  });
});

describe('GRPO steps: passes, KL, bad input', () => {
  it('passesPerBatch 2 makes two optimiser steps on the same rollouts; the second sees a ratio != 1', async () => {
    const t = trainer('lora', { numGenerations: 4, maxCompletionLength: 3, passesPerBatch: 2, epsilonLow: 0.01, optim: { lr: 5e-2 } });
    for (const p of t.params) if (p.name.includes('lora_B')) gpu.write(p.value, randn(p.value.size, 3, 0.05));
    const r = await rlStep(t, PROMPTS.slice(0, 2), (s) => s.sample % 2);
    expect(r.passes).toHaveLength(2);
    expect(t.step).toBe(2);
    expect(r.passes.map((p) => p.metrics.step)).toEqual([1, 2]);
    expect(r.passes[0].metrics.reward).toBe(r.passes[1].metrics.reward);
    expect(r.passes.every((p) => !p.skipped)).toBe(true);
    // Pass 1 is on-policy (sampling vs training forward differ by rounding only); pass 2 is after an update.
    expect(r.passes[0].metrics['clip_ratio/region_mean']!).toBe(0);
    expect(r.passes[1].metrics['clip_ratio/region_mean']!).toBeGreaterThan(0);
  });

  it('beta > 0 (LoRA): KL to the adapter-off reference is 0 for a fresh adapter and grows with training', async () => {
    const t = trainer('lora', { numGenerations: 4, maxCompletionLength: 2, beta: 0.04, optim: { lr: 2e-2 } });
    const kls: number[] = [];
    for (let i = 0; i < 4; i++) kls.push((await rlStep(t, PROMPTS.slice(0, 2), (s) => s.sample % 2)).metrics.kl!);
    expect(Math.abs(kls[0])).toBeLessThan(1e-6);
    expect(kls[3]).toBeGreaterThan(1e-5);
    await expect(rlStep(trainer('full', { beta: 0.04, maxCompletionLength: 2 }), PROMPTS, alnumReward)).rejects.toThrow(/beta > 0 needs a reference model/);
  });

  it('too-long prompt throws naming it and the limit; a NaN reward skips the step (counted, weights unchanged)', async () => {
    const t = trainer('full', { numGenerations: 2, maxCompletionLength: 8, optim: { lr: 1e-2 } });
    const ctx = t.model.config.maxPositions;
    const long = [BOS, ...new Array(ctx - 8).fill(65)];
    await expect(rlStep(t, [PROMPTS[0], long], alnumReward)).rejects.toThrow(new RegExp(`prompt 1 has ${ctx - 7} tokens; with maxCompletionLength 8 .* context of ${ctx}`));
    await expect(rlStep(t, [[BOS, 999]], alnumReward)).rejects.toThrow(/prompt 0 token 1 is 999, outside the vocabulary/);
    await expect(rlStep(t, [[]], alnumReward)).rejects.toThrow(/prompt 0 is empty/);
    expect(t.step).toBe(0);

    const before = await readParams(gpu, t.params, 'value');
    const r = await rlStep(t, PROMPTS.slice(0, 2), (s) => (s.prompt === 1 && s.sample === 0 ? NaN : s.sample));
    expect(r.skipped).toBe(true);
    expect(r.reason).toMatch(/reward of sequence 2 .* is NaN/);
    expect(r.metrics.skipped_steps).toBe(1);
    expect(r.metrics.loss).toBeNull();
    expect(sameBits(await readParams(gpu, t.params, 'value'), before)).toBe(true);

    const e = await rlStep(t, [], alnumReward);
    expect(e.skipped).toBe(true);
    expect(e.reason).toMatch(/no prompts/);
    expect(t.skippedSteps).toBe(2);
    const ok = await rlStep(t, PROMPTS.slice(0, 2), (s) => s.sample);
    expect(ok.skipped).toBe(false);
    expect(ok.metrics.step).toBe(3);

    const sft = new Trainer(t.model, { config: validateSftConfig({ optim: { schedule: 'constant', warmupRatio: 0 } }) });
    await expect(rlStep(sft, PROMPTS, alnumReward)).rejects.toThrow(/has an SFT config/);
  });
});
