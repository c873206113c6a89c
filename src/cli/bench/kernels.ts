// Kernel benchmark: our matmul (f32 and f16 weights) against onnxruntime-web's WebGPU EP and the
// naive kernel, all on the same GPUDevice with the same shapes and layout; plus our attention, and
// top-k / top-p sampling at a 151,936-word vocabulary (radix-select against block-sort candidates).
// Usage through the bench CLI: `kernels [--quick] [options]` (see USAGE).

import { cpus, loadavg } from 'node:os';
import { Gpu, describeAdapter, roundToHalf, type Tensor } from '../../gpu';
import { matmul, matmulNaive } from '../../kernels/matmul';
import { attentionBackward, attentionFlops, attentionForward, type AttnDims } from '../../kernels/attention';
import { OrtMatMul, initOrtWebGpu, type OrtWebGpu } from '../../bench/ort-runner';
import { uniformStream as rng } from '../../util/random';
import { benchSampling, type SamplingRow } from './sampling';
import { fmaProbe, measureFmaPeak, nominalFmaPeak, type FmaPeak, type FmaProbe, type NominalPeak } from './fma-peak';

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
  only: 'matmul' | 'attention' | 'sample' | null;
  /** Timed milliseconds to aim for per measurement (more reps for fast kernels). Default 2500; 400 with --quick. */
  budgetMs: number;
  /** Fewest timed samples per implementation. Default 3; 2 with --quick. */
  minReps: number;
  /** Most timed samples. Default 15. */
  maxReps: number;
  /** A call slower than this (after warm-up) is timed once only. Default 3000. */
  longRunMs: number;
  /** How V8 compiles onnxruntime-web's WebAssembly in Node (see OrtInitOptions.wasmTier). Default 'optimized'; 'baseline' with --quick. */
  ortWasm: 'optimized' | 'baseline';
  /** Matmul shapes: 'default' (decode and 512-row training shapes) or 'model' (Qwen2.5-0.5B linear layers,
   *  M in {1, 8, 64, 256} x 896->896, 896->4864, 4864->896). Default 'default'. */
  shapes: 'default' | 'model';
  /** Measure the FMA ceilings (fma-peak.ts) and report matmul rates as shares of them. Default true with matmul. */
  peak: boolean;
}

const USAGE =
  'kernels [--quick] [--no-ort] [--no-naive] [--no-transb] [--no-peak] [--shapes=default|model] [--only=matmul|attention|sample] [--budget-ms=N] [--ort-wasm=optimized|baseline]';

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
    ortWasm: quick ? 'baseline' : 'optimized',
    shapes: 'default',
    peak: true,
  };
  for (const a of args) {
    if (a === 'kernels' || a === '--quick') continue;
    else if (a === '--no-ort') cfg.ort = false;
    else if (a === '--no-naive') cfg.naive = false;
    else if (a === '--no-transb') cfg.transB = false;
    else if (a === '--no-peak') cfg.peak = false;
    else if (a === '--shapes=default' || a === '--shapes=model') cfg.shapes = a.slice(9) as 'default' | 'model';
    else if (a.startsWith('--only=') && ['matmul', 'attention', 'sample'].includes(a.slice(7))) cfg.only = a.slice(7) as 'matmul' | 'attention' | 'sample';
    else if (a.startsWith('--budget-ms=') && Number(a.slice(12)) > 0) cfg.budgetMs = Number(a.slice(12));
    else if (a === '--ort-wasm=optimized' || a === '--ort-wasm=baseline') cfg.ortWasm = a.slice(11) as 'optimized' | 'baseline';
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

type Call = () => void | Promise<void>;

/**
 * Time several implementations of the same work, interleaved so that a change in machine load
 * hits all of them alike: each gets one untimed warm-up (pipeline compilation) and one sample to size
 * its batch, then rounds take one sample of every implementation that still wants more (at least
 * minReps, until its budget is spent or maxReps; a call over longRunMs keeps its single sample).
 * An implementation that throws is dropped and its error returned.
 */
export async function measureInterleaved(gpu: Gpu, calls: Record<string, Call>, cfg: KernelBenchConfig): Promise<{ timings: Record<string, Timing>; errors: Record<string, string> }> {
  interface State { fn: Call; inner: number; first: number; samples: number[]; spent: number }
  const states: Record<string, State> = {};
  const errors: Record<string, string> = {};
  for (const [name, fn] of Object.entries(calls)) {
    try {
      await gpu.time(fn);
      const first = await gpu.time(fn);
      const inner = first < 25 ? Math.min(64, Math.ceil(25 / Math.max(first, 0.05))) : 1;
      states[name] = { fn, inner, first, samples: inner === 1 ? [first] : [], spent: inner === 1 ? first : 0 };
    } catch (e) {
      errors[name] = (e as Error).message;
    }
  }
  const wants = (s: State) =>
    s.samples.length < cfg.maxReps && (s.samples.length < cfg.minReps || s.spent < cfg.budgetMs) && !(s.first > cfg.longRunMs && s.samples.length >= 1);
  for (;;) {
    const round = Object.entries(states).filter(([n, s]) => !(n in errors) && wants(s));
    if (round.length === 0) break;
    for (const [name, s] of round) {
      try {
        const t = await gpu.time(async () => {
          for (let i = 0; i < s.inner; i++) await s.fn();
        });
        s.spent += t;
        s.samples.push(t / s.inner);
      } catch (e) {
        errors[name] = (e as Error).message;
      }
    }
  }
  const timings: Record<string, Timing> = {};
  for (const [name, s] of Object.entries(states)) {
    if (name in errors || s.samples.length === 0) continue;
    timings[name] = { ms: median(s.samples), min_ms: Math.min(...s.samples), reps: s.samples.length, inner: s.inner };
  }
  return { timings, errors };
}

// ------------------------------------------------------------------ data


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
  /** 'ok', or which implementations' sampled errors exceed the tolerance (a wrong result is not a benchmark). */
  check?: string;
  timing: Record<string, Timing>;
  ort_error?: string;
  note?: string;
  /** GFLOP/s of the FMA probe timed in the same interleaved rounds as this row's matmuls (with --peak). */
  fma_gflops?: number | null;
  /** ours / ours_transB GFLOP/s over fma_gflops (same rounds, so load changes cancel) and the nominal CPU peak (with --peak). */
  share_of_peak?: {
    adapter_fma: { ours: number | null; ours_transB: number | null };
    /** Wall-clock GFLOP/s over the nominal peak of an idle machine: understated while other processes load the CPUs. */
    nominal: { ours: number | null; ours_transB: number | null };
    /** adapter_fma share x (probe GFLOP/s per CPU time / nominal): the nominal share with the load taken out. */
    nominal_idle_est: { ours: number | null; ours_transB: number | null };
  };
}

const MATMUL_SHAPES: Array<{ name: string; M: number; K: number; N: number; quick: boolean }> = [
  { name: 'matmul.decode', M: 1, K: 896, N: 896, quick: true },
  { name: 'matmul.decode', M: 8, K: 896, N: 4864, quick: true },
  { name: 'matmul.training', M: 512, K: 896, N: 896, quick: false },
  { name: 'matmul.training', M: 512, K: 896, N: 4864, quick: false },
];

/** Qwen2.5-0.5B linear layers (hidden 896, MLP 4864) at decode (M = 1, 8) and prefill / training rows (64, 256). */
const MODEL_SHAPES = [1, 8, 64, 256].flatMap((M) =>
  [[896, 896], [896, 4864], [4864, 896]].map(([K, N]) => ({ name: M <= 8 ? 'matmul.decode' : 'matmul.model', M, K, N, quick: M <= 8 })),
);

const gflops = (flops: number, ms: number | null) => (ms === null ? null : Number((flops / ms / 1e6).toFixed(3)));
const round = (x: number | null, d = 3) => (x === null ? null : Number(x.toFixed(d)));
const T0 = performance.now();
const log = (msg: string) => console.error(`[bench kernels ${((performance.now() - T0) / 1000).toFixed(1)}s] ${msg}`);

async function benchMatmul(gpu: Gpu, ort: OrtWebGpu | null, cfg: KernelBenchConfig, M: number, K: number, N: number, dtype: 'f32' | 'f16', name: string, probe: FmaProbe | null = null): Promise<KernelRow> {
  const shape = `${M}x${K}x${N}`;
  const flops = 2 * M * K * N;
  const aHost = uniform(M * K, 1000 + M); // (M, K)
  const wHost = uniform(K * N, 2000 + N, 1 / Math.sqrt(K)); // (K, N): the ONNX MatMul weight layout
  const row: KernelRow = { name, shape, dtype, flops, ours_gflops: null, ort_gflops: null, naive_gflops: null, ours_ms: null, ort_ms: null, naive_ms: null, timing: {} };
  const owned: Tensor[] = [];
  const keep = (t: Tensor) => (owned.push(t), t);
  const a = keep(gpu.upload(aHost, [M, K], 'f32', 'bench.a')); // (M, K)
  const b = keep(gpu.upload(wHost, [K, N], dtype, 'bench.b')); // (K, N)
  // One output per implementation, so every result can be checked after the interleaved timing.
  const outs: Record<string, { y: Tensor; roundA: boolean }> = {};
  const calls: Record<string, Call> = {};
  const y = keep(gpu.empty([M, N], 'f32', 'bench.y')); // (M, N)
  calls.ours = () => matmul(gpu, y, a, b);
  outs.ours = { y, roundA: false };
  if (cfg.transB) {
    const bt = keep(gpu.upload(transpose(wHost, K, N), [N, K], dtype, 'bench.bT')); // (N, K)
    const yT = keep(gpu.empty([M, N], 'f32', 'bench.yT'));
    calls.ours_transB = () => matmul(gpu, yT, a, bt, { transB: true });
    outs.ours_transB = { y: yT, roundA: false };
  }
  if (cfg.naive) {
    const yN = keep(gpu.empty([M, N], 'f32', 'bench.yNaive'));
    calls.naive = () => matmulNaive(gpu, yN, a, b);
    outs.naive = { y: yN, roundA: false };
  }
  if (probe) calls.fma_probe = probe.call; // the adapter's FMA ceiling in the same rounds
  let session: OrtMatMul | null = null;
  try {
    if (ort) {
      // ONNX MatMul has one element type for A, B and Y: the f16 model is f16 end to end (A rounded to f16).
      const ao = dtype === 'f16' ? keep(gpu.upload(aHost, [M, K], 'f16', 'bench.a16')) : a;
      const yo = keep(gpu.empty([M, N], dtype, 'bench.yOrt'));
      try {
        const s = (session = await OrtMatMul.create(ort, gpu, { M, K, N, dtype, weights: wHost }, ao, yo));
        calls.ort = () => s.run();
        outs.ort = { y: yo, roundA: dtype === 'f16' };
      } catch (e) {
        row.ort_error = (e as Error).message;
      }
    }
    const { timings, errors } = await measureInterleaved(gpu, calls, cfg);
    if (errors.ort) row.ort_error = errors.ort;
    const failed = Object.entries(errors).filter(([k]) => k !== 'ort');
    if (failed.length) throw new Error(`${name} ${shape} ${dtype}: ${failed.map(([k, m]) => `${k}: ${m}`).join('; ')}`);
    row.timing = timings;
    const err: Record<string, number | null> = { ours: null, ort: null, naive: null, ours_transB: null };
    for (const [k, o] of Object.entries(outs)) {
      if (timings[k]) err[k] = round(sampledError(await gpu.readF32(o.y), aHost, wHost, M, K, N, o.roundA, dtype === 'f16'), 8);
    }
    row.rel_err = { ours: err.ours, ort: err.ort, naive: err.naive, ours_transB: err.ours_transB };
    // f32 accumulation over K = 896 stays near 1e-6; ORT's f16 model also rounds A, partial sums and Y to f16.
    const tol = (k: string) => (k === 'ort' && dtype === 'f16' ? 3e-2 : 1e-4);
    const bad = Object.entries(err).filter(([k, e]) => e !== null && !(e <= tol(k)));
    row.check = bad.length ? `MISMATCH: ${bad.map(([k, e]) => `${k} rel_err ${e} > ${tol(k)}`).join(', ')}` : 'ok';
  } finally {
    await session?.release();
    for (const t of owned) t.release();
  }
  const ms = (k: string) => (row.timing[k] ? row.timing[k].ms : null);
  row.ours_ms = round(ms('ours'));
  row.ort_ms = round(ms('ort'));
  row.naive_ms = round(ms('naive'));
  row.ours_gflops = gflops(flops, ms('ours'));
  row.ort_gflops = gflops(flops, ms('ort'));
  row.naive_gflops = gflops(flops, ms('naive'));
  if (cfg.transB) {
    row.ours_transB_ms = round(ms('ours_transB'));
    row.ours_transB_gflops = gflops(flops, ms('ours_transB'));
  }
  if (probe) row.fma_gflops = gflops(probe.flops, ms('fma_probe'));
  if (dtype === 'f16') row.note = 'ours: f32 activations, f16 weights, f32 accumulation and output; ort: f16 A, B and Y (ONNX MatMul has one element type)';
  const g = (k: string) => gflops(flops, ms(k)) ?? '-';
  log(`${name} ${shape} ${dtype}: ours ${g('ours')}, ours transB ${g('ours_transB')}, ort ${g('ort')}, naive ${g('naive')} GFLOP/s; check ${row.check ?? '-'}${row.ort_error ? ` (ort failed: ${row.ort_error})` : ''}`);
  return row;
}

async function benchAttention(gpu: Gpu, cfg: KernelBenchConfig, dims: AttnDims): Promise<KernelRow[]> {
  const { B, Hq, Hkv, Tq, Tk, D } = dims;
  const shape = `B=${B} Hq=${Hq} Hkv=${Hkv} T=${Tq} D=${D}`;
  const owned: Tensor[] = [];
  const up = (n: number[], seed: number, label: string) => {
    const t = gpu.upload(uniform(n.reduce((s, d) => s * d, 1), seed), n, 'f32', label);
    owned.push(t);
    return t;
  };
  const mk = (n: number[], label: string) => {
    const t = gpu.empty(n, 'f32', label);
    owned.push(t);
    return t;
  };
  const q = up([B, Hq, Tq, D], 11, 'bench.q'); // (B, Hq, T, D)
  const k = up([B, Hkv, Tk, D], 12, 'bench.k'); // (B, Hkv, T, D)
  const v = up([B, Hkv, Tk, D], 13, 'bench.v'); // (B, Hkv, T, D)
  const dOut = up([B, Hq, Tq, D], 14, 'bench.dOut'); // (B, Hq, T, D)
  const out = mk([B, Hq, Tq, D], 'bench.out'); // (B, Hq, T, D)
  const lse = mk([B, Hq, Tq], 'bench.lse'); // (B, Hq, T)
  const dQ = mk([B, Hq, Tq, D], 'bench.dQ');
  const dK = mk([B, Hkv, Tk, D], 'bench.dK');
  const dV = mk([B, Hkv, Tk, D], 'bench.dV');
  try {
    attentionForward(gpu, out, lse, q, k, v, dims); // the saved out / lse the backward reads
    const { timings, errors } = await measureInterleaved(
      gpu,
      {
        forward: () => attentionForward(gpu, out, lse, q, k, v, dims),
        backward: () => attentionBackward(gpu, dQ, dK, dV, dOut, q, k, v, out, lse, dims),
      },
      cfg,
    );
    if (Object.keys(errors).length) throw new Error(`attention ${shape}: ${Object.entries(errors).map(([p, m]) => `${p}: ${m}`).join('; ')}`);
    return (['forward', 'backward'] as const).map((pass) => {
      const flops = attentionFlops(dims, pass);
      const t = timings[pass];
      log(`attention.${pass} ${shape}: ours ${t.ms.toFixed(2)} ms (${gflops(flops, t.ms)} GFLOP/s)`);
      return {
        name: `attention.${pass}`, shape, dtype: 'f32' as const, flops,
        ours_gflops: gflops(flops, t.ms), ort_gflops: null, naive_gflops: null,
        ours_ms: round(t.ms), ort_ms: null, naive_ms: null, timing: { ours: t },
        note: 'ours only (no ORT or naive attention timed); causal, GQA; flops count visible query-key pairs only',
      };
    });
  } finally {
    for (const t of owned) t.release();
  }
}

export async function benchKernels(args: string[]): Promise<Record<string, unknown>> {
  const cfg = parseKernelArgs(args);
  const t0 = performance.now();
  const loadStart = loadavg()[0];
  log(`host: ${cpus().length} CPUs, 1-minute load average ${loadStart.toFixed(2)} (lavapipe runs on these CPUs: other load skews every number)`);
  const gpu = await Gpu.create();
  const where = describeAdapter(gpu.report);
  log(`adapter: ${where}`);
  let ort: OrtWebGpu | null = null;
  let ortError: string | null = null;
  if (cfg.ort && (cfg.only === null || cfg.only === 'matmul')) {
    try {
      log(`loading onnxruntime-web (wasm tier: ${cfg.ortWasm}${cfg.ortWasm === 'optimized' ? '; the first run waits for V8 to optimize ~27 MB of wasm' : ''})`);
      ort = await initOrtWebGpu(gpu, { wasmTier: cfg.ortWasm });
      log(`onnxruntime-web ${ort.version} WebGPU EP (${ort.runtime}) on the same GPUDevice, ready in ${(ort.initMs / 1000).toFixed(1)} s`);
    } catch (e) {
      ortError = (e as Error).message;
      log(`onnxruntime-web unavailable: ${ortError}`);
    }
  }
  const results: KernelRow[] = [];
  let sampling: SamplingRow[] = [];
  const withMatmul = cfg.only === null || cfg.only === 'matmul';
  let fmaPeak: FmaPeak | null = null;
  let fmaPeakAfter: FmaPeak | null = null;
  const nominal: NominalPeak | null = cfg.peak && withMatmul ? nominalFmaPeak() : null;
  try {
    if (withMatmul) {
      if (cfg.peak) fmaPeak = await measureFmaPeak(gpu, cfg, measureInterleaved, log);
      const best = fmaPeak?.variants.reduce((a, v) => ((v.gflops ?? 0) > (a.gflops ?? 0) ? v : a));
      const probe = fmaPeak ? fmaProbe(gpu, best?.chains === 8 ? 8 : 4) : null;
      if (nominal) log(`nominal CPU FMA peak: ${nominal.gflops ?? 'unknown'} GFLOP/s = ${nominal.cores} cores x ${nominal.fma_lanes_per_cycle ?? '?'} lanes x 2 x ${nominal.clock_ghz ?? '?'} GHz (${nominal.lanes_source}; clock: ${nominal.clock_source})`);
      const dtypes: Array<'f32' | 'f16'> = gpu.f16 ? ['f32', 'f16'] : ['f32'];
      for (const dtype of dtypes)
        for (const s of cfg.shapes === 'model' ? MODEL_SHAPES : MATMUL_SHAPES) {
          if (cfg.quick && !s.quick) continue;
          const row = await benchMatmul(gpu, ort, cfg, s.M, s.K, s.N, dtype, s.name, probe);
          if (cfg.peak) addShares(row, row.fma_gflops ?? null, nominal?.gflops ?? null, fmaPeak?.cpu_gflops ?? null);
          results.push(row);
        }
      probe?.release();
      // again after the matmuls: the two bracket any change of machine load during the run
      if (fmaPeak) fmaPeakAfter = await measureFmaPeak(gpu, cfg, measureInterleaved, log);
    }
    if (cfg.only === null || cfg.only === 'sample') sampling = await benchSampling(gpu, cfg, measureInterleaved, log);
    if (cfg.only === null || cfg.only === 'attention') {
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
    ort: ort
      ? {
          version: ort.version,
          runtime: ort.runtime,
          ep: 'webgpu',
          device: 'shared with ours',
          io: 'input and output bound to the engine GPU buffers (no host transfer per run)',
          wasm_tier: ort.wasmTier,
          init_s: round(ort.initMs / 1000, 1),
        }
      : { error: ortError ?? (cfg.ort ? `not needed (--only=${cfg.only})` : 'disabled (--no-ort)') },
    layout: 'A (M, K) and B (K, N) row-major, Y = A B (ONNX MatMul layout, B a constant weight), identical for ours, naive and ORT; ours_transB_* is the same product with W (N, K) and transB (the engine linear-layer layout y = x W^T)',
    method:
      `per implementation one warm-up call, then the median of timed samples taken in interleaved rounds (each sample sync'd with gpu.time; ` +
      `calls under 25 ms are batched within a sample); about ${cfg.budgetMs} ms of samples each, at least ${cfg.minReps}, one only when a call takes over ${cfg.longRunMs} ms. ` +
      'GFLOP/s = 2*M*K*N (matmul) or attentionFlops (attention) / median time.',
    config: cfg,
    host: { cpus: cpus().length, loadavg_1m_start: round(loadStart, 2), loadavg_1m_end: round(loadavg()[0], 2) },
    peak: cfg.peak && withMatmul ? { adapter_fma: fmaPeak, adapter_fma_after: fmaPeakAfter, nominal, shares: 'results[].share_of_peak: GFLOP/s / peak GFLOP/s; adapter_fma: over results[].fma_gflops, the FMA probe timed in the same interleaved rounds as the row (adapter_fma / adapter_fma_after: the probe alone before and after all rows)' } : null,
    elapsed_s: round((performance.now() - t0) / 1000, 1),
    results,
    sampling,
  };
}

/** Matmul GFLOP/s (ours, ours_transB) as shares of the adapter's FMA ceiling and the nominal CPU peak. */
function addShares(row: KernelRow, fma: number | null, nominal: number | null, fmaPerCpu: number | null): void {
  const share = (g: number | null | undefined, peak: number | null) => (g == null || !peak ? null : Number((g / peak).toFixed(4)));
  const adapter = { ours: share(row.ours_gflops, fma), ours_transB: share(row.ours_transB_gflops, fma) };
  const idle = (s: number | null) => (s === null || !fmaPerCpu || !nominal ? null : Number(((s * fmaPerCpu) / nominal).toFixed(4)));
  row.share_of_peak = {
    adapter_fma: adapter,
    nominal: { ours: share(row.ours_gflops, nominal), ours_transB: share(row.ours_transB_gflops, nominal) },
    nominal_idle_est: { ours: idle(adapter.ours), ours_transB: idle(adapter.ours_transB) },
  };
  const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
  const sp = row.share_of_peak;
  log(`  share of peak ${row.shape} ${row.dtype}: ours ${pct(sp.adapter_fma.ours)} of the adapter FMA ceiling (${fma ?? '-'} GFLOP/s in the same rounds), ${pct(sp.nominal.ours)} of nominal (${pct(sp.nominal_idle_est.ours)} load taken out); ours transB ${pct(sp.adapter_fma.ours_transB)} / ${pct(sp.nominal.ours_transB)} (${pct(sp.nominal_idle_est.ours_transB)})`);
}

function printTable(rows: KernelRow[]): void {
  const f = (x: number | null | undefined) => (x === null || x === undefined ? '-' : x.toFixed(2));
  log('name                shape                        dtype   ours  ours_tB    ort  naive  (GFLOP/s)   ours_ms');
  for (const r of rows) {
    log(`${r.name.padEnd(19)} ${r.shape.padEnd(28)} ${r.dtype.padEnd(5)} ${f(r.ours_gflops).padStart(6)} ${f(r.ours_transB_gflops).padStart(8)} ${f(r.ort_gflops).padStart(6)} ${f(r.naive_gflops).padStart(6)}              ${f(r.ours_ms).padStart(8)}`);
  }
}
