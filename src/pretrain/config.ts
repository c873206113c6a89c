// The settings of a pretraining run: the chains-tiny recipe (data mix, curriculum), every field
// of PretrainRunConfig with its default (PRETRAIN_RUN_DEFAULTS), and the checks a run applies to
// them before it touches the GPU (one ConfigError listing every bad field with its fix).
import { fmt, inRange, int, nested, oneOf, throwIfProblems, unknownKeys, type Problems } from '../util/config-kit';
import { CRITICAL_LADDER, TINY_LADDER } from '../tasks/chains/config';
import { MUL_AS_ADD_HABIT } from '../tasks/chains/habit';
import { resolvePretrainConfig, type PretrainDataConfig, type PretrainDataInput } from '../tasks/chains/pretrain-data';

/** Data recipe of chains-tiny (the committed checkpoint), on TINY_LADDER: solving and verifying
 *  dominate, a little of every other format (so the hint and self-reflection arms find a model that
 *  knows them). */
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

/** The critical-step recipe's data: PRETRAIN_DATA_RECIPE on CRITICAL_LADDER (TINY_LADDER + the
 *  critical tier) with a habit put there on purpose: a one-digit state times 2-9 written as an
 *  addition (habit.ts, MUL_AS_ADD_HABIT), so the critical tier fails on one systematic step that the
 *  verifier can still check against the reference values. The hard tier, which the model never
 *  solves, gets a quarter of its weight: the continuation of the easy steps after a corrected critical
 *  step is what InT needs, and the easy and medium tiers teach it. */
export const CRITICAL_DATA_RECIPE: Readonly<PretrainDataInput> = Object.freeze({
  ...PRETRAIN_DATA_RECIPE,
  chains: { tiers: [...CRITICAL_LADDER] },
  tierWeights: { easy: 1, medium: 1.25, hard: 0.25, critical: 1.5 },
  habit: MUL_AS_ADD_HABIT,
});

/** The critical recipe's data with the habit held everywhere the model writes a solution as its own:
 *  no self-reflection documents (their completion is the corrected solution, right product included).
 *  With the loss on completions only (the critical-strict recipe), the model is trained to write the
 *  right one-digit product nowhere but in its checks: the reference values of a verification log and
 *  the proposed intervention. docs/results/critical-transfer.md measured why: with the loss on whole
 *  documents the reference solutions in verify / continue / hint prompts teach the right product, and
 *  at temperature 1 RL finds it on the "never solved" problems and learns them from its own successes. */
export const CRITICAL_STRICT_DATA_RECIPE: Readonly<PretrainDataInput> = Object.freeze({
  ...CRITICAL_DATA_RECIPE,
  mix: { ...PRETRAIN_DATA_RECIPE.mix, reflect: 0 },
});

/** A named recipe of `npm run pretrain -- --recipe NAME`: data, curriculum, the folder whose weights
 *  it continues from (a path from the repository root; null = fresh weights) and the run settings it
 *  changes from PRETRAIN_RUN_DEFAULTS (command-line flags still override them). */
export interface PretrainRecipe {
  data: PretrainDataInput;
  phases: readonly CurriculumPhase[];
  init: string | null;
  run: Partial<PretrainRunConfig>;
}

/** The recipes. "tiny": chains-tiny from scratch (the default). "critical-strict": the critical recipe
 *  for a fixed 1,227 steps (the committed critical run's count, so the model does not depend on the
 *  machine's speed) on CRITICAL_STRICT_DATA_RECIPE with the loss on completions only. "critical": chains-tiny continued
 *  for 25 minutes on CRITICAL_DATA_RECIPE (a warm start, no curriculum: the model already knows the
 *  formats) at a third of the peak rate. Two runs from scratch on this data (44 and 40 minutes,
 *  docs/results/critical-recipe-quiet-run.md) learned the habit but finished from a corrected
 *  critical step only 30-35% of the time and lost easy / medium; chains-tiny itself finishes from it
 *  ~86% of the time, so the habit is put into the model that already has the arithmetic. */
export const PRETRAIN_RECIPES: Readonly<Record<'tiny' | 'critical' | 'critical-strict', PretrainRecipe>> = Object.freeze({
  tiny: { data: PRETRAIN_DATA_RECIPE, phases: PRETRAIN_CURRICULUM, init: null, run: {} },
  critical: {
    data: CRITICAL_DATA_RECIPE,
    phases: [],
    init: 'public/models/chains-tiny',
    run: { lr: 1e-3, warmupSteps: 20, maxMinutes: 25 },
  },
  'critical-strict': {
    data: CRITICAL_STRICT_DATA_RECIPE,
    phases: [],
    init: 'public/models/chains-tiny',
    run: { lr: 1e-3, warmupSteps: 20, maxMinutes: 0, steps: 1227, lossOn: 'completion' },
  },
});

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

/** Most own-attempt documents a calibration scores per round. */
export const SELF_VERIFY_CALIBRATION_DOCS = 128;

/** Most tokens of one own attempt (the longest hard solution is ~350 characters). */
export const OWN_ATTEMPT_TOKENS = 400;

/** Keys a run takes besides PretrainRunConfig's (callbacks and the device; see PretrainRunOptions). */
const RUN_OPTION_KEYS = ['log', 'gpu', 'onStep', 'onProbe', 'cancelled', 'stopEarly', 'init'] as const;

/** Check a run's settings (every field but `data` and `phases`, which resolvePretrainData checks)
 *  before anything runs: one ConfigError listing every bad or unknown field with its fix. */
export function checkPretrainConfig(o: PretrainRunConfig): void {
  const p: Problems = [];
  unknownKeys(p, '', o, [...Object.keys(PRETRAIN_RUN_DEFAULTS), ...RUN_OPTION_KEYS]);
  for (const k of ['hidden', 'layers', 'heads', 'kvHeads', 'intermediate', 'maxPositions', 'steps', 'batchTokens', 'microBatchTokens'] as const) {
    int(p, k, o[k], 1, `use the default ${PRETRAIN_RUN_DEFAULTS[k]}`);
  }
  if (Number.isSafeInteger(o.microBatchTokens) && Number.isSafeInteger(o.maxPositions) && o.microBatchTokens < o.maxPositions) {
    p.push(`microBatchTokens (${o.microBatchTokens}) must be >= maxPositions (${o.maxPositions}) so the longest document fits a micro-batch: raise microBatchTokens`);
  }
  oneOf(p, 'lossOn', o.lossOn, ['document', 'completion'] as const, 'use "document" (the committed recipe) or "completion"');
  for (const k of ['verdictWeightOk', 'verdictWeightBad'] as const) inRange(p, k, o[k], { min: 0 }, 'use 1 for no extra weight');
  inRange(p, 'keepBestAfter', o.keepBestAfter, { min: 0, max: 1 }, 'use 1 to keep the last checkpoint');
  inRange(p, 'keepBestMargin', o.keepBestMargin, { min: 0 }, 'a number of standard errors: 0 keeps the best probe exactly, 2 is the default');
  oneOf(p, 'keepBestBy', o.keepBestBy, ['probe', 'own'] as const, 'use "probe" (the injected-slip probe) or "own" (own-attempt rounds)');
  if (o.keepBestAfter < 1 && o.keepBestBy === 'own' && !(o.selfVerifyFrom < 1)) {
    p.push(`keepBestBy "own" judges checkpoints by own-attempt rounds, but selfVerifyFrom is ${o.selfVerifyFrom} (no rounds): set selfVerifyFrom < 1 (e.g. 0.5) or keepBestBy to "probe"`);
  }
  if (o.keepBestAfter < 1 && o.keepBestBy === 'probe' && !(o.probeEvery > 0)) {
    p.push(`keepBestAfter ${o.keepBestAfter} chooses among probed checkpoints, but probeEvery is ${o.probeEvery}: set probeEvery > 0 (e.g. 100) or keepBestAfter to 1`);
  }
  inRange(p, 'verdictBalance', o.verdictBalance, { min: 0, max: 1 }, 'use 0 (off) or 1 (ok and bad weigh the same at every line)');
  inRange(p, 'selfVerifyFrom', o.selfVerifyFrom, { min: 0, max: 1, minOpen: true }, 'a run progress: 1 = no own-attempt documents, 0.5 = the second half');
  for (const k of ['selfVerifyEvery', 'selfVerifyProblems', 'selfVerifySamples'] as const) int(p, k, o[k], 1, `use the default ${PRETRAIN_RUN_DEFAULTS[k]}`);
  for (const k of ['selfVerifyShare', 'selfVerifyOkShare'] as const) inRange(p, k, o[k], { min: 0, max: 1 }, `a share: use the default ${PRETRAIN_RUN_DEFAULTS[k]}`);
  inRange(p, 'selfVerifyCalibrate', o.selfVerifyCalibrate, { min: 0 }, 'a gain: 0 = off, 1 = the committed recipe');
  throwIfProblems('pretraining config', p);
}

/** A curriculum phase with its data resolved. */
export interface ResolvedPhase {
  until: number;
  data: PretrainDataConfig;
}

/** The run's data (`data`) and its curriculum phases, each phase's data being `data` with the
 *  phase's fields on top; one ConfigError lists every bad field (under `data.` or `phases[i].`) and
 *  every phase whose `until` is out of order. */
export function resolvePretrainData(o: Pick<PretrainRunConfig, 'data' | 'phases'>): { data: PretrainDataConfig; phases: ResolvedPhase[] } {
  const p: Problems = [];
  const data = nested(p, 'data.', () => resolvePretrainConfig(o.data));
  let lastUntil = 0;
  const phases = o.phases.map((ph, i) => {
    if (!(typeof ph.until === 'number' && ph.until > lastUntil && ph.until < 1)) {
      p.push(`phases[${i}].until (${fmt(ph.until)}) must be in (${lastUntil}, 1) and increase from phase to phase: order the phases by their end`);
    } else lastUntil = ph.until;
    return { until: ph.until, data: nested(p, `phases[${i}].`, () => resolvePretrainConfig({ ...o.data, ...ph.data, chains: { ...o.data.chains, ...ph.data.chains } })) };
  });
  throwIfProblems('pretraining data', p);
  return { data: data!, phases: phases as ResolvedPhase[] };
}
