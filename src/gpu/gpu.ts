// Gpu: the engine's handle on one device. Creates tensors from the pool, uploads and reads back,
// records kernel dispatches into one command encoder until flush(), reports device loss and
// validation errors with the kernel's name, and (in debug mode) finds the first kernel that
// wrote a non-finite value.

import { acquireDevice, describeAdapter, type AcquireOptions, type AdapterReport } from './device';
import { f16ToF32, f32ToF16 } from '../util/f16';
import { Params } from './params';
import { PipelineCache } from './pipelines';
import { BufferPool, sizeClass, type PoolStats } from './pool';
import { Profiler } from './profiler';
import { BYTES, Tensor, numel, shapeStr, type DType, type TensorOwner } from './tensor';

export interface DispatchSpec {
  /** Kernel name, used in errors, profiles and debug reports (e.g. 'matmul.forward'). */
  kernel: string;
  /** Complete WGSL source (after buildWgsl). */
  code: string;
  /** Entry point (default 'main'). */
  entry?: string;
  /** Values for WGSL `override` constants (e.g. tile sizes). */
  constants?: Record<string, number>;
  /** Written buffers: bindings 0..outputs.length-1 (read_write storage). */
  outputs: Tensor[];
  /** Read-only buffers: the bindings after the outputs. */
  inputs: Tensor[];
  /** Uniform parameter block: the binding after the inputs. */
  params?: Params;
  /** Workgroup counts [x, y, z]. */
  workgroups: [number, number?, number?];
}

export type TypedArray = Float32Array | Int32Array | Uint32Array | Uint16Array;

/** What this Gpu has asked of the device so far (plain integer counters, always on: an increment
 *  per call costs nothing next to the call it counts). Take two `counts()` and subtract. */
export interface GpuCounts {
  /** Kernel dispatches recorded. */
  dispatches: number;
  /** queue.submit calls (one per flush with recorded work). */
  submits: number;
  /** Tensors read back to the host (each waits for the GPU). */
  readbacks: number;
  /** Waits for the GPU to finish (sync(), including the one inside each readback). */
  waits: number;
  /** queue.writeBuffer calls: tensor uploads and writes, and each dispatch's uniform parameter block. */
  writes: number;
}

const STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export class Gpu implements TensorOwner {
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  readonly profiler: Profiler;
  /** When true, every dispatch is checked for non-finite f32 outputs at the next sync/read. */
  debug = false;
  /** Resolves when the device is lost (destroyed or a driver failure); never rejects. */
  readonly lost: Promise<GPUDeviceLostInfo>;
  private lostInfo: GPUDeviceLostInfo | null = null;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** Buffers released since the last submit, by pool key: they return to the pool at the next flush.
   *  A storage buffer among them may be handed to a new tensor at once (see empty()). */
  private pendingRelease = new Map<string, GPUBuffer[]>();
  private errors: string[] = [];
  private debugQueue: Array<{ kernel: string; outputs: Array<{ t: Tensor; snapshot: GPUBuffer }> }> = [];
  private readonly counters: GpuCounts = { dispatches: 0, submits: 0, readbacks: 0, waits: 0, writes: 0 };
  private scopeOpen = false;
  private scopePops: Array<Promise<GPUError | null>> = [];

  private constructor(
    readonly device: GPUDevice,
    readonly report: AdapterReport,
    /** Kept referenced on purpose: Dawn tears the device down when its instance is collected. */
    private instance: GPU | null,
  ) {
    this.pool = new BufferPool(device, report.limits.maxBufferSize ?? 256 * 1024 * 1024);
    this.pipelines = new PipelineCache(device);
    this.profiler = new Profiler(device, report.features.timestampQuery, this.pool);
    this.lost = device.lost.then((info) => {
      this.lostInfo = info;
      return info;
    });
    // Errors are caught with error scopes around each recorded batch (see scope()). An
    // 'uncapturederror' listener is not used: in Dawn for Node it can crash the process.
    if (report.runtime === 'browser') device.onuncapturederror = (ev) => this.errors.push(ev.error.message);
  }

  static async create(opts: AcquireOptions = {}): Promise<Gpu> {
    const { device, report, instance } = await acquireDevice(opts);
    return new Gpu(device, report, instance);
  }

  /** The GPU instance that created this device (Dawn's in Node; navigator.gpu in a browser), or null after destroy(). */
  get gpuInstance(): GPU | null {
    return this.instance;
  }
  get f16(): boolean {
    return this.report.features.shaderF16;
  }
  get limits(): Record<string, number> {
    return this.report.limits;
  }
  describe(): string {
    return describeAdapter(this.report);
  }
  poolStats(): PoolStats {
    return this.pool.getStats();
  }
  /** Number of kernel dispatches recorded so far. */
  get dispatches(): number {
    return this.counters.dispatches;
  }
  /** A copy of the counters (dispatches, submits, readbacks, waits, writes) so far. */
  counts(): GpuCounts {
    return { ...this.counters };
  }

  private checkAlive(what: string): void {
    if (this.lostInfo) throw new Error(`GPU device lost (${this.lostInfo.reason}: ${this.lostInfo.message}); cannot ${what}. Reload the page or restart the process.`);
  }

  // ---------------------------------------------------------------- tensors

  /** An uninitialised tensor (contents are whatever the pooled buffer held). */
  empty(shape: readonly number[], dtype: DType = 'f32', label = 'tensor'): Tensor {
    return this.allocate(shape, dtype, label, true);
  }

  /** A storage tensor; `reusePending`: it may take a buffer released since the last submit (takePending). */
  private allocate(shape: readonly number[], dtype: DType, label: string, reusePending: boolean): Tensor {
    this.checkAlive(`allocate '${label}'`);
    const bytes = Math.max(4, numel(shape) * BYTES[dtype]);
    const maxBind = this.limits.maxStorageBufferBindingSize;
    if (maxBind && bytes > maxBind) {
      throw new Error(`tensor '${label}' ${shapeStr(shape)}:${dtype} needs ${bytes} bytes, over this adapter's maxStorageBufferBindingSize of ${maxBind}; split it (a matrix of whole rows: RowBlocks, src/gpu/rowblocks.ts; activations: chunk the tokens or the batch) or use a smaller model`);
    }
    const buf = (reusePending ? this.takePending(bytes) : null) ?? this.pool.acquire(bytes, STORAGE(), label);
    return new Tensor(this, buf, shape, dtype, label);
  }

  /**
   * A storage buffer released since the last submit, of this size class, handed to a new tensor before
   * the submit: what is recorded later runs after what was recorded before (queue order), so the new
   * owner's kernels, clears and copies cannot overwrite data the old owner's recorded work still reads.
   * Host writes are the exception: write() submits the recorded work first, and upload() never takes
   * such a buffer (queue.writeBuffer would land before that work). Without this, a pass that records
   * many layers before one submit (a training step's backward) would hold every layer's temporaries.
   */
  private takePending(bytes: number): GPUBuffer | null {
    const list = this.pendingRelease.get(`${STORAGE()}:${sizeClass(bytes)}`);
    return list?.pop() ?? null;
  }

  /** A zero-filled tensor (cleared on the GPU, in order with recorded dispatches). */
  zeros(shape: readonly number[], dtype: DType = 'f32', label = 'zeros'): Tensor {
    const t = this.empty(shape, dtype, label);
    this.clear(t);
    return t;
  }

  /** Zero a tensor's buffer in command order. */
  clear(t: Tensor): void {
    this.endPass();
    this.enc().clearBuffer(t.buffer, 0, Math.ceil(t.byteLength / 4) * 4);
  }

  /** Copy `words` 4-byte words from src (from word srcWord) to dst (from word dstWord) in command order: a
   *  buffer copy, no shader (on a CPU adapter a memcpy). The ranges must lie inside the tensors. */
  copyWords(dst: Tensor, dstWord: number, src: Tensor, srcWord: number, words: number): void {
    const k = 'gpu.copyWords';
    for (const [name, t, w0] of [['dst', dst, dstWord], ['src', src, srcWord]] as const) {
      if (t.isReleased) throw new Error(`${k}: ${name} ${t} was already released`);
      if (t.dtype === 'f16') throw new Error(`${k}: ${name} ${t} is f16; only 4-byte tensors are copied by words`);
      if (!Number.isInteger(w0) || w0 < 0 || w0 + words > t.size) throw new Error(`${k}: words [${w0}, ${w0 + words}) are outside ${name} ${t} (${t.size} words)`);
    }
    if (dst.buffer === src.buffer) throw new Error(`${k}: dst and src must be different tensors (${dst})`);
    if (!Number.isInteger(words) || words < 0) throw new Error(`${k}: bad word count ${words}`);
    if (words === 0) return;
    this.endPass();
    this.enc().copyBufferToBuffer(src.buffer, srcWord * 4, dst.buffer, dstWord * 4, words * 4);
  }

  /** Upload host data. f16 tensors take float data and convert it. */
  upload(data: ArrayLike<number> | TypedArray, shape: readonly number[], dtype: DType = 'f32', label = 'upload'): Tensor {
    if (data.length !== numel(shape)) throw new Error(`upload '${label}': ${data.length} values for shape ${shapeStr(shape)} (${numel(shape)} elements)`);
    // never a buffer released since the last submit: the host write would land before its old reader's work
    const t = this.allocate(shape, dtype, label, false);
    this.scope();
    this.writeRaw(t, data);
    return t;
  }

  /** Overwrite a tensor's contents from the host (flushes recorded work first to keep order). */
  write(t: Tensor, data: ArrayLike<number> | TypedArray): void {
    if (data.length !== t.size) throw new Error(`write '${t.label}': ${data.length} values for ${t.size} elements`);
    this.flush();
    this.writeRaw(t, data);
  }

  /** Overwrite elements [offset, offset + data.length) of a tensor from the host (flushes recorded
   *  work first, like write). writeBuffer moves whole 4-byte words, so an f16 range must start at
   *  an even element and have an even length unless it runs to the tensor's end. */
  writeAt(t: Tensor, offset: number, data: ArrayLike<number> | TypedArray): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + data.length > t.size) {
      throw new Error(`writeAt '${t.label}': elements [${offset}, ${offset + data.length}) are outside its ${t.size} elements`);
    }
    if (t.dtype === 'f16' && (offset % 2 !== 0 || (data.length % 2 !== 0 && offset + data.length !== t.size))) {
      throw new Error(`writeAt '${t.label}': an f16 range must start at an even element and end at an even element or the tensor's end (got [${offset}, ${offset + data.length}))`);
    }
    this.flush();
    this.writeRaw(t, data, offset * BYTES[t.dtype]);
  }

  private writeRaw(t: Tensor, data: ArrayLike<number> | TypedArray, byteOffset = 0): void {
    let bytes: ArrayBufferView;
    switch (t.dtype) {
      case 'f32':
        bytes = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
        break;
      case 'f16':
        bytes = data instanceof Uint16Array ? data : f32ToF16(data as ArrayLike<number>);
        break;
      case 'i32':
        bytes = data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>);
        break;
      case 'u32':
        bytes = data instanceof Uint32Array ? data : Uint32Array.from(data as ArrayLike<number>);
        break;
    }
    let len = bytes.byteLength;
    if (len === 0) return;
    if (len % 4) {
      // writeBuffer needs a multiple of 4 bytes: pad the odd f16 tail.
      const padded = new Uint8Array(len + 2);
      padded.set(new Uint8Array(bytes.buffer, bytes.byteOffset, len));
      bytes = padded;
      len += 2;
    }
    this.device.queue.writeBuffer(t.buffer, byteOffset, bytes.buffer, bytes.byteOffset, len);
    this.counters.writes++;
  }

  /** Read a tensor back: Float32Array for f32 and f16, Int32Array / Uint32Array otherwise. */
  async read(t: Tensor): Promise<Float32Array | Int32Array | Uint32Array> {
    const raw = await this.readBytes(t);
    switch (t.dtype) {
      case 'f32':
        return new Float32Array(raw, 0, t.size);
      case 'f16':
        return f16ToF32(new Uint16Array(raw, 0, t.size));
      case 'i32':
        return new Int32Array(raw, 0, t.size);
      case 'u32':
        return new Uint32Array(raw, 0, t.size);
    }
  }

  /** Read an f32/f16 tensor as Float32Array (throws for integer tensors). */
  async readF32(t: Tensor): Promise<Float32Array> {
    if (t.dtype !== 'f32' && t.dtype !== 'f16') throw new Error(`readF32: '${t.label}' is ${t.dtype}`);
    return (await this.read(t)) as Float32Array;
  }

  private async readBytes(t: Tensor): Promise<ArrayBuffer> {
    this.checkAlive(`read '${t.label}'`);
    const size = Math.max(4, Math.ceil(t.byteLength / 4) * 4);
    const staging = this.pool.acquire(size, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'readback');
    this.counters.readbacks++;
    this.endPass();
    this.enc().copyBufferToBuffer(t.buffer, 0, staging, 0, size);
    await this.sync();
    await staging.mapAsync(GPUMapMode.READ, 0, size);
    const out = staging.getMappedRange(0, size).slice(0);
    staging.unmap();
    this.pool.release(staging);
    return out;
  }

  releaseBuffer(buf: GPUBuffer): void {
    // Deferred until the recorded work is submitted, so a pending dispatch never sees new data.
    this.defer(buf);
  }

  private defer(buf: GPUBuffer): void {
    const key = `${buf.usage}:${this.pool.sizeOf(buf)}`;
    const list = this.pendingRelease.get(key);
    if (list) list.push(buf);
    else this.pendingRelease.set(key, [buf]);
  }

  // ---------------------------------------------------------------- dispatch

  /** Open a validation error scope for the work recorded until the next flush. */
  private scope(): void {
    if (this.scopeOpen) return;
    this.device.pushErrorScope('validation');
    this.device.pushErrorScope('out-of-memory');
    this.scopeOpen = true;
  }

  private closeScope(): void {
    if (!this.scopeOpen) return;
    this.scopePops.push(this.device.popErrorScope(), this.device.popErrorScope());
    this.scopeOpen = false;
  }

  private enc(): GPUCommandEncoder {
    this.scope();
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'int-lab step' });
    return this.encoder;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Record one kernel dispatch. Validates bindings and limits; errors name the kernel. */
  dispatch(spec: DispatchSpec): void {
    const { kernel } = spec;
    this.checkAlive(`run ${kernel}`);
    const [x, y = 1, z = 1] = spec.workgroups;
    const maxWg = this.limits.maxComputeWorkgroupsPerDimension ?? 65535;
    for (const [axis, n] of [['x', x], ['y', y], ['z', z]] as const) {
      if (!Number.isInteger(n) || n < 0) throw new Error(`${kernel}: bad workgroup count ${axis}=${n}`);
      if (n > maxWg) throw new Error(`${kernel}: ${n} workgroups along ${axis} exceeds this adapter's maxComputeWorkgroupsPerDimension (${maxWg}); shapes: ${[...spec.outputs, ...spec.inputs].map(String).join(', ')}`);
    }
    const nStorage = spec.outputs.length + spec.inputs.length;
    const maxSb = this.limits.maxStorageBuffersPerShaderStage ?? 8;
    if (nStorage > maxSb) throw new Error(`${kernel}: needs ${nStorage} storage buffers, over this adapter's maxStorageBuffersPerShaderStage (${maxSb})`);
    for (const t of [...spec.outputs, ...spec.inputs]) {
      if (t.isReleased) throw new Error(`${kernel}: tensor ${t} was already released`);
    }
    if (x * y * z === 0) return;
    this.scope();
    const layout = { outputs: spec.outputs.length, inputs: spec.inputs.length, params: !!spec.params };
    const pipeline = this.pipelines.get(kernel, spec.code, spec.entry ?? 'main', spec.constants, layout);
    const entries: GPUBindGroupEntry[] = [];
    let b = 0;
    for (const t of spec.outputs) entries.push({ binding: b++, resource: { buffer: t.buffer, size: Math.max(4, Math.ceil(t.byteLength / 4) * 4) } });
    for (const t of spec.inputs) entries.push({ binding: b++, resource: { buffer: t.buffer, size: Math.max(4, Math.ceil(t.byteLength / 4) * 4) } });
    if (spec.params) {
      const bytes = spec.params.bytes();
      const ub = this.pool.acquire(bytes.byteLength, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, 'params');
      this.device.queue.writeBuffer(ub, 0, bytes);
      this.counters.writes++;
      this.defer(ub);
      entries.push({ binding: b++, resource: { buffer: ub, size: bytes.byteLength } });
    }
    const bindGroup = this.device.createBindGroup({ layout: this.pipelines.layout(layout), entries, label: kernel });
    const timestampWrites = this.profiler.enabled ? this.profiler.slot(kernel) : undefined;
    if (timestampWrites) this.endPass();
    const pass = this.pass ?? this.enc().beginComputePass({ label: kernel, timestampWrites });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.counters.dispatches++;
    if (timestampWrites) pass.end();
    else this.pass = pass;
    if (this.debug) this.snapshotOutputs(kernel, spec.outputs);
  }

  private snapshotOutputs(kernel: string, outputs: Tensor[]): void {
    const snaps: Array<{ t: Tensor; snapshot: GPUBuffer }> = [];
    this.endPass();
    for (const t of outputs) {
      if (t.dtype !== 'f32' && t.dtype !== 'f16') continue;
      const size = Math.max(4, Math.ceil(t.byteLength / 4) * 4);
      const snap = this.pool.acquire(size, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'debug-snapshot');
      this.enc().copyBufferToBuffer(t.buffer, 0, snap, 0, size);
      snaps.push({ t, snapshot: snap });
    }
    this.debugQueue.push({ kernel, outputs: snaps });
  }

  /** Submit recorded work (no wait). */
  flush(): void {
    this.endPass();
    if (this.encoder) {
      this.profiler.resolve(this.encoder);
      this.device.queue.submit([this.encoder.finish()]);
      this.counters.submits++;
      this.encoder = null;
    }
    this.closeScope();
    for (const list of this.pendingRelease.values()) for (const b of list) this.pool.release(b);
    this.pendingRelease.clear();
  }

  /** Submit and wait for the GPU; throws validation errors and (debug) non-finite outputs. */
  async sync(): Promise<void> {
    this.flush();
    this.counters.waits++;
    await this.device.queue.onSubmittedWorkDone();
    this.checkAlive('finish');
    for (const e of await Promise.all(this.scopePops.splice(0))) if (e) this.errors.push(e.message);
    if (this.errors.length) {
      const errs = this.errors.splice(0);
      throw new Error(`WebGPU error${errs.length > 1 ? 's' : ''}: ${errs.join('\n')}`);
    }
    await this.profiler.collect();
    if (this.debugQueue.length) await this.checkDebug();
  }

  private async checkDebug(): Promise<void> {
    const queue = this.debugQueue.splice(0);
    let firstBad: string | null = null;
    for (const { kernel, outputs } of queue) {
      for (const { t, snapshot } of outputs) {
        if (!firstBad) {
          await snapshot.mapAsync(GPUMapMode.READ);
          const raw = snapshot.getMappedRange().slice(0);
          snapshot.unmap();
          const vals = t.dtype === 'f16' ? f16ToF32(new Uint16Array(raw, 0, t.size)) : new Float32Array(raw, 0, t.size);
          for (let i = 0; i < vals.length; i++) {
            if (!Number.isFinite(vals[i])) {
              firstBad = `debug: kernel '${kernel}' wrote a non-finite value (${vals[i]}) to ${t} at flat index ${i}`;
              break;
            }
          }
        }
        this.pool.release(snapshot);
      }
    }
    if (firstBad) throw new Error(firstBad);
  }

  /** Wall-clock milliseconds of `fn` including GPU completion. */
  async time(fn: () => void | Promise<void>): Promise<number> {
    await this.sync();
    const t0 = performance.now();
    await fn();
    await this.sync();
    return performance.now() - t0;
  }

  /** Destroy the device and drop the instance (lets a Node process exit). */
  destroy(): void {
    this.flush();
    this.device.destroy();
    this.instance = null;
  }
}
