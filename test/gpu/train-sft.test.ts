// Trainer, SFT steps: micro-batch 1 x accumulation 8 equals micro-batch 8 x accumulation 1 (gradients,
// loss, updated weights); SFT memorises a small dataset (full fine-tune and LoRA); schedule and metric
// names per step; bad input (empty batch, too long, out-of-vocabulary, budget) fails clearly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { validateSftConfig, type SftConfigInput } from '../../src/train/config';
import { METRIC_COLUMNS } from '../../src/train/metrics';
import { learningRate } from '../../src/train/schedule';
import { sftTotalSteps, Trainer } from '../../src/train/trainer';
import { randn } from '../shared/check';
import { getTestGpu } from '../shared/gpu-env';
import { BOS, mapDiff, readParams, releaseModel, sftData, tinyLlama, trainModel } from './train-fixtures';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

const models: ReturnType<typeof trainModel>[] = [];
afterAll(() => models.forEach(releaseModel));

function trainer(mode: 'full' | 'lora', cfg: SftConfigInput, extra: Partial<ConstructorParameters<typeof Trainer>[1]> = {}, base: 'f16' | 'f32' = 'f32'): Trainer {
  const model = trainModel(gpu, tinyLlama(7), mode, 0, base);
  models.push(model);
  return new Trainer(model, { config: validateSftConfig(cfg), ...extra });
}

/** Mean completion NLL of the examples under the trainer's current weights. */
async function meanNll(t: Trainer, data: ReturnType<typeof sftData>): Promise<number> {
  const rows = data.map((e, i) => t.makeRow(e.prompt, e.completion, `example ${i}`));
  const { logp } = await t.scoreRows(rows);
  let s = 0;
  let n = 0;
  for (const lp of logp) for (const x of lp) (s -= x), n++;
  return s / n;
}

describe('SFT: micro-batch 1 x accumulation 8 == micro-batch 8 x accumulation 1', () => {
  // Rows of 9..16 tokens: a budget of 16 holds one row, a budget of 128 all eight. Tolerances: the
  // gradients of the first step (same weights) agree per tensor within 1e-5 of the tensor's largest
  // entry (f32 sums in another order; measured ~5e-7). Weights after 3 AdamW steps agree within
  // 2e-3 lr (measured: full 4e-7, LoRA 7e-8 at lr 1e-3). Adam divides each gradient by its own size, so
  // an entry whose gradient is only ~10 eps can move a few % of lr on f32 noise: a fresh adapter (B = 0,
  // so dA = 0 on the first step, then tiny) showed 2.4e-5; hence the random B below.
  const data = sftData(8, (i) => 7 + i);
  const lr = 1e-3;
  for (const mode of ['full', 'lora'] as const) {
    it(`${mode}: same loss each step, same first gradients, weights within 2e-3 lr after 3 steps`, async () => {
      const grads: Map<string, Float32Array>[][] = [[], []];
      const optim = { lr, schedule: 'constant' as const, warmupRatio: 0, weightDecay: 0.01, maxGradNorm: 1 };
      const ts = [16, 128].map((budget, k) =>
        trainer(mode, { batchSize: 8, microBatchTokens: budget, optim }, { onGradients: async (ps) => void grads[k].push(await readParams(gpu, ps, 'grad')) }),
      );
      if (mode === 'lora') {
        // A fresh adapter has B = 0 (and so dA = 0): give both the same random B.
        for (const t of ts) for (const p of t.params) if (p.name.includes('lora_B')) gpu.write(p.value, randn(p.value.size, p.value.size, 0.05));
      }
      for (let step = 0; step < 3; step++) {
        const [a, b] = [await ts[0].sftStep(data), await ts[1].sftStep(data)];
        expect([a.microBatches, b.microBatches]).toEqual([8, 1]);
        expect(a.skipped || b.skipped).toBe(false);
        expect(Math.abs(a.metrics.loss! - b.metrics.loss!)).toBeLessThan(1e-5 * b.metrics.loss!);
        expect(Math.abs(a.metrics.grad_norm! - b.metrics.grad_norm!)).toBeLessThan(1e-5 * b.metrics.grad_norm!);
      }
      for (const [name, ga] of grads[0][0]) {
        const d = mapDiff(new Map([[name, ga]]), new Map([[name, grads[1][0].get(name)!]]));
        expect(d.scale, name).toBeGreaterThan(0); // every tensor gets a gradient
        expect(d.diff, name).toBeLessThan(1e-5 * d.scale);
      }
      const w = mapDiff(await readParams(gpu, ts[0].params, 'value'), await readParams(gpu, ts[1].params, 'value'));
      console.log(`[sft ${mode}] 8 x 1 vs 1 x 8: weights differ by ${w.diff.toExponential(2)} after 3 steps (lr ${lr})`);
      expect(w.diff).toBeLessThan(2e-3 * lr);
    });
  }
});

describe('SFT convergence', () => {
  const data = sftData(4);
  it('full fine-tune drives the mean NLL of 4 rows below 0.05', async () => {
    const t = trainer('full', { batchSize: 4, optim: { lr: 1e-2, schedule: 'constant', warmupRatio: 0 } });
    const before = await meanNll(t, data);
    for (let i = 0; i < 40; i++) expect((await t.sftStep(data)).skipped).toBe(false);
    const after = await meanNll(t, data);
    console.log(`[sft full] mean NLL ${before.toFixed(3)} -> ${after.toExponential(2)} in 40 steps; ${t.history.at(-1)!.tokens_per_second!.toFixed(0)} tokens/s`);
    expect(before).toBeGreaterThan(3);
    expect(after).toBeLessThan(0.05);
  });

  it('LoRA on f16 base weights (where supported; cosine schedule with warm-up) drives the mean NLL of 4 rows below 0.05', async () => {
    const steps = 60;
    const base = gpu.f16 ? 'f16' : 'f32';
    const t = trainer('lora', { batchSize: 4, optim: { lr: 3e-2, schedule: 'cosine', minLrRatio: 0.1, warmupRatio: 0.05 } }, { totalSteps: steps }, base);
    expect(t.model.weights.dtype).toBe(base);
    const before = await meanNll(t, data);
    for (let i = 0; i < steps; i++) expect((await t.sftStep(data)).skipped).toBe(false);
    const after = await meanNll(t, data);
    console.log(`[sft lora, ${base} base] mean NLL ${before.toFixed(3)} -> ${after.toFixed(4)} in ${steps} steps`);
    expect(after).toBeLessThan(0.05);
  });
});

describe('SFT steps: schedule and metrics', () => {
  it('reports TRL-named metrics per step; the learning rate follows warm-up + cosine', async () => {
    const optim = { lr: 1e-3, schedule: 'cosine' as const, minLrRatio: 0.1, warmupSteps: 2 };
    const total = sftTotalSteps(12, { batchSize: 2, epochs: 1 });
    expect(total).toBe(6);
    const t2 = trainer('lora', { batchSize: 2, optim }, { totalSteps: total });
    const seen: number[] = [];
    for (let i = 0; i < total; i++) {
      const r = await t2.sftStep(sftData(2));
      expect(Object.keys(r.metrics)).toEqual([...METRIC_COLUMNS]);
      expect(r.metrics.step).toBe(i + 1);
      expect(r.metrics.learning_rate).toBeCloseTo(learningRate(i, total, { ...t2.config.optim }), 12);
      expect(r.metrics.tokens_per_second!).toBeGreaterThan(0);
      expect(r.metrics.grad_norm!).toBeGreaterThan(0);
      expect(r.metrics.skipped_steps).toBe(0);
      expect(r.metrics.reward).toBeNull();
      seen.push(r.metrics.learning_rate!);
    }
    expect(seen[0]).toBeLessThan(seen[1]); // warm-up rises
    expect(seen[2]).toBeCloseTo(1e-3, 12); // then the peak
    expect(seen[total - 1]).toBeLessThan(seen[2]); // and decays
    expect(t2.history).toHaveLength(total);
  });

  it('an SFT trainer with a schedule that needs the run length and none given: clear error', () => {
    expect(() => trainer('lora', { optim: { schedule: 'cosine' } })).toThrow(/needs totalSteps.*sftTotalSteps/);
  });
});

describe('SFT steps: per-token loss weights', () => {
  it('the step loss is the weighted mean NLL of the completions; bad weights throw naming the example', async () => {
    const t = trainer('full', { batchSize: 4, optim: { lr: 1e-3 } }, { totalSteps: 10 });
    const data = sftData(4);
    const weights = data.map((e, i) => e.completion.map((_, k) => (k * 3 + i) % 4)); // 0..3, some tokens left out
    const rows = data.map((e, i) => t.makeRow(e.prompt, e.completion, `example ${i}`));
    const { logp } = await t.scoreRows(rows);
    let s = 0;
    let n = 0;
    logp.forEach((lp, i) => lp.forEach((x, k) => ((s -= weights[i][k] * x), (n += weights[i][k]))));
    const plain = await meanNll(t, data);
    expect(Math.abs(s / n - plain)).toBeGreaterThan(1e-3); // the weights matter on these rows
    const r = await t.sftStep(data.map((e, i) => ({ ...e, weights: weights[i] })));
    expect(r.skipped).toBe(false);
    expect(r.metrics.loss!).toBeCloseTo(s / n, 4);
    await expect(t.sftStep([{ ...data[0], weights: [1] }])).rejects.toThrow(/example 0: weights has 1 entries but the completion has \d+ tokens/);
    await expect(t.sftStep([data[1], { ...data[0], weights: data[0].completion.map(() => -1) }])).rejects.toThrow(/example 1: weights\[0\] is -1/);
  });
});

describe('SFT steps: bad input', () => {
  it('an empty batch is a skipped, counted step; bad rows throw naming the row and the limit', async () => {
    const t = trainer('lora', { batchSize: 2, microBatchTokens: 64, optim: { lr: 1e-3 } }, { totalSteps: 10 });
    const r = await t.sftStep([]);
    expect(r.skipped).toBe(true);
    expect(r.reason).toMatch(/empty batch/);
    expect(r.metrics.skipped_steps).toBe(1);
    expect(r.metrics.loss).toBeNull();
    expect(t.skippedSteps).toBe(1);
    const noTokens = await t.sftStep([{ prompt: [BOS], completion: [] }]);
    expect(noTokens.reason).toMatch(/every completion is empty/);
    expect(t.skippedSteps).toBe(2);
    const ctx = t.model.config.maxPositions; // 512
    const long = { prompt: [BOS], completion: new Array(ctx).fill(65) };
    await expect(t.sftStep([sftData(1)[0], long])).rejects.toThrow(new RegExp(`example 1 is ${ctx + 1} tokens long.*context of ${ctx} tokens`));
    await expect(t.sftStep([{ prompt: [BOS], completion: [65, 999] }])).rejects.toThrow(/example 0: completion token 1 is 999, outside the vocabulary \[0, 272\)/);
    await expect(t.sftStep([{ prompt: [], completion: [65] }])).rejects.toThrow(/example 0: the prompt is empty/);
    // Fits the context but not the micro-batch budget (64 tokens).
    await expect(t.sftStep([{ prompt: [BOS], completion: new Array(80).fill(65) }])).rejects.toThrow(/sequence 0 is 81 tokens long but microBatchTokens is 64/);
    expect(t.step).toBe(2); // the rejected calls did not count as steps
    const ok = await t.sftStep([...sftData(2), { prompt: [BOS, 50], completion: [] }]); // an empty completion among others is fine
    expect(ok.skipped).toBe(false);
    expect(ok.metrics.step).toBe(3);
    expect(ok.metrics.skipped_steps).toBe(2);
  });
});
