// Decode FLOP/s against the matmul rate at the same shapes, for the model benchmark (model.ts): the FLOPs
// of one decode step (every linear layer and the lm_head on B rows, attention over the cache), and the
// GFLOP/s of the step's matmuls alone (the model's own weights, B activation rows), measured in the same run.
// Also the device calls per decode step (Gpu.counts between the timed steps' readbacks).

import type { Gpu, GpuCounts, Tensor } from '../../gpu';
import { linearForward } from '../../kernels/matmul';
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

/**
 * Median wall milliseconds of one decode step's matmuls alone: every layer's seven linear products and the
 * lm_head on B rows of zeros, with the model's weights (same dtype, same kernels and tiles as decode).
 */
export async function decodeMatmulMs(gpu: Gpu, model: Decoder, B: number, reps: number): Promise<number> {
  const c = model.config;
  const temps: Tensor[] = [];
  const buf = (n: number, label: string) => {
    const t = gpu.zeros([B, n], 'f32', label);
    temps.push(t);
    return t;
  };
  try {
    const products: { y: Tensor; x: Tensor; w: Tensor }[] = [];
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
    const run = () => products.forEach((p) => linearForward(gpu, p.y, p.x, p.w));
    await gpu.time(run); // pipelines compiled
    const samples: number[] = [];
    for (let r = 0; r < reps; r++) samples.push(await gpu.time(run));
    samples.sort((a, b) => a - b);
    return samples[samples.length >> 1];
  } finally {
    temps.forEach((t) => t.release());
  }
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
