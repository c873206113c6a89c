// RMSNorm (Llama / Qwen semantics): y = x * rsqrt(mean(x^2) + eps) * weight, per row of (N, C).
// Also serves Qwen3's per-head q_norm / k_norm with rows = tokens * heads and C = head_dim.
// Backward gives dX and (optionally) dWeight without atomics. Plain-TS reference in rmsnorm.ref.ts.
// Two layouts of the row kernels: a workgroup per row with a tree sum (GPUs), or a thread per row with
// no barriers (CPU adapters, where the barriers of a workgroup per short row cost ~30x the arithmetic).

import { P, buildWgsl, expectTensor, type Gpu, type Tensor } from '../gpu';
import { grid1D, isCpuAdapter } from './grid';
import weightTypeSrc from './weight_type.wgsl?raw';
import commonSrc from './rmsnorm_common.wgsl?raw';
import fwdSrc from './rmsnorm.wgsl?raw';
import bwdSrc from './rmsnorm_backward.wgsl?raw';
import dwSrc from './rmsnorm_dweight.wgsl?raw';
import dwReduceSrc from './rmsnorm_dweight_reduce.wgsl?raw';
import fwdThreadSrc from './rmsnorm_thread.wgsl?raw';
import bwdThreadSrc from './rmsnorm_backward_thread.wgsl?raw';

/** Columns x row lanes of one dWeight stage-1 workgroup. */
const TC = 64;
const TR = 4;
/** At most this many row chunks (partial sums) for dWeight. */
const MAX_CHUNKS = 128;
/** Rows per chunk lower bound, so small inputs use one chunk per few dozen rows. */
const MIN_ROWS_PER_CHUNK = 32;

/** How the row kernels spread a row: 'workgroup' (one workgroup per row, tree sum) or 'thread' (one
 *  thread per row, no barriers). */
export type RmsnormLayout = 'workgroup' | 'thread';

/** Rows per workgroup of the 'thread' layout (measured on lavapipe, 2 cores: 16 beats 64 at 4k rows). */
const THREAD_ROWS = 16;
/** Longest row the 'thread' layout is picked for (one thread walks the whole row). */
const THREAD_MAX_C = 1024;

/** The layout rmsnorm uses for rows of C on this adapter: 'thread' on CPU adapters for C <= 1024. */
export function pickRmsnormLayout(gpu: Gpu, C: number): RmsnormLayout {
  return isCpuAdapter(gpu) && C <= THREAD_MAX_C ? 'thread' : 'workgroup';
}

export interface RmsnormOptions {
  /** Row layout; default pickRmsnormLayout(gpu, C). Both give the same values (tests force each). */
  layout?: RmsnormLayout;
}

/** Code, workgroup size and grid of one row kernel in `layout`. */
function rowLaunch(gpu: Gpu, layout: RmsnormLayout, N: number, C: number, bodies: { workgroup: string; thread: string }, F16: boolean) {
  if (layout === 'thread') {
    return { code: buildWgsl(weightTypeSrc + '\n' + bodies.thread, { F16 }), WG: THREAD_ROWS, g: grid1D(gpu, N, THREAD_ROWS) };
  }
  return { code: rowCode(bodies.workgroup, F16), WG: rowWg(gpu, C), g: grid1D(gpu, N, 1) };
}

export interface RmsnormBackwardOptions extends RmsnormOptions {
  /** dWeight += gradient (accumulate over micro-batches) instead of overwrite. Default false. */
  accumulateDW?: boolean;
  /** dX += gradient (e.g. straight into the residual stream's gradient) instead of overwrite. Default false. */
  accumulateDX?: boolean;
}

/** Row workgroup size: a power of two in [32, 256] close to C. */
function rowWg(gpu: Gpu, C: number): number {
  const cap = Math.min(256, gpu.limits.maxComputeInvocationsPerWorkgroup ?? 256);
  let wg = 32;
  while (wg < C && wg < cap) wg *= 2;
  return Math.min(wg, cap);
}

/** WGSL of a row kernel: weight_type.wgsl + rmsnorm_common.wgsl + its body. */
function rowCode(body: string, F16: boolean): string {
  return buildWgsl(weightTypeSrc + '\n' + commonSrc + '\n' + body, { F16 });
}

function weightF16(kernel: string, gpu: Gpu, weight: Tensor): boolean {
  if (weight.dtype === 'f16' && !gpu.f16) throw new Error(`${kernel}: weight is f16 but this adapter has no shader-f16; upload the weight as f32`);
  return weight.dtype === 'f16';
}

/**
 * out = x * rstd * weight with rstd = 1 / sqrt(mean(x^2) + eps) per row (saved for the backward).
 * x, out: (N, C) f32; rstd: (N,) f32; weight: (C,) f32 or f16. eps: e.g. 1e-6 (the model's rms_norm_eps).
 */
export function rmsnormForward(gpu: Gpu, out: Tensor, rstd: Tensor, x: Tensor, weight: Tensor, eps: number, opts: RmsnormOptions = {}): void {
  const k = 'rmsnorm.forward';
  expectTensor(k, 'x', x, 'f32', [-1, -1]);
  const [N, C] = x.shape;
  expectTensor(k, 'weight', weight, ['f32', 'f16'], [C]);
  expectTensor(k, 'out', out, 'f32', [N, C]);
  expectTensor(k, 'rstd', rstd, 'f32', [N]);
  if (!(eps > 0) || !Number.isFinite(eps)) throw new Error(`${k}: eps must be a positive finite number (e.g. 1e-6), got ${eps}`);
  if (out.buffer === x.buffer) throw new Error(`${k}: out and x must be different tensors (WebGPU cannot bind one buffer as read and read-write)`);
  const F16 = weightF16(k, gpu, weight);
  const { code, WG, g } = rowLaunch(gpu, opts.layout ?? pickRmsnormLayout(gpu, C), N, C, { workgroup: fwdSrc, thread: fwdThreadSrc }, F16);
  gpu.dispatch({
    kernel: k,
    code,
    outputs: [out, rstd],
    inputs: [x, weight],
    params: P().u32(N).u32(C).u32(g.rowStride).f32(eps),
    workgroups: g.workgroups,
    constants: { WG },
  });
}

/**
 * dX = rstd * (weight * dOut - x * rstd^2 * mean(dOut * weight * x)) per row, and, unless dWeight is null,
 * dWeight[c] = sum_n dOut[n, c] * x[n, c] * rstd[n]. dX, dOut, x: (N, C) f32; weight: (C,) f32|f16;
 * rstd: (N,) from the forward; dWeight: (C,) f32 or null (frozen weight).
 */
export function rmsnormBackward(
  gpu: Gpu,
  dX: Tensor,
  dWeight: Tensor | null,
  dOut: Tensor,
  x: Tensor,
  weight: Tensor,
  rstd: Tensor,
  opts: RmsnormBackwardOptions = {},
): void {
  const k = 'rmsnorm.backward';
  expectTensor(k, 'x', x, 'f32', [-1, -1]);
  const [N, C] = x.shape;
  expectTensor(k, 'dOut', dOut, 'f32', [N, C]);
  expectTensor(k, 'dX', dX, 'f32', [N, C]);
  expectTensor(k, 'weight', weight, ['f32', 'f16'], [C]);
  expectTensor(k, 'rstd', rstd, 'f32', [N]);
  if (dWeight) expectTensor(k, 'dWeight', dWeight, 'f32', [C]);
  if (dX.buffer === dOut.buffer || dX.buffer === x.buffer) throw new Error(`${k}: dX must not share a buffer with dOut or x (WebGPU cannot bind one buffer as read and read-write)`);
  const F16 = weightF16(k, gpu, weight);
  const { code, WG, g } = rowLaunch(gpu, opts.layout ?? pickRmsnormLayout(gpu, C), N, C, { workgroup: bwdSrc, thread: bwdThreadSrc }, F16);
  gpu.dispatch({
    kernel: k,
    code,
    outputs: [dX],
    inputs: [dOut, x, weight, rstd],
    params: P().u32(N).u32(C).u32(g.rowStride).u32(opts.accumulateDX ? 1 : 0),
    workgroups: g.workgroups,
    constants: { WG },
  });
  if (!dWeight) return;
  if (N === 0) {
    if (!opts.accumulateDW) gpu.clear(dWeight);
    return;
  }
  let chunks = Math.min(MAX_CHUNKS, Math.max(1, Math.ceil(N / MIN_ROWS_PER_CHUNK)));
  const rowsPerChunk = Math.ceil(N / chunks);
  chunks = Math.ceil(N / rowsPerChunk);
  const partial = gpu.empty([chunks, C], 'f32', 'rmsnorm.dW.partial');
  gpu.dispatch({
    kernel: 'rmsnorm.backward.dweight',
    code: dwSrc,
    outputs: [partial],
    inputs: [dOut, x, rstd],
    params: P().u32(N).u32(C).u32(rowsPerChunk).u32(0),
    workgroups: [Math.ceil(C / TC), chunks],
    constants: { TC, TR },
  });
  gpu.dispatch({
    kernel: 'rmsnorm.backward.dweight_reduce',
    code: dwReduceSrc,
    outputs: [dWeight],
    inputs: [partial],
    params: P().u32(C).u32(chunks).u32(opts.accumulateDW ? 1 : 0).u32(0),
    workgroups: [Math.ceil(C / 64)],
    constants: { WG: 64 },
  });
  partial.release();
}
