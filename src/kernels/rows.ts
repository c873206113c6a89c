// copyRows: the model's data-movement kernel. Gathers / scatters rows between tensors with optional
// index maps: token-major <-> head-major attention layouts, KV-cache writes, logits row chunks.
// Column windows (dstStride / dstCol0, srcStride / srcCol0) place a narrow row inside a wider one: the
// lm_head's per-vocabulary-block logits into the (rows, V) logits and back.
// Without index maps, contiguous or wide rows are copied with buffer copies (no shader: on a CPU adapter a
// memcpy, ~10x the kernel there); wide rows with maps take a workgroup per row (no per-word index division).
// A pure copy, so it has no backward (a gather's gradient is the scatter with the same map, i.e. another
// copyRows with dstIdx and srcIdx swapped). Plain-TS reference in rows.ref.ts.

import { P, buildWgsl, type Gpu, type Tensor } from '../gpu';
import { grid1D } from './grid';
import src from './rows.wgsl?raw';

const WG = 256;
/** Rows of at least WIDE_MIN words take the wide layout (a workgroup row per copied row, WIDE_WG threads of
 *  WIDE_PER words each); narrower rows one thread per word over the flat index. */
const WIDE_MIN = 64;
/** Rows of at least BUFFER_MIN words without index maps are copied with one buffer copy each. */
const BUFFER_MIN = 1024;
const WIDE_WG = 32;
const WIDE_PER = 8;

let codes: { flat: string; wide: string } | null = null;
const built = () => (codes ??= { flat: buildWgsl(src, { WIDE: false }), wide: buildWgsl(src, { WIDE: true }) });
const flatCode = () => built().flat;
const wideCode = () => built().wide;

export interface CopyRowsOptions {
  /** Rows to copy (r = 0..rows-1). */
  rows: number;
  /** 4-byte words per row. */
  width: number;
  /** u32 (rows,): destination row of each r (NO_ROW skips it). Default dstRow0 + r. */
  dstIdx?: Tensor;
  /** u32 (rows,): source row of each r (NO_ROW writes zeros). Default srcRow0 + r. */
  srcIdx?: Tensor;
  dstRow0?: number;
  srcRow0?: number;
  /** 4-byte words between dst rows (default width) and the first word written in each row (default 0). */
  dstStride?: number;
  dstCol0?: number;
  /** Same for src: words between rows (default width), first word read in each row (default 0). */
  srcStride?: number;
  srcCol0?: number;
  /** Copy layout (tests and tuning): 'buffer' buffer copies (no index maps: one copy when rows are contiguous,
   *  else one per row); 'flat' a kernel thread per word; 'wide' a kernel workgroup row per copied row. Default:
   *  'buffer' without index maps when the rows are contiguous or at least 1024 words, else 'wide' for rows of
   *  64 words or more, else 'flat'. */
  layout?: 'buffer' | 'flat' | 'wide';
  /** Wide layout: threads per workgroup and words per thread (tuning). Default 32 and 8. */
  wideWg?: number;
  widePer?: number;
}

/** dst[d(r)] = src[s(r)] row by row; both tensors hold 4-byte elements (f32 / u32 / i32). */
export function copyRows(gpu: Gpu, dst: Tensor, srcT: Tensor, o: CopyRowsOptions): void {
  const k = 'rows.copy';
  if (dst.dtype === 'f16' || srcT.dtype === 'f16') throw new Error(`${k}: only 4-byte tensors can be copied, got ${dst} <- ${srcT}`);
  if (dst.buffer === srcT.buffer) throw new Error(`${k}: dst and src must be different tensors (${dst})`);
  const { rows, width } = o;
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(width) || width < 1) throw new Error(`${k}: bad rows=${rows} / width=${width}`);
  for (const [name, t] of [['dstIdx', o.dstIdx], ['srcIdx', o.srcIdx]] as const) {
    if (t && (t.dtype !== 'u32' || t.size < rows)) throw new Error(`${k}: ${name} must be u32 with at least ${rows} entries, got ${t}`);
  }
  const d0 = o.dstRow0 ?? 0;
  const s0 = o.srcRow0 ?? 0;
  const dS = o.dstStride ?? width;
  const sS = o.srcStride ?? width;
  const dC = o.dstCol0 ?? 0;
  const sC = o.srcCol0 ?? 0;
  for (const [name, stride, col0] of [['dst', dS, dC], ['src', sS, sC]] as const) {
    if (!Number.isInteger(stride) || !Number.isInteger(col0) || col0 < 0 || col0 + width > stride) throw new Error(`${k}: ${name} columns [${col0}, ${col0 + width}) do not fit its rows of ${stride} words`);
  }
  const span = (r0: number, stride: number) => `rows [${r0}, ${r0 + rows}) x ${stride}`;
  if (!o.dstIdx && (d0 + rows) * dS > dst.size) throw new Error(`${k}: ${span(d0, dS)} overflow dst ${dst}`);
  if (!o.srcIdx && (s0 + rows) * sS > srcT.size) throw new Error(`${k}: ${span(s0, sS)} overflow src ${srcT}`);
  const total = rows * width;
  if (total === 0) return;
  const flags = (o.dstIdx ? 1 : 0) | (o.srcIdx ? 2 : 0);
  const layout = o.layout ?? (flags === 0 && (width >= BUFFER_MIN || (dS === width && sS === width)) ? 'buffer' : width >= WIDE_MIN ? 'wide' : 'flat');
  if (layout === 'buffer') {
    if (flags) throw new Error(`${k}: the 'buffer' layout copies rows by offsets; it takes no dstIdx / srcIdx`);
    // buffer copies: one for contiguous rows, else one per row (a memcpy on a CPU adapter, no shader)
    if (dS === width && sS === width) gpu.copyWords(dst, d0 * width, srcT, s0 * width, total);
    else for (let r = 0; r < rows; r++) gpu.copyWords(dst, (d0 + r) * dS + dC, srcT, (s0 + r) * sS + sC, width);
    return;
  }
  if (layout === 'wide') {
    // one workgroup row per copied row: no per-word index division (on a CPU adapter it cost more than the copy)
    const wg = o.wideWg ?? WIDE_WG;
    const per = o.widePer ?? WIDE_PER;
    const maxWg = gpu.limits.maxComputeWorkgroupsPerDimension ?? 65535;
    const x = Math.ceil(width / (wg * per));
    if (x > maxWg) throw new Error(`${k}: rows of ${width} words need ${x} workgroups across, over this adapter's maxComputeWorkgroupsPerDimension (${maxWg}); copy the columns in windows (srcCol0 / dstCol0)`);
    const y = Math.min(rows, maxWg);
    gpu.dispatch({
      kernel: k,
      code: wideCode(),
      outputs: [dst],
      inputs: [srcT, o.dstIdx ?? srcT, o.srcIdx ?? srcT],
      params: P().u32(rows).u32(width).u32(y).u32(flags).u32(d0).u32(s0).u32(dS).u32(sS).u32(dC).u32(sC),
      workgroups: [x, y, Math.ceil(rows / y)],
      constants: { WG: wg, PER: per },
    });
    return;
  }
  const g = grid1D(gpu, total, WG);
  gpu.dispatch({
    kernel: k,
    code: flatCode(),
    outputs: [dst],
    inputs: [srcT, o.dstIdx ?? srcT, o.srcIdx ?? srcT],
    params: P().u32(total).u32(width).u32(g.rowStride).u32(flags).u32(d0).u32(s0).u32(dS).u32(sS).u32(dC).u32(sC),
    workgroups: g.workgroups,
    constants: { WG },
  });
}
