// Typed configuration of the chains world: the difficulty ladder (tiers), problem counts per
// tier and split, seed, render style; documented defaults and validation that lists every bad
// field with its fix (src/util/config-kit.ts).

import { bool, check, ConfigError, fmt, inRange, int, isPlain, oneOf, throwIfProblems, unknownKeys, type Problems } from '../../util/config-kit';
import { OP_KINDS, type OpKind } from './program';

/** Render style: "compact" for character-level tiny models, "chat" for chat models. */
export type Style = 'compact' | 'chat';

/** One rung of the difficulty ladder. Ranges are inclusive [min, max]. */
export interface TierSpec {
  /** Tier name, used as Problem.difficulty and in problem ids (lowercase letters/digits). */
  name: string;
  /** Number of operations in a program. */
  steps: [number, number];
  /** Start value. */
  start: [number, number];
  /** Operations a step may use. */
  ops: OpKind[];
  /** Relative draw weight per op in `ops` (default 1 each). */
  opWeights?: Partial<Record<OpKind, number>>;
  /** Operand range for every op in `ops` (div/mod divisors must be >= 2). */
  operands: Partial<Record<OpKind, [number, number]>>;
  /** Whether the running state may go below zero. */
  allowNegative: boolean;
  /** Largest |state| allowed anywhere on the correct path (<= 1e12). Zero states, mod steps
   *  that leave the state unchanged, and steps whose errors a later div/mod would erase are
   *  never generated. */
  maxAbs: number;
  /** A critical-step tier: every program has exactly one step of this op (operand in its range),
   *  never the first and never the last step, the other steps drawn from `ops`. Default none. */
  critical?: CriticalStepSpec;
}

/** The one critical step of a critical-step tier's programs. */
export interface CriticalStepSpec {
  op: OpKind;
  /** Operand range of the critical step. */
  operands: [number, number];
  /** Largest |state| before the critical step (e.g. 9: a one-digit times one-digit product).
   *  Default: the tier's maxAbs. */
  maxPrev?: number;
}

/** Default ladder. easy: 3-4 one-digit add/sub steps a tiny model learns quickly; medium:
 *  5-7 steps with two-digit operands and small multiplications; hard: 10-14 steps with
 *  three-digit operands, multiplications up to 99, floor division and (rarer) modulo,
 *  negative states and values up to 8 digits (a small model almost never gets all of it right). */
export const DEFAULT_LADDER: readonly TierSpec[] = Object.freeze([
  {
    name: 'easy',
    steps: [3, 4],
    start: [2, 20],
    ops: ['add', 'sub'],
    operands: { add: [1, 9], sub: [1, 9] },
    allowNegative: false,
    maxAbs: 99,
  },
  {
    name: 'medium',
    steps: [5, 7],
    start: [10, 99],
    ops: ['add', 'sub', 'mul'],
    operands: { add: [2, 99], sub: [2, 99], mul: [2, 9] },
    allowNegative: false,
    maxAbs: 9999,
  },
  {
    name: 'hard',
    steps: [10, 14],
    start: [100, 999],
    ops: ['add', 'sub', 'mul', 'div', 'mod'],
    operands: { add: [100, 999], sub: [100, 999], mul: [2, 99], div: [2, 19], mod: [3, 97] },
    opWeights: { add: 3, sub: 3, mul: 3, div: 2, mod: 1 },
    allowNegative: true,
    maxAbs: 10_000_000,
  },
] as TierSpec[]);

/** The ladder of the embedded chains-tiny model (and of the chains-smoke / chains-quick presets and
 *  the app's default run): DEFAULT_LADDER moved down one rung, sized for a 0.3M-parameter character
 *  model pretrained in minutes on a CPU. easy: 1-2 one-digit add/sub steps; medium: 3-4 such steps
 *  (DEFAULT_LADDER's easy); hard: 5-7 steps with two-digit operands and small multiplications
 *  (DEFAULT_LADDER's medium), which such a model almost never gets all right. */
export const TINY_LADDER: readonly TierSpec[] = Object.freeze([
  {
    name: 'easy',
    steps: [1, 2],
    start: [2, 20],
    ops: ['add', 'sub'],
    operands: { add: [1, 9], sub: [1, 9] },
    allowNegative: false,
    maxAbs: 99,
  },
  { ...DEFAULT_LADDER[0], name: 'medium' },
  { ...DEFAULT_LADDER[1], name: 'hard' },
] as TierSpec[]);

/** The critical-step tier of CRITICAL_LADDER: 3-4 one-digit add/sub steps on states up to 29 with
 *  exactly one one-digit multiplication (a one-digit state times 2-9), never first and never last,
 *  so a failure there leaves a non-empty prefix and easy steps after it. The embedded model is
 *  pretrained with a habit on exactly this step (PretrainDataConfig.habit): see its card. */
export const CRITICAL_STEP_TIER: Readonly<TierSpec> = Object.freeze({
  name: 'critical',
  steps: [3, 4],
  start: [2, 9],
  ops: ['add', 'sub'],
  operands: { add: [1, 9], sub: [1, 9] },
  allowNegative: false,
  maxAbs: 29,
  critical: { op: 'mul', operands: [2, 9], maxPrev: 9 },
} as TierSpec);

/** TINY_LADDER plus the critical-step tier: the ladder of the embedded model's pretraining and of
 *  the chains-critical preset. */
export const CRITICAL_LADDER: readonly TierSpec[] = Object.freeze([...TINY_LADDER, CRITICAL_STEP_TIER]);

/** Problems per split for one tier. */
export interface TierCounts {
  train: number;
  test: number;
}

export interface ChainsConfig {
  /** Seed of the problem generator; same seed and config => same problems. Default 1234. */
  seed: number;
  /** Style of `task.prompts` (both renderer sets are always exported). Default "compact". */
  style: Style;
  /** Difficulty ladder, easiest first. Default DEFAULT_LADDER (easy, medium, hard). */
  tiers: TierSpec[];
  /** Problems per tier per split. Default { train: 256, test: 64 } for every tier. */
  counts: Record<string, TierCounts>;
  /** Share of the program space (by a hash of the canonical program, independent of the seed)
   *  that belongs to the test split; the rest is train. It changes which programs are
   *  eligible for each split, not how many are drawn. Default 0.5. */
  testShare: number;
}

/** What callers pass: any subset; counts may also be partial per tier. */
export interface ChainsConfigInput {
  seed?: number;
  style?: Style;
  tiers?: TierSpec[];
  counts?: Record<string, Partial<TierCounts>>;
  testShare?: number;
}

export const DEFAULT_TIER_COUNTS: Readonly<TierCounts> = Object.freeze({ train: 256, test: 64 });
export const DEFAULT_SEED = 1234;
export const DEFAULT_TEST_SHARE = 0.5;
/** Largest maxAbs a tier may declare (keeps every product of a state and an operand exact). */
export const MAX_ABS_LIMIT = 1e12;

const TIER_KEYS = ['name', 'steps', 'start', 'ops', 'opWeights', 'operands', 'allowNegative', 'maxAbs', 'critical'] as const;
const CONFIG_KEYS = ['seed', 'style', 'tiers', 'counts', 'testShare'] as const;

/** An integer range [min, max] within [min, max] bounds; pushes a problem and returns null if not. */
function checkRange(p: Problems, where: string, r: unknown, min: number, max = Number.MAX_SAFE_INTEGER): [number, number] | null {
  if (!Array.isArray(r) || r.length !== 2 || !r.every((x) => Number.isSafeInteger(x))) {
    p.push(`${where} (${fmt(r)}) must be an integer range [min, max]: e.g. [2, 9]`);
    return null;
  }
  const [lo, hi] = r as [number, number];
  const n = p.length;
  if (lo > hi) p.push(`${where} = [${lo}, ${hi}] has min > max: swap them`);
  else if (lo < min) p.push(`${where} = [${lo}, ${hi}] must have min >= ${min}: raise min`);
  else if (hi > max) p.push(`${where} = [${lo}, ${hi}] must have max <= ${max}: lower max`);
  return p.length === n ? [lo, hi] : null;
}

/** Check one tier, pushing every problem under `where` (e.g. "tiers.easy"); returns a
 *  normalised copy (meaningful only when no problem was pushed). */
function checkTier(p: Problems, where: string, t: TierSpec): TierSpec {
  unknownKeys(p, `${where}.`, t, TIER_KEYS);
  if (typeof t.name !== 'string' || !/^[a-z0-9]+$/.test(t.name)) {
    p.push(`${where}.name (${fmt(t.name)}) must be lowercase letters/digits: it goes into problem ids`);
  }
  const maxAbsOk = Number.isSafeInteger(t.maxAbs) && t.maxAbs >= 9 && t.maxAbs <= MAX_ABS_LIMIT;
  if (!maxAbsOk) p.push(`${where}.maxAbs (${fmt(t.maxAbs)}) must be an integer in [9, ${MAX_ABS_LIMIT}]: e.g. 9999`);
  const limit = maxAbsOk ? t.maxAbs : MAX_ABS_LIMIT;
  const steps = checkRange(p, `${where}.steps`, t.steps, 1, 64);
  const start = checkRange(p, `${where}.start`, t.start, -limit, limit);
  const ops: OpKind[] = Array.isArray(t.ops) ? t.ops : [];
  if (ops.length === 0) p.push(`${where}.ops (${fmt(t.ops)}) must list at least one of ${OP_KINDS.join(', ')}`);
  const operands: Partial<Record<OpKind, [number, number]>> = {};
  if (t.operands !== undefined && !isPlain(t.operands)) p.push(`${where}.operands (${fmt(t.operands)}) must be an object of ranges per op: e.g. { add: [1, 9] }`);
  for (const k of Object.keys(isPlain(t.operands) ? t.operands : {})) {
    if (!OP_KINDS.includes(k as OpKind)) p.push(`${where}.operands has unknown op "${k}": use ${OP_KINDS.join(', ')}`);
  }
  for (const k of ops) {
    if (!OP_KINDS.includes(k)) {
      p.push(`${where}.ops has unknown op "${k}": use ${OP_KINDS.join(', ')}`);
      continue;
    }
    const r = isPlain(t.operands) ? t.operands[k] : undefined;
    if (!r) p.push(`${where} uses op "${k}" but has no operands.${k} range: add e.g. operands.${k}: [2, 9]`);
    else operands[k] = checkRange(p, `${where}.operands.${k}`, r, k === 'div' || k === 'mod' ? 2 : 1, limit) ?? undefined;
  }
  const opWeights: Partial<Record<OpKind, number>> = {};
  if (t.opWeights !== undefined && !isPlain(t.opWeights)) p.push(`${where}.opWeights (${fmt(t.opWeights)}) must be an object of weights per op: e.g. { add: 2 }`);
  for (const [k, w] of Object.entries(isPlain(t.opWeights) ? t.opWeights : {}) as [OpKind, number][]) {
    if (!ops.includes(k)) p.push(`${where}.opWeights has "${k}" which is not in ops [${ops.join(', ')}]: remove it`);
    else if (!(typeof w === 'number' && Number.isFinite(w) && w >= 0)) p.push(`${where}.opWeights.${k} (${fmt(w)}) must be a finite number >= 0: e.g. 1`);
    else opWeights[k] = w;
  }
  if (ops.length && ops.every((k) => (opWeights[k] ?? 1) === 0)) p.push(`${where}.opWeights are all 0: give some op a weight > 0`);
  bool(p, `${where}.allowNegative`, t.allowNegative, 'false keeps every state >= 0');
  if (t.allowNegative === false && start && start[0] < 0) {
    p.push(`${where}.start = [${start}] includes negatives but allowNegative is false: raise start or allow negatives`);
  }
  const critical = t.critical === undefined ? undefined : checkCritical(p, `${where}.critical`, t.critical, steps, limit);
  return { name: t.name, steps: steps!, start: start!, ops: [...ops], opWeights, operands, allowNegative: t.allowNegative, maxAbs: t.maxAbs, ...(critical ? { critical } : {}) };
}

/** Check a tier's critical step: a known op, an operand range, and programs long enough that the
 *  step can sit neither first nor last (steps >= 3). */
function checkCritical(p: Problems, where: string, c: unknown, steps: [number, number] | null, limit: number): CriticalStepSpec | undefined {
  if (!isPlain(c)) {
    p.push(`${where} (${fmt(c)}) must be an object { op, operands, maxPrev? }: e.g. { op: "mul", operands: [2, 9] }`);
    return undefined;
  }
  unknownKeys(p, `${where}.`, c, ['op', 'operands', 'maxPrev']);
  const op = oneOf(p, `${where}.op`, c.op, OP_KINDS, 'the operation of the critical step');
  const operands = checkRange(p, `${where}.operands`, c.operands, op === 'div' || op === 'mod' ? 2 : 1, limit);
  const maxPrev = c.maxPrev === undefined ? undefined : int(p, `${where}.maxPrev`, c.maxPrev, 1, 'the largest state before the critical step, e.g. 9');
  if (steps && steps[0] < 3) p.push(`${where} needs programs of at least 3 steps (it is never first or last), but steps = [${steps}]: raise steps to [3, ...]`);
  return op && operands ? { op, operands, ...(maxPrev !== undefined ? { maxPrev } : {}) } : undefined;
}

/** Validate one tier; returns a normalised copy. Throws a ConfigError listing every problem. */
export function validateTier(t: TierSpec): TierSpec {
  const p: Problems = [];
  if (!isPlain(t as unknown)) throw new ConfigError('chains tier', [`a tier (${fmt(t)}) must be an object { name, steps, start, ops, operands, allowNegative, maxAbs }`]);
  const out = checkTier(p, `tier "${t.name}"`, t);
  throwIfProblems('chains tier', p);
  return out;
}

/** Fill defaults and validate. Throws a ConfigError listing every bad field with its fix. */
export function resolveChainsConfig(input: ChainsConfigInput = {}): ChainsConfig {
  if (!isPlain(input as unknown)) throw new ConfigError('chains config', [`the chains config (${fmt(input)}) must be an object (or be left out for the defaults)`]);
  const p: Problems = [];
  unknownKeys(p, '', input, CONFIG_KEYS);
  const seed = input.seed ?? DEFAULT_SEED;
  check(p, 'seed', seed, Number.isSafeInteger(seed), 'an integer', `e.g. ${DEFAULT_SEED}`);
  const style = input.style ?? 'compact';
  oneOf(p, 'style', style, ['compact', 'chat'] as const, '"compact" for character-level models, "chat" for chat models');
  const testShare = input.testShare ?? DEFAULT_TEST_SHARE;
  inRange(p, 'testShare', testShare, { min: 0, max: 1, minOpen: true, maxOpen: true }, 'a share strictly between 0 and 1, e.g. 0.5');
  const tierInput: unknown = input.tiers ?? DEFAULT_LADDER;
  const tiers: TierSpec[] = [];
  if (!Array.isArray(tierInput) || tierInput.length === 0) {
    p.push(`tiers (${fmt(input.tiers)}) must hold at least one tier: omit it to use DEFAULT_LADDER`);
  } else {
    tierInput.forEach((t: unknown, i) => {
      if (!isPlain(t)) p.push(`tiers[${i}] (${fmt(t)}) must be a tier object { name, steps, start, ops, operands, allowNegative, maxAbs }`);
      else tiers.push(checkTier(p, typeof t.name === 'string' && /^[a-z0-9]+$/.test(t.name) ? `tiers.${t.name}` : `tiers[${i}]`, t as unknown as TierSpec));
    });
  }
  const names = new Set<string>();
  for (const t of tiers) {
    if (names.has(t.name)) p.push(`tiers has the name "${t.name}" twice: tier names must be unique`);
    names.add(t.name);
  }
  const counts: Record<string, TierCounts> = {};
  if (input.counts !== undefined && !isPlain(input.counts)) p.push(`counts (${fmt(input.counts)}) must be an object of { train, test } per tier: e.g. { easy: { train: 8 } }`);
  const given = isPlain(input.counts) ? (input.counts as Record<string, unknown>) : {};
  for (const [k, v] of Object.entries(given)) {
    if (!names.has(k)) p.push(`counts has tier "${k}" which is not in tiers [${[...names].join(', ')}]: rename or remove it`);
    else if (!isPlain(v)) p.push(`counts.${k} (${fmt(v)}) must be an object { train, test }`);
    else unknownKeys(p, `counts.${k}.`, v, ['train', 'test']);
  }
  for (const t of tiers) {
    const c = (isPlain(given[t.name]) ? given[t.name] : {}) as Partial<TierCounts>;
    counts[t.name] = {
      train: int(p, `counts.${t.name}.train`, c.train ?? DEFAULT_TIER_COUNTS.train, 0, 'give a whole number of problems, 0 for none'),
      test: int(p, `counts.${t.name}.test`, c.test ?? DEFAULT_TIER_COUNTS.test, 0, 'give a whole number of problems, 0 for none'),
    };
  }
  throwIfProblems('chains config', p);
  return { seed, style, tiers, counts, testShare };
}
