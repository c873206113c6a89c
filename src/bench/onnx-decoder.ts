// The whole decoder of a Llama / Qwen2 model as one ONNX graph with a KV cache, from the same weights
// the engine runs (HF keys -> f32 values, e.g. readWeights of a random model): embedding Gather,
// RMSNorm, q/k/v/o projections (+ Qwen2 biases), half-split RoPE from cos/sin tables gathered by
// position, grouped-query attention over past + new keys/values (present outputs), SwiGLU MLP,
// final norm, lm_head on the last position and a greedy ArgMax. Only standard ai.onnx opset-17 ops,
// or SimplifiedLayerNormalization (an onnxruntime op) for the norms.
//
// Inputs:  input_ids (B, T) int64; position_ids (B, T) int64; attention_bias (T, P + T) float, added to
//          the scaled scores (0 = visible, a large negative = masked); past.{l}.key / .value (B, Hkv, P, D).
// Outputs: logits (B, V) of the last position; next_ids (B,) int64 = argmax; present.{l}.key / .value
//          (B, Hkv, P + T, D). One graph serves prefill (P = 0, T = prompt) and decode (T = 1).

import { attentionSoftmaxScale, ropeTable, type ModelConfig } from '../model/config';
import type { OnnxDType } from './onnx-builder';
import { ONNX_INT64, OnnxGraph } from './onnx-graph';

export interface DecoderGraphSpec {
  config: ModelConfig;
  /** Every parameter by HF key (linear weights (out, in), biases (out) or (out, 1)), as f32 values. */
  weights: Map<string, Float32Array>;
  /** Element type of weights, activations, cache and logits. Default 'f32'. */
  dtype?: OnnxDType;
  /** Rows of the cos / sin tables: positions up to this (exclusive) can be run. */
  maxPositions: number;
  /** 'primitive' (default): Mul, ReduceMean, Add, Sqrt, Div, Mul; 'simplified': SimplifiedLayerNormalization. */
  norm?: 'primitive' | 'simplified';
}

export const pastName = (l: number, kv: 'key' | 'value') => `past.${l}.${kv}`;
export const presentName = (l: number, kv: 'key' | 'value') => `present.${l}.${kv}`;

/** Serialize the decoder graph of `spec` (see the file comment for its inputs and outputs). */
export function buildDecoderModel(spec: DecoderGraphSpec): Uint8Array {
  const c = spec.config;
  if (c.qkNorm) throw new Error('buildDecoderModel: per-head q/k norms (Qwen3) are not in this graph; use a Llama or Qwen2 config');
  if (!Number.isInteger(spec.maxPositions) || spec.maxPositions < 1) throw new Error(`buildDecoderModel: maxPositions must be a positive integer, got ${spec.maxPositions}`);
  const g = new OnnxGraph(spec.dtype ?? 'f32');
  const norm = spec.norm ?? 'primitive';
  const { hiddenSize: C, numHeads: Hq, numKvHeads: Hkv, headDim: D, vocabSize: V } = c;
  const G = Hq / Hkv;
  const half = D / 2;
  const get = (name: string): Float32Array => {
    const w = spec.weights.get(name);
    if (!w) throw new Error(`buildDecoderModel: weight '${name}' is missing from the weights map`);
    return w;
  };
  /** (out, in) row-major -> (in, out), the ONNX MatMul weight layout. */
  const transposed = (name: string, out: number, inp: number): string => {
    const w = get(name);
    if (w.length !== out * inp) throw new Error(`buildDecoderModel: '${name}' has ${w.length} values, expected ${out} x ${inp}`);
    const t = new Float32Array(w.length);
    for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) t[i * out + o] = w[o * inp + i];
    return g.weight(`${name}.T`, [inp, out], t);
  };

  const ids = g.input('input_ids', ['B', 'T'], ONNX_INT64);
  const pos = g.input('position_ids', ['B', 'T'], ONNX_INT64);
  const bias = g.input('attention_bias', ['T', 'S']);

  const embed = g.weight('model.embed_tokens.weight', [V, C], get('model.embed_tokens.weight'));
  const rope = ropeTable(c, spec.maxPositions);
  const cosT = g.weight('rope.cos', [spec.maxPositions, half], rope.cos);
  const sinT = g.weight('rope.sin', [spec.maxPositions, half], rope.sin);
  const axis2 = g.ints('axis2', [2]);
  const cos = g.node('Unsqueeze', [g.node('Gather', [cosT, pos], { axis: 0 }), axis2]); // (B, T, 1, D/2)
  const sin = g.node('Unsqueeze', [g.node('Gather', [sinT, pos], { axis: 0 }), axis2]);
  const eps = c.rmsNormEps;
  const epsC = norm === 'primitive' ? g.scalar('eps', eps) : '';
  const splitHalf = g.ints('split_half', [half, half]);

  const rmsNorm = (x: string, wName: string): string => {
    const w = g.weight(wName, [C], get(wName));
    if (norm === 'simplified') return g.node('SimplifiedLayerNormalization', [x, w], { axis: -1, epsilon: { f: eps }, stash_type: 1 });
    const ms = g.node('ReduceMean', [g.node('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    return g.node('Mul', [g.node('Div', [x, g.node('Sqrt', [g.node('Add', [ms, epsC])])]), w]);
  };
  const linear = (x: string, key: string, out: number, inp: number, withBias: boolean): string => {
    const y = g.node('MatMul', [x, transposed(`${key}.weight`, out, inp)]);
    return withBias ? g.node('Add', [y, g.weight(`${key}.bias`, [out], get(`${key}.bias`))]) : y;
  };
  /** x (B, T, H, D) -> rotate_half RoPE with the gathered cos / sin (B, T, 1, D/2). */
  const applyRope = (x: string): string => {
    const [x1, x2] = g.nodeN('Split', [x, splitHalf], 2, { axis: -1 });
    const r1 = g.node('Sub', [g.node('Mul', [x1, cos]), g.node('Mul', [x2, sin])]);
    const r2 = g.node('Add', [g.node('Mul', [x2, cos]), g.node('Mul', [x1, sin])]);
    return g.node('Concat', [r1, r2], { axis: -1 });
  };

  const shapeQ5 = g.ints('shape_q5', [0, 0, Hkv, G, D]);
  const shapeKv4 = g.ints('shape_kv4', [0, 0, Hkv, D]);
  const shapeMerge = g.ints('shape_merge', [0, 0, -1]);
  const scale = g.scalar('attn_scale', attentionSoftmaxScale(c));

  let x = g.node('Gather', [embed, ids], { axis: 0 }); // (B, T, C)
  for (let l = 0; l < c.numLayers; l++) {
    const p = `model.layers.${l}`;
    const h = rmsNorm(x, `${p}.input_layernorm.weight`);
    const q = linear(h, `${p}.self_attn.q_proj`, Hq * D, C, c.attentionBias);
    const k = linear(h, `${p}.self_attn.k_proj`, Hkv * D, C, c.attentionBias);
    const v = linear(h, `${p}.self_attn.v_proj`, Hkv * D, C, c.attentionBias);
    const q5 = g.node('Reshape', [applyRope(g.node('Reshape', [q, g.ints('shape_q4', [0, 0, Hq, D])])), shapeQ5]); // (B, T, Hkv, G, D)
    const qT = g.node('Transpose', [q5], { perm: [0, 2, 3, 1, 4] }); // (B, Hkv, G, T, D)
    const kNew = g.node('Transpose', [applyRope(g.node('Reshape', [k, shapeKv4]))], { perm: [0, 2, 1, 3] }); // (B, Hkv, T, D)
    const vNew = g.node('Transpose', [g.node('Reshape', [v, shapeKv4])], { perm: [0, 2, 1, 3] });
    const pastK = g.input(pastName(l, 'key'), ['B', Hkv, 'P', D]);
    const pastV = g.input(pastName(l, 'value'), ['B', Hkv, 'P', D]);
    const kAll = g.node('Concat', [pastK, kNew], { axis: 2 }, presentName(l, 'key')); // (B, Hkv, S, D)
    const vAll = g.node('Concat', [pastV, vNew], { axis: 2 }, presentName(l, 'value'));
    g.output(kAll, ['B', Hkv, 'S', D]);
    g.output(vAll, ['B', Hkv, 'S', D]);
    const kT = g.node('Transpose', [g.node('Unsqueeze', [kAll, axis2])], { perm: [0, 1, 2, 4, 3] }); // (B, Hkv, 1, D, S)
    const scores = g.node('Add', [g.node('Mul', [g.node('MatMul', [qT, kT]), scale]), bias]); // (B, Hkv, G, T, S)
    const probs = g.node('Softmax', [scores], { axis: -1 });
    const ctx = g.node('MatMul', [probs, g.node('Unsqueeze', [vAll, axis2])]); // (B, Hkv, G, T, D)
    const merged = g.node('Reshape', [g.node('Transpose', [ctx], { perm: [0, 3, 1, 2, 4] }), shapeMerge]); // (B, T, Hq*D)
    x = g.node('Add', [x, linear(merged, `${p}.self_attn.o_proj`, C, Hq * D, false)]);
    const h2 = rmsNorm(x, `${p}.post_attention_layernorm.weight`);
    const gate = linear(h2, `${p}.mlp.gate_proj`, c.intermediateSize, C, false);
    const up = linear(h2, `${p}.mlp.up_proj`, c.intermediateSize, C, false);
    const act = g.node('Mul', [g.node('Mul', [gate, g.node('Sigmoid', [gate])]), up]);
    x = g.node('Add', [x, linear(act, `${p}.mlp.down_proj`, C, c.intermediateSize, false)]);
  }
  // Last position only: (B, 1, C) -> norm -> (B, C) -> logits (B, V) = h W^T with W the (V, C) head (tied: the embedding itself).
  const last = g.node('Slice', [x, g.ints('last_start', [-1]), g.ints('last_end', [2 ** 53 - 1]), g.ints('axis1', [1])]);
  const hf = g.node('Reshape', [rmsNorm(last, 'model.norm.weight'), g.ints('shape_bc', [0, -1])]);
  const head = c.tieEmbeddings ? embed : g.weight('lm_head.weight', [V, C], get('lm_head.weight'));
  const logits = g.node('Gemm', [hf, head], { transB: 1 }, 'logits');
  g.output(logits, ['B', V]);
  g.output(g.node('ArgMax', [logits], { axis: 1, keepdims: 0 }, 'next_ids'), ['B'], ONNX_INT64);
  return g.finish({ name: 'decoder' });
}

/** The additive attention bias (T, P + T): query t sees past keys and new keys up to itself. */
export function causalBias(P: number, T: number, negative = -1e4): Float32Array {
  const S = P + T;
  const out = new Float32Array(T * S);
  for (let t = 0; t < T; t++) for (let s = P + t + 1; s < S; s++) out[t * S + s] = negative;
  return out;
}
