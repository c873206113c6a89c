// Non-finite steps: a NaN or Inf injected into a gradient, or a NaN loss (non-finite log-probs), skips
// the step: it is counted and reported, no weight or optimiser moment changes (the update kernel reads
// the clip factor on the GPU and does nothing when the norm is not finite), training then goes on, and
// the last good checkpoint still loads; after maxNonFiniteSteps such steps in a row training stops, naming
// the first kernel that wrote a non-finite value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWeight, writeWeight, type Gpu } from '../../src/gpu';
import { loadCheckpoint, MemoryCheckpointStore } from '../../src/train/checkpoint';
import { validateSftConfig } from '../../src/train/config';
import { NonFiniteTrainingError, Trainer } from '../../src/train/trainer';
import { getTestGpu } from '../shared/gpu-env';
import { readParams, releaseModel, sameBits, sftData, tinyLlama, trainModel } from './train-fixtures';

let gpu: Gpu;
const models: ReturnType<typeof trainModel>[] = [];
beforeAll(async () => {
  gpu = await getTestGpu();
});
afterAll(() => models.forEach(releaseModel));

const cfg = validateSftConfig({ batchSize: 4, optim: { lr: 1e-2, schedule: 'constant', warmupRatio: 0 } });

for (const mode of ['full', 'lora'] as const) {
  describe(`non-finite gradients (${mode})`, () => {
    it('a NaN, then an Inf, gradient entry: skipped, counted, weights and moments unchanged; then training resumes', async () => {
      const model = trainModel(gpu, tinyLlama(3), mode);
      models.push(model);
      let inject: number | null = null;
      const t = new Trainer(model, {
        config: cfg,
        onGradients: (ps) => {
          if (inject === null) return;
          const p = ps[ps.length - 1];
          const g = new Float32Array(p.grad.size).fill(1e-3);
          g[g.length >> 1] = inject;
          gpu.write(p.grad, g);
        },
      });
      const data = sftData(4);
      expect((await t.sftStep(data)).skipped).toBe(false); // moments are non-zero from here on
      const store = new MemoryCheckpointStore();
      await t.save(store, 'good');
      const w0 = await readParams(gpu, t.params, 'value');
      const m0 = await t.optimizer.exportState();

      for (const [k, bad] of [[1, NaN], [2, Infinity]] as const) {
        inject = bad;
        const r = await t.sftStep(data);
        expect(r.skipped).toBe(true);
        expect(r.reason).toMatch(new RegExp(`gradient norm is ${bad}: a gradient is NaN or infinite; the update was not applied`));
        expect(r.metrics.skipped_steps).toBe(k);
        expect(r.metrics.grad_norm).toBeNull();
        expect(r.gradNorm).toBe(bad);
        expect(r.metrics.loss).toBeNull();
        expect(r.metrics.step).toBe(1 + k);
        expect(sameBits(await readParams(gpu, t.params, 'value'), w0)).toBe(true);
        const m1 = await t.optimizer.exportState();
        expect(m1.t).toBe(1);
        expect(sameBits(m1.m, m0.m) && sameBits(m1.v, m0.v)).toBe(true);
      }

      inject = null;
      const ok = await t.sftStep(data);
      expect(ok.skipped).toBe(false);
      expect(ok.metrics.skipped_steps).toBe(2);
      expect(Number.isFinite(ok.metrics.grad_norm)).toBe(true);
      expect(t.optimizer.t).toBe(2);
      expect(sameBits(await readParams(gpu, t.params, 'value'), w0)).toBe(false);
      expect(t.history.map((h) => h.skipped_steps)).toEqual([0, 1, 2, 2]);

      // The checkpoint saved before the bad steps still loads and holds the good weights.
      const { snapshot } = await loadCheckpoint(store);
      for (const [name, w] of snapshot.weights) expect(sameBits(new Map([[name, w.data]]), new Map([[name, w0.get(name)!]]))).toBe(true);
    });
  });
}

describe('non-finite loss', () => {
  it('NaN log-probs (a NaN weight) skip the step before any backward; nothing else changes', async () => {
    const model = trainModel(gpu, tinyLlama(4), 'full');
    models.push(model);
    const t = new Trainer(model, { config: cfg });
    const data = sftData(4);
    await t.sftStep(data);
    const head = model.weights.byName.get('lm_head.weight')!;
    const good = await readWeight(gpu, head);
    const poisoned = good.slice();
    poisoned[5] = NaN;
    writeWeight(gpu, head, poisoned);
    const w0 = await readParams(gpu, t.params, 'value');
    const r = await t.sftStep(data);
    expect(r.skipped).toBe(true);
    expect(r.reason).toMatch(/logp\[0\] of sequence 0 is NaN \(the model produced a non-finite log-prob\)/);
    expect(r.microBatches).toBe(1);
    expect(r.metrics.skipped_steps).toBe(1);
    expect(r.metrics.grad_norm).toBeNull();
    expect(sameBits(await readParams(gpu, t.params, 'value'), w0)).toBe(true);
    expect(t.optimizer.t).toBe(1);
    writeWeight(gpu, head, good); // repair: the next step trains normally
    const ok = await t.sftStep(data);
    expect(ok.skipped).toBe(false);
    expect(t.optimizer.t).toBe(2);
  });

  it('stops after maxNonFiniteSteps consecutive non-finite steps, naming the first kernel that wrote one', async () => {
    const model = trainModel(gpu, tinyLlama(5), 'full');
    models.push(model);
    const t = new Trainer(model, { config: cfg });
    const data = sftData(4);
    const head = model.weights.byName.get('lm_head.weight')!;
    const poisoned = (await readWeight(gpu, head)).slice();
    poisoned[3] = NaN;
    writeWeight(gpu, head, poisoned);
    expect((await t.sftStep(data)).skipped).toBe(true);
    expect((await t.sftStep(data)).skipped).toBe(true);
    const err = await t.sftStep(data).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteTrainingError);
    expect((err as Error).message).toMatch(/^training stopped: 3 consecutive steps produced non-finite values \(the last: .*non-finite log-prob.*\)\. Re-run in debug mode: kernel '[^']+' wrote a non-finite value \(NaN\) to .* at flat index \d+\. Lower the learning rate/);
    expect(gpu.debug).toBe(false);
    // 0: never stops (the old behaviour: skip and go on)
    const patient = new Trainer(model, { config: cfg, maxNonFiniteSteps: 0 });
    for (let i = 0; i < 4; i++) expect((await patient.sftStep(data)).skipped).toBe(true);
  });
});
