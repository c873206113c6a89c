// Token log-probabilities from logits, chunked over the vocabulary: logp = log softmax(logits/T)[target],
// entropy and the saved log-sum-exp (forward), and dLogits (backward); cross-entropy = -logp wrappers.
// Plain-TS reference in logprobs.ref.ts.

// Memory: logits (N, V) for a long sequence are large (N = 4096 tokens of a 151,936-word vocabulary is
// 2.5 GB in f32). Callers run the model head and these kernels on row chunks of tokens: at most
// logprobsMaxRows(gpu, V) rows fit one binding; beyond that the entry points throw and say so.

import { P, buildWgsl, expectTensor, shapeStr, type Gpu, type Tensor } from '../gpu';
import { checkReduceWg, grid1D, reduceWg } from './grid';
import chunksSrc from './vocab_chunks.wgsl?raw';
import bodySrc from './logprobs.wgsl?raw';

const WG = 256;
/** Vocabulary entries per (row, chunk) workgroup in the statistics pass. */
const CHUNK = 4096;

export interface LogprobsOptions {
  /** Logits are divided by this before the softmax (> 0). Default 1. */
  temperature?: number;
  /** Rows whose target equals this id are ignored: logp = entropy = 0 and their dLogits = 0.
   *  For i32 targets a negative id (e.g. -100) is allowed. Default: no ignored id. */
  ignoreIndex?: number;
  /** Threads of the statistics pass per (row, chunk); default reduceWg(gpu) (256 on GPUs, 8 on CPU
   *  adapters). Tests force each. */
  workgroupSize?: number;
}

export interface LogprobsBackwardOptions extends LogprobsOptions {
  /** The forward's entropy (N,), needed with dEntropy. When absent it is recomputed (one more pass over the logits). */
  entropy?: Tensor;
}

/** vocab_chunks.wgsl + this family's stages (one per buildWgsl flag). */
const src = chunksSrc + '\n' + bodySrc;
let codes: { stats: string; final: string; backward: string } | null = null;
function code() {
  if (!codes) codes = { stats: buildWgsl(src, { STATS: true }), final: buildWgsl(src, { FINAL: true }), backward: buildWgsl(src, { BACKWARD: true }) };
  return codes;
}

interface Checked {
  N: number;
  V: number;
  invT: number;
  ignore: [number, number];
  /** Threads of the statistics pass. */
  statsWg: number;
}

/** Most logit rows of vocabulary `vocab` that one (rows, vocab) f32 tensor may hold on this device. */
export function logprobsMaxRows(gpu: Gpu, vocab: number): number {
  const maxBind = gpu.limits.maxStorageBufferBindingSize ?? 128 * 1024 * 1024;
  return Math.floor(maxBind / (4 * vocab));
}

function checkInputs(k: string, gpu: Gpu, logits: Tensor, targets: Tensor, opts: LogprobsOptions): Checked {
  expectTensor(k, 'logits', logits, 'f32', [-1, -1]);
  const [N, V] = logits.shape;
  if (V < 1) throw new Error(`${k}: logits ${shapeStr(logits.shape)} has an empty vocabulary`);
  const maxBind = gpu.limits.maxStorageBufferBindingSize ?? 128 * 1024 * 1024;
  if (N * V * 4 > maxBind) {
    throw new Error(
      `${k}: logits ${shapeStr(logits.shape)} is ${N * V * 4} bytes, over this adapter's maxStorageBufferBindingSize (${maxBind}); ` +
        `process the tokens in row chunks of at most ${logprobsMaxRows(gpu, V)} rows (logprobsMaxRows)`,
    );
  }
  expectTensor(k, 'targets', targets, ['u32', 'i32'], [N]);
  const T = opts.temperature ?? 1;
  if (!(T > 0) || !Number.isFinite(T)) throw new Error(`${k}: temperature must be a finite number > 0, got ${T}`);
  let ignore: [number, number] = [0, 0];
  if (opts.ignoreIndex !== undefined) {
    const id = opts.ignoreIndex;
    if (!Number.isInteger(id) || id < -0x80000000 || id > 0xffffffff) throw new Error(`${k}: ignoreIndex must be an integer id, got ${id}`);
    ignore = [1, id >>> 0];
  }
  const statsWg = opts.workgroupSize !== undefined ? checkReduceWg(k, opts.workgroupSize) : reduceWg(gpu);
  return { N, V, invT: 1 / T, ignore, statsWg };
}

function params(c: Checked, nChunks: number, gridStride: number, useEntropy: boolean, sign: number) {
  return P().u32(c.N).u32(c.V).u32(nChunks).u32(gridStride).f32(c.invT).u32(c.ignore[0]).u32(c.ignore[1]).u32(useEntropy ? 1 : 0).f32(sign);
}

/** Row statistics pass + combine: writes logp (times sign), entropy and lse (all (N,)). */
function forwardInto(gpu: Gpu, k: string, logp: Tensor, entropy: Tensor, lse: Tensor, logits: Tensor, targets: Tensor, c: Checked, sign: number): void {
  const { N, V } = c;
  if (N === 0) return;
  const nChunks = Math.ceil(V / CHUNK);
  const partial = gpu.empty([N, nChunks, 3], 'f32', 'logprobs.partial'); // (N, nChunks, 3)
  const g1 = grid1D(gpu, N * nChunks, 1);
  gpu.dispatch({
    kernel: `${k}.stats`,
    code: code().stats,
    outputs: [partial],
    inputs: [logits],
    params: params(c, nChunks, g1.rowStride, false, sign),
    workgroups: g1.workgroups,
    constants: { WG: c.statsWg, CHUNK },
  });
  const g2 = grid1D(gpu, N, WG);
  gpu.dispatch({
    kernel: `${k}.final`,
    code: code().final,
    outputs: [logp, entropy, lse],
    inputs: [partial, logits, targets],
    params: params(c, nChunks, g2.rowStride, false, sign),
    workgroups: g2.workgroups,
    constants: { WG, CHUNK },
  });
  partial.release();
}

/**
 * logp (N,) = log softmax(logits / T)[target]; entropy (N,) = -sum p log p of that softmax (pass null to
 * skip keeping it); lse (N,) = logsumexp(logits / T), saved for the backward.
 * logits (N, V) f32, targets (N,) u32 (or i32). Out-of-range targets give logp = NaN.
 */
export function logprobsForward(gpu: Gpu, logp: Tensor, entropy: Tensor | null, lse: Tensor, logits: Tensor, targets: Tensor, opts: LogprobsOptions = {}): void {
  const k = 'logprobs.forward';
  const c = checkInputs(k, gpu, logits, targets, opts);
  expectTensor(k, 'logp', logp, 'f32', [c.N]);
  expectTensor(k, 'lse', lse, 'f32', [c.N]);
  if (entropy) expectTensor(k, 'entropy', entropy, 'f32', [c.N]);
  const ent = entropy ?? gpu.empty([c.N], 'f32', 'logprobs.entropy');
  forwardInto(gpu, k, logp, ent, lse, logits, targets, c, 1);
  if (!entropy) ent.release();
}

function backwardInto(k: string, gpu: Gpu, dLogits: Tensor, dLogp: Tensor, dEntropy: Tensor | null, logits: Tensor, targets: Tensor, lse: Tensor, opts: LogprobsBackwardOptions, sign: number): void {
  const c = checkInputs(k, gpu, logits, targets, opts);
  const { N, V } = c;
  expectTensor(k, 'dLogits', dLogits, 'f32', [N, V]);
  expectTensor(k, sign > 0 ? 'dLogp' : 'dLoss', dLogp, 'f32', [N]);
  expectTensor(k, 'lse', lse, 'f32', [N]);
  if (dEntropy) expectTensor(k, 'dEntropy', dEntropy, 'f32', [N]);
  if (opts.entropy) expectTensor(k, 'opts.entropy', opts.entropy, 'f32', [N]);
  if (N === 0) return;
  let H: Tensor = lse;
  let temps: Tensor[] = [];
  if (dEntropy && opts.entropy) H = opts.entropy;
  else if (dEntropy) {
    const lp = gpu.empty([N], 'f32', 'logprobs.logp');
    const l2 = gpu.empty([N], 'f32', 'logprobs.lse');
    H = gpu.empty([N], 'f32', 'logprobs.entropy');
    forwardInto(gpu, `${k}.recompute`, lp, H, l2, logits, targets, c, 1);
    temps = [lp, l2, H];
  }
  const g = grid1D(gpu, N * V, WG);
  gpu.dispatch({
    kernel: k,
    code: code().backward,
    outputs: [dLogits],
    inputs: [dLogp, dEntropy ?? dLogp, logits, targets, lse, H],
    params: params(c, 0, g.rowStride, !!dEntropy, sign),
    workgroups: g.workgroups,
    constants: { WG, CHUNK },
  });
  for (const t of temps) t.release();
}

/**
 * dLogits (N, V) = (dLogp * (onehot(target) - p) + dEntropy * (-p (log p + H))) / T, overwritten.
 * dEntropy may be null (no entropy term). lse is the forward's saved (N,) output; the entropy H is
 * taken from opts.entropy or recomputed. dLogits must be a different tensor from logits.
 */
export function logprobsBackward(gpu: Gpu, dLogits: Tensor, dLogp: Tensor, dEntropy: Tensor | null, logits: Tensor, targets: Tensor, lse: Tensor, opts: LogprobsBackwardOptions = {}): void {
  backwardInto('logprobs.backward', gpu, dLogits, dLogp, dEntropy, logits, targets, lse, opts, 1);
}

/** Cross-entropy loss (N,) = -log softmax(logits / T)[target] (0 on rows whose target is opts.ignoreIndex); lse (N,) saved. */
export function crossEntropyForward(gpu: Gpu, loss: Tensor, lse: Tensor, logits: Tensor, targets: Tensor, opts: LogprobsOptions = {}): void {
  const k = 'crossEntropy.forward';
  const c = checkInputs(k, gpu, logits, targets, opts);
  expectTensor(k, 'loss', loss, 'f32', [c.N]);
  expectTensor(k, 'lse', lse, 'f32', [c.N]);
  const ent = gpu.empty([c.N], 'f32', 'crossEntropy.entropy');
  forwardInto(gpu, k, loss, ent, lse, logits, targets, c, -1);
  ent.release();
}

/** dLogits (N, V) = dLoss * (softmax(logits / T) - onehot(target)) / T (0 on ignored rows), overwritten. */
export function crossEntropyBackward(gpu: Gpu, dLogits: Tensor, dLoss: Tensor, logits: Tensor, targets: Tensor, lse: Tensor, opts: LogprobsOptions = {}): void {
  backwardInto('crossEntropy.backward', gpu, dLogits, dLoss, null, logits, targets, lse, opts, -1);
}
