// Sampling benchmark for the kernels suite: top-k 20 + top-p 0.8 and top-p 0.9 alone at the 151,936-word vocabulary,
// the radix-select candidate path against the block-sort path, same logits, options and noise.

import type { Gpu, Tensor } from '../../gpu';
import { sampleTokens, type SampleOptions } from '../../kernels/sample';
import { uniformStream as rng } from '../../util/random';

export interface SamplingRow {
  name: string;
  vocab: number;
  batch: number;
  topK: number;
  topP: number;
  /** Median ms per call: radix select of the candidates (the default). */
  radix_ms: number | null;
  /** Median ms per call: block sorts of the row. */
  sort_ms: number | null;
  /** sort_ms / radix_ms (higher: the radix path is faster). */
  speedup: number | null;
  /** Both paths drew the same ids (same noise, so they must). */
  same_ids: boolean;
  timing: Record<string, { ms: number }>;
}

export const SAMPLING_VOCAB = 151936;

/** Roughly LM-shaped logits: Gaussian-ish, scale 3, a few large ones per row. */
function logitsHost(B: number, V: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(B * V);
  for (let i = 0; i < x.length; i++) x[i] = 3 * (r() + r() + r() - 1.5);
  for (let b = 0; b < B; b++) for (let t = 0; t < 8; t++) x[b * V + Math.floor(r() * V)] = 12 + 4 * r();
  return x;
}

/** The suite's interleaved timer (kernels.ts measureInterleaved), handed in so this file imports nothing from it. */
type Measure<C> = (gpu: Gpu, calls: Record<string, () => void>, cfg: C) => Promise<{ timings: Record<string, { ms: number }>; errors: Record<string, string> }>;

export async function benchSampling<C extends { quick: boolean }>(gpu: Gpu, cfg: C, measure: Measure<C>, log: (m: string) => void): Promise<SamplingRow[]> {
  const V = SAMPLING_VOCAB;
  const rows: SamplingRow[] = [];
  const batches = cfg.quick ? [1, 8] : [1, 8, 64];
  const cases: Array<{ name: string; topK: number; topP: number }> = [
    { name: 'sample.topk_topp', topK: 20, topP: 0.8 },
    { name: 'sample.topp', topK: 0, topP: 0.9 }, // 256 candidates
  ];
  for (const [c, B] of cases.flatMap((c) => batches.map((B) => [c, B] as const))) {
    const owned: Tensor[] = [];
    const keep = (t: Tensor) => (owned.push(t), t);
    try {
      const logits = keep(gpu.upload(logitsHost(B, V, 500 + B), [B, V], 'f32', 'bench.logits')); // (B, V)
      const ids = { radix: keep(gpu.empty([B], 'u32', 'bench.ids')), sort: keep(gpu.empty([B], 'u32', 'bench.idsSort')) };
      const logp = keep(gpu.empty([B], 'f32', 'bench.logp'));
      const opts: SampleOptions = { temperature: 0.7, topK: c.topK, topP: c.topP, seed: 9, step: 1 };
      const { timings, errors } = await measure(
        gpu,
        {
          radix: () => sampleTokens(gpu, ids.radix, logp, logits, { ...opts, selection: 'radix' }),
          sort: () => sampleTokens(gpu, ids.sort, logp, logits, { ...opts, selection: 'sort' }),
        },
        cfg,
      );
      if (Object.keys(errors).length) throw new Error(`sampling B=${B}: ${Object.entries(errors).map(([p, m]) => `${p}: ${m}`).join('; ')}`);
      const a = (await gpu.read(ids.radix)) as Uint32Array;
      const b = (await gpu.read(ids.sort)) as Uint32Array;
      const same = a.every((v, i) => v === b[i]);
      const r = timings.radix?.ms ?? null;
      const s = timings.sort?.ms ?? null;
      const speedup = r !== null && s !== null ? Number((s / r).toFixed(2)) : null;
      log(`sample ${B}x${V} top-k ${c.topK} top-p ${c.topP}: radix ${r?.toFixed(2)} ms, sort ${s?.toFixed(2)} ms (x${speedup})${same ? '' : ' — IDS DIFFER'}`);
      rows.push({ name: c.name, vocab: V, batch: B, topK: opts.topK, topP: opts.topP, radix_ms: r && Number(r.toFixed(3)), sort_ms: s && Number(s.toFixed(3)), speedup, same_ids: same, timing: timings });
    } finally {
      for (const t of owned) t.release();
    }
  }
  return rows;
}
