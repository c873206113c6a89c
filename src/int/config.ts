// The typed InT experiment config: one object for every stage (rollouts, propose, filter,
// continuation check, SFT, RL, eval), the paper's values as documented defaults, validation
// that lists every bad field with its fix, and the preset registry (chains-smoke ... hf-math).

import { checkSamplingFields, PAPER_SAMPLING, type SamplingConfig } from '../model/sampling';
import { ARM_IDS, type ArmId } from './arms';
import { CRITICAL_LADDER, resolveChainsConfig, TINY_LADDER, type ChainsConfigInput } from '../tasks/chains/config';
import { normaliseLoraInput, type LoraConfig, type LoraConfigInput } from '../model/lora-config';
import {
  LR_PRESETS,
  validateGrpoConfig,
  validateSftConfig,
  type GrpoConfig,
  type GrpoConfigInput,
  type SftConfig,
  type SftConfigInput,
} from '../train/config';
import {
  bool,
  check,
  ConfigError,
  fmt,
  inRange,
  int,
  intOrNull,
  isPlain,
  list,
  nested,
  oneOf,
  strOrNull,
  unknownKeys,
  type Problems,
} from '../util/config-kit';

/** Sampling settings of one generation stage: the one sampling type (src/model/sampling.ts). */
export type { SamplingConfig } from '../model/sampling';

export interface DataConfig {
  /** 'chains' (the built-in procedural world) or 'math' (an imported dataset). Default 'chains'. */
  task: 'chains' | 'math';
  /** Prompt style of chains: 'compact' (tiny character-level models) or 'chat'. Math is always
   *  chat. Default 'compact'. */
  style: 'compact' | 'chat';
  /** Chains world settings (tiers, counts, seed); ignored for math. Default {} (the default ladder). */
  chains: ChainsConfigInput;
  /** Math dataset name or path (e.g. "imo-answerbench"); required when task is 'math'. Default null. */
  dataset: string | null;
  /** Refuse a math dataset with any skipped row (bad CSV / JSONL row, empty answer, duplicate
   *  id) instead of running on the other rows; the skipped rows are reported either way. Default false. */
  strict: boolean;
  /** Use at most this many training problems (first ones in task order); null = all. Default null. */
  maxTrainProblems: number | null;
  /** Use at most this many held-out test problems (first ones in task order); null = all. Default null. */
  maxTestProblems: number | null;
  /** Math only: share of the dataset's problems held out as the test split, in (0, 1). A problem
   *  is held out when a hash of (splitSeed, its id) falls below this share, so the split does not
   *  depend on the file's row order and the same file always splits the same way. Default 0.2. */
  testFraction: number;
  /** Math only: seed of that hash. Another value gives another train/test partition of the same
   *  file; keep it fixed across runs you want to compare problem by problem. Default 0. */
  splitSeed: number;
}

export interface RolloutConfig {
  /** Attempts sampled per training problem. Default 4 (the paper). */
  k: number;
  /** Default PAPER_SAMPLING with maxNewTokens 1024. */
  sampling: SamplingConfig;
  /** Training pool: attempts per problem used to find problems the base model never solves
   *  (the paper: 0 of 64 or 128); 0 skips this and uses every training problem. Default 64. */
  poolSamples: number;
  /** A problem stays in the pool when at most this many of poolSamples are correct. Default 0. */
  poolMaxCorrect: number;
}

export interface ProposeConfig {
  /** Verifier outputs (interventions) sampled per failed attempt. Default 4 (the paper). */
  perAttempt: number;
  /** Default PAPER_SAMPLING with maxNewTokens 2048 (the paper gives no separate setting; we use
   *  the rollout sampling). */
  sampling: SamplingConfig;
  /** Use at most this many failed attempts (spread over problems); null = all. Default null. */
  maxAttempts: number | null;
}

export interface FilterConfig {
  /** 'first' (the published rule: one per attempt) or 'all' valid non-duplicate ones. Default 'first'. */
  keep: 'first' | 'all';
  /** Accept location = steps + 1 (append a missing step). Default false; chains presets: true. */
  allowAppend: boolean;
  /** Accept an empty intervention (delete a step). Default false; chains presets: true. */
  allowEmpty: boolean;
  /** Time limit of each math equivalence check in the leak filter, ms. Default 300. */
  leakTimeoutMs: number;
}

export interface ContinuationConfig {
  /** Run the optional check: sample continuations from problem + prefix + intervention and keep
   *  interventions with pass@k > 0. Default false. */
  enabled: boolean;
  /** Continuations per intervention. Default 32 (the paper). */
  k: number;
  /** Correct continuations needed to keep an intervention. Default 1 (pass@k > 0). */
  minCorrect: number;
  /** Default PAPER_SAMPLING with maxNewTokens 1024. */
  sampling: SamplingConfig;
}

export interface BootstrapConfig {
  /** Resamples over problems. Default 1000. */
  resamples: number;
  /** Seed of the resampling. Default 0. */
  seed: number;
  /** Two-sided confidence level. Default 0.95. */
  level: number;
}

export interface EvalConfig {
  /** Samples per test problem. Default 128 (the paper). */
  samples: number;
  /** Default PAPER_SAMPLING with maxNewTokens 16384 (the paper's 16k budget). */
  sampling: SamplingConfig;
  /** pass@k values reported; each must be <= samples. Default [1, 8]. */
  ks: number[];
  bootstrap: BootstrapConfig;
}

export interface HintConfig {
  /** Share of the reference solution's steps shown in hint-guided RL prompts, in [0, 1].
   *  Default 0.5 (the paper does not state one). */
  fraction: number;
}

export interface IntConfig {
  /** Model: null for the embedded default model, else a hub id or local folder. Default null. */
  model: string | null;
  /** Seed of the whole experiment (sampling, shuffles, bootstrap unless set there). Default 0. */
  seed: number;
  /** Arms this config runs (ARM_IDS); a run asked for other arms skips them. null = every arm
   *  asked for. Default null. */
  arms: ArmId[] | null;
  /** What every arm's SFT and RL train: 'lora' (an adapter on the frozen base; exports PEFT
   *  adapters) or 'full' (every weight, in f32; for tiny models; exports the full weights as
   *  model.safetensors). Default 'lora'. */
  finetune: 'lora' | 'full';
  /** How the base model's matrices are stored on the GPU: 'auto' keeps a 16-bit checkpoint (bf16,
   *  f16) in f16 where the adapter has shader-f16 (half the memory of f32; bf16 values are rounded
   *  to f16) and loads f32 checkpoints, and every checkpoint on adapters without f16, in f32; 'f16'
   *  and 'f32' force one. A full fine-tune trains its own f32 copy either way. Default 'auto'. */
  modelDtype: 'auto' | 'f16' | 'f32';
  data: DataConfig;
  rollouts: RolloutConfig;
  propose: ProposeConfig;
  filter: FilterConfig;
  continuation: ContinuationConfig;
  /** LoRA adapter fields (src/model/lora-config.ts) under our names; PEFT spellings given in the
   *  input (r, lora_alpha, ...) are renamed. seed, when given, seeds the adapter; else the
   *  experiment's seed does. Default {}. */
  lora: Partial<LoraConfig>;
  /** SFT stage; defaults: the paper (lr 1e-6, 4 epochs, cosine to 0.1, warm-up 10%, batch 64). */
  sft: SftConfig;
  /** RL stage (every arm with RL uses this same budget); defaults: the paper (GRPO, 8 samples
   *  per prompt, 32 prompts, lr 1e-6, 400 steps, temperature 1.0, reward - group mean, no KL). */
  rl: GrpoConfig;
  eval: EvalConfig;
  hint: HintConfig;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** What callers and presets pass: any subset, nested sections merged field by field. */
export type IntConfigInput = Omit<DeepPartial<IntConfig>, 'sft' | 'rl' | 'data' | 'lora'> & {
  lora?: LoraConfigInput;
  sft?: SftConfigInput;
  rl?: GrpoConfigInput;
  data?: Partial<DataConfig>;
};

/** The train/test split of a math dataset under `d`: data.testFraction and data.splitSeed, with
 *  their defaults for a config saved before these fields existed (a resumed or stored run). */
export function mathSplitOf(d: Partial<DataConfig>): { testFraction: number; seed: number } {
  return { testFraction: d.testFraction ?? INT_DEFAULTS.data.testFraction, seed: d.splitSeed ?? INT_DEFAULTS.data.splitSeed };
}

/** Defaults of every section except sft / rl (those come from src/train/config.ts). */
export const INT_DEFAULTS: Readonly<Omit<IntConfig, 'sft' | 'rl'>> = Object.freeze({
  model: null,
  seed: 0,
  arms: null,
  finetune: 'lora',
  modelDtype: 'auto',
  data: { task: 'chains', style: 'compact', chains: {}, dataset: null, strict: false, maxTrainProblems: null, maxTestProblems: null, testFraction: 0.2, splitSeed: 0 },
  rollouts: { k: 4, sampling: { ...PAPER_SAMPLING, maxNewTokens: 1024 }, poolSamples: 64, poolMaxCorrect: 0 },
  propose: { perAttempt: 4, sampling: { ...PAPER_SAMPLING, maxNewTokens: 2048 }, maxAttempts: null },
  filter: { keep: 'first', allowAppend: false, allowEmpty: false, leakTimeoutMs: 300 },
  continuation: { enabled: false, k: 32, minCorrect: 1, sampling: { ...PAPER_SAMPLING, maxNewTokens: 1024 } },
  lora: {},
  eval: { samples: 128, sampling: { ...PAPER_SAMPLING, maxNewTokens: 16384 }, ks: [1, 8], bootstrap: { resamples: 1000, seed: 0, level: 0.95 } },
  hint: { fraction: 0.5 },
} as Omit<IntConfig, 'sft' | 'rl'>);

// ---------------------------------------------------------------- merging and validation

/** Merge `over` into `base`: plain objects recursively, everything else (arrays included)
 *  replaced; undefined values in `over` are ignored. Returns a new object. */
export function mergeConfig<T>(base: T, over: unknown): T {
  if (!isPlain(base) || !isPlain(over)) return (over === undefined ? base : over) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isPlain(out[k]) && isPlain(v) ? mergeConfig(out[k], v) : v;
  }
  return out as T;
}

const SAMPLING_KEYS = ['temperature', 'topP', 'topK', 'maxNewTokens'] as const;

function checkSampling(p: Problems, name: string, s: SamplingConfig, input: unknown): void {
  if (!isPlain(s)) {
    p.push(`${name} must be an object { temperature, topP, topK, maxNewTokens }`);
    return;
  }
  unknownKeys(p, `${name}.`, input, SAMPLING_KEYS);
  checkSamplingFields(p, `${name}.`, s, PAPER_SAMPLING, true);
}

const SECTION_KEYS: Record<string, readonly string[]> = {
  '': ['model', 'seed', 'arms', 'finetune', 'modelDtype', 'data', 'rollouts', 'propose', 'filter', 'continuation', 'lora', 'sft', 'rl', 'eval', 'hint'],
  data: Object.keys(INT_DEFAULTS.data),
  rollouts: Object.keys(INT_DEFAULTS.rollouts),
  propose: Object.keys(INT_DEFAULTS.propose),
  filter: Object.keys(INT_DEFAULTS.filter),
  continuation: Object.keys(INT_DEFAULTS.continuation),
  eval: Object.keys(INT_DEFAULTS.eval),
  'eval.bootstrap': Object.keys(INT_DEFAULTS.eval.bootstrap),
  hint: Object.keys(INT_DEFAULTS.hint),
};

/** The section of `input` at a dotted path ('' = input itself). */
const at = (input: unknown, path: string): unknown =>
  path === '' ? input : path.split('.').reduce<unknown>((o, k) => (isPlain(o) ? o[k] : undefined), input);

/** Fill defaults (INT_DEFAULTS, SFT / GRPO defaults of src/train/config.ts) under `input` and
 *  validate every section, the nested ones (data.chains, lora, sft, rl) through their own
 *  resolvers, so a bad field fails here, before any stage runs. Throws a ConfigError listing
 *  every bad field with its fix. */
export function resolveIntConfig(input: IntConfigInput = {}): IntConfig {
  const p: Problems = [];
  if (!isPlain(input)) throw new ConfigError('InT config', ['the config must be an object (or be left out for the defaults)']);
  for (const [s, known] of Object.entries(SECTION_KEYS)) {
    const sec = at(input, s);
    if (s !== '' && sec !== undefined && !isPlain(sec)) p.push(`${s} (${fmt(sec)}) must be an object of fields: leave it out for the defaults`);
    else unknownKeys(p, s ? `${s}.` : '', sec, known);
  }
  const { sft: sftIn, rl: rlIn, ...rest } = input;
  const c = mergeConfig(structuredClone(INT_DEFAULTS) as Omit<IntConfig, 'sft' | 'rl'>, structuredClone(rest));

  strOrNull(p, 'model', c.model, 'use null for chains-tiny (public/models/chains-tiny), or a hub id such as "Qwen/Qwen3-0.6B"');
  int(p, 'seed', c.seed, 0, 'use e.g. 0');
  if (c.arms !== null) {
    list(p, 'arms', c.arms, (a) => (ARM_IDS as readonly unknown[]).includes(a), `arm ids (${ARM_IDS.join(', ')})`, 'use null for every arm, or e.g. ["rl", "int_rl"]');
  }
  oneOf(p, 'finetune', c.finetune, ['lora', 'full'] as const, 'use "lora" (an adapter) or "full" (every weight, tiny models)');
  oneOf(p, 'modelDtype', c.modelDtype, ['auto', 'f16', 'f32'] as const, 'use "auto" (16-bit checkpoints in f16 where the adapter has shader-f16), or force "f16" / "f32"');

  const d = c.data;
  oneOf(p, 'data.task', d.task, ['chains', 'math'] as const, 'use "chains" for the built-in world');
  oneOf(p, 'data.style', d.style, ['compact', 'chat'] as const, 'use "compact" for tiny models, "chat" for chat models');
  if (d.task === 'math' && d.style !== 'chat') p.push(`data.style ("${d.style}") must be "chat" when data.task is "math": math prompts are chat prompts`);
  if (isPlain(d.chains)) {
    if (d.chains.style !== undefined) p.push(`data.chains.style is not used (data.style sets the chains prompt style): set data.style to ${fmt(d.chains.style)} instead`);
    nested(p, 'data.chains.', () => resolveChainsConfig({ ...d.chains, style: undefined }));
  } else {
    check(p, 'data.chains', d.chains, false, 'an object of chains settings', 'use {} for the default ladder');
  }
  if (d.task === 'math') {
    check(p, 'data.dataset', d.dataset, typeof d.dataset === 'string' && d.dataset.trim() !== '', 'a dataset name or path when data.task is "math"', 'e.g. "imo-answerbench"');
  } else if (d.dataset !== null) {
    strOrNull(p, 'data.dataset', d.dataset, 'use null (it is read only when data.task is "math")');
  }
  bool(p, 'data.strict', d.strict, 'true refuses a dataset with any skipped row; false runs on the good rows');
  intOrNull(p, 'data.maxTrainProblems', d.maxTrainProblems, 1, 'use null for all problems');
  intOrNull(p, 'data.maxTestProblems', d.maxTestProblems, 1, 'use null for all problems');
  inRange(p, 'data.testFraction', d.testFraction, { min: 0, max: 1, minOpen: true, maxOpen: true }, 'use e.g. 0.2 to hold out 20% of the problems');
  int(p, 'data.splitSeed', d.splitSeed, 0, 'use 0 (the published split) or another integer for another partition');

  const r = c.rollouts;
  const isInt = (v: unknown, min: number) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
  int(p, 'rollouts.k', r.k, 1, 'use 4 (the paper)');
  checkSampling(p, 'rollouts.sampling', r.sampling, input.rollouts?.sampling);
  int(p, 'rollouts.poolSamples', r.poolSamples, 0, 'use 64 (the paper) or 0 to use every training problem');
  int(p, 'rollouts.poolMaxCorrect', r.poolMaxCorrect, 0, 'use 0 (problems never solved)');
  if (isInt(r.poolSamples, 1) && isInt(r.poolMaxCorrect, 0) && r.poolMaxCorrect >= r.poolSamples) {
    p.push(`rollouts.poolMaxCorrect (${r.poolMaxCorrect}) must be < rollouts.poolSamples (${r.poolSamples}), else every problem is in the pool: use 0`);
  }

  const pr = c.propose;
  int(p, 'propose.perAttempt', pr.perAttempt, 1, 'use 4 (the paper)');
  checkSampling(p, 'propose.sampling', pr.sampling, input.propose?.sampling);
  intOrNull(p, 'propose.maxAttempts', pr.maxAttempts, 1, 'use null for every failed attempt');

  const f = c.filter;
  oneOf(p, 'filter.keep', f.keep, ['first', 'all'] as const, 'use "first" (the paper: one per attempt)');
  bool(p, 'filter.allowAppend', f.allowAppend, 'use false (true for the chains world)');
  bool(p, 'filter.allowEmpty', f.allowEmpty, 'use false (true for the chains world)');
  int(p, 'filter.leakTimeoutMs', f.leakTimeoutMs, 1, 'use 300');

  const ct = c.continuation;
  bool(p, 'continuation.enabled', ct.enabled, 'use false to skip the optional check');
  int(p, 'continuation.k', ct.k, 1, 'use 32 (the paper)');
  int(p, 'continuation.minCorrect', ct.minCorrect, 1, 'use 1 (keep interventions with pass@k > 0)');
  if (isInt(ct.k, 1) && isInt(ct.minCorrect, 1) && ct.minCorrect > ct.k) {
    p.push(`continuation.minCorrect (${ct.minCorrect}) must be <= continuation.k (${ct.k}): no intervention could pass; use 1`);
  }
  checkSampling(p, 'continuation.sampling', ct.sampling, input.continuation?.sampling);

  // LoRA: validated now (rank 0 must not wait for the first SFT); PEFT spellings (r, lora_alpha,
  // use_rslora, target_modules) are stored under our names. A seed given here is honoured.
  let lora: Partial<LoraConfig> = {};
  if (isPlain(c.lora)) lora = nested(p, 'lora.', () => normaliseLoraInput(c.lora as LoraConfigInput)) ?? {};
  else check(p, 'lora', c.lora, false, 'an object of LoRA fields', 'use {} for the defaults, e.g. { rank: 8 }');

  const e = c.eval;
  int(p, 'eval.samples', e.samples, 1, 'use 128 (the paper)');
  checkSampling(p, 'eval.sampling', e.sampling, input.eval?.sampling);
  const before = p.length;
  list(p, 'eval.ks', e.ks, (k) => isInt(k, 1), 'integers >= 1', 'use [1, 8]');
  if (p.length === before && isInt(e.samples, 1) && e.ks.some((k) => k > e.samples)) {
    p.push(`eval.ks (${JSON.stringify(e.ks)}) has k > eval.samples (${e.samples}): pass@k needs at least k samples; drop those k or raise eval.samples`);
  }
  const b = isPlain(e.bootstrap) ? e.bootstrap : INT_DEFAULTS.eval.bootstrap;
  int(p, 'eval.bootstrap.resamples', b.resamples, 1, 'use 1000');
  int(p, 'eval.bootstrap.seed', b.seed, 0, 'use 0');
  inRange(p, 'eval.bootstrap.level', b.level, { min: 0, max: 1, minOpen: true, maxOpen: true }, 'use 0.95');
  inRange(p, 'hint.fraction', c.hint.fraction, { min: 0, max: 1 }, 'use 0.5 (half the reference steps)');

  const sft = nested(p, 'sft.', () => validateSftConfig(sftIn ?? {}));
  const rl = nested(p, 'rl.', () => validateGrpoConfig(rlIn ?? {}));
  if (p.length || !sft || !rl) throw new ConfigError('InT config', p);
  return { ...c, lora, sft, rl };
}

// ---------------------------------------------------------------- presets

/** A named set of overrides on top of the defaults. */
export interface IntPreset {
  name: string;
  /** One line: what it is for. */
  description: string;
  config: IntConfigInput;
}

const CHAINS_FILTER = { allowAppend: true, allowEmpty: true } as const;

/** The chains-critical preset's config (chains-critical-strict changes its model and budgets). */
const CHAINS_CRITICAL: IntConfigInput = {
  model: 'public/models/chains-critical',
  arms: ['base', 'rl', 'sft_ref_rl', 'int_rl', 'int_sft', 'int_sft_no_filter', 'int_sft_no_prefix_loss', 'int_sft_with_suffix', 'sft_ref'],
  data: {
    task: 'chains',
    style: 'compact',
    chains: {
      tiers: [...CRITICAL_LADDER],
      counts: { easy: { train: 0, test: 16 }, medium: { train: 0, test: 16 }, hard: { train: 0, test: 0 }, critical: { train: 192, test: 64 } },
    },
  },
  // the pool: training problems the base model solves 0 of 16 times
  rollouts: { k: 4, poolSamples: 16, poolMaxCorrect: 0, sampling: { maxNewTokens: 64 } },
  propose: { perAttempt: 4, sampling: { maxNewTokens: 160 } },
  filter: CHAINS_FILTER,
  continuation: { enabled: true, k: 8, sampling: { maxNewTokens: 64 } },
  lora: { rank: 8, alpha: 16 },
  sft: { epochs: 4, batchSize: 16, optim: { lr: LR_PRESETS.loraTinySft } },
  rl: { steps: 40, numGenerations: 8, promptsPerStep: 16, maxCompletionLength: 64, optim: { lr: LR_PRESETS.loraTinyRl } },
  eval: { samples: 16, ks: [1, 16], sampling: { maxNewTokens: 64 } },
};

/** The built-in presets. Values are starting points, sized for the named use. */
export const INT_PRESETS: Readonly<Record<string, IntPreset>> = Object.freeze({
  'chains-smoke': {
    name: 'chains-smoke',
    description: 'end-to-end check of every stage and arm on 8 easy problems of chains-tiny\'s ladder (TINY_LADDER) (about 1 minute on a 2-core CPU through lavapipe)',
    config: {
      data: { task: 'chains', style: 'compact', chains: { tiers: [...TINY_LADDER], counts: { easy: { train: 8, test: 8 }, medium: { train: 0, test: 0 }, hard: { train: 0, test: 0 } } }, maxTrainProblems: 8, maxTestProblems: 8 },
      rollouts: { k: 2, poolSamples: 0, sampling: { maxNewTokens: 64 } },
      propose: { perAttempt: 2, sampling: { maxNewTokens: 128 }, maxAttempts: 8 },
      filter: CHAINS_FILTER,
      continuation: { enabled: false, k: 2, sampling: { maxNewTokens: 64 } },
      lora: { rank: 4, alpha: 8 },
      sft: { epochs: 1, batchSize: 4, microBatchTokens: 2048, optim: { lr: LR_PRESETS.loraSmallSft } },
      rl: { steps: 2, numGenerations: 2, promptsPerStep: 2, maxCompletionLength: 64, microBatchTokens: 2048, optim: { lr: LR_PRESETS.loraSmallRl } },
      eval: { samples: 4, ks: [1, 2], sampling: { maxNewTokens: 64 }, bootstrap: { resamples: 100 } },
    },
  },
  'chains-quick': {
    name: 'chains-quick',
    description: 'all arms on chains-tiny\'s ladder (TINY_LADDER), 32 train / 16 test problems per tier (under 30 minutes on a 2-core CPU)',
    config: {
      data: { task: 'chains', style: 'compact', chains: { tiers: [...TINY_LADDER], counts: { easy: { train: 32, test: 16 }, medium: { train: 32, test: 16 }, hard: { train: 32, test: 16 } } } },
      rollouts: { k: 4, poolSamples: 8, sampling: { maxNewTokens: 160 } },
      propose: { perAttempt: 4, sampling: { maxNewTokens: 256 } },
      filter: CHAINS_FILTER,
      continuation: { enabled: true, k: 8, sampling: { maxNewTokens: 160 } },
      lora: { rank: 8, alpha: 16 },
      sft: { epochs: 2, batchSize: 16, optim: { lr: LR_PRESETS.loraTinySft } },
      rl: { steps: 20, numGenerations: 4, promptsPerStep: 8, maxCompletionLength: 160, optim: { lr: LR_PRESETS.loraTinyRl } },
      eval: { samples: 16, ks: [1, 4], sampling: { maxNewTokens: 160 } },
    },
  },
  'chains-critical': {
    name: 'chains-critical',
    description:
      'the method\'s effect on the critical-step tier (CRITICAL_LADDER): 64 held-out critical problems x 16 samples for a paired ' +
      'InT + RL - RL interval, 192 training problems for the pool, 16 easy + 16 medium test problems to measure what training costs them; ' +
      'the RL arms of the central comparisons only (hint-guided and self-reflection RL are left out for time: add them to config.arms); ' +
      'on public/models/chains-critical, chains-tiny with the one-digit multiplication habit',
    config: CHAINS_CRITICAL,
  },
  'chains-critical-strict': {
    name: 'chains-critical-strict',
    description:
      'chains-critical on public/models/chains-critical-strict (the habit held everywhere the model writes a solution as its own: ' +
      'times 4-9 never solved, times 2-3 now and then), sized as issue-level aims ask: 256 critical training problems (pool ~190, ' +
      'about one kept intervention each) and 60 RL steps; the same test set (64 critical + 16 easy + 16 medium x 16 samples)',
    config: {
      ...CHAINS_CRITICAL,
      model: 'public/models/chains-critical-strict',
      data: {
        task: 'chains',
        style: 'compact',
        chains: {
          tiers: [...CRITICAL_LADDER],
          counts: { easy: { train: 0, test: 16 }, medium: { train: 0, test: 16 }, hard: { train: 0, test: 0 }, critical: { train: 256, test: 64 } },
        },
      },
      rl: { steps: 60, numGenerations: 8, promptsPerStep: 16, maxCompletionLength: 64, optim: { lr: LR_PRESETS.loraTinyRl } },
    },
  },
  'chains-full': {
    name: 'chains-full',
    description: 'the paper\'s pipeline shape on the full default chains ladder (256 train / 64 test per tier)',
    config: {
      data: { task: 'chains', style: 'compact' },
      rollouts: { k: 4, poolSamples: 32, sampling: { maxNewTokens: 256 } },
      propose: { perAttempt: 4, sampling: { maxNewTokens: 384 } },
      filter: CHAINS_FILTER,
      continuation: { enabled: true, k: 32, sampling: { maxNewTokens: 256 } },
      lora: { rank: 16, alpha: 32 },
      sft: { epochs: 4, batchSize: 64, optim: { lr: LR_PRESETS.loraSmallSft } },
      rl: { steps: 200, numGenerations: 8, promptsPerStep: 32, maxCompletionLength: 256, optim: { lr: LR_PRESETS.loraSmallRl } },
      eval: { samples: 64, ks: [1, 8], sampling: { maxNewTokens: 256 } },
    },
  },
  'hf-math': {
    name: 'hf-math',
    description: 'a small hub chat model on an imported math dataset (IMO-AnswerBench by default), LoRA SFT + RL',
    config: {
      model: 'Qwen/Qwen3-0.6B',
      data: { task: 'math', style: 'chat', dataset: 'imo-answerbench' },
      rollouts: { k: 4, poolSamples: 0, sampling: { maxNewTokens: 2048 } },
      propose: { perAttempt: 4, sampling: { maxNewTokens: 2048 } },
      continuation: { enabled: false, k: 8, sampling: { maxNewTokens: 2048 } },
      lora: { rank: 16, alpha: 32 },
      sft: { epochs: 4, batchSize: 16, optim: { lr: LR_PRESETS.loraSmallSft } },
      rl: { steps: 50, numGenerations: 8, promptsPerStep: 8, maxCompletionLength: 2048, optim: { lr: LR_PRESETS.loraSmallRl } },
      eval: { samples: 8, ks: [1, 8], sampling: { maxNewTokens: 4096 } },
    },
  },
} satisfies Record<string, IntPreset>);

const registry = new Map<string, IntPreset>(Object.entries(INT_PRESETS));

/** Names of the registered presets. */
export function presetNames(): string[] {
  return [...registry.keys()];
}

/** Add (or with `replace`, overwrite) a preset. Its config is validated now. */
export function registerPreset(preset: IntPreset, replace = false): void {
  if (!preset || typeof preset.name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(preset.name)) {
    throw new Error(`preset name must be lowercase letters, digits and dashes, got ${JSON.stringify(preset?.name)}`);
  }
  if (registry.has(preset.name) && !replace) throw new Error(`preset "${preset.name}" already exists; pick another name or pass replace = true`);
  resolveIntConfig(preset.config);
  registry.set(preset.name, preset);
}

/** The preset of this name; throws with the list of known names. */
export function getPreset(name: string): IntPreset {
  const p = registry.get(name);
  if (!p) throw new Error(`unknown InT preset "${name}"; known presets: ${presetNames().join(', ')}`);
  return p;
}

/** Defaults, then the preset's overrides, then `overrides`; validated. */
export function presetConfig(name: string, overrides: IntConfigInput = {}): IntConfig {
  return resolveIntConfig(mergeConfig(getPreset(name).config, overrides));
}
