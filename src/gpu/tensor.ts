// Tensor: a pooled GPU buffer with a shape and a dtype (f32 | f16 | i32 | u32).
// Tensors are created through Gpu (src/gpu/gpu.ts); release() returns the buffer to the pool.

export type DType = 'f32' | 'f16' | 'i32' | 'u32';

export const BYTES: Record<DType, number> = { f32: 4, f16: 2, i32: 4, u32: 4 };

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Minimal interface a Tensor needs from its owner (avoids an import cycle with gpu.ts). */
export interface TensorOwner {
  releaseBuffer(buf: GPUBuffer): void;
}

export class Tensor {
  private released = false;
  constructor(
    readonly owner: TensorOwner,
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly label: string,
  ) {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`Tensor '${label}': bad shape ${shapeStr(shape)}: dimensions must be non-negative integers`);
    }
  }
  /** Number of elements. */
  get size(): number {
    return numel(this.shape);
  }
  /** Bytes of payload (the buffer may be larger: pool size classes, 4-byte padding). */
  get byteLength(): number {
    return this.size * BYTES[this.dtype];
  }
  get isReleased(): boolean {
    return this.released;
  }
  /** A view of the same buffer with another shape of the same element count. */
  reshape(shape: readonly number[]): Tensor {
    if (numel(shape) !== this.size) throw new Error(`Tensor '${this.label}': cannot reshape ${shapeStr(this.shape)} to ${shapeStr(shape)} (element counts differ)`);
    return new TensorView(this, shape);
  }
  /** Return the buffer to the pool. Views never release their base. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.releaseBuffer(this.buffer);
  }
  toString(): string {
    return `${this.label}${shapeStr(this.shape)}:${this.dtype}`;
  }
}

/** A reshaped view sharing the base tensor's buffer. */
class TensorView extends Tensor {
  constructor(readonly base: Tensor, shape: readonly number[]) {
    super(base.owner, base.buffer, shape, base.dtype, base.label);
  }
  override release(): void {
    /* the base owns the buffer */
  }
}

/** Throw a clear error unless `t` has the expected dtype and shape (-1 = any). */
export function expectTensor(kernel: string, name: string, t: Tensor, dtype: DType | DType[], shape?: readonly number[]): void {
  const ok = Array.isArray(dtype) ? dtype.includes(t.dtype) : t.dtype === dtype;
  if (!ok) throw new Error(`${kernel}: ${name} must be ${Array.isArray(dtype) ? dtype.join(' or ') : dtype}, got ${t.dtype} (${t})`);
  if (t.isReleased) throw new Error(`${kernel}: ${name} (${t}) was already released`);
  if (!shape) return;
  const bad = shape.length !== t.shape.length || shape.some((d, i) => d !== -1 && d !== t.shape[i]);
  if (bad) throw new Error(`${kernel}: ${name} must have shape ${shapeStr(shape.map((d) => (d === -1 ? NaN : d))).replace(/NaN/g, '*')}, got ${shapeStr(t.shape)}`);
}
