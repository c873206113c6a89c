// onnxruntime-web's WebGPU execution provider on the engine's own GPUDevice: loads the runtime
// (in Node on Dawn as well as in a browser), builds one-node MatMul sessions whose input and output
// live in the engine's GPU buffers, and runs them without any host transfer per run.

import type { Gpu, Tensor } from '../gpu';
import { isNode } from '../gpu';
import { buildMatMulModel, type OnnxDType } from './onnx-builder';

export type Ort = typeof import('onnxruntime-web');

export interface OrtWebGpu {
  ort: Ort;
  /** onnxruntime-web version string. */
  version: string;
  /** Where it runs; the device is always the engine's (gpu.device). */
  runtime: 'node' | 'browser';
  /** How V8 compiled the runtime's WebAssembly (Node only; a browser decides for itself). */
  wasmTier: 'optimized' | 'baseline' | 'browser';
  /** Milliseconds spent loading the runtime and running a first 1x1x1 session to completion. */
  initMs: number;
}

export interface OrtInitOptions {
  /** ORT log level. Default 'error' (its warnings about Dawn limits are noise here). */
  logLevel?: 'verbose' | 'info' | 'warning' | 'error' | 'fatal';
  /**
   * Node only. 'optimized' (default): V8's normal tiering. The runtime's ~27 MB WebAssembly is then
   * recompiled by the optimizing compiler in the background; the first run waits for that (tens of
   * seconds on a 2-core machine), so init performs that first run itself and later timings are clean.
   * 'baseline': V8 flag --liftoff-only (process-wide, only wasm compiled afterwards): ready in about a second,
   * slower host-side code in the runtime; GPU work is unchanged. Use for smoke tests.
   */
  wasmTier?: 'optimized' | 'baseline';
}

let loaded: Promise<OrtWebGpu> | null = null;
let loadedFor: Gpu | null = null;

/**
 * Load onnxruntime-web's WebGPU build for use on gpu.device. In Node (Dawn) this also
 * (1) makes `navigator.gpu` exist while the EP initialises (the EP checks for it, then uses our device),
 * (2) lets gpu.device.queue.writeBuffer take views of a SharedArrayBuffer (the runtime's wasm memory is
 *     shared; Chromium accepts such views, Dawn's Node binding rejects them with "Invalid argument"),
 *     by copying those into a plain buffer first. Other calls are passed through untouched.
 * One process can serve one Gpu: the runtime binds its WebGPU state to the first device it sees.
 */
export function initOrtWebGpu(gpu: Gpu, opts: OrtInitOptions = {}): Promise<OrtWebGpu> {
  if (loaded) {
    if (loadedFor !== gpu) throw new Error('initOrtWebGpu: onnxruntime-web is already bound to another Gpu in this process; reuse that Gpu');
    return loaded;
  }
  loadedFor = gpu;
  loaded = load(gpu, opts).catch((e) => {
    loaded = null;
    loadedFor = null;
    throw e;
  });
  return loaded;
}

async function load(gpu: Gpu, opts: OrtInitOptions): Promise<OrtWebGpu> {
  const t0 = performance.now();
  const node = gpu.report.runtime === 'node' && isNode();
  const wasmTier = node ? (opts.wasmTier ?? 'optimized') : 'browser';
  let restoreNavigator = () => {};
  if (node) {
    allowSharedWriteBuffer(gpu.device.queue);
    restoreNavigator = await ensureNavigatorGpu(gpu);
    if (wasmTier === 'baseline') {
      const name = 'node:v8';
      const v8 = (await import(/* @vite-ignore */ name)) as { setFlagsFromString: (flags: string) => void };
      v8.setFlagsFromString('--liftoff-only');
    }
  }
  let ort: Ort;
  try {
    ort = (await import('onnxruntime-web/webgpu')) as unknown as Ort;
  } catch (e) {
    throw new Error(`Cannot load onnxruntime-web's WebGPU build ('onnxruntime-web/webgpu'): ${(e as Error).message}. Run 'npm install'.`);
  }
  ort.env.wasm.numThreads = 1; // no worker threads: the WebGPU EP does the work, and Node workers add nothing here
  ort.env.logLevel = opts.logLevel ?? 'error';
  const rt: OrtWebGpu = { ort, version: ort.env.versions.web ?? ort.env.versions.common, runtime: node ? 'node' : 'browser', wasmTier, initMs: 0 };
  // First session and run: instantiates the runtime, binds our device, and (optimized tier) waits out the background compile.
  const a = gpu.upload([1], [1, 1], 'f32', 'ort.warmup.a');
  const y = gpu.empty([1, 1], 'f32', 'ort.warmup.y');
  try {
    const mm = await OrtMatMul.create(rt, gpu, { M: 1, K: 1, N: 1, dtype: 'f32', weights: new Float32Array([2]) }, a, y);
    await mm.run();
    const [got] = await gpu.readF32(y);
    await mm.release();
    if (got !== 2) throw new Error(`onnxruntime-web's WebGPU EP computed 1 x 2 = ${got} on this device`);
  } finally {
    a.release();
    y.release();
    restoreNavigator(); // the EP is initialised: later sessions do not look at navigator
  }
  rt.initMs = performance.now() - t0;
  return rt;
}

/** Node 20 has no `navigator`; the EP requires `navigator.gpu` before it accepts a device. Returns an undo. */
async function ensureNavigatorGpu(gpu: Gpu): Promise<() => void> {
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (g.navigator?.gpu) return () => {};
  // The Dawn instance that created gpu.device (kept on the Gpu so Dawn stays alive); a fresh one otherwise.
  let instance = gpu.gpuInstance;
  if (!instance) {
    const name = 'webgpu';
    const mod = (await import(/* @vite-ignore */ name)) as { create: (flags: string[]) => GPU };
    instance = mod.create([]);
  }
  if (!g.navigator) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: instance }, configurable: true, writable: true });
    return () => void delete (globalThis as { navigator?: unknown }).navigator;
  }
  Object.defineProperty(g.navigator, 'gpu', { value: instance, configurable: true });
  return () => void delete (g.navigator as { gpu?: unknown }).gpu;
}

const PATCHED = Symbol('int-lab.sharedWriteBuffer');

function allowSharedWriteBuffer(queue: GPUQueue): void {
  const q = queue as GPUQueue & { [PATCHED]?: true };
  if (q[PATCHED] || typeof SharedArrayBuffer === 'undefined') return;
  const original = queue.writeBuffer.bind(queue);
  const patched = (buffer: GPUBuffer, offset: number, data: BufferSource | SharedArrayBuffer, dataOffset?: number, size?: number): void => {
    const view = ArrayBuffer.isView(data) ? data : null;
    const backing = view ? view.buffer : data;
    if (!(backing instanceof SharedArrayBuffer)) return original(buffer, offset, data as BufferSource, dataOffset, size);
    // dataOffset / size count elements for typed arrays and bytes otherwise (WebGPU's rule).
    const el = view && 'BYTES_PER_ELEMENT' in view ? (view as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT : 1;
    const base = view ? view.byteOffset : 0;
    const total = view ? view.byteLength : (data as SharedArrayBuffer).byteLength;
    const start = (dataOffset ?? 0) * el;
    const len = size === undefined ? total - start : size * el;
    const copy = new Uint8Array(len);
    copy.set(new Uint8Array(backing, base + start, len));
    original(buffer, offset, copy, 0, len);
  };
  Object.defineProperty(q, 'writeBuffer', { value: patched, configurable: true, writable: true });
  Object.defineProperty(q, PATCHED, { value: true });
}

export interface OrtMatMulSpec {
  M: number;
  K: number;
  N: number;
  /** Type of A, B and Y in the ONNX graph. */
  dtype: OnnxDType;
  /** B (K, N) row-major; stored in the model as a constant weight. */
  weights: Float32Array | Uint16Array;
}

/** Y (M, N) = A (M, K) @ B (K, N) as an ORT WebGPU session bound to the engine's tensors a and y. */
export class OrtMatMul {
  private constructor(
    private session: import('onnxruntime-web').InferenceSession,
    private feeds: Record<string, import('onnxruntime-web').Tensor>,
    private fetches: Record<string, import('onnxruntime-web').Tensor>,
  ) {}

  /**
   * Create the session. a: (M, K) and y: (M, N) engine tensors of the model's dtype ('f32' or 'f16');
   * ORT reads and writes their GPU buffers directly.
   */
  static async create(rt: OrtWebGpu, gpu: Gpu, spec: OrtMatMulSpec, a: Tensor, y: Tensor): Promise<OrtMatMul> {
    const { M, K, N, dtype } = spec;
    const want = (t: Tensor, name: string, shape: number[]) => {
      if (t.dtype !== dtype || t.shape.length !== 2 || t.shape[0] !== shape[0] || t.shape[1] !== shape[1]) {
        throw new Error(`OrtMatMul: ${name} must be [${shape.join(', ')}]:${dtype}, got ${t}`);
      }
    };
    want(a, 'a', [M, K]);
    want(y, 'y', [M, N]);
    if (dtype === 'f16' && !gpu.f16) throw new Error("OrtMatMul: an f16 model needs the device feature 'shader-f16', which this adapter lacks; use dtype 'f32'");
    const { ort } = rt;
    const model = buildMatMulModel({ M, K, N, dtype, weights: spec.weights });
    const session = await ort.InferenceSession.create(model, {
      executionProviders: [{ name: 'webgpu', device: gpu.device }],
      graphOptimizationLevel: 'all',
    });
    const dataType = dtype === 'f16' ? 'float16' : 'float32';
    const feeds = { A: ort.Tensor.fromGpuBuffer(a.buffer, { dataType, dims: [M, K] }) };
    const fetches = { Y: ort.Tensor.fromGpuBuffer(y.buffer, { dataType, dims: [M, N] }) };
    return new OrtMatMul(session, feeds, fetches);
  }

  /** One inference: reads a, writes y, all on the GPU. Its work is submitted on gpu.device's queue. */
  async run(): Promise<void> {
    await this.session.run(this.feeds, this.fetches);
  }

  async release(): Promise<void> {
    for (const t of [...Object.values(this.feeds), ...Object.values(this.fetches)]) t.dispose();
    await this.session.release();
  }
}
