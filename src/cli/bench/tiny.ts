// Tiny-model benchmark: what one RL stage of the chains-critical preset costs on the embedded model,
// where per-step overhead (dispatches, queue submits, GPU->CPU readbacks) outweighs arithmetic:
// (a) batched sampling as rlStep does it (promptsPerStep x numGenerations slots, temperature 1, LoRA on),
// (b) one training step (LoRA and full fine-tune) over those rollouts in the preset's micro-batches,
// (c) with timestamp queries, the share of wall time the GPU spends in kernels.
// Usage through the bench CLI: `tiny [--model DIR] [--reps=N] [--no-profile]`.

import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { Gpu, type GpuCounts } from '../../gpu';
import { INT_PRESETS, resolveIntConfig } from '../../int/config';
import { taskOf } from '../../int/experiment';
import { loadBaseModel } from '../../int/model';
import { rlPrompt } from '../../int/train-arm';
import { NodeFolderSource } from '../../io/folder';
import { Decoder } from '../../model/decoder';
import { generate, type GeneratedSample } from '../../model/generate';
import { LoraAdapter } from '../../model/lora';
import { Trainer, type TrainRow } from '../../train/trainer';
import { ARMS } from '../../int/arms';

const USAGE = 'tiny [--model DIR] [--reps=N] [--no-profile]';

export interface TinyBenchConfig {
  /** Model folder. Default public/models/chains-critical (the preset's model). */
  model: string;
  /** Timed repetitions of each measurement (after one warm-up). Default 2. */
  reps: number;
  /** Also run each measurement once with timestamp queries for the GPU-time share. Default true. */
  profile: boolean;
}

export function parseTinyArgs(args: string[]): TinyBenchConfig {
  const cfg: TinyBenchConfig = { model: 'public/models/chains-critical', reps: 2, profile: true };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === 'tiny') continue;
    if (a === '--no-profile') cfg.profile = false;
    else if (a === '--model') {
      if (!args[i + 1]) throw new Error(`tiny: --model needs a folder; usage: ${USAGE}`);
      cfg.model = args[++i];
    } else if (a.startsWith('--model=')) cfg.model = a.slice(8);
    else if (a.startsWith('--reps=')) {
      const n = Number(a.slice(7));
      if (!Number.isInteger(n) || n < 1) throw new Error(`tiny: --reps needs a positive integer, got '${a.slice(7)}'; usage: ${USAGE}`);
      cfg.reps = n;
    } else throw new Error(`tiny: unknown option '${a}'; usage: ${USAGE}`);
  }
  return cfg;
}

function diff(a: GpuCounts, b: GpuCounts): GpuCounts {
  return { dispatches: b.dispatches - a.dispatches, submits: b.submits - a.submits, readbacks: b.readbacks - a.readbacks, waits: b.waits - a.waits, writes: b.writes - a.writes };
}

function per(c: GpuCounts, n: number): Record<keyof GpuCounts, number> {
  const r = (x: number) => Math.round((x / n) * 100) / 100;
  return { dispatches: r(c.dispatches), submits: r(c.submits), readbacks: r(c.readbacks), waits: r(c.waits), writes: r(c.writes) };
}

/** Wall ms, this process's CPU ms (all its threads: JS, Dawn and the CPU adapter's workers, so less
 *  sensitive than wall time to other processes on a shared machine), counters and (when profiling) GPU
 *  kernel ns of `fn`, which ends with the GPU idle. */
async function measure<T>(gpu: Gpu, fn: () => Promise<T>, profile = false): Promise<{ ms: number; cpuMs: number; counts: GpuCounts; gpuMs: number | null; top: string[]; out: T }> {
  await gpu.sync();
  gpu.profiler.reset();
  gpu.profiler.enabled = profile && gpu.profiler.supported;
  const c0 = gpu.counts();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await fn();
  await gpu.sync();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const counts = diff(c0, gpu.counts());
  let gpuMs: number | null = null;
  let top: string[] = [];
  if (gpu.profiler.enabled) {
    const totals = [...gpu.profiler.totals];
    gpuMs = totals.reduce((s, [, e]) => s + e.ns, 0) / 1e6;
    top = totals
      .sort((a, b) => b[1].ns - a[1].ns)
      .slice(0, 8)
      .map(([k, e]) => `${k} ${round(e.ns / 1e6, 1)} ms / ${e.calls}`);
    gpu.profiler.enabled = false;
  }
  return { ms, cpuMs, counts, gpuMs, top, out };
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

export async function benchTiny(args: string[]): Promise<Record<string, unknown>> {
  const cfg = parseTinyArgs(args);
  const gpu = await Gpu.create();
  const config = resolveIntConfig(INT_PRESETS['chains-critical'].config);
  const rl = config.rl;
  const base = await loadBaseModel(gpu, new NodeFolderSource(resolve(cfg.model)), cfg.model);
  const model = base.decoder;
  const task = await taskOf(config);
  const problems = task.problems('train').filter((p) => p.difficulty === 'critical');
  const arm = ARMS.rl;
  const prompts = problems.slice(0, rl.promptsPerStep).map((p) => base.codec.promptIds(rlPrompt(task, arm, p, 0)));
  const G = rl.numGenerations;
  const S = prompts.length * G;
  const genOpts = { groupSize: G, maxNewTokens: rl.maxCompletionLength, temperature: rl.temperature, topK: rl.topK, topP: rl.topP, logpMode: 'tempered' as const };
  const log = (s: string) => console.error(s);
  log(`tiny bench: ${gpu.describe()}; ${cfg.model} (${model.config.numLayers} layers, hidden ${model.config.hiddenSize}, vocab ${model.config.vocabSize}); ${S} slots = ${prompts.length} prompts x ${G}, up to ${rl.maxCompletionLength} new tokens`);

  // (a) sampling, with the preset's LoRA adapter attached as in the RL stage (its B starts at zero, so the
  // samples are the base model's). Decode steps = the longest sample's tokens (one forward per step after the prefill).
  const lora = LoraAdapter.create(gpu, base.table, { ...config.lora, seed: 1 });
  model.adapter = lora;
  let samples: GeneratedSample[] = await generate(model, prompts, { ...genOpts, seed: 0 }); // warm-up (pipelines)
  const sampling: Array<Record<string, unknown>> = [];
  for (let r = 0; r < cfg.reps; r++) {
    const m = await measure(gpu, () => generate(model, prompts, { ...genOpts, seed: r + 1 }));
    samples = m.out;
    const tokens = samples.reduce((n, s) => n + s.tokens.length, 0);
    const steps = Math.max(...samples.map((s) => s.tokens.length));
    sampling.push({ ms: round(m.ms, 1), cpuMs: round(m.cpuMs, 1), tokens, steps, tokensPerSec: round((tokens / m.ms) * 1000, 1), msPerStep: round(m.ms / steps, 2), cpuMsPerStep: round(m.cpuMs / steps, 2), perStep: per(m.counts, steps) });
    log(`sampling rep ${r}: ${JSON.stringify(sampling[r])}`);
  }
  let samplingGpuShare: number | null = null;
  if (cfg.profile && gpu.profiler.supported) {
    const m = await measure(gpu, () => generate(model, prompts, { ...genOpts, seed: 1 }), true);
    samplingGpuShare = m.gpuMs !== null ? round(m.gpuMs / m.ms, 3) : null;
    log(`sampling profiled: wall ${round(m.ms, 1)} ms, GPU kernels ${round(m.gpuMs ?? NaN, 1)} ms; top: ${m.top.join(', ')}`);
  }

  // (b) training steps on those rollouts (rewards: half the group right, so every advantage is non-zero).
  const rowsFor = (trainer: Trainer): TrainRow[] =>
    samples.map((s) => {
      const row = trainer.makeRow(prompts[s.prompt], s.tokens, `sample ${s.prompt}/${s.sample}`);
      row.seq.oldLogp = Float32Array.from(s.logprobs);
      row.seq.reward = s.sample % 2;
      row.seq.group = s.prompt;
      row.seq.truncated = s.finishReason === 'length';
      return row;
    });
  const { assignAdvantages } = await import('../../train/advantages');
  const train: Record<string, unknown> = {};
  for (const mode of ['lora', 'full'] as const) {
    const decoder = mode === 'lora' ? model : new Decoder(gpu, base.decoder.weights, { trainBase: true });
    const adapter = mode === 'lora' ? lora : null;
    decoder.adapter = adapter;
    const trainer = new Trainer(decoder, { config: rl });
    const step = async () => {
      const rows = rowsFor(trainer);
      const rewards = assignAdvantages(rows.map((r) => r.seq), { scaleRewards: rl.scaleRewards, stdEps: rl.stdEps });
      return trainer.runStep(rows, rl, { rewards });
    };
    await step(); // warm-up
    const reps: Array<Record<string, unknown>> = [];
    for (let r = 0; r < cfg.reps; r++) {
      const m = await measure(gpu, step);
      if (m.out.skipped) throw new Error(`tiny bench: the ${mode} training step was skipped (${m.out.reason})`);
      reps.push({ ms: round(m.ms, 1), cpuMs: round(m.cpuMs, 1), stepsPerSec: round(1000 / m.ms, 3), microBatches: m.out.microBatches, perStep: per(m.counts, 1), perMicroBatch: per(m.counts, m.out.microBatches) });
      log(`train ${mode} rep ${r}: ${JSON.stringify(reps[r])}`);
    }
    let gpuShare: number | null = null;
    if (cfg.profile && gpu.profiler.supported) {
      const m = await measure(gpu, step, true);
      gpuShare = m.gpuMs !== null ? round(m.gpuMs / m.ms, 3) : null;
      log(`train ${mode} profiled: wall ${round(m.ms, 1)} ms, GPU kernels ${round(m.gpuMs ?? NaN, 1)} ms; top: ${m.top.join(', ')}`);
    }
    train[mode] = { reps, gpuShare };
    trainer.release();
    decoder.adapter = null;
    adapter?.release();
    if (mode === 'full') decoder.release();
  }
  const result = {
    suite: 'tiny',
    adapter: gpu.describe(),
    machine: { cpus: cpus().length, loadavg: loadavg().map((x) => round(x)) },
    model: cfg.model,
    shape: { slots: S, prompts: prompts.length, groupSize: G, maxNewTokens: rl.maxCompletionLength, microBatchTokens: rl.microBatchTokens, promptTokens: prompts.map((p) => p.length) },
    sampling: { reps: sampling, gpuShare: samplingGpuShare },
    train,
  };
  gpu.destroy();
  return result;
}
