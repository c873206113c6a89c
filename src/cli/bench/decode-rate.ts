// Decode FLOP/s against the matmul rate at the same shapes, for the model benchmark (model.ts): the FLOPs
// of one decode step (every linear layer and the lm_head on B rows, attention over the cache), and the
// GFLOP/s of the step's matmuls alone (the model's own weights, B activation rows), measured in the same run.
// Also the device calls per decode step (Gpu.counts between the timed steps' readbacks), and one layer's
// decode attention alone: the unsplit forward kernel against the split decode kernel, f32 and f16 caches.

import type { Gpu, GpuCounts, Tensor, Weight } from '../../gpu';
import { attentionForward } from '../../kernels/attention';
import { attentionDecode, decodeSplit } from '../../kernels/attention_decode';
import { linearForwardRows } from '../../kernels/matmul';
import type { ModelConfig } from '../../model/config';
import type { Decoder } from '../../model/decoder';
import { DEFAULT_LORA_MODULES } from '../../model/params';
import { linearKey } from '../../model/weights';

/** Multiply-add FLOPs per token of the linear layers and the lm_head (2 per weight element). */
export function matmulFlopsPerToken(c: ModelConfig): number {
  const [C, I, Hq, Hkv, D, V] = [c.hiddenSize, c.intermediateSize, c.numHeads, c.numKvHeads, c.headDim, c.vocabSize];
  const perLayer = C * Hq * D + 2 * C * Hkv * D + Hq * D * C + 3 * C * I;
  return 2 * (c.numLayers * perLayer + V * C);
}

/** Attention FLOPs per token over `keys` cached positions (q k^T and p v: 4 * D per head and key, every layer). */
export function attentionFlopsPerToken(c: ModelConfig, keys: number): number {
  return 4 * c.headDim * c.numHeads * keys * c.numLayers;
}

/** One timing of a step's matmuls: wall and process CPU milliseconds (all threads: on a CPU adapter the driver's workers run the kernels). */
export interface MatmulSample {
  wall: number;
  cpu: number;
}

/** `reps` timings of `run` (recorded work, synced): wall ms and the process's CPU ms for each. */
export async function timedSamples(gpu: Gpu, run: () => void, reps: number): Promise<MatmulSample[]> {
  const samples: MatmulSample[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = cpuMs();
    const wall = await gpu.time(run);
    samples.push({ wall, cpu: cpuMs() - c0 });
  }
  return samples;
}

/** Process CPU milliseconds so far (user + system, every thread). */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * `reps` timings (after a warm-up) of one decode step's matmuls alone: every layer's seven linear products and
 * the lm_head on B rows of zeros, with the model's weights (same dtype, kernels and tiles as decode). The
 * model bench takes samples before and after the decode runs they are compared with.
 */
export async function decodeMatmulMs(gpu: Gpu, model: Decoder, B: number, reps: number): Promise<MatmulSample[]> {
  const c = model.config;
  const temps: Tensor[] = [];
  const buf = (n: number, label: string) => {
    const t = gpu.zeros([B, n], 'f32', label);
    temps.push(t);
    return t;
  };
  try {
    const products: { y: Tensor; x: Tensor; w: Weight }[] = [];
    const xs = new Map<number, Tensor>();
    const xOf = (n: number) => xs.get(n) ?? (xs.set(n, buf(n, `rate.x${n}`)), xs.get(n)!);
    for (let l = 0; l < c.numLayers; l++) {
      for (const m of DEFAULT_LORA_MODULES) {
        const w = model.weights.byName.get(linearKey(l, m));
        if (!w) throw new Error(`model: no weight ${linearKey(l, m)} for the matmul-rate measurement`);
        products.push({ w, x: xOf(w.shape[1]), y: buf(w.shape[0], `rate.y.${m}`) });
      }
    }
    const head = model.weights.lmHead;
    products.push({ w: head, x: xOf(head.shape[1]), y: buf(head.shape[0], 'rate.logits') });
    const run = () => products.forEach((p) => linearForwardRows(gpu, p.y, p.x, p.w));
    await gpu.time(run); // pipelines compiled
    return await timedSamples(gpu, run, reps);
  } finally {
    temps.forEach((t) => t.release());
  }
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * A decode measurement against the matmul samples at its batch B: the matmuls' GFLOP/s (median wall time) and
 * decode's share of it, and the same by CPU time (less sensitive to other processes on a shared CPU machine;
 * meaningful on CPU adapters only): share_of_matmul_cpu = (decode FLOPs / decode CPU ms) / (matmul FLOPs / matmul CPU ms).
 */
export function matmulShare(c: ModelConfig, B: number, decodeGflops: number, decodeFlopsPerStep: number, decodeCpuMsPerStep: number, samples: MatmulSample[]) {
  const flops = B * matmulFlopsPerToken(c);
  const wall = med(samples.map((s) => s.wall));
  const cpu = med(samples.map((s) => s.cpu));
  const matmulGflops = flops / wall / 1e6;
  return {
    matmul_ms: r3(wall),
    matmul_gflops: r3(matmulGflops),
    share_of_matmul: r3(decodeGflops / matmulGflops),
    matmul_cpu_ms: r3(cpu),
    share_of_matmul_cpu: r3(decodeFlopsPerStep / decodeCpuMsPerStep / (flops / cpu)),
  };
}

/** Counts per step: (b - a) / n, rounded to 2 decimals. */
export function countsPerStep(a: GpuCounts, b: GpuCounts, n: number): Record<keyof GpuCounts, number> {
  const r = (x: number) => Math.round((x / n) * 100) / 100;
  return {
    dispatches: r(b.dispatches - a.dispatches),
    submits: r(b.submits - a.submits),
    readbacks: r(b.readbacks - a.readbacks),
    waits: r(b.waits - a.waits),
    writes: r(b.writes - a.writes),
  };
}

export interface DecodeAttentionRow {
  batch: number;
  keys: number;
  /** Milliseconds per call (median): the unsplit forward kernel (attentionForward, f32 cache: the decode path
   *  before the split kernel), the decode kernel with its split policy on an f32 and an f16 cache. */
  forward_ms: number;
  decode_f32_ms: number;
  decode_f16_ms: number | null;
  chunks: number;
  /** Cache bytes read per call (K and V, f32) over decode_f32_ms, in GB/s. */
  decode_f32_gbs: number;
}

/**
 * One layer's decode attention alone at Qwen2.5-0.5B's heads (14 query, 2 kv, D 64) for B slots of `keys`
 * cached tokens each: the unsplit attentionForward (as decode ran before) against attentionDecode (split
 * policy) on f32 and f16 caches. Median of `reps` after a warm-up; each timed call is one submission.
 */
export async function benchDecodeAttention(gpu: Gpu, batches: number[], keyCounts: number[], reps: number): Promise<DecodeAttentionRow[]> {
  const [Hq, Hkv, D] = [14, 2, 64];
  const rows: DecodeAttentionRow[] = [];
  const med = async (fn: () => void) => {
    await gpu.time(fn);
    const xs: number[] = [];
    for (let r = 0; r < reps; r++) xs.push(await gpu.time(fn));
    xs.sort((a, b) => a - b);
    return xs[xs.length >> 1];
  };
  for (const B of batches)
    for (const keys of keyCounts) {
      const bytes = B * Hkv * keys * D * 4;
      if (bytes > (gpu.limits.maxStorageBufferBindingSize ?? 128 * 1024 * 1024)) continue; // one cache tensor must fit a binding
      const t: Tensor[] = [];
      const mk = (shape: number[], dtype: 'f32' | 'f16' | 'u32' = 'f32') => (t.push(gpu.zeros(shape, dtype, 'bench.attn')), t[t.length - 1]);
      try {
        const q = mk([B, Hq, 1, D]);
        const out = mk([B, Hq, 1, D]);
        const lse = mk([B, Hq, 1]);
        const k = mk([B, Hkv, keys, D]);
        const v = mk([B, Hkv, keys, D]);
        const kvLens = gpu.upload(new Uint32Array(B).fill(keys), [B], 'u32');
        t.push(kvLens);
        const dims = { B, Hq, Hkv, Tk: keys, D };
        const forward_ms = await med(() => attentionForward(gpu, out, lse, q, k, v, { ...dims, Tq: 1 }, { kvLens }));
        const decode_f32_ms = await med(() => attentionDecode(gpu, out, lse, q, k, v, dims, { kvLens }));
        let decode_f16_ms: number | null = null;
        if (gpu.f16) {
          const k16 = mk([B, Hkv, keys, D], 'f16');
          const v16 = mk([B, Hkv, keys, D], 'f16');
          decode_f16_ms = await med(() => attentionDecode(gpu, out, lse, q, k16, v16, dims, { kvLens }));
        }
        const row = { batch: B, keys, forward_ms, decode_f32_ms, decode_f16_ms, chunks: decodeSplit(gpu, dims).chunks, decode_f32_gbs: (2 * bytes) / decode_f32_ms / 1e6 };
        rows.push(row);
      } finally {
        t.forEach((x) => x.release());
      }
    }
  return rows;
}
