// One-token decode attention over a KV cache (f32 or f16), split over long caches (flash-decoding: each
// query row's keys in chunks run by separate workgroups, then a combine pass over the chunks' running max /
// sum), and the fused K / V cache write that stores new rows in the cache's element type. Forward only
// (generation has no backward). float64 reference: attention_decode.ref.ts (split + combine, which equals
// attentionForwardRef of attention.ref.ts at Tq = 1) and attentionForwardRef itself.

import { P, buildWgsl, expectTensor, type Gpu, type Tensor } from '../gpu';
import { grid1D, isCpuAdapter } from './grid';
import partSrc from './attention_decode.wgsl?raw';
import combineSrc from './attention_decode_combine.wgsl?raw';
import writeSrc from './attention_kv_write.wgsl?raw';

/** Decode shape: q, out (B, Hq, 1, D); cache k, v (B, Hkv, S, D) with the first Tk rows in use (kvLens per slot). */
export interface DecodeDims {
  B: number;
  Hq: number;
  Hkv: number;
  /** Key rows in use (<= S); a slot's own length comes from kvLens. */
  Tk: number;
  D: number;
}

export interface DecodeOptions {
  /** Score scale; default 1 / sqrt(D). */
  scale?: number;
  /** u32 (B,): keys j >= kvLens[b] are masked. */
  kvLens?: Tensor;
  /** u32 (B,): keys j < keyStart[b] are masked (left padding). A slot with no visible key gives out = 0, lse = 0. */
  keyStart?: Tensor;
  /** Rows of the T axis of the cache tensors (its capacity); default Tk. */
  kvStrideT?: number;
  /** Keys per chunk; default from decodeSplit (one chunk when the batch already fills the adapter). */
  chunkLen?: number;
}

/**
 * Split policy: a workgroup per (slot, kv head) is enough when the batch alone gives `targetGroups`
 * workgroups; otherwise the cache is cut into chunks of at least `minChunk` keys until it does.
 * GPUs want hundreds of workgroups (not measured here: no GPU was at hand). CPU adapters run one workgroup
 * per core at a time: on lavapipe with 2 cores (Qwen2.5-0.5B heads, 1 slot, 1024-4096 keys) one chunk was
 * as fast as or faster than 2-16 chunks, so a CPU splits only when it has more cores than the batch fills,
 * and into chunks of at least 1024 keys (at 1024 keys the extra dispatch cost as much as the attention).
 */
export const DECODE_SPLIT: Readonly<{ cpu: { minChunk: number }; gpu: { targetGroups: number; minChunk: number }; maxD: number }> = {
  cpu: { minChunk: 1024 },
  gpu: { targetGroups: 512, minChunk: 64 },
  maxD: 256,
};

/** The split policy on this adapter: the GPU one, or the CPU one with one workgroup per core (navigator.hardwareConcurrency, else 2). */
export function decodeSplitPolicy(gpu: Gpu): { targetGroups: number; minChunk: number } {
  if (!isCpuAdapter(gpu)) return DECODE_SPLIT.gpu;
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return { targetGroups: Number.isInteger(cores) && cores! > 0 ? cores! : 2, minChunk: DECODE_SPLIT.cpu.minChunk };
}

/** Query heads per workgroup (rows of a tile): the G heads sharing a kv head, in whole SIMD groups of 8, at most 32. */
function tileRows(G: number): number {
  return Math.min(32, Math.max(8, 2 ** Math.ceil(Math.log2(G))));
}

/** Chunks and keys per chunk the decode attention uses for these dims on this adapter (chunkLen forces the split). */
export function decodeSplit(gpu: Gpu, dims: DecodeDims, chunkLen?: number): { chunks: number; chunkLen: number } {
  const { B, Hq, Hkv, Tk } = dims;
  if (chunkLen !== undefined) {
    if (!Number.isInteger(chunkLen) || chunkLen < 1) throw new Error(`attention.decode: chunkLen must be a positive integer, got ${chunkLen}`);
    return { chunks: Math.ceil(Tk / chunkLen), chunkLen };
  }
  const pol = decodeSplitPolicy(gpu);
  const G = Hq / Hkv;
  const base = B * Hkv * Math.ceil(G / tileRows(G));
  const want = Math.ceil(pol.targetGroups / base);
  const chunks = Math.max(1, Math.min(want, Math.floor(Tk / pol.minChunk)));
  const len = Math.ceil(Tk / chunks);
  return { chunks: Math.ceil(Tk / len), chunkLen: len };
}

function checkF16(kernel: string, gpu: Gpu, t: Tensor): boolean {
  if (t.dtype === 'f16' && !gpu.f16) throw new Error(`${kernel}: the cache is f16 but this adapter has no shader-f16; use an f32 cache`);
  return t.dtype === 'f16';
}

const codeCache = new Map<string, string>();
function partCode(D: number, F16: boolean, SPLIT: boolean): string {
  const key = `${D}|${F16}|${SPLIT}`;
  let c = codeCache.get(key);
  if (!c) codeCache.set(key, (c = buildWgsl(partSrc, { D, D4: Math.ceil(D / 4), VEC4: D % 4 === 0, F16, SPLIT })));
  return c;
}

function writeCode(F16: boolean): string {
  const key = `write|${F16}`;
  let c = codeCache.get(key);
  if (!c) codeCache.set(key, (c = buildWgsl(writeSrc, { F16 })));
  return c;
}

/**
 * out = softmax(scale * q k^T) v over each slot's cache window for one new token per slot, and lse its
 * log-sum-exp. q, out: (B, Hq, 1, D) f32; k, v: (B, Hkv, S, D) f32 or f16 (both the same), S = kvStrideT ?? Tk;
 * lse: (B, Hq, 1) f32. Same results as attentionForward with Tq = 1 (and the same options).
 */
export function attentionDecode(gpu: Gpu, out: Tensor, lse: Tensor, q: Tensor, k: Tensor, v: Tensor, dims: DecodeDims, opts: DecodeOptions = {}): void {
  const kn = 'attention.decode';
  const { B, Hq, Hkv, Tk, D } = dims;
  for (const [name, n] of Object.entries({ B, Hq, Hkv, Tk, D })) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`${kn}: dims.${name} must be a positive integer, got ${n}`);
  }
  if (Hq % Hkv !== 0) throw new Error(`${kn}: Hq=${Hq} must be a multiple of Hkv=${Hkv} (grouped-query heads)`);
  if (D > DECODE_SPLIT.maxD) throw new Error(`${kn}: head dim D=${D} is over this kernel's limit of ${DECODE_SPLIT.maxD} (per-invocation register arrays)`);
  const S = opts.kvStrideT ?? Tk;
  if (!Number.isInteger(S) || S < Tk) throw new Error(`${kn}: kvStrideT=${S} must be an integer >= Tk=${Tk}`);
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  if (!Number.isFinite(scale)) throw new Error(`${kn}: scale must be finite, got ${scale}`);
  expectTensor(kn, 'q', q, 'f32', [B, Hq, 1, D]);
  expectTensor(kn, 'k', k, ['f32', 'f16'], [B, Hkv, S, D]);
  expectTensor(kn, 'v', v, k.dtype, [B, Hkv, S, D]);
  expectTensor(kn, 'out', out, 'f32', [B, Hq, 1, D]);
  expectTensor(kn, 'lse', lse, 'f32', [B, Hq, 1]);
  if (opts.kvLens) expectTensor(kn, 'kvLens', opts.kvLens, 'u32', [B]);
  if (opts.keyStart) expectTensor(kn, 'keyStart', opts.keyStart, 'u32', [B]);
  for (const [on, o] of Object.entries({ out, lse }))
    for (const [iname, i] of Object.entries({ q, k, v, kvLens: opts.kvLens, keyStart: opts.keyStart })) {
      if (i && o.buffer === i.buffer) throw new Error(`${kn}: ${on} and ${iname} must be different tensors (WebGPU cannot bind one buffer as read and read-write)`);
    }
  const F16 = checkF16(kn, gpu, k);
  const G = Hq / Hkv;
  const WG = tileRows(G);
  const tiles = Math.ceil(G / WG);
  const { chunks, chunkLen } = decodeSplit(gpu, dims, opts.chunkLen);
  const g = grid1D(gpu, B * Hkv * chunks * tiles * WG, WG);
  const flags = (opts.kvLens ? 1 : 0) | (opts.keyStart ? 2 : 0);
  const params = P().u32(B).u32(Hq).u32(Hkv).u32(Tk).u32(S).u32(flags).f32(scale).u32(chunks).u32(chunkLen).u32(tiles).u32(g.workgroups[0]);
  const inputs = [q, k, v, opts.kvLens ?? q, opts.keyStart ?? q];
  if (chunks === 1) {
    gpu.dispatch({ kernel: kn, code: partCode(D, F16, false), outputs: [out, lse], inputs, params, workgroups: g.workgroups, constants: { WG } });
    return;
  }
  const partO = gpu.empty([B * Hq, chunks, D], 'f32', 'attention.decode.partO');
  const partML = gpu.empty([B * Hq, chunks, 2], 'f32', 'attention.decode.partML');
  gpu.dispatch({ kernel: `${kn}.split`, code: partCode(D, F16, true), outputs: [partO, partML], inputs, params, workgroups: g.workgroups, constants: { WG } });
  const rows = B * Hq;
  const gc = grid1D(gpu, rows * D, 64);
  gpu.dispatch({
    kernel: `${kn}.combine`,
    code: combineSrc,
    outputs: [out, lse],
    inputs: [partO, partML],
    params: P().u32(rows).u32(D).u32(chunks).u32(gc.rowStride),
    workgroups: gc.workgroups,
    constants: { WG: 64 },
  });
  partO.release();
  partML.release();
}

/**
 * Store new key / value rows in a KV cache: for r < rows, cache row dstIdx[r] of kCache and vCache gets row
 * srcIdx[r] (default r) of kNew and vNew, converted to the cache's element type (f16 rounds to nearest even).
 * kCache, vCache: (..., D) f32 or f16 (same dtype and shape); kNew, vNew: n rows of D f32 (any shape of that size);
 * dstIdx, srcIdx: u32 (rows,).
 */
export function writeKvCache(gpu: Gpu, kCache: Tensor, vCache: Tensor, kNew: Tensor, vNew: Tensor, o: { rows: number; D: number; dstIdx: Tensor; srcIdx?: Tensor }): void {
  const kn = 'attention.kvWrite';
  const { rows, D } = o;
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(D) || D < 1) throw new Error(`${kn}: bad rows=${rows} / D=${D}`);
  expectTensor(kn, 'kCache', kCache, ['f32', 'f16']);
  expectTensor(kn, 'vCache', vCache, kCache.dtype, kCache.shape);
  expectTensor(kn, 'kNew', kNew, 'f32');
  expectTensor(kn, 'vNew', vNew, 'f32');
  if (vNew.size !== kNew.size) throw new Error(`${kn}: kNew (${kNew}) and vNew (${vNew}) must hold the same number of elements`);
  if (kCache.size % D || kNew.size % D) throw new Error(`${kn}: the cache (${kCache}) and the new rows (${kNew}) must be rows of D=${D}`);
  if (kCache.buffer === vCache.buffer) throw new Error(`${kn}: kCache and vCache must be different tensors`);
  for (const [name, t] of [['dstIdx', o.dstIdx], ['srcIdx', o.srcIdx]] as const) {
    if (t && (t.dtype !== 'u32' || t.size < rows)) throw new Error(`${kn}: ${name} must be u32 with at least ${rows} entries, got ${t}`);
  }
  if (!o.srcIdx && rows * D > kNew.size) throw new Error(`${kn}: ${rows} rows of D=${D} overflow kNew ${kNew}`);
  if (rows === 0) return;
  const F16 = checkF16(kn, gpu, kCache);
  const g = grid1D(gpu, rows * D, 256);
  gpu.dispatch({
    kernel: kn,
    code: writeCode(F16),
    outputs: [kCache, vCache],
    inputs: [kNew, vNew, o.dstIdx, o.srcIdx ?? o.dstIdx],
    params: P().u32(rows).u32(D).u32(g.rowStride).u32(o.srcIdx ? 1 : 0),
    workgroups: g.workgroups,
    constants: { WG: 256 },
  });
}
