// The decoder-only transformer (Llama / Qwen2 / Qwen3): forward to per-token log-probs and entropies of
// padded or packed batches, backward from dL/dlogp (and dL/dentropy) into LoRA or all weights (optional
// per-layer recomputation), and the layer stack a KV-cache decode step runs. One layer: decoder-layer.ts.

import { RowBlocks, Tensor, weightParts, zerosRowsLike, type Gpu, type Weight } from '../gpu';
import { embeddingBackward, embeddingForward } from '../kernels/embedding';
import type { ModelConfig } from './config';
import { DecoderLayers, releaseActs, type AttnPlan, type LayerActs } from './decoder-layer';
import { headBackward, headForward, logitsAtRows, scoredRows, type ScoredRows } from './decoder-head';
import { batchLayout, headRowMap, keyStarts, NO_ROW, type BatchLayout, type TokenBatch } from './layout';
import type { LoraAdapter } from './lora';
import { KEEP_LOGITS_BYTES, keptLogitsBytes, LOGITS_CHUNK_BYTES, logitsChunkRows } from './memory';
import type { ModelWeights } from './weights';

export interface DecoderOptions {
  /** Training forwards keep only each layer's input; backward recomputes the layer. Default true. */
  recompute?: boolean;
  /** Cap on one logits chunk (rows x vocab x 4 bytes); also capped by the binding limit. Default 64 MiB. */
  logitsChunkBytes?: number;
  /** Full fine-tune: gradients for every weight in `grads` (weights must be f32). Default false (LoRA only). */
  trainBase?: boolean;
  /** A training forward keeps its logits (scored rows x vocab x 4 bytes) for the backward when they fit this
   *  many bytes, instead of the backward recomputing them chunk by chunk (an lm_head product). 0: always
   *  recompute. Default KEEP_LOGITS_BYTES (256 MiB). */
  keepLogitsBytes?: number;
}

export interface ForwardOptions {
  /** Logits are divided by this before the softmax. Default 1. */
  temperature?: number;
  /** Keep what backward() needs. Default false. */
  train?: boolean;
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
  logits?: Tensor[]; // the head's logits chunks, when kept for the backward
  scored: ScoredRows | null; // the rows the head scores when not all (targets NO_ROW elsewhere)
}

export class Decoder {
  readonly config: ModelConfig;
  /** LoRA adapter used by forward / backward (null: base model only). Its side path is skipped while it is merged. */
  adapter: LoraAdapter | null = null;
  /** Full fine-tune gradients by HF key (biases (out, 1); the embedding's and lm_head's RowBlocks split at their
   *  weight's rows); empty unless trainBase. */
  readonly grads = new Map<string, Weight>();
  readonly recompute: boolean;
  readonly logitsChunkBytes: number;
  readonly keepLogitsBytes: number;
  private layers: DecoderLayers;

  constructor(
    readonly gpu: Gpu,
    readonly weights: ModelWeights,
    opts: DecoderOptions = {},
  ) {
    this.config = weights.config;
    this.recompute = opts.recompute ?? true;
    this.logitsChunkBytes = opts.logitsChunkBytes ?? LOGITS_CHUNK_BYTES;
    this.keepLogitsBytes = opts.keepLogitsBytes ?? KEEP_LOGITS_BYTES;
    this.layers = new DecoderLayers(gpu, weights, this.grads, () => this.adapter);
    if (opts.trainBase) {
      if (weights.dtype !== 'f32') throw new Error("Decoder: trainBase (full fine-tune) needs f32 weights; load them with { dtype: 'f32' }");
      for (const [name, t] of weights.byName) {
        this.grads.set(name, t instanceof RowBlocks ? zerosRowsLike(gpu, t, 'f32', `grad.${name}`) : gpu.zeros(t.shape, 'f32', `grad.${name}`));
      }
    }
  }

  get trainBase(): boolean {
    return this.grads.size > 0;
  }

  /** Zero the full fine-tune gradients (LoRA gradients: adapter.zeroGrad()). */
  zeroGrad(): void {
    for (const g of this.grads.values()) for (const t of weightParts(g)) this.gpu.clear(t);
    this.adapter?.zeroGrad();
  }

  // ------------------------------------------------------------------ forward / backward over a batch

  /** Upload a batch's ids, targets (NO_ROW at padding), positions and attention plan (caller releases them). */
  prepareBatch(batch: TokenBatch): { lay: BatchLayout; ids: Tensor; targets: Tensor; positions: Tensor; plan: AttnPlan & { kind: 'seq' }; hostTargets: Uint32Array } {
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
    return { lay, ids: gpu.upload(ids, [N], 'u32', 'ids'), targets: gpu.upload(targets, [N], 'u32', 'targets'), positions: gpu.upload(lay.positions, [N], 'u32', 'positions'), plan, hostTargets: targets };
  }

  /** Run the layers: embedding, then every layer; returns the residual stream after the last layer. */
  runLayers(ids: Tensor, positions: Tensor, plan: AttnPlan, save?: { xs: Tensor[]; acts: (LayerActs | null)[]; keepActs: boolean }, ones?: Tensor): Tensor {
    const N = ids.shape[0];
    let x = this.gpu.empty([N, this.config.hiddenSize], 'f32', 'x0');
    embeddingForward(this.gpu, x, ids, this.weights.embed);
    for (let l = 0; l < this.config.numLayers; l++) {
      const { out, acts } = this.layers.forward(l, x, positions, plan, !!save?.keepActs, ones);
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
    const { lay, ids, targets, positions, plan, hostTargets } = this.prepareBatch(batch);
    const scored = scoredRows(gpu, hostTargets);
    const N = batch.B * batch.T;
    const ones = c.attentionBias ? gpu.upload(new Float32Array(N).fill(1), [N, 1], 'f32', 'ones') : undefined;
    const save = { xs: [] as Tensor[], acts: [] as (LayerActs | null)[], keepActs: train && !this.recompute };
    const xL = this.runLayers(ids, positions, plan, train ? save : undefined, ones);
    save.xs.push(xL);

    // Head: final norm, then logits and log-probs in row chunks (never (N, V) at once).
    const M = scored ? scored.M : N;
    const keep = train && keptLogitsBytes(M, c.vocabSize, this.keepLogitsBytes) > 0;
    const { hf, rstdF, logp, entropy, lse, logits } = headForward(this, xL, targets, temperature, this.chunkRows(M), scored, keep);

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
      logits,
      scored,
      release: () => releasePass(pass),
    };
    if (!train) [xL, hf, rstdF, lse].forEach((t) => t.release());
    return pass;
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

    // Head backward, chunk by chunk (logits recomputed); dRes: (N, C) dL/d(residual stream).
    const L = c.numLayers;
    const dRes = headBackward(this, pass, pass.xs[L], dLp, dEnt, this.chunkRows(pass.scored ? pass.scored.M : N), pass.scored);

    for (let l = L - 1; l >= 0; l--) {
      const x = pass.xs[l];
      let acts = pass.acts[l];
      if (!acts) {
        const re = this.layers.forward(l, x, pass.positions, pass.plan, true, pass.ones);
        re.out.release();
        acts = re.acts!;
      }
      this.layers.backward(l, dRes, x, acts, pass, l > 0 || this.trainBase);
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
    return logitsAtRows(this, x, rowIdx, R);
  }

  release(): void {
    this.layers.release();
    for (const g of this.grads.values()) g.release();
    this.grads.clear();
  }
}

function releasePass(p: PassState): void {
  for (const a of p.acts) if (a) releaseActs(a);
  p.acts = [];
  for (const x of p.xs) x.release();
  p.xs = [];
  for (const t of p.logits ?? []) t.release();
  p.logits = undefined;
  for (const t of [p.hf, p.rstdF, p.lse, p.ids, p.targets, p.positions, p.ones, p.plan.qMap, p.plan.kvMap, p.plan.keyStart, p.logp, p.entropy, p.scored?.idx]) t?.release();
  p.hf = undefined;
  p.train = false;
}
