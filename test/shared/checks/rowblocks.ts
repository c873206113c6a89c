// Row-blocked matrices (src/gpu/rowblocks.ts) and the kernels that loop over their blocks: the layout rule,
// upload / read round trips, embedding gather and scatter over blocks, the lm_head linear over vocabulary
// blocks (forward and backward) and copyRows column windows, each against the float64 references.
// Shared by the Node (Dawn) and browser (Chromium) test projects.
import { RowBlocks, emptyRows, readWeight, roundToHalf, rowBlockCount, rowBlockRows, uploadRows, writeWeight, type Gpu } from '../../../src/gpu';
import { embeddingBackward, embeddingForward } from '../../../src/kernels/embedding';
import { embeddingBackwardRef, embeddingForwardRef } from '../../../src/kernels/embedding.ref';
import { linearBackwardRows, linearForwardRows } from '../../../src/kernels/matmul';
import { linearBackwardRef, linearForwardRef } from '../../../src/kernels/matmul.ref';
import { copyRows } from '../../../src/kernels/rows';
import { copyRowsRef } from '../../../src/kernels/rows.ref';
import { assertClose, expectError, randn, rng } from '../check';

/** Vocabulary rows, width, rows per block: 4 blocks (10, 10, 10, 7), the last one short. */
const V = 37;
const C = 12;
const PER = 10;

/** Pure layout rule: whole f32 rows per block, the count, and the one-row-over-the-limit error. */
export function checkRowBlockLayout(): void {
  const eq = (a: number, b: number, what: string) => {
    if (a !== b) throw new Error(`${what}: got ${a}, expected ${b}`);
  };
  eq(rowBlockRows(151_936, 896, 128 * 1024 * 1024), 37_449, 'Qwen2.5 embedding rows per 128 MiB block');
  eq(rowBlockCount(151_936, 896, 128 * 1024 * 1024), 5, 'Qwen2.5 embedding blocks at 128 MiB');
  eq(rowBlockCount(151_936, 896, 2 ** 31), 1, 'one block under a 2 GiB limit');
  eq(rowBlockRows(5, 4, 1024), 5, 'a small matrix is one block of all its rows');
  expectError(() => rowBlockRows(10, 300, 1000), /one row of 300 f32 values is 1200 bytes, over this adapter's maxStorageBufferBindingSize of 1000/, 'row over the limit');
}

/** Upload f32 and f16 in blocks, read back and overwrite in row order; blocks hold the right rows. */
export async function checkRowBlocksRoundTrip(gpu: Gpu): Promise<void> {
  const data = randn(V * C, 1);
  const rb = uploadRows(gpu, data, [V, C], 'f32', 'rb', PER);
  if (rb.count !== 4 || rb.blockRows(3) !== 7 || rb.rowStart(2) !== 20) throw new Error(`unexpected layout ${rb}`);
  assertClose(await readWeight(gpu, rb), data, { atol: 0, rtol: 0 }, 'RowBlocks f32 round trip');
  assertClose(await gpu.readF32(rb.blocks[2]), data.subarray(20 * C, 30 * C), { atol: 0, rtol: 0 }, 'block 2 holds rows 20..29');
  const other = randn(V * C, 2);
  writeWeight(gpu, rb, other);
  assertClose(await readWeight(gpu, rb), other, { atol: 0, rtol: 0 }, 'RowBlocks overwrite');
  rb.release();
  if (gpu.f16) {
    const half = uploadRows(gpu, data, [V, C], 'f16', 'rb16', PER);
    assertClose(await readWeight(gpu, half), data.map(roundToHalf), { atol: 0, rtol: 0 }, 'RowBlocks f16 round trip');
    half.release();
  }
  expectError(() => emptyRows(gpu, [V, C], 'f32', 'big', 1e9), /rowsPerBlock must be an integer in \[1, \d+\]/, 'rowsPerBlock over the limit');
  expectError(() => new RowBlocks([], PER, [V, C], 'f32', 'bad'), /0 blocks for 37 rows of 10/, 'wrong block count');
}

/** Embedding gather and scatter over 4 row blocks: ids at block edges, repeated, out of range. */
export async function checkEmbeddingRowBlocks(gpu: Gpu, half = false): Promise<void> {
  const r = rng(5);
  const ids = Array.from({ length: 29 }, () => Math.floor(r() * V));
  ids.splice(0, 9, 0, 9, 10, 19, 20, 29, 30, 36, 9); // every block edge, 9 twice
  ids[12] = V; // out of range: zero row in the forward, skipped in the backward
  ids[13] = 1_000_000;
  const N = ids.length;
  const table = randn(V * C, 6).map((v) => (half ? roundToHalf(v) : v));
  const tIds = gpu.upload(ids, [N], 'u32', 'ids');
  const tab = uploadRows(gpu, table, [V, C], half ? 'f16' : 'f32', 'table', PER);
  const out = gpu.empty([N, C], 'f32', 'out');
  gpu.write(out, new Float32Array(N * C).fill(7)); // stale values must all be overwritten
  embeddingForward(gpu, out, tIds, tab);
  assertClose(await gpu.readF32(out), embeddingForwardRef(ids, table, V, C), { atol: 0, rtol: 0 }, `embedding.forward over row blocks${half ? ' (f16)' : ''}`);
  if (!half) {
    const dOut = randn(N * C, 7);
    const dTab = uploadRows(gpu, new Float32Array(V * C).fill(3), [V, C], 'f32', 'dTable', PER);
    embeddingBackward(gpu, dTab, gpu.upload(dOut, [N, C], 'f32', 'dOut'), tIds);
    const want = embeddingBackwardRef(dOut, ids, V, C);
    assertClose(await readWeight(gpu, dTab), want, { atol: 1e-5, rtol: 1e-5 }, 'embedding.backward over row blocks (overwrite)');
    embeddingBackward(gpu, dTab, gpu.upload(dOut, [N, C], 'f32', 'dOut'), tIds, { accumulate: true });
    assertClose(await readWeight(gpu, dTab), want.map((v) => 2 * v), { atol: 1e-5, rtol: 1e-5 }, 'embedding.backward over row blocks (accumulate)');
    dTab.release();
  }
  [tIds, out].forEach((t) => t.release());
  tab.release();
}

/** logits (R, V) = h W^T over 4 vocabulary blocks, and its backward (dX, accumulated dW per block). */
export async function checkLinearRowBlocks(gpu: Gpu, half = false): Promise<void> {
  const R = 6;
  const w = randn(V * C, 8, 0.5).map((v) => (half ? roundToHalf(v) : v));
  const x = randn(R * C, 9);
  const W = uploadRows(gpu, w, [V, C], half ? 'f16' : 'f32', 'W', PER);
  const tx = gpu.upload(x, [R, C], 'f32', 'x');
  const y = gpu.empty([R, V], 'f32', 'y');
  linearForwardRows(gpu, y, tx, W);
  const tol = half ? { atol: 1e-3, rtol: 1e-3 } : { atol: 1e-5, rtol: 1e-5 };
  assertClose(await gpu.readF32(y), linearForwardRef(x, w, R, C, V), tol, `linear.forwardRows over 4 blocks${half ? ' (f16)' : ''}`);
  const dY = randn(R * V, 10);
  const tdY = gpu.upload(dY, [R, V], 'f32', 'dY');
  const dX = gpu.empty([R, C], 'f32', 'dX');
  const want = linearBackwardRef(dY, x, w, R, C, V);
  const dW = half ? null : uploadRows(gpu, new Float32Array(V * C).fill(1), [V, C], 'f32', 'dW', PER);
  linearBackwardRows(gpu, dX, dW, tdY, tx, W, { accumulateDW: true });
  assertClose(await gpu.readF32(dX), want.dX, tol, 'linear.backwardRows dX (summed over blocks)');
  if (dW) assertClose(await readWeight(gpu, dW), want.dW.map((v) => v + 1), tol, 'linear.backwardRows dW (accumulated, per block)');
  const other = uploadRows(gpu, new Float32Array(V * C), [V, C], 'f32', 'dW5', 5);
  expectError(() => linearBackwardRows(gpu, dX, other, tdY, tx, W), /linear\.backwardRows: dW .* must split at the rows of w/, 'mismatched block layout');
  expectError(() => linearForwardRows(gpu, gpu.empty([R, V - 1]), tx, W), /linear\.forwardRows: y must have shape \[6, 37\]/, 'bad y shape');
  [tx, y, tdY, dX].forEach((t) => t.release());
  [W, dW, other].forEach((t) => t?.release());
}

/** copyRows column windows: a narrow block into columns of a wide row, and back out. */
export async function checkCopyRowsColumns(gpu: Gpu): Promise<void> {
  const rows = 5;
  const wide = randn(rows * 23, 11);
  const narrow = randn(rows * 7, 12);
  const tWide = gpu.upload(wide, [rows, 23], 'f32', 'wide');
  const tNarrow = gpu.upload(narrow, [rows, 7], 'f32', 'narrow');
  copyRows(gpu, tWide, tNarrow, { rows, width: 7, dstStride: 23, dstCol0: 9 });
  const wideAfter = copyRowsRef(wide, narrow, { rows, width: 7, dstStride: 23, dstCol0: 9 });
  assertClose(await gpu.readF32(tWide), wideAfter, { atol: 0, rtol: 0 }, 'rows.copy into a column window');
  const out = gpu.empty([rows - 1, 4], 'f32', 'out');
  copyRows(gpu, out, tWide, { rows: rows - 1, width: 4, srcStride: 23, srcCol0: 19, srcRow0: 1 });
  assertClose(await gpu.readF32(out), copyRowsRef(new Float32Array(16), wideAfter, { rows: rows - 1, width: 4, srcStride: 23, srcCol0: 19, srcRow0: 1 }), { atol: 0, rtol: 0 }, 'rows.copy from a column window');
  expectError(() => copyRows(gpu, tWide, tNarrow, { rows, width: 7, dstStride: 23, dstCol0: 17 }), /rows\.copy: dst columns \[17, 24\) do not fit its rows of 23 words/, 'window past the row');
  [tWide, tNarrow, out].forEach((t) => t.release());
}
