// Trainer checkpoints: resuming gives the same next-step losses as an uninterrupted run (full
// fine-tune SFT from a folder on disk; LoRA GRPO, whose rollout seeds come from the saved RNG state,
// from memory); a LoRA checkpoint's adapter files load as a PEFT adapter; clear errors for missing,
// incomplete or mismatched checkpoints.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { LoraAdapter } from '../../src/model/lora';
import { FILES, loadCheckpoint, MemoryCheckpointStore, NodeCheckpointStore } from '../../src/train/checkpoint';
import { validateGrpoConfig, validateSftConfig } from '../../src/train/config';
import { rlStep } from '../../src/train/rl';
import { Trainer } from '../../src/train/trainer';
import { getTestGpu } from '../shared/gpu-env';
import { BOS, readParams, releaseModel, sameBits, sftData, tinyLlama, trainModel } from './train-fixtures';

let gpu: Gpu;
const dirs: string[] = [];
const models: ReturnType<typeof trainModel>[] = [];
beforeAll(async () => {
  gpu = await getTestGpu();
});
afterAll(() => {
  models.forEach(releaseModel);
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function model(mode: 'full' | 'lora', seed = 7, loraSeed = 0) {
  const m = trainModel(gpu, tinyLlama(seed), mode, loraSeed);
  models.push(m);
  return m;
}

describe('checkpoint resume', () => {
  it('full fine-tune SFT: resume from disk gives the same next two losses as the uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'int-ckpt-'));
    dirs.push(dir);
    const store = new NodeCheckpointStore(dir);
    const cfg = validateSftConfig({ batchSize: 4, optim: { lr: 5e-3, schedule: 'cosine', warmupSteps: 1, weightDecay: 0.01 } });
    const batches = [sftData(4), sftData(4, (i) => 5 + i), sftData(3, () => 6), sftData(4, (i) => 9 - i), sftData(4)];
    const a = new Trainer(model('full'), { config: cfg, totalSteps: 5 });
    for (const b of batches.slice(0, 3)) await a.sftStep(b);
    const name = await a.save(store);
    expect(name).toBe('step-000003');
    const want = [];
    for (const b of batches.slice(3)) want.push((await a.sftStep(b)).metrics);

    // A fresh model with other weights: everything trained comes from the checkpoint.
    const b = new Trainer(model('full', 99), { config: cfg, totalSteps: 5 });
    expect(await b.resume(store)).toBe(name); // LATEST
    expect([b.step, b.optimizer.t, b.history.length]).toEqual([3, 3, 3]);
    const got = [];
    for (const x of batches.slice(3)) got.push((await b.sftStep(x)).metrics);
    console.log(`[ckpt] next losses uninterrupted ${want.map((m) => m.loss).join(', ')}; resumed ${got.map((m) => m.loss).join(', ')}`);
    for (let i = 0; i < 2; i++) {
      expect(got[i].loss).toBe(want[i].loss);
      expect(got[i].grad_norm).toBe(want[i].grad_norm);
      expect(got[i].learning_rate).toBe(want[i].learning_rate);
      expect(got[i].step).toBe(4 + i);
    }
    expect(sameBits(await readParams(gpu, b.params, 'value'), await readParams(gpu, a.params, 'value'))).toBe(true);
  });

  it('LoRA GRPO: resume from memory gives the same rollouts and losses (RNG state restored)', async () => {
    const store = new MemoryCheckpointStore();
    const cfg = validateGrpoConfig({ numGenerations: 4, maxCompletionLength: 3, steps: 5, seed: 5, optim: { lr: 2e-2, warmupSteps: 2 } });
    const prompts = [[BOS, 50], [BOS, 72]];
    const reward = (s: { completion: readonly number[] }) => (s.completion[0] >= 65 && s.completion[0] <= 122 ? 1 : 0);
    const a = new Trainer(model('lora'), { config: cfg });
    for (let i = 0; i < 2; i++) await rlStep(a, prompts, reward);
    await a.save(store, 'after-2');
    const want = [];
    for (let i = 0; i < 2; i++) want.push(await rlStep(a, prompts, reward));

    const b = new Trainer(model('lora', 7, 42), { config: cfg }); // another adapter init: overwritten by resume
    await b.resume(store, 'after-2');
    for (let i = 0; i < 2; i++) {
      const got = await rlStep(b, prompts, reward);
      expect(got.samples.map((s) => s.completion)).toEqual(want[i].samples.map((s) => s.completion));
      expect(got.metrics.loss).toBe(want[i].metrics.loss);
      expect(got.metrics.reward).toBe(want[i].metrics.reward);
    }
  });
});

describe('checkpoint files', () => {
  it('a LoRA checkpoint holds PEFT adapter files that LoraAdapter.load reads back', async () => {
    const store = new MemoryCheckpointStore();
    const m = model('lora');
    const t = new Trainer(m, { config: validateSftConfig({ batchSize: 2, optim: { lr: 1e-2, schedule: 'constant', warmupRatio: 0 } }) });
    await t.sftStep(sftData(2));
    await t.save(store, 'peft');
    expect([...store.files.keys()].sort()).toEqual(['LATEST', ...Object.values({ a: FILES.adapterConfig, b: FILES.adapterWeights, c: FILES.optimizer, d: FILES.state }).map((f) => `peft/${f}`)].sort());
    const cfgJson = new TextDecoder().decode(await store.read(`peft/${FILES.adapterConfig}`));
    expect(JSON.parse(cfgJson)).toMatchObject({ peft_type: 'LORA', r: 8, lora_alpha: 16 });
    const ad = await LoraAdapter.load(gpu, m.adapter!.table, cfgJson, await store.read(`peft/${FILES.adapterWeights}`));
    const p1 = await readParams(gpu, ad.parameters(), 'value');
    const p0 = await readParams(gpu, t.params, 'value');
    expect(sameBits(p1, p0)).toBe(true);
    ad.release();
    const state = JSON.parse(new TextDecoder().decode(await store.read(`peft/${FILES.state}`)));
    expect(state).toMatchObject({ format: 'int-lab-checkpoint', version: 1, mode: 'lora', step: 1, skippedSteps: 0, optimizerT: 1 });
    expect(state.history).toHaveLength(1);
    expect(state.config.kind).toBe('sft');
  });

  it('missing, incomplete and mismatched checkpoints fail with clear errors', async () => {
    const store = new MemoryCheckpointStore();
    await expect(loadCheckpoint(store)).rejects.toThrow(/no checkpoint in memory \(no LATEST file\)/);
    const t = new Trainer(model('lora'), { config: validateSftConfig({ optim: { schedule: 'constant', warmupRatio: 0 } }) });
    await t.save(store, 'good');
    await t.save(store, 'broken');
    store.files.delete(`broken/${FILES.state}`); // as if the process died while writing it
    await expect(loadCheckpoint(store, 'broken')).rejects.toThrow(/broken is not a complete checkpoint \(no trainer_state\.json\); load an earlier one/);
    await expect(loadCheckpoint(store, '../x')).rejects.toThrow(/must be one folder name/);
    const full = new Trainer(model('full'), { config: validateSftConfig({ optim: { schedule: 'constant', warmupRatio: 0 } }) });
    await expect(full.resume(store, 'good')).rejects.toThrow(/is a lora checkpoint but this trainer trains all weights/);
    expect((await loadCheckpoint(store, 'good')).snapshot.mode).toBe('lora');
  });
});
