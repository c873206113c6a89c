// Typed training configs: OptimConfig (AdamW + lr schedule), SftConfig and GrpoConfig (GRPO,
// Dr.GRPO, DAPO). Documented defaults (the InT paper's values where it gives them) and
// validation that lists every bad field with the fix (field checks from src/util/config-kit.ts).

import { checkSamplingFields, PLAIN_SAMPLING, type Sampling } from '../model/sampling';
import { bool, ConfigError, defined, fmt, inRange, int, isPlain, num, oneOf, unknownKeys, type Problems } from '../util/config-kit';

/** Learning-rate schedule shape (see schedule.ts). */
export type ScheduleKind = 'constant' | 'cosine';
/** Policy-gradient loss variant; each is an entry of OBJECTIVES (objectives.ts). */
export type PgLossType = 'grpo' | 'dr_grpo' | 'dapo';
/** How advantages are scaled after subtracting the group mean (advantages.ts). */
export type ScaleRewards = 'none' | 'group' | 'batch';

/** Learning rates worth knowing. The paper fine-tunes all weights of a 4B model at 1e-6; a
 *  LoRA adapter on a small model barely moves at that rate and needs roughly 100x more. */
export const LR_PRESETS = Object.freeze({
  /** InT paper, SFT and RL, full fine-tune of Qwen3-4B. */
  paperFullFinetune: 1e-6,
  /** LoRA SFT on a small (<1B) model. */
  loraSmallSft: 2e-4,
  /** LoRA RL on a small (<1B) model (RL wants a gentler rate than SFT). */
  loraSmallRl: 1e-4,
  /** LoRA SFT on a tiny character-level model (chains-tiny, ~0.3M parameters, pretrained at 3e-3):
   *  at loraSmallSft a few SFT steps change its adapter by ~0.003 and no seeded sample. */
  loraTinySft: 2e-3,
  /** LoRA RL on a tiny character-level model. */
  loraTinyRl: 1e-3,
});

export interface OptimConfig {
  /** Peak learning rate. Default 1e-6 (the paper, full fine-tune of a 4B model); for LoRA on
   *  small models use LR_PRESETS.loraSmallSft (2e-4) or LR_PRESETS.loraSmallRl (1e-4). */
  lr: number;
  /** AdamW first-moment decay. Default 0.9. */
  beta1: number;
  /** AdamW second-moment decay. Default 0.999. */
  beta2: number;
  /** AdamW denominator epsilon. Default 1e-8. */
  eps: number;
  /** Decoupled weight decay. Default 0.0. */
  weightDecay: number;
  /** Clip the global gradient norm to this value; 0 turns clipping off. Default 1.0. */
  maxGradNorm: number;
  /** 'constant' (default; the paper's RL) or 'cosine' (the paper's SFT). */
  schedule: ScheduleKind;
  /** Cosine floor as a fraction of lr. Default 0.1 (the paper's SFT: "cosine to 0.1 of lr").
   *  Ignored by 'constant'. */
  minLrRatio: number;
  /** Linear warm-up length as a fraction of the total optimiser steps, in [0, 1). Default 0. */
  warmupRatio: number;
  /** Linear warm-up length in optimiser steps; when > 0 it overrides warmupRatio. Default 0. */
  warmupSteps: number;
}

export const OPTIM_DEFAULTS: Readonly<OptimConfig> = Object.freeze({
  lr: LR_PRESETS.paperFullFinetune,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.0,
  maxGradNorm: 1.0,
  schedule: 'constant',
  minLrRatio: 0.1,
  warmupRatio: 0,
  warmupSteps: 0,
});

/** The paper's SFT optimiser: lr 1e-6, cosine to 0.1 of lr, warm-up 10%. */
export const SFT_OPTIM_DEFAULTS: Readonly<OptimConfig> = Object.freeze({
  ...OPTIM_DEFAULTS,
  schedule: 'cosine',
  minLrRatio: 0.1,
  warmupRatio: 0.1,
});

/** The paper's RL optimiser: lr 1e-6, constant, no warm-up. */
export const RL_OPTIM_DEFAULTS: Readonly<OptimConfig> = Object.freeze({ ...OPTIM_DEFAULTS });

export interface SftConfig {
  kind: 'sft';
  /** Passes over the SFT set. Default 4 (the paper). */
  epochs: number;
  /** Effective batch: sequences per optimiser step, summed over micro-batches. Default 64 (the paper). */
  batchSize: number;
  /** Padded-token budget of one micro-batch (rows x longest row, see microbatch.ts). Default 4096. */
  microBatchTokens: number;
  /** Shuffle the SFT rows each epoch. Default true. */
  shuffle: boolean;
  /** Seed of the shuffle. Default 0. */
  seed: number;
  /** Optimiser and schedule. Default SFT_OPTIM_DEFAULTS. */
  optim: OptimConfig;
}

export const SFT_DEFAULTS: Readonly<Omit<SftConfig, 'optim'>> = Object.freeze({
  kind: 'sft',
  epochs: 4,
  batchSize: 64,
  microBatchTokens: 4096,
  shuffle: true,
  seed: 0,
});

/** The rollouts' sampling is the Sampling fields (temperature, topP, topK; default PLAIN_SAMPLING:
 *  temperature 1.0, the paper's RL, with no top-p / top-k); log-probs are taken at that temperature. */
export interface GrpoConfig extends Sampling {
  kind: 'grpo';
  /** Loss variant: 'grpo' (mean per sequence, then over sequences; the paper's RL), 'dr_grpo'
   *  (token sum over a constant), 'dapo' (mean over all tokens, asymmetric clip). Default 'grpo'. */
  lossType: PgLossType;
  /** Samples per prompt (group size G). Default 8 (the paper). */
  numGenerations: number;
  /** Prompts per optimiser step; the effective batch is promptsPerStep x numGenerations
   *  sequences. Default 32 (the paper). */
  promptsPerStep: number;
  /** Optimiser steps (one batch of rollouts each). Default 400 (the paper). */
  steps: number;
  /** Longest completion sampled, in tokens; longer ones are cut and flagged truncated.
   *  Default 1024 (sized for small models; the paper evaluates with a 16k budget). */
  maxCompletionLength: number;
  /** Optimisation passes over each batch of rollouts (TRL num_iterations). Every pass uses the
   *  log-probs stored at sampling time as the old policy. Default 1. */
  passesPerBatch: number;
  /** Lower clip: ratios below 1 - epsilonLow stop the gradient of negative-advantage tokens. Default 0.2. */
  epsilonLow: number;
  /** Upper clip: ratios above 1 + epsilonHigh stop the gradient of positive-advantage tokens.
   *  Default 0.28 for 'dapo' (clip-higher), else equal to epsilonLow. */
  epsilonHigh: number;
  /** Weight of the k3 KL estimate to the reference model (LoRA off). Default 0 (InT uses no KL). */
  beta: number;
  /** Weight of an entropy bonus (loss -= entropyCoef x entropy). Default 0 (InT uses none). */
  entropyCoef: number;
  /** Advantage scaling after subtracting the group mean. Default 'none' (InT: no division by std). */
  scaleRewards: ScaleRewards;
  /** Added to the std before dividing (scaleRewards 'group' | 'batch'). Default 1e-4. */
  stdEps: number;
  /** Dr.GRPO's constant normaliser (tokens); null means maxCompletionLength. Default null. */
  constantNormaliser: number | null;
  /** Give truncated completions no loss at all (DAPO's overlong filtering). Default false. */
  maskTruncatedCompletions: boolean;
  /** Padded-token budget of one micro-batch (prompt + completion rows). Default 4096. */
  microBatchTokens: number;
  /** Seed of sampling and prompt order. Default 0. */
  seed: number;
  /** Optimiser and schedule. Default RL_OPTIM_DEFAULTS. */
  optim: OptimConfig;
}

export const GRPO_DEFAULTS: Readonly<Omit<GrpoConfig, 'optim' | 'epsilonHigh'>> = Object.freeze({
  kind: 'grpo',
  lossType: 'grpo',
  numGenerations: 8,
  promptsPerStep: 32,
  steps: 400,
  ...PLAIN_SAMPLING,
  maxCompletionLength: 1024,
  passesPerBatch: 1,
  epsilonLow: 0.2,
  beta: 0,
  entropyCoef: 0,
  scaleRewards: 'none',
  stdEps: 1e-4,
  constantNormaliser: null,
  maskTruncatedCompletions: false,
  microBatchTokens: 4096,
  seed: 0,
});

/** DAPO's clip-higher value of epsilonHigh. */
export const DAPO_EPSILON_HIGH = 0.28;

export type OptimConfigInput = Partial<OptimConfig>;
export type SftConfigInput = Partial<Omit<SftConfig, 'optim'>> & { optim?: OptimConfigInput };
export type GrpoConfigInput = Partial<Omit<GrpoConfig, 'optim'>> & { optim?: OptimConfigInput };

const OPTIM_KEYS = Object.keys(OPTIM_DEFAULTS) as (keyof OptimConfig)[];

function checkOptim(p: Problems, input: OptimConfigInput, base: Readonly<OptimConfig>, prefix: string): OptimConfig {
  if (!isPlain(input)) {
    p.push(`${prefix ? prefix.slice(0, -1) : 'the optimiser config'} must be an object of optimiser fields (or be left out for the defaults)`);
    return { ...base };
  }
  unknownKeys(p, prefix, input, OPTIM_KEYS);
  const c: OptimConfig = { ...base, ...defined(input) };
  const n = (k: string) => `${prefix}${k}`;
  inRange(p, n('lr'), c.lr, { min: 0, max: 1, minOpen: true, maxOpen: true },
    'use 1e-6 for a full fine-tune (the paper) or 2e-4 / 1e-4 for LoRA SFT / RL on a small model (LR_PRESETS)');
  inRange(p, n('beta1'), c.beta1, { min: 0, max: 1, maxOpen: true }, 'use 0.9');
  inRange(p, n('beta2'), c.beta2, { min: 0, max: 1, maxOpen: true }, 'use 0.999');
  inRange(p, n('eps'), c.eps, { min: 0, max: 1, minOpen: true, maxOpen: true }, 'use 1e-8');
  inRange(p, n('weightDecay'), c.weightDecay, { min: 0, max: 1, maxOpen: true }, 'use 0 (the default) or a small value such as 0.01');
  inRange(p, n('maxGradNorm'), c.maxGradNorm, { min: 0 }, 'use 1.0, or 0 to turn clipping off');
  oneOf(p, n('schedule'), c.schedule, ['constant', 'cosine'] as const, 'use "cosine" for SFT (the paper) or "constant" for RL');
  inRange(p, n('minLrRatio'), c.minLrRatio, { min: 0, max: 1 }, 'use 0.1 (cosine to 0.1 of lr, the paper) or 0 to decay to zero');
  inRange(p, n('warmupRatio'), c.warmupRatio, { min: 0, max: 1, maxOpen: true }, 'use 0.1 (10% of the steps, the paper\'s SFT) or 0 for none');
  int(p, n('warmupSteps'), c.warmupSteps, 0, 'give a whole number of optimiser steps, or 0 to use warmupRatio');
  return c;
}

/** Fill optimiser defaults (OPTIM_DEFAULTS unless `base` is given) and validate.
 *  Throws a ConfigError listing every bad field with its fix. */
export function validateOptimConfig(input: OptimConfigInput = {}, base: Readonly<OptimConfig> = OPTIM_DEFAULTS): OptimConfig {
  const p: Problems = [];
  const c = checkOptim(p, input, base, '');
  if (p.length) throw new ConfigError('optimiser config', p);
  return c;
}

/** The top level of an SFT / GRPO input must be an object. */
function topLevel<T extends object>(input: T, what: string): T {
  if (!isPlain(input)) throw new ConfigError(what, [`the config (${typeof input}) must be an object of fields (or be left out for the defaults)`]);
  return input;
}

/** Fill SFT defaults (optimiser: SFT_OPTIM_DEFAULTS) and validate. Throws a ConfigError listing
 *  every bad field with its fix. */
export function validateSftConfig(input: SftConfigInput = {}): SftConfig {
  const p: Problems = [];
  topLevel(input, 'SFT config');
  unknownKeys(p, '', input, [...Object.keys(SFT_DEFAULTS), 'optim']);
  const { optim, ...rest } = input;
  const c = { ...SFT_DEFAULTS, ...defined(rest) } as Omit<SftConfig, 'optim'>;
  if (c.kind !== 'sft') p.push(`kind (${fmt(c.kind)}) must be "sft" for an SFT config; use validateGrpoConfig for RL`);
  int(p, 'epochs', c.epochs, 1, 'use 4 (the paper)');
  int(p, 'batchSize', c.batchSize, 1, 'use 64 (the paper) or fewer for a small SFT set');
  int(p, 'microBatchTokens', c.microBatchTokens, 1, 'use 4096, or the longest row length if that is more');
  bool(p, 'shuffle', c.shuffle);
  int(p, 'seed', c.seed, 0, 'use any whole number >= 0, e.g. 0');
  const o = checkOptim(p, optim ?? {}, SFT_OPTIM_DEFAULTS, 'optim.');
  if (p.length) throw new ConfigError('SFT config', p);
  return { ...c, optim: o };
}

/** Fill GRPO-family defaults (optimiser: RL_OPTIM_DEFAULTS; epsilonHigh 0.28 for 'dapo', else
 *  epsilonLow) and validate. Throws a ConfigError listing every bad field with its fix. */
export function validateGrpoConfig(input: GrpoConfigInput = {}): GrpoConfig {
  const p: Problems = [];
  topLevel(input, 'GRPO config');
  unknownKeys(p, '', input, [...Object.keys(GRPO_DEFAULTS), 'epsilonHigh', 'optim']);
  const { optim, ...rest } = input;
  const merged = { ...GRPO_DEFAULTS, ...defined(rest) };
  const epsilonHigh = rest.epsilonHigh ?? (merged.lossType === 'dapo' ? DAPO_EPSILON_HIGH : merged.epsilonLow);
  const c = { ...merged, epsilonHigh } as Omit<GrpoConfig, 'optim'>;
  if (c.kind !== 'grpo') p.push(`kind (${fmt(c.kind)}) must be "grpo" for an RL config (lossType picks the variant); use validateSftConfig for SFT`);
  oneOf(p, 'lossType', c.lossType, ['grpo', 'dr_grpo', 'dapo'] as const, 'use "grpo" (the paper), "dr_grpo" or "dapo"');
  int(p, 'numGenerations', c.numGenerations, 2,
    'a group of one sample always has advantage 0 and learns nothing; use 8 (the paper)');
  int(p, 'promptsPerStep', c.promptsPerStep, 1, 'use 32 (the paper) or fewer on a small device');
  int(p, 'steps', c.steps, 1, 'use 400 (the paper)');
  checkSamplingFields(p, '', c, PLAIN_SAMPLING, false);
  int(p, 'maxCompletionLength', c.maxCompletionLength, 1, 'use e.g. 1024');
  int(p, 'passesPerBatch', c.passesPerBatch, 1, 'use 1 (on-policy; the paper) or a few passes, e.g. 2');
  const before = p.length;
  inRange(p, 'epsilonLow', c.epsilonLow, { min: 0, max: 1, minOpen: true, maxOpen: true }, 'use 0.2');
  inRange(p, 'epsilonHigh', c.epsilonHigh, { min: 0, minOpen: true }, `use ${DAPO_EPSILON_HIGH} (DAPO's value) or leave it out`);
  if (p.length === before && c.epsilonHigh < c.epsilonLow) {
    p.push(`epsilonHigh (${c.epsilonHigh}) must be >= epsilonLow (${c.epsilonLow}): set epsilonHigh to ${DAPO_EPSILON_HIGH} (DAPO's value) or lower epsilonLow`);
  }
  inRange(p, 'beta', c.beta, { min: 0 }, 'use 0 (InT uses no KL) or a small value such as 0.04');
  inRange(p, 'entropyCoef', c.entropyCoef, { min: 0 }, 'use 0 (InT uses no entropy bonus)');
  oneOf(p, 'scaleRewards', c.scaleRewards, ['none', 'group', 'batch'] as const, 'use "none" (InT: no division by std)');
  inRange(p, 'stdEps', c.stdEps, { min: 0, max: 1, minOpen: true, maxOpen: true }, 'use 1e-4');
  if (c.constantNormaliser !== null) {
    num(p, 'constantNormaliser', c.constantNormaliser, (x) => x > 0 && Number.isFinite(x), 'a finite number > 0 or null',
      'use null to normalise by maxCompletionLength');
  }
  bool(p, 'maskTruncatedCompletions', c.maskTruncatedCompletions);
  int(p, 'microBatchTokens', c.microBatchTokens, 1, 'use 4096, or the longest prompt + completion if that is more');
  int(p, 'seed', c.seed, 0, 'use any whole number >= 0, e.g. 0');
  const o = checkOptim(p, optim ?? {}, RL_OPTIM_DEFAULTS, 'optim.');
  if (p.length) throw new ConfigError('GRPO config', p);
  return { ...c, optim: o };
}

/** Dr.GRPO's per-sequence token normaliser for a validated config. */
export function drGrpoNormaliser(cfg: Pick<GrpoConfig, 'constantNormaliser' | 'maxCompletionLength'>): number {
  return cfg.constantNormaliser ?? cfg.maxCompletionLength;
}
