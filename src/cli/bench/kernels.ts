// Kernel benchmark: our matmul (f32 and f16 weights) against onnxruntime-web's WebGPU EP and the
// naive kernel, all on the same GPUDevice with the same shapes and layout; plus our attention.
// Usage through the bench CLI: `kernels [--quick] [--no-ort] [--no-naive] [--only=matmul|attention] [--budget-ms=N]`.

import { Gpu, describeAdapter, roundToHalf, type Tensor } from '../../gpu';
import { matmul, matmulNaive } from '../../kernels/matmul';
import { attentionBackward, attentionFlops, attentionForward, type AttnDims } from '../../kernels/attention';
import { OrtMatMul, initOrtWebGpu, type OrtWebGpu } from '../../bench/ort-runner';

export interface KernelBenchConfig {
  /** Reduced set for smoke tests (decode shapes, short attention). Default false. */
  quick: boolean;
  /** Time onnxruntime-web. Default true. */
  ort: boolean;
  /** Time the naive kernel. Default true. */
  naive: boolean;
  /** Also time ours in the engine's linear-layer layout (W (N, K), transB). Default true. */
  transB: boolean;
  /** Which families. Default both. */
  only: 'matmul' | 'attention' | null;
  /** Timed milliseconds to aim for per measurement (more reps for fast kernels). Default 2500; 400 with --quick. */
  budgetMs: number;
  /** Fewest timed samples (a single run slower than longRunMs stops after one sample past warm-up). Default 3; 2 with --quick. */
  minReps: number;
  /** Most timed samples. Default 15. */
  maxReps: number;
  /** A single call slower than this gets no more than minReps samples... or one, see minReps. Default 3000. */
  longRunMs: number;
}

const USAGE = 'kernels [--quick] [--no-ort] [--no-naive] [--no-transb] [--only=matmul|attention] [--budget-ms=N]';

export function parseKernelArgs(args: string[]): KernelBenchConfig {
  const quick = args.includes('--quick');
  const cfg: KernelBenchConfig = {
    quick,
    ort: true,
    naive: true,
    transB: true,
    only: null,
    budgetMs: quick ? 400 : 2500,
    minReps: quick ? 2 : 3,
    maxReps: 15,
    longRunMs: 3000,
  };
  for (const a of args) {
    if (a === 'kernels' || a === '--quick') continue;
    else if (a === '--no-ort') cfg.ort = false;
    else if (a === '--no-naive') cfg.naive = false;
    else if (a === '--no-transb') cfg.transB = false;
    else if (a.startsWith('--only=') && ['matmul', 'attention'].includes(a.slice(7))) cfg.only = a.slice(7) as 'matmul' | 'attention';
    else if (a.startsWith('--budget-ms=') && Number(a.slice(12)) > 0) cfg.budgetMs = Number(a.slice(12));
    else throw new Error(`kernels: unknown or malformed option '${a}'; usage: ${USAGE}`);
  }
  return cfg;
}

// ------------------------------------------------------------------ timing

export interface Timing {
  /** Median milliseconds per call. */
  ms: number;
  /** Fastest sample, milliseconds per call. */
  min_ms: number;
  /** Timed samples (each sync'd with gpu.time). */
  reps: number;
  /** Calls per sample (fast kernels are batched so one submit/sync does not dominate). */
  inner: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** One untimed warm-up (pipeline compilation), then timed samples within the config's budget. */
export async function measure(gpu: Gpu, fn: () => void | Promise<void>, cfg: KernelBenchConfig): Promise<Timing> {
  await gpu.time(fn);
  const first = await gpu.time(fn);
  const inner = first < 25 ? Math.min(64, Math.ceil(25 / Math.max(first, 0.05))) : 1;
  const samples: number[] = inner === 1 ? [first] : [];
  let spent = inner === 1 ? first : 0;
  const wanted = () =>
    samples.length < cfg.maxReps &&
    (samples.length < cfg.minReps || spent < cfg.budgetMs) &&
    !(first > cfg.longRunMs && samples.length >= 2);
  while (wanted()) {
    const t = await gpu.time(async () => {
      for (let i = 0; i < inner; i++) await fn();
    });
    spent += t;
    samples.push(t / inner);
  }
  return { ms: median(samples), min_ms: Math.min(...samples), reps: samples.length, inner };
}

// ------------------------------------------------------------------ data

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * (2 * r() - 1);
  return out;
}

function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

/** Max |got - ref| / max |ref| over sampled output entries, ref in float64 from the inputs each side received. */
function sampledError(got: Float32Array, a: Float32Array, w: Float32Array, M: number, K: number, N: number, roundA: boolean, roundW: boolean): number {
  const r = rng(99);
  let maxDiff = 0;
  let maxRef = 0;
  for (let s = 0; s < 64; s++) {
    const i = Math.floor(r() * M);
    const j = Math.floor(r() * N);
    let ref = 0;
    for (let k = 0; k < K; k++) {
      const av = roundA ? roundToHalf(a[i * K + k]) : a[i * K + k];
      const wv = roundW ? roundToHalf(w[k * N + j]) : w[k * N + j];
      ref += av * wv;
    }
    maxDiff = Math.max(maxDiff, Math.abs(got[i * N + j] - ref));
    maxRef = Math.max(maxRef, Math.abs(ref));
  }
  return maxRef > 0 ? maxDiff / maxRef : maxDiff;
}

// ------------------------------------------------------------------ suites

export interface KernelRow {
  name: string;
  shape: string;
  dtype: 'f32' | 'f16';
  flops: number;
  ours_gflops: number | null;
  ort_gflops: number | null;
  naive_gflops: number | null;
  /** Ours in the engine's linear-layer layout (W (N, K), transB); matmul rows only. */
  ours_transB_gflops?: number | null;
  ours_ms: number | null;
  ort_ms: number | null;
  naive_ms: number | null;
  ours_transB_ms?: number | null;
  /** Max error over 64 sampled outputs relative to max |reference| (float64 from each side's own inputs). */
  rel_err?: { ours: number | null; ort: number | null; naive: number | null; ours_transB: number | null };
  timing: Record<string, Timing>;
  ort_error?: string;
  note?: string;
}

const MATMUL_SHAPES: Array<{ name: string; M: number; K: number; N: number; quick: boolean }> = [
  { name: 'matmul.decode', M: 1, K: 896, N: 896, quick: true },
  { name: 'matmul.decode', M: 8, K: 896, N: 4864, quick: true },
  { name: 'matmul.training', M: 512, K: 896, N: 896, quick: false },
  { name: 'matmul.training', M: 512, K: 896, N: 4864, quick: false },
];

const gflops = (flops: number, ms: number | null) => (ms === null ? null : Number((flops / ms / 1e6).toFixed(3)));
const round = (x: number | null, d = 3) => (x === null ? null : Number(x.toFixed(d)));
const T0 = performance.now();
const log = (msg: string) => console.error(`[bench kernels ${((performance.now() - T0) / 1000).toFixed(1)}s] ${msg}`);

async function benchMatmul(gpu: Gpu, ort: OrtWebGpu | null, cfg: KernelBenchConfig, M: number, K: number, N: number, dtype: 'f32' | 'f16', name: string): Promise<KernelRow> {
  const shape = `${M}x${K}x${N}`;
  const flops = 2 * M * K * N;
  const aHost = uniform(M * K, 1000 + M); // (M, K)
  const wHost = uniform(K * N, 2000 + N, 1 / Math.sqrt(K)); // (K, N): the ONNX MatMul weight layout
  const roundW = dtype === 'f16';
  const row: KernelRow = { name, shape, dtype, flops, ours_gflops: null, ort_gflops: null, naive_gflops: null, ours_ms: null, ort_ms: null, naive_ms: null, timing: {} };
  const err: NonNullable<KernelRow['rel_err']> = { ours: null, ort: null, naive: null, ours_transB: null };
  const a = gpu.upload(aHost, [M, K], 'f32', 'bench.a'); // (M, K)
  const b = gpu.upload(wHost, [K, N], dtype, 'bench.b'); // (K, N)
  const y = gpu.empty([M, N], 'f32', 'bench.y'); // (M, N)
  try {
    const t = await measure(gpu, () => matmul(gpu, y, a, b), cfg);
    row.timing.ours = t;
    row.ours_ms = t.ms;
    err.ours = sampledError(await gpu.readF32(y), aHost, wHost, M, K, N, false, roundW);
    log(`${name} ${shape} ${dtype} ours ${t.ms.toFixed(2)} ms (${gflops(flops, t.ms)} GFLOP/s)`);

    if (cfg.transB) {
      const bt = gpu.upload(transpose(wHost, K, N), [N, K], dtype, 'bench.bT'); // (N, K)
      try {
        const tt = await measure(gpu, () => matmul(gpu, y, a, bt, { transB: true }), cfg);
        row.timing.ours_transB = tt;
        row.ours_transB_ms = tt.ms;
        row.ours_transB_gflops = gflops(flops, tt.ms);
        err.ours_transB = sampledError(await gpu.readF32(y), aHost, wHost, M, K, N, false, roundW);
        log(`${name} ${shape} ${dtype} ours transB ${tt.ms.toFixed(2)} ms (${row.ours_transB_gflops} GFLOP/s)`);
      } finally {
        bt.release();
      }
    }

    if (cfg.naive) {
      const tn = await measure(gpu, () => matmulNaive(gpu, y, a, b), cfg);
      row.timing.naive = tn;
      row.naive_ms = tn.ms;
      err.naive = sampledError(await gpu.readF32(y), aHost, wHost, M, K, N, false, roundW);
      log(`${name} ${shape} ${dtype} naive ${tn.ms.toFixed(2)} ms (${gflops(flops, tn.ms)} GFLOP/s)`);
    }

    if (ort) {
      // ONNX MatMul needs one type for A, B and Y: the f16 model is f16 end to end (A rounded to f16 here).
      const ao = dtype === 'f16' ? gpu.upload(aHost, [M, K], 'f16', 'bench.a16') : a;
      const yo = gpu.empty([M, N], dtype, 'bench.yOrt');
      let mm: OrtMatMul | null = null;
      try {
        mm = await OrtMatMul.create(ort, gpu, { M, K, N, dtype, weights: wHost }, ao, yo);
        const session = mm;
        const to = await measure(gpu, () => session.run(), cfg);
        row.timing.ort = to;
        row.ort_ms = to.ms;
        err.ort = sampledError(await gpu.readF32(yo), aHost, wHost, M, K, N, dtype === 'f16', roundW);
        log(`${name} ${shape} ${dtype} ort ${to.ms.toFixed(2)} ms (${gflops(flops, to.ms)} GFLOP/s)`);
      } catch (e) {
        row.ort_error = (e as Error).message;
        log(`${name} ${shape} ${dtype} ort failed: ${row.ort_error}`);
      } finally {
        await mm?.release();
        if (ao !== a) ao.release();
        yo.release();
      }
    }
  } finally {
    a.release();
    b.release();
    y.release();
  }
  row.ours_gflops = gflops(flops, row.ours_ms);
  row.ort_gflops = gflops(flops, row.ort_ms);
  row.naive_gflops = gflops(flops, row.naive_ms);
  for (const k of ['ours_ms', 'ort_ms', 'naive_ms', 'ours_transB_ms'] as const) if (row[k] !== undefined) row[k] = round(row[k] ?? null);
  row.rel_err = { ours: round(err.ours, 8), ort: round(err.ort, 8), naive: round(err.naive, 8), ours_transB: round(err.ours_transB, 8) };
  if (dtype === 'f16') row.note = 'ours: f32 activations, f16 weights, f32 accumulation and output; ort: f16 A, B and Y (ONNX MatMul has one element type)';
  return row;
}

async function benchAttention(gpu: Gpu, cfg: KernelBenchConfig, dims: AttnDims): Promise<KernelRow[]> {
  const { B, Hq, Hkv, Tq, Tk, D } = dims;
  const shape = `B=${B} Hq=${Hq} Hkv=${Hkv} T=${Tq} D=${D}`;
  const tensors: Tensor[] = [];
  const up = (n: number[], seed: number, label: string) => {
    const t = gpu.upload(uniform(n.reduce((s, d) => s * d, 1), seed), n, 'f32', label);
    tensors.push(t);
    return t;
  };
  const mk = (n: number[], label: string) => {
    const t = gpu.empty(n, 'f32', label);
    tensors.push(t);
    return t;
  };
  const q = up([B, Hq, Tq, D], 11, 'bench.q');
  const k = up([B, Hkv, Tk, D], 12, 'bench.k');
  const v = up([B, Hkv, Tk, D], 13, 'bench.v');
  const dOut = up([B, Hq, Tq, D], 14, 'bench.dOut');
  const out = mk([B, Hq, Tq, D], 'bench.out');
  const lse = mk([B, Hq, Tq], 'bench.lse');
  const dQ = mk([B, Hq, Tq, D], 'bench.dQ');
  const dK = mk([B, Hkv, Tk, D], 'bench.dK');
  const dV = mk([B, Hkv, Tk, D], 'bench.dV');
  const rows: KernelRow[] = [];
  const note = 'ours only: no ORT or naive attention is timed (null)';
  try {
    for (const pass of ['forward', 'backward'] as const) {
      const flops = attentionFlops(dims, pass);
      const fn = pass === 'forward' ? () => attentionForward(gpu, out, lse, q, k, v, dims) : () => attentionBackward(gpu, dQ, dK, dV, dOut, q, k, v, out, lse, dims);
      if (pass === 'backward') {
        attentionForward(gpu, out, lse, q, k, v, dims); // the saved out / lse the backward reads
        await gpu.sync();
      }
      const t = await measure(gpu, fn, cfg);
      log(`attention.${pass} ${shape} ours ${t.ms.toFixed(2)} ms (${gflops(flops, t.ms)} GFLOP/s)`);
      rows.push({ name: `attention.${pass}`, shape, dtype: 'f32', flops, ours_gflops: gflops(flops, t.ms), ort_gflops: null, naive_gflops: null, ours_ms: round(t.ms), ort_ms: null, naive_ms: null, timing: { ours: t }, note: `${note}; causal, flops count visible query-key pairs only` });
    }
  } finally {
    for (const t of tensors) t.release();
  }
  return rows;
}

export async function benchKernels(args: string[]): Promise<Record<string, unknown>> {
  const cfg = parseKernelArgs(args);
  const t0 = performance.now();
  const gpu = await Gpu.create();
  const where = describeAdapter(gpu.report);
  log(`adapter: ${where}`);
  let ort: OrtWebGpu | null = null;
  let ortError: string | null = null;
  if (cfg.ort && cfg.only !== 'attention') {
    try {
      ort = await initOrtWebGpu(gpu);
      log(`onnxruntime-web ${ort.version} WebGPU EP (${ort.runtime}) on the same GPUDevice`);
    } catch (e) {
      ortError = (e as Error).message;
      log(`onnxruntime-web unavailable: ${ortError}`);
    }
  }
  const results: KernelRow[] = [];
  try {
    if (cfg.only !== 'attention') {
      const dtypes: Array<'f32' | 'f16'> = gpu.f16 ? ['f32', 'f16'] : ['f32'];
      for (const dtype of dtypes)
        for (const s of MATMUL_SHAPES) {
          if (cfg.quick && !s.quick) continue;
          results.push(await benchMatmul(gpu, ort, cfg, s.M, s.K, s.N, dtype, s.name));
        }
    }
    if (cfg.only !== 'matmul') {
      const T = cfg.quick ? 64 : 256;
      results.push(...(await benchAttention(gpu, cfg, { B: 1, Hq: 14, Hkv: 2, Tq: T, Tk: T, D: 64 })));
    }
  } finally {
    gpu.destroy();
  }
  printTable(results);
  const runsOn = `${where} — Dawn in Node (the 'webgpu' package)`;
  return {
    suite: 'kernels',
    adapter: gpu.report,
    runs_on: {
      ours: runsOn,
      naive: cfg.naive ? runsOn : null,
      ort: ort ? `onnxruntime-web ${ort.version}, WebGPU EP in ${ort.runtime}, handed the same GPUDevice as ours: ${where}` : null,
    },
    ort: ort ? { version: ort.version, runtime: ort.runtime, ep: 'webgpu', device: 'shared with ours', io: 'input and output bound to GPU buffers (no host transfer per run)' } : { error: ortError ?? 'disabled (--no-ort)' },
    layout: 'A (M, K) and B (K, N) row-major, Y = A B (ONNX MatMul layout, B a constant weight), identical for ours, naive and ORT; ours_transB_* is the same product with W (N, K) and transB (the engine linear-layer layout y = x W^T)',
    method: `one warm-up call, then median of timed samples (each sync'd with gpu.time; calls under 25 ms are batched per sample), about ${cfg.budgetMs} ms per measurement, at least ${cfg.minReps} samples unless a call takes over ${cfg.longRunMs} ms`,
    config: cfg,
    elapsed_s: round((performance.now() - t0) / 1000, 1),
    results,
  };
}

function printTable(rows: KernelRow[]): void {
  const f = (x: number | null | undefined) => (x === null || x === undefined ? '-' : x.toFixed(2));
  log('name                shape                        dtype   ours  ours_tB    ort  naive  (GFLOP/s)   ours_ms');
  for (const r of rows) {
    log(`${r.name.padEnd(19)} ${r.shape.padEnd(28)} ${r.dtype.padEnd(5)} ${f(r.ours_gflops).padStart(6)} ${f(r.ours_transB_gflops).padStart(8)} ${f(r.ort_gflops).padStart(6)} ${f(r.naive_gflops).padStart(6)}              ${f(r.ours_ms).padStart(8)}`);
  }
}
