// The state of one pretraining run and its set-up phase: the model (fresh weights of the
// configured shape), the time-budgeted trainer, the probe's documents, and the counters the
// training loop, the probe, the own-attempt rounds and the saves share.
import { Gpu } from '../gpu';
import { compactCharTokenizer, type CharTokenizer } from '../io/char-tokenizer';
import { parseModelConfig, type ModelConfig } from '../model/config';
import { Decoder } from '../model/decoder';
import { initWeights, paramCount } from '../model/init';
import { loadModelWeights, uploadWeights, type ModelWeights } from '../model/weights';
import { buildParamTable } from '../model/params';
import { validateSftConfig } from '../train/config';
import { learningRate } from '../train/schedule';
import { Trainer, type TrainerOptions, type TrainRow } from '../train/trainer';
import type { PretrainDataConfig, PretrainExample } from '../tasks/chains/pretrain-data';
import { decisionDocs, probeDocs, type DecisionDoc, type DecisionFigures, type ProbeDoc } from '../tasks/chains/pretrain-probe';
import type { VerdictRates } from '../tasks/chains/verdict-balance';
import { checkPretrainConfig, PRETRAIN_RUN_DEFAULTS, resolvePretrainData, type ResolvedPhase } from './config';
import { CSV_HEADER, pretrainConfigJson, type PretrainSink } from './folder';
import type { PretrainRunOptions } from './types';

/** Trainer whose schedule runs on the larger of step progress and time progress: with a time
 *  budget the cosine decay still completes when the machine is slower than planned. */
export class BudgetedTrainer extends Trainer {
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

/** The probe (pretrain-probe.ts): its documents, their rows and probe.csv so far. Empty when
 *  probeEvery is 0. */
export interface ProbeSet {
  docs: ProbeDoc[];
  decide: DecisionDoc[];
  groups: string[];
  /** Rows of docs then decide, built once and scored at every probe. */
  rows: TrainRow[];
  /** probe.csv's header line and one line per probe so far. */
  head: string;
  lines: string[];
}

/** The checkpoint the folder gets (keepBestAfter): weights copied off the GPU at a probe or round. */
export interface KeptCheckpoint {
  weights: Map<string, Float32Array>;
  step: number;
  examples: number;
  tokens: number;
  decisions: DecisionFigures;
}

/** The latest own-attempt round's documents (in a seeded order), the step it ran at, rounds so
 *  far and own documents trained on so far. */
export interface OwnDocs {
  docs: PretrainExample[];
  step: number;
  rounds: number;
  used: number;
}

/** Everything the phases of one run share. */
export interface RunState {
  readonly o: PretrainRunOptions;
  readonly sink: PretrainSink;
  readonly tok: CharTokenizer;
  /** config.json of the trained model, and its parsed form. */
  readonly configJson: Record<string, unknown>;
  readonly config: ModelConfig;
  readonly params: number;
  /** The full recipe's data, used after the last curriculum phase. */
  readonly data: PretrainDataConfig;
  readonly phases: ResolvedPhase[];
  readonly gpu: Gpu;
  readonly gw: ModelWeights;
  readonly model: Decoder;
  readonly trainer: BudgetedTrainer;
  readonly probe: ProbeSet;
  /** performance.now() when training began. */
  readonly t0: number;
  /** Index of the next pretraining example, and tokens trained on so far. */
  next: number;
  tokens: number;
  /** loss.csv lines after its header, and every step's loss. */
  csvLines: string[];
  losses: number[];
  kept: KeptCheckpoint | null;
  /** The latest decision figures from the source keepBestBy names. */
  lastDecisions: DecisionFigures | null;
  bestBalanced: number;
  own: OwnDocs;
  /** ln of the bad-to-ok verdict weight ratio's multiplier (selfVerifyCalibrate), and the verdict
   *  weights in force. */
  tilt: number;
  weightsNow: { ok: number; bad: number };
  /** Decision shares per cell of each phase's data, measured once when the phase is first used
   *  (only with verdictBalance > 0). */
  rates: Map<PretrainDataConfig, VerdictRates>;
}

/** Seconds since training began. */
export const elapsed = (r: RunState): number => (performance.now() - r.t0) / 1000;

/** Run progress: the larger of step and time-budget progress (may pass 1 on the time budget). */
export const progress = (r: RunState): number => Math.max(r.trainer.step / r.o.steps, r.trainer.timeProgress());

/** The data of the curriculum phase the run is in. */
export const dataNow = (r: RunState): PretrainDataConfig => r.phases.find((ph) => progress(r) < ph.until)?.data ?? r.data;

/** Options with their defaults, checked (throws at the first bad field). */
export function pretrainOptions(input: Partial<PretrainRunOptions>): PretrainRunOptions {
  const o: PretrainRunOptions = { ...PRETRAIN_RUN_DEFAULTS, log: (l) => console.log(l), ...input };
  checkPretrainConfig(o);
  return o;
}

/** Weights initialised from the run's seed. */
function freshWeights(gpu: Gpu, o: PretrainRunOptions, config: ModelConfig): ModelWeights {
  const { table, weights } = initWeights(config, { seed: o.seed });
  return uploadWeights(gpu, table, weights, { dtype: 'f32' });
}

/** Weights of the model folder `o.init`, whose config.json must have the run's shape. */
async function warmStart(gpu: Gpu, o: PretrainRunOptions, config: ModelConfig): Promise<ModelWeights> {
  const src = o.init!;
  const theirs = parseModelConfig(await src.json<Record<string, unknown>>('config.json'));
  const fields = ['vocabSize', 'hiddenSize', 'intermediateSize', 'numLayers', 'numHeads', 'numKvHeads', 'maxPositions'] as const;
  const off = fields.filter((f) => theirs[f] !== config[f]).map((f) => `${f} ${theirs[f]} there, ${config[f]} here`);
  if (off.length > 0) {
    throw new Error(`pretrain: the model to continue from (${src.label}) has another shape: ${off.join('; ')}. Give the run its shape (npm run pretrain reads it from the folder's config.json when --init is given), or continue from a folder of this shape`);
  }
  o.log(`[pretrain] continuing from ${src.label} (a warm start: its weights, this run's data and schedule)`);
  return loadModelWeights(gpu, src, buildParamTable(config), { dtype: 'f32' });
}

/** Set a run up: resolve its data, build the probe's documents, get the device, initialise the
 *  model and its trainer, and start loss.csv. */
export async function startRun(o: PretrainRunOptions, sink: PretrainSink): Promise<RunState> {
  const tok = compactCharTokenizer();
  const configJson = pretrainConfigJson(o, tok);
  const config = parseModelConfig(configJson);
  const params = paramCount(config);
  const { data, phases } = resolvePretrainData(o);
  const docs = o.probeEvery > 0 ? probeDocs(data, tok, o.probePerTier, o.maxPositions) : [];
  const decide = o.probeEvery > 0 ? decisionDocs(data, tok, 2 * o.probePerTier, o.maxPositions) : [];
  const groups = [...new Set(docs.map((d) => d.group))];
  const gpu = o.gpu ?? (await Gpu.create());
  o.log(`[pretrain] adapter: ${gpu.describe()}`);
  o.log(`[pretrain] model: C=${o.hidden} L=${o.layers} H=${o.heads} KV=${o.kvHeads} I=${o.intermediate} V=${tok.vocabSize} ctx=${o.maxPositions}: ${params} parameters`);
  o.log(`[pretrain] ${o.steps} steps x ${o.batchTokens} tokens, lr ${o.lr} (warm-up ${o.warmupSteps}, cosine to ${o.minLrRatio}), wd ${o.weightDecay}, data seed ${data.seed}`);
  if (phases.length > 0) o.log(`[pretrain] curriculum: ${phases.length} early phase(s) until progress ${phases.map((p) => p.until).join(', ')}, then the full recipe`);

  const gw = o.init ? await warmStart(gpu, o, config) : freshWeights(gpu, o, config);
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

  await sink.lossCsv(CSV_HEADER + '\n');
  const t0 = performance.now();
  // The probe's rows and CSV header never change: built once, scored at every probe.
  const probe: ProbeSet = {
    docs,
    decide,
    groups,
    rows: [...docs, ...decide].map((d, i) => trainer.makeRow(d.prompt, d.completion, `probe document ${i}`)),
    head: 'step,elapsed_s,tokens,' + groups.flatMap((g) => [`p_${g.replace(':', '_')}`, `nll_${g.replace(':', '_')}`]).join(',') + ',decide_ok,decide_bad,decide_balanced',
    lines: [],
  };
  return {
    o, sink, tok, configJson, config, params, data, phases, gpu, gw, model, trainer, probe, t0,
    next: 0,
    tokens: 0,
    csvLines: [],
    losses: [],
    kept: null,
    lastDecisions: null,
    bestBalanced: -Infinity,
    own: { docs: [], step: -Infinity, rounds: 0, used: 0 },
    tilt: 0,
    weightsNow: { ok: o.verdictWeightOk, bad: o.verdictWeightBad },
    rates: new Map(),
  };
}
