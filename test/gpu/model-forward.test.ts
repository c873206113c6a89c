// Decoder forward parity: GPU log-probs and entropies equal the float64 reference for each family
// fixture (Llama GQA + llama3 rope, Qwen2 q/k/v bias, Qwen3 q/k-norm + 151,936 vocabulary), for
// padded (right / left), packed and chunked-logits batches, with f32 and f16 weights.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Gpu } from '../../src/gpu';
import { NodeFolderSource } from '../../src/io/folder';
import { Decoder } from '../../src/model/decoder';
import { loadModelWeights } from '../../src/model/weights';
import { referenceBatch } from '../../src/model/reference';
import type { TokenBatch } from '../../src/model/layout';
import { getTestGpu } from '../shared/gpu-env';
import { NO_F16 } from '../shared/check';
import { gpuModel, loadFixture, maxDiff, randomBatch, randomModel, refModel, smallConfig, type HostModel } from './model-fixtures';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

/** f32 weights: |GPU - reference| on log-probs and entropies. */
const TOL_F32 = 1e-4;
/** f16 weights vs a reference that rounds the same weights to f16 (activations stay f32 on both). */
const TOL_F16 = 5e-4;

async function parity(m: HostModel, batch: TokenBatch, dtype: 'f32' | 'f16', tol: number, opts: { temperature?: number; chunkBytes?: number } = {}) {
  await gpu.sync();
  const inUse = gpu.poolStats().inUse;
  const model = gpuModel(gpu, m, dtype, { logitsChunkBytes: opts.chunkBytes });
  const got = await model.logprobs(batch, { temperature: opts.temperature });
  const want = referenceBatch(refModel(m, { halfWeights: dtype === 'f16' }), batch, { temperature: opts.temperature });
  model.weights.release();
  model.release();
  await gpu.sync();
  expect(gpu.poolStats().inUse, 'every buffer returns to the pool').toBe(inUse);
  const dl = maxDiff(got.logp, want.logp);
  console.log(`[parity] ${m.config.family} ${dtype} logp diff ${dl.toExponential(2)} entropy diff ${maxDiff(got.entropy, want.entropy).toExponential(2)} sample ${want.logp.slice(0, 3).join(",")}`);
  const de = maxDiff(got.entropy, want.entropy);
  expect(dl, `logp max |diff| ${dl}`).toBeLessThan(tol);
  expect(de, `entropy max |diff| ${de}`).toBeLessThan(tol);
  // Padding positions report exactly 0.
  const mean = want.logp.reduce((s, x) => s + x, 0) / want.logp.length;
  expect(Number.isFinite(mean)).toBe(true);
  return { got, want };
}

describe('decoder forward vs reference', () => {
  it('tiny-llama (GQA, llama3 rope scaling, tied): right-padded batch, f32', async () => {
    const m = await loadFixture('tiny-llama');
    const batch = randomBatch(3, 9, m.config.vocabSize, 11, { lengths: [9, 5, 1] });
    const { got } = await parity(m, batch, 'f32', TOL_F32);
    for (const n of [14, 15, 26]) expect(got.logp[n]).toBe(0); // padding
  });

  it('tiny-qwen2 (q/k/v bias): left-padded batch with temperature, f32', async () => {
    const m = await loadFixture('tiny-qwen2');
    await parity(m, randomBatch(2, 8, m.config.vocabSize, 12, { lengths: [3, 8], padSide: 'left' }), 'f32', TOL_F32, { temperature: 0.7 });
  });

  it('tiny-qwen3 (q/k norm, head_dim, 151,936 vocab): packed batch, logits in 3-row chunks', async () => {
    const m = await loadFixture('tiny-qwen3');
    const segments = [0, 0, 0, 1, 1, -1, 2, 2, 2, 2, 2, 3];
    await parity(m, randomBatch(2, 6, m.config.vocabSize, 13, { segments }), 'f32', TOL_F32, { chunkBytes: 3 * 4 * m.config.vocabSize });
  });

  it('untied lm_head, explicit positions (packed rows continuing at offsets)', async () => {
    const m = randomModel(smallConfig('qwen3'), 3);
    const positions = [5, 6, 7, 8, 0, 1, 2, 3, 4, 5];
    await parity(m, randomBatch(2, 5, m.config.vocabSize, 14, { positions }), 'f32', TOL_F32);
  });

  it('padding never leaks: changing padded ids / targets changes no real log-prob', async () => {
    const m = await loadFixture('tiny-qwen2');
    const model = gpuModel(gpu, m, 'f32');
    const b1 = randomBatch(2, 7, m.config.vocabSize, 21, { lengths: [4, 7] });
    const b2 = { ...b1, ids: Array.from(b1.ids), targets: Array.from(b1.targets) };
    for (let t = 4; t < 7; t++) {
      b2.ids[t] = (b2.ids[t] + 17) % m.config.vocabSize;
      b2.targets[t] = (b2.targets[t] + 5) % m.config.vocabSize;
    }
    const r1 = await model.logprobs(b1);
    const r2 = await model.logprobs(b2);
    expect(Array.from(r2.logp)).toEqual(Array.from(r1.logp));
    model.weights.release();
    model.release();
  });

  it('streaming a sharded checkpoint from a model folder gives the same model (f32 and f16 storage)', async () => {
    const m = await loadFixture('tiny-llama-sharded');
    const batch = randomBatch(2, 6, m.config.vocabSize, 41, { lengths: [6, 2] });
    const src = new NodeFolderSource(join(__dirname, '../fixtures/models/tiny-llama-sharded'));
    const want = referenceBatch(refModel(m), batch);
    for (const dtype of gpu.f16 ? (['f32', 'f16'] as const) : (['f32'] as const)) {
      const w = await loadModelWeights(gpu, src, m.table, { dtype });
      expect(w.embed.dtype).toBe(dtype);
      expect(w.norm.dtype).toBe('f32');
      const model = new Decoder(gpu, w);
      const got = await model.logprobs(batch);
      expect(maxDiff(got.logp, want.logp)).toBeLessThan(dtype === 'f32' ? TOL_F32 : 1e-2);
      w.release();
      model.release();
    }
  });

  it('bad batches are refused with a message that says what to fix', async () => {
    const m = randomModel(smallConfig('llama'), 1);
    const model = gpuModel(gpu, m, 'f32');
    const V = m.config.vocabSize;
    expect(() => model.forward(randomBatch(2, 3, V, 1, { lengths: [3, 4] }))).toThrow(/lengths\[1\] = 4 must be an integer in \[0, T=3\]/);
    expect(() => model.forward(randomBatch(1, 4, V, 1, { segments: [0, 1, 0, -1] }))).toThrow(/segment 0 is not one contiguous run/);
    expect(() => model.forward({ ...randomBatch(1, 3, V, 1), ids: [1, V, 2] })).toThrow(/outside the vocabulary/);
    expect(() => model.forward({ ...randomBatch(1, 3, V, 1), targets: [1, 2] })).toThrow(/targets has 2 entries, expected B\*T = 3/);
    model.weights.release();
    model.release();
  });

  it('f16 weights match the f16-rounded reference (llama and qwen2)', async (ctx) => {
    ctx.skip(!gpu.f16, NO_F16);
    for (const name of ['tiny-llama', 'tiny-qwen2']) {
      const m = await loadFixture(name);
      await parity(m, randomBatch(2, 7, m.config.vocabSize, 31, { lengths: [7, 4] }), 'f16', TOL_F16);
    }
  });
});
