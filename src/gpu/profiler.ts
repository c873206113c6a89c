// GPU timing: when enabled and the adapter has 'timestamp-query', every dispatch runs in its own
// compute pass with begin/end timestamps; times are summed per kernel name at each sync.

import type { BufferPool } from './pool';

const CAPACITY = 2048; // query pairs per flush

export class Profiler {
  enabled = false;
  /** Total GPU nanoseconds and call counts per kernel since the last reset. */
  readonly totals = new Map<string, { ns: number; calls: number }>();
  private querySet: GPUQuerySet | null = null;
  private labels: string[] = [];
  private pending: Array<{ labels: string[]; buf: GPUBuffer }> = [];

  constructor(
    private device: GPUDevice,
    readonly supported: boolean,
    private pool: BufferPool,
  ) {}

  /** Timestamp writes for the next dispatch, or undefined when not profiling / no room. */
  slot(kernel: string): GPUComputePassTimestampWrites | undefined {
    if (!this.enabled || !this.supported) return undefined;
    if (!this.querySet) this.querySet = this.device.createQuerySet({ type: 'timestamp', count: CAPACITY * 2 });
    if (this.labels.length >= CAPACITY) return undefined;
    const i = this.labels.length;
    this.labels.push(kernel);
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Record the resolve of this flush's queries into `encoder`. */
  resolve(encoder: GPUCommandEncoder): void {
    if (!this.querySet || this.labels.length === 0) return;
    const n = this.labels.length * 2;
    const resolveBuf = this.pool.acquire(n * 8, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC, 'timestamps');
    const readBuf = this.pool.acquire(n * 8, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'timestamps-read');
    encoder.resolveQuerySet(this.querySet, 0, n, resolveBuf, 0);
    encoder.copyBufferToBuffer(resolveBuf, 0, readBuf, 0, n * 8);
    this.pending.push({ labels: this.labels, buf: readBuf });
    this.labels = [];
    // the resolve buffer is only used inside this submission
    queueMicrotask(() => this.pool.release(resolveBuf));
  }

  async collect(): Promise<void> {
    const pending = this.pending.splice(0);
    for (const { labels, buf } of pending) {
      await buf.mapAsync(GPUMapMode.READ);
      const ts = new BigUint64Array(buf.getMappedRange().slice(0, labels.length * 16));
      buf.unmap();
      this.pool.release(buf);
      labels.forEach((k, i) => {
        const ns = Number(ts[2 * i + 1] - ts[2 * i]);
        const e = this.totals.get(k) ?? { ns: 0, calls: 0 };
        e.ns += ns > 0 ? ns : 0;
        e.calls++;
        this.totals.set(k, e);
      });
    }
  }

  reset(): void {
    this.totals.clear();
  }
}
