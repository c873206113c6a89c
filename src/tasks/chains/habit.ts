// A learned habit for pretraining documents (a model organism of a misconception): one step kind is
// written by a wrong rule most of the time ("3*4=7": a one-digit multiplication done as an
// addition), graded by a visible feature (the operand), while reference values and verdicts stay
// correct, so the model can check what it does not produce. It gives the critical-step tier a step
// the model gets wrong systematically: the failure InT assumes.

import { inRange, int, isPlain, oneOf, unknownKeys, fmt, type Problems } from '../../util/config-kit';
import type { Problem } from '../task';
import { OP_KINDS, programOf, runProgram, type OpKind } from './program';

export interface HabitSpec {
  /** The step kind written wrong: steps of this operation... */
  op: OpKind;
  /** ...whose previous state is at most this (in absolute value). */
  maxPrev: number;
  /** The wrong rule: the line applies this operation instead (it still shows `op`). */
  rule: OpKind;
  /** Chance the habit writes the step, by the step's operand: [lo, hi, chance] ranges (inclusive);
   *  an operand outside every range is never written wrong. */
  strength: [number, number, number][];
  /** Share of verify / reflect attempts on a problem with a habit step whose error is the habit at
   *  that step (the rest get the usual injected slips). */
  attemptShare: number;
}

/** The embedded model's habit: a one-digit state times 2-3 is written as an addition three times in
 *  four (such problems are solved now and then: RL alone can learn them), times 4-9 always (never
 *  solved: RL alone gets no reward there; InT's target). */
export const MUL_AS_ADD_HABIT: Readonly<HabitSpec> = Object.freeze({
  op: 'mul',
  maxPrev: 9,
  rule: 'add',
  strength: [
    [2, 3, 0.75],
    [4, 9, 1],
  ],
  attemptShare: 0.75,
} as HabitSpec);

/** Chance that the habit writes operation step `k` (1-based) of `problem`, given that the steps
 *  before it are right; 0 where it does not apply. */
export function habitChance(problem: Problem, k: number, habit: HabitSpec | null): number {
  if (!habit) return 0;
  const prog = programOf(problem);
  const op = prog.ops[k - 1];
  if (!op || op.kind !== habit.op) return 0;
  const prev = k === 1 ? prog.start : runProgram(prog)[k - 2];
  if (Math.abs(prev) > habit.maxPrev) return 0;
  return habit.strength.find(([lo, hi]) => op.operand >= lo && op.operand <= hi)?.[2] ?? 0;
}

/** 1-based operation steps of `problem` the habit can write wrong (chance > 0). */
export function habitSteps(problem: Problem, habit: HabitSpec | null): number[] {
  if (!habit) return [];
  const n = programOf(problem).ops.length;
  return Array.from({ length: n }, (_, i) => i + 1).filter((k) => habitChance(problem, k, habit) > 0);
}

/** Validate a habit (null = none), pushing each problem under `where` with its fix. */
export function checkHabit(p: Problems, where: string, h: unknown): HabitSpec | null {
  if (h === null || h === undefined) return null;
  if (!isPlain(h)) {
    p.push(`${where} (${fmt(h)}) must be null or an object { op, maxPrev, rule, strength, attemptShare }: e.g. MUL_AS_ADD_HABIT`);
    return null;
  }
  unknownKeys(p, `${where}.`, h, ['op', 'maxPrev', 'rule', 'strength', 'attemptShare']);
  const op = oneOf(p, `${where}.op`, h.op, OP_KINDS, 'the operation the habit writes wrong');
  const rule = oneOf(p, `${where}.rule`, h.rule, OP_KINDS, 'the operation applied instead');
  if (op === rule) p.push(`${where}.rule ("${rule}") is the operation itself: pick another rule, e.g. "add" for "mul"`);
  const maxPrev = int(p, `${where}.maxPrev`, h.maxPrev, 1, 'the largest previous state the habit applies to, e.g. 9');
  const strength: [number, number, number][] = [];
  if (!Array.isArray(h.strength) || h.strength.length === 0) p.push(`${where}.strength (${fmt(h.strength)}) must list [lo, hi, chance] ranges: e.g. [[2, 3, 0.75], [4, 9, 1]]`);
  else {
    h.strength.forEach((r: unknown, i: number) => {
      const ok = Array.isArray(r) && r.length === 3 && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]) && r[0] <= r[1] && typeof r[2] === 'number' && r[2] >= 0 && r[2] <= 1;
      if (!ok) p.push(`${where}.strength[${i}] (${fmt(r)}) must be [lo, hi, chance] with integers lo <= hi and a chance in [0, 1]`);
      else strength.push([r[0], r[1], r[2]]);
    });
  }
  const attemptShare = inRange(p, `${where}.attemptShare`, h.attemptShare, { min: 0, max: 1 }, 'a share of verify / reflect attempts, e.g. 0.75');
  return { op, maxPrev, rule, strength, attemptShare };
}
