// Typed training configs: OptimConfig (AdamW + lr schedule), SftConfig and GrpoConfig (GRPO,
// Dr.GRPO, DAPO). Documented defaults (the InT paper's values where it gives them) and
// validation that lists every bad field with the fix.

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

export interface GrpoConfig {
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
  /** Sampling temperature of the rollouts; log-probs are taken at the same temperature. Default 1.0 (the paper). */
  temperature: number;
  /** Nucleus sampling mass; 1 turns it off. Default 1.0. */
  topP: number;
  /** Keep the k most likely tokens; 0 turns it off. Default 0. */
  topK: number;
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
  temperature: 1.0,
  topP: 1.0,
  topK: 0,
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

/** A config with one or more bad fields; `problems` holds one line per field, each with its fix. */
export class ConfigError extends Error {
  constructor(
    readonly what: string,
    readonly problems: string[],
  ) {
    super(`invalid ${what} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

// ---- field checks: each pushes a message with the fix and returns the value ----

type Problems = string[];

function fmt(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function num(p: Problems, name: string, v: unknown, ok: (x: number) => boolean, rule: string, fix: string): number {
  if (typeof v !== 'number' || Number.isNaN(v) || !ok(v)) {
    p.push(`${name} (${fmt(v)}) must be ${rule}: ${fix}`);
  }
  return v as number;
}

function int(p: Problems, name: string, v: unknown, min: number, fix: string): number {
  return num(p, name, v, (x) => Number.isSafeInteger(x) && x >= min, `an integer >= ${min}`, fix);
}

function oneOf<T extends string>(p: Problems, name: string, v: unknown, options: readonly T[], fix: string): T {
  if (typeof v !== 'string' || !options.includes(v as T)) {
    p.push(`${name} (${fmt(v)}) must be one of ${options.map((o) => `"${o}"`).join(', ')}: ${fix}`);
  }
  return v as T;
}

function bool(p: Problems, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') p.push(`${name} (${fmt(v)}) must be true or false`);
  return v as boolean;
}

/** Copy without the keys whose value is undefined (so they fall back to the defaults). */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function camel(s: string): string {
  return s.replace(/[_-]+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Flag fields the config does not have; suggest the camelCase name for snake_case spellings. */
function unknownFields(p: Problems, prefix: string, input: object, known: readonly string[]): void {
  for (const k of Object.keys(input)) {
    if (known.includes(k)) continue;
    const c = camel(k);
    const hint = known.find((f) => f.toLowerCase() === c.toLowerCase());
    p.push(`${prefix}${k} is not a field${hint ? `: did you mean ${prefix}${hint}?` : `; known fields: ${known.join(', ')}`}`);
  }
}

const OPTIM_KEYS = Object.keys(OPTIM_DEFAULTS) as (keyof OptimConfig)[];

function checkOptim(p: Problems, input: OptimConfigInput, base: Readonly<OptimConfig>, prefix: string): OptimConfig {
  if (typeof input !== 'object' || input === null) {
    p.push(`${prefix.slice(0, -1)} must be an object of optimiser fields (or be left out for the defaults)`);
    return { ...base };
  }
  unknownFields(p, prefix, input, OPTIM_KEYS);
  const c: OptimConfig = { ...base, ...defined(input) };
  const n = (k: string) => `${prefix}${k}`;
  num(p, n('lr'), c.lr, (x) => x > 0 && x < 1, 'in (0, 1)',
    'use 1e-6 for a full fine-tune (the paper) or 2e-4 / 1e-4 for LoRA SFT / RL on a small model (LR_PRESETS)');
  num(p, n('beta1'), c.beta1, (x) => x >= 0 && x < 1, 'in [0, 1)', 'use 0.9');
  num(p, n('beta2'), c.beta2, (x) => x >= 0 && x < 1, 'in [0, 1)', 'use 0.999');
  num(p, n('eps'), c.eps, (x) => x > 0 && x < 1, 'in (0, 1)', 'use 1e-8');
  num(p, n('weightDecay'), c.weightDecay, (x) => x >= 0 && x < 1, 'in [0, 1)', 'use 0 (the default) or a small value such as 0.01');
  num(p, n('maxGradNorm'), c.maxGradNorm, (x) => x >= 0 && Number.isFinite(x), 'a finite number >= 0', 'use 1.0, or 0 to turn clipping off');
  oneOf(p, n('schedule'), c.schedule, ['constant', 'cosine'] as const, 'use "cosine" for SFT (the paper) or "constant" for RL');
  num(p, n('minLrRatio'), c.minLrRatio, (x) => x >= 0 && x <= 1, 'in [0, 1]', 'use 0.1 (cosine to 0.1 of lr, the paper) or 0 to decay to zero');
  num(p, n('warmupRatio'), c.warmupRatio, (x) => x >= 0 && x < 1, 'in [0, 1)', 'use 0.1 (10% of the steps, the paper\'s SFT) or 0 for none');
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

/** Fill SFT defaults (optimiser: SFT_OPTIM_DEFAULTS) and validate. Throws a ConfigError listing
 *  every bad field with its fix. */
export function validateSftConfig(input: SftConfigInput = {}): SftConfig {
  const p: Problems = [];
  unknownFields(p, '', input, [...Object.keys(SFT_DEFAULTS), 'optim']);
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
  unknownFields(p, '', input, [...Object.keys(GRPO_DEFAULTS), 'epsilonHigh', 'optim']);
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
  num(p, 'temperature', c.temperature, (x) => x > 0 && Number.isFinite(x), 'a finite number > 0', 'use 1.0 (the paper\'s RL)');
  num(p, 'topP', c.topP, (x) => x > 0 && x <= 1, 'in (0, 1]', 'use 1.0 to turn nucleus sampling off');
  int(p, 'topK', c.topK, 0, 'use 0 to turn top-k off');
  int(p, 'maxCompletionLength', c.maxCompletionLength, 1, 'use e.g. 1024');
  int(p, 'passesPerBatch', c.passesPerBatch, 1, 'use 1 (on-policy; the paper) or a few passes, e.g. 2');
  const lowOk = typeof c.epsilonLow === 'number' && c.epsilonLow > 0 && c.epsilonLow < 1;
  num(p, 'epsilonLow', c.epsilonLow, (x) => x > 0 && x < 1, 'in (0, 1)', 'use 0.2');
  const highOk = typeof c.epsilonHigh === 'number' && c.epsilonHigh > 0 && Number.isFinite(c.epsilonHigh);
  num(p, 'epsilonHigh', c.epsilonHigh, (x) => x > 0 && Number.isFinite(x), 'a finite number > 0',
    `use ${DAPO_EPSILON_HIGH} (DAPO's value) or leave it out`);
  if (lowOk && highOk && c.epsilonHigh < c.epsilonLow) {
    p.push(`epsilonHigh (${c.epsilonHigh}) must be >= epsilonLow (${c.epsilonLow}): set epsilonHigh to ${DAPO_EPSILON_HIGH} (DAPO's value) or lower epsilonLow`);
  }
  num(p, 'beta', c.beta, (x) => x >= 0 && Number.isFinite(x), 'a finite number >= 0', 'use 0 (InT uses no KL) or a small value such as 0.04');
  num(p, 'entropyCoef', c.entropyCoef, (x) => x >= 0 && Number.isFinite(x), 'a finite number >= 0', 'use 0 (InT uses no entropy bonus)');
  oneOf(p, 'scaleRewards', c.scaleRewards, ['none', 'group', 'batch'] as const, 'use "none" (InT: no division by std)');
  num(p, 'stdEps', c.stdEps, (x) => x > 0 && x < 1, 'in (0, 1)', 'use 1e-4');
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
