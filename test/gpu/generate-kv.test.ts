// Generation over the decode attention (src/kernels/attention_decode.ts): greedy tokens with an f16 KV cache
// equal those with the f32 cache (log-probs within a measured tolerance), a long cache that the decode
// attention splits into chunks still gives the argmax of full re-forwards, and the memory planner counts
// the f16 cache at half the bytes, as KVCache allocates it.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { decodeSplit } from '../../src/kernels/attention_decode';
import type { Decoder } from '../../src/model/decoder';
import { generate } from '../../src/model/generate';
import { KVCache } from '../../src/model/kvcache';
import { planInference } from '../../src/model/memory';
import { NO_F16 } from '../shared/check';
import { getTestGpu } from '../shared/gpu-env';
import { gpuModel, loadFixture, randomIds, randomModel, smallConfig } from './model-fixtures';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

/** Largest |log p| gap between the f16-cache and f32-cache runs measured on lavapipe: 1.6e-4 (tiny-qwen2), 4.7e-4 (qwen3); the bound leaves 4x room. */
const F16_LOGP_TOL = 2e-3;

async function parity(model: Decoder, prompts: number[][], maxNew: number): Promise<number> {
  const opts = { maxNewTokens: maxNew, temperature: 0, eosIds: [] };
  const a = await generate(model, prompts, { ...opts, kvDtype: 'f32' });
  const b = await generate(model, prompts, { ...opts, kvDtype: 'f16' });
  let gap = 0;
  a.forEach((s, i) => {
    expect(b[i].tokens, `prompt ${i}: f16-cache tokens`).toEqual(s.tokens);
    s.logprobs.forEach((lp, t) => (gap = Math.max(gap, Math.abs(lp - b[i].logprobs[t]))));
  });
  expect(gap).toBeLessThan(F16_LOGP_TOL);
  return gap;
}

/** Right-padded batch of full sequences (targets unused). */
function seqBatch(seqs: number[][]) {
  const T = Math.max(...seqs.map((s) => s.length));
  const ids = new Array<number>(seqs.length * T).fill(0);
  seqs.forEach((s, b) => s.forEach((id, t) => (ids[b * T + t] = id)));
  return { B: seqs.length, T, ids, targets: ids, lengths: seqs.map((s) => s.length) };
}

describe('generate with the decode attention', () => {
  it('greedy tokens with an f16 KV cache equal those with f32 (tiny-qwen2 with biases; qwen3 q/k norm, GQA 4)', async (ctx) => {
    ctx.skip(!gpu.f16, NO_F16);
    const m = await loadFixture('tiny-qwen2');
    const model = gpuModel(gpu, m, 'f32');
    const V = m.config.vocabSize;
    const gaps = [await parity(model, [randomIds(3, V, 1), randomIds(7, V, 2), randomIds(1, V, 3)], 12)];
    model.weights.release();
    const q = randomModel(smallConfig('qwen3', { num_attention_heads: 8, num_key_value_heads: 2 }), 4);
    const m3 = gpuModel(gpu, q, 'f32');
    gaps.push(await parity(m3, [randomIds(5, q.config.vocabSize, 5), randomIds(2, q.config.vocabSize, 6)], 12));
    m3.weights.release();
    console.log(`f16 vs f32 KV cache: largest |log p| gap ${gaps.map((g) => g.toExponential(1)).join(', ')}`);
  });

  it('a cache split into chunks gives the argmax of full re-forwards (f32 and, with shader-f16, f16)', async () => {
    const q = randomModel(smallConfig('qwen2', { num_attention_heads: 4, num_key_value_heads: 1 }), 7);
    const model = gpuModel(gpu, q, 'f32');
    const c = q.config;
    const T = 150;
    const prompt = randomIds(T, c.vocabSize, 8);
    const decodeChunk = 16; // forced: this adapter's policy may keep so short a cache in one chunk
    const split = decodeSplit(gpu, { B: 1, Hq: c.numHeads, Hkv: c.numKvHeads, Tk: T + 1, D: c.headDim }, decodeChunk);
    expect(split.chunks).toBe(10);
    for (const kvDtype of gpu.f16 ? (['f32', 'f16'] as const) : (['f32'] as const)) {
      const out = await generate(model, [prompt], { maxNewTokens: 3, temperature: 0, eosIds: [], kvDtype, decodeChunk });
      for (let t = 0; t < 3; t++) {
        const logits = await model.lastLogits(seqBatch([[...prompt, ...out[0].tokens.slice(0, t)]]));
        let best = 0;
        for (let v = 1; v < c.vocabSize; v++) if (logits[v] > logits[best]) best = v;
        expect(out[0].tokens[t], `${kvDtype} cache, step ${t}`).toBe(best);
      }
    }
    model.weights.release();
  });

  it('the memory planner counts the f16 cache at half the f32 bytes, as KVCache allocates it', (ctx) => {
    ctx.skip(!gpu.f16, NO_F16);
    const c = smallConfig('qwen2');
    const kvItem = (kvCache: 'f32' | 'f16') => planInference(c, { batch: 3, context: 40, weights: 'f32', kvCache }).items.find((i) => i.name === 'KV cache')!.bytes;
    for (const dt of ['f32', 'f16'] as const) {
      const cache = new KVCache(gpu, c, 3, 40, dt);
      expect(cache.dtype).toBe(dt);
      expect(cache.k[0].dtype).toBe(dt);
      expect(kvItem(dt)).toBe(cache.bytes);
      cache.release();
    }
    expect(kvItem('f16') * 2).toBe(kvItem('f32'));
    const auto = new KVCache(gpu, c, 1, 4, 'auto');
    expect(auto.dtype).toBe('f16');
    auto.release();
  });
});
