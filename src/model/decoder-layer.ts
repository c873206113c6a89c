// One decoder layer on our WGSL kernels, forward and backward: the attention block (q/k/v/o with bias
// and LoRA, Qwen3 q/k norm, RoPE, attention over a batch's sequences or a KV cache's slots) and the
// SwiGLU MLP block, each around RMSNorm and a residual add.

import { wholeTensor, type Gpu, type Tensor, type Weight } from '../gpu';
import { addForward } from '../kernels/add';
import { attentionBackward, attentionForward } from '../kernels/attention';
import { attentionDecode, writeKvCache } from '../kernels/attention_decode';
import { loraBackward, loraForward } from '../kernels/lora';
import { linearBackward, linearForward } from '../kernels/matmul';
import { rmsnormBackward, rmsnormForward } from '../kernels/rmsnorm';
import { ropeBackward, ropeForward } from '../kernels/rope';
import { copyRows } from '../kernels/rows';
import { swigluBackward, swigluForward } from '../kernels/swiglu';
import { attentionSoftmaxScale, ropeAttentionFactor, ropeInvFreq, type ModelConfig } from './config';
import type { KVCache } from './kvcache';
import type { LoraAdapter } from './lora';
import type { LinearModule } from './params';
import { linearKey, type ModelWeights } from './weights';

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
      maxLen?: number; // the largest kvLens entry (default: the cache capacity)
      chunkLen?: number; // keys per chunk of the split decode attention (default: its policy)
    };

/** Everything one layer's backward needs (the input x is owned by the pass). */
export interface LayerActs {
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

/** What a layer's backward reads from its forward pass besides the layer's own activations. */
export interface LayerPass {
  positions: Tensor; // (N,) u32
  plan: AttnPlan & { kind: 'seq' };
  ones?: Tensor; // (N, 1) for biases
}

const ATTN_IN: readonly LinearModule[] = ['q_proj', 'k_proj', 'v_proj'];

/** The layers of a model: their weights, RoPE tables and softmax scale, the LoRA side paths and full fine-tune gradients. */
export class DecoderLayers {
  readonly config: ModelConfig;
  private invFreq: Tensor; // (D/2,)
  private ropeScaling: number;
  private scale: number;

  constructor(
    readonly gpu: Gpu,
    readonly weights: ModelWeights,
    /** Full fine-tune gradients by HF key (the decoder's; empty unless trainBase). */
    private readonly grads: ReadonlyMap<string, Weight>,
    /** The decoder's current adapter (null: base model only). */
    private readonly adapter: () => LoraAdapter | null,
  ) {
    this.config = weights.config;
    this.invFreq = gpu.upload(ropeInvFreq(this.config), [this.config.headDim / 2], 'f32', 'rope.invFreq');
    this.ropeScaling = ropeAttentionFactor(this.config);
    this.scale = attentionSoftmaxScale(this.config);
  }

  release(): void {
    this.invFreq.release();
  }

  // ------------------------------------------------------------------ linear layers (+ bias, + LoRA)

  /** The adapter whose side path runs: none while it is merged into the weights. */
  private activeAdapter(): LoraAdapter | null {
    const ad = this.adapter();
    return ad && !ad.isMerged ? ad : null;
  }

  private W(l: number, m: LinearModule): Tensor {
    return wholeTensor(this.weights.byName.get(linearKey(l, m))!, 'decoder layer');
  }

  private bias(l: number, m: LinearModule): Tensor | undefined {
    const b = m === 'o_proj' || !this.config.attentionBias ? undefined : this.weights.byName.get(`model.layers.${l}.self_attn.${m}.bias`);
    return b && wholeTensor(b, 'decoder layer');
  }

  /** A layer weight's full fine-tune gradient (null unless trainBase). */
  private grad(name: string): Tensor | null {
    const g = this.grads.get(name);
    return g ? wholeTensor(g, 'decoder layer backward') : null;
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
    linearBackward(this.gpu, dX, this.grad(key), dY, x, W, { accumulateDX, accumulateDW: true });
    const b = this.bias(l, m);
    const dB = b && this.grad(`model.layers.${l}.self_attn.${m}.bias`);
    if (b && dB && ones) linearBackward(this.gpu, null, dB, dY, ones, b, { accumulateDW: true });
    const ad = this.activeAdapter();
    const p = ad?.params.get(key);
    const h = saved.get(m);
    if (ad && p && h) loraBackward(this.gpu, dX, p.dA, p.dB, dY, x, h, p.A, p.B, ad.scale, { accumulate: true });
  }

  // ------------------------------------------------------------------ one decoder layer

  /** Layer l on x (N, C): returns its output and (keep) the activations for the backward. */
  forward(l: number, x: Tensor, positions: Tensor, plan: AttnPlan, keep: boolean, ones?: Tensor): { out: Tensor; acts: LayerActs | null } {
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
      writeKvCache(gpu, cache.k[l], cache.v[l], kR, v, { rows: N * Hkv, D, dstIdx: plan.writeIdx });
      const att = gpu.empty([N, Hq * D], 'f32', 'att');
      const lse = gpu.empty([N, Hq, 1], 'f32', 'lse');
      // Tk: the longest slot (host-known), so the split covers only rows in use; kvLens masks each slot's own end.
      const dims = { B: N, Hq, Hkv, Tk: plan.maxLen ?? cache.capacity, D };
      attentionDecode(gpu, att.reshape([N, Hq, 1, D]), lse, qR.reshape([N, Hq, 1, D]), cache.k[l], cache.v[l], dims, { scale: this.scale, kvLens: plan.kvLens, kvStrideT: cache.capacity, chunkLen: plan.chunkLen });
      lse.release();
      return { att };
    }
    const { S, Tm } = plan;
    if (plan.cacheWrite) {
      const w = plan.cacheWrite;
      writeKvCache(gpu, w.cache.k[l], w.cache.v[l], kR, v, { rows: w.rows, D, dstIdx: w.dst, srcIdx: w.src });
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
  backward(l: number, dRes: Tensor, x: Tensor, A: LayerActs, pass: LayerPass, needDX: boolean): void {
    const { gpu, config: c } = this;
    const Lw = this.weights.layers[l];
    const N = x.shape[0];
    const [C, I, Hq, Hkv, D] = [c.hiddenSize, c.intermediateSize, c.numHeads, c.numKvHeads, c.headDim];
    const e = (shape: number[], label: string) => gpu.empty(shape, 'f32', label);
    const grad = (name: string) => this.grad(name);
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
}

/** Release one layer's saved activations (and its LoRA hiddens). */
export function releaseActs(a: LayerActs): void {
  for (const t of [a.h1, a.rstd1, a.q, a.k, a.v, a.rstdQ, a.rstdK, a.qH, a.kH, a.vH, a.attH, a.lse, a.att, a.x2, a.h2, a.rstd2, a.g, a.u, a.a]) t?.release();
  for (const h of a.loraH.values()) h.release();
}
