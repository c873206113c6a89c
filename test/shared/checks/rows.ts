// copyRows checks (contiguous row ranges, scatter / gather index maps with skipped and zero rows, bit-exact
// u32 / i32 words, bad inputs), shared by the Node (Dawn) and browser (Chromium) test projects.
// copyRows is a pure copy with no backward, so there is no gradient check.
import type { Gpu } from '../../../src/gpu';
import { copyRows, type CopyRowsOptions } from '../../../src/kernels/rows';
import { copyRowsRef, NO_ROW, type CopyRowsRefOptions } from '../../../src/kernels/rows.ref';
import { assertClose, expectError, randn, rng } from '../check';

/** A seeded permutation of 0..n-1. */
function perm(n: number, seed: number): number[] {
  const r = rng(seed);
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

interface RowsCase {
  what: string;
  dstRows: number;
  srcRows: number;
  o: CopyRowsRefOptions;
}

/** One copy of f32 data against the reference: exact, since the kernel moves 4-byte words. */
async function f32Case(gpu: Gpu, c: RowsCase, seed: number, layout?: CopyRowsOptions['layout']): Promise<void> {
  const { width } = c.o;
  const dst0 = randn(c.dstRows * width, seed);
  const src = randn(c.srcRows * width, seed + 1);
  const tDst = gpu.upload(dst0, [c.dstRows, width]);
  const tSrc = gpu.upload(src, [c.srcRows, width]);
  const tDi = c.o.dstIdx ? gpu.upload(c.o.dstIdx, [c.o.rows], 'u32') : undefined;
  const tSi = c.o.srcIdx ? gpu.upload(c.o.srcIdx, [c.o.rows], 'u32') : undefined;
  copyRows(gpu, tDst, tSrc, { ...c.o, dstIdx: tDi, srcIdx: tSi, layout });
  assertClose(await gpu.readF32(tDst), copyRowsRef(dst0, src, c.o), { atol: 0, rtol: 0 }, `rows.copy ${c.what} (${layout ?? 'default'} layout)`);
  [tDst, tSrc, tDi, tSi].forEach((t) => t?.release());
}

/** Contiguous ranges (offsets on each side), column windows, scatter with skipped rows, gather with zero rows,
 *  both maps; in each layout (buffer copies only without index maps) and the default pick. */
export async function checkCopyRows(gpu: Gpu): Promise<void> {
  const W = 45;
  const scatter = perm(40, 5).slice(0, 37);
  scatter[4] = NO_ROW;
  scatter[20] = NO_ROW;
  const gather = perm(37, 9);
  gather[0] = NO_ROW;
  gather[36] = NO_ROW;
  const cases: RowsCase[] = [
    { what: 'contiguous with offsets', dstRows: 50, srcRows: 40, o: { rows: 37, width: W, dstRow0: 11, srcRow0: 3 } },
    { what: 'width 1 (logits columns)', dstRows: 300, srcRows: 257, o: { rows: 257, width: 1, dstRow0: 43 } },
    // a vocabulary block's columns: ragged width (not a multiple of a workgroup's words), windows on both sides
    { what: 'column windows of wide rows', dstRows: 9, srcRows: 7, o: { rows: 6, width: 1283, dstRow0: 2, srcRow0: 1, dstStride: 3001, dstCol0: 1700, srcStride: 1400, srcCol0: 117 } },
    { what: 'scatter (dstIdx, NO_ROW skips)', dstRows: 40, srcRows: 37, o: { rows: 37, width: W, dstIdx: scatter } },
    { what: 'gather (srcIdx, NO_ROW writes zeros)', dstRows: 37, srcRows: 37, o: { rows: 37, width: W, srcIdx: gather } },
    { what: 'wide gather (srcIdx)', dstRows: 37, srcRows: 37, o: { rows: 37, width: 300, srcIdx: gather } },
    { what: 'both maps', dstRows: 40, srcRows: 37, o: { rows: 37, width: W, dstIdx: scatter, srcIdx: gather } },
    { what: 'zero rows (no dispatch)', dstRows: 4, srcRows: 4, o: { rows: 0, width: W } },
  ];
  let seed = 1;
  for (const c of cases) {
    const rowsOf = (stride: number | undefined, n: number) => (stride ? Math.ceil((n * stride) / c.o.width) : n);
    const cc = { ...c, dstRows: rowsOf(c.o.dstStride, c.dstRows), srcRows: rowsOf(c.o.srcStride, c.srcRows) };
    const layouts: (CopyRowsOptions['layout'] | undefined)[] = [undefined, 'flat', 'wide', ...(c.o.dstIdx || c.o.srcIdx ? [] : ['buffer' as const])];
    for (const layout of layouts) await f32Case(gpu, cc, (seed += 2), layout);
  }
}

/** u32 and i32 words (NaN payloads, sign bits, large values) come through bit for bit. */
export async function checkCopyRowsWords(gpu: Gpu): Promise<void> {
  const words = [0x7fc00001, 0xffffffff, 0x80000000, 0xdeadbeef, 0, 1, 0x7f800000, 0xff800001];
  const rows = 6;
  const width = words.length;
  const src = Array.from({ length: rows * width }, (_, i) => words[(i * 5) % width] ^ (i << 8)).map((v) => v >>> 0);
  const dst0 = new Array(rows * width).fill(7);
  const srcIdx = [5, 4, NO_ROW, 2, 1, 0];
  const want = copyRowsRef(dst0, src, { rows, width, srcIdx });
  const tSi = gpu.upload(srcIdx, [rows], 'u32');
  const tSrc = gpu.upload(src, [rows, width], 'u32');
  const tDst = gpu.upload(dst0, [rows, width], 'u32');
  copyRows(gpu, tDst, tSrc, { rows, width, srcIdx: tSi });
  assertClose(Array.from(await gpu.read(tDst)), want, { atol: 0, rtol: 0 }, 'rows.copy u32 words');
  const srcI = Int32Array.from(src.map((v) => v | 0));
  const tSrcI = gpu.upload(srcI, [rows, width], 'i32');
  const tDstI = gpu.upload(dst0, [rows, width], 'i32');
  copyRows(gpu, tDstI, tSrcI, { rows, width, srcIdx: tSi });
  assertClose(Array.from(await gpu.read(tDstI)), copyRowsRef(dst0, srcI, { rows, width, srcIdx }), { atol: 0, rtol: 0 }, 'rows.copy i32 words');
  [tSi, tSrc, tDst, tSrcI, tDstI].forEach((t) => t.release());
}

export async function checkCopyRowsErrors(gpu: Gpu): Promise<void> {
  const a = gpu.zeros([4, 5]);
  const b = gpu.zeros([4, 5]);
  const half = gpu.upload(new Array(20).fill(0), [4, 5], 'f16');
  const idxF = gpu.zeros([4]);
  const idxShort = gpu.zeros([3], 'u32');
  expectError(() => copyRows(gpu, half, a, { rows: 4, width: 5 }), /rows.copy: only 4-byte tensors/, 'f16 dst');
  expectError(() => copyRows(gpu, a, a, { rows: 4, width: 5 }), /rows.copy: dst and src must be different/, 'aliasing');
  expectError(() => copyRows(gpu, a, b, { rows: 4, width: 0 }), /rows.copy: bad rows=4 \/ width=0/, 'width 0');
  expectError(() => copyRows(gpu, a, b, { rows: 4, width: 5, dstIdx: idxF }), /rows.copy: dstIdx must be u32 with at least 4 entries/, 'f32 index map');
  expectError(() => copyRows(gpu, a, b, { rows: 4, width: 5, srcIdx: idxShort }), /rows.copy: srcIdx must be u32 with at least 4 entries/, 'short index map');
  expectError(() => copyRows(gpu, a, b, { rows: 4, width: 5, dstRow0: 1 }), /rows.copy: rows \[1, 5\) x 5 overflow dst/, 'dst overflow');
  expectError(() => copyRows(gpu, a, b, { rows: 2, width: 5, srcRow0: 3 }), /rows.copy: rows \[3, 5\) x 5 overflow src/, 'src overflow');
  const idx = gpu.upload([0, 1, 2, 3], [4], 'u32');
  expectError(() => copyRows(gpu, a, b, { rows: 4, width: 5, srcIdx: idx, layout: 'buffer' }), /rows.copy: the 'buffer' layout .* takes no dstIdx \/ srcIdx/, 'buffer layout with a map');
  idx.release();
  [a, b, half, idxF, idxShort].forEach((t) => t.release());
}
