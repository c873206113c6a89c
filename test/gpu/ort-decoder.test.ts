// The ONNX decoder graph (src/bench/onnx-decoder.ts) on onnxruntime-web's WebGPU EP, fed the same
// random weights as our engine (randomModelWeights read back), gives the same logits as our Decoder:
// after a prefill and after each KV-cache decode step, and the same greedy tokens as generate().
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { OrtDecoder } from '../../src/bench/ort-decoder';
import { initOrtWebGpu, type OrtWebGpu } from '../../src/bench/ort-runner';
import type { ModelConfig } from '../../src/model/config';
import { Decoder } from '../../src/model/decoder';
import { generate } from '../../src/model/generate';
import { randomModelWeights } from '../../src/model/random';
import { readWeights } from '../../src/model/weights';
import { getTestGpu } from '../shared/gpu-env';
import { randomIds, smallConfig } from './model-fixtures';

let gpu: Gpu;
let rt: OrtWebGpu | null = null;
let ortError = '';
beforeAll(async () => {
  gpu = await getTestGpu();
  try {
    rt = await initOrtWebGpu(gpu, { wasmTier: 'baseline' });
  } catch (e) {
    ortError = (e as Error).message;
  }
});

const decoders: Decoder[] = [];
afterAll(() => {
  for (const d of decoders) {
    d.weights.release();
    d.release();
  }
});

/** Max |a - b| / max(|b|) over all entries (b the engine's logits). */
function relErr(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

/** Prefill 2 prompts of 5 tokens, then 4 greedy decode steps; ORT logits vs ours at every step. */
async function checkParity(config: ModelConfig, dtype: 'f32' | 'f16', norm: 'primitive' | 'simplified', tol: number): Promise<number> {
  const model = new Decoder(gpu, randomModelWeights(gpu, config, { dtype: 'f32', seed: 3 }));
  decoders.push(model);
  const host = await readWeights(gpu, model.weights);
  const ort = await OrtDecoder.create(rt!, gpu, { config, weights: host, dtype, maxPositions: 16, norm });
  const V = config.vocabSize;
  const prompts = [randomIds(5, V, 11), randomIds(5, V, 12)];
  const seqs = prompts.map((p) => [...p]);
  const batch = () => ({ B: seqs.length, T: seqs[0].length, ids: seqs.flat(), targets: seqs.flat() });
  let worst = 0;
  try {
    let r = await ort.prefill(prompts, { logits: true });
    for (let step = 0; ; step++) {
      const ours = await model.lastLogits(batch());
      const err = relErr(r.logits!, ours);
      worst = Math.max(worst, err);
      expect(err, `${dtype} ${norm} logits after ${seqs[0].length} tokens`).toBeLessThan(tol);
      // The graph's ArgMax picks the largest of its own logits.
      r.next.forEach((id, b) => expect(r.logits![b * V + id]).toBe(Math.max(...r.logits!.subarray(b * V, (b + 1) * V))));
      if (step === 4) break;
      r.next.forEach((id, b) => seqs[b].push(id));
      r = await ort.step(r.next, { logits: true });
    }
    expect(ort.cacheLength).toBe(9);
    if (dtype === 'f32') {
      // Same greedy continuation as our KV-cache generator.
      const ours = await generate(model, prompts, { maxNewTokens: 4, temperature: 0, eosIds: [] });
      expect(ours.map((s) => s.tokens)).toEqual(seqs.map((s) => s.slice(5)));
    }
  } finally {
    await ort.release();
  }
  return worst;
}

describe('ONNX decoder graph on onnxruntime-web WebGPU vs our decoder', () => {
  // Tolerances: both sides compute in f32 from identical f32 weights; they differ only in summation order
  // (C = 32, I = 48, up to 9 keys), so logits agree to a few f32 ulps of their scale: 1e-5 relative leaves
  // ~20x margin over the ~5e-7 observed on lavapipe. The f16 graph rounds weights, activations, cache and logits to f16
  // (11-bit mantissa, ~5e-4 relative per rounding, compounded over 2 layers;
  // ~4e-3 observed): 3e-2 relative.
  it('f32 graph, Qwen2 shape (q/k/v biases, tied embeddings, GQA 4/2): prefill and 4 decode steps', async (ctx) => {
    if (!rt) ctx.skip(`onnxruntime-web WebGPU EP unavailable here: ${ortError}`);
    const worst = await checkParity(smallConfig('qwen2', { tie_word_embeddings: true }), 'f32', 'primitive', 1e-5);
    console.log(`[ort-decoder] qwen2 f32 max rel err ${worst.toExponential(2)}`);
  });

  it('f32 graph, Llama shape (no biases, separate lm_head), SimplifiedLayerNormalization', async (ctx) => {
    if (!rt) ctx.skip(`onnxruntime-web WebGPU EP unavailable here: ${ortError}`);
    const worst = await checkParity(smallConfig('llama', { num_key_value_heads: 1 }), 'f32', 'simplified', 1e-5);
    console.log(`[ort-decoder] llama f32 simplified max rel err ${worst.toExponential(2)}`);
  });

  it('f16 graph, Qwen2 shape, SimplifiedLayerNormalization (the peer bench default)', async (ctx) => {
    if (!rt) ctx.skip(`onnxruntime-web WebGPU EP unavailable here: ${ortError}`);
    if (!gpu.f16) ctx.skip("this adapter lacks shader-f16: the f16 graph cannot run (f32 parity is checked above)");
    const worst = await checkParity(smallConfig('qwen2', { tie_word_embeddings: true }), 'f16', 'simplified', 3e-2);
    console.log(`[ort-decoder] qwen2 f16 max rel err ${worst.toExponential(2)}`);
  });

  it('refuses a Qwen3 config (per-head q/k norms are not in the graph)', async () => {
    const { buildDecoderModel } = await import('../../src/bench/onnx-decoder');
    expect(() => buildDecoderModel({ config: smallConfig('qwen3'), weights: new Map(), maxPositions: 8 })).toThrow(/Qwen3/);
  });
});
