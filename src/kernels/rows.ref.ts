// Plain-TS reference for copyRows (rows.ts): dst row d(r) = src row s(r) for r < rows, with optional
// index maps; d = NO_ROW skips the row, s = NO_ROW writes zeros. A pure copy: no backward to check.

import type { CopyRowsOptions } from './rows';

/** The index-map sentinel of rows.wgsl (and of the model's layouts). */
export const NO_ROW = 0xffffffff;

/** Host form of CopyRowsOptions: index maps as plain arrays instead of u32 tensors. */
export interface CopyRowsRefOptions extends Omit<CopyRowsOptions, 'dstIdx' | 'srcIdx'> {
  dstIdx?: ArrayLike<number>;
  srcIdx?: ArrayLike<number>;
}

/** Returns a copy of `dst` after the row copy from `src` (`width` words per row, at the options' strides and columns). */
export function copyRowsRef(dst: ArrayLike<number>, src: ArrayLike<number>, o: CopyRowsRefOptions): Float64Array {
  const out = Float64Array.from(dst);
  const { rows, width } = o;
  const [dS, sS, dC, sC] = [o.dstStride ?? width, o.srcStride ?? width, o.dstCol0 ?? 0, o.srcCol0 ?? 0];
  for (let r = 0; r < rows; r++) {
    const d = o.dstIdx ? o.dstIdx[r] : (o.dstRow0 ?? 0) + r;
    if (d === NO_ROW) continue;
    const s = o.srcIdx ? o.srcIdx[r] : (o.srcRow0 ?? 0) + r;
    for (let c = 0; c < width; c++) out[d * dS + dC + c] = s === NO_ROW ? 0 : src[s * sS + sC + c];
  }
  return out;
}
