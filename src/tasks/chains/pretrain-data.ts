// Pretraining documents for the embedded chains model, in its own compact format: solve traces
// (some with propagating slips, more on harder steps), verification + intervention logs,
// continuations from a prefix, hint-solve and self-reflect rewrites; and the packer to token ids.
//
// Only train-split programs are drawn (the split is a hash of the program, see generate.ts), so
// nothing here ever shows the model a test problem. Example i depends only on (seed, i).

import type { CharTokenizer } from '../../io/char-tokenizer';
import { check, ConfigError, didYouMean, fmt, inRange, isPlain, list, nested, throwIfProblems, unknownKeys, type Problems } from '../../util/config-kit';
import type { Problem } from '../task';
import { resolveChainsConfig, type ChainsConfig, type ChainsConfigInput, type TierSpec } from './config';
import { generateProgram, makeProblem, splitOfProgram } from './generate';
import { canonicalProgram, programOf, runProgram, type OpKind } from './program';
import { compactRenderers, hintCount } from './render';
import { createRng, type Rng } from '../../util/random';
import { checkHabit, habitChance, habitSteps, type HabitSpec } from './habit';
import { injectCopySlip, injectError, injectHabit, SLIP_KINDS, type InjectedAttempt, solutionSteps, type SlipKind } from './solve';
import { joinSteps } from './steps';
import { compactVerificationLog } from './verify';

/** What an example teaches.
 *  solve     solve prompt -> a full trace drawn from the slip model (correct or with one slip)
 *  verify    verify header -> the ideal stepwise log + intervention of an attempt with one
 *            propagating slip (at an operation step drawn as firstStepErrorShare says; a copy slip
 *            with probability copySlipShare, else an arithmetic one)
 *  verifyOk  verify header -> the stepwise log of a correct attempt (every line "ok")
 *  continue  solve prompt + the first j correct steps -> the rest of the solution
 *  hint      hintSolve prompt -> a full trace (hinted steps correct, later ones from the slip model)
 *  reflect   selfReflect prompt for an attempt with one slip (step as for verify) -> the full correct solution */
export type PretrainKind = 'solve' | 'verify' | 'verifyOk' | 'continue' | 'hint' | 'reflect';
export const PRETRAIN_KINDS: readonly PretrainKind[] = ['solve', 'verify', 'verifyOk', 'continue', 'hint', 'reflect'];

/** Per-step slip hazard of a trace. A trace walks its steps in order; step k slips with
 *  probability h_k (the first slip ends the walk, later steps continue exactly from the wrong
 *  value), so a trace is right with probability prod(1 - h_k). With d = digits of the largest of
 *  |prev|, operand, |result| at step k:
 *    h_k = min(maxStep, scale * tier[t] * (base + op[kind] + perDigit * (d - 1) + perPosition * (k - 1)
 *                                          + (kind == mul ? mulOperandDigit * (operand digits - 1) : 0)))
 *  The defaults make a trace right, at the data level, about 0.84 of the time on easy, 0.45 on
 *  medium and 0.05 on hard (DEFAULT_LADDER train problems), ~0.45 with tiers equally weighted; a
 *  trained model adds errors of its own on top. Sampling below temperature 1 suppresses slips
 *  that spread over many alternative characters: raise `scale` for evaluation at e.g. 0.7. */
export interface SlipModel {
  /** Global multiplier. Default 1. */
  scale: number;
  /** Hazard of every step. Default 0.005. */
  base: number;
  /** Extra hazard per operation. Default add 0, sub 0.005, mul 0.05, div 0.08, mod 0.08. */
  op: Record<OpKind, number>;
  /** Extra hazard per digit of the step's largest number beyond the first. Default 0.03. */
  perDigit: number;
  /** Extra hazard per digit of a multiplier beyond the first. Default 0.04. */
  mulOperandDigit: number;
  /** Extra hazard per earlier step (step k gets perPosition * (k - 1)): long chains wear a small
   *  model down. Default 0.015. */
  perPosition: number;
  /** Multiplier per tier name (missing tiers: 1). Default {}. */
  tier: Record<string, number>;
  /** Cap of one step's hazard. Default 0.5. */
  maxStep: number;
  /** Slip kinds drawn (see solve.ts). Default all. */
  kinds: SlipKind[];
}

export const DEFAULT_SLIP_MODEL: Readonly<SlipModel> = Object.freeze({
  scale: 1,
  base: 0.005,
  op: Object.freeze({ add: 0, sub: 0.005, mul: 0.05, div: 0.08, mod: 0.08 }),
  perDigit: 0.03,
  mulOperandDigit: 0.04,
  perPosition: 0.015,
  tier: {},
  maxStep: 0.5,
  kinds: [...SLIP_KINDS],
});

/** Default mix (relative weights, normalised): solving dominates; verification gets a quarter. */
export const DEFAULT_PRETRAIN_MIX: Readonly<Record<PretrainKind, number>> = Object.freeze({
  solve: 0.45,
  verify: 0.2,
  verifyOk: 0.05,
  continue: 0.1,
  hint: 0.1,
  reflect: 0.1,
});

export interface PretrainDataConfig {
  /** Seed of the example stream. Default 20240601 (distinct from the chains task's seed). */
  seed: number;
  /** Tiers and testShare of the world (counts are not used: programs are drawn fresh per
   *  example). testShare must equal the experiment's so that the splits agree. Default: the
   *  chains defaults (DEFAULT_LADDER, testShare 0.5). */
  chains: ChainsConfig;
  /** Relative weight of each tier (missing tiers: 1). Default {} (tiers equally likely). */
  tierWeights: Record<string, number>;
  /** Relative weight of each kind. Default DEFAULT_PRETRAIN_MIX. */
  mix: Record<PretrainKind, number>;
  /** Slip model of solve / hint / continue traces. Default DEFAULT_SLIP_MODEL. */
  slip: SlipModel;
  /** Hint fractions drawn uniformly for "hint" examples. Default [0.25, 0.5, 0.75]. */
  hintFractions: number[];
  /** Hazard multiplier on the steps a hint does not cover. Default 1 (a hint only makes the
   *  hinted steps safe, so hint-guided RL still sees failures); 0 makes hinted traces correct. */
  hintSlipScale: number;
  /** Hazard multiplier on continuation steps. Default 0: continuations are always correct. */
  continueSlipScale: number;
  /** Share of verify and reflect attempts whose slip is on step 1; the rest is uniform over the
   *  operation steps. A trained tiny model's own failed attempts on long chains mostly go wrong on
   *  their first line, where uniform drawing puts 1 / steps of the errors. Default 0 (uniform). */
  firstStepErrorShare: number;
  /** Share of verify attempts whose slip is a copy slip (injectCopySlip: right arithmetic on a
   *  miscopied operand or previous value) instead of an arithmetic one. Arithmetic slips can be
   *  caught by re-doing the line, which fails where the model's own arithmetic fails; a copy slip
   *  is only caught by comparing the line's value with its reference value. Default 0. */
  copySlipShare: number;
  /** Canonical programs never drawn (e.g. the experiment's train pool, so InT sees unseen problems). */
  holdOut: ReadonlySet<string>;
  /** A learned habit (habit.ts): one step kind written by a wrong rule wherever a trace writes it
   *  (solve, continue, hint after its hint), and the error of verify / reflect attempts on its
   *  problems (habit.attemptShare); reference values and verdicts stay correct. Default null (none). */
  habit: HabitSpec | null;
}

export interface PretrainDataInput {
  seed?: number;
  chains?: ChainsConfigInput;
  tierWeights?: Record<string, number>;
  mix?: Partial<Record<PretrainKind, number>>;
  slip?: Partial<Omit<SlipModel, 'op'>> & { op?: Partial<Record<OpKind, number>> };
  hintFractions?: number[];
  hintSlipScale?: number;
  continueSlipScale?: number;
  firstStepErrorShare?: number;
  copySlipShare?: number;
  /** Problems or canonical programs to keep out. */
  holdOut?: Iterable<Problem | string>;
  habit?: HabitSpec | null;
}

export const DEFAULT_PRETRAIN_SEED = 20240601;

/** Configs made by resolvePretrainConfig (an input object is never mistaken for one). */
const RESOLVED = new WeakSet<object>();

/** One document: the loss covers `completion` only. */
export interface PretrainExample {
  kind: PretrainKind;
  prompt: string;
  completion: string;
  /** The train-split problem it is about (meta.program holds the program). */
  problem: Problem;
  /** 1-based step where the completion's trace slips (solve / hint / continue), else null. */
  completionSlip: number | null;
  /** 1-based step of the injected error in the prompt's attempt (verify / reflect), else null. */
  attemptSlip: number | null;
  /** Character offsets in `completion` of the verifier's decisions (the first character of each
   *  verdict, "o" or "b"; verify / verifyOk), else []. A run may weight their loss (verdictWeightOk / verdictWeightBad). */
  verdictAt: number[];
}

const INPUT_KEYS = ['seed', 'chains', 'tierWeights', 'mix', 'slip', 'hintFractions', 'hintSlipScale', 'continueSlipScale', 'firstStepErrorShare', 'copySlipShare', 'holdOut', 'habit'] as const;
const OP_KEYS: readonly OpKind[] = ['add', 'sub', 'mul', 'div', 'mod'];

const nonNeg = (p: Problems, name: string, v: unknown, fix = 'use 0 to turn it off') => inRange(p, name, v, { min: 0 }, fix);
const share = (p: Problems, name: string, v: unknown) => inRange(p, name, v, { min: 0, max: 1 }, 'it is a share of attempts; use 0 (the default) to turn it off');

/** Keys of a `where` map that are not in `keys` (tiers or kinds), each with a "did you mean". */
function unknownNames(p: Problems, where: string, what: string, given: unknown, keys: readonly string[]): void {
  if (given !== undefined && !isPlain(given)) {
    p.push(`${where} (${fmt(given)}) must be an object of weights by ${what}: e.g. { ${keys[0]}: 1 }`);
    return;
  }
  for (const k of Object.keys(given ?? {})) {
    if (keys.includes(k)) continue;
    const hint = didYouMean(k, keys);
    p.push(`${where} has "${k}" which is not a ${what} (${keys.join(', ')})${hint ? `: did you mean "${hint}"?` : ': remove it'}`);
  }
}

/** Weights of `keys` (given, else the default), each >= 0, and not all 0 unless `allZeroOk`. */
function weights<K extends string>(p: Problems, where: string, what: string, keys: readonly K[], given: unknown, dflt: number | Record<K, number>, allZeroOk = false): Record<K, number> {
  unknownNames(p, where, what, given, keys);
  const g = (isPlain(given) ? given : {}) as Record<string, unknown>;
  const out = {} as Record<K, number>;
  const n = p.length;
  for (const k of keys) out[k] = nonNeg(p, `${where}.${k}`, g[k] ?? (typeof dflt === 'number' ? dflt : dflt[k]), 'give a relative weight, 0 to leave it out');
  if (!allZeroOk && p.length === n && keys.every((k) => out[k] === 0)) p.push(`${where} weights are all 0: give at least one a weight > 0`);
  return out;
}

/** Fill defaults and validate. Throws a ConfigError listing every bad field with its fix. */
export function resolvePretrainConfig(input: PretrainDataInput = {}): PretrainDataConfig {
  if (!isPlain(input as unknown)) throw new ConfigError('pretrain data config', [`the config (${fmt(input)}) must be an object (or be left out for the defaults)`]);
  const p: Problems = [];
  unknownKeys(p, '', input, INPUT_KEYS);
  const seed = input.seed ?? DEFAULT_PRETRAIN_SEED;
  check(p, 'seed', seed, Number.isSafeInteger(seed), 'an integer', `e.g. ${DEFAULT_PRETRAIN_SEED}`);
  const chains = nested(p, 'chains.', () => resolveChainsConfig(input.chains ?? {}));
  const tierNames = chains ? chains.tiers.map((t) => t.name) : [];
  const tierWeights = weights(p, 'tierWeights', 'tier', tierNames, input.tierWeights, 1);
  const mix = weights(p, 'mix', 'kind', PRETRAIN_KINDS, input.mix, DEFAULT_PRETRAIN_MIX);
  const s = (isPlain(input.slip) ? input.slip : {}) as NonNullable<PretrainDataInput['slip']>;
  if (input.slip !== undefined && !isPlain(input.slip)) p.push(`slip (${fmt(input.slip)}) must be an object of slip-model fields: leave it out for DEFAULT_SLIP_MODEL`);
  unknownKeys(p, 'slip.', s, Object.keys(DEFAULT_SLIP_MODEL));
  const d = DEFAULT_SLIP_MODEL;
  const kinds = list<SlipKind>(p, 'slip.kinds', s.kinds ?? d.kinds, (k) => SLIP_KINDS.includes(k as SlipKind), `slip kinds (${SLIP_KINDS.join(', ')})`, 'leave it out for all kinds');
  const op = weights(p, 'slip.op', 'op', OP_KEYS, s.op, d.op, true);
  const tier: Record<string, number> = {};
  if (chains) {
    unknownNames(p, 'slip.tier', 'tier', s.tier, tierNames);
    for (const [k, v] of Object.entries(isPlain(s.tier) ? s.tier : {})) if (tierNames.includes(k)) tier[k] = nonNeg(p, `slip.tier.${k}`, v, 'give a hazard multiplier, 1 for none');
  }
  const slip: SlipModel = {
    scale: nonNeg(p, 'slip.scale', s.scale ?? d.scale, 'use 1'),
    base: nonNeg(p, 'slip.base', s.base ?? d.base, `use ${d.base}`),
    op,
    perDigit: nonNeg(p, 'slip.perDigit', s.perDigit ?? d.perDigit, `use ${d.perDigit}`),
    mulOperandDigit: nonNeg(p, 'slip.mulOperandDigit', s.mulOperandDigit ?? d.mulOperandDigit, `use ${d.mulOperandDigit}`),
    perPosition: nonNeg(p, 'slip.perPosition', s.perPosition ?? d.perPosition, `use ${d.perPosition}`),
    tier,
    maxStep: inRange(p, 'slip.maxStep', s.maxStep ?? d.maxStep, { min: 0, max: 1 }, `it is a probability; use ${d.maxStep}`),
    kinds: Array.isArray(kinds) ? [...kinds] : kinds,
  };
  const hintFractions = list<number>(p, 'hintFractions', input.hintFractions ?? [0.25, 0.5, 0.75], (f) => typeof f === 'number' && f >= 0 && f <= 1, 'numbers in [0, 1]', 'e.g. [0.25, 0.5, 0.75]');
  const holdOut = new Set<string>();
  for (const h of input.holdOut ?? []) holdOut.add(typeof h === 'string' ? h : canonicalProgram(programOf(h)));
  const cfg: PretrainDataConfig = {
    seed,
    chains: chains!,
    tierWeights,
    mix,
    slip,
    hintFractions: Array.isArray(hintFractions) ? [...hintFractions] : hintFractions,
    hintSlipScale: nonNeg(p, 'hintSlipScale', input.hintSlipScale ?? 1, 'use 1 (hinted steps safe, the rest as drawn) or 0 for correct hinted traces'),
    continueSlipScale: nonNeg(p, 'continueSlipScale', input.continueSlipScale ?? 0, 'use 0 (continuations always correct)'),
    firstStepErrorShare: share(p, 'firstStepErrorShare', input.firstStepErrorShare ?? 0),
    copySlipShare: share(p, 'copySlipShare', input.copySlipShare ?? 0),
    holdOut,
    habit: checkHabit(p, 'habit', input.habit),
  };
  throwIfProblems('pretrain data config', p);
  RESOLVED.add(cfg);
  return cfg;
}

function digitCount(x: number): number {
  return String(Math.abs(x)).length;
}

/** Slip hazard of each operation step (index 0 = step 1) of a problem; see SlipModel. The answer
 *  line never slips on its own (it copies the last value). */
export function slipHazards(problem: Problem, slip: SlipModel): number[] {
  const prog = programOf(problem);
  const values = runProgram(prog);
  const tierScale = slip.tier[problem.difficulty] ?? 1;
  let prev = prog.start;
  return prog.ops.map((op, i) => {
    const d = Math.max(digitCount(prev), digitCount(op.operand), digitCount(values[i]));
    let h = slip.base + slip.op[op.kind] + slip.perDigit * (d - 1) + slip.perPosition * i;
    if (op.kind === 'mul') h += slip.mulOperandDigit * (digitCount(op.operand) - 1);
    prev = values[i];
    return Math.min(slip.maxStep, slip.scale * tierScale * h);
  });
}

/** Probability that a solve trace drawn from the slip model is right: prod(1 - h_k). */
export function expectedSolveRate(problem: Problem, slip: SlipModel): number {
  return slipHazards(problem, slip).reduce((acc, h) => acc * (1 - h), 1);
}

/** A trace from the slip model: steps before `from` (1-based) are safe, the others slip with
 *  hazard * `hazardScale`, and a habit step (opts.habit) is first written by the habit's rule with
 *  its chance, whatever the hazard scale (a habit is a rule, not a slip). Returns the full solution
 *  lines and the slipped step (or null). A step where no allowed slip changes the final answer
 *  counts as right. */
export function sampleTrace(
  problem: Problem,
  slip: SlipModel,
  rng: Rng,
  opts: { from?: number; hazardScale?: number; habit?: HabitSpec | null } = {},
): { steps: string[]; slip: number | null } {
  const hz = slipHazards(problem, slip);
  const scale = opts.hazardScale ?? 1;
  const habit = opts.habit ?? null;
  // Without a habit no step is visited at scale 0 (no random draw), as before habits existed.
  for (let k = Math.max(1, opts.from ?? 1); k <= hz.length && (scale > 0 || habit); k++) {
    const chance = habitChance(problem, k, habit);
    if (chance > 0 && rng.bool(chance)) {
      const a = injectHabit(problem, k, habit!.rule);
      if (a) return { steps: a.steps, slip: k };
    }
    if (scale <= 0 || !rng.bool(Math.min(1, hz[k - 1] * scale))) continue;
    try {
      const a = injectError(problem, k, rng, { style: 'compact', slips: slip.kinds });
      return { steps: a.steps, slip: k };
    } catch {
      // No allowed slip changes the answer at this step: the step stays right.
    }
  }
  return { steps: solutionSteps(problem, 'compact'), slip: null };
}

function pickWeighted<K extends string>(w: Record<K, number>, keys: readonly K[], rng: Rng): K {
  let u = rng.next() * keys.reduce((a, k) => a + w[k], 0);
  for (const k of keys) {
    u -= w[k];
    if (u < 0 && w[k] > 0) return k;
  }
  return keys.filter((k) => w[k] > 0).at(-1)!;
}

/** A fresh train-split program of `tier` that is not held out, as a Problem. */
function drawProblem(cfg: PretrainDataConfig, tier: TierSpec, rng: Rng, id: string): Problem {
  for (let tries = 0; tries < 10_000; tries++) {
    const prog = generateProgram(tier, rng);
    const canon = canonicalProgram(prog);
    if (splitOfProgram(canon, cfg.chains.testShare) !== 'train' || cfg.holdOut.has(canon)) continue;
    return makeProblem(prog, id, tier.name, 'train');
  }
  throw new Error(
    `pretrain: no train-split program of tier "${tier.name}" outside holdOut in 10000 draws; ` +
      'shrink holdOut, lower chains.testShare or widen the tier',
  );
}

/** A train-split problem outside holdOut, its tier drawn by cfg.tierWeights: number `index` of a
 *  stream named `stream` (a pure function of cfg.seed, stream and index; stream "" is not the
 *  example stream, whose problems pretrainExample draws after its own kind). */
export function drawPretrainProblem(cfg: PretrainDataConfig, stream: string, index: number): Problem {
  if (!Number.isSafeInteger(index) || index < 0) throw new Error(`pretrain problem index must be an integer >= 0, got ${index}`);
  const rng = createRng(cfg.seed).fork(`problems:${stream}`).fork(index);
  const tierName = pickWeighted(cfg.tierWeights, cfg.chains.tiers.map((t) => t.name), rng);
  return drawProblem(cfg, cfg.chains.tiers.find((t) => t.name === tierName)!, rng, `pretrain-${stream}-${tierName}-${index}`);
}

/** 1-based operation step where a verify / reflect attempt slips: step 1 with probability
 *  firstStepErrorShare, else uniform. */
function errorStep(problem: Problem, cfg: PretrainDataConfig, rng: Rng): number {
  // Share 0 draws no extra random number, so the stream matches a recipe without this knob.
  if (cfg.firstStepErrorShare > 0 && rng.bool(cfg.firstStepErrorShare)) return 1;
  return rng.int(1, programOf(problem).ops.length);
}

/** On a problem with a habit step, with chance habit.attemptShare: an attempt whose error is the
 *  habit at that step (what the model's own failures there look like). Draws nothing without a
 *  habit step, so recipes without a habit keep their streams. */
function habitAttempt(problem: Problem, cfg: PretrainDataConfig, rng: Rng): InjectedAttempt | null {
  const ks = habitSteps(problem, cfg.habit);
  if (ks.length === 0 || !rng.bool(cfg.habit!.attemptShare)) return null;
  return injectHabit(problem, rng.pick(ks), cfg.habit!.rule);
}

/** Example number `index` of the stream (a pure function of cfg.seed and index). */
export function pretrainExample(index: number, cfg: PretrainDataConfig): PretrainExample {
  if (!Number.isSafeInteger(index) || index < 0) throw new Error(`pretrain example index must be an integer >= 0, got ${index}`);
  const rng = createRng(cfg.seed).fork(index);
  const tierName = pickWeighted(cfg.tierWeights, cfg.chains.tiers.map((t) => t.name), rng);
  const kind = pickWeighted(cfg.mix, PRETRAIN_KINDS, rng);
  const problem = drawProblem(cfg, cfg.chains.tiers.find((t) => t.name === tierName)!, rng, `pretrain-${tierName}-${index}`);
  const R = compactRenderers;
  const base = { kind, problem, completionSlip: null, attemptSlip: null, verdictAt: [] as number[] };
  switch (kind) {
    case 'solve': {
      const t = sampleTrace(problem, cfg.slip, rng, { habit: cfg.habit });
      return { ...base, prompt: R.solve(problem), completion: joinSteps(t.steps), completionSlip: t.slip };
    }
    case 'verify': {
      const h = habitAttempt(problem, cfg, rng);
      if (h) {
        const log = compactVerificationLog(problem, h.steps);
        return { ...base, prompt: R.verifyAndIntervene(problem, h.steps), completion: log.text, verdictAt: log.verdictAt, attemptSlip: h.stepIndex };
      }
      const k = errorStep(problem, cfg, rng);
      // Share 0 draws no extra random number, so the stream matches a recipe without this knob.
      const copy = cfg.copySlipShare > 0 && rng.bool(cfg.copySlipShare);
      const arithmetic = () => injectError(problem, k, rng, { style: 'compact', slips: cfg.slip.kinds });
      let a: InjectedAttempt;
      try {
        a = copy ? injectCopySlip(problem, k, rng, { style: 'compact' }) : arithmetic();
      } catch (e) {
        if (!copy) throw e;
        a = arithmetic(); // a later division or modulo erases every copy slip at this step
      }
      const log = compactVerificationLog(problem, a.steps);
      return { ...base, prompt: R.verifyAndIntervene(problem, a.steps), completion: log.text, verdictAt: log.verdictAt, attemptSlip: a.stepIndex };
    }
    case 'verifyOk': {
      const steps = solutionSteps(problem, 'compact');
      const log = compactVerificationLog(problem, steps);
      return { ...base, prompt: R.verifyAndIntervene(problem, steps), completion: log.text, verdictAt: log.verdictAt };
    }
    case 'continue': {
      const n = programOf(problem).ops.length;
      const j = rng.int(1, n); // prefix steps; j = n leaves only the answer line
      const t = sampleTrace(problem, cfg.slip, rng, { from: j + 1, hazardScale: cfg.continueSlipScale, habit: cfg.habit });
      const prompt = R.solve(problem) + t.steps.slice(0, j).map((s) => `${s}\n`).join('');
      return { ...base, prompt, completion: joinSteps(t.steps.slice(j)), completionSlip: t.slip };
    }
    case 'hint': {
      const f = rng.pick(cfg.hintFractions);
      const k = hintCount(problem, f);
      const t = sampleTrace(problem, cfg.slip, rng, { from: k + 1, hazardScale: cfg.hintSlipScale, habit: cfg.habit });
      return { ...base, prompt: R.hintSolve(problem, f), completion: joinSteps(t.steps), completionSlip: t.slip };
    }
    case 'reflect': {
      const a = habitAttempt(problem, cfg, rng) ?? injectError(problem, errorStep(problem, cfg, rng), rng, { style: 'compact', slips: cfg.slip.kinds });
      const completion = joinSteps(solutionSteps(problem, 'compact'));
      return { ...base, prompt: R.selfReflect(problem, a.steps), completion, attemptSlip: a.stepIndex };
    }
  }
}

/** `count` consecutive examples starting at index `start` (default 0). */
export function generatePretrainExamples(count: number, input: PretrainDataInput | PretrainDataConfig = {}, start = 0): PretrainExample[] {
  if (!Number.isSafeInteger(count) || count < 0) throw new Error(`pretrain example count must be an integer >= 0, got ${count}`);
  const cfg = isResolved(input) ? input : resolvePretrainConfig(input);
  return Array.from({ length: count }, (_, i) => pretrainExample(start + i, cfg));
}

function isResolved(x: PretrainDataInput | PretrainDataConfig): x is PretrainDataConfig {
  return RESOLVED.has(x);
}

// ---------------------------------------------------------------- token ids

/** One tokenised document: <|bos|> prompt completion <|eos|>. */
export interface EncodedExample {
  ids: Int32Array; // (T,)
  /** 1 where ids[t] is a target the loss counts (completion characters and the final <|eos|>). */
  lossMask: Uint8Array; // (T,)
  /** Tokens before the completion (<|bos|> + prompt). */
  promptLength: number;
  kind: PretrainKind;
}

/** Tokenise one example. Characters outside the tokenizer's alphabet are refused (they would
 *  become <|unk|>), naming the character. */
export function encodeExample(ex: Pick<PretrainExample, 'prompt' | 'completion' | 'kind'>, tok: CharTokenizer): EncodedExample {
  const p = tok.encode(ex.prompt);
  const c = tok.encode(ex.completion);
  for (const [part, ids, text] of [['prompt', p, ex.prompt], ['completion', c, ex.completion]] as const) {
    const bad = ids.findIndex((id) => id < 4);
    if (bad >= 0) {
      throw new Error(
        `${ex.kind} example ${part} has ${JSON.stringify([...text][bad])} at character ${bad}, which is not in the ` +
          'tokenizer alphabet; map the text with toCompactAlphabet first',
      );
    }
  }
  const T = p.length + c.length + 2;
  const ids = new Int32Array(T);
  const lossMask = new Uint8Array(T);
  ids[0] = tok.bosId;
  ids.set(p, 1);
  ids.set(c, 1 + p.length);
  ids[T - 1] = tok.eosId;
  lossMask.fill(1, 1 + p.length);
  return { ids, lossMask, promptLength: 1 + p.length, kind: ex.kind };
}

/** Where the whole-document loss starts, as a token index of encodeExample(ex).ids: after
 *  <|bos|> (1), except in documents whose second line is not part of a solution (verify, verifyOk,
 *  reflect, hint with a hint line): there it starts after the first character of that line. That
 *  character ("t", "h") is what tells the formats apart right after the question; at inference the
 *  prompt always gives it, so training it would only teach a solve prompt to turn into another
 *  format. Character-level: token t + 1 is prompt character t. */
export function documentLossStart(ex: Pick<PretrainExample, 'prompt' | 'kind'>): number {
  const nl = ex.prompt.indexOf('\n');
  if (ex.kind === 'solve' || ex.kind === 'continue' || nl < 0 || nl === ex.prompt.length - 1) return 1;
  return nl + 3;
}

export interface PackOptions {
  /** Longest sequence kept, in tokens (bos and eos included). */
  maxLength: number;
  /** What to do with a longer one: "error" (default) throws, "drop" leaves it out and counts it. */
  overflow?: 'error' | 'drop';
}

/** Tokenise examples into one sequence each (see encodeExample), enforcing maxLength. */
export function packExamples(
  examples: readonly Pick<PretrainExample, 'prompt' | 'completion' | 'kind'>[],
  tok: CharTokenizer,
  opts: PackOptions,
): { sequences: EncodedExample[]; dropped: number } {
  if (!Number.isSafeInteger(opts.maxLength) || opts.maxLength < 3) {
    throw new Error(`maxLength must be an integer >= 3 (bos, one token, eos), got ${opts.maxLength}; e.g. 1024`);
  }
  const overflow = opts.overflow ?? 'error';
  const sequences: EncodedExample[] = [];
  let dropped = 0;
  examples.forEach((ex, i) => {
    const e = encodeExample(ex, tok);
    if (e.ids.length <= opts.maxLength) sequences.push(e);
    else if (overflow === 'drop') dropped++;
    else {
      throw new Error(
        `example ${i} (${ex.kind}) is ${e.ids.length} tokens but maxLength is ${opts.maxLength}; raise maxLength, ` +
          'pass overflow: "drop", or lower the tier weight of the long tiers',
      );
    }
  });
  return { sequences, dropped };
}

/** Fixed-length rows made by laying whole sequences end to end (greedy, in order; a sequence
 *  never straddles two rows), the rest of each row padded with <|pad|> (mask 0). */
export interface PackedRows {
  ids: Int32Array; // (R, T)
  lossMask: Uint8Array; // (R, T)
  rows: number;
  rowLength: number;
  /** Tokens that are not padding. */
  tokens: number;
}

export function packRows(sequences: readonly EncodedExample[], rowLength: number, padId: number): PackedRows {
  if (!Number.isSafeInteger(rowLength) || rowLength < 1) throw new Error(`rowLength must be an integer >= 1, got ${rowLength}`);
  const starts: number[] = []; // row of each sequence
  let row = -1;
  let used = rowLength;
  sequences.forEach((s, i) => {
    const L = s.ids.length;
    if (L > rowLength) throw new Error(`sequence ${i} is ${L} tokens, longer than rowLength ${rowLength}; raise rowLength`);
    if (used + L > rowLength) {
      row++;
      used = 0;
    }
    starts.push(row * rowLength + used);
    used += L;
  });
  const rows = row + 1;
  const ids = new Int32Array(rows * rowLength).fill(padId);
  const lossMask = new Uint8Array(rows * rowLength);
  let tokens = 0;
  sequences.forEach((s, i) => {
    ids.set(s.ids, starts[i]);
    lossMask.set(s.lossMask, starts[i]);
    tokens += s.ids.length;
  });
  return { ids, lossMask, rows, rowLength, tokens };
}
