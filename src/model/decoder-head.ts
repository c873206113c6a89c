// The LM head: final RMSNorm, then logits (lm_head) and per-token log-probs / entropies in row chunks
// (never (N, V) at once), its backward (logits recomputed chunk by chunk), and logits at chosen rows.
// The lm_head is a RowBlocks: over the binding limit, each chunk's (rows, V) logits are written vocabulary
// block by block (linearForwardRows), so log-probs and sampling still see whole rows of logits.

import { wholeTensor, type Gpu, type Tensor, type Weight } from '../gpu';
import { logprobsBackward, logprobsForward } from '../kernels/logprobs';
import { linearBackwardRows, linearForwardRows } from '../kernels/matmul';
import { rmsnormBackward, rmsnormForward } from '../kernels/rmsnorm';
import { copyRows } from '../kernels/rows';
import type { ModelConfig } from './config';
import { NO_ROW } from './layout';
import type { ModelWeights } from './weights';

/** What the head reads of its model: final norm and lm_head weights, full fine-tune gradients by HF key. */
export interface HeadModel {
  readonly gpu: Gpu;
  readonly config: ModelConfig;
  readonly weights: ModelWeights;
  readonly grads: ReadonlyMap<string, Weight>;
}

/** The head's forward outputs: logp / entropy are the pass's results, hf / rstdF / lse what its backward needs. */
export interface HeadOut {
  hf: Tensor; // (N, C) final norm output
  rstdF: Tensor; // (N,)
  logp: Tensor; // (N,) log p(target) at temperature T; 0 at padding
  entropy: Tensor; // (N,)
  lse: Tensor; // (N,) logits log-sum-exp
  /** keep: each row chunk's logits, in chunk order, for the backward (which then skips recomputing them). */
  logits?: Tensor[];
}

/** What the head's backward reads from a training forward. */
export interface HeadSaved {
  targets: Tensor; // (N,) u32, NO_ROW at padding
  entropy: Tensor;
  temperature: number;
  hf?: Tensor;
  rstdF?: Tensor;
  lse?: Tensor;
  /** The forward's logits chunks (headForward with keep), released here; recomputed chunk by chunk when absent. */
  logits?: Tensor[];
}

/** The rows whose log-probs a pass needs (targets not NO_ROW), when that is fewer than all N: the head's
 *  logits, log-probs and their backward run on these rows only (a prompt's rows cost nothing at the head). */
export interface ScoredRows {
  /** u32 (M,): the scored rows, ascending. */
  idx: Tensor;
  M: number;
}

/** The scored rows of host targets (N,), or null when every row is scored (or none is). */
export function scoredRows(gpu: Gpu, targets: Uint32Array): ScoredRows | null {
  const rows: number[] = [];
  targets.forEach((t, n) => void (t !== NO_ROW && rows.push(n)));
  if (rows.length === targets.length || rows.length === 0) return null;
  return { idx: gpu.upload(Uint32Array.from(rows), [rows.length], 'u32', 'scoredRows'), M: rows.length };
}

/** Rows `sc.idx` of t (N, width) as a new (M, width) tensor. */
function gather(gpu: Gpu, t: Tensor, sc: ScoredRows, width: number, label: string): Tensor {
  const out = gpu.empty(width === 1 ? [sc.M] : [sc.M, width], t.dtype, label);
  copyRows(gpu, out, t, { rows: sc.M, width, srcIdx: sc.idx });
  return out;
}

/** Final norm of xL (N, C), then log-probs of `targets` and entropies at `temperature`, R rows at a time;
 *  with `sc`, only its rows go through the lm_head (logp, entropy and lse are 0 elsewhere). `keep`: return the
 *  logits chunks (HeadOut.logits) for the backward instead of releasing them. */
export function headForward(model: HeadModel, xL: Tensor, targets: Tensor, temperature: number, R: number, sc: ScoredRows | null = null, keep = false): HeadOut {
  const { gpu, config: c } = model;
  const N = xL.shape[0];
  const hf = gpu.empty([N, c.hiddenSize], 'f32', 'hf');
  const rstdF = gpu.empty([N], 'f32', 'rstdF');
  rmsnormForward(gpu, hf, rstdF, xL, model.weights.norm, c.rmsNormEps);
  // the rows the lm_head sees: all N, or the scored M gathered
  const M = sc ? sc.M : N;
  const h = sc ? gather(gpu, hf, sc, c.hiddenSize, 'hf.scored') : hf;
  const tg = sc ? gather(gpu, targets, sc, 1, 'targets.scored') : targets;
  const logp = gpu.empty([M], 'f32', 'logp');
  const entropy = gpu.empty([M], 'f32', 'entropy');
  const lse = gpu.empty([M], 'f32', 'logits.lse');
  const kept: Tensor[] = [];
  for (let r0 = 0; r0 < M; r0 += R) {
    const rows = Math.min(R, M - r0);
    const ch = headChunk(model, h, tg, r0, rows);
    const [lp, en, ls] = [0, 1, 2].map(() => gpu.empty([rows], 'f32', 'chunk'));
    logprobsForward(gpu, lp, en, ls, ch.logits, ch.targets, { temperature, ignoreIndex: NO_ROW });
    copyRows(gpu, logp, lp, { rows, width: 1, dstRow0: r0 });
    copyRows(gpu, entropy, en, { rows, width: 1, dstRow0: r0 });
    copyRows(gpu, lse, ls, { rows, width: 1, dstRow0: r0 });
    [lp, en, ls, ch.h, ch.targets].forEach((t) => t.release());
    if (keep) kept.push(ch.logits);
    else ch.logits.release();
  }
  const logits = keep ? kept : undefined;
  if (!sc) return { hf, rstdF, logp, entropy, lse, logits };
  // back to all N rows, zeros at the rows that were not scored
  const [logpN, entN, lseN] = [logp, entropy, lse].map((t) => {
    const full = gpu.zeros([N], 'f32', t.label);
    copyRows(gpu, full, t, { rows: M, width: 1, dstIdx: sc.idx });
    t.release();
    return full;
  });
  [h, tg].forEach((t) => t.release());
  return { hf, rstdF, logp: logpN, entropy: entN, lse: lseN, logits };
}

/**
 * Head backward from dL/dlogp and optionally dL/dentropy (N,), R rows at a time (logits recomputed):
 * returns dL/d(residual stream) (N, C) at the last layer's output xL. lm_head and final norm gradients
 * accumulate into `grads` (full fine-tune).
 */
export function headBackward(model: HeadModel, saved: HeadSaved, xL: Tensor, dLp: Tensor, dEnt: Tensor | null, R: number, sc: ScoredRows | null = null): Tensor {
  const { gpu, config: c } = model;
  const N = xL.shape[0];
  const M = sc ? sc.M : N;
  // the scored rows' inputs, gathered (all N rows without sc); the other rows' dL/dhf is 0
  const pick = (t: Tensor, width: number, label: string) => (sc ? gather(gpu, t, sc, width, label) : t);
  const [hS, tS, lseS, dLpS] = [pick(saved.hf!, c.hiddenSize, 'hf.scored'), pick(saved.targets, 1, 'targets.scored'), pick(saved.lse!, 1, 'lse.scored'), pick(dLp, 1, 'dLogp.scored')];
  const dEntS = dEnt ? pick(dEnt, 1, 'dEntropy.scored') : null;
  const entS = dEnt ? pick(saved.entropy, 1, 'entropy.scored') : null;
  const dHf = sc ? gpu.zeros([N, c.hiddenSize], 'f32', 'dHf') : gpu.empty([N, c.hiddenSize], 'f32', 'dHf');
  const dHS = sc ? gpu.empty([M, c.hiddenSize], 'f32', 'dHf.scored') : dHf; // the scored rows' dL/dhf, in order
  const dHead = model.grads.get(c.tieEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight') ?? null;
  const kept = saved.logits;
  saved.logits = undefined;
  if (kept && kept.length !== Math.ceil(M / R)) throw new Error(`head backward: ${kept.length} kept logits chunks for ${M} rows in chunks of ${R}`);
  for (let r0 = 0, i = 0; r0 < M; r0 += R, i++) {
    const rows = Math.min(R, M - r0);
    const ch = headChunk(model, hS, tS, r0, rows, kept?.[i]);
    const part = (src: Tensor, label: string) => {
      const t = gpu.empty([rows], 'f32', label);
      copyRows(gpu, t, src, { rows, width: 1, srcRow0: r0 });
      return t;
    };
    const lse = part(lseS, 'lse.chunk');
    const dl = part(dLpS, 'dLogp.chunk');
    const de = dEntS ? part(dEntS, 'dEntropy.chunk') : null;
    const ent = entS ? part(entS, 'entropy.chunk') : undefined;
    const dLogits = gpu.empty([rows, c.vocabSize], 'f32', 'dLogits');
    logprobsBackward(gpu, dLogits, dl, de, ch.logits, ch.targets, lse, { temperature: saved.temperature, ignoreIndex: NO_ROW, entropy: ent });
    const dh = gpu.empty([rows, c.hiddenSize], 'f32', 'dHf.chunk');
    linearBackwardRows(gpu, dh, dHead, dLogits, ch.h, model.weights.lmHead, { accumulateDW: true });
    copyRows(gpu, dHS, dh, { rows, width: c.hiddenSize, dstRow0: r0 });
    [ch.h, ch.targets, ch.logits, lse, dl, dLogits, dh].forEach((t) => t.release());
    [de, ent].forEach((t) => t?.release());
  }
  if (sc) {
    copyRows(gpu, dHf, dHS, { rows: M, width: c.hiddenSize, dstIdx: sc.idx });
    [hS, tS, lseS, dLpS, dEntS, entS, dHS].forEach((t) => t?.release());
  }
  const dRes = gpu.empty([N, c.hiddenSize], 'f32', 'dResidual'); // (N, C) dL/d(residual stream)
  const dNorm = model.grads.get('model.norm.weight');
  rmsnormBackward(gpu, dRes, dNorm ? wholeTensor(dNorm, 'head backward') : null, dHf, xL, model.weights.norm, saved.rstdF!, { accumulateDW: true });
  dHf.release();
  return dRes;
}

/** Rows [r0, r0 + rows) of hf and targets, and their logits (rows, V): `kept` (the forward's), else computed. */
function headChunk(model: HeadModel, hf: Tensor, targets: Tensor, r0: number, rows: number, kept?: Tensor): { h: Tensor; targets: Tensor; logits: Tensor } {
  const { gpu, config: c } = model;
  const h = gpu.empty([rows, c.hiddenSize], 'f32', 'hf.chunk');
  copyRows(gpu, h, hf, { rows, width: c.hiddenSize, srcRow0: r0 });
  const t = gpu.empty([rows], 'u32', 'targets.chunk');
  copyRows(gpu, t, targets, { rows, width: 1, srcRow0: r0 });
  if (kept) return { h, targets: t, logits: kept };
  const logits = gpu.empty([rows, c.vocabSize], 'f32', 'logits');
  linearForwardRows(gpu, logits, h, model.weights.lmHead);
  return { h, targets: t, logits };
}

/** Final norm + lm_head for the rows `rowIdx` (R,) of the residual stream x (N, C): logits (R, V). */
export function logitsAtRows(model: HeadModel, x: Tensor, rowIdx: Tensor, R: number): Tensor {
  const { gpu, config: c } = model;
  const h = gpu.empty([R, c.hiddenSize], 'f32', 'last.h');
  copyRows(gpu, h, x, { rows: R, width: c.hiddenSize, srcIdx: rowIdx });
  const hn = gpu.empty([R, c.hiddenSize], 'f32', 'last.hn');
  const rstd = gpu.empty([R], 'f32', 'last.rstd');
  rmsnormForward(gpu, hn, rstd, h, model.weights.norm, c.rmsNormEps);
  const logits = gpu.empty([R, c.vocabSize], 'f32', 'last.logits');
  linearForwardRows(gpu, logits, hn, model.weights.lmHead);
  [h, hn, rstd].forEach((t) => t.release());
  return logits;
}
