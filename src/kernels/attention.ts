// Causal scaled-dot-product attention with grouped-query heads, a causal offset (KV cache decode),
// per-batch key windows (kvLens, keyStart) and an O(T)-memory online-softmax forward and backward, in two
// kernel variants: 'tiled' (workgroup-memory tiles, GPUs) and 'direct' (no workgroup memory or barriers,
// CPU adapters). Plain-TS reference in attention.ref.ts.

import { P, buildWgsl, expectTensor, type DispatchSpec, type Gpu, type Tensor } from '../gpu';
import { grid1D } from './grid';
import { isCpuAdapter } from './matmul';
import tiledCommonSrc from './attention_tiled_common.wgsl?raw';
import fwdSrc from './attention.wgsl?raw';
import prepSrc from './attention_prep.wgsl?raw';
import dqSrc from './attention_dq.wgsl?raw';
import dkvSrc from './attention_dkv.wgsl?raw';
import directCommonSrc from './attention_direct_common.wgsl?raw';
import directFwdSrc from './attention_direct.wgsl?raw';
import directDqSrc from './attention_direct_dq.wgsl?raw';
import directDkvSrc from './attention_direct_dkv.wgsl?raw';

/** Attention shape. q: (B, Hq, Tq, D); k, v: (B, Hkv, Tk, D) (or a cache of capacity kvStrideT); out like q. */
export interface AttnDims {
  B: number;
  /** Query heads. */
  Hq: number;
  /** Key/value heads; Hq must be a multiple (query head h reads kv head floor(h / (Hq / Hkv))). */
  Hkv: number;
  /** Query rows. Query i sits at absolute position i + (Tk - Tq) and sees keys j <= that position. */
  Tq: number;
  /** Key rows in use (<= kvStrideT). */
  Tk: number;
  /** Head dim. */
  D: number;
}

/**
 * Kernel family. 'tiled': workgroups share query / key tiles through workgroup memory (GPUs).
 * 'direct': one invocation per query row (forward, dQ) or key row (dK / dV) with its vectors in
 * registers, no workgroup memory and no barriers, for CPU adapters (lavapipe, SwiftShader): there a
 * barrier makes the driver keep live registers in memory, while a load whose address is the same in
 * every invocation of a workgroup (the direct kernels' key / query loop) is one scalar load for all
 * SIMD lanes. On lavapipe (2 cores, D = 24) 'direct' runs the forward and backward 8-10x faster.
 */
export type AttnVariant = 'tiled' | 'direct';

export interface AttnOptions {
  /** Kernel family; default 'direct' on CPU adapters (isCpuAdapter) when D <= ATTN_DIRECT.maxD, else 'tiled'. */
  variant?: AttnVariant;
  /** Score scale; default 1 / sqrt(D). */
  scale?: number;
  /** u32 (B,): keys j >= kvLens[b] are masked and the causal offset uses kvLens[b] (clamped to Tk) instead of Tk. */
  kvLens?: Tensor;
  /** u32 (B,): keys j < keyStart[b] are masked (left padding). Query rows that see no key give out = 0, lse = 0, zero gradients. */
  keyStart?: Tensor;
  /** Rows of the T axis in the k / v buffers (a KV cache larger than Tk); default Tk. */
  kvStrideT?: number;
  /** Cap on workgroup memory used when choosing tiles ('tiled' only); default the adapter's maxComputeWorkgroupStorageSize. */
  workgroupBytes?: number;
}

/** Tile shape of one attention kernel: rows per workgroup x lanes per row (= inner tile length).
 *  Forward / dQ rows are packed query rows (query i of the G heads sharing a kv head); dK/dV rows are keys. */
export interface AttnTiles {
  rows: number;
  lanes: number;
}

export type AttnKernelPart = 'forward' | 'dq' | 'dkv';

/** Preferred tiles first; the first that fits the row count, the workgroup memory and invocation limits is used. */
const CANDIDATES: ReadonlyArray<AttnTiles> = [
  { rows: 16, lanes: 16 },
  { rows: 16, lanes: 8 },
  { rows: 8, lanes: 16 },
  { rows: 8, lanes: 8 },
  { rows: 4, lanes: 16 },
  { rows: 8, lanes: 4 },
  { rows: 4, lanes: 8 },
  { rows: 4, lanes: 4 },
];

const pad4 = (n: number) => Math.ceil(n / 4) * 4;

/** Workgroup-memory bytes of one kernel at tiles t and head dim D (each array rounded to 16 bytes). */
export function attentionWorkgroupBytes(part: AttnKernelPart, t: AttnTiles, D: number): number {
  const { rows: R, lanes: L } = t;
  const arrays =
    part === 'forward'
      ? [R * D, L * (D + 1), L * D, R * L, R * L]
      : part === 'dq'
        ? [R * D, R * D, L * (D + 1), L * (D + 1), R * L]
        : [R * D, R * D, L * (D + 1), L * (D + 1), R * L, R * L, L, L];
  return 4 * arrays.reduce((s, n) => s + pad4(n), 0);
}

/**
 * Pick the tiles for one kernel, or throw naming the head dim, the bytes needed and the limit. `rowCount`
 * (rows the kernel covers per workgroup column, e.g. G for one-token decode) steers away from mostly idle rows.
 */
export function attentionTiles(part: AttnKernelPart, D: number, limitBytes: number, maxInvocations = 256, rowCount = Infinity): AttnTiles {
  const rowCap = Math.max(4, 2 ** Math.ceil(Math.log2(Math.max(1, rowCount))));
  for (const capped of [true, false]) {
    for (const t of CANDIDATES) {
      if (capped && t.rows > rowCap) continue;
      if (t.rows * t.lanes <= maxInvocations && attentionWorkgroupBytes(part, t, D) <= limitBytes) return t;
    }
  }
  const smallest = CANDIDATES[CANDIDATES.length - 1];
  let maxD = 0;
  while (attentionWorkgroupBytes(part, smallest, maxD + 1) <= limitBytes) maxD++;
  throw new Error(
    `attention.${part === 'forward' ? 'forward' : `backward.${part}`}: head dim D=${D} needs ${attentionWorkgroupBytes(part, smallest, D)} bytes of workgroup memory even with ` +
      `${smallest.rows}x${smallest.lanes} tiles, over this adapter's limit of ${limitBytes} bytes (maxComputeWorkgroupStorageSize); ` +
      `the largest head dim that fits is D=${maxD}`,
  );
}

/**
 * FLOPs of one call counting only visible (causal) query-key pairs without kvLens / keyStart:
 * forward 4*D per pair (QK^T and PV), backward 10*D per pair (recomputed QK^T, dV, dP, dQ, dK).
 */
export function attentionFlops(dims: AttnDims, pass: 'forward' | 'backward' = 'forward'): number {
  const { B, Hq, Tq, Tk, D } = dims;
  const pairs = Tq * (Tk - Tq) + (Tq * (Tq + 1)) / 2;
  return B * Hq * pairs * D * (pass === 'forward' ? 4 : 10);
}

interface Checked {
  S: number;
  scale: number;
  flags: number;
  limit: number;
  maxInv: number;
}

function isPosInt(n: number): boolean {
  return Number.isInteger(n) && n > 0;
}

/** Validate dims, options and the shared inputs; return derived values. */
function check(kernel: string, gpu: Gpu, q: Tensor, k: Tensor, v: Tensor, dims: AttnDims, opts: AttnOptions): Checked {
  const { B, Hq, Hkv, Tq, Tk, D } = dims;
  for (const [name, n] of Object.entries({ B, Hq, Hkv, Tq, Tk, D })) {
    if (!isPosInt(n)) throw new Error(`${kernel}: dims.${name} must be a positive integer, got ${n}`);
  }
  if (Hq % Hkv !== 0) throw new Error(`${kernel}: Hq=${Hq} must be a multiple of Hkv=${Hkv} (grouped-query heads)`);
  if (Tq > Tk) throw new Error(`${kernel}: Tq=${Tq} query rows but only Tk=${Tk} keys; queries are the last Tq positions of the keys, so Tq <= Tk`);
  if (opts.variant !== undefined && opts.variant !== 'tiled' && opts.variant !== 'direct') {
    throw new Error(`${kernel}: variant must be 'tiled' or 'direct', got ${JSON.stringify(opts.variant)}`);
  }
  const S = opts.kvStrideT ?? Tk;
  if (!Number.isInteger(S) || S < Tk) throw new Error(`${kernel}: kvStrideT=${S} must be an integer >= Tk=${Tk}`);
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  if (!Number.isFinite(scale)) throw new Error(`${kernel}: scale must be finite, got ${scale}`);
  expectTensor(kernel, 'q', q, 'f32', [B, Hq, Tq, D]);
  expectTensor(kernel, 'k', k, 'f32', [B, Hkv, S, D]);
  expectTensor(kernel, 'v', v, 'f32', [B, Hkv, S, D]);
  if (opts.kvLens) expectTensor(kernel, 'kvLens', opts.kvLens, 'u32', [B]);
  if (opts.keyStart) expectTensor(kernel, 'keyStart', opts.keyStart, 'u32', [B]);
  const flags = (opts.kvLens ? 1 : 0) | (opts.keyStart ? 2 : 0);
  const adapterLimit = gpu.limits.maxComputeWorkgroupStorageSize ?? 16384;
  const limit = Math.min(adapterLimit, opts.workgroupBytes ?? adapterLimit);
  const maxInv = Math.min(256, gpu.limits.maxComputeInvocationsPerWorkgroup ?? 256);
  return { S, scale, flags, limit, maxInv };
}

function noAlias(kernel: string, outputs: Record<string, Tensor>, inputs: Record<string, Tensor | undefined>): void {
  for (const [on, o] of Object.entries(outputs))
    for (const [inName, i] of Object.entries(inputs)) {
      if (i && o.buffer === i.buffer) throw new Error(`${kernel}: ${on} and ${inName} must be different tensors (WebGPU cannot bind one buffer as read and read-write)`);
    }
}

const TILED_SRC: Record<AttnKernelPart, string> = { forward: fwdSrc, dq: dqSrc, dkv: dkvSrc };
const DIRECT_SRC: Record<AttnKernelPart, string> = { forward: directFwdSrc, dq: directDqSrc, dkv: directDkvSrc };

/** WGSL of one tiled kernel: attention_tiled_common.wgsl + its body (QUERY_ROWS: the forward / dQ helpers). */
function code(part: AttnKernelPart, D: number, t: AttnTiles): string {
  return buildWgsl(tiledCommonSrc + '\n' + TILED_SRC[part], { DPT: Math.ceil(D / t.lanes), QUERY_ROWS: part !== 'dkv' });
}

/**
 * Shape of the 'direct' kernels, measured on lavapipe (2 cores, D = 24, T = 64..500):
 * - wg: invocations per workgroup (query rows; key rows for dK / dV). A workgroup walks every key
 *   (query) its last (first) row needs and masks the rest, so large workgroups waste work on the causal
 *   diagonal: 8 and 16 run alike, 32 ~10% slower, 64 up to 2x slower on the forward.
 * - maxD: largest head dim. Each invocation holds up to 4 * D floats in registers; at D = 128 lavapipe
 *   needs tens of seconds to compile the backward (once: Mesa caches shaders on disk) and still runs it
 *   2-3x faster than 'tiled'. Larger D defaults to 'tiled'; forcing 'direct' there throws.
 */
export const ATTN_DIRECT: Readonly<{ wg: number; maxD: number }> = { wg: 16, maxD: 128 };

/** The variant a call with these options runs: opts.variant, else 'direct' on CPU adapters when D fits. */
export function attentionVariant(gpu: Gpu, D: number, opts: AttnOptions = {}): AttnVariant {
  return opts.variant ?? (isCpuAdapter(gpu) && D <= ATTN_DIRECT.maxD ? 'direct' : 'tiled');
}

const directCache = new Map<string, string>();
/**
 * WGSL of one direct kernel at head dim D: attention_direct_common.wgsl + its body (vec4 key / value / query
 * rows when D % 4 == 0). QA / QB name the buffers its inner loop walks: k, v (forward, dQ) or q, g = dOut (dK / dV).
 */
function directCode(part: AttnKernelPart, D: number): string {
  const key = `${part}|${D}`;
  let c = directCache.get(key);
  if (!c) {
    const [QA, QB] = part === 'dkv' ? ['q', 'g'] : ['k', 'v'];
    c = buildWgsl(directCommonSrc + '\n' + DIRECT_SRC[part], { D, D4: Math.ceil(D / 4), VEC4: D % 4 === 0, QA, QB });
    directCache.set(key, c);
  }
  return c;
}

/** One kernel launch of the backward, minus its bindings. */
type Launch = Pick<DispatchSpec, 'code' | 'params' | 'workgroups' | 'constants'>;

/** Direct-kernel geometry: `rows` invocations per (batch, kv head), flattened over an x / y grid. */
function directGrid(kernel: string, gpu: Gpu, dims: AttnDims, rows: number) {
  if (dims.D > ATTN_DIRECT.maxD) {
    throw new Error(`${kernel}: head dim D=${dims.D} is over the direct kernels' limit of ${ATTN_DIRECT.maxD} (per-invocation register arrays); use variant 'tiled'`);
  }
  // Rows are packed into whole SIMD groups (8 lanes on a 256-bit CPU driver); fewer rows than wg need a smaller workgroup only.
  const wg = Math.min(ATTN_DIRECT.wg, Math.max(8, 2 ** Math.ceil(Math.log2(rows))));
  const tiles = Math.ceil(rows / wg);
  const g = grid1D(gpu, dims.B * dims.Hkv * tiles * wg, wg);
  return { wg, tiles, groupsX: g.workgroups[0], workgroups: g.workgroups };
}

/**
 * out = softmax(scale * q k^T + causal / window mask) v per (batch, query head), and lse = the row's
 * log-sum-exp of the scaled scores (saved for the backward). q, out: (B, Hq, Tq, D); k, v: (B, Hkv, S, D)
 * with S = opts.kvStrideT ?? Tk (only the first Tk rows are read); lse: (B, Hq, Tq). All f32.
 */
export function attentionForward(gpu: Gpu, out: Tensor, lse: Tensor, q: Tensor, k: Tensor, v: Tensor, dims: AttnDims, opts: AttnOptions = {}): void {
  const kn = 'attention.forward';
  const c = check(kn, gpu, q, k, v, dims, opts);
  const { B, Hq, Hkv, Tq, Tk, D } = dims;
  expectTensor(kn, 'out', out, 'f32', [B, Hq, Tq, D]);
  expectTensor(kn, 'lse', lse, 'f32', [B, Hq, Tq]);
  noAlias(kn, { out, lse }, { q, k, v, kvLens: opts.kvLens, keyStart: opts.keyStart });
  if (attentionVariant(gpu, D, opts) === 'direct') {
    const g = directGrid(kn, gpu, dims, Tq * (Hq / Hkv));
    gpu.dispatch({
      kernel: kn,
      code: directCode('forward', D),
      outputs: [out, lse],
      inputs: [q, k, v, opts.kvLens ?? q, opts.keyStart ?? q],
      params: P().u32(B).u32(Hq).u32(Hkv).u32(Tq).u32(Tk).u32(c.S).u32(c.flags).f32(c.scale).u32(g.tiles).u32(g.groupsX),
      workgroups: g.workgroups,
      constants: { WG: g.wg },
    });
    return;
  }
  const t = attentionTiles('forward', D, c.limit, c.maxInv, Tq * (Hq / Hkv));
  gpu.dispatch({
    kernel: kn,
    code: code('forward', D, t),
    outputs: [out, lse],
    // Absent windows bind q in their place (never read: flags say so).
    inputs: [q, k, v, opts.kvLens ?? q, opts.keyStart ?? q],
    params: P().u32(Hq).u32(Hkv).u32(Tq).u32(Tk).u32(c.S).u32(c.flags).f32(c.scale),
    workgroups: [Math.ceil((Tq * (Hq / Hkv)) / t.rows), Hkv, B],
    constants: { ROWS: t.rows, LANES: t.lanes, D },
  });
}

/**
 * Gradients of attentionForward (overwrite): dQ (B, Hq, Tq, D); dK, dV (B, Hkv, S, D), summed over the
 * query heads sharing each kv head; rows of dK / dV past the key window are 0. dOut, out: (B, Hq, Tq, D);
 * lse: (B, Hq, Tq) from the forward with the same dims and options.
 */
export function attentionBackward(
  gpu: Gpu,
  dQ: Tensor,
  dK: Tensor,
  dV: Tensor,
  dOut: Tensor,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  out: Tensor,
  lse: Tensor,
  dims: AttnDims,
  opts: AttnOptions = {},
): void {
  const kn = 'attention.backward';
  const c = check(kn, gpu, q, k, v, dims, opts);
  const { B, Hq, Hkv, Tq, D } = dims;
  expectTensor(kn, 'dOut', dOut, 'f32', [B, Hq, Tq, D]);
  expectTensor(kn, 'out', out, 'f32', [B, Hq, Tq, D]);
  expectTensor(kn, 'lse', lse, 'f32', [B, Hq, Tq]);
  expectTensor(kn, 'dQ', dQ, 'f32', [B, Hq, Tq, D]);
  expectTensor(kn, 'dK', dK, 'f32', [B, Hkv, c.S, D]);
  expectTensor(kn, 'dV', dV, 'f32', [B, Hkv, c.S, D]);
  noAlias(kn, { dQ, dK, dV }, { dOut, q, k, v, out, lse, kvLens: opts.kvLens, keyStart: opts.keyStart });
  if (dQ.buffer === dK.buffer || dQ.buffer === dV.buffer || dK.buffer === dV.buffer) throw new Error(`${kn}: dQ, dK and dV must be different tensors`);
  // Pick the dQ and dK / dV kernels first: a head dim over a variant's limit throws before any temporary exists.
  const nRows = Tq * (Hq / Hkv);
  let dq: Launch;
  let dkv: Launch;
  if (attentionVariant(gpu, D, opts) === 'direct') {
    const gq = directGrid(`${kn}.dq`, gpu, dims, nRows);
    const gkv = directGrid(`${kn}.dkv`, gpu, dims, c.S);
    const params = (t: { tiles: number; groupsX: number }) => P().u32(B).u32(Hq).u32(Hkv).u32(Tq).u32(c.S).f32(c.scale).u32(t.tiles).u32(t.groupsX);
    dq = { code: directCode('dq', D), params: params(gq), workgroups: gq.workgroups, constants: { WG: gq.wg } };
    dkv = { code: directCode('dkv', D), params: params(gkv), workgroups: gkv.workgroups, constants: { WG: gkv.wg } };
  } else {
    const tq = attentionTiles('dq', D, c.limit, c.maxInv, nRows);
    const tkv = attentionTiles('dkv', D, c.limit, c.maxInv);
    const params = P().u32(Hq).u32(Hkv).u32(Tq).u32(c.S).f32(c.scale);
    dq = { code: code('dq', D, tq), params, workgroups: [Math.ceil(nRows / tq.rows), Hkv, B], constants: { ROWS: tq.rows, LANES: tq.lanes, D } };
    dkv = { code: code('dkv', D, tkv), params, workgroups: [Math.ceil(c.S / tkv.rows), Hkv, B], constants: { ROWS: tkv.rows, LANES: tkv.lanes, D } };
  }

  const rows = B * Hq * Tq;
  const stats = gpu.empty([B, Hq, Tq, 2], 'f32', 'attention.stats'); // lse, Di per query row
  const range = gpu.empty([B, 2], 'u32', 'attention.range'); // [start, end) key window per batch
  const g = grid1D(gpu, rows, 64);
  gpu.dispatch({
    kernel: `${kn}.prep`,
    code: prepSrc,
    outputs: [stats, range],
    inputs: [dOut, out, lse, opts.kvLens ?? lse, opts.keyStart ?? lse],
    params: P().u32(rows).u32(g.rowStride).u32(D).u32(B).u32(dims.Tk).u32(c.flags),
    workgroups: g.workgroups,
    constants: { WG: 64 },
  });
  gpu.dispatch({ kernel: `${kn}.dq`, outputs: [dQ], inputs: [q, k, v, dOut, stats, range], ...dq });
  gpu.dispatch({ kernel: `${kn}.dkv`, outputs: [dK, dV], inputs: [q, k, v, dOut, stats, range], ...dkv });
  stats.release();
  range.release();
}
