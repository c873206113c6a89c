// Buffer pool: the only place that calls createBuffer. Buffers are bucketed by usage and a size
// class (1/8 steps between powers of two, so waste is at most 12.5%) and reused after release.
// Bytes in use and the peak are tracked for memory reports.

export interface PoolStats {
  /** Bytes currently handed out. */
  inUse: number;
  /** Highest `inUse` seen since creation or the last resetPeak(). */
  peak: number;
  /** Bytes held by free buffers waiting for reuse. */
  cached: number;
  /** Buffers created so far. */
  created: number;
}

/** Round a byte size up to its size class. */
export function sizeClass(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 4) * 4);
  if (b <= 256) return Math.ceil(b / 16) * 16;
  const step = 2 ** (Math.floor(Math.log2(b)) - 3);
  return Math.ceil(b / step) * step;
}

export class BufferPool {
  private free = new Map<string, GPUBuffer[]>();
  private sizes = new WeakMap<GPUBuffer, number>();
  private stats: PoolStats = { inUse: 0, peak: 0, cached: 0, created: 0 };

  constructor(
    private device: GPUDevice,
    private maxBufferSize: number,
  ) {}

  acquire(bytes: number, usage: GPUBufferUsageFlags, label = 'buffer'): GPUBuffer {
    const size = sizeClass(bytes);
    if (size > this.maxBufferSize) {
      throw new Error(`buffer '${label}' needs ${bytes} bytes but this adapter allows at most ${this.maxBufferSize} bytes per buffer (maxBufferSize); use a smaller batch, sequence length or model`);
    }
    const key = `${usage}:${size}`;
    const list = this.free.get(key);
    let buf = list?.pop();
    if (buf) {
      this.stats.cached -= size;
    } else {
      buf = this.device.createBuffer({ size, usage, label });
      this.sizes.set(buf, size);
      this.stats.created++;
    }
    this.stats.inUse += size;
    if (this.stats.inUse > this.stats.peak) this.stats.peak = this.stats.inUse;
    return buf;
  }

  /** The size class a buffer of this pool was created with. */
  sizeOf(buf: GPUBuffer): number {
    const size = this.sizes.get(buf);
    if (size === undefined) throw new Error('BufferPool.sizeOf: buffer does not belong to this pool');
    return size;
  }

  release(buf: GPUBuffer): void {
    const size = this.sizes.get(buf);
    if (size === undefined) throw new Error('BufferPool.release: buffer does not belong to this pool');
    const key = `${buf.usage}:${size}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buf);
    this.stats.inUse -= size;
    this.stats.cached += size;
  }

  /** Destroy all free buffers (after a big phase, to give memory back). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.stats.cached = 0;
  }

  resetPeak(): void {
    this.stats.peak = this.stats.inUse;
  }

  getStats(): PoolStats {
    return { ...this.stats };
  }
}
