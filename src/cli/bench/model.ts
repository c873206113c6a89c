// Model benchmark: a random model with Qwen2.5-0.5B's layer shapes (2 layers by default, --layers=all for
// its 24) and its full 151,936-word vocabulary (stored in row blocks where it is over the binding limit) on
// our kernels: load time, prefill tokens/s, steady-state decode tokens/s at several batch sizes (KV cache),
// LoRA and full fine-tune training tokens/s (forward + backward + AdamW), pool peak bytes, and the memory planner
// for Qwen3-0.6B / 4B. Decode and training rows also give the device calls per step and the step's FLOP/s as a
// share of the matmul rate at the same shapes (decode-rate.ts, train-rate.ts). Usage through the bench CLI:
// `model [--quick] [--layers=N|all] [--vocab=N] [--batches=1,8,64] [--kv=f32,f16] [--train-seq=64,256] [--train=lora,full] ...`.

import { loadavg } from 'node:os';
import { hostLoad, median, modelShapes, randomIds } from './host';
import { phase } from './stats';
import { Gpu, rowBlockRows, type GpuCounts, type Tensor } from '../../gpu';
import { attentionFlopsPerToken, benchDecodeAttention, countsPerStep, cpuMs, decodeMatmulMs, matmulFlopsPerToken, matmulShare } from './decode-rate';
import { resolveKvDtype, type KvDtype } from '../../model/kvcache';
import { randomModelWeights } from '../../model/random';
import { parseModelConfig, type ModelConfig } from '../../model/config';
import { Decoder } from '../../model/decoder';
import { generate } from '../../model/generate';
import { QWEN2_5_0_5B, QWEN3_0_6B, QWEN3_4B } from '../../model/known-configs';
import { planTraining } from '../../model/memory';
import { countParams } from '../../model/params';
import type { WeightDtype } from '../../model/weights';
import { benchTrain, TRAIN_FLOPS_NOTE, type TrainMode, type TrainRow } from './train-rate';

export interface ModelBenchConfig {
  /** Tiny model and short runs for smoke tests. Default false. */
  quick: boolean;
  /** Decoder layers of the random model. Default 2; --layers=all: the model's own (24). */
  layers: number;
  /** Vocabulary rows; null: the model's own (151,936; quick 512). A vocabulary over the binding limit is stored in row blocks. */
  vocab: number | null;
  /** Prompt tokens of the prefill measurement. Default 256 (quick 32). */
  prompt: number;
  /** Prompt tokens per sequence before the decode measurement. Default 16 (quick 8). */
  decodePrompt: number;
  /** Timed decode steps per batch size (two more run untimed: the prefill's token and a warm-up step). Default 8 (quick 3). */
  decodeSteps: number;
  /** Sequences decoded together, one measurement each. Default 1, 8, 64. */
  batches: number[];
  /** Tokens of the training sequence, one measurement each. Default 256 (quick 32). */
  trainSeq: number[];
  /** Training modes: LoRA (the bench's weights) and full fine-tune (f32 weights: the bench's when f32, else a
   *  second f32 copy with the same seed). Default both. */
  train: TrainMode[];
  /** One more step per training measurement with timestamp queries (GPU time by kernel). Default false. */
  trainProfile: boolean;
  /** LoRA rank. Default 16 (quick 4). */
  rank: number;
  /** Timed training steps (after one warm-up step on a short sequence). Default 2. */
  trainSteps: number;
  /** Timed prefill runs (after one warm-up run). Default 3. */
  prefillReps: number;
  /** Weight storage; null: f16 when the adapter has shader-f16, else f32. */
  dtype: WeightDtype | null;
  /** KV cache element types, one decode measurement per batch each; the first gives decode_tps. Default ['f32']. */
  kv: KvDtype[];
  /** Phases to run. Default all three: prefill, decode, train. */
  phases: Phase[];
  /** Cached tokens at which the decode phase also times one layer's decode attention alone (batch 1 and 64). Default none. */
  attnKeys: number[];
  seed: number;
}

export type Phase = 'prefill' | 'decode' | 'train';
const PHASES: readonly Phase[] = ['prefill', 'decode', 'train'];
const TRAIN_MODES: readonly TrainMode[] = ['lora', 'full'];

const USAGE =
  'model [--quick] [--layers=N|all] [--vocab=N] [--prompt=T] [--decode-prompt=T] [--decode-steps=N] [--batches=1,8,64] ' +
  '[--train-seq=64,256] [--train=lora,full] [--train-profile] [--rank=R] [--train-steps=N] [--prefill-reps=N] [--dtype=f16|f32] [--kv=f32,f16,auto] [--phases=prefill,decode,train] [--attn-keys=1024,4096] [--seed=N]';

export function parseModelArgs(args: string[]): ModelBenchConfig {
  const quick = args.includes('--quick');
  const cfg: ModelBenchConfig = {
    quick,
    layers: 2,
    vocab: null,
    prompt: quick ? 32 : 256,
    decodePrompt: quick ? 8 : 16,
    decodeSteps: quick ? 3 : 8,
    batches: [1, 8, 64],
    trainSeq: [quick ? 32 : 256],
    train: ['lora', 'full'],
    trainProfile: false,
    rank: quick ? 4 : 16,
    trainSteps: 2,
    prefillReps: 3,
    dtype: null,
    kv: ['f32'],
    phases: [...PHASES],
    attnKeys: [],
    seed: 1,
  };
  const int = (a: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`model: option '${a}' needs a positive integer; usage: ${USAGE}`);
    return n;
  };
  const bad = (msg: string): never => {
    throw new Error(`model: ${msg}; usage: ${USAGE}`);
  };
  for (const a of args) {
    if (a === 'model' || a === '--quick') continue;
    if (a === '--train-profile') {
      cfg.trainProfile = true;
      continue;
    }
    const [key, val = ''] = a.split('=', 2);
    switch (key) {
      case '--layers':
        cfg.layers = val === 'all' ? QWEN2_5_0_5B.num_hidden_layers : int(a, val);
        break;
      case '--vocab':
        cfg.vocab = int(a, val);
        break;
      case '--prompt':
        cfg.prompt = int(a, val);
        break;
      case '--decode-prompt':
        cfg.decodePrompt = int(a, val);
        break;
      case '--decode-steps':
        cfg.decodeSteps = int(a, val);
        break;
      case '--batches':
        cfg.batches = val.split(',').map((b) => int(a, b));
        break;
      case '--train-seq':
        cfg.trainSeq = val.split(',').map((t) => int(a, t));
        break;
      case '--train':
        cfg.train = val.split(',').map((m) => (TRAIN_MODES.includes(m as TrainMode) ? (m as TrainMode) : bad(`--train takes lora, full or both (comma-separated), got '${m}'`)));
        break;

      case '--rank':
        cfg.rank = int(a, val);
        break;
      case '--train-steps':
        cfg.trainSteps = int(a, val);
        break;
      case '--prefill-reps':
        cfg.prefillReps = int(a, val);
        break;
      case '--kv':
        cfg.kv = val.split(',').map((k) => (k === 'f32' || k === 'f16' || k === 'auto' ? k : bad(`--kv takes f32, f16 or auto (comma-separated), got '${k}'`)));
        break;
      case '--phases':
        cfg.phases = val.split(',').map((ph) => (PHASES.includes(ph as Phase) ? (ph as Phase) : bad(`--phases takes ${PHASES.join(', ')} (comma-separated), got '${ph}'`)));
        break;
      case '--attn-keys':
        cfg.attnKeys = val.split(',').map((n) => int(a, n));
        break;
      case '--seed':
        cfg.seed = int(a, val);
        break;
      case '--dtype':
        if (val !== 'f16' && val !== 'f32') throw new Error(`model: --dtype must be f16 or f32, got '${val}'; usage: ${USAGE}`);
        cfg.dtype = val;
        break;
      default:
        throw new Error(`model: unknown or malformed option '${a}'; usage: ${USAGE}`);
    }
  }
  return cfg;
}

// ------------------------------------------------------------------ helpers

let T0 = performance.now();
let sink: (line: string) => void = (line) => console.error(line);
const log = (msg: string) => sink(`[bench model ${((performance.now() - T0) / 1000).toFixed(1)}s] ${msg}`);
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;


/** The benchmarked model: Qwen2.5-0.5B (quick: a tiny model of the same family) with `layers` layers and `vocab` rows. */
function benchConfig(cfg: ModelBenchConfig, vocab: number): ModelConfig {
  const base = cfg.quick
    ? { ...QWEN2_5_0_5B, hidden_size: 64, intermediate_size: 128, num_attention_heads: 4, num_key_value_heads: 2, bos_token_id: 1, eos_token_id: 2 }
    : { ...QWEN2_5_0_5B };
  return parseModelConfig({ ...base, num_hidden_layers: cfg.layers, vocab_size: vocab });
}

/**
 * Vocabulary rows to build: the model's own, or `--vocab=N` (at most the model's). An embedding over the binding
 * limit is stored in row blocks (src/gpu/rowblocks.ts); only a single row over the limit is refused.
 */
function pickVocab(cfg: ModelBenchConfig, gpu: Gpu): { vocab: number; requested: number; note: string | null } {
  const C = cfg.quick ? 64 : QWEN2_5_0_5B.hidden_size;
  const requested = cfg.quick ? 512 : QWEN2_5_0_5B.vocab_size;
  const vocab = cfg.vocab ?? requested;
  if (vocab > requested) throw new Error(`model: --vocab=${vocab} is larger than the model's vocabulary (${requested}); use --vocab=${requested} or less`);
  const maxBind = gpu.limits.maxStorageBufferBindingSize ?? 128 * 1024 * 1024;
  try {
    rowBlockRows(vocab, C, maxBind, 'model.embed_tokens.weight');
  } catch (e) {
    throw new Error(`model: ${(e as Error).message}`);
  }
  return { vocab, requested, note: vocab < requested ? `vocabulary set to ${vocab} of ${requested} rows (--vocab)` : null };
}

// ------------------------------------------------------------------ measurements

/** Prefill: generate one token after a `prompt`-token prompt (the prompt pass, last-row logits, sampling). */
async function benchPrefill(model: Decoder, cfg: ModelBenchConfig): Promise<{ tps: number; ms: number; samples_ms: number[] }> {
  const V = model.config.vocabSize;
  const run = async (seed: number) => {
    const t0 = performance.now();
    await generate(model, [randomIds(cfg.prompt, V, seed)], { maxNewTokens: 1, temperature: 1, eosIds: [], seed });
    return performance.now() - t0;
  };
  log(`prefill: warm-up, ${cfg.prompt} tokens`);
  await run(cfg.seed);
  const samples: number[] = [];
  for (let r = 0; r < cfg.prefillReps; r++) samples.push(await run(cfg.seed + 1 + r));
  const ms = median(samples);
  log(`prefill: ${round(ms, 1)} ms for ${cfg.prompt} tokens`);
  return { tps: (cfg.prompt * 1000) / ms, ms, samples_ms: samples.map((x) => round(x, 1)) };
}

export interface DecodeRow {
  batch: number;
  /** KV cache element type. */
  kv: 'f32' | 'f16';
  /** batch * timed steps / their wall time. */
  tps: number;
  /** Median wall time of one decode step (all sequences advance one token). */
  step_ms: number;
  timed_steps: number;
  /** Wall time of generate() for the batch, prefill and untimed steps included. */
  total_ms: number;
  /** Device calls per timed step (Gpu.counts between the first and last timed readback). */
  counts_per_step: Record<string, number>;
  /** Decode FLOP/s of the timed window: B x (matmul + attention FLOPs per token) per step / step time, in GFLOP/s. */
  gflops: number;
  /** Decode FLOPs per step and process CPU milliseconds per step (all threads). */
  flops_per_step: number;
  cpu_ms_per_step: number;
  /** The step's matmuls alone (same weights, B rows): wall ms, GFLOP/s, decode's share of that rate; the same by CPU time (decode-rate.ts matmulShare). */
  matmul_ms?: number; matmul_gflops?: number; share_of_matmul?: number; matmul_cpu_ms?: number; share_of_matmul_cpu?: number;
}

/**
 * Decode at batch B: B distinct prompts, generate(decodeSteps + 2) tokens each. onStep(k) fires after
 * the tokens of step k are read back; step 0's token comes from the prefill and step 1 is the first
 * decode step (pipeline compilation for this batch size), so the timed window is onStep(1) .. onStep(last).
 */
async function benchDecode(model: Decoder, cfg: ModelBenchConfig, B: number, kv: 'f32' | 'f16'): Promise<DecodeRow> {
  const c = model.config;
  const V = c.vocabSize;
  const prompts = Array.from({ length: B }, (_, b) => randomIds(cfg.decodePrompt, V, cfg.seed * 7919 + b));
  const stamps: number[] = [];
  const counts: GpuCounts[] = [];
  const cpu: number[] = [];
  const t0 = performance.now();
  await generate(model, prompts, {
    maxNewTokens: cfg.decodeSteps + 2,
    temperature: 1,
    eosIds: [],
    seed: cfg.seed,
    kvDtype: kv,
    onStep: () => {
      stamps.push(performance.now());
      counts.push(model.gpu.counts());
      cpu.push(cpuMs());
    },
  });
  const total = performance.now() - t0;
  const timed = stamps.slice(1);
  const steps = timed.slice(1).map((t, i) => t - timed[i]);
  if (steps.length !== cfg.decodeSteps) throw new Error(`model: expected ${cfg.decodeSteps} timed decode steps at batch ${B}, saw ${steps.length}`);
  const ms = timed[timed.length - 1] - timed[0];
  // Timed steps k = 1..decodeSteps attend over decodePrompt + k + 1 keys: the mean is decodePrompt + 1 + (decodeSteps + 1) / 2.
  const keys = cfg.decodePrompt + 1 + (cfg.decodeSteps + 1) / 2;
  const flopsPerStep = B * (matmulFlopsPerToken(c) + attentionFlopsPerToken(c, keys));
  const gflops = (flopsPerStep * steps.length) / ms / 1e6;
  const per = countsPerStep(counts[1], counts[counts.length - 1], steps.length);
  const cpuPerStep = (cpu[cpu.length - 1] - cpu[1]) / steps.length;
  return { batch: B, kv, tps: (B * steps.length * 1000) / ms, step_ms: median(steps), timed_steps: steps.length, total_ms: total, counts_per_step: per, gflops: round(gflops, 3), flops_per_step: flopsPerStep, cpu_ms_per_step: round(cpuPerStep, 1) };
}

/** Log a decode row with its matmul comparison. */
function logDecode(row: DecodeRow): void {
  const per = row.counts_per_step;
  log(
    `decode batch ${row.batch} (${row.kv} KV): ${round(row.step_ms, 1)} ms/step, ${round(row.tps)} tokens/s, ${round(row.gflops)} GFLOP/s = ${row.share_of_matmul} of the matmuls' ` +
      `${round(row.matmul_gflops!)} GFLOP/s at B=${row.batch} (${round(row.matmul_ms!, 1)} ms; by CPU time ${row.share_of_matmul_cpu}); per step ${per.dispatches} dispatches, ${per.submits} submits, ${per.readbacks} readbacks ` +
      `(${row.timed_steps} timed steps, ${round(row.total_ms / 1000, 1)} s in all)`,
  );
}

// ------------------------------------------------------------------ suite

/** The memory planner's LoRA-step totals for the published Qwen3 configs (seq 1024, rank 16, f16 weights, recompute). */
export function qwen3MemoryPlans(): Record<'qwen3-0.6b' | 'qwen3-4b', number> {
  const opts = { seqLen: 1024, rank: 16, weights: 'f16' as const };
  return {
    'qwen3-0.6b': planTraining(parseModelConfig(QWEN3_0_6B), opts).totalBytes,
    'qwen3-4b': planTraining(parseModelConfig(QWEN3_4B), opts).totalBytes,
  };
}

/**
 * Run the suite. `opts.gpu`: use this device (not destroyed afterwards) instead of creating one;
 * `opts.log`: where progress lines go (default stderr).
 */
export async function benchModel(args: string[], opts: { gpu?: Gpu; log?: (line: string) => void } = {}): Promise<Record<string, unknown>> {
  const cfg = parseModelArgs(args);
  T0 = performance.now();
  sink = opts.log ?? ((line) => console.error(line));
  const loadStart = loadavg()[0];
  const gpu = opts.gpu ?? (await Gpu.create());
  const where = gpu.describe();
  log(`adapter: ${where}`);
  const dtype: WeightDtype = cfg.dtype ?? (gpu.f16 ? 'f16' : 'f32');
  const { vocab, requested, note } = pickVocab(cfg, gpu);
  const notes: string[] = [];
  if (note) {
    notes.push(note);
    log(`note: ${note}`);
  }
  const config = benchConfig(cfg, vocab);
  let model: Decoder | null = null;
  try {
    const built = await phase(gpu, async () => {
      log(`weights: random ${config.numLayers}-layer model, vocab ${vocab}, ${dtype} matrices`);
      return new Decoder(gpu, randomModelWeights(gpu, config, { dtype, seed: cfg.seed }));
    });
    model = built.value;
    const m = model;
    const loadMs = built.ms;
    const weightsBytes = gpu.poolStats().inUse;
    const embed = m.weights.embed;
    const blocks = { count: embed.count, rows_per_block: embed.rowsPerBlock, largest_block_bytes: embed.blocks[0].byteLength };
    if (embed.count > 1) {
      notes.push(`the ${vocab} x ${config.hiddenSize} ${dtype} embedding${config.tieEmbeddings ? ' / tied lm_head' : ''} is over this adapter's maxStorageBufferBindingSize (${gpu.limits.maxStorageBufferBindingSize}): stored in ${embed.count} row blocks of ${embed.rowsPerBlock} rows`);
    }
    log(`weights: ${round(loadMs / 1000, 1)} s to generate and upload; embedding in ${embed.count} row block(s) of ${embed.rowsPerBlock} rows`);
    const runs = (ph: Phase) => cfg.phases.includes(ph);
    const prefill = runs('prefill') ? await phase(gpu, () => benchPrefill(m, cfg)) : null;
    const allDecode: DecodeRow[] = [];
    const decodePeaks: Record<string, number> = {};
    const kvs = [...new Set(cfg.kv.map((k) => resolveKvDtype(gpu, k)))];
    if (runs('decode')) {
      for (const B of cfg.batches) {
        // The matmul rate from samples on both sides of the decode runs (a shared machine's load drifts).
        const mm = await decodeMatmulMs(gpu, m, B, 3);
        const rows: DecodeRow[] = [];
        for (const kv of kvs) {
          const r = await phase(gpu, () => benchDecode(m, cfg, B, kv));
          rows.push(r.value);
          decodePeaks[kv === kvs[0] ? String(B) : `${B}_${kv}`] = r.peak;
        }
        mm.push(...(await decodeMatmulMs(gpu, m, B, 3)));
        for (const row of rows) logDecode(Object.assign(row, matmulShare(config, B, row.gflops, row.flops_per_step, row.cpu_ms_per_step, mm)));
        allDecode.push(...rows);
      }
    }
    const decode = allDecode.filter((d) => d.kv === kvs[0]);
    const decodeAttention = runs('decode') && cfg.attnKeys.length ? await benchDecodeAttention(gpu, [1, 64], cfg.attnKeys, 5) : [];
    for (const r of decodeAttention) log(`decode attention B=${r.batch}, ${r.keys} keys: unsplit forward ${round(r.forward_ms, 2)} ms, split decode (${r.chunks} chunks) f32 ${round(r.decode_f32_ms, 2)} ms, f16 ${r.decode_f16_ms === null ? '-' : round(r.decode_f16_ms, 2)} ms`);
    const trainOpts = { seqs: cfg.trainSeq, rank: cfg.rank, steps: cfg.trainSteps, seed: cfg.seed, profile: cfg.trainProfile, log };
    const trainRows: TrainRow[] = [];
    const trainPeaks: Record<string, number> = {};
    for (const mode of runs('train') ? cfg.train : []) {
      const r = await phase(gpu, async () => {
        if (mode === 'lora') return benchTrain(gpu, m, mode, trainOpts);
        // Full fine-tuning needs f32 weights: the bench's own, or an f32 copy of the same random model.
        const own = dtype === 'f32';
        if (!own) log(`train full: f32 copy of the ${config.numLayers}-layer model (the bench's weights are ${dtype})`);
        const weights = own ? m.weights : randomModelWeights(gpu, config, { dtype: 'f32', seed: cfg.seed });
        const dec = new Decoder(gpu, weights, { trainBase: true });
        try {
          return await benchTrain(gpu, dec, mode, trainOpts);
        } finally {
          dec.release();
          if (!own) weights.release();
        }
      });
      trainRows.push(...r.value);
      trainPeaks[mode === 'lora' ? 'train' : 'train_full'] = r.peak;
    }
    const lora0 = trainRows.find((t) => t.mode === 'lora') ?? null;
    const peaks = {
      weights: built.peak,
      ...(prefill ? { prefill: prefill.peak } : {}),
      ...Object.fromEntries(Object.entries(decodePeaks).map(([b, p]) => [`decode_${b}`, p])),
      ...trainPeaks,
    };
    const peakBytes = Math.max(...Object.values(peaks));

    const tps = Object.fromEntries(decode.map((d) => [String(d.batch), round(d.tps, 3)]));
    const d1 = decode.find((d) => d.batch === 1);
    const d64 = decode.find((d) => d.batch === 64);
    const ratio = d1 && d64 ? d64.tps / d1.tps : null;
    const plannedTrain = planTraining(config, { seqLen: Math.max(...cfg.trainSeq), rank: cfg.rank, weights: dtype, maxBinding: gpu.limits.maxStorageBufferBindingSize }).totalBytes;
    // the planner against the LoRA steps' own peak (the phase's peak also holds the matmul-rate products)
    const loraRows = trainRows.filter((t) => t.mode === 'lora');
    const trainStepPeak = loraRows.length ? Math.max(...loraRows.map((t) => t.peak_bytes)) : null;
    const results = {
      load_ms: round(loadMs, 1),
      prefill_tps: prefill ? round(prefill.value.tps, 3) : null,
      decode_tps: tps,
      train_tps: lora0 ? lora0.tps : null,
      full_train_tps: trainRows.find((t) => t.mode === 'full')?.tps ?? null,
      peak_bytes: peakBytes,
      memory_plan: qwen3MemoryPlans(),
      prefill_ms: prefill ? round(prefill.value.ms, 1) : null,
      prefill_samples_ms: prefill?.value.samples_ms ?? null,
      decode: allDecode.map((d) => ({ ...d, tps: round(d.tps, 3), step_ms: round(d.step_ms, 1), total_ms: round(d.total_ms, 1) })),
      decode_64_over_1: ratio === null ? null : round(ratio, 2),
      decode_target_10x_holds: ratio === null ? null : ratio >= 10,
      train_step_ms: lora0?.step_ms ?? null,
      train_split_ms: lora0 ? { forward: lora0.forward_ms, backward: lora0.backward_ms, optimizer: lora0.optimizer_ms } : null,
      lora_params: lora0?.trainable_params ?? null,
      train: trainRows,
      weights_bytes: weightsBytes,
      peak_bytes_by_phase: peaks,
      train_planned_bytes: plannedTrain,
      train_step_peak_bytes: trainStepPeak,
      train_step_peak_over_plan: trainStepPeak === null ? null : round(trainStepPeak / plannedTrain, 3),
      decode_attention: decodeAttention,
    };
    const { host: host, busy } = hostLoad(loadStart);
    if (busy) notes.push(busy);
    printTable(where, config, dtype, results);
    for (const n of notes) log(`note: ${n}`);
    return {
      suite: 'model',
      adapter: gpu.report,
      adapter_description: where,
      model: {
        ...modelShapes(config, cfg.quick),
        qkv_bias: config.attentionBias,
        tied_embeddings: config.tieEmbeddings,
        vocab,
        vocab_requested: requested,
        vocab_blocks: blocks,
        weights_dtype: dtype,
        params: countParams(model.weights.table).total,
      },
      method: {
        prefill: `generate() of 1 token after a ${cfg.prompt}-token prompt (embedding, layers, KV cache write, last-row logits, sampling, id readback); one warm-up run, median of ${cfg.prefillReps} timed runs; tokens/s = prompt tokens / wall time`,
        decode: `generate() of ${cfg.decodeSteps + 2} tokens for B distinct ${cfg.decodePrompt}-token prompts (temperature 1, no eos); wall clock between the readback of step 1 and of the last step, i.e. ${cfg.decodeSteps} steady-state decode steps (prefill and the first, pipeline-compiling decode step excluded); tokens/s = B x ${cfg.decodeSteps} / that time`,
        decode_rate:
          'gflops: B x (2 x linear and lm_head weights + 4 x D x heads x mean cached keys x layers) per step over the timed window; ' +
          "matmul_gflops: the same step's linear and lm_head products alone (the model's weights, B rows of zeros; median of 3 samples before and 3 after that batch's decode runs), measured in the same run; share_of_matmul = gflops / matmul_gflops; share_of_matmul_cpu: the same with process CPU time (all threads) in place of wall time, for CPU adapters. " +
          'counts_per_step: Gpu.counts() between the first and last timed readback, per step',
        train: `per mode (${cfg.train.join(', ')}) and sequence length (${cfg.trainSeq.join(', ')}): 1 x T tokens, zeroGrad, forward (activation recompute), backward of mean NLL, AdamW step of src/train/optimizer.ts (global grad norm, clip at 1, AdamW on every trainable tensor, one norm readback), each phase sync'd; LoRA r=${cfg.rank} on all 7 linear modules of the ${dtype} weights (train_tps: LoRA at the first T), full: every weight trained, f32 weights${dtype === 'f32' ? '' : ' (an f32 copy of the same random model)'}; one warm-up step on ${Math.min(cfg.trainSeq[0], 32)} tokens per mode, median of ${cfg.trainSteps} timed step(s); tokens/s = T / step time`,
        train_rate: TRAIN_FLOPS_NOTE,
        load: 'random weights generated on the host (seeded) and uploaded tensor by tensor, the embedding block by block; wall time until the GPU is done',
        peak_bytes: 'BufferPool peak (bytes handed out, size-classed), reset at the start of each phase; peak_bytes is the largest phase peak (weights included)',
        memory_plan: 'planTraining totals: LoRA step, seq 1024, rank 16, f16 weights, recompute on, materialized attention',
      },
      config: cfg,
      host,
      notes,
      elapsed_s: round((performance.now() - T0) / 1000, 1),
      results,
    };
  } finally {
    if (model) {
      model.weights.release();
      model.release();
    }
    if (!opts.gpu) gpu.destroy();
  }
}

function printTable(where: string, c: ModelConfig, dtype: WeightDtype, r: Record<string, unknown> & { decode: DecodeRow[] }): void {
  const mb = (b: unknown) => `${((b as number) / 2 ** 20).toFixed(1)} MiB`;
  const col = (x: unknown) => String(x ?? '-').padStart(15);
  const row = (name: string, measured: unknown, extra = '') => log(`${name.padEnd(18)}${col(measured)}  ${extra}`);
  log(`adapter: ${where}`);
  log(`model: ${c.numLayers} layers, C=${c.hiddenSize}, I=${c.intermediateSize}, H=${c.numHeads}/${c.numKvHeads}, D=${c.headDim}, V=${c.vocabSize}, ${dtype} weights`);
  row('load (s)', round((r.load_ms as number) / 1000, 1), '(random weights generated and uploaded)');
  row('tokens/s', `V=${c.vocabSize}`);
  if (r.prefill_tps !== null) row('prefill', r.prefill_tps, `(${r.prefill_ms} ms)`);
  for (const d of r.decode) row(`decode B=${d.batch} ${d.kv}`, d.tps, `(${d.step_ms} ms/step, ${d.share_of_matmul} of the matmul rate)`);
  const holds = (x: unknown) => (x === null || x === undefined ? 'not measured' : (x as number) >= 10 ? 'holds' : 'does not hold');
  row('decode 64 / 1', r.decode_64_over_1, `(target >= 10x: ${holds(r.decode_64_over_1)})`);
  for (const t of r.train as TrainRow[]) row(`${t.mode === 'lora' ? 'LoRA' : 'full'} train T=${t.seq}`, t.tps, `(${t.step_ms} ms/step, ${t.share_of_matmul} of the matmul rate, by CPU time ${t.share_of_matmul_cpu})`);
  log(`peak pool bytes     ${mb(r.peak_bytes)}  (weights ${mb(r.weights_bytes)})`);
  if (r.train_step_peak_bytes !== null) log(`LoRA step peak      ${mb(r.train_step_peak_bytes)}  (planner for the longest step: ${mb(r.train_planned_bytes)}; ratio ${r.train_step_peak_over_plan})`);
  for (const [k, v] of Object.entries(r.memory_plan as Record<string, number>)) log(`plan ${k.padEnd(14)} ${mb(v)} = ${v} bytes (LoRA step, seq 1024, r 16, f16)`);
}
