// Pretraining of the chains model from scratch, independent of where its files go: the recipe
// (defaults, data mix, curriculum), the training loop on the project's Trainer, and a sink that
// receives the model folder, loss.csv and probe.csv (node:fs in src/cli/pretrain.ts, memory here).
import { Gpu } from '../gpu';
import { compactCharTokenizer, type CharTokenizer } from '../io/char-tokenizer';
import { writeSafetensors } from '../io/safetensors';
import { parseModelConfig, type ModelConfig } from '../model/config';
import { Decoder } from '../model/decoder';
import { initWeights, paramCount, tinyLlamaConfigJson } from '../model/init';
import { sampleTexts, type SampleCodec } from '../model/sample-texts';
import { readWeights, uploadWeights } from '../model/weights';
import { validateSftConfig } from '../train/config';
import { learningRate } from '../train/schedule';
import { Trainer, type SftExample, type TrainerOptions } from '../train/trainer';
import { TINY_LADDER } from '../tasks/chains/config';
import { documentLossStart, drawPretrainProblem, encodeExample, pretrainExample, resolvePretrainConfig, type PretrainDataConfig, type PretrainDataInput, type PretrainExample } from '../tasks/chains/pretrain-data';
import { balancedStandardError, decisionDocs, decisionSummary, probeDocs, probeSummary, type DecisionFigures } from '../tasks/chains/pretrain-probe';
import { compactRenderers } from '../tasks/chains/render';
import { createRng, shuffled } from '../tasks/chains/rng';
import { nextVerdictTilt, ownDecisions, selfVerifyRound, selfVerifySummary, tiltedVerdictWeights } from '../tasks/chains/self-verify';
import { balanceFactors, recipeVerdictRates, type VerdictRates } from '../tasks/chains/verdict-balance';

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
  mix: { solve: 0.45, verify: 0.3, verifyOk: 0.05, continue: 0.1, hint: 0.05, reflect: 0.05 },
  // Half the verify slips are copy slips (only the reference value reveals them), and a fifth of
  // them sit on step 1, where the model's own long-chain failures mostly start.
  copySlipShare: 0.5,
  firstStepErrorShare: 0.2,
});

/** One curriculum phase (see PretrainRunConfig.phases). */
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

/** The settings of a pretraining run (plain data: it can cross a worker boundary). Defaults: the
 *  committed chains-tiny recipe (PRETRAIN_RUN_DEFAULTS). */
export interface PretrainRunConfig {
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
   *  values, attempts and prefixes are computable too, so they teach arithmetic at no extra cost;
   *  but not the character that picks the format after the question, see documentLossStart) or
   *  "completion" (the completion and its <|eos|> only). Default "document". */
  lossOn: 'document' | 'completion';
  /** Loss weight of each verifier decision that a line is right (the "o" of an "ok" verdict in
   *  verify / verifyOk documents); every other counted token weighs 1 and the step loss is the
   *  weighted mean. A verify document holds one decision per ~16 characters (~1% of the tokens), so
   *  at weight 1 comparing a line's value with its reference is learned late. Default 7.5 (the
   *  embedded checkpoint's recipe). */
  verdictWeightOk: number;
  /** Loss weight of each decision that a line is wrong (the "b" of a "bad" verdict). About half as
   *  many lines are wrong as right, so the default, 15, gives both decisions the same total weight
   *  (with verdictBalance, which evens the classes out line by line, equal weights do that). */
  verdictWeightBad: number;
  /** Position balance of the decisions (verdict-balance.ts), in [0, 1]: each decision's weight is
   *  multiplied by (0.5 / share of its class at its (reference steps, line) cell) ^ verdictBalance,
   *  the shares measured on the run's own data at the start. At 1 "ok" and "bad" weigh the same at
   *  every line of every problem length, so the line's position tells the verifier nothing and
   *  only comparing the value with its reference does. Default 0 (off: the embedded checkpoint's
   *  recipe). In short GPU runs (docs/results/verifier-scan-h200.md) 0.5 with weights 10 / 10
   *  judged best on average, but single runs spread as widely as the settings differ. */
  verdictBalance: number;
  /** Curriculum: earlier phases, each used until run progress (the larger of step and time
   *  progress) reaches `until` in (0, 1); `data` is used after the last one. Example indices run on
   *  across phases. Default PRETRAIN_CURRICULUM. */
  phases: CurriculumPhase[];
  /** Score the probe (pretrain-probe.ts) every this many steps and at the end (0: never). Default 100. */
  probeEvery: number;
  /** Probe documents per tier and kind (the decision probe scores twice as many). Default 16. */
  probePerTier: number;
  /** From this run progress on (in [0, 1]), the run delivers the latest probed checkpoint whose
   *  verifier decisions on the probe's train-split documents (keepBestBy "own": on the documents of each
   *  own-attempt round) are within keepBestMargin of the best
   *  (balanced accuracy: the mean of the right-line "ok" and first-wrong-line "bad" shares), not
   *  simply the last. A verifier's threshold drifts from probe to probe late in training; this
   *  keeps a point where it discriminates. 1 = always the last (default, the embedded checkpoint's
   *  recipe); e.g. 0.8 for the last fifth. Needs probeEvery > 0 (keepBestBy "probe") or
   *  selfVerifyFrom < 1 (keepBestBy "own"). */
  keepBestAfter: number;
  /** How much worse than the best probe so far a later probe may be and still be kept, in standard
   *  errors of its balanced accuracy (balancedStandardError): the run keeps the latest probed
   *  checkpoint within that margin of the best, so noise-level differences do not send it back to
   *  an earlier, less trained step. 0 = the best exactly (ties to the later). Default 2. */
  keepBestMargin: number;
  /** Which decisions keepBestAfter judges a checkpoint by: "probe" (the decision probe's injected-slip
   *  documents, scored every probeEvery steps; the default) or "own" (the documents of each
   *  own-attempt round, the model's own failures on train-split problems, scored right after the
   *  round; needs selfVerifyFrom < 1). In short GPU runs the probe tracked the verifier on its own
   *  failures only in some runs (docs/results/own-attempt-verify.md); "own" measures exactly what
   *  model-report's location accuracy does, on train-split problems. */
  keepBestBy: 'probe' | 'own';
  /** Own-attempt verify documents (self-verify.ts): from this run progress on (in (0, 1]; 1 = never),
   *  every selfVerifyEvery steps the run samples
   *  the current model's solutions of fresh train-split problems at temperature 1 and, until the
   *  next round, draws selfVerifyShare of its documents from the verify documents of those
   *  attempts: every failed one (its ideal log up to the first wrong line and the intervention) and
   *  selfVerifyOkShare of the right ones. The verifier then sees the errors it actually makes, which
   *  re-doing the line does not reveal. Sampling time counts against maxMinutes. Default 0.5 (the
   *  embedded checkpoint's recipe: the second half). */
  selfVerifyFrom: number;
  /** Steps between two rounds of own attempts (a round of 64 x 4 attempts took 5-14 s on lavapipe,
   *  about 4% of a 44-minute run from progress 0.5). Default 100. */
  selfVerifyEvery: number;
  /** Train-split problems per round (tiers by the data's tierWeights). Default 64. */
  selfVerifyProblems: number;
  /** Attempts per problem. Default 4. */
  selfVerifySamples: number;
  /** Share of a step's documents drawn from the latest round's documents. Default 0.1 (the embedded
   *  checkpoint's recipe; at 0.25 the lavapipe runs solved less, docs/results/own-attempt-verify.md). */
  selfVerifyShare: number;
  /** Share of right attempts that become "verifyOk" documents. Default 0.25. */
  selfVerifyOkShare: number;
  /** Pair each failed attempt's document with the all-"ok" log of the problem's right solution, so
   *  at the failed line "bad" and "ok" differ only in the line's value, not its position. It also
   *  doubles the "ok" decisions of these documents; in the one lavapipe run with pairs the verifier
   *  said "ok" more and found fewer first errors (docs/results/own-attempt-verify.md). Default false. */
  selfVerifyPairs: boolean;
  /** Verdict calibration on own attempts (0 = off; without rounds, selfVerifyFrom 1, it does
   *  nothing): after each round the run scores up to SELF_VERIFY_CALIBRATION_DOCS of the round's
   *  documents teacher-forced and moves the ratio of
   *  the "bad" to the "ok" verdict weight toward the decision the verifier gets wrong more often:
   *  ln(ratio multiplier) += this gain x (right-line "ok" share - first-wrong-line "bad" share),
   *  within 8x either way (nextVerdictTilt), the weights' geometric mean unchanged. It aims to hold
   *  the verifier's threshold where its own errors balance; in short GPU runs the decisions swung
   *  from round to round faster than it corrects (docs/results/own-attempt-calibration-h200.md).
   *  Default 1 (the embedded checkpoint's recipe). */
  selfVerifyCalibrate: number;
  /** Save the model folder every this many steps (0: only at the end). Default 100. */
  saveEvery: number;
  /** Time budget in minutes (0 = none): training stops (and saves) when it is spent, and the
   *  learning-rate schedule advances by the larger of step and time progress, so the cosine decay
   *  completes on a slower machine too. Default 44. */
  maxMinutes: number;
}

export const PRETRAIN_RUN_DEFAULTS: Readonly<PretrainRunConfig> = Object.freeze({
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
  verdictWeightOk: 7.5,
  verdictWeightBad: 15,
  verdictBalance: 0,
  phases: PRETRAIN_CURRICULUM as CurriculumPhase[],
  probeEvery: 100,
  probePerTier: 16,
  keepBestAfter: 1,
  keepBestMargin: 2,
  keepBestBy: 'probe',
  selfVerifyFrom: 0.5,
  selfVerifyEvery: 100,
  selfVerifyProblems: 64,
  selfVerifySamples: 4,
  selfVerifyShare: 0.1,
  selfVerifyOkShare: 0.25,
  selfVerifyPairs: false,
  selfVerifyCalibrate: 1,
  saveEvery: 100,
  maxMinutes: 44,
});

/** What one optimiser step reports (onStep). */
export interface PretrainStepInfo {
  step: number;
  /** Planned steps (the run may end earlier on its time budget). */
  steps: number;
  loss: number;
  lr: number;
  gradNorm: number | null;
  /** Documents drawn so far and tokens trained on so far. */
  examples: number;
  tokens: number;
  /** Seconds since training began. */
  elapsed: number;
  tokensPerSecond: number;
  /** Run progress in [0, 1]: the larger of step and time-budget progress. */
  progress: number;
  /** Why the optimiser skipped this step (non-finite gradients), else null. */
  skipped: string | null;
}

/** What one probe reports (onProbe): P(right completion) and nats per token by group. */
export interface PretrainProbeInfo {
  step: number;
  elapsed: number;
  tokens: number;
  groups: Record<string, { p: number; nll: number }>;
  /** The verifier's decisions on the decision probe's documents. */
  decisions: DecisionFigures;
  /** The log line of this probe. */
  line: string;
}

/** Everything a pretraining run takes besides its settings: log, device, live callbacks, stop switches. */
export interface PretrainRunOptions extends PretrainRunConfig {
  /** Log line sink. Default console.log. */
  log: (line: string) => void;
  /** Use this Gpu instead of creating one. */
  gpu?: Gpu;
  /** Called after every optimiser step. */
  onStep?: (s: PretrainStepInfo) => void;
  /** Called after every probe. */
  onProbe?: (p: PretrainProbeInfo) => void;
  /** Checked before every step and before the final save: true aborts the run (it rejects with
   *  PretrainCancelled; nothing more is written). */
  cancelled?: () => boolean;
  /** Checked after every step: true ends training early like the time budget (probe, final save). */
  stopEarly?: () => boolean;
}

/** A model folder as file name -> contents (config.json, generation_config.json, tokenizer files, model.safetensors). */
export type ModelFolderFiles = Record<string, string | Uint8Array>;

/** Where a pretraining run's files go. Each call replaces what the previous call of the same kind wrote. */
export interface PretrainSink {
  /** Where the files go, for log lines ("saved <label> at step ..."). */
  readonly label: string;
  /** The whole model folder (periodic and final saves). */
  saveModel(files: ModelFolderFiles): Promise<void>;
  /** loss.csv: CSV_HEADER and every step so far. */
  lossCsv(text: string): Promise<void>;
  /** probe.csv: its header and every probe so far. */
  probeCsv(text: string): Promise<void>;
}

export interface PretrainRunResult {
  config: ModelConfig;
  params: number;
  steps: number;
  examples: number;
  tokens: number;
  seconds: number;
  /** Mean loss of the first and last 5% of steps (at least one step each). */
  firstLoss: number;
  lastLoss: number;
  /** The step whose weights the model folder holds (keepBestAfter), and its decision figures from
   *  the source keepBestBy names (null when that source never ran). */
  keptStep: number;
  keptDecisions: DecisionFigures | null;
  /** Rounds of own attempts sampled and own-attempt documents trained on (selfVerifyFrom). */
  ownRounds: number;
  ownDocuments: number;
  /** The verdict weights in force at the end (selfVerifyCalibrate moves them; else the configured ones). */
  verdictWeights: { ok: number; bad: number };
}

export class PretrainCancelled extends Error {
  constructor(step: number) {
    super(`pretraining was cancelled at step ${step}`);
  }
}

/** Most own-attempt documents a calibration scores per round. */
export const SELF_VERIFY_CALIBRATION_DOCS = 128;

/** Most tokens of one own attempt (the longest hard solution is ~350 characters). */
export const OWN_ATTEMPT_TOKENS = 400;

export const CSV_HEADER = 'step,elapsed_s,examples,tokens,loss,lr,grad_norm,tokens_per_s';

/** The config.json object of the model a run trains. */
export function pretrainConfigJson(o: Pick<PretrainRunConfig, 'hidden' | 'layers' | 'heads' | 'kvHeads' | 'intermediate' | 'maxPositions'>, tok: CharTokenizer): Record<string, unknown> {
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

/** The files of a Hugging Face model folder, in writing order (config first, weights last). */
export function modelFolderFiles(
  configJson: Record<string, unknown>,
  weights: Map<string, Float32Array>,
  tok: CharTokenizer,
  metadata: Record<string, string> = {},
): ModelFolderFiles {
  const config = parseModelConfig(configJson);
  return {
    'config.json': JSON.stringify(configJson, null, 2) + '\n',
    'generation_config.json': JSON.stringify(generationConfigJson(tok), null, 2) + '\n',
    ...tok.files({ modelMaxLength: config.maxPositions }),
    'model.safetensors': writeSafetensors(
      [...weights].map(([name, data]) => ({ name, shape: shapeOf(config, name, data.length), dtype: 'F32' as const, data })),
      { format: 'pt', ...metadata },
    ),
  };
}

function shapeOf(config: ModelConfig, name: string, numel: number): number[] {
  // Only 1-D norms and 2-D matrices occur in a bias-free Llama.
  if (/norm\.weight$/.test(name)) return [numel];
  const cols = /down_proj/.test(name) ? config.intermediateSize : /o_proj/.test(name) ? config.numHeads * config.headDim : config.hiddenSize;
  return [numel / cols, cols];
}

/** A sink that keeps the files in memory (the browser worker stores them in IndexedDB afterwards). */
export class MemoryPretrainSink implements PretrainSink {
  model: Record<string, Uint8Array> = {};
  loss = '';
  probe = '';
  constructor(readonly label = 'the in-memory model folder') {}
  async saveModel(files: ModelFolderFiles): Promise<void> {
    const enc = new TextEncoder();
    this.model = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? enc.encode(v) : v]));
  }
  async lossCsv(text: string): Promise<void> {
    this.loss = text;
  }
  async probeCsv(text: string): Promise<void> {
    this.probe = text;
  }
  /** The model folder with its loss.csv (and probe.csv when the probe ran), as the CLI leaves it on disk. */
  files(): Record<string, Uint8Array> {
    const enc = new TextEncoder();
    const out: Record<string, Uint8Array> = { ...this.model };
    if (this.loss) out['loss.csv'] = enc.encode(this.loss);
    if (this.probe) out['probe.csv'] = enc.encode(this.probe);
    return out;
  }
}

/** Per-token loss weights of a document's trained part: `w.ok` / `w.bad` on the verdict decisions
 *  (character offsets `at` of `completion`, which starts `offset` tokens into the trained part of
 *  `n` tokens; "o" is an ok, "b" a bad decision), each times its `factors` entry (default 1), and 1
 *  elsewhere; nothing when no token differs from 1 (the plain mean). Character-level: one token
 *  per character. */
export function verdictWeights(completion: string, at: readonly number[], offset: number, n: number, w: { ok: number; bad: number }, factors?: readonly number[]): { weights?: number[] } {
  if (factors && factors.length !== at.length) throw new Error(`verdictWeights: ${factors.length} factors for ${at.length} decisions`);
  if (at.length === 0 || (w.ok === 1 && w.bad === 1 && (!factors || factors.every((f) => f === 1)))) return {};
  const out = new Array<number>(n).fill(1);
  at.forEach((j, k) => {
    const c = completion[j];
    if (c !== 'o' && c !== 'b') throw new Error(`verdictWeights: character ${j} of the completion is ${JSON.stringify(c)}, not the "o" / "b" of a verdict`);
    if (offset + j < 0 || offset + j >= n) throw new Error(`verdictWeights: verdict offset ${j} lies outside the ${n - offset}-token completion`);
    out[offset + j] = (c === 'o' ? w.ok : w.bad) * (factors?.[k] ?? 1);
  });
  return { weights: out };
}

/** Run a pretraining; the model folder and CSVs go to `sink` as it goes. Returns what it did. */
export async function runPretrain(input: Partial<PretrainRunOptions>, sink: PretrainSink): Promise<PretrainRunResult> {
  const o: PretrainRunOptions = { ...PRETRAIN_RUN_DEFAULTS, log: (l) => console.log(l), ...input };
  for (const k of ['hidden', 'layers', 'heads', 'kvHeads', 'intermediate', 'maxPositions', 'steps', 'batchTokens', 'microBatchTokens'] as const) {
    if (!Number.isSafeInteger(o[k]) || o[k] < 1) throw new Error(`pretrain: ${k} must be an integer >= 1, got ${o[k]}`);
  }
  if (o.microBatchTokens < o.maxPositions) {
    throw new Error(`pretrain: microBatchTokens (${o.microBatchTokens}) must be >= maxPositions (${o.maxPositions}) so the longest document fits a micro-batch`);
  }
  if (o.lossOn !== 'document' && o.lossOn !== 'completion') throw new Error(`pretrain: lossOn must be "document" or "completion", got ${JSON.stringify(o.lossOn)}`);
  for (const k of ['verdictWeightOk', 'verdictWeightBad'] as const) {
    if (!(typeof o[k] === 'number' && Number.isFinite(o[k]) && o[k] >= 0)) throw new Error(`pretrain: ${k} must be a finite number >= 0 (1 = no extra weight), got ${o[k]}`);
  }
  if (!(typeof o.keepBestAfter === 'number' && o.keepBestAfter >= 0 && o.keepBestAfter <= 1)) {
    throw new Error(`pretrain: keepBestAfter must be a number in [0, 1] (1 = keep the last checkpoint), got ${o.keepBestAfter}`);
  }
  if (!(typeof o.keepBestMargin === 'number' && Number.isFinite(o.keepBestMargin) && o.keepBestMargin >= 0)) {
    throw new Error(`pretrain: keepBestMargin is a number of standard errors >= 0 (0 = the best probe exactly), got ${o.keepBestMargin}`);
  }
  if (o.keepBestBy !== 'probe' && o.keepBestBy !== 'own') throw new Error(`pretrain: keepBestBy must be "probe" or "own", got ${JSON.stringify(o.keepBestBy)}`);
  if (o.keepBestAfter < 1 && o.keepBestBy === 'own' && !(o.selfVerifyFrom < 1)) {
    throw new Error(`pretrain: keepBestBy "own" judges checkpoints by own-attempt rounds, but selfVerifyFrom is ${o.selfVerifyFrom} (no rounds); set selfVerifyFrom < 1 (e.g. 0.5) or keepBestBy to "probe"`);
  }
  if (o.keepBestAfter < 1 && o.keepBestBy === 'probe' && !(o.probeEvery > 0)) {
    throw new Error(`pretrain: keepBestAfter ${o.keepBestAfter} chooses among probed checkpoints, but probeEvery is ${o.probeEvery}; set probeEvery > 0 (e.g. 100) or keepBestAfter to 1`);
  }
  if (!(typeof o.verdictBalance === 'number' && o.verdictBalance >= 0 && o.verdictBalance <= 1)) {
    throw new Error(`pretrain: verdictBalance must be a number in [0, 1] (0 = off, 1 = ok and bad weigh the same at every line), got ${o.verdictBalance}`);
  }
  if (!(typeof o.selfVerifyFrom === 'number' && o.selfVerifyFrom > 0 && o.selfVerifyFrom <= 1)) {
    throw new Error(`pretrain: selfVerifyFrom must be a run progress in (0, 1] (1 = no own-attempt documents; e.g. 0.5 for the second half), got ${o.selfVerifyFrom}`);
  }
  for (const k of ['selfVerifyEvery', 'selfVerifyProblems', 'selfVerifySamples'] as const) {
    if (!Number.isSafeInteger(o[k]) || o[k] < 1) throw new Error(`pretrain: ${k} must be an integer >= 1, got ${o[k]}`);
  }
  for (const k of ['selfVerifyShare', 'selfVerifyOkShare'] as const) {
    if (!(typeof o[k] === 'number' && o[k] >= 0 && o[k] <= 1)) throw new Error(`pretrain: ${k} is a share and must be in [0, 1], got ${o[k]}`);
  }
  if (!(typeof o.selfVerifyCalibrate === 'number' && Number.isFinite(o.selfVerifyCalibrate) && o.selfVerifyCalibrate >= 0)) {
    throw new Error(`pretrain: selfVerifyCalibrate is a gain >= 0 (0 = off; e.g. 1), got ${o.selfVerifyCalibrate}`);
  }
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
  const decide = o.probeEvery > 0 ? decisionDocs(data, tok, 2 * o.probePerTier, o.maxPositions) : [];
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

  await sink.lossCsv(CSV_HEADER + '\n');
  const csvLines: string[] = [];
  const losses: number[] = [];
  let next = 0; // index of the next pretraining example
  let tokens = 0;
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const progress = () => Math.max(trainer.step / o.steps, trainer.timeProgress());
  const checkCancel = () => {
    if (o.cancelled?.()) throw new PretrainCancelled(trainer.step);
  };
  // The probe's rows and CSV header never change: built once, scored at every probe.
  const probeRows = [...probe, ...decide].map((d, i) => trainer.makeRow(d.prompt, d.completion, `probe document ${i}`));
  const probeHead = 'step,elapsed_s,tokens,' + probeGroups.flatMap((g) => [`p_${g.replace(':', '_')}`, `nll_${g.replace(':', '_')}`]).join(',') + ',decide_ok,decide_bad,decide_balanced';
  // The checkpoint the folder gets (keepBestAfter): weights copied off the GPU at a probe.
  type Kept = { weights: Map<string, Float32Array>; step: number; examples: number; tokens: number; decisions: DecisionFigures };
  let kept = null as Kept | null;
  let lastDecisions = null as DecisionFigures | null;
  let bestBalanced = -Infinity;
  const runProbe = async () => {
    if (probe.length === 0) return;
    const { logp } = await trainer.scoreRows(probeRows);
    const p = probeSummary(probe, logp.slice(0, probe.length));
    const dec = decisionSummary(decide, logp.slice(probe.length));
    if (o.keepBestBy === 'probe') lastDecisions = dec;
    probeLines.push([trainer.step, elapsed().toFixed(1), tokens, ...probeGroups.flatMap((g) => [p[g].p.toFixed(4), p[g].nll.toFixed(4)]), dec.ok.toFixed(4), dec.bad.toFixed(4), dec.balanced.toFixed(4)].join(','));
    await sink.probeCsv([probeHead, ...probeLines].join('\n') + '\n');
    const line =
      `[pretrain] probe at step ${trainer.step} (P(right completion) / nats per token): ` +
      probeGroups.map((g) => `${g} ${p[g].p.toFixed(3)}/${p[g].nll.toFixed(2)}`).join('  ') +
      `; decisions: ok ${dec.ok.toFixed(3)} of ${dec.okCount}, bad ${dec.bad.toFixed(3)} of ${dec.badCount}, balanced ${dec.balanced.toFixed(3)}`;
    o.log(line);
    o.onProbe?.({ step: trainer.step, elapsed: elapsed(), tokens, groups: p, decisions: dec, line });
    if (o.keepBestBy === 'probe') await consider(dec);
  };
  // keepBestAfter: keep the current weights when their decisions are within the margin of the best so far.
  const consider = async (dec: DecisionFigures) => {
    if (!(o.keepBestAfter < 1 && progress() >= o.keepBestAfter)) return;
    bestBalanced = Math.max(bestBalanced, dec.balanced);
    if (dec.balanced >= bestBalanced - o.keepBestMargin * balancedStandardError(dec)) {
      kept = { weights: await readWeights(gpu, gw), step: trainer.step, examples: next, tokens, decisions: dec };
      o.log(`[pretrain] keeping step ${trainer.step} (${o.keepBestBy === 'own' ? 'own-attempt ' : ''}decisions balanced ${dec.balanced.toFixed(3)}, best so far ${bestBalanced.toFixed(3)})`);
    }
  };
  const dataNow = (): PretrainDataConfig => phases.find((ph) => progress() < ph.until)?.data ?? data;
  // Decision shares per cell of each phase's data, measured once when the phase is first used
  // (only with verdictBalance > 0).
  const rates = new Map<PretrainDataConfig, VerdictRates>();
  const ratesOf = (d: PretrainDataConfig): VerdictRates => {
    let r = rates.get(d);
    if (!r) {
      r = recipeVerdictRates(d);
      rates.set(d, r);
      o.log(`[pretrain] verdict balance ${o.verdictBalance}: "bad" share per (steps:line) over ${r.counted} decisions: ${[...r.bad].sort(([a], [b]) => a.localeCompare(b)).map(([c, b]) => `${c} ${b.toFixed(2)}`).join(', ')}`);
    }
    return r;
  };
  // Own-attempt verify documents (selfVerifyFrom < 1): the latest round's documents, in a seeded
  // order, and the step it ran at.
  let own = { docs: [] as PretrainExample[], step: -Infinity, rounds: 0, used: 0 };
  const codec: SampleCodec = { encode: (t) => tok.encode(t, { addBos: true }), decode: (ids) => tok.decode(ids), eosId: tok.eosId };
  const ownRound = async () => {
    const t = performance.now();
    const problems = Array.from({ length: o.selfVerifyProblems }, (_, i) => drawPretrainProblem(dataNow(), `self-verify-${o.seed}`, own.rounds * o.selfVerifyProblems + i));
    const seed = (o.seed * 7919 + trainer.step) >>> 0;
    const texts = await sampleTexts(model, codec, problems.map((p) => compactRenderers.solve(p)), {
      groupSize: o.selfVerifySamples,
      // A verify document holds its attempt twice (prompt and log), so a longer one would not fit.
      maxNewTokens: Math.min(o.maxPositions, OWN_ATTEMPT_TOKENS),
      sampling: { temperature: 1, topP: 1, topK: 0 },
      seed,
      batchPrompts: 32,
    });
    const r = selfVerifyRound(problems, texts, { okShare: o.selfVerifyOkShare, pairs: o.selfVerifyPairs, seed, tok, maxPositions: o.maxPositions });
    const docs = shuffled(r.docs, createRng(o.seed).fork(`self-verify-order-${trainer.step}`));
    own = { docs, step: trainer.step, rounds: own.rounds + 1, used: own.used };
    o.log(`[pretrain] own attempts at step ${trainer.step} (${((performance.now() - t) / 1000).toFixed(1)} s): ${selfVerifySummary(r)}`);
    if ((o.selfVerifyCalibrate > 0 || (o.keepBestBy === 'own' && o.keepBestAfter < 1)) && docs.length > 0) await scoreOwn(docs.slice(0, SELF_VERIFY_CALIBRATION_DOCS));
  };
  // The verifier's decisions on a round's documents, each given the ideal log before it: they move
  // the tilt of the bad-to-ok weight ratio (selfVerifyCalibrate) and judge the checkpoint (keepBestBy "own").
  let tilt = 0;
  let weightsNow = { ok: o.verdictWeightOk, bad: o.verdictWeightBad };
  const scoreOwn = async (docs: PretrainExample[]) => {
    const rows = docs.map((ex, i) => {
      const e = encodeExample(ex, tok);
      return trainer.makeRow(Array.from(e.ids.subarray(0, e.promptLength)), Array.from(e.ids.subarray(e.promptLength)), `own-attempt document ${i}`);
    });
    const dec = decisionSummary(ownDecisions(docs), (await trainer.scoreRows(rows)).logp);
    if (o.selfVerifyCalibrate > 0) tilt = nextVerdictTilt(tilt, dec, o.selfVerifyCalibrate);
    weightsNow = tiltedVerdictWeights({ ok: o.verdictWeightOk, bad: o.verdictWeightBad }, tilt);
    o.log(
      `[pretrain] own decisions at step ${trainer.step}: ok ${dec.ok.toFixed(3)} of ${dec.okCount}, bad ${dec.bad.toFixed(3)} of ${dec.badCount}; ` +
        `verdict weights now ok ${weightsNow.ok.toFixed(2)}, bad ${weightsNow.bad.toFixed(2)} (tilt ${tilt.toFixed(3)})`,
    );
    if (o.keepBestBy === 'own') {
      lastDecisions = dec;
      await consider(dec);
    }
  };
  // The folder holds what the run would deliver if it stopped now: the kept checkpoint once there is one.
  const save = async (why: string) => {
    const k = kept ?? { weights: await readWeights(gpu, gw), step: trainer.step, examples: next, tokens };
    await sink.saveModel(modelFolderFiles(configJson, k.weights, tok, { steps: String(k.step), examples: String(k.examples), tokens: String(k.tokens) }));
    await sink.lossCsv([CSV_HEADER, ...csvLines].join('\n') + '\n');
    o.log(`[pretrain] saved ${sink.label} at step ${trainer.step}${k.step !== trainer.step ? ` with the weights of step ${k.step}` : ''} (${why})`);
  };
  try {
    while (trainer.step < o.steps) {
      checkCancel();
      const batch: SftExample[] = [];
      let got = 0;
      const stepData = dataNow();
      if (o.selfVerifyFrom < 1 && progress() >= o.selfVerifyFrom && trainer.step - own.step >= o.selfVerifyEvery) await ownRound();
      const pick = own.docs.length > 0 && o.selfVerifyShare > 0 ? createRng(o.seed).fork('self-verify-pick').fork(trainer.step) : null;
      while (got < o.batchTokens) {
        const fromOwn = pick !== null && pick.bool(o.selfVerifyShare);
        const ex = fromOwn ? own.docs[own.used++ % own.docs.length] : pretrainExample(next++, stepData);
        const e = encodeExample(ex, tok);
        if (e.ids.length > o.maxPositions) continue;
        const ids = Array.from(e.ids);
        const cut = o.lossOn === 'document' ? documentLossStart(ex) : e.promptLength;
        const factors = o.verdictBalance > 0 && ex.verdictAt.length > 0 ? balanceFactors(ex, ratesOf(stepData), o.verdictBalance) : undefined;
        batch.push({ prompt: ids.slice(0, cut), completion: ids.slice(cut), ...verdictWeights(ex.completion, ex.verdictAt, e.promptLength - cut, ids.length - cut, weightsNow, factors) });
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
      const now = elapsed();
      o.onStep?.({ step: trainer.step, steps: o.steps, loss, lr, gradNorm: r.gradNorm ?? null, examples: next, tokens, elapsed: now, tokensPerSecond: tokens / now, progress: Math.min(1, progress()), skipped: r.skipped ? (r.reason ?? 'skipped') : null });
      if (trainer.step % 10 === 0 || trainer.step === 1) {
        o.log(`[pretrain] step ${trainer.step}/${o.steps} loss ${loss.toFixed(4)} lr ${lr.toExponential(2)} gn ${r.gradNorm?.toFixed(3)} ${(tokens / elapsed()).toFixed(0)} tok/s ${elapsed().toFixed(0)}s${r.skipped ? ` SKIPPED: ${r.reason}` : ''}`);
        await sink.lossCsv([CSV_HEADER, ...csvLines].join('\n') + '\n');
      }
      if (o.probeEvery > 0 && trainer.step % o.probeEvery === 0) await runProbe();
      if (trainer.timeProgress() >= 1) {
        o.log(`[pretrain] time limit of ${o.maxMinutes} min reached at step ${trainer.step}`);
        break;
      }
      if (trainer.step < o.steps && o.stopEarly?.()) {
        o.log(`[pretrain] stopped early at step ${trainer.step}`);
        break;
      }
      if (o.saveEvery > 0 && trainer.step % o.saveEvery === 0 && trainer.step < o.steps) await save('periodic');
    }
    checkCancel();
    if (o.probeEvery > 0 && trainer.step % o.probeEvery !== 0) await runProbe();
    checkCancel();
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
    keptStep: kept?.step ?? trainer.step,
    keptDecisions: kept?.decisions ?? lastDecisions,
    ownRounds: own.rounds,
    ownDocuments: own.used,
    verdictWeights: weightsNow,
  };
}
