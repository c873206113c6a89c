// GPU sampling that returns only token ids (and their log-probs): per-row temperature (0 = greedy),
// top-k, top-p, seeded counter-based noise. Plain-TS reference in sample.ref.ts.

// Method. Exact mode (topK = 0 and topP = 1): Gumbel-max over the whole vocabulary, chunked: each
// (row, chunk) workgroup keeps its argmax of logit/T + Gumbel noise, then one pass per row picks the
// winner; this samples exactly from softmax(logits / T). Truncated modes: the row's top K candidates
// (K = topK, or TOP_P_CANDIDATES when only top-p is set; larger logit first, lowest id on ties) are found
// without sorting the row (selection 'radix', the default): a radix select of the K-th largest logit over
// its float bits (3 counting passes), the lowest ids among the logits tied with it, then one gathering
// pass and a sort of the K candidates alone; or (selection 'sort') by block-sorting (logit, id) pairs in
// levels. Both give the same candidates. Top-p keeps the smallest prefix of them whose probability reaches topP, and Gumbel-max draws among
// the kept ones; min-p then drops candidates under minP times the top token's probability. Top-p after top-k uses probabilities renormalised over the top-k tokens (the usual
// "top-k, then top-p" order); top-p alone uses the full softmax but only looks at the TOP_P_CANDIDATES most
// likely tokens: tokens outside them are never sampled, even when the nucleus would reach further.
//
// logp (B,) is log softmax(logits / T)[id] of the full, untruncated tempered distribution (RL uses
// this as the behaviour policy's log-prob); logpMode 'untempered' gives log softmax(logits)[id]. Greedy
// rows (T = 0) always report the untempered log-prob.
//
// Noise: Philox4x32-10 keyed by (seed, step), counter (token >> 2, row, 0, 0), output word token & 3, so
// a draw depends only on (seed, step, row, token): reproducible, and independent of dispatch order.
// `row` is row0 + the row's index in this call (a caller that compacts finished rows changes it), and each
// decoding step needs its own `step`. Calls that differ only in temperature / top-k / top-p share noise.
// Logits at or below -1e30 (-inf masks) and NaN are never sampled.

import { P, buildWgsl, expectTensor, shapeStr, type Gpu, type Tensor } from '../gpu';
import { checkReduceWg, grid1D, reduceWg } from './grid';
import chunksSrc from './vocab_chunks.wgsl?raw';
import bodySrc from './sample.wgsl?raw';

const WG = 256;
/** Vocabulary entries per (row, chunk) workgroup of the statistics pass. */
const CHUNK = 4096;
/** Most entries sorted per workgroup in the top-k pass (smaller inputs use the next power of two). */
const MAX_BS = 1024;
/** Largest supported topK (one candidate per thread of the final pass). */
export const MAX_TOP_K = 256;
/** Candidates considered by top-p when topK is 0. */
export const TOP_P_CANDIDATES = 256;

export interface SampleOptions {
  /** Softmax temperature, one number or one per row; 0 = greedy (argmax, lowest id on ties). */
  temperature: number | Float32Array;
  /** Keep the k most likely tokens (0 = off; k >= V is off). At most MAX_TOP_K. */
  topK: number;
  /** Nucleus: keep the smallest set of most likely tokens whose probability reaches topP (1 = off). In (0, 1]. */
  topP: number;
  /** Min-p: keep only tokens whose probability is at least minP times the most likely token's (0 = off). In
   *  [0, 1]. Applied with top-k / top-p (the three cuts keep a prefix of the same order; the kept set is the
   *  shortest); alone it looks at the TOP_P_CANDIDATES most likely tokens, like top-p. */
  minP?: number;
  /** Random seed (u32). */
  seed: number;
  /** Decoding step (u32): the noise differs per step. */
  step: number;
  /** Noise row of logits row 0 (u32, default 0): a caller that samples its rows in chunks passes each chunk's
   *  first row, so the draws equal those of one call over all rows. */
  row0?: number;
  /** 'tempered' (default): logp of softmax(logits / T); 'untempered': logp of softmax(logits). */
  logpMode?: 'tempered' | 'untempered';
  /** Threads per row of the statistics and pick passes; default reduceWg(gpu) (256 on GPUs, 8 on CPU
   *  adapters). The pick pass takes at least the candidate count (one candidate per thread). Tests force each. */
  workgroupSize?: number;
  /** How truncated modes find the top K candidates: 'radix' (default; radix select, no sort of the row)
   *  or 'sort' (block sorts of the row; kept for comparison). Same candidates either way. */
  selection?: 'radix' | 'sort';
}

/** vocab_chunks.wgsl + this family's stages (one per buildWgsl flag). */
const src = chunksSrc + '\n' + bodySrc;
let codes: { stats: string; block: string; select: string; pick: string } | null = null;
function code() {
  if (!codes) codes = { stats: buildWgsl(src, { STATS: true }), block: buildWgsl(src, { BLOCK: true }), select: buildWgsl(src, { SELECT: true }), pick: buildWgsl(src, { PICK: true }) };
  return codes;
}

const u32ok = (x: number) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff;

/**
 * ids (B,) u32 (or i32) and logp (B,) f32 sampled from logits (B, V) f32. All GPU-side; nothing is read back.
 * Rows whose logits are all masked (-inf / NaN) give id 0 and logp NaN.
 */
export function sampleTokens(gpu: Gpu, ids: Tensor, logp: Tensor, logits: Tensor, opts: SampleOptions): void {
  const k = 'sample';
  expectTensor(k, 'logits', logits, 'f32', [-1, -1]);
  const [B, V] = logits.shape;
  if (V < 1) throw new Error(`${k}: logits ${shapeStr(logits.shape)} has an empty vocabulary`);
  const maxBind = gpu.limits.maxStorageBufferBindingSize ?? 128 * 1024 * 1024;
  if (B * V * 4 > maxBind) throw new Error(`${k}: logits ${shapeStr(logits.shape)} is ${B * V * 4} bytes, over maxStorageBufferBindingSize (${maxBind}); sample at most ${Math.floor(maxBind / (4 * V))} rows per call`);
  expectTensor(k, 'ids', ids, ['u32', 'i32'], [B]);
  expectTensor(k, 'logp', logp, 'f32', [B]);
  const { topK, topP, seed, step } = opts;
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`${k}: topK must be an integer >= 0 (0 = off), got ${topK}`);
  const kEff = topK >= V ? 0 : topK;
  if (kEff > MAX_TOP_K) throw new Error(`${k}: topK ${topK} is over the supported ${MAX_TOP_K} (vocabulary ${V}); use topK <= ${MAX_TOP_K}, or 0 for no top-k`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`${k}: topP must be in (0, 1] (1 = off), got ${topP}`);
  const minP = opts.minP ?? 0;
  if (!(minP >= 0 && minP <= 1)) throw new Error(`${k}: minP must be in [0, 1] (0 = off), got ${minP}`);
  if (!u32ok(seed) || !u32ok(step)) throw new Error(`${k}: seed and step must be u32 integers, got seed ${seed}, step ${step}`);
  const row0 = opts.row0 ?? 0;
  if (!u32ok(row0)) throw new Error(`${k}: row0 must be a u32 integer, got ${row0}`);
  const temps = typeof opts.temperature === 'number' ? new Float32Array(B).fill(opts.temperature) : opts.temperature;
  if (temps.length !== B) throw new Error(`${k}: ${temps.length} temperatures for ${B} rows; pass one number or one per row`);
  for (const t of temps) if (!(t >= 0) || !Number.isFinite(t)) throw new Error(`${k}: temperatures must be finite and >= 0 (0 = greedy), got ${t}`);
  const selection = opts.selection ?? 'radix';
  if (selection !== 'radix' && selection !== 'sort') throw new Error(`${k}: selection must be 'radix' or 'sort', got ${String(selection)}`);
  if (B === 0) return;

  const exact = kEff === 0 && topP >= 1 && minP === 0;
  const K = exact ? 1 : Math.min(kEff > 0 ? kEff : TOP_P_CANDIDATES, V);
  const rowWg = opts.workgroupSize !== undefined ? checkReduceWg(k, opts.workgroupSize) : reduceWg(gpu);
  const pickWg = Math.min(WG, Math.max(rowWg, 2 ** Math.ceil(Math.log2(K)))); // >= K: one candidate per thread
  const nChunks = Math.ceil(V / CHUNK);
  const params = (gridStride: number, nIn = 0, fromLogits = 0, nBlocks = 0) =>
    P().u32(B).u32(V).u32(nChunks).u32(gridStride).u32(seed).u32(step).u32(exact ? 1 : 0).u32(K)
      .f32(topP).u32(kEff > 0 ? 1 : 0).u32(opts.logpMode === 'untempered' ? 1 : 0).u32(nIn).u32(fromLogits).u32(nBlocks).f32(minP).u32(row0);

  const tTemps = gpu.upload(temps, [B], 'f32', 'sample.temperature'); // (B,)
  const stats = gpu.empty([B, nChunks, 8], 'f32', 'sample.stats'); // (B, nChunks, 8)
  const g1 = grid1D(gpu, B * nChunks, 1);
  gpu.dispatch({ kernel: 'sample.stats', code: code().stats, outputs: [stats], inputs: [logits, tTemps], params: params(g1.rowStride), workgroups: g1.workgroups, constants: { WG: rowWg, CHUNK } });

  let cand: Tensor = stats;
  if (!exact && selection === 'radix') {
    // Top-K candidates without sorting the row: radix select, gather, sort the K candidates.
    cand = gpu.empty([B, K, 2], 'u32', 'sample.candidates'); // (B, K, 2)
    const SK = Math.max(2, 2 ** Math.ceil(Math.log2(K)));
    const g = grid1D(gpu, B, 1);
    gpu.dispatch({ kernel: 'sample.select', code: code().select, outputs: [cand], inputs: [logits], params: params(g.rowStride), workgroups: g.workgroups, constants: { WG: rowWg, SK } });
  } else if (!exact) {
    // Top-K candidates by levels of block sorts: each level keeps K of every BS entries.
    let srcT: Tensor = logits;
    let nIn = V;
    for (let level = 0; ; level++) {
      const BS = Math.min(MAX_BS, 2 ** Math.ceil(Math.log2(Math.max(nIn, 2))));
      const nBlocks = Math.ceil(nIn / BS);
      const out = gpu.empty([B, nBlocks * K, 2], 'u32', 'sample.candidates'); // (B, nBlocks * K, 2)
      const g = grid1D(gpu, B * nBlocks, 1);
      gpu.dispatch({ kernel: 'sample.topk', code: code().block, outputs: [out], inputs: [srcT], params: params(g.rowStride, nIn, level === 0 ? 1 : 0, nBlocks), workgroups: g.workgroups, constants: { WG, BS } });
      if (srcT !== logits) srcT.release();
      srcT = out;
      if (nBlocks === 1) break;
      nIn = nBlocks * K;
    }
    cand = srcT;
  }
  const g2 = grid1D(gpu, B, 1);
  gpu.dispatch({ kernel: 'sample.pick', code: code().pick, outputs: [ids, logp], inputs: [stats, cand, logits, tTemps], params: params(g2.rowStride), workgroups: g2.workgroups, constants: { WG: pickWg, CHUNK } });
  if (cand !== stats) cand.release();
  stats.release();
  tTemps.release();
}
