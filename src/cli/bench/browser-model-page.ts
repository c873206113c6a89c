// Browser side of the `browser-model` bench (browser-model.ts serves this module in a page and calls
// runBrowserModelBench): writes a safetensors checkpoint of a config's shapes with seeded random weights in
// the page, loads it through the folder loader (loadModelFolder on a MemoryFolderSource), then times
// prefill, decode at a few batch sizes and the model suite's LoRA training step, with the pool peak of each
// phase beside the memory planner's figure. No Node imports: this file runs in Chromium.

import { Gpu, type AdapterReport } from '../../gpu';
import { MemoryFolderSource } from '../../io/folder';
import { writeSafetensors } from '../../io/safetensors-write';
import { parseModelConfig } from '../../model/config';
import { generate } from '../../model/generate';
import { loadModelFolder, type LoadedModelFolder } from '../../model/load';
import { planInference, planTraining, type MemoryPlan } from '../../model/memory';
import { buildParamTable, countParams, type ParamEntry, type ParamTable } from '../../model/params';
import { uniformStream } from '../../util/random';
import { median, phase, randomIds } from './stats';
import { benchTrain, type TrainResult } from './train-step';

export type CheckpointDtype = 'f32' | 'bf16';

/** What the page measures (the bench's options less the model's depth and the time limit). */
export interface MeasureOptions {
  /** Checkpoints written and loaded in order; the last stays loaded for the measurements. Default bf16 then f32. */
  checkpoints: CheckpointDtype[];
  /** Prompt tokens of the prefill measurement. Default 32. */
  prompt: number;
  /** Timed prefill runs after one warm-up. Default 1. */
  prefillReps: number;
  /** Prompt tokens per sequence before decoding. Default 8. */
  decodePrompt: number;
  /** Timed decode steps per batch (two more run untimed: the prefill's token and a warm-up step). Default 3. */
  decodeSteps: number;
  /** Default 1, 8. */
  batches: number[];
  /** Tokens of the LoRA training sequence. Default 64. */
  trainSeq: number;
  /** LoRA rank. Default 16. */
  rank: number;
  /** Timed training steps after one warm-up step. Default 1. */
  trainSteps: number;
  seed: number;
}

/** What the Node side hands the page. */
export interface PageConfig extends MeasureOptions {
  /** config.json of the model whose shapes are built (num_hidden_layers already set to the layers to run). */
  configJson: Record<string, unknown>;
}

export interface CheckpointLoad {
  dtype: CheckpointDtype;
  file_bytes: number;
  /** Host time to fill the tensors and serialize the file (not part of the load). */
  write_ms: number;
  /** loadModelFolder (config, header, every tensor read, converted to f32, checked, uploaded) until the GPU is done. */
  load_ms: number;
  /** Pool bytes in use after the load (the weights). */
  weights_bytes: number;
  /** Pool peak during the load. */
  peak_bytes: number;
}

export interface PhasePeak {
  peak_bytes: number;
  planned_bytes: number;
  /** peak / planned. */
  ratio: number;
}

export interface DecodeRow {
  batch: number;
  /** batch x timed steps / their wall time. */
  tps: number;
  /** Median wall time of one timed decode step. */
  step_ms: number;
  timed_steps: number;
  /** generate() wall time for the batch, prefill and untimed steps included. */
  total_ms: number;
  memory: PhasePeak;
}

export interface PageResult {
  adapter: AdapterReport;
  adapter_description: string;
  user_agent: string;
  params: number;
  loads: CheckpointLoad[];
  prefill: { tps: number; ms: number; samples_ms: number[]; memory: PhasePeak };
  decode: DecodeRow[];
  train: TrainResult & { memory: PhasePeak; plan: MemoryPlan };
  elapsed_ms: number;
}

const T0 = performance.now();
const log = (msg: string) => console.log(`[bench browser-model ${((performance.now() - T0) / 1000).toFixed(1)}s] ${msg}`);
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** Values of one parameter (as src/model/random.ts): linear U(+-1/sqrt(in)), embedding U(+-0.05), norms 1 +- 0.1, biases U(+-0.02). */
function fill(e: ParamEntry, next: () => number): Float32Array {
  const [lo, span] = e.kind === 'linear' ? [-1 / Math.sqrt(e.shape[1]), 2 / Math.sqrt(e.shape[1])] : e.kind === 'embed' || e.kind === 'lm_head' ? [-0.05, 0.1] : e.kind === 'bias' ? [-0.02, 0.04] : [0.9, 0.2];
  const out = new Float32Array(e.numel);
  for (let i = 0; i < out.length; i++) out[i] = lo + span * next();
  return out;
}

/** A safetensors file holding every tensor of the table under its checkpoint name, seeded random values. */
function writeCheckpoint(table: ParamTable, dtype: CheckpointDtype, seed: number): Uint8Array {
  const st = dtype === 'bf16' ? 'BF16' : 'F32';
  const tensors = table.entries.map((e, i) => ({ name: e.name, shape: e.shape, dtype: st as 'F32' | 'BF16', data: fill(e, uniformStream((seed * 1000003 + i * 7919) >>> 0)) }));
  return writeSafetensors(tensors, { format: 'pt' });
}

const peakVsPlan = (peak: number, planned: number): PhasePeak => ({ peak_bytes: peak, planned_bytes: planned, ratio: round(peak / planned, 3) });

/** The minimal tokenizer.json the loader reads (the benchmark feeds token ids, never text). */
const TOKENIZER_JSON = JSON.stringify({ version: '1.0', model: { type: 'BPE', vocab: {}, merges: [] } });

export async function runBrowserModelBench(cfg: PageConfig): Promise<PageResult> {
  const enc = new TextEncoder();
  const config = parseModelConfig(cfg.configJson);
  const table = buildParamTable(config);
  const params = countParams(table).total;
  const gpu = await Gpu.create();
  log(`adapter: ${gpu.describe()}; shader-f16 ${gpu.f16}; maxStorageBufferBindingSize ${gpu.limits.maxStorageBufferBindingSize}`);
  log(`model: ${config.numLayers} layers, C=${config.hiddenSize}, I=${config.intermediateSize}, H=${config.numHeads}/${config.numKvHeads}, D=${config.headDim}, V=${config.vocabSize}, ${params} params`);
  const maxBinding = gpu.limits.maxStorageBufferBindingSize;
  let model: LoadedModelFolder | null = null;
  try {
    const loads: CheckpointLoad[] = [];
    for (const [k, dtype] of cfg.checkpoints.entries()) {
      const w0 = performance.now();
      let bytes: Uint8Array | null = writeCheckpoint(table, dtype, cfg.seed);
      const writeMs = performance.now() - w0;
      const fileBytes = bytes.byteLength;
      log(`checkpoint ${dtype}: ${mib(fileBytes)} written in ${round(writeMs / 1000)} s; loading`);
      const files = { 'config.json': enc.encode(JSON.stringify(cfg.configJson)), 'model.safetensors': bytes, 'tokenizer.json': enc.encode(TOKENIZER_JSON) };
      bytes = null;
      const loaded = await phase(gpu, () => loadModelFolder(gpu, new MemoryFolderSource(files, `the generated ${dtype} checkpoint`), { dtype: 'f32' }));
      const row = { dtype, file_bytes: fileBytes, write_ms: round(writeMs), load_ms: round(loaded.ms), weights_bytes: gpu.poolStats().inUse, peak_bytes: loaded.peak };
      loads.push(row);
      log(`checkpoint ${dtype}: loaded in ${round(loaded.ms / 1000, 2)} s; weights ${mib(row.weights_bytes)} in the pool; embedding in ${loaded.value.weights.embed.count} row block(s)`);
      if (k < cfg.checkpoints.length - 1) loaded.value.release();
      else model = loaded.value;
    }
    if (!model) throw new Error('browser-model: no checkpoint was loaded (give at least one in --checkpoints)');
    const m = model.decoder;
    const V = config.vocabSize;

    // Prefill: generate one token after a prompt; one warm-up run, then timed runs.
    const prefillRun = async (seed: number) => {
      const t0 = performance.now();
      await generate(m, [randomIds(cfg.prompt, V, seed)], { maxNewTokens: 1, temperature: 1, eosIds: [], seed, kvDtype: 'f32' });
      return performance.now() - t0;
    };
    const prefill = await phase(gpu, async () => {
      log(`prefill: warm-up, ${cfg.prompt} tokens`);
      await prefillRun(cfg.seed);
      const samples: number[] = [];
      for (let r = 0; r < cfg.prefillReps; r++) samples.push(await prefillRun(cfg.seed + 1 + r));
      return samples;
    });
    const prefillMs = median(prefill.value);
    log(`prefill: ${round(prefillMs)} ms for ${cfg.prompt} tokens (${round((cfg.prompt * 1000) / prefillMs, 2)} tokens/s)`);
    const prefillPlan = planInference(config, { batch: 1, context: cfg.prompt + 1, weights: 'f32', maxBinding }).totalBytes;

    // Decode: B prompts, decodeSteps + 2 tokens; the timed window runs from the readback of step 1 to the last.
    const decode: DecodeRow[] = [];
    for (const B of cfg.batches) {
      const prompts = Array.from({ length: B }, (_, b) => randomIds(cfg.decodePrompt, V, cfg.seed * 7919 + b));
      const stamps: number[] = [];
      const run = await phase(gpu, () =>
        generate(m, prompts, { maxNewTokens: cfg.decodeSteps + 2, temperature: 1, eosIds: [], seed: cfg.seed, kvDtype: 'f32', onStep: () => void stamps.push(performance.now()) }),
      );
      const timed = stamps.slice(1);
      const steps = timed.slice(1).map((t, i) => t - timed[i]);
      if (steps.length !== cfg.decodeSteps) throw new Error(`browser-model: expected ${cfg.decodeSteps} timed decode steps at batch ${B}, saw ${steps.length}`);
      const ms = timed[timed.length - 1] - timed[0];
      const planned = planInference(config, { batch: B, context: cfg.decodePrompt + cfg.decodeSteps + 2, weights: 'f32', maxBinding }).totalBytes;
      const row = { batch: B, tps: round((B * steps.length * 1000) / ms, 3), step_ms: round(median(steps)), timed_steps: steps.length, total_ms: round(run.ms), memory: peakVsPlan(run.peak, planned) };
      decode.push(row);
      log(`decode batch ${B}: ${row.step_ms} ms/step, ${row.tps} tokens/s (${row.timed_steps} timed steps, ${round(run.ms / 1000)} s in all); pool peak ${mib(run.peak)}, planned ${mib(planned)}`);
    }

    // The model suite's LoRA step (train-step.ts), its pool peak against planTraining.
    const train = await phase(gpu, () => benchTrain(gpu, m, { trainSeq: cfg.trainSeq, rank: cfg.rank, trainSteps: cfg.trainSteps, seed: cfg.seed }, log));
    const plan = planTraining(config, { seqLen: cfg.trainSeq, rank: cfg.rank, weights: 'f32', maxBinding });
    log(`train: ${round(train.value.step_ms)} ms/step (forward ${round(train.value.forward_ms)}, backward ${round(train.value.backward_ms)}, AdamW ${round(train.value.optimizer_ms)}); pool peak ${mib(train.peak)}, planned ${mib(plan.totalBytes)} (${round(train.peak / plan.totalBytes, 3)}x)`);
    return {
      adapter: gpu.report,
      adapter_description: gpu.describe(),
      user_agent: navigator.userAgent,
      params,
      loads,
      prefill: { tps: round((cfg.prompt * 1000) / prefillMs, 3), ms: round(prefillMs), samples_ms: prefill.value.map((x) => round(x)), memory: peakVsPlan(prefill.peak, prefillPlan) },
      decode,
      train: { ...train.value, memory: peakVsPlan(train.peak, plan.totalBytes), plan },
      elapsed_ms: round(performance.now() - T0),
    };
  } finally {
    model?.release();
    gpu.destroy();
  }
}

(globalThis as { runBrowserModelBench?: typeof runBrowserModelBench }).runBrowserModelBench = runBrowserModelBench;
