// The LoRA adapter's typed config: documented defaults, PEFT's spellings (r, lora_alpha,
// target_modules, use_rslora) accepted as ours, and validation that lists every bad field with its fix.

import { ConfigError, bool, defined, inRange, int, isPlain, unknownKeys, type Problems } from '../util/config-kit';
import { DEFAULT_LORA_MODULES, type LinearModule } from './params';

export interface LoraConfig {
  /** Rank r of the update B A. Default 16. */
  rank: number;
  /** lora_alpha: the update is scaled by alpha / r (or alpha / sqrt(r) with rsLora). Default 32. */
  alpha: number;
  /** Rank-stabilised scaling alpha / sqrt(r). Default false. */
  rsLora: boolean;
  /** Linear modules to adapt. Default: all seven (q, k, v, o, gate, up, down). */
  targetModules: LinearModule[];
  /** Seed of the A initialisation. Default 0 (an InT experiment uses its own seed unless this is given). */
  seed: number;
}

export const LORA_DEFAULTS: LoraConfig = { rank: 16, alpha: 32, rsLora: false, targetModules: [...DEFAULT_LORA_MODULES], seed: 0 };

/** PEFT's LoraConfig names that mean one of our fields exactly. */
export const PEFT_LORA_NAMES = Object.freeze({ r: 'rank', lora_alpha: 'alpha', use_rslora: 'rsLora', target_modules: 'targetModules' } as const);

/** What callers pass: our fields, or PEFT's spelling of them (r = rank, lora_alpha = alpha,
 *  use_rslora = rsLora, target_modules = targetModules, where "all-linear" means all seven). */
export type LoraConfigInput = Partial<LoraConfig> & {
  r?: number;
  lora_alpha?: number;
  use_rslora?: boolean;
  target_modules?: LinearModule[] | 'all-linear';
};

/** PEFT fields we refuse, each with why and what to do. */
const REFUSED: Readonly<Record<string, string>> = {
  lora_dropout: 'LoRA dropout is not supported (adapters train without dropout); remove it',
  bias: 'LoRA bias training is not supported (PEFT bias "none" is what we do); remove it',
  use_dora: 'DoRA is not supported; remove it to train a plain LoRA adapter',
  modules_to_save: 'only LoRA weights are trained; remove it',
  init_lora_weights: 'A is always kaiming-uniform and B zero (PEFT\'s default init); remove it, or set seed',
  targets: 'did you mean targetModules?',
};

const KNOWN = [...Object.keys(LORA_DEFAULTS), ...Object.keys(PEFT_LORA_NAMES)];

/** Map PEFT spellings to our names, pushing a problem when both spellings of one field are given
 *  or a PEFT value has no equivalent. Returns only the given fields (no defaults). */
function rename(p: Problems, input: Record<string, unknown>): Partial<LoraConfig> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined || !KNOWN.includes(k)) continue;
    const ours = (PEFT_LORA_NAMES as Record<string, string>)[k];
    if (ours === undefined) {
      out[k] = v;
      continue;
    }
    if (input[ours] !== undefined) {
      p.push(`${k} is PEFT's spelling of ${ours}, and both are given: keep one (${ours})`);
      continue;
    }
    if (k === 'target_modules' && typeof v === 'string') {
      if (v === 'all-linear') out[ours] = [...DEFAULT_LORA_MODULES];
      else p.push(`target_modules (${JSON.stringify(v)}): a pattern is not supported; list the modules, e.g. targetModules: ["q_proj", "v_proj"], or use "all-linear"`);
      continue;
    }
    out[ours] = v;
  }
  return out as Partial<LoraConfig>;
}

/** The given fields under our names (PEFT spellings mapped), validated; no defaults filled in.
 *  Throws a ConfigError listing every bad field with its fix. */
export function normaliseLoraInput(input: LoraConfigInput = {}): Partial<LoraConfig> {
  return check(input).given;
}

/** Fill defaults (LORA_DEFAULTS) under `input` (ours or PEFT's field names) and validate.
 *  Throws a ConfigError listing every bad field with its fix. */
export function resolveLoraConfig(input: LoraConfigInput = {}): LoraConfig {
  return check(input).config;
}

function check(input: LoraConfigInput): { given: Partial<LoraConfig>; config: LoraConfig } {
  if (!isPlain(input)) throw new ConfigError('LoRA config', [`the LoRA config (${JSON.stringify(input)}) must be an object of fields, e.g. { rank: 8 }`]);
  const p: Problems = [];
  unknownKeys(p, '', input, KNOWN, REFUSED);
  const given = rename(p, input);
  const c: LoraConfig = { ...LORA_DEFAULTS, ...defined(given) };
  int(p, 'rank', c.rank, 1, 'use e.g. 8 or 16 (PEFT\'s r)');
  inRange(p, 'alpha', c.alpha, { min: 0, minOpen: true }, 'commonly 2 * rank (PEFT\'s lora_alpha)');
  bool(p, 'rsLora', c.rsLora, 'true for alpha / sqrt(rank) scaling, false for alpha / rank');
  if (!Array.isArray(c.targetModules) || c.targetModules.length === 0) {
    p.push(`targetModules (${JSON.stringify(c.targetModules)}) must be a non-empty list: choose some of ${DEFAULT_LORA_MODULES.join(', ')}`);
  } else {
    for (const m of c.targetModules) {
      if (!DEFAULT_LORA_MODULES.includes(m)) p.push(`targetModules has ${JSON.stringify(m)}, not a linear module: choose from ${DEFAULT_LORA_MODULES.join(', ')}`);
    }
  }
  int(p, 'seed', c.seed, 0, 'use any whole number >= 0');
  if (p.length) throw new ConfigError('LoRA config', p);
  return { given, config: { ...c, targetModules: [...c.targetModules] } };
}

/** Multiplier of B A: alpha / r, or alpha / sqrt(r) for rsLoRA. */
export function loraScale(cfg: LoraConfig): number {
  return cfg.rsLora ? cfg.alpha / Math.sqrt(cfg.rank) : cfg.alpha / cfg.rank;
}
