// RowBlocks: one logical (rows, cols) matrix stored as several GPU buffers of whole rows, each within the
// binding limit (maxStorageBufferBindingSize). It is the home of every tensor that can outgrow one binding:
// the token embedding, an untied lm_head and their full fine-tune gradients and moments. Kernels that read or
// write such a matrix loop over its blocks (embedding gather and scatter, the lm_head linear over vocabulary
// blocks); a matrix that fits is one block, so the common case runs exactly as a plain tensor.
//
// Layout: rowsPerBlock = floor(limit / (cols * 4)) whatever the dtype, so an f16 weight, its f32 gradient and
// its f32 AdamW moments split at the same rows (an f16 block fills half a binding).

import type { Gpu, TypedArray } from './gpu';
import { Tensor, numel, shapeStr, type DType } from './tensor';

/** Bytes per element the layout is computed for (f32: the widest dtype sharing a layout). */
const LAYOUT_BYTES = 4;

/** Rows per block of a (rows, cols) matrix under a binding limit of `maxBinding` bytes: as many whole
 *  f32 rows as fit, at least 1 and at most `rows`. Throws when one row alone is over the limit. */
export function rowBlockRows(rows: number, cols: number, maxBinding: number, label = 'matrix'): number {
  if (cols * LAYOUT_BYTES > maxBinding) {
    throw new Error(
      `'${label}' [${rows}, ${cols}]: one row of ${cols} f32 values is ${cols * LAYOUT_BYTES} bytes, over this adapter's ` +
        `maxStorageBufferBindingSize of ${maxBinding}; row blocks cannot split it. Use a device with a larger limit or a model with a smaller hidden size`,
    );
  }
  return Math.max(1, Math.min(rows, Math.floor(maxBinding / (cols * LAYOUT_BYTES))));
}

/** Number of blocks of a (rows, cols) matrix under `maxBinding`. */
export function rowBlockCount(rows: number, cols: number, maxBinding: number): number {
  return rows === 0 ? 1 : Math.ceil(rows / rowBlockRows(rows, cols, maxBinding));
}

export class RowBlocks {
  private released = false;
  constructor(
    /** Block i holds rows [i * rowsPerBlock, min(rows, (i + 1) * rowsPerBlock)) as a (blockRows(i), cols) tensor. */
    readonly blocks: readonly Tensor[],
    readonly rowsPerBlock: number,
    readonly shape: readonly [number, number],
    readonly dtype: DType,
    readonly label: string,
  ) {
    const [rows, cols] = shape;
    if (blocks.length !== Math.max(1, Math.ceil(rows / rowsPerBlock))) throw new Error(`RowBlocks '${label}': ${blocks.length} blocks for ${rows} rows of ${rowsPerBlock}`);
    blocks.forEach((b, i) => {
      if (b.dtype !== dtype || b.shape.length !== 2 || b.shape[0] !== this.blockRows(i) || b.shape[1] !== cols) {
        throw new Error(`RowBlocks '${label}': block ${i} is ${b}, expected [${this.blockRows(i)}, ${cols}]:${dtype}`);
      }
    });
  }
  get rows(): number {
    return this.shape[0];
  }
  get cols(): number {
    return this.shape[1];
  }
  get size(): number {
    return numel(this.shape);
  }
  get count(): number {
    return this.blocks.length;
  }
  get isReleased(): boolean {
    return this.released || this.blocks.some((b) => b.isReleased);
  }
  /** First row of block i. */
  rowStart(i: number): number {
    return i * this.rowsPerBlock;
  }
  /** Rows of block i. */
  blockRows(i: number): number {
    return Math.max(0, Math.min(this.rowsPerBlock, this.shape[0] - i * this.rowsPerBlock));
  }
  /** True when `other` splits at the same rows (a weight and its gradient). */
  sameLayout(other: RowBlocks): boolean {
    return other.shape[0] === this.shape[0] && other.shape[1] === this.shape[1] && other.rowsPerBlock === this.rowsPerBlock;
  }
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const b of this.blocks) b.release();
  }
  toString(): string {
    return `${this.label}${shapeStr(this.shape)}:${this.dtype} in ${this.count} row block(s) of ${this.rowsPerBlock}`;
  }
}

/** A model weight or gradient: a plain tensor, or a row-blocked matrix. */
export type Weight = Tensor | RowBlocks;

/** The tensors holding a weight's values, in row order (one for a plain tensor). Elementwise consumers
 *  (optimizer, gradient norm) treat each as its own tensor. */
export function weightParts(w: Weight): readonly Tensor[] {
  return w instanceof RowBlocks ? w.blocks : [w];
}

/** A 2-D tensor seen as one row block (no copy; the view does not own the tensor, never release it). */
export function asRowBlocks(w: Weight): RowBlocks {
  if (w instanceof RowBlocks) return w;
  if (w.shape.length !== 2) throw new Error(`asRowBlocks: '${w.label}' must be 2-D (rows, cols), got ${shapeStr(w.shape)}`);
  return new RowBlocks([w], Math.max(1, w.shape[0]), [w.shape[0], w.shape[1]], w.dtype, w.label);
}

/** The plain tensor behind a weight that kernels only take whole (linear layers, norms): the tensor, or the one block. */
export function wholeTensor(w: Weight, what: string): Tensor {
  if (!(w instanceof RowBlocks)) return w;
  if (w.count === 1) return w.blocks[0];
  throw new Error(`${what}: '${w.label}' is stored in ${w.count} row blocks (over the binding limit); this kernel takes one tensor`);
}

/** An uninitialised (rows, cols) matrix split into row blocks under this device's binding limit (or into
 *  blocks of `rowsPerBlock` rows, at most the limit's: kernel tests split small matrices). */
export function emptyRows(gpu: Gpu, shape: readonly [number, number], dtype: DType = 'f32', label = 'rows', rowsPerBlock?: number): RowBlocks {
  const [rows, cols] = shape;
  const maxBind = gpu.limits.maxStorageBufferBindingSize ?? 128 * 1024 * 1024;
  const fit = rowBlockRows(rows, cols, maxBind, label);
  if (rowsPerBlock !== undefined && !(Number.isInteger(rowsPerBlock) && rowsPerBlock >= 1 && rowsPerBlock <= fit)) {
    throw new Error(`emptyRows '${label}': rowsPerBlock must be an integer in [1, ${fit}] (the binding limit's), got ${rowsPerBlock}`);
  }
  const per = rowsPerBlock ?? fit;
  const n = Math.max(1, Math.ceil(rows / per));
  const blocks: Tensor[] = [];
  try {
    for (let i = 0; i < n; i++) blocks.push(gpu.empty([Math.min(per, rows - i * per), cols], dtype, n > 1 ? `${label}#${i}` : label));
  } catch (e) {
    blocks.forEach((b) => b.release());
    throw e;
  }
  return new RowBlocks(blocks, per, [rows, cols], dtype, label);
}

/** emptyRows with the layout of `like` (a gradient or moment of a blocked weight), zero-filled. */
export function zerosRowsLike(gpu: Gpu, like: RowBlocks, dtype: DType = 'f32', label = `${like.label}.zeros`): RowBlocks {
  const blocks = like.blocks.map((b, i) => gpu.zeros(b.shape, dtype, like.count > 1 ? `${label}#${i}` : label));
  return new RowBlocks(blocks, like.rowsPerBlock, like.shape, dtype, label);
}

/** Upload host data (row-major, rows * cols values; f16 bits as a Uint16Array for f16) block by block:
 *  each block takes its slice of the host array, never a whole-matrix buffer on the GPU. */
export function uploadRows(gpu: Gpu, data: ArrayLike<number> | TypedArray, shape: readonly [number, number], dtype: DType = 'f32', label = 'rows', rowsPerBlock?: number): RowBlocks {
  const [rows, cols] = shape;
  if (data.length !== rows * cols) throw new Error(`uploadRows '${label}': ${data.length} values for shape ${shapeStr(shape)} (${rows * cols} elements)`);
  const rb = emptyRows(gpu, shape, dtype, label, rowsPerBlock);
  writeWeight(gpu, rb, data);
  return rb;
}

/** Read a weight back as f32 values in row order (f32 / f16 only). */
export async function readWeight(gpu: Gpu, w: Weight): Promise<Float32Array> {
  const parts = weightParts(w);
  if (parts.length === 1) return gpu.readF32(parts[0]);
  const out = new Float32Array(parts.reduce((n, p) => n + p.size, 0));
  let o = 0;
  for (const p of parts) {
    out.set(await gpu.readF32(p), o);
    o += p.size;
  }
  return out;
}

/** Overwrite a weight from host values in row order (flushes recorded work first, like Gpu.write). */
export function writeWeight(gpu: Gpu, w: Weight, data: ArrayLike<number> | TypedArray): void {
  const parts = weightParts(w);
  const total = parts.reduce((n, p) => n + p.size, 0);
  if (data.length !== total) throw new Error(`writeWeight '${w.label}': ${data.length} values for ${total} elements`);
  let o = 0;
  for (const p of parts) {
    gpu.write(p, ArrayBuffer.isView(data) ? (data as TypedArray).subarray(o, o + p.size) : Array.prototype.slice.call(data, o, o + p.size));
    o += p.size;
  }
}

/** Overwrite the elements [at, at + data.length) of a weight in row order from the host, split at its
 *  blocks (a checkpoint streams in pieces: no host copy of the whole matrix). f16 pieces follow
 *  Gpu.writeAt's alignment: even starts and ends within each block. */
export function writeWeightAt(gpu: Gpu, w: Weight, at: number, data: ArrayLike<number> | TypedArray): void {
  const parts = weightParts(w);
  const total = parts.reduce((n, p) => n + p.size, 0);
  if (!Number.isSafeInteger(at) || at < 0 || at + data.length > total) {
    throw new Error(`writeWeightAt '${w.label}': elements [${at}, ${at + data.length}) are outside its ${total} elements`);
  }
  let start = 0; // first element of the current block
  for (const p of parts) {
    const lo = Math.max(at, start);
    const hi = Math.min(at + data.length, start + p.size);
    if (lo < hi) {
      const piece = ArrayBuffer.isView(data) ? (data as TypedArray).subarray(lo - at, hi - at) : Array.prototype.slice.call(data, lo - at, hi - at);
      gpu.writeAt(p, lo - start, piece);
    }
    start += p.size;
    if (start >= at + data.length) break;
  }
}
