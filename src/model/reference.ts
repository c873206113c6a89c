// Plain-TS float64 reference of the whole decoder (Llama / Qwen2 / Qwen3): per-token log-probs of the
// targets and the entropy of each next-token distribution, optionally with LoRA adapters on the linear
// layers. Slow and simple on purpose: it is what the GPU model is checked against.

import { ropeAttentionFactor, ropeInvFreq, type ModelConfig } from './config';
import { roundToHalf } from '../util/f16';
import { batchLayout, type TokenBatch } from './layout';

/** One LoRA adapter on a linear weight: y += scale * (x A^T) B^T with A (r, in) and B (out, r). */
export interface RefLora {
  A: ArrayLike<number>;
  B: ArrayLike<number>;
  rank: number;
  scale: number;
}

export interface RefModel {
  config: ModelConfig;
  /** Weights by Hugging Face key (e.g. `model.layers.0.self_attn.q_proj.weight`), HF layouts. */
  weights: Map<string, ArrayLike<number>>;
  /** Adapters keyed by the base weight's key. */
  lora?: Map<string, RefLora>;
  /** Round 2-D base weights (linear, embedding, lm_head) to f16 first, like the GPU's f16 weight path. */
  halfWeights?: boolean;
}

export interface RefSequence {
  /** (T,) input ids. */
  ids: ArrayLike<number>;
  /** (T,) target ids (the next token of each position). */
  targets: ArrayLike<number>;
  /** (T,) position ids; default 0..T-1. */
  positions?: ArrayLike<number>;
}

export interface RefOptions {
  /** Logits are divided by this before the softmax. Default 1. */
  temperature?: number;
  /** Also return the logits (T, V) of the last position only (for greedy checks). */
  keepLastLogits?: boolean;
}

export interface RefResult {
  logp: Float64Array; // (T,)
  entropy: Float64Array; // (T,)
  /** (V,) logits of the last position when keepLastLogits. */
  lastLogits?: Float64Array;
}

function weight(m: RefModel, name: string): ArrayLike<number> {
  const w = m.weights.get(name);
  if (!w) throw new Error(`reference: weight '${name}' is missing from the model's weight map`);
  if (!m.halfWeights) return w;
  return Float64Array.from(w, roundToHalf);
}

/** y (N, out) = x (N, in) W^T (+ bias) (+ LoRA). W is (out, in), HF layout. */
function linear(m: RefModel, x: Float64Array, N: number, inF: number, name: string, bias?: string): Float64Array {
  const W = weight(m, name);
  const outF = W.length / inF;
  const y = new Float64Array(N * outF);
  const b = bias ? m.weights.get(bias) : undefined;
  if (bias && !b) throw new Error(`reference: bias '${bias}' is missing from the model's weight map`);
  for (let n = 0; n < N; n++) {
    const xo = n * inF;
    for (let o = 0; o < outF; o++) {
      let s = b ? b[o] : 0;
      const wo = o * inF;
      for (let i = 0; i < inF; i++) s += x[xo + i] * W[wo + i];
      y[n * outF + o] = s;
    }
  }
  const ad = m.lora?.get(name);
  if (ad) {
    const r = ad.rank;
    const h = new Float64Array(r);
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < r; k++) {
        let s = 0;
        for (let i = 0; i < inF; i++) s += x[n * inF + i] * ad.A[k * inF + i];
        h[k] = s;
      }
      for (let o = 0; o < outF; o++) {
        let s = 0;
        for (let k = 0; k < r; k++) s += h[k] * ad.B[o * r + k];
        y[n * outF + o] += ad.scale * s;
      }
    }
  }
  return y;
}

/** Row-wise RMSNorm over rows of width C. */
function rmsnorm(x: Float64Array, C: number, w: ArrayLike<number>, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / C; r++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += x[r * C + c] ** 2;
    const rstd = 1 / Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) y[r * C + c] = x[r * C + c] * rstd * w[c];
  }
  return y;
}

/** Rotate-half RoPE in place on (T, H, D). */
function rope(x: Float64Array, T: number, H: number, D: number, pos: ArrayLike<number>, inv: ArrayLike<number>, scaling: number): void {
  const half = D / 2;
  for (let t = 0; t < T; t++)
    for (let h = 0; h < H; h++) {
      const o = (t * H + h) * D;
      for (let i = 0; i < half; i++) {
        const ang = pos[t] * inv[i];
        const c = Math.cos(ang) * scaling;
        const s = Math.sin(ang) * scaling;
        const a = x[o + i];
        const b = x[o + i + half];
        x[o + i] = a * c - b * s;
        x[o + i + half] = b * c + a * s;
      }
    }
}

/** Causal grouped-query attention of one sequence: q (T, Hq, D), k/v (T, Hkv, D) -> (T, Hq * D). */
function attention(q: Float64Array, k: Float64Array, v: Float64Array, T: number, Hq: number, Hkv: number, D: number): Float64Array {
  const out = new Float64Array(T * Hq * D);
  const G = Hq / Hkv;
  const scale = 1 / Math.sqrt(D);
  const s = new Float64Array(T);
  for (let h = 0; h < Hq; h++) {
    const hk = Math.floor(h / G);
    for (let i = 0; i < T; i++) {
      let m = -Infinity;
      for (let j = 0; j <= i; j++) {
        let acc = 0;
        for (let d = 0; d < D; d++) acc += q[(i * Hq + h) * D + d] * k[(j * Hkv + hk) * D + d];
        s[j] = acc * scale;
        if (s[j] > m) m = s[j];
      }
      let sum = 0;
      for (let j = 0; j <= i; j++) sum += s[j] = Math.exp(s[j] - m);
      for (let j = 0; j <= i; j++) {
        const p = s[j] / sum;
        for (let d = 0; d < D; d++) out[(i * Hq + h) * D + d] += p * v[(j * Hkv + hk) * D + d];
      }
    }
  }
  return out;
}

/** Log-probs of the targets and entropies of one sequence, in float64. */
export function referenceForward(m: RefModel, seq: RefSequence, opts: RefOptions = {}): RefResult {
  const cfg = m.config;
  const T = seq.ids.length;
  const C = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  const Hq = cfg.numHeads;
  const Hkv = cfg.numKvHeads;
  const D = cfg.headDim;
  const V = cfg.vocabSize;
  const eps = cfg.rmsNormEps;
  const pos = seq.positions ?? Array.from({ length: T }, (_, t) => t);
  const inv = ropeInvFreq(cfg);
  const ropeScale = ropeAttentionFactor(cfg);

  const emb = weight(m, 'model.embed_tokens.weight');
  let x: Float64Array = new Float64Array(T * C); // (T, C) residual stream
  for (let t = 0; t < T; t++) {
    const id = seq.ids[t];
    if (!(id >= 0 && id < V)) throw new Error(`reference: token id ${id} at position ${t} is outside the vocabulary [0, ${V})`);
    for (let c = 0; c < C; c++) x[t * C + c] = emb[id * C + c];
  }

  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}`;
    const a = `${p}.self_attn`;
    const h = rmsnorm(x, C, m.weights.get(`${p}.input_layernorm.weight`)!, eps);
    const bias = (mod: string) => (cfg.attentionBias ? `${a}.${mod}.bias` : undefined);
    let q = linear(m, h, T, C, `${a}.q_proj.weight`, bias('q_proj')); // (T, Hq * D)
    let k = linear(m, h, T, C, `${a}.k_proj.weight`, bias('k_proj')); // (T, Hkv * D)
    const v = linear(m, h, T, C, `${a}.v_proj.weight`, bias('v_proj'));
    if (cfg.qkNorm) {
      q = rmsnorm(q, D, m.weights.get(`${a}.q_norm.weight`)!, eps);
      k = rmsnorm(k, D, m.weights.get(`${a}.k_norm.weight`)!, eps);
    }
    rope(q, T, Hq, D, pos, inv, ropeScale);
    rope(k, T, Hkv, D, pos, inv, ropeScale);
    const att = attention(q, k, v, T, Hq, Hkv, D);
    const o = linear(m, att, T, Hq * D, `${a}.o_proj.weight`);
    for (let i = 0; i < x.length; i++) x[i] += o[i];
    const h2 = rmsnorm(x, C, m.weights.get(`${p}.post_attention_layernorm.weight`)!, eps);
    const g = linear(m, h2, T, C, `${p}.mlp.gate_proj.weight`);
    const u = linear(m, h2, T, C, `${p}.mlp.up_proj.weight`);
    for (let i = 0; i < g.length; i++) g[i] = (g[i] / (1 + Math.exp(-g[i]))) * u[i];
    const d = linear(m, g, T, I, `${p}.mlp.down_proj.weight`);
    for (let i = 0; i < x.length; i++) x[i] += d[i];
  }
  x = rmsnorm(x, C, m.weights.get('model.norm.weight')!, eps);

  const head = weight(m, cfg.tieEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
  const invT = 1 / (opts.temperature ?? 1);
  const logp = new Float64Array(T);
  const entropy = new Float64Array(T);
  const z = new Float64Array(V);
  let lastLogits: Float64Array | undefined;
  for (let t = 0; t < T; t++) {
    let mx = -Infinity;
    for (let vI = 0; vI < V; vI++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += x[t * C + c] * head[vI * C + c];
      z[vI] = s;
      if (s * invT > mx) mx = s * invT;
    }
    if (opts.keepLastLogits && t === T - 1) lastLogits = Float64Array.from(z);
    let sum = 0;
    for (let vI = 0; vI < V; vI++) sum += Math.exp(z[vI] * invT - mx);
    const lse = mx + Math.log(sum);
    let ent = 0;
    for (let vI = 0; vI < V; vI++) {
      const lp = z[vI] * invT - lse;
      ent -= Math.exp(lp) * lp;
    }
    const tg = seq.targets[t];
    logp[t] = tg >= 0 && tg < V ? z[tg] * invT - lse : 0;
    entropy[t] = ent;
  }
  return { logp, entropy, lastLogits };
}

/**
 * Reference log-probs for a padded or packed TokenBatch: each sequence is run on its own and the
 * results are placed at its tokens; padding tokens get 0. Returns (B*T,) arrays.
 */
export function referenceBatch(m: RefModel, batch: TokenBatch, opts: RefOptions = {}): { logp: Float64Array; entropy: Float64Array } {
  const lay = batchLayout(batch);
  const N = batch.B * batch.T;
  const logp = new Float64Array(N);
  const entropy = new Float64Array(N);
  for (const s of lay.sequences) {
    const idx = Array.from({ length: s.length }, (_, t) => s.row * batch.T + s.start + t);
    const r = referenceForward(m, { ids: idx.map((n) => batch.ids[n]), targets: idx.map((n) => batch.targets[n]), positions: idx.map((n) => lay.positions[n]) }, opts);
    idx.forEach((n, t) => {
      logp[n] = r.logp[t];
      entropy[n] = r.entropy[t];
    });
  }
  return { logp, entropy };
}
