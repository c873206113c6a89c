// The ONNX decoder graph (src/bench/onnx-decoder.ts) on onnxruntime-web's WASM CPU execution provider
// against the float64 reference model: last-position logits after a prefill and after each KV-cache
// decode step (past fed back as present), for a Qwen2 and a Llama shape; and the encoder's int64 /
// float fields. The same graph on the WebGPU EP against our GPU decoder: test/gpu/ort-decoder.test.ts.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { ProtoWriter } from '../../src/bench/onnx-builder';
import { buildDecoderModel, causalBias, pastName, presentName } from '../../src/bench/onnx-decoder';
import type { ModelConfig } from '../../src/model/config';
import { referenceForward } from '../../src/model/reference';
import { randomIds, randomModel, smallConfig } from '../gpu/model-fixtures';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

const int64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);

/** Prefill 2 prompts, then `steps` greedy steps; max |ORT - reference| / max |reference| over every step's logits. */
async function worstError(config: ModelConfig, norm: 'primitive' | 'simplified', steps: number): Promise<number> {
  const m = randomModel(config, 5);
  const s = await ort.InferenceSession.create(buildDecoderModel({ config, weights: m.weights, maxPositions: 16, norm }), { executionProviders: ['wasm'] });
  const { vocabSize: V, numLayers: L, numKvHeads: Hkv, headDim: D } = config;
  const seqs = [randomIds(4, V, 1), randomIds(4, V, 2)];
  let feed = seqs.map((x) => [...x]);
  let past: ort.Tensor[] = Array.from({ length: 2 * L }, () => new ort.Tensor('float32', new Float32Array(0), [2, Hkv, 0, D]));
  let worst = 0;
  for (let step = 0; step <= steps; step++) {
    const P = seqs[0].length - feed[0].length;
    const T = feed[0].length;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64(feed),
      position_ids: int64(feed.map(() => Array.from({ length: T }, (_, t) => P + t))),
      attention_bias: new ort.Tensor('float32', causalBias(P, T), [T, P + T]),
    };
    for (let l = 0; l < L; l++) [feeds[pastName(l, 'key')], feeds[pastName(l, 'value')]] = [past[2 * l], past[2 * l + 1]];
    const out = await s.run(feeds);
    const logits = out.logits.data as Float32Array;
    expect(out.logits.dims).toEqual([2, V]);
    expect(out[presentName(0, 'key')].dims).toEqual([2, Hkv, P + T, D]);
    const next = Array.from(out.next_ids.data as BigInt64Array, Number);
    seqs.forEach((seq, b) => {
      const ref = referenceForward({ config, weights: m.weights }, { ids: seq, targets: seq }, { keepLastLogits: true }).lastLogits!;
      const got = logits.subarray(b * V, (b + 1) * V);
      const scale = Math.max(...ref.map(Math.abs));
      worst = Math.max(worst, Math.max(...got.map((x, i) => Math.abs(x - ref[i]))) / scale);
      expect(got[next[b]]).toBe(Math.max(...got));
    });
    past = Array.from({ length: L }, (_, l) => [out[presentName(l, 'key')], out[presentName(l, 'value')]]).flat();
    seqs.forEach((seq, b) => seq.push(next[b]));
    feed = next.map((id) => [id]);
  }
  await s.release();
  return worst;
}

describe('ONNX decoder graph on the WASM EP vs the float64 reference', () => {
  // f32 arithmetic against float64 over C = 32, I = 48, two layers: errors of ~1e-7 relative; 1e-5 is far above that.
  it('Qwen2 shape (biases, tied embedding, GQA 4/2), primitive RMSNorm: prefill and 3 decode steps', async () => {
    expect(await worstError(smallConfig('qwen2', { tie_word_embeddings: true }), 'primitive', 3)).toBeLessThan(1e-5);
  });

  it('Llama shape (separate lm_head, GQA 4/1), SimplifiedLayerNormalization', async () => {
    expect(await worstError(smallConfig('llama', { num_key_value_heads: 1 }), 'simplified', 2)).toBeLessThan(1e-5);
  });

  it('the causal bias hides only later new keys', () => {
    expect(Array.from(causalBias(2, 2, -1))).toEqual([0, 0, 0, -1, 0, 0, 0, 0]);
  });

  it('refuses a missing weight by name', () => {
    const m = randomModel(smallConfig('qwen2'), 1);
    m.weights.delete('model.layers.1.mlp.up_proj.weight');
    expect(() => buildDecoderModel({ config: m.config, weights: m.weights, maxPositions: 4 })).toThrow(/model\.layers\.1\.mlp\.up_proj\.weight/);
  });
});

describe('ProtoWriter int64 and float fields', () => {
  it('writes negative int64 as ten-byte two\'s complement and floats as fixed32', () => {
    expect(Array.from(new ProtoWriter().int64(1, -1).finish())).toEqual([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(Array.from(new ProtoWriter().int64(1, 5).finish())).toEqual([0x08, 0x05]);
    expect(Array.from(new ProtoWriter().float(2, 1).finish())).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
  });
});
