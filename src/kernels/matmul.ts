// Matmul family: out (batch..., M, N) = alpha * op(A) op(B) (+ out), f32 activations, f32 or f16 B,
// f32 accumulation. Register-tiled kernels (workgroup-memory staged for GPUs, direct for CPU
// adapters), a naive one-thread-per-output kernel, and linear-layer helpers (y = x W^T and its backward,
// also over a weight stored in row blocks: the lm_head over vocabulary blocks). Plain-TS reference in matmul.ref.ts; tile tuning script in scripts/tune-matmul.ts.

import { P, asRowBlocks, buildWgsl, shapeStr, type Gpu, type Tensor, type Weight } from '../gpu';
import commonSrc from './matmul_common.wgsl?raw';
import stagedSrc from './matmul.wgsl?raw';
import directSrc from './matmul_direct.wgsl?raw';
import naiveSrc from './matmul_naive.wgsl?raw';
import { isCpuAdapter } from './grid';
import { copyRows } from './rows';

export interface MatmulOpts {
  /** Use A^T: A is stored (batch..., K, M). Default false. */
  transA?: boolean;
  /** Use B^T: B is stored (batch..., N, K) (e.g. a PyTorch (out, in) weight). Default false. */
  transB?: boolean;
  /** Scale of the product. Default 1. */
  alpha?: number;
  /** out += alpha * op(A) op(B) instead of overwriting out. Default false. */
  accumulate?: boolean;
  /** Tile configuration (tuning and tests); default: pickMatmulTile(gpu, M, N). */
  tile?: MatmulTile;
}

/** One tile configuration. Threads per workgroup: (BM / TM) * (BN / TN). */
export interface MatmulTile {
  /** 'staged': slices of A and B go through workgroup memory (GPUs). 'direct': no workgroup memory and
   *  no barriers, each thread reads its operands from the buffers (CPU adapters: lavapipe, SwiftShader). */
  kernel: 'staged' | 'direct';
  /** Output rows per workgroup (a multiple of TM). */
  BM: number;
  /** Output columns per workgroup (a multiple of TN). */
  BN: number;
  /** Depth of each K slice in workgroup memory ('staged' only). */
  BK: number;
  /** Rows per thread (register block). */
  TM: number;
  /** Columns per thread (register block), a multiple of 4 (vec4 accumulators). */
  TN: number;
}

/**
 * The tile configurations, picked by pickMatmulTile (measure with scripts/tune-matmul.ts).
 * - default: GPUs, M > 8. 64 x 64 tiles, K in 16-deep slices, 4 x 4 per thread, 256 threads.
 * - gemv: GPUs, M <= 8 (decode). 8 x 32 tiles, 32-deep slices, 1 x 4 per thread, 64 threads: one
 *   workgroup per 32-column block keeps many workgroups busy where a 64 x 64 tile would idle most threads.
 * - cpu: CPU adapters, M > 8. 16 x 128 tiles, 16 x 8 per thread, 16 threads, no workgroup memory: all
 *   threads of a workgroup share its 16 rows (uniform A loads: one scalar load for all SIMD lanes) and
 *   each per-lane B load (the costly operation on a CPU driver) feeds 16 FMAs. Larger blocks (32 x 8,
 *   16 x 16) are no longer fully unrolled by the driver and run several times slower. On lavapipe
 *   (2 cores) at 512 x 896 x 896 this runs ~20 GFLOP/s (idle machine) against ~4 for the 'default'
 *   staged tile, whose barriers make the driver keep the accumulators in memory, and ~2.4 for the naive kernel.
 * - cpuGemv: CPU adapters, M <= 8. BM = TM = M (set at dispatch, so no row is wasted), 16 columns per
 *   thread, 8 threads per workgroup.
 * - CPU adapters, M > 8 and N <= 32 (LoRA ranks, their dA / dB): cpuNarrowTile(N), the cpu tile's
 *   16 x 8 thread block with BN = N rounded up to 8, its threads stacked over the rows instead of spread
 *   over 128 columns (of which the 'cpu' tile would compute N).
 */
export const MATMUL_TILES: Record<'default' | 'gemv' | 'cpu' | 'cpuGemv', MatmulTile> = {
  default: { kernel: 'staged', BM: 64, BN: 64, BK: 16, TM: 4, TN: 4 },
  gemv: { kernel: 'staged', BM: 8, BN: 32, BK: 32, TM: 1, TN: 4 },
  cpu: { kernel: 'direct', BM: 16, BN: 128, BK: 1, TM: 16, TN: 8 },
  cpuGemv: { kernel: 'direct', BM: 8, BN: 128, BK: 1, TM: 8, TN: 16 },
};

/** Widest output the narrow CPU tile is picked for. */
export const CPU_NARROW_MAX_N = 32;

/** The CPU tile for narrow outputs (N <= CPU_NARROW_MAX_N): BN = N rounded up to 8 columns (BN / 8
 *  threads across), 16-row thread blocks stacked to about 8 threads. On lavapipe (2 cores) at
 *  3969 x 8 x 96 (a LoRA down-projection of a micro-batch) it runs ~10x faster than the 'cpu' tile,
 *  and ~20x at 256 x 8 x 3969 with A^T (a LoRA dA). */
export function cpuNarrowTile(N: number): MatmulTile {
  const BN = Math.max(8, Math.ceil(N / 8) * 8);
  const across = BN / 8;
  return { kernel: 'direct', BM: 16 * Math.max(1, Math.floor(8 / across)), BN, BK: 1, TM: 16, TN: 8 };
}

export { isCpuAdapter };

/** The tile configuration matmul uses for an M x N output on this adapter. */
export function pickMatmulTile(gpu: Gpu, M: number, N: number): MatmulTile {
  if (isCpuAdapter(gpu)) {
    if (M <= 8) return { ...MATMUL_TILES.cpuGemv, BM: Math.max(1, M), TM: Math.max(1, M) };
    return N <= CPU_NARROW_MAX_N ? cpuNarrowTile(N) : MATMUL_TILES.cpu;
  }
  return M <= 8 ? MATMUL_TILES.gemv : MATMUL_TILES.default;
}

/** Resolved problem size of one matmul call. */
export interface MatmulDims {
  batch: number;
  M: number;
  N: number;
  K: number;
  /** B has the batch dims of A (else one B shared by every batch item). */
  bBatched: boolean;
}

const same = (x: readonly number[], y: readonly number[]) => x.length === y.length && x.every((d, i) => d === y[i]);
const prod = (x: readonly number[]) => x.reduce((s, d) => s * d, 1);

/** Validate the operands of out = op(A) op(B) and return the sizes; errors name `kernel` and the shapes. */
export function matmulDims(gpu: Gpu, kernel: string, out: Tensor, a: Tensor, b: Tensor, opts: MatmulOpts = {}): MatmulDims {
  const desc = () => `out ${shapeStr(out.shape)}, a ${shapeStr(a.shape)}${opts.transA ? ' (transA)' : ''}, b ${shapeStr(b.shape)}:${b.dtype}${opts.transB ? ' (transB)' : ''}`;
  for (const [name, t] of [['out', out], ['a', a], ['b', b]] as const) {
    if (t.isReleased) throw new Error(`${kernel}: ${name} (${t}) was already released`);
    if (t.shape.length < 2) throw new Error(`${kernel}: ${name} must have at least 2 dims (..., rows, cols), got ${shapeStr(t.shape)}`);
    const max = gpu.limits.maxStorageBufferBindingSize;
    if (max && t.byteLength > max) {
      throw new Error(`${kernel}: ${name} ${shapeStr(t.shape)}:${t.dtype} is ${t.byteLength} bytes, over this adapter's maxStorageBufferBindingSize of ${max}; split the batch or the rows (a weight in row blocks: RowBlocks with linearForwardRows)`);
    }
  }
  if (out.dtype !== 'f32') throw new Error(`${kernel}: out must be f32, got ${out.dtype} (${desc()})`);
  if (a.dtype !== 'f32') throw new Error(`${kernel}: a must be f32, got ${a.dtype} (${desc()})`);
  if (b.dtype !== 'f32' && b.dtype !== 'f16') throw new Error(`${kernel}: b must be f32 or f16, got ${b.dtype} (${desc()})`);
  if (b.dtype === 'f16' && !gpu.f16) {
    throw new Error(`${kernel}: b is f16 but this adapter has no 'shader-f16' feature; upload the weights as f32 (${desc()})`);
  }
  if (out.buffer === a.buffer || out.buffer === b.buffer) throw new Error(`${kernel}: out must not share a buffer with a or b (${desc()})`);
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [M, K] = opts.transA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const [Kb, N] = opts.transB ? [b.shape[rb - 1], b.shape[rb - 2]] : [b.shape[rb - 2], b.shape[rb - 1]];
  if (K !== Kb) throw new Error(`${kernel}: inner dimensions differ: op(A) is ${M} x ${K} but op(B) is ${Kb} x ${N} (${desc()})`);
  const batchDims = a.shape.slice(0, -2);
  const outExpect = [...batchDims, M, N];
  if (!same(out.shape, outExpect)) throw new Error(`${kernel}: out must have shape ${shapeStr(outExpect)} (batch dims of a, then M x N), got ${shapeStr(out.shape)} (${desc()})`);
  const bBatch = b.shape.slice(0, -2);
  const bBatched = bBatch.length > 0 && prod(bBatch) !== 1;
  if (bBatched && !same(bBatch, batchDims)) {
    throw new Error(`${kernel}: batch dims of b ${shapeStr(bBatch)} must equal those of a ${shapeStr(batchDims)} or be absent (one shared b) (${desc()})`);
  }
  return { batch: prod(batchDims), M, N, K, bBatched };
}

function checkTile(gpu: Gpu, kernel: string, t: MatmulTile): number {
  const ok = [t.BM, t.BN, t.BK, t.TM, t.TN].every((v) => Number.isInteger(v) && v > 0);
  if (!ok || t.BM % t.TM || t.BN % t.TN || t.TN % 4) {
    throw new Error(`${kernel}: bad tile ${JSON.stringify(t)}: BM must be a multiple of TM, BN of TN, and TN of 4`);
  }
  const wg = (t.BM / t.TM) * (t.BN / t.TN);
  const maxInv = gpu.limits.maxComputeInvocationsPerWorkgroup ?? 256;
  const maxX = gpu.limits.maxComputeWorkgroupSizeX ?? 256;
  if (wg > Math.min(maxInv, maxX)) throw new Error(`${kernel}: tile ${JSON.stringify(t)} needs ${wg} threads per workgroup, over this adapter's limit of ${Math.min(maxInv, maxX)}`);
  if (t.kernel === 'staged') {
    const bytes = (t.BM * t.BK + t.BK * t.BN) * 4;
    const maxWs = gpu.limits.maxComputeWorkgroupStorageSize ?? 16384;
    if (bytes > maxWs) throw new Error(`${kernel}: tile ${JSON.stringify(t)} needs ${bytes} bytes of workgroup memory, over this adapter's maxComputeWorkgroupStorageSize of ${maxWs}`);
  }
  return wg;
}

const codeCache = new Map<string, string>();
function code(which: 'staged' | 'direct' | 'naive', f16: boolean, TM: number, TN: number, pairs = false): string {
  const key = `${which}|${f16}|${pairs}|${TM}|${TN}`;
  let c = codeCache.get(key);
  if (!c) {
    const body = which === 'staged' ? stagedSrc : which === 'direct' ? directSrc : naiveSrc;
    c = buildWgsl(commonSrc + '\n' + body, { F16: f16, F16_PAIRS: f16 && pairs, ACC: (TM * TN) / 4, TN4: TN / 4 });
    codeCache.set(key, c);
  }
  return c;
}

/** Record the dispatches of one matmul; splits batch and row tiles over several dispatches past the grid limit. */
function launch(gpu: Gpu, kernel: string, src: string, constants: Record<string, number>, out: Tensor, a: Tensor, b: Tensor, d: MatmulDims, opts: MatmulOpts, rowsPerWg: number, colsPerWg: number, rowsOnX: boolean): void {
  const maxWg = gpu.limits.maxComputeWorkgroupsPerDimension ?? 65535;
  const rowTiles = Math.ceil(d.M / rowsPerWg);
  const colTiles = Math.ceil(d.N / colsPerWg);
  if (colTiles > maxWg) throw new Error(`${kernel}: N = ${d.N} needs ${colTiles} workgroups of ${colsPerWg} columns, over this adapter's maxComputeWorkgroupsPerDimension (${maxWg}); split the columns`);
  if (d.batch === 0 || d.M === 0 || d.N === 0) return;
  const alpha = opts.alpha ?? 1;
  for (let b0 = 0; b0 < d.batch; b0 += maxWg) {
    const nb = Math.min(maxWg, d.batch - b0);
    for (let t0 = 0; t0 < rowTiles; t0 += maxWg) {
      const nt = Math.min(maxWg, rowTiles - t0);
      const params = P()
        .u32(d.M).u32(d.N).u32(d.K)
        .u32(d.M * d.K).u32(d.bBatched ? d.K * d.N : 0).u32(d.M * d.N)
        .u32(b0).u32(t0).f32(alpha).u32(opts.accumulate ? 1 : 0);
      const workgroups: [number, number, number] = rowsOnX ? [nt, colTiles, nb] : [colTiles, nt, nb];
      gpu.dispatch({ kernel, code: src, constants, outputs: [out], inputs: [a, b], params, workgroups });
    }
  }
}

/** out (batch..., M, N) = alpha * op(A) (batch..., M, K) x op(B) (K, N | batch..., K, N) (+ out when accumulating). */
export function matmul(gpu: Gpu, out: Tensor, a: Tensor, b: Tensor, opts: MatmulOpts = {}): void {
  const kernel = 'matmul';
  const d = matmulDims(gpu, kernel, out, a, b, opts);
  const t = opts.tile ?? pickMatmulTile(gpu, d.M, d.N);
  const WG = checkTile(gpu, kernel, t);
  const constants = { BM: t.BM, BN: t.BN, BK: t.BK, TM: t.TM, TN: t.TN, WG, TRANS_A: opts.transA ? 1 : 0, TRANS_B: opts.transB ? 1 : 0 };
  const f16 = b.dtype === 'f16';
  // f16 B in the direct kernel: read pairs of halves with one 32-bit load where the pairs are aligned
  // (B^T pairs step K by 2, which only pays with small row blocks; see matmul_direct.wgsl)
  const pairs = f16 && t.kernel === 'direct' && (opts.transB ? d.K % 2 === 0 && t.TM <= 8 : d.N % 2 === 0);
  const src = code(t.kernel, f16, t.TM, t.TN, pairs);
  launch(gpu, kernel, src, constants, out, a, b, d, opts, t.BM, t.BN, true);
}

/** The naive kernel (one thread per output element), same semantics as matmul. */
export function matmulNaive(gpu: Gpu, out: Tensor, a: Tensor, b: Tensor, opts: MatmulOpts = {}): void {
  const kernel = 'matmul.naive';
  const d = matmulDims(gpu, kernel, out, a, b, opts);
  const constants = { TRANS_A: opts.transA ? 1 : 0, TRANS_B: opts.transB ? 1 : 0 };
  launch(gpu, kernel, code('naive', b.dtype === 'f16', 4, 4), constants, out, a, b, d, opts, 16, 16, false);
}

/** Check x (..., inF), y (..., outF) with the same leading dims against w (outF, inF); returns the row count. */
function linearRows(kernel: string, x: Tensor, y: Tensor, w: Tensor, yName: string): number {
  if (w.shape.length !== 2) throw new Error(`${kernel}: w must be (out_features, in_features), got ${shapeStr(w.shape)}`);
  const [outF, inF] = w.shape;
  const xs = x.shape;
  const ys = y.shape;
  if (xs.length < 1 || xs[xs.length - 1] !== inF) throw new Error(`${kernel}: x must be (..., ${inF}) for w ${shapeStr(w.shape)}, got ${shapeStr(xs)}`);
  const lead = xs.slice(0, -1);
  const want = [...lead, outF];
  if (!same(ys, want)) throw new Error(`${kernel}: ${yName} must have shape ${shapeStr(want)} for x ${shapeStr(xs)} and w ${shapeStr(w.shape)}, got ${shapeStr(ys)}`);
  return prod(lead);
}

const as2d = (t: Tensor, rows: number, cols: number): Tensor => (t.shape.length === 2 ? t : t.reshape([rows, cols]));

/** Linear layer: y (..., out) = x (..., in) W^T with W (out, in) f32 or f16 (PyTorch layout); y += ... when accumulating. */
export function linearForward(gpu: Gpu, y: Tensor, x: Tensor, w: Tensor, opts: { accumulate?: boolean } = {}): void {
  const rows = linearRows('linear.forward', x, y, w, 'y');
  const [outF, inF] = w.shape;
  matmul(gpu, as2d(y, rows, outF), as2d(x, rows, inF), w, { transB: true, accumulate: opts.accumulate });
}

/**
 * Linear backward: dX (..., in) = dY W (accumulated with accumulateDX); dW (out, in) = dY^T X
 * (accumulated with accumulateDW, e.g. over micro-batches). Pass null for a gradient that is not needed.
 */
export function linearBackward(
  gpu: Gpu,
  dX: Tensor | null,
  dW: Tensor | null,
  dY: Tensor,
  x: Tensor,
  w: Tensor,
  opts: { accumulateDX?: boolean; accumulateDW?: boolean } = {},
): void {
  const k = 'linear.backward';
  const rows = linearRows(k, x, dY, w, 'dY');
  const [outF, inF] = w.shape;
  if (dX && !same(dX.shape, x.shape)) throw new Error(`${k}: dX must have the shape of x ${shapeStr(x.shape)}, got ${shapeStr(dX.shape)}`);
  if (dW && !same(dW.shape, w.shape)) throw new Error(`${k}: dW must have the shape of w ${shapeStr(w.shape)}, got ${shapeStr(dW.shape)}`);
  if (dW && dW.dtype !== 'f32') throw new Error(`${k}: dW must be f32, got ${dW.dtype}`);
  const dY2 = as2d(dY, rows, outF);
  if (dX) matmul(gpu, as2d(dX, rows, inF), dY2, w, { accumulate: opts.accumulateDX });
  if (dW) matmul(gpu, dW, dY2, as2d(x, rows, inF), { transA: true, accumulate: opts.accumulateDW });
}

function checkRowsLinear(k: string, x: Tensor, y: Tensor, w: Weight, yName: string): { R: number; V: number; C: number } {
  const [V, C] = asRowBlocks(w).shape;
  if (x.shape.length !== 2 || x.shape[1] !== C) throw new Error(`${k}: x must be (rows, ${C}) for w [${V}, ${C}], got ${shapeStr(x.shape)}`);
  const R = x.shape[0];
  if (y.shape.length !== 2 || y.shape[0] !== R || y.shape[1] !== V) throw new Error(`${k}: ${yName} must have shape [${R}, ${V}] for x ${shapeStr(x.shape)} and w [${V}, ${C}], got ${shapeStr(y.shape)}`);
  return { R, V, C };
}

/**
 * y (R, V) = x (R, C) W^T for W (V, C) a tensor or a RowBlocks (the lm_head over vocabulary blocks): each
 * block's product (R, Vb) is written into its columns [v0, v0 + Vb) of y. One block is linearForward.
 */
export function linearForwardRows(gpu: Gpu, y: Tensor, x: Tensor, w: Weight): void {
  const k = 'linear.forwardRows';
  const rb = asRowBlocks(w);
  if (rb.count === 1) return linearForward(gpu, y, x, rb.blocks[0]);
  const { R, V } = checkRowsLinear(k, x, y, w, 'y');
  rb.blocks.forEach((block, i) => {
    const Vb = rb.blockRows(i);
    const yb = gpu.empty([R, Vb], 'f32', `${k}.block`); // (R, Vb)
    linearForward(gpu, yb, x, block);
    copyRows(gpu, y, yb, { rows: R, width: Vb, dstStride: V, dstCol0: rb.rowStart(i) });
    yb.release();
  });
}

/**
 * Backward of linearForwardRows: dX (R, C) = dY W (accumulated with accumulateDX); dW (V, C) += dY^T X block by
 * block (accumulated with accumulateDW; dW must split at W's rows). Pass null for a gradient that is not needed.
 */
export function linearBackwardRows(
  gpu: Gpu,
  dX: Tensor | null,
  dW: Weight | null,
  dY: Tensor,
  x: Tensor,
  w: Weight,
  opts: { accumulateDX?: boolean; accumulateDW?: boolean } = {},
): void {
  const k = 'linear.backwardRows';
  const rb = asRowBlocks(w);
  const dRb = dW ? asRowBlocks(dW) : null;
  if (dRb && !dRb.sameLayout(rb)) throw new Error(`${k}: dW ${dRb} must split at the rows of w ${rb}`);
  if (rb.count === 1) return linearBackward(gpu, dX, dRb?.blocks[0] ?? null, dY, x, rb.blocks[0], opts);
  const { R, V } = checkRowsLinear(k, x, dY, w, 'dY');
  rb.blocks.forEach((block, i) => {
    const Vb = rb.blockRows(i);
    const dYb = gpu.empty([R, Vb], 'f32', `${k}.block`); // (R, Vb)
    copyRows(gpu, dYb, dY, { rows: R, width: Vb, srcStride: V, srcCol0: rb.rowStart(i) });
    linearBackward(gpu, dX, dRb?.blocks[i] ?? null, dYb, x, block, { accumulateDX: opts.accumulateDX || i > 0, accumulateDW: opts.accumulateDW });
    dYb.release();
  });
}
