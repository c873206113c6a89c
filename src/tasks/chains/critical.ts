// Purpose-built "critical-step" chain programs: n steps of easy one-digit add/sub on small
// values with exactly one critical step of a chosen kind at a chosen position (never the last).
// Used to measure which step kinds a model gets wrong systematically while it gets the steps
// around them right (the premise of InT: a failure localised to one step, the rest in reach).
//
// Easy steps: operand 1-9, add or sub, every state >= 1, and (by default) the step never crosses
// a tens boundary (43+5=48, 43-3=40; never 43+7=50 or 43-4=39), so carries and borrows appear only
// where the critical kind puts them. The prefix is built backwards from the critical step's left
// value, the suffix forwards from its result, so every state stays below 100 (below 1000 after a
// three-digit product of `mul21w`).

import type { Problem, Split } from '../task';
import { makeProblem, splitOfProgram } from './generate';
import { applyOp, canonicalProgram, type Op, type OpKind, type Program } from './program';
import { createRng, type Rng } from '../../util/random';

/** Kinds of critical step (x = the state before it, d = its operand, y = x op d):
 *  sub2_borrow    two-digit minus two-digit with a borrow        (43-27=16)
 *  sub2_noborrow  two-digit minus two-digit, no borrow           (47-23=24)
 *  add2_carry     two-digit plus two-digit with a carry, y < 100 (38+45=83)
 *  add2_nocarry   two-digit plus two-digit, no carry, y < 100    (32+45=77)
 *  mul21          two-digit times one-digit, y < 100             (23*4=92)
 *  mul21w         two-digit times one-digit, y in 100-999        (37*6=222)
 *  mul11          one-digit times one-digit                      (7*8=56)
 *  sub21_borrow   two-digit minus one-digit with a borrow        (43-7=36)
 *  add21_carry    two-digit plus one-digit with a carry, y < 100 (38+5=43) */
export type CriticalKind =
  | 'sub2_borrow'
  | 'sub2_noborrow'
  | 'add2_carry'
  | 'add2_nocarry'
  | 'mul21'
  | 'mul21w'
  | 'mul11'
  | 'sub21_borrow'
  | 'add21_carry';

export const CRITICAL_KINDS: readonly CriticalKind[] = [
  'sub2_borrow',
  'sub2_noborrow',
  'add2_carry',
  'add2_nocarry',
  'mul21',
  'mul21w',
  'mul11',
  'sub21_borrow',
  'add21_carry',
];

/** Tier name of critical problems (Problem.difficulty). */
export const CRITICAL_TIER = 'critical';

export interface CriticalSpec {
  kind: CriticalKind;
  /** Operation steps of the program (>= 2). */
  steps: number;
  /** 1-based position of the critical step, in 1..steps-1 (never the last step). */
  position: number;
  /** Let easy steps cross a tens boundary (a one-digit carry or borrow). Default false. */
  easyCrossing?: boolean;
  /** Largest state of the easy steps and of the critical step's left value after step 1; the
   *  critical step's result must stay within it too (so the steps after it are on the same small
   *  values). Default 99 (999 after a three-digit product of mul21w). Kinds whose smallest result
   *  exceeds it (e.g. add2_carry below 30) cannot be built and throw. */
  maxState?: number;
}

/** A built program and where its critical step is. */
export interface CriticalProgram {
  program: Program;
  kind: CriticalKind;
  position: number;
  /** The critical step: the state before it, its op and the state after it. */
  critical: { prev: number; op: Op; value: number };
}

const tens = (v: number) => Math.floor(v / 10);
const units = (v: number) => v % 10;

/** Whether prev -op-> is a critical step of `kind` (the kind's operand sizes and carry/borrow
 *  feature; the result ranges of the builder included). */
export function isCriticalKind(kind: CriticalKind, prev: number, op: Op): boolean {
  const x = prev;
  const d = op.operand;
  const y = applyOp(x, op);
  const two = (v: number) => v >= 10 && v <= 99;
  const one = (v: number) => v >= 1 && v <= 9;
  switch (kind) {
    case 'sub2_borrow':
      return op.kind === 'sub' && two(x) && two(d) && y >= 1 && units(x) < units(d);
    case 'sub2_noborrow':
      return op.kind === 'sub' && two(x) && two(d) && y >= 1 && units(x) >= units(d);
    case 'add2_carry':
      return op.kind === 'add' && two(x) && two(d) && y <= 99 && units(x) + units(d) >= 10;
    case 'add2_nocarry':
      return op.kind === 'add' && two(x) && two(d) && y <= 99 && units(x) + units(d) <= 9;
    case 'mul21':
      return op.kind === 'mul' && two(x) && d >= 2 && d <= 9 && y <= 99;
    case 'mul21w':
      return op.kind === 'mul' && two(x) && d >= 2 && d <= 9 && y >= 100 && y <= 999;
    case 'mul11':
      return op.kind === 'mul' && x >= 2 && x <= 9 && d >= 2 && d <= 9;
    case 'sub21_borrow':
      return op.kind === 'sub' && two(x) && one(d) && y >= 1 && units(x) < d;
    case 'add21_carry':
      return op.kind === 'add' && two(x) && one(d) && y <= 99 && units(x) + d >= 10;
  }
}

/** Draw the critical step (x, op) of a kind, uniformly over its operands by rejection. */
function drawCritical(kind: CriticalKind, rng: Rng): { prev: number; op: Op } {
  const opKind: OpKind = kind.startsWith('sub') ? 'sub' : kind.startsWith('add') ? 'add' : 'mul';
  for (let t = 0; t < 10_000; t++) {
    let x: number;
    let d: number;
    switch (kind) {
      case 'mul21': {
        d = rng.int(2, 9); // operand first: otherwise nearly every draw is *2 or *3
        x = rng.int(10, Math.floor(99 / d));
        break;
      }
      case 'mul21w': {
        d = rng.int(2, 9);
        x = rng.int(Math.max(10, Math.ceil(100 / d)), 99);
        break;
      }
      case 'mul11':
        x = rng.int(2, 9);
        d = rng.int(2, 9);
        break;
      case 'sub21_borrow':
      case 'add21_carry':
        x = rng.int(10, 99);
        d = rng.int(1, 9);
        break;
      default:
        x = rng.int(10, 99);
        d = rng.int(10, 99);
    }
    const op: Op = { kind: opKind, operand: d };
    if (isCriticalKind(kind, x, op)) return { prev: x, op };
  }
  throw new Error(`critical kind "${kind}": no operands found (a bug in its ranges)`);
}

/** Whether prev -op-> is an easy step: add/sub of 1-9, result >= 1 and <= maxState, and no tens
 *  crossing unless allowed. */
export function isEasyStep(prev: number, op: Op, easyCrossing = false, maxState = 999): boolean {
  if (op.kind !== 'add' && op.kind !== 'sub') return false;
  if (op.operand < 1 || op.operand > 9) return false;
  const y = applyOp(prev, op);
  if (y < 1 || y > maxState || prev < 1) return false;
  return easyCrossing || tens(prev) === tens(y);
}

/** The easy step leading to `v` (drawn among all that qualify), or null when none does. */
function easyStepInto(v: number, easyCrossing: boolean, maxState: number, rng: Rng): { prev: number; op: Op } | null {
  const cands: { prev: number; op: Op }[] = [];
  for (const kind of ['add', 'sub'] as const) {
    for (let d = 1; d <= 9; d++) {
      const prev = kind === 'add' ? v - d : v + d;
      const op: Op = { kind, operand: d };
      if (prev >= 1 && isEasyStep(prev, op, easyCrossing, maxState) && applyOp(prev, op) === v) cands.push({ prev, op });
    }
  }
  return cands.length ? rng.pick(cands) : null;
}

/** An easy step out of `v`, or null when none qualifies. */
function easyStepFrom(v: number, easyCrossing: boolean, maxState: number, rng: Rng): Op | null {
  const cands: Op[] = [];
  for (const kind of ['add', 'sub'] as const) {
    for (let d = 1; d <= 9; d++) if (isEasyStep(v, { kind, operand: d }, easyCrossing, maxState)) cands.push({ kind, operand: d });
  }
  return cands.length ? rng.pick(cands) : null;
}

function checkSpec(spec: CriticalSpec): void {
  if (!CRITICAL_KINDS.includes(spec.kind)) throw new Error(`unknown critical kind "${spec.kind}"; use one of ${CRITICAL_KINDS.join(', ')}`);
  if (!Number.isInteger(spec.steps) || spec.steps < 2 || spec.steps > 32) {
    throw new Error(`critical programs need 2..32 steps (the critical one is never last), got ${spec.steps}`);
  }
  if (!Number.isInteger(spec.position) || spec.position < 1 || spec.position > spec.steps - 1) {
    throw new Error(`critical position must be in 1..${spec.steps - 1} (never the last step), got ${spec.position}`);
  }
}

/** Build one program: position-1 easy steps, the critical step, steps-position easy steps. */
export function buildCriticalProgram(spec: CriticalSpec, rng: Rng): CriticalProgram {
  checkSpec(spec);
  const crossing = spec.easyCrossing ?? false;
  const maxState = spec.maxState ?? (spec.kind === 'mul21w' ? 999 : 99);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const crit = drawCritical(spec.kind, rng);
    if ((spec.position > 1 && crit.prev > maxState) || applyOp(crit.prev, crit.op) > maxState) continue;
    const prefix: Op[] = [];
    let v = crit.prev;
    let ok = true;
    for (let i = 1; i < spec.position && ok; i++) {
      const s = easyStepInto(v, crossing, maxState, rng);
      if (!s) ok = false;
      else {
        prefix.unshift(s.op);
        v = s.prev;
      }
    }
    if (!ok) continue;
    const start = v;
    const value = applyOp(crit.prev, crit.op);
    const suffix: Op[] = [];
    let w = value;
    for (let i = spec.position; i < spec.steps && ok; i++) {
      const op = easyStepFrom(w, crossing, maxState, rng);
      if (!op) ok = false;
      else {
        suffix.push(op);
        w = applyOp(w, op);
      }
    }
    if (!ok) continue;
    return { program: { start, ops: [...prefix, crit.op, ...suffix] }, kind: spec.kind, position: spec.position, critical: { prev: crit.prev, op: crit.op, value } };
  }
  throw new Error(`could not build a ${spec.kind} program of ${spec.steps} steps with the critical step at ${spec.position}`);
}

export interface CriticalProblemsOptions extends CriticalSpec {
  count: number;
  split: Split;
  /** Generator seed. Default 1234 (the chains world's default seed). */
  seed?: number;
  /** Share of the program space in the test split (the chains world's hash split). Default 0.5. */
  testShare?: number;
}

/** `count` distinct critical problems of one (kind, steps, position) in `split` (the hash split
 *  of the chains world, decided by the canonical program). Deterministic: one stream per
 *  (seed, split, kind, steps, position, crossing, maxState). meta.critical = { kind, position, prev, operand, value }. */
export function generateCriticalProblems(o: CriticalProblemsOptions): Problem[] {
  checkSpec(o);
  const seed = o.seed ?? 1234;
  const testShare = o.testShare ?? 0.5;
  const crossing = o.easyCrossing ?? false;
  const maxState = o.maxState ?? 'default';
  const rng = createRng(`chains-critical:${seed}:${o.split}:${o.kind}:${o.steps}:${o.position}:${crossing ? 1 : 0}:${maxState}`);
  const seen = new Set<string>();
  const out: Problem[] = [];
  const maxDraws = 1000 + 64 * o.count;
  for (let draws = 0; out.length < o.count; draws++) {
    if (draws >= maxDraws) {
      throw new Error(`critical ${o.kind} (steps ${o.steps}, position ${o.position}): only ${out.length} of ${o.count} distinct ${o.split} programs in ${maxDraws} draws`);
    }
    const c = buildCriticalProgram(o, rng);
    const canon = canonicalProgram(c.program);
    if (seen.has(canon) || splitOfProgram(canon, testShare) !== o.split) continue;
    seen.add(canon);
    const id = `chains-${o.split}-${CRITICAL_TIER}-${o.kind}-s${o.steps}p${o.position}-${String(out.length).padStart(5, '0')}`;
    const p = makeProblem(c.program, id, CRITICAL_TIER, o.split);
    p.meta = { ...p.meta, critical: { kind: c.kind, position: c.position, prev: c.critical.prev, operand: c.critical.op.operand, value: c.critical.value } };
    out.push(p);
  }
  return out;
}

/** Class of a step line by its own operands (what the line wrote), for per-class accuracy:
 *  the critical kind it matches, else "easy" (one-digit add/sub, no tens crossing), else "other". */
export function stepClass(prev: number, op: Op): CriticalKind | 'easy' | 'other' {
  for (const k of CRITICAL_KINDS) if (isCriticalKind(k, prev, op)) return k;
  if (isEasyStep(prev, op, false, Number.MAX_SAFE_INTEGER)) return 'easy';
  return 'other';
}
