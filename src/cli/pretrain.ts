// `npm run pretrain`: trains the embedded character-level chains model from scratch with the
// project's own Trainer (full-parameter SFT steps on seeded pretraining documents), logs the loss
// curve to a CSV and writes a Hugging Face model folder (periodically, so a cut-short run still
// leaves a usable checkpoint). Options: `npm run pretrain -- --help`.

import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Gpu } from '../gpu';
import { compactCharTokenizer, type CharTokenizer } from '../io/char-tokenizer';
import { writeSafetensors } from '../io/safetensors';
import { parseModelConfig, type ModelConfig } from '../model/config';
import { Decoder } from '../model/decoder';
import { initWeights, paramCount, tinyLlamaConfigJson } from '../model/init';
import { readWeights, uploadWeights } from '../model/weights';
import { encodeExample, pretrainExample, resolvePretrainConfig, type PretrainDataConfig, type PretrainDataInput } from '../tasks/chains/pretrain-data';
import { probeDocs, probeSummary } from '../tasks/chains/pretrain-probe';
import { TINY_LADDER } from '../tasks/chains/config';
import { validateSftConfig } from '../train/config';
import { learningRate } from '../train/schedule';
import { Trainer, type SftExample, type TrainerOptions } from '../train/trainer';

/** Trainer whose schedule runs on the larger of step progress and time progress: with a time
 *  budget the cosine decay still completes when the machine is slower than planned. */
class BudgetedTrainer extends Trainer {
  private readonly t0 = performance.now();
  constructor(model: Decoder, opts: TrainerOptions, private readonly budgetSeconds: number) {
    super(model, opts);
  }
  /** Fraction of the time budget used (0 without a budget). */
  timeProgress(): number {
    return this.budgetSeconds > 0 ? (performance.now() - this.t0) / 1000 / this.budgetSeconds : 0;
  }
  override get learningRate(): number {
    const byTime = Math.floor(this.timeProgress() * this.totalSteps);
    return learningRate(Math.min(this.totalSteps - 1, Math.max(this.step, byTime)), this.totalSteps, this.config.optim);
  }
}

/** Data recipe of chains-tiny, on TINY_LADDER: solving and verifying dominate, a little of every
 *  other format (so the hint and self-reflection arms find a model that knows them). */
export const PRETRAIN_DATA_RECIPE: Readonly<PretrainDataInput> = Object.freeze({
  chains: { tiers: [...TINY_LADDER] },
  tierWeights: { easy: 1, medium: 1.25, hard: 1 },
  mix: { solve: 0.5, verify: 0.25, verifyOk: 0.05, continue: 0.1, hint: 0.05, reflect: 0.05 },
});

/** One curriculum phase (see PretrainOptions.phases). */
export interface CurriculumPhase {
  until: number;
  data: PretrainDataInput;
}

/** Curriculum of chains-tiny: the copy-and-compute circuits form within minutes on one- and
 *  two-operation problems (whose traces need no search for "the next operation") but not on the
 *  full mix, so the run starts on the easy tier and lengthens the documents step by step. */
export const PRETRAIN_CURRICULUM: readonly CurriculumPhase[] = Object.freeze(<CurriculumPhase[]>[
  {
    until: 0.12,
    data: {
      tierWeights: { easy: 1, medium: 0, hard: 0 },
      mix: { solve: 0.6, verify: 0.1, verifyOk: 0.05, continue: 0.25, hint: 0, reflect: 0 },
    },
  },
  {
    until: 0.35,
    data: {
      tierWeights: { easy: 2, medium: 2, hard: 0.5 },
      mix: { solve: 0.45, verify: 0.25, verifyOk: 0.05, continue: 0.2, hint: 0.025, reflect: 0.025 },
    },
  },
]);

/** Everything a pretraining run depends on. Defaults: the committed chains-tiny recipe. */
export interface PretrainOptions {
  /** Model folder written (config.json, generation_config.json, tokenizer files, model.safetensors). Default public/models/chains-tiny. */
  out: string;
  /** Loss curve CSV. Default <out>/loss.csv. */
  csv: string;
  /** Residual width. Default 96. */
  hidden: number;
  /** Decoder layers. Default 3. */
  layers: number;
  /** Query heads. Default 4. */
  heads: number;
  /** Key/value heads. Default 2. */
  kvHeads: number;
  /** SwiGLU inner width. Default 256 (~2.7 x hidden). */
  intermediate: number;
  /** Context length (max_position_embeddings). Default 1024. */
  maxPositions: number;
  /** Optimiser steps (an upper bound when maxMinutes ends the run first). Default 4000. */
  steps: number;
  /** Tokens (bos + prompt + completion + eos, unpadded) per optimiser step. Default 1024. */
  batchTokens: number;
  /** Padded-token budget of one micro-batch (rows x longest row; a step's documents are sorted by
   *  length, so a small budget means little padding). Default 1024. */
  microBatchTokens: number;
  /** Peak learning rate. Default 3e-3. */
  lr: number;
  /** Linear warm-up steps. Default 10. */
  warmupSteps: number;
  /** Cosine floor as a fraction of lr. Default 0.1. */
  minLrRatio: number;
  /** AdamW weight decay (matrices; norms and biases never decay). Default 0.1. */
  weightDecay: number;
  /** Seed of the weights (and trainer). Default 0. */
  seed: number;
  /** Pretraining data: seed, mix, slip model... Default PRETRAIN_DATA_RECIPE. */
  data: PretrainDataInput;
  /** Which tokens the loss covers: "document" (everything after <|bos|>: the prompt's reference
   *  lists, attempts and prefixes are computable too, so they teach arithmetic at no extra cost) or
   *  "completion" (the completion and its <|eos|> only). Default "document". */
  lossOn: 'document' | 'completion';
  /** Curriculum: earlier phases, each used until run progress (the larger of step and time
   *  progress) reaches `until` in (0, 1); `data` is used after the last one. Example indices run on
   *  across phases. Default PRETRAIN_CURRICULUM. */
  phases: CurriculumPhase[];
  /** Score the probe (pretrain-probe.ts) every this many steps and at the end (0: never). Default 100. */
  probeEvery: number;
  /** Probe documents per tier and kind. Default 16. */
  probePerTier: number;
  /** Write the model folder every this many steps (0: only at the end). Default 25. */
  saveEvery: number;
  /** Time budget in minutes (0 = none): training stops (and saves) when it is spent, and the
   *  learning-rate schedule advances by the larger of step and time progress, so the cosine decay
   *  completes on a slower machine too. Default 44. */
  maxMinutes: number;
  /** Log line sink. Default console.log. */
  log: (line: string) => void;
  /** Use this Gpu instead of creating one. */
  gpu?: Gpu;
}

export const PRETRAIN_DEFAULTS: Readonly<Omit<PretrainOptions, 'log' | 'gpu' | 'csv'>> = Object.freeze({
  out: 'public/models/chains-tiny',
  hidden: 96,
  layers: 3,
  heads: 4,
  kvHeads: 2,
  intermediate: 256,
  maxPositions: 1024,
  steps: 4000,
  batchTokens: 1024,
  microBatchTokens: 1024,
  lr: 3e-3,
  warmupSteps: 10,
  minLrRatio: 0.1,
  weightDecay: 0.1,
  seed: 0,
  data: PRETRAIN_DATA_RECIPE,
  lossOn: 'document',
  phases: PRETRAIN_CURRICULUM as CurriculumPhase[],
  probeEvery: 100,
  probePerTier: 16,
  saveEvery: 100,
  maxMinutes: 44,
});

export interface PretrainResult {
  config: ModelConfig;
  params: number;
  steps: number;
  examples: number;
  tokens: number;
  seconds: number;
  /** Mean loss of the first and last 5% of steps (at least one step each). */
  firstLoss: number;
  lastLoss: number;
  out: string;
}

export const CSV_HEADER = 'step,elapsed_s,examples,tokens,loss,lr,grad_norm,tokens_per_s';

/** The config.json object of the model a run trains. */
export function pretrainConfigJson(o: Pick<PretrainOptions, 'hidden' | 'layers' | 'heads' | 'kvHeads' | 'intermediate' | 'maxPositions'>, tok: CharTokenizer): Record<string, unknown> {
  return tinyLlamaConfigJson({
    vocabSize: tok.vocabSize,
    hiddenSize: o.hidden,
    intermediateSize: o.intermediate,
    numLayers: o.layers,
    numHeads: o.heads,
    numKvHeads: o.kvHeads,
    maxPositions: o.maxPositions,
    bosId: tok.bosId,
    eosId: tok.eosId,
    padId: tok.padId,
  });
}

/** generation_config.json: sample at temperature 1 (the distribution the model was trained to imitate). */
export function generationConfigJson(tok: CharTokenizer): Record<string, unknown> {
  return { bos_token_id: tok.bosId, eos_token_id: tok.eosId, pad_token_id: tok.padId, do_sample: true, temperature: 1.0, top_p: 1.0, max_new_tokens: 512 };
}

/** Write a Hugging Face model folder (each file written beside, then renamed into place). */
export async function writeModelFolder(
  dir: string,
  configJson: Record<string, unknown>,
  weights: Map<string, Float32Array>,
  tok: CharTokenizer,
  metadata: Record<string, string> = {},
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const config = parseModelConfig(configJson);
  const files: [string, string | Uint8Array][] = [
    ['config.json', JSON.stringify(configJson, null, 2) + '\n'],
    ['generation_config.json', JSON.stringify(generationConfigJson(tok), null, 2) + '\n'],
    ...Object.entries(tok.files({ modelMaxLength: config.maxPositions })),
    [
      'model.safetensors',
      writeSafetensors(
        [...weights].map(([name, data]) => ({ name, shape: shapeOf(config, name, data.length), dtype: 'F32' as const, data })),
        { format: 'pt', ...metadata },
      ),
    ],
  ];
  for (const [name, body] of files) {
    const tmp = join(dir, `.${name}.tmp`);
    await writeFile(tmp, body);
    await rename(tmp, join(dir, name));
  }
}

function shapeOf(config: ModelConfig, name: string, numel: number): number[] {
  // Only 1-D norms and 2-D matrices occur in a bias-free Llama.
  if (/norm\.weight$/.test(name)) return [numel];
  const cols = /down_proj/.test(name) ? config.intermediateSize : /o_proj/.test(name) ? config.numHeads * config.headDim : config.hiddenSize;
  return [numel / cols, cols];
}

/** Run a pretraining. Returns what it did; the model folder and CSV are written as it goes. */
export async function pretrain(input: Partial<PretrainOptions> = {}): Promise<PretrainResult> {
  const o: PretrainOptions = { ...PRETRAIN_DEFAULTS, csv: '', log: (l) => console.log(l), ...input };
  if (!o.csv) o.csv = join(o.out, 'loss.csv');
  for (const k of ['hidden', 'layers', 'heads', 'kvHeads', 'intermediate', 'maxPositions', 'steps', 'batchTokens', 'microBatchTokens'] as const) {
    if (!Number.isSafeInteger(o[k]) || o[k] < 1) throw new Error(`pretrain: ${k} must be an integer >= 1, got ${o[k]}`);
  }
  if (o.microBatchTokens < o.maxPositions) {
    throw new Error(`pretrain: microBatchTokens (${o.microBatchTokens}) must be >= maxPositions (${o.maxPositions}) so the longest document fits a micro-batch`);
  }
  if (o.lossOn !== 'document' && o.lossOn !== 'completion') throw new Error(`pretrain: lossOn must be "document" or "completion", got ${JSON.stringify(o.lossOn)}`);
  const tok = compactCharTokenizer();
  const configJson = pretrainConfigJson(o, tok);
  const config = parseModelConfig(configJson);
  const params = paramCount(config);
  const data = resolvePretrainConfig(o.data);
  let lastUntil = 0;
  const phases: { until: number; data: PretrainDataConfig }[] = o.phases.map((ph, i) => {
    if (!(typeof ph.until === 'number' && ph.until > lastUntil && ph.until < 1)) {
      throw new Error(`pretrain: phases[${i}].until must be in (${lastUntil}, 1) and increase from phase to phase, got ${ph.until}`);
    }
    lastUntil = ph.until;
    return { until: ph.until, data: resolvePretrainConfig({ ...o.data, ...ph.data, chains: { ...o.data.chains, ...ph.data.chains } }) };
  });
  const probe = o.probeEvery > 0 ? probeDocs(data, tok, o.probePerTier, o.maxPositions) : [];
  const probeCsv = join(o.out, 'probe.csv');
  const probeGroups = [...new Set(probe.map((d) => d.group))];
  const probeLines: string[] = [];
  const gpu = o.gpu ?? (await Gpu.create());
  o.log(`[pretrain] adapter: ${gpu.describe()}`);
  o.log(`[pretrain] model: C=${o.hidden} L=${o.layers} H=${o.heads} KV=${o.kvHeads} I=${o.intermediate} V=${tok.vocabSize} ctx=${o.maxPositions}: ${params} parameters`);
  o.log(`[pretrain] ${o.steps} steps x ${o.batchTokens} tokens, lr ${o.lr} (warm-up ${o.warmupSteps}, cosine to ${o.minLrRatio}), wd ${o.weightDecay}, data seed ${data.seed}`);
  if (phases.length > 0) o.log(`[pretrain] curriculum: ${phases.length} early phase(s) until progress ${phases.map((p) => p.until).join(', ')}, then the full recipe`);

  const { table, weights } = initWeights(config, { seed: o.seed });
  const gw = uploadWeights(gpu, table, weights, { dtype: 'f32' });
  const model = new Decoder(gpu, gw, { trainBase: true, recompute: false });
  const trainer = new BudgetedTrainer(model, {
    config: validateSftConfig({
      epochs: 1,
      batchSize: 1 << 20,
      microBatchTokens: o.microBatchTokens,
      shuffle: false,
      seed: o.seed,
      optim: { lr: o.lr, beta1: 0.9, beta2: 0.99, weightDecay: o.weightDecay, schedule: 'cosine', minLrRatio: o.minLrRatio, warmupSteps: o.warmupSteps, warmupRatio: 0 },
    }),
    totalSteps: o.steps,
  }, o.maxMinutes * 60);

  await mkdir(o.out, { recursive: true });
  await writeFile(o.csv, CSV_HEADER + '\n');
  const csvLines: string[] = [];
  const losses: number[] = [];
  let next = 0; // index of the next pretraining example
  let tokens = 0;
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const runProbe = async () => {
    if (probe.length === 0) return;
    const rows = probe.map((d, i) => trainer.makeRow(d.prompt, d.completion, `probe document ${i}`));
    const { logp } = await trainer.scoreRows(rows);
    const p = probeSummary(probe, logp);
    probeLines.push([trainer.step, elapsed().toFixed(1), tokens, ...probeGroups.flatMap((g) => [p[g].p.toFixed(4), p[g].nll.toFixed(4)])].join(','));
    const head = probeGroups.flatMap((g) => [`p_${g.replace(':', '_')}`, `nll_${g.replace(':', '_')}`]);
    await writeFile(probeCsv, ['step,elapsed_s,tokens,' + head.join(','), ...probeLines].join('\n') + '\n');
    o.log(`[pretrain] probe at step ${trainer.step} (P(right completion) / nats per token): ` + probeGroups.map((g) => `${g} ${p[g].p.toFixed(3)}/${p[g].nll.toFixed(2)}`).join('  '));
  };
  const dataNow = (): PretrainDataConfig => {
    const progress = Math.max(trainer.step / o.steps, trainer.timeProgress());
    return phases.find((ph) => progress < ph.until)?.data ?? data;
  };
  const save = async (why: string) => {
    const w = await readWeights(gpu, gw);
    await writeModelFolder(o.out, configJson, w, tok, { steps: String(trainer.step), examples: String(next), tokens: String(tokens) });
    await writeFile(o.csv, [CSV_HEADER, ...csvLines].join('\n') + '\n');
    o.log(`[pretrain] saved ${o.out} at step ${trainer.step} (${why})`);
  };
  try {
    while (trainer.step < o.steps) {
      const batch: SftExample[] = [];
      let got = 0;
      const stepData = dataNow();
      while (got < o.batchTokens) {
        const e = encodeExample(pretrainExample(next++, stepData), tok);
        if (e.ids.length > o.maxPositions) continue;
        const ids = Array.from(e.ids);
        const cut = o.lossOn === 'document' ? 1 : e.promptLength;
        batch.push({ prompt: ids.slice(0, cut), completion: ids.slice(cut) });
        got += ids.length;
      }
      // Longest first, so each micro-batch holds rows of similar length (little padding).
      batch.sort((a, b) => b.prompt.length + b.completion.length - (a.prompt.length + a.completion.length));
      const lr = trainer.learningRate;
      const r = await trainer.sftStep(batch);
      tokens += got;
      const loss = r.metrics.loss ?? NaN;
      losses.push(loss);
      const line = [trainer.step, elapsed().toFixed(1), next, tokens, loss.toFixed(5), lr.toExponential(3), r.gradNorm?.toFixed(4) ?? '', (tokens / elapsed()).toFixed(0)].join(',');
      csvLines.push(line);
      if (trainer.step % 10 === 0 || trainer.step === 1) {
        o.log(`[pretrain] step ${trainer.step}/${o.steps} loss ${loss.toFixed(4)} lr ${lr.toExponential(2)} gn ${r.gradNorm?.toFixed(3)} ${(tokens / elapsed()).toFixed(0)} tok/s ${elapsed().toFixed(0)}s${r.skipped ? ` SKIPPED: ${r.reason}` : ''}`);
        await writeFile(o.csv, [CSV_HEADER, ...csvLines].join('\n') + '\n');
      }
      if (o.probeEvery > 0 && trainer.step % o.probeEvery === 0) await runProbe();
      if (trainer.timeProgress() >= 1) {
        o.log(`[pretrain] time limit of ${o.maxMinutes} min reached at step ${trainer.step}`);
        break;
      }
      if (o.saveEvery > 0 && trainer.step % o.saveEvery === 0 && trainer.step < o.steps) await save('periodic');
    }
    if (o.probeEvery > 0 && trainer.step % o.probeEvery !== 0) await runProbe();
    await save('final');
  } finally {
    trainer.release();
    model.release();
    gw.release();
  }
  const k = Math.max(1, Math.round(losses.length * 0.05));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    config,
    params,
    steps: trainer.step,
    examples: next,
    tokens,
    seconds: elapsed(),
    firstLoss: mean(losses.slice(0, k)),
    lastLoss: mean(losses.slice(-k)),
    out: o.out,
  };
}

const HELP = `npm run pretrain -- [options]
  --out DIR            model folder (default ${PRETRAIN_DEFAULTS.out})
  --csv FILE           loss curve CSV (default <out>/loss.csv)
  --hidden N --layers N --heads N --kv-heads N --intermediate N --max-positions N
  --steps N            optimiser steps (default ${PRETRAIN_DEFAULTS.steps})
  --batch-tokens N     tokens per step (default ${PRETRAIN_DEFAULTS.batchTokens})
  --micro-batch-tokens N
  --lr X --warmup-steps N --min-lr-ratio X --weight-decay X
  --seed N             weight seed (default 0)
  --data-seed N        pretraining document seed (default: pretrain-data.ts default)
  --slip-scale X       slip model scale (default 1)
  --save-every N       write the folder every N steps (default ${PRETRAIN_DEFAULTS.saveEvery})
  --probe-every N      score the probe (P(correct solve trace), P(ideal verify log) per tier on fresh
                       train-split problems) every N steps into <out>/probe.csv (default ${PRETRAIN_DEFAULTS.probeEvery}; 0 = never)
  --probe-per-tier N   probe documents per tier and kind (default ${PRETRAIN_DEFAULTS.probePerTier})
  --no-curriculum      train on the full recipe from the first step
  --loss-on WHAT       "document" (every token after <|bos|>, default) or "completion" 
  --max-minutes X      time budget: stop and save after X minutes, lr schedule follows it (default 44; 0 = none)`;

/** Parse command-line flags into options; unknown flags are errors. */
export function parsePretrainArgs(argv: readonly string[]): Partial<PretrainOptions> {
  const o: Partial<PretrainOptions> = {};
  const data: PretrainDataInput = { ...PRETRAIN_DATA_RECIPE };
  const num = (flag: string, v: string | undefined) => {
    const x = Number(v);
    if (v === undefined || !Number.isFinite(x)) throw new Error(`${flag} needs a number, got ${JSON.stringify(v)}`);
    return x;
  };
  const keys: Record<string, keyof PretrainOptions> = {
    '--hidden': 'hidden', '--layers': 'layers', '--heads': 'heads', '--kv-heads': 'kvHeads', '--intermediate': 'intermediate',
    '--max-positions': 'maxPositions', '--steps': 'steps', '--batch-tokens': 'batchTokens', '--micro-batch-tokens': 'microBatchTokens',
    '--lr': 'lr', '--warmup-steps': 'warmupSteps', '--min-lr-ratio': 'minLrRatio', '--weight-decay': 'weightDecay', '--seed': 'seed',
    '--save-every': 'saveEvery', '--max-minutes': 'maxMinutes', '--probe-every': 'probeEvery', '--probe-per-tier': 'probePerTier',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') throw new Error(HELP);
    if (a === '--out') o.out = argv[++i];
    else if (a === '--csv') o.csv = argv[++i];
    else if (a === '--no-curriculum') o.phases = [];
    else if (a === '--loss-on') {
      const v = argv[++i];
      if (v !== 'document' && v !== 'completion') throw new Error(`--loss-on must be "document" or "completion", got ${JSON.stringify(v)}`);
      o.lossOn = v;
    }
    else if (a === '--data-seed') data.seed = num(a, argv[++i]);
    else if (a === '--slip-scale') data.slip = { scale: num(a, argv[++i]) };
    else if (keys[a]) (o as Record<string, number>)[keys[a]] = num(a, argv[++i]);
    else throw new Error(`unknown option ${a}\n${HELP}`);
  }
  o.data = data;
  return o;
}

async function main(): Promise<void> {
  let opts: Partial<PretrainOptions>;
  try {
    opts = parsePretrainArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  if (opts.out) opts.out = resolve(opts.out);
  const r = await pretrain(opts);
  console.log(
    `[pretrain] done: ${r.params} parameters, ${r.steps} steps, ${r.examples} documents, ${r.tokens} tokens in ${(r.seconds / 60).toFixed(1)} min; ` +
      `loss ${r.firstLoss.toFixed(3)} -> ${r.lastLoss.toFixed(3)}; folder ${r.out}`,
  );
  process.exit(0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
