// Decoder backward: gradients of L = sum(wLogp * logp + wEnt * entropy) with respect to LoRA factors
// (frozen base) and to every base weight (full fine-tune) equal central finite differences of the
// float64 reference forward; activation recomputation gives the same gradients as stored activations.
import { beforeAll, describe, expect, it } from 'vitest';
import { readWeight, type Gpu } from '../../src/gpu';
import type { Decoder } from '../../src/model/decoder';
import { NO_ROW, type TokenBatch } from '../../src/model/layout';
import { LoraAdapter } from '../../src/model/lora';
import { peftLoraKeys } from '../../src/model/params';
import { referenceBatch, type RefLora } from '../../src/model/reference';
import { uploadWeights } from '../../src/model/weights';
import { Decoder as DecoderClass } from '../../src/model/decoder';
import { randn, rng, sampleCoords } from '../shared/check';
import { getTestGpu } from '../shared/gpu-env';
import { randomBatch, randomModel, smallConfig, type HostModel } from './model-fixtures';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

/** |GPU grad - finite difference| <= ATOL + RTOL * |finite difference| (f32 GPU vs float64 reference). */
const ATOL = 2e-5;
const RTOL = 1e-3;
const EPS = 1e-4;

/** Loss weights: random on real tokens, 0 on padding. */
function lossWeights(batch: TokenBatch, seed: number, padMask: boolean[]): { wl: Float32Array; we: Float32Array } {
  const N = batch.B * batch.T;
  const wl = randn(N, seed);
  const we = randn(N, seed + 1, 0.5);
  for (let n = 0; n < N; n++) if (padMask[n]) wl[n] = we[n] = 0;
  return { wl, we };
}

function padMask(batch: TokenBatch): boolean[] {
  const m: boolean[] = [];
  for (let b = 0; b < batch.B; b++) for (let t = 0; t < batch.T; t++) m.push(batch.lengths ? t >= batch.lengths[b] : false);
  return m;
}

function refLoss(m: HostModel, batch: TokenBatch, wl: Float32Array, we: Float32Array, lora?: Map<string, RefLora>): number {
  const r = referenceBatch({ config: m.config, weights: m.weights, lora }, batch, { temperature: 0.9 });
  let s = 0;
  for (let n = 0; n < wl.length; n++) s += wl[n] * r.logp[n] + we[n] * r.entropy[n];
  return s;
}

/** Central difference of f at coordinate i of array a (modified in place, restored), over the step actually stored. */
function fd(a: Float32Array | Float64Array, i: number, f: () => number): number {
  const v = a[i];
  a[i] = v + EPS;
  const hi = a[i]; // the stored value (f32 arrays round the step)
  const fp = f();
  a[i] = v - EPS;
  const lo = a[i];
  const fm = f();
  a[i] = v;
  return (fp - fm) / (hi - lo);
}

function checkGrad(got: ArrayLike<number>, coords: number[], arr: Float32Array | Float64Array, f: () => number, what: string): number {
  let worst = 0;
  for (const i of coords) {
    const want = fd(arr, i, f);
    const err = Math.abs(got[i] - want);
    const ratio = err / (ATOL + RTOL * Math.abs(want));
    worst = Math.max(worst, ratio);
    if (ratio > 1) throw new Error(`${what}[${i}]: GPU ${got[i]} vs finite difference ${want}`);
    if (process.env.MODEL_DEBUG) console.log(what, i, got[i], want);
  }
  return worst;
}

async function loraCase(family: 'llama' | 'qwen2' | 'qwen3', recompute: boolean, over: Record<string, unknown> = {}, chunkRows?: number, keepLogitsBytes?: number) {
  const m = randomModel(smallConfig(family, over), 5);
  const batch = randomBatch(2, 6, m.config.vocabSize, 7, { lengths: [6, 4] });
  const { wl, we } = lossWeights(batch, 9, padMask(batch));
  const model: Decoder = new DecoderClass(gpu, uploadWeights(gpu, m.table, m.weights, { dtype: 'f32' }), { recompute, logitsChunkBytes: chunkRows && chunkRows * 4 * m.config.vocabSize, keepLogitsBytes });
  const ad = LoraAdapter.create(gpu, m.table, { rank: 3, alpha: 6, seed: 4 });
  model.adapter = ad;
  // Non-zero B so every factor has a gradient; mirror A and B on the host.
  const host = new Map<string, RefLora>();
  let seed = 100;
  for (const [name, p] of ad.params) {
    const B = randn(p.B.size, seed++, 0.3);
    gpu.write(p.B, B);
    host.set(name, { A: await gpu.readF32(p.A), B, rank: 3, scale: ad.scale });
  }
  await gpu.sync();
  const inUse = gpu.poolStats().inUse;
  const pass = model.forward(batch, { train: true, temperature: 0.9 });
  model.backward(pass, wl, we);
  await gpu.sync();
  expect(gpu.poolStats().inUse, 'forward + backward return every temporary to the pool').toBe(inUse);
  const f = () => refLoss(m, batch, wl, we, host);
  let worst = 0;
  let checked = 0;
  for (const [name, p] of ad.params) {
    const h = host.get(name)!;
    const dA = await gpu.readF32(p.dA);
    const dB = await gpu.readF32(p.dB);
    worst = Math.max(worst, checkGrad(dA, sampleCoords(dA.length, 3, checked + 1), h.A as Float32Array, f, `${peftLoraKeys(p.target).a}`));
    worst = Math.max(worst, checkGrad(dB, sampleCoords(dB.length, 3, checked + 2), h.B as Float32Array, f, `${peftLoraKeys(p.target).b}`));
    checked += 6;
  }
  console.log(`[model-backward] lora ${family} recompute=${recompute} chunkRows=${chunkRows ?? 'all'} logits ${keepLogitsBytes === 0 ? 'recomputed' : 'kept'}: ${checked} coordinates, worst error ratio ${worst.toFixed(3)}`);
  const grads = new Map<string, Float32Array>();
  for (const q of ad.parameters()) grads.set(q.name, await gpu.readF32(q.grad));
  ad.release();
  model.weights.release();
  model.release();
  return grads;
}

describe('decoder backward vs finite differences of the reference', () => {
  it('LoRA gradients (all 7 modules), Llama GQA with untied head', async () => {
    await loraCase('llama', true);
  });

  it('LoRA gradients, Qwen2 (bias) and Qwen3 (q/k norm, head_dim != C/H)', async () => {
    await loraCase('qwen2', true, { head_dim: undefined, hidden_size: 32 });
    await loraCase('qwen3', true);
  });

  it('recomputing activations, logits in 5-row chunks, or recomputing the logits in the backward, gives the same gradients', async () => {
    const a = await loraCase('qwen3', true);
    for (const b of [await loraCase('qwen3', false), await loraCase('qwen3', true, {}, 5), await loraCase('qwen3', true, {}, undefined, 0), await loraCase('qwen3', true, {}, 5, 0)]) {
      for (const [k, g] of a) {
        const h = b.get(k)!;
        for (let i = 0; i < g.length; i++) expect(Math.abs(g[i] - h[i])).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(g[i]));
      }
    }
  });

  it('rows with target NO_ROW skip the head: the other rows\' log-probs and every gradient equal a pass that weights them 0', async () => {
    for (const chunk of [undefined, 2]) {
      const m = randomModel(smallConfig('qwen2', { tie_word_embeddings: true, head_dim: undefined }), 6);
      const batch = randomBatch(2, 6, m.config.vocabSize, 11, { lengths: [6, 5] });
      const { wl, we } = lossWeights(batch, 21, padMask(batch));
      // a prompt-like run at the start of each row, and one row in the middle, are not scored
      const skip = [0, 1, 2, 3, 6, 9];
      for (const n of skip) wl[n] = we[n] = 0;
      const skipped = { ...batch, targets: Array.from(batch.targets, (t, n) => (skip.includes(n) ? NO_ROW : t)) };
      const run = async (b: TokenBatch) => {
        const model = new DecoderClass(gpu, uploadWeights(gpu, m.table, m.weights, { dtype: 'f32' }), { trainBase: true, logitsChunkBytes: chunk && chunk * 4 * m.config.vocabSize });
        const ad = LoraAdapter.create(gpu, m.table, { rank: 2, alpha: 4, seed: 3 });
        for (const [, p] of ad.params) gpu.write(p.B, randn(p.B.size, 7, 0.3));
        model.adapter = ad;
        const inUse = gpu.poolStats().inUse;
        const pass = model.forward(b, { train: true, temperature: 0.9 });
        const logp = await gpu.readF32(pass.logp);
        model.backward(pass, wl, we);
        await gpu.sync();
        const grads = new Map<string, Float32Array>();
        for (const [name, p] of ad.params) grads.set(name, await gpu.readF32(p.dA)).set(`${name}.B`, await gpu.readF32(p.dB));
        for (const [name, g] of model.grads) grads.set(name, await readWeight(gpu, g));
        ad.release();
        model.weights.release();
        model.release();
        await gpu.sync();
        expect(gpu.poolStats().inUse, 'every temporary back in the pool').toBeLessThanOrEqual(inUse);
        return { logp, grads };
      };
      const all = await run(batch);
      const some = await run(skipped);
      const pad = padMask(batch);
      for (let n = 0; n < wl.length; n++) {
        if (skip.includes(n)) expect(some.logp[n]).toBe(0);
        else if (!pad[n]) expect(Math.abs(some.logp[n] - all.logp[n])).toBeLessThanOrEqual(1e-6 + 1e-6 * Math.abs(all.logp[n]));
      }
      for (const [k, g] of all.grads) {
        const h = some.grads.get(k)!;
        let scale = 0;
        for (const v of g) scale = Math.max(scale, Math.abs(v));
        for (let i = 0; i < g.length; i++) expect(Math.abs(g[i] - h[i]), `${k}[${i}]`).toBeLessThanOrEqual(1e-6 + 1e-5 * scale);
      }
    }
  });

  it('full fine-tune: gradients of every weight kind (embedding, norms, biases, q/k norm, linear, lm_head)', async () => {
    for (const [family, over] of [
      ['qwen2', { tie_word_embeddings: true, head_dim: undefined }],
      ['qwen3', {}],
    ] as const) {
      const m = randomModel(smallConfig(family, over), 8);
      const batch = randomBatch(2, 5, m.config.vocabSize, 3, { lengths: [5, 3] });
      const { wl, we } = lossWeights(batch, 19, padMask(batch));
      // qwen2: the forward's logits kept for the backward (the default at this size); qwen3: recomputed there
      const keepLogitsBytes = family === 'qwen3' ? 0 : undefined;
      const model = new DecoderClass(gpu, uploadWeights(gpu, m.table, m.weights, { dtype: 'f32' }), { trainBase: true, keepLogitsBytes });
      const pass = model.forward(batch, { train: true, temperature: 0.9 });
      model.backward(pass, wl, we);
      const f = () => refLoss(m, batch, wl, we);
      let worst = 0;
      const r = rng(5);
      for (const e of m.table.entries) {
        const got = await readWeight(gpu, model.grads.get(e.name)!);
        // Embedding rows of tokens that occur carry gradient: sample coordinates in used rows.
        let coords = sampleCoords(e.numel, 2, Math.floor(r() * 1e6));
        if (e.kind === 'embed') {
          const C = e.shape[1];
          coords = [batch.ids[0], batch.ids[7]].map((id) => id * C + Math.floor(r() * C));
        }
        worst = Math.max(worst, checkGrad(got, coords, m.weights.get(e.name)!, f, e.name));
      }
      console.log(`[model-backward] full ${family}: ${m.table.entries.length} tensors, worst error ratio ${worst.toFixed(3)}`);
      model.weights.release();
      model.release();
    }
  });

  it('backward without an adapter or trainBase, or after release, says what to do', async () => {
    const m = randomModel(smallConfig('llama'), 2);
    const model = new DecoderClass(gpu, uploadWeights(gpu, m.table, m.weights, { dtype: 'f32' }));
    const batch = randomBatch(1, 4, m.config.vocabSize, 1);
    await gpu.sync();
    const inUse = gpu.poolStats().inUse;
    const pass = model.forward(batch, { train: true });
    expect(() => model.backward(pass, new Float32Array(4))).toThrow(/attach a LoRA adapter/);
    pass.release(); // also the logits it kept for the backward
    await gpu.sync();
    expect(gpu.poolStats().inUse, 'a released training pass returns its buffers').toBe(inUse);
    const p2 = model.forward(batch);
    expect(() => model.backward(p2, new Float32Array(4))).toThrow(/train: true/);
    p2.release();
    model.weights.release();
    model.release();
  });
});
