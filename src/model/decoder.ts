// The decoder-only transformer (Llama / Qwen2 / Qwen3) on our WGSL kernels: forward to per-token
// log-probs and entropies for padded or packed batches, backward from dL/dlogp (and dL/dentropy) into
// LoRA or all weights (optional per-layer recomputation), and the single-token decode step of a KV cache.

import { Tensor, type Gpu } from '../gpu';
import { addForward } from '../kernels/add';
import { attentionBackward, attentionForward } from '../kernels/attention';
import { embeddingBackward, embeddingForward } from '../kernels/embedding';
import { logprobsBackward, logprobsForward } from '../kernels/logprobs';
import { loraBackward, loraForward } from '../kernels/lora';
import { linearBackward, linearForward } from '../kernels/matmul';
import { rmsnormBackward, rmsnormForward } from '../kernels/rmsnorm';
import { ropeBackward, ropeForward } from '../kernels/rope';
import { swigluBackward, swigluForward } from '../kernels/swiglu';
import { attentionSoftmaxScale, ropeAttentionFactor, ropeInvFreq, type ModelConfig } from './config';
import type { KVCache } from './kvcache';
import { batchLayout, headRowMap, keyStarts, NO_ROW, type BatchLayout, type TokenBatch } from './layout';
import type { LoraAdapter } from './lora';
import { LOGITS_CHUNK_BYTES, logitsChunkRows } from './memory';
import type { LinearModule } from './params';
import { copyRows } from '../kernels/rows';
import { linearKey, type ModelWeights } from './weights';

export interface DecoderOptions {
  /** Training forwards keep only each layer's input; backward recomputes the layer. Default true. */
  recompute?: boolean;
  /** Cap on one logits chunk (rows x vocab x 4 bytes); also capped by the binding limit. Default 64 MiB. */
  logitsChunkBytes?: number;
  /** Full fine-tune: gradients for every weight in `grads` (weights must be f32). Default false (LoRA only). */
  trainBase?: boolean;
}

export interface ForwardOptions {
  /** Logits are divided by this before the softmax. Default 1. */
  temperature?: number;
  /** Keep what backward() needs. Default false. */
  train?: boolean;
}

/** How attention runs: over the sequences of a batch (training, scoring, prefill) or one new token per cache slot. */
export type AttnPlan =
  | {
      kind: 'seq';
      /** Sequences S and their longest length Tm (head-major layout (S, H, Tm, D), right-aligned). */
      S: number;
      Tm: number;
      qMap: Tensor; // (N*Hq,) u32 token-major row -> head-major row
      kvMap: Tensor; // (N*Hkv,) u32
      keyStart: Tensor; // (S,) u32
      /** Prefill: also copy the token-major keys / values (rows n*Hkv + h) into cache rows. */
      cacheWrite?: { cache: KVCache; dst: Tensor; src: Tensor; rows: number };
    }
  | {
      kind: 'decode';
      cache: KVCache;
      writeIdx: Tensor; // (N*Hkv,) u32 cache row of each new key / value row
      kvLens: Tensor; // (N,) u32 keys per slot including the new token
    };

/** Everything one layer's backward needs (the input x is owned by the pass). */
interface LayerActs {
  h1: Tensor; // (N, C)   input_layernorm(x)
  rstd1: Tensor; // (N,)
  q: Tensor; // (N, Hq*D)  q_proj output (before q_norm / RoPE)
  k: Tensor; // (N, Hkv*D)
  v: Tensor; // (N, Hkv*D)
  rstdQ?: Tensor; // (N*Hq,)  Qwen3 q_norm
  rstdK?: Tensor; // (N*Hkv,)
  qH?: Tensor; // (S, Hq, Tm, D)  attention inputs / outputs, head-major
  kH?: Tensor; // (S, Hkv, Tm, D)
  vH?: Tensor;
  attH?: Tensor; // (S, Hq, Tm, D)
  lse?: Tensor; // (S, Hq, Tm)
  att: Tensor; // (N, Hq*D)
  x2: Tensor; // (N, C)   residual after attention
  h2: Tensor; // (N, C)
  rstd2: Tensor; // (N,)
  g: Tensor; // (N, I)
  u: Tensor; // (N, I)
  a: Tensor; // (N, I)   silu(g) * u
  loraH: Map<LinearModule, Tensor>; // (N, r) per adapted module
}

/** A forward's outputs; training forwards also hold what backward() needs until release(). */
export interface ForwardPass {
  readonly N: number;
  readonly layout: BatchLayout;
  logp: Tensor; // (N,) log p(target) at temperature T; 0 at padding
  entropy: Tensor; // (N,) entropy of the next-token distribution; 0 at padding
  release(): void;
}

interface PassState extends ForwardPass {
  train: boolean;
  temperature: number;
  ids: Tensor; // (N,) u32
  targets: Tensor; // (N,) u32, NO_ROW at padding (ignored)
  positions: Tensor; // (N,) u32
  ones?: Tensor; // (N, 1) for biases
  plan: AttnPlan & { kind: 'seq' };
  xs: Tensor[]; // xs[l]: (N, C) input of layer l; xs[L] the last layer's output
  acts: (LayerActs | null)[];
  hf?: Tensor; // (N, C) final norm output
  rstdF?: Tensor; // (N,)
  lse?: Tensor; // (N,) logits log-sum-exp
}

const ATTN_IN: readonly LinearModule[] = ['q_proj', 'k_proj', 'v_proj'];

export class Decoder {
  readonly config: ModelConfig;
  /** LoRA adapter used by forward / backward (null: base model only). Its side path is skipped while it is merged. */
  adapter: LoraAdapter | null = null;
  /** Full fine-tune gradients by HF key (biases (out, 1)); empty unless trainBase. */
  readonly grads = new Map<string, Tensor>();
  readonly recompute: boolean;
  readonly logitsChunkBytes: number;
  private invFreq: Tensor; // (D/2,)
  private ropeScaling: number;
  private scale: number;

  constructor(
    readonly gpu: Gpu,
    readonly weights: ModelWeights,
    opts: DecoderOptions = {},
  ) {
    this.config = weights.config;
    this.recompute = opts.recompute ?? true;
    this.logitsChunkBytes = opts.logitsChunkBytes ?? LOGITS_CHUNK_BYTES;
    this.invFreq = gpu.upload(ropeInvFreq(this.config), [this.config.headDim / 2], 'f32', 'rope.invFreq');
    this.ropeScaling = ropeAttentionFactor(this.config);
    this.scale = attentionSoftmaxScale(this.config);
    if (opts.trainBase) {
      if (weights.dtype !== 'f32') throw new Error("Decoder: trainBase (full fine-tune) needs f32 weights; load them with { dtype: 'f32' }");
      for (const [name, t] of weights.byName) this.grads.set(name, gpu.zeros(t.shape, 'f32', `grad.${name}`));
    }
  }

  get trainBase(): boolean {
    return this.grads.size > 0;
  }

  /** Zero the full fine-tune gradients (LoRA gradients: adapter.zeroGrad()). */
  zeroGrad(): void {
    for (const g of this.grads.values()) this.gpu.clear(g);
    this.adapter?.zeroGrad();
  }

  // ------------------------------------------------------------------ linear layers (+ bias, + LoRA)

  /** The adapter whose side path runs: none while it is merged into the weights. */
  private activeAdapter(): LoraAdapter | null {
    return this.adapter && !this.adapter.isMerged ? this.adapter : null;
  }

  private W(l: number, m: LinearModule): Tensor {
    return this.weights.byName.get(linearKey(l, m))!;
  }

  private bias(l: number, m: LinearModule): Tensor | undefined {
    return m === 'o_proj' || !this.config.attentionBias ? undefined : this.weights.byName.get(`model.layers.${l}.self_attn.${m}.bias`);
  }

  /** y = x W^T (+ b) (+ LoRA); keeps the LoRA hidden (N, r) in `saved`. */
  private linear(y: Tensor, x: Tensor, l: number, m: LinearModule, saved: Map<LinearModule, Tensor>, ones?: Tensor): void {
    linearForward(this.gpu, y, x, this.W(l, m));
    const b = this.bias(l, m);
    if (b && ones) linearForward(this.gpu, y, ones, b, { accumulate: true });
    const ad = this.activeAdapter();
    const p = ad?.params.get(linearKey(l, m));
    if (ad && p) {
      const h = this.gpu.empty([x.shape[0], p.A.shape[0]], 'f32', `lora.h.${m}`);
      loraForward(this.gpu, y, h, x, p.A, p.B, ad.scale);
      saved.set(m, h);
    }
  }

  /** dX (= or +=) dY W (+ LoRA); weight / bias / LoRA gradients accumulate. dX null: input gradient not needed. */
  private linearBack(dX: Tensor | null, dY: Tensor, x: Tensor, l: number, m: LinearModule, saved: Map<LinearModule, Tensor>, accumulateDX: boolean, ones?: Tensor): void {
    const key = linearKey(l, m);
    const W = this.W(l, m);
    linearBackward(this.gpu, dX, this.grads.get(key) ?? null, dY, x, W, { accumulateDX, accumulateDW: true });
    const b = this.bias(l, m);
    const dB = b && this.grads.get(`model.layers.${l}.self_attn.${m}.bias`);
    if (b && dB && ones) linearBackward(this.gpu, null, dB, dY, ones, b, { accumulateDW: true });
    const ad = this.activeAdapter();
    const p = ad?.params.get(key);
    const h = saved.get(m);
    if (ad && p && h) loraBackward(this.gpu, dX, p.dA, p.dB, dY, x, h, p.A, p.B, ad.scale, { accumulate: true });
  }

  // ------------------------------------------------------------------ one decoder layer

  /** Layer l on x (N, C): returns its output and (keep) the activations for the backward. */
  private layerForward(l: number, x: Tensor, positions: Tensor, plan: AttnPlan, keep: boolean, ones?: Tensor): { out: Tensor; acts: LayerActs | null } {
    const { gpu, config: c } = this;
    const Lw = this.weights.layers[l];
    const N = x.shape[0];
    const [C, I, Hq, Hkv, D] = [c.hiddenSize, c.intermediateSize, c.numHeads, c.numKvHeads, c.headDim];
    const e = (shape: number[], label: string) => gpu.empty(shape, 'f32', label);
    const loraH = new Map<LinearModule, Tensor>();

    // Attention block: x2 = x + o_proj(attn(rope(norm(q)), rope(norm(k)), v)) with h1 = rmsnorm(x).
    const h1 = e([N, C], 'h1');
    const rstd1 = e([N], 'rstd1');
    rmsnormForward(gpu, h1, rstd1, x, Lw.inputNorm, c.rmsNormEps);
    const q = e([N, Hq * D], 'q');
    const k = e([N, Hkv * D], 'k');
    const v = e([N, Hkv * D], 'v');
    this.linear(q, h1, l, 'q_proj', loraH, ones);
    this.linear(k, h1, l, 'k_proj', loraH, ones);
    this.linear(v, h1, l, 'v_proj', loraH, ones);
    let qIn = q.reshape([N, Hq, D]);
    let kIn = k.reshape([N, Hkv, D]);
    let rstdQ: Tensor | undefined;
    let rstdK: Tensor | undefined;
    if (c.qkNorm) {
      // Qwen3: RMSNorm over each head's D values before RoPE.
      rstdQ = e([N * Hq], 'rstdQ');
      rstdK = e([N * Hkv], 'rstdK');
      qIn = e([N, Hq, D], 'qNormed');
      kIn = e([N, Hkv, D], 'kNormed');
      rmsnormForward(gpu, qIn.reshape([N * Hq, D]), rstdQ, q.reshape([N * Hq, D]), Lw.qNorm!, c.rmsNormEps);
      rmsnormForward(gpu, kIn.reshape([N * Hkv, D]), rstdK, k.reshape([N * Hkv, D]), Lw.kNorm!, c.rmsNormEps);
    }
    const qR = e([N, Hq, D], 'qRope');
    const kR = e([N, Hkv, D], 'kRope');
    ropeForward(gpu, qR, qIn, positions, this.invFreq, { attentionScaling: this.ropeScaling });
    ropeForward(gpu, kR, kIn, positions, this.invFreq, { attentionScaling: this.ropeScaling });
    if (c.qkNorm) [qIn, kIn].forEach((t) => t.release());
    const at = this.attend(l, qR, kR, v, plan);
    qR.release();
    kR.release();
    const o = e([N, C], 'o');
    this.linear(o, at.att, l, 'o_proj', loraH);
    const x2 = e([N, C], 'x2');
    addForward(gpu, x2, x, o);
    o.release();

    // MLP block: out = x2 + down(silu(gate(h2)) * up(h2)) with h2 = rmsnorm(x2).
    const h2 = e([N, C], 'h2');
    const rstd2 = e([N], 'rstd2');
    rmsnormForward(gpu, h2, rstd2, x2, Lw.postNorm, c.rmsNormEps);
    const g = e([N, I], 'gate');
    const u = e([N, I], 'up');
    this.linear(g, h2, l, 'gate_proj', loraH);
    this.linear(u, h2, l, 'up_proj', loraH);
    const a = e([N, I], 'swiglu');
    swigluForward(gpu, a, g, u);
    const d = e([N, C], 'down');
    this.linear(d, a, l, 'down_proj', loraH);
    const out = e([N, C], `x${l + 1}`);
    addForward(gpu, out, x2, d);
    d.release();

    const acts: LayerActs = { h1, rstd1, q, k, v, rstdQ, rstdK, ...at, x2, h2, rstd2, g, u, a, loraH };
    if (keep) return { out, acts };
    releaseActs(acts);
    return { out, acts: null };
  }

  /** Attention of one layer from token-major q, k (after RoPE) and v; returns att (N, Hq*D) (+ saved head-major tensors). */
  private attend(l: number, qR: Tensor, kR: Tensor, v: Tensor, plan: AttnPlan): Pick<LayerActs, 'att' | 'qH' | 'kH' | 'vH' | 'attH' | 'lse'> {
    const { gpu, config: c } = this;
    const [N, Hq, D] = qR.shape;
    const Hkv = c.numKvHeads;
    if (plan.kind === 'decode') {
      // One new token per cache slot: store its key / value, attend over the slot's cache.
      const { cache } = plan;
      copyRows(gpu, cache.k[l], kR, { rows: N * Hkv, width: D, dstIdx: plan.writeIdx });
      copyRows(gpu, cache.v[l], v, { rows: N * Hkv, width: D, dstIdx: plan.writeIdx });
      const att = gpu.empty([N, Hq * D], 'f32', 'att');
      const lse = gpu.empty([N, Hq, 1], 'f32', 'lse');
      const dims = { B: N, Hq, Hkv, Tq: 1, Tk: cache.capacity, D };
      attentionForward(gpu, att.reshape([N, Hq, 1, D]), lse, qR.reshape([N, Hq, 1, D]), cache.k[l], cache.v[l], dims, { scale: this.scale, kvLens: plan.kvLens, kvStrideT: cache.capacity });
      lse.release();
      return { att };
    }
    const { S, Tm } = plan;
    if (plan.cacheWrite) {
      const w = plan.cacheWrite;
      copyRows(gpu, w.cache.k[l], kR, { rows: w.rows, width: D, dstIdx: w.dst, srcIdx: w.src });
      copyRows(gpu, w.cache.v[l], v, { rows: w.rows, width: D, dstIdx: w.dst, srcIdx: w.src });
    }
    // Token-major (N, H, D) -> head-major (S, H, Tm, D); rows outside the sequences stay zero.
    const qH = gpu.zeros([S, Hq, Tm, D], 'f32', 'qH');
    const kH = gpu.zeros([S, Hkv, Tm, D], 'f32', 'kH');
    const vH = gpu.zeros([S, Hkv, Tm, D], 'f32', 'vH');
    copyRows(gpu, qH, qR, { rows: N * Hq, width: D, dstIdx: plan.qMap });
    copyRows(gpu, kH, kR, { rows: N * Hkv, width: D, dstIdx: plan.kvMap });
    copyRows(gpu, vH, v, { rows: N * Hkv, width: D, dstIdx: plan.kvMap });
    const attH = gpu.empty([S, Hq, Tm, D], 'f32', 'attH');
    const lse = gpu.empty([S, Hq, Tm], 'f32', 'lse');
    attentionForward(gpu, attH, lse, qH, kH, vH, { B: S, Hq, Hkv, Tq: Tm, Tk: Tm, D }, { scale: this.scale, keyStart: plan.keyStart });
    const att = gpu.empty([N, Hq * D], 'f32', 'att');
    copyRows(gpu, att, attH, { rows: N * Hq, width: D, srcIdx: plan.qMap });
    return { att, qH, kH, vH, attH, lse };
  }

  /** Backward of layer l: dRes (N, C) holds dL/d(out) on entry and dL/dx on exit (unless needDX is false). */
  private layerBackward(l: number, dRes: Tensor, x: Tensor, A: LayerActs, pass: PassState, needDX: boolean): void {
    const { gpu, config: c } = this;
    const Lw = this.weights.layers[l];
    const N = x.shape[0];
    const [C, I, Hq, Hkv, D] = [c.hiddenSize, c.intermediateSize, c.numHeads, c.numKvHeads, c.headDim];
    const e = (shape: number[], label: string) => gpu.empty(shape, 'f32', label);
    const grad = (name: string) => this.grads.get(name) ?? null;
    const p = `model.layers.${l}`;
    const plan = pass.plan;

    // MLP block.
    const dA = e([N, I], 'dSwiglu');
    this.linearBack(dA, dRes, A.a, l, 'down_proj', A.loraH, false);
    const dG = e([N, I], 'dGate');
    const dU = e([N, I], 'dUp');
    swigluBackward(gpu, dG, dU, dA, A.g, A.u);
    dA.release();
    const dH2 = e([N, C], 'dH2');
    this.linearBack(dH2, dG, A.h2, l, 'gate_proj', A.loraH, false);
    this.linearBack(dH2, dU, A.h2, l, 'up_proj', A.loraH, true);
    [dG, dU].forEach((t) => t.release());
    rmsnormBackward(gpu, dRes, grad(`${p}.post_attention_layernorm.weight`), dH2, A.x2, Lw.postNorm, A.rstd2, { accumulateDX: true, accumulateDW: true });
    dH2.release();

    // Attention block.
    const dAtt = e([N, Hq * D], 'dAtt');
    this.linearBack(dAtt, dRes, A.att, l, 'o_proj', A.loraH, false);
    const dAttH = gpu.zeros([plan.S, Hq, plan.Tm, D], 'f32', 'dAttH');
    copyRows(gpu, dAttH, dAtt, { rows: N * Hq, width: D, dstIdx: plan.qMap });
    dAtt.release();
    const dQH = e(A.qH!.shape as number[], 'dQH');
    const dKH = e(A.kH!.shape as number[], 'dKH');
    const dVH = e(A.vH!.shape as number[], 'dVH');
    const dims = { B: plan.S, Hq, Hkv, Tq: plan.Tm, Tk: plan.Tm, D };
    attentionBackward(gpu, dQH, dKH, dVH, dAttH, A.qH!, A.kH!, A.vH!, A.attH!, A.lse!, dims, { scale: this.scale, keyStart: plan.keyStart });
    dAttH.release();
    const dQR = e([N, Hq, D], 'dQRope');
    const dKR = e([N, Hkv, D], 'dKRope');
    const dV = e([N, Hkv * D], 'dV');
    copyRows(gpu, dQR, dQH, { rows: N * Hq, width: D, srcIdx: plan.qMap });
    copyRows(gpu, dKR, dKH, { rows: N * Hkv, width: D, srcIdx: plan.kvMap });
    copyRows(gpu, dV, dVH, { rows: N * Hkv, width: D, srcIdx: plan.kvMap });
    [dQH, dKH, dVH].forEach((t) => t.release());
    let dQ = e([N, Hq * D], 'dQ');
    let dK = e([N, Hkv * D], 'dK');
    ropeBackward(gpu, dQ.reshape([N, Hq, D]), dQR, pass.positions, this.invFreq, { attentionScaling: this.ropeScaling });
    ropeBackward(gpu, dK.reshape([N, Hkv, D]), dKR, pass.positions, this.invFreq, { attentionScaling: this.ropeScaling });
    [dQR, dKR].forEach((t) => t.release());
    if (c.qkNorm) {
      const dQ0 = e([N, Hq * D], 'dQ0');
      const dK0 = e([N, Hkv * D], 'dK0');
      rmsnormBackward(gpu, dQ0.reshape([N * Hq, D]), grad(`${p}.self_attn.q_norm.weight`), dQ.reshape([N * Hq, D]), A.q.reshape([N * Hq, D]), Lw.qNorm!, A.rstdQ!, { accumulateDW: true });
      rmsnormBackward(gpu, dK0.reshape([N * Hkv, D]), grad(`${p}.self_attn.k_norm.weight`), dK.reshape([N * Hkv, D]), A.k.reshape([N * Hkv, D]), Lw.kNorm!, A.rstdK!, { accumulateDW: true });
      [dQ, dK].forEach((t) => t.release());
      [dQ, dK] = [dQ0, dK0];
    }
    const dH1 = needDX ? e([N, C], 'dH1') : null;
    const dProj = { q_proj: dQ, k_proj: dK, v_proj: dV } as const;
    ATTN_IN.forEach((m, i) => this.linearBack(dH1, dProj[m as 'q_proj'], A.h1, l, m, A.loraH, i > 0, pass.ones));
    [dQ, dK, dV].forEach((t) => t.release());
    if (dH1) {
      rmsnormBackward(gpu, dRes, grad(`${p}.input_layernorm.weight`), dH1, x, Lw.inputNorm, A.rstd1, { accumulateDX: true, accumulateDW: true });
      dH1.release();
    }
  }

  // ------------------------------------------------------------------ forward / backward over a batch

  /** Upload a batch's ids, targets (NO_ROW at padding), positions and attention plan (caller releases them). */
  prepareBatch(batch: TokenBatch): { lay: BatchLayout; ids: Tensor; targets: Tensor; positions: Tensor; plan: AttnPlan & { kind: 'seq' } } {
    const { gpu, config: c } = this;
    const lay = batchLayout(batch);
    const N = batch.B * batch.T;
    const ids = new Uint32Array(N);
    const targets = new Uint32Array(N).fill(NO_ROW);
    for (let n = 0; n < N; n++) {
      if (lay.seqOf[n] < 0) continue;
      const id = batch.ids[n];
      if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) throw new Error(`Decoder: input id ${id} at token ${n} is outside the vocabulary [0, ${c.vocabSize})`);
      ids[n] = id;
      targets[n] = batch.targets[n];
    }
    const plan = {
      kind: 'seq' as const,
      S: Math.max(1, lay.sequences.length),
      Tm: lay.maxLen,
      qMap: gpu.upload(headRowMap(lay, c.numHeads), [N * c.numHeads], 'u32', 'qMap'),
      kvMap: gpu.upload(headRowMap(lay, c.numKvHeads), [N * c.numKvHeads], 'u32', 'kvMap'),
      keyStart: gpu.upload(lay.sequences.length ? keyStarts(lay) : [lay.maxLen], [Math.max(1, lay.sequences.length)], 'u32', 'keyStart'),
    };
    return { lay, ids: gpu.upload(ids, [N], 'u32', 'ids'), targets: gpu.upload(targets, [N], 'u32', 'targets'), positions: gpu.upload(lay.positions, [N], 'u32', 'positions'), plan };
  }

  /** Run the layers: embedding, then every layer; returns the residual stream after the last layer. */
  runLayers(ids: Tensor, positions: Tensor, plan: AttnPlan, save?: { xs: Tensor[]; acts: (LayerActs | null)[]; keepActs: boolean }, ones?: Tensor): Tensor {
    const N = ids.shape[0];
    let x = this.gpu.empty([N, this.config.hiddenSize], 'f32', 'x0');
    embeddingForward(this.gpu, x, ids, this.weights.embed);
    for (let l = 0; l < this.config.numLayers; l++) {
      const { out, acts } = this.layerForward(l, x, positions, plan, !!save?.keepActs, ones);
      if (save) {
        save.xs.push(x);
        save.acts.push(acts);
      } else x.release();
      x = out;
    }
    return x;
  }

  /** Rows per logits chunk for this vocabulary. */
  chunkRows(N: number): number {
    return logitsChunkRows(this.config.vocabSize, N, this.logitsChunkBytes, this.gpu.limits.maxStorageBufferBindingSize);
  }

  /** Per-token log-probs and entropies of a batch (GPU tensors). With train, keeps what backward() needs. */
  forward(batch: TokenBatch, opts: ForwardOptions = {}): ForwardPass {
    const { gpu, config: c } = this;
    const temperature = opts.temperature ?? 1;
    const train = !!opts.train;
    const { lay, ids, targets, positions, plan } = this.prepareBatch(batch);
    const N = batch.B * batch.T;
    const ones = c.attentionBias ? gpu.upload(new Float32Array(N).fill(1), [N, 1], 'f32', 'ones') : undefined;
    const save = { xs: [] as Tensor[], acts: [] as (LayerActs | null)[], keepActs: train && !this.recompute };
    const xL = this.runLayers(ids, positions, plan, train ? save : undefined, ones);
    save.xs.push(xL);

    // Head: final norm, then logits and log-probs in row chunks (never (N, V) at once).
    const hf = gpu.empty([N, c.hiddenSize], 'f32', 'hf');
    const rstdF = gpu.empty([N], 'f32', 'rstdF');
    rmsnormForward(gpu, hf, rstdF, xL, this.weights.norm, c.rmsNormEps);
    const logp = gpu.empty([N], 'f32', 'logp');
    const entropy = gpu.empty([N], 'f32', 'entropy');
    const lse = gpu.empty([N], 'f32', 'logits.lse');
    const R = this.chunkRows(N);
    for (let r0 = 0; r0 < N; r0 += R) {
      const rows = Math.min(R, N - r0);
      const ch = this.headChunk(hf, targets, r0, rows);
      const [lp, en, ls] = [0, 1, 2].map(() => gpu.empty([rows], 'f32', 'chunk'));
      logprobsForward(gpu, lp, en, ls, ch.logits, ch.targets, { temperature, ignoreIndex: NO_ROW });
      copyRows(gpu, logp, lp, { rows, width: 1, dstRow0: r0 });
      copyRows(gpu, entropy, en, { rows, width: 1, dstRow0: r0 });
      copyRows(gpu, lse, ls, { rows, width: 1, dstRow0: r0 });
      [lp, en, ls, ch.h, ch.targets, ch.logits].forEach((t) => t.release());
    }

    const pass: PassState = {
      N,
      layout: lay,
      logp,
      entropy,
      train,
      temperature,
      ids,
      targets,
      positions,
      ones,
      plan,
      xs: train ? save.xs : [],
      acts: save.acts,
      hf: train ? hf : undefined,
      rstdF: train ? rstdF : undefined,
      lse: train ? lse : undefined,
      release: () => releasePass(pass),
    };
    if (!train) [xL, hf, rstdF, lse].forEach((t) => t.release());
    return pass;
  }

  /** Rows [r0, r0 + rows) of hf and targets, and their logits (rows, V). */
  private headChunk(hf: Tensor, targets: Tensor, r0: number, rows: number): { h: Tensor; targets: Tensor; logits: Tensor } {
    const { gpu, config: c } = this;
    const h = gpu.empty([rows, c.hiddenSize], 'f32', 'hf.chunk');
    copyRows(gpu, h, hf, { rows, width: c.hiddenSize, srcRow0: r0 });
    const t = gpu.empty([rows], 'u32', 'targets.chunk');
    copyRows(gpu, t, targets, { rows, width: 1, srcRow0: r0 });
    const logits = gpu.empty([rows, c.vocabSize], 'f32', 'logits');
    linearForward(gpu, logits, h, this.weights.lmHead);
    return { h, targets: t, logits };
  }

  /**
   * Backward from dL/dlogp (N,) and optionally dL/dentropy (N,), given as GPU tensors or host arrays.
   * Gradients accumulate into the adapter's dA / dB and (trainBase) into `grads`. Releases the pass.
   */
  backward(fp: ForwardPass, dLogp: Tensor | ArrayLike<number>, dEntropy: Tensor | ArrayLike<number> | null = null): void {
    const pass = fp as PassState;
    const { gpu, config: c } = this;
    if (!pass.train || !pass.hf) throw new Error('Decoder.backward: the forward was not run with { train: true } (or its pass was already used/released)');
    if (!this.adapter && !this.trainBase) throw new Error('Decoder.backward: nothing to train; attach a LoRA adapter (decoder.adapter = ...) or construct with trainBase');
    if (this.adapter?.isMerged) throw new Error('Decoder.backward: the adapter is merged into the weights; unmerge() it before training');
    const N = pass.N;
    const owned: Tensor[] = [];
    const asTensor = (x: Tensor | ArrayLike<number>, name: string): Tensor => {
      if (x instanceof Tensor) return x;
      const t = gpu.upload(x, [N], 'f32', name);
      owned.push(t);
      return t;
    };
    const dLp = asTensor(dLogp, 'dLogp');
    const dEnt = dEntropy === null ? null : asTensor(dEntropy, 'dEntropy');

    // Head backward, chunk by chunk (logits recomputed).
    const dHf = gpu.empty([N, c.hiddenSize], 'f32', 'dHf');
    const R = this.chunkRows(N);
    const dHead = this.grads.get(c.tieEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight') ?? null;
    for (let r0 = 0; r0 < N; r0 += R) {
      const rows = Math.min(R, N - r0);
      const ch = this.headChunk(pass.hf, pass.targets, r0, rows);
      const part = (src: Tensor, label: string) => {
        const t = gpu.empty([rows], 'f32', label);
        copyRows(gpu, t, src, { rows, width: 1, srcRow0: r0 });
        return t;
      };
      const lse = part(pass.lse!, 'lse.chunk');
      const dl = part(dLp, 'dLogp.chunk');
      const de = dEnt ? part(dEnt, 'dEntropy.chunk') : null;
      const ent = dEnt ? part(pass.entropy, 'entropy.chunk') : undefined;
      const dLogits = gpu.empty([rows, c.vocabSize], 'f32', 'dLogits');
      logprobsBackward(gpu, dLogits, dl, de, ch.logits, ch.targets, lse, { temperature: pass.temperature, ignoreIndex: NO_ROW, entropy: ent });
      const dh = gpu.empty([rows, c.hiddenSize], 'f32', 'dHf.chunk');
      linearBackward(gpu, dh, dHead, dLogits, ch.h, this.weights.lmHead, { accumulateDW: true });
      copyRows(gpu, dHf, dh, { rows, width: c.hiddenSize, dstRow0: r0 });
      [ch.h, ch.targets, ch.logits, lse, dl, dLogits, dh].forEach((t) => t.release());
      [de, ent].forEach((t) => t?.release());
    }
    const L = c.numLayers;
    const dRes = gpu.empty([N, c.hiddenSize], 'f32', 'dResidual'); // (N, C) dL/d(residual stream)
    rmsnormBackward(gpu, dRes, this.grads.get('model.norm.weight') ?? null, dHf, pass.xs[L], this.weights.norm, pass.rstdF!, { accumulateDW: true });
    dHf.release();

    for (let l = L - 1; l >= 0; l--) {
      const x = pass.xs[l];
      let acts = pass.acts[l];
      if (!acts) {
        const re = this.layerForward(l, x, pass.positions, pass.plan, true, pass.ones);
        re.out.release();
        acts = re.acts!;
      }
      this.layerBackward(l, dRes, x, acts, pass, l > 0 || this.trainBase);
      releaseActs(acts);
      pass.acts[l] = null;
      pass.xs[l + 1].release();
    }
    const dEmbed = this.grads.get('model.embed_tokens.weight');
    if (dEmbed) embeddingBackward(gpu, dEmbed, dRes, pass.ids, { accumulate: true });
    dRes.release();
    owned.forEach((t) => t.release());
    pass.hf!.release();
    pass.hf = undefined;
    releasePass(pass);
  }

  /** Host convenience: log-probs and entropies (B*T,) of a batch (0 at padding). */
  async logprobs(batch: TokenBatch, opts: { temperature?: number } = {}): Promise<{ logp: Float32Array; entropy: Float32Array }> {
    const pass = this.forward(batch, opts);
    try {
      return { logp: await this.gpu.readF32(pass.logp), entropy: await this.gpu.readF32(pass.entropy) };
    } finally {
      pass.release();
    }
  }

  /** Logits (S, V) at the last token of each sequence of a batch (tests and scoring). */
  async lastLogits(batch: TokenBatch): Promise<Float32Array> {
    const { gpu, config: c } = this;
    const { lay, ids, targets, positions, plan } = this.prepareBatch(batch);
    const N = batch.B * batch.T;
    const ones = c.attentionBias ? gpu.upload(new Float32Array(N).fill(1), [N, 1], 'f32', 'ones') : undefined;
    const xL = this.runLayers(ids, positions, plan, undefined, ones);
    const S = lay.sequences.length;
    const last = gpu.upload(Uint32Array.from(lay.sequences, (s) => s.row * batch.T + s.start + s.length - 1), [S], 'u32', 'lastRows');
    const logits = this.logitsAtRows(xL, last, S);
    const out = await gpu.readF32(logits);
    [xL, last, logits, ids, targets, positions, plan.qMap, plan.kvMap, plan.keyStart].forEach((t) => t.release());
    ones?.release();
    return out;
  }

  /** Final norm + lm_head for the rows `rowIdx` (R,) of the residual stream x (N, C): logits (R, V). */
  logitsAtRows(x: Tensor, rowIdx: Tensor, R: number): Tensor {
    const { gpu, config: c } = this;
    const h = gpu.empty([R, c.hiddenSize], 'f32', 'last.h');
    copyRows(gpu, h, x, { rows: R, width: c.hiddenSize, srcIdx: rowIdx });
    const hn = gpu.empty([R, c.hiddenSize], 'f32', 'last.hn');
    const rstd = gpu.empty([R], 'f32', 'last.rstd');
    rmsnormForward(gpu, hn, rstd, h, this.weights.norm, c.rmsNormEps);
    const logits = gpu.empty([R, c.vocabSize], 'f32', 'last.logits');
    linearForward(gpu, logits, hn, this.weights.lmHead);
    [h, hn, rstd].forEach((t) => t.release());
    return logits;
  }

  release(): void {
    this.invFreq.release();
    for (const g of this.grads.values()) g.release();
    this.grads.clear();
  }
}

function releaseActs(a: LayerActs): void {
  for (const t of [a.h1, a.rstd1, a.q, a.k, a.v, a.rstdQ, a.rstdK, a.qH, a.kH, a.vH, a.attH, a.lse, a.att, a.x2, a.h2, a.rstd2, a.g, a.u, a.a]) t?.release();
  for (const h of a.loraH.values()) h.release();
}

function releasePass(p: PassState): void {
  for (const a of p.acts) if (a) releaseActs(a);
  p.acts = [];
  for (const x of p.xs) x.release();
  p.xs = [];
  for (const t of [p.hf, p.rstdF, p.lse, p.ids, p.targets, p.positions, p.ones, p.plan.qMap, p.plan.kvMap, p.plan.keyStart, p.logp, p.entropy]) t?.release();
  p.hf = undefined;
  p.train = false;
}
