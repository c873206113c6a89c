// Training throughput for the model benchmark (model.ts): LoRA and full fine-tune steps on one sequence
// (zero grads, forward, backward of mean NLL, AdamW), the model FLOPs of a step, and the GFLOP/s of the
// step's linear and lm_head products alone at the training shapes (the model's own weights and dtype, T rows:
// forward, dX, and dW for full), measured in the same run, so a step's FLOP/s is stated as a share of that
// matmul rate as decode's is (decode-rate.ts). Optionally one more step with timestamp queries: GPU time by kernel.

import { weightParts, wholeTensor, type Gpu, type GpuCounts, type Tensor, type Weight } from '../../gpu';
import { linearBackward, linearBackwardRows, linearForward, linearForwardRows } from '../../kernels/matmul';
import type { ModelConfig } from '../../model/config';
import type { Decoder } from '../../model/decoder';
import { LoraAdapter } from '../../model/lora';
import { planTraining } from '../../model/memory';
import { DEFAULT_LORA_MODULES } from '../../model/params';
import { linearKey } from '../../model/weights';
import { LR_PRESETS, OPTIM_DEFAULTS } from '../../train/config';
import { AdamW, type OptimParam } from '../../train/optimizer';
import { attentionFlopsPerToken, countsPerStep, cpuMs, matmulFlopsPerToken, timedSamples, type MatmulSample } from './decode-rate';
import { median } from './host';
import { timedTrainStep } from './train-step';

export type TrainMode = 'lora' | 'full';

/** FLOPs of one training step on one T-token sequence, by part (see TRAIN_FLOPS_NOTE). */
export interface TrainFlops {
  /** Linear and lm_head products: forward, dX, and dW (full); exactly the products trainMatmulMs times. */
  matmul: number;
  /** LoRA side path (forward, dX, dA and dB); 0 for full. */
  lora: number;
  /** Causal attention, forward and backward. */
  attention: number;
  total: number;
}

export const TRAIN_FLOPS_NOTE =
  'Model FLOPs of one step on T tokens (recomputation not counted: the layers\' forward rerun in backward, and the lm_head logits recomputed chunk by chunk where the forward does not keep them (row recomputed), are work the step does beyond these). ' +
  'N = linear + lm_head weights (matmul parameters). LoRA: forward 2·N·T + backward dX 2·(N − N_qkv0)·T (layer 0\'s q/k/v input gradient is not computed: the embedding is frozen) + LoRA 6·P·T (P = LoRA parameters: forward, dX, dA and dB) + attention. ' +
  'Full: forward 2·N·T + dX 2·N·T + dW 2·N·T + attention. Attention (both): 3 x forward, forward = 4·D·heads·layers·T(T+1)/2 (causal q·k and p·v; backward = 2 x forward). ' +
  'matmul_gflops: the forward, dX (and dW for full) products alone at those shapes (T activation rows of zeros, the model\'s own weights and dtype, the lm_head in the same logits chunks as training, dW into the model\'s gradient buffers), median of 2 samples before and 2 after the steps they are compared with; ' +
  'gflops = total FLOPs / median step time; share_of_matmul = gflops / matmul_gflops; share_of_matmul_cpu: the same with process CPU time (all threads) in place of wall time.';

const ATTN_IN = new Set(['q_proj', 'k_proj', 'v_proj']);

/** Model FLOPs of one training step on T tokens (one sequence); `loraParams`: the adapter's parameter count. */
export function trainFlops(c: ModelConfig, T: number, mode: TrainMode, loraParams: number): TrainFlops {
  const N = matmulFlopsPerToken(c) / 2;
  const qkv0 = c.hiddenSize * (c.numHeads + 2 * c.numKvHeads) * c.headDim;
  const fwd = 2 * N * T;
  const dX = 2 * (N - (mode === 'lora' ? qkv0 : 0)) * T;
  const dW = mode === 'full' ? 2 * N * T : 0;
  const matmul = fwd + dX + dW;
  const lora = mode === 'lora' ? 6 * loraParams * T : 0;
  const attention = 3 * T * attentionFlopsPerToken(c, (T + 1) / 2);
  return { matmul, lora, attention, total: matmul + lora + attention };
}

/**
 * `reps` timings of one training step's linear and lm_head products alone at T rows: every layer's seven
 * linear products forward and dX (not layer 0's q/k/v dX for LoRA), dW for full (into the model's gradient
 * buffers, accumulated: zeros), and the lm_head forward and backward in the logits chunks training uses.
 * Run after a training step has compiled the pipelines.
 */
export async function trainMatmulMs(gpu: Gpu, model: Decoder, T: number, mode: TrainMode, reps: number): Promise<MatmulSample[]> {
  const c = model.config;
  const temps: Tensor[] = [];
  const zeros = (shape: number[], label: string) => {
    const t = gpu.zeros(shape, 'f32', label);
    temps.push(t);
    return t;
  };
  const byWidth = new Map<string, Tensor>();
  const shared = (rows: number, n: number, tag: string) => {
    const k = `${tag}.${rows}.${n}`;
    return byWidth.get(k) ?? (byWidth.set(k, zeros([rows, n], `rate.${k}`)), byWidth.get(k)!);
  };
  const full = mode === 'full';
  const gradOf = (key: string): Weight | null => {
    if (!full) return null;
    const g = model.grads.get(key);
    if (!g) throw new Error(`model: no full fine-tune gradient for ${key} (build the Decoder with trainBase)`);
    return g;
  };
  try {
    const work: (() => void)[] = [];
    for (let l = 0; l < c.numLayers; l++) {
      for (const m of DEFAULT_LORA_MODULES) {
        const key = linearKey(l, m);
        const w = model.weights.byName.get(key);
        if (!w) throw new Error(`model: no weight ${key} for the matmul-rate measurement`);
        const wt = wholeTensor(w, 'train matmul rate');
        const [outF, inF] = wt.shape;
        const x = shared(T, inF, 'x');
        const y = zeros([T, outF], `rate.y.${m}`);
        const dX = full || l > 0 || !ATTN_IN.has(m) ? shared(T, inF, 'dx') : null;
        const g = gradOf(key);
        const dW = g ? wholeTensor(g, 'train matmul rate') : null;
        work.push(() => linearForward(gpu, y, x, wt));
        work.push(() => linearBackward(gpu, dX, dW, y, x, wt, { accumulateDW: true }));
      }
    }
    const head = model.weights.lmHead;
    const dHead = gradOf(c.tieEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
    const R = model.chunkRows(T);
    for (let r0 = 0; r0 < T; r0 += R) {
      const rows = Math.min(R, T - r0);
      const h = shared(rows, c.hiddenSize, 'h');
      const dh = shared(rows, c.hiddenSize, 'dh');
      const logits = shared(rows, c.vocabSize, 'logits');
      work.push(() => linearForwardRows(gpu, logits, h, head));
      work.push(() => linearBackwardRows(gpu, dh, dHead, logits, h, head, { accumulateDW: true }));
    }
    const run = () => work.forEach((f) => f());
    return await timedSamples(gpu, run, reps);
  } finally {
    temps.forEach((t) => t.release());
  }
}

/** A full fine-tune weight as optimiser parameters: itself, or one per row block (AdamW is elementwise). */
function fullParams(model: Decoder): OptimParam[] {
  return [...model.grads].flatMap(([name, grad]) => {
    const vs = weightParts(model.weights.byName.get(name)!);
    const gs = weightParts(grad);
    return vs.map((v, i) => ({ name: vs.length > 1 ? `${name}#${i}` : name, value: v, grad: gs[i] }));
  });
}

export interface TrainProfile {
  /** Wall ms of the profiled step (each dispatch in its own timed pass: slower than the timed steps). */
  wall_ms: number;
  /** GPU kernel ms summed over the step, and that of the matmul kernel alone. */
  kernel_ms: number;
  matmul_kernel_ms: number;
  /** The costliest kernels: name, GPU ms, calls. */
  top: { kernel: string; ms: number; calls: number }[];
}

export interface TrainRow {
  mode: TrainMode;
  seq: number;
  /** seq / median step time. */
  tps: number;
  step_ms: number;
  samples_ms: number[];
  /** Median split of a step (each phase sync'd): forward, backward, optimizer (grad norm, clip, AdamW). */
  forward_ms: number;
  backward_ms: number;
  optimizer_ms: number;
  trainable_params: number;
  /** Work the step does beyond the model FLOPs: the layers' forward rerun in backward (Decoder recompute), the
   *  lm_head logits recomputed in backward (T x vocab f32 over the decoder's keepLogitsBytes). */
  recomputed: { layers: boolean; logits: boolean };
  flops: TrainFlops;
  /** flops.total / step time, GFLOP/s. */
  gflops: number;
  cpu_ms_per_step: number;
  counts_per_step: Record<string, number>;
  /** The step's products alone (trainMatmulMs): median wall ms, GFLOP/s, the step's share of it; the same by CPU time. */
  matmul_ms: number;
  matmul_samples_ms: number[];
  matmul_gflops: number;
  share_of_matmul: number;
  matmul_cpu_ms: number;
  share_of_matmul_cpu: number;
  profile: TrainProfile | null;
  /** Pool peak over the timed steps alone (weights included; the matmul-rate products before and after are not). */
  peak_bytes: number;
  /** planTraining's figure for this step (LoRA rows; null for full fine-tuning, which the planner does not model). */
  planned_bytes: number | null;
}

export interface TrainBenchOptions {
  seqs: number[];
  rank: number;
  steps: number;
  seed: number;
  profile: boolean;
  log: (msg: string) => void;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const r1 = (x: number) => Math.round(x * 10) / 10;

/**
 * Training steps on one sequence per `seqs` entry: LoRA (an adapter of `rank` on all 7 linear modules, the
 * model's weights frozen) or full (model built with trainBase, f32 weights): zero grads, forward (train),
 * backward of mean NLL, AdamW (src/train/optimizer.ts). One warm-up step on min(32, first seq) tokens, then
 * per sequence length: matmul samples, `steps` timed steps, matmul samples, and (profile) one profiled step.
 */
export async function benchTrain(gpu: Gpu, model: Decoder, mode: TrainMode, o: TrainBenchOptions): Promise<TrainRow[]> {
  const c = model.config;
  if (mode === 'full' && !model.trainBase) throw new Error('model: the full fine-tune bench needs a Decoder built with { trainBase: true } (f32 weights)');
  const ad = mode === 'lora' ? LoraAdapter.create(gpu, model.weights.table, { rank: o.rank, alpha: 2 * o.rank, seed: o.seed }) : null;
  model.adapter = ad;
  const lr = mode === 'lora' ? LR_PRESETS.loraSmallSft : LR_PRESETS.paperFullFinetune;
  const params = ad ? ad.parameters() : fullParams(model);
  const trainable = params.reduce((n, p) => n + p.value.size, 0);
  const opt = new AdamW(gpu, params, { ...OPTIM_DEFAULTS, lr });
  const step = (T: number, seed: number) => timedTrainStep(gpu, model, opt, lr, T, seed, `${mode} training`);
  const rows: TrainRow[] = [];
  try {
    const warm = Math.min(o.seqs[0], 32);
    o.log(`train ${mode}: warm-up step on ${warm} tokens (${trainable} trainable params${ad ? `, LoRA rank ${o.rank}` : ''})`);
    await step(warm, o.seed + 100);
    for (const T of o.seqs) {
      const mm = await trainMatmulMs(gpu, model, T, mode, 2);
      const runs: { total: number; forward: number; backward: number; optimizer: number }[] = [];
      await gpu.sync();
      gpu.pool.resetPeak();
      const c0 = gpu.counts();
      const cpu0 = cpuMs();
      for (let s = 0; s < o.steps; s++) {
        runs.push(await step(T, o.seed + 200 + s));
        o.log(`train ${mode}: step ${s + 1}/${o.steps}: ${r1(runs[s].total)} ms for ${T} tokens`);
      }
      const cpuPerStep = (cpuMs() - cpu0) / o.steps;
      const counts = countsPerStep(c0, gpu.counts(), o.steps);
      const peakBytes = gpu.poolStats().peak;
      const plannedBytes = ad ? planTraining(c, { seqLen: T, rank: o.rank, weights: model.weights.dtype, maxBinding: gpu.limits.maxStorageBufferBindingSize }).totalBytes : null;
      mm.push(...(await trainMatmulMs(gpu, model, T, mode, 2)));
      let profile: TrainProfile | null = null;
      if (o.profile && gpu.profiler.supported) profile = await profiled(gpu, () => step(T, o.seed + 300));
      const ms = median(runs.map((r) => r.total));
      const flops = trainFlops(c, T, mode, ad?.numel ?? 0);
      const gflops = flops.total / ms / 1e6;
      const mmWall = median(mm.map((s) => s.wall));
      const mmCpu = median(mm.map((s) => s.cpu));
      const mmGflops = flops.matmul / mmWall / 1e6;
      const row: TrainRow = {
        mode,
        seq: T,
        tps: r3((T * 1000) / ms),
        step_ms: r1(ms),
        samples_ms: runs.map((r) => r1(r.total)),
        forward_ms: r1(median(runs.map((r) => r.forward))),
        backward_ms: r1(median(runs.map((r) => r.backward))),
        optimizer_ms: r1(median(runs.map((r) => r.optimizer))),
        trainable_params: trainable,
        recomputed: { layers: model.recompute, logits: T * c.vocabSize * 4 > model.keepLogitsBytes },
        flops,
        gflops: r3(gflops),
        cpu_ms_per_step: r1(cpuPerStep),
        counts_per_step: counts,
        matmul_ms: r1(mmWall),
        matmul_samples_ms: mm.map((s) => r1(s.wall)),
        matmul_gflops: r3(mmGflops),
        share_of_matmul: r3(gflops / mmGflops),
        matmul_cpu_ms: r1(mmCpu),
        share_of_matmul_cpu: r3(flops.total / cpuPerStep / (flops.matmul / mmCpu)),
        profile,
        peak_bytes: peakBytes,
        planned_bytes: plannedBytes,
      };
      rows.push(row);
      logTrain(o.log, row);
    }
    return rows;
  } finally {
    model.adapter = null;
    opt.release();
    ad?.release();
  }
}

/** One step with timestamp queries: GPU ms by kernel. */
async function profiled(gpu: Gpu, fn: () => Promise<unknown>): Promise<TrainProfile> {
  await gpu.sync();
  gpu.profiler.reset();
  gpu.profiler.enabled = true;
  const t0 = performance.now();
  try {
    await fn();
    await gpu.sync();
  } finally {
    gpu.profiler.enabled = false;
  }
  const wall = performance.now() - t0;
  const totals = [...gpu.profiler.totals].sort((a, b) => b[1].ns - a[1].ns);
  const kernel = totals.reduce((s, [, e]) => s + e.ns, 0) / 1e6;
  const mm = totals.filter(([k]) => k === 'matmul').reduce((s, [, e]) => s + e.ns, 0) / 1e6;
  gpu.profiler.reset();
  return { wall_ms: r1(wall), kernel_ms: r1(kernel), matmul_kernel_ms: r1(mm), top: totals.slice(0, 10).map(([k, e]) => ({ kernel: k, ms: r1(e.ns / 1e6), calls: e.calls })) };
}

function logTrain(log: (msg: string) => void, r: TrainRow): void {
  const per = r.counts_per_step as Partial<GpuCounts>;
  log(
    `train ${r.mode} T=${r.seq}: ${r.step_ms} ms/step (forward ${r.forward_ms}, backward ${r.backward_ms}, optimizer ${r.optimizer_ms}), ${r.tps} tokens/s, ` +
      `${r.gflops} GFLOP/s = ${r.share_of_matmul} of the products' ${r.matmul_gflops} GFLOP/s (${r.matmul_ms} ms; by CPU time ${r.share_of_matmul_cpu}); ` +
      `per step ${per.dispatches} dispatches, ${per.submits} submits, ${per.readbacks} readbacks`,
  );
  if (r.profile) {
    const p = r.profile;
    log(`train ${r.mode} T=${r.seq} profiled: wall ${p.wall_ms} ms, kernels ${p.kernel_ms} ms (matmul ${p.matmul_kernel_ms}); top: ${p.top.map((t) => `${t.kernel} ${t.ms}/${t.calls}`).join(', ')}`);
  }
}
