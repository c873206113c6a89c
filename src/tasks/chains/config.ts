// Typed configuration of the chains world: the difficulty ladder (tiers), problem counts per
// tier and split, seed, render style; documented defaults and validation with fix-it errors.

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

function checkRange(where: string, r: unknown, min: number, max = Number.MAX_SAFE_INTEGER): [number, number] {
  if (!Array.isArray(r) || r.length !== 2 || !r.every((x) => Number.isSafeInteger(x))) {
    throw new Error(`${where} must be an integer range [min, max], got ${JSON.stringify(r)}; e.g. [2, 9]`);
  }
  const [lo, hi] = r as [number, number];
  if (lo > hi) throw new Error(`${where} = [${lo}, ${hi}] has min > max; swap them`);
  if (lo < min) throw new Error(`${where} = [${lo}, ${hi}] must have min >= ${min}`);
  if (hi > max) throw new Error(`${where} = [${lo}, ${hi}] must have max <= ${max}`);
  return [lo, hi];
}

/** Validate one tier; returns a normalised copy. Throws with what to change. */
export function validateTier(t: TierSpec): TierSpec {
  const where = `chains tier "${t?.name}"`;
  if (!t || typeof t.name !== 'string' || !/^[a-z0-9]+$/.test(t.name)) {
    throw new Error(`chains tier name must be lowercase letters/digits (it goes into problem ids), got ${JSON.stringify(t?.name)}`);
  }
  if (!Number.isSafeInteger(t.maxAbs) || t.maxAbs < 9 || t.maxAbs > MAX_ABS_LIMIT) {
    throw new Error(`${where}.maxAbs must be an integer in [9, ${MAX_ABS_LIMIT}], got ${t.maxAbs}`);
  }
  const steps = checkRange(`${where}.steps`, t.steps, 1, 64);
  const start = checkRange(`${where}.start`, t.start, -t.maxAbs, t.maxAbs);
  if (!Array.isArray(t.ops) || t.ops.length === 0) {
    throw new Error(`${where}.ops must list at least one of ${OP_KINDS.join(', ')}`);
  }
  const operands: Partial<Record<OpKind, [number, number]>> = {};
  for (const k of t.ops) {
    if (!OP_KINDS.includes(k)) throw new Error(`${where}.ops has unknown op "${k}"; use ${OP_KINDS.join(', ')}`);
    const r = t.operands?.[k];
    if (!r) throw new Error(`${where} uses op "${k}" but has no operands.${k} range; add e.g. operands.${k}: [2, 9]`);
    operands[k] = checkRange(`${where}.operands.${k}`, r, k === 'div' || k === 'mod' ? 2 : 1, t.maxAbs);
  }
  const opWeights: Partial<Record<OpKind, number>> = {};
  for (const [k, w] of Object.entries(t.opWeights ?? {}) as [OpKind, number][]) {
    if (!t.ops.includes(k)) throw new Error(`${where}.opWeights has "${k}" which is not in ops [${t.ops.join(', ')}]; remove it`);
    if (!(typeof w === 'number' && Number.isFinite(w) && w >= 0)) {
      throw new Error(`${where}.opWeights.${k} must be a finite number >= 0, got ${w}`);
    }
    opWeights[k] = w;
  }
  if (t.ops.every((k) => (opWeights[k] ?? 1) === 0)) throw new Error(`${where}.opWeights are all 0; give some op a weight > 0`);
  if (typeof t.allowNegative !== 'boolean') throw new Error(`${where}.allowNegative must be true or false`);
  if (!t.allowNegative && start[0] < 0) {
    throw new Error(`${where}.start = [${start}] includes negatives but allowNegative is false; raise start or allow negatives`);
  }
  return { name: t.name, steps, start, ops: [...t.ops], opWeights, operands, allowNegative: t.allowNegative, maxAbs: t.maxAbs };
}

function checkCount(where: string, n: unknown): number {
  if (!Number.isSafeInteger(n) || (n as number) < 0) {
    throw new Error(`${where} must be a non-negative integer, got ${JSON.stringify(n)}`);
  }
  return n as number;
}

/** Fill defaults and validate. Throws an Error that says which field is wrong and how to fix it. */
export function resolveChainsConfig(input: ChainsConfigInput = {}): ChainsConfig {
  const seed = input.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed)) throw new Error(`chains seed must be an integer, got ${seed}`);
  const style = input.style ?? 'compact';
  if (style !== 'compact' && style !== 'chat') {
    throw new Error(`chains style must be "compact" or "chat", got ${JSON.stringify(style)}`);
  }
  const testShare = input.testShare ?? DEFAULT_TEST_SHARE;
  if (!(typeof testShare === 'number' && testShare > 0 && testShare < 1)) {
    throw new Error(`chains testShare must be a number strictly between 0 and 1, got ${testShare}; e.g. 0.5`);
  }
  const tiers = (input.tiers ?? DEFAULT_LADDER).map(validateTier);
  if (tiers.length === 0) throw new Error('chains tiers must hold at least one tier; omit it to use DEFAULT_LADDER');
  const names = new Set<string>();
  for (const t of tiers) {
    if (names.has(t.name)) throw new Error(`chains tier name "${t.name}" appears twice; tier names must be unique`);
    names.add(t.name);
  }
  const counts: Record<string, TierCounts> = {};
  for (const k of Object.keys(input.counts ?? {})) {
    if (!names.has(k)) {
      throw new Error(`chains counts has tier "${k}" which is not in tiers [${[...names].join(', ')}]; rename or remove it`);
    }
  }
  for (const t of tiers) {
    const c = input.counts?.[t.name] ?? {};
    counts[t.name] = {
      train: checkCount(`chains counts.${t.name}.train`, c.train ?? DEFAULT_TIER_COUNTS.train),
      test: checkCount(`chains counts.${t.name}.test`, c.test ?? DEFAULT_TIER_COUNTS.test),
    };
  }
  return { seed, style, tiers, counts, testShare };
}
