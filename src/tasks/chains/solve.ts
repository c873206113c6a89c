// Step execution for problems: correct solution traces in the model's own format, and error
// injection (one plausible arithmetic slip at a chosen step, later steps continuing exactly
// from the wrong value, as a real model's mistake propagates).

import type { Problem } from '../task';
import type { Style } from './config';
import { applyOp, programOf, runProgram, type Op, type OpKind, type Program } from './program';
import type { Rng } from '../../util/random';
import { formatAnswer, formatStep, joinSteps } from './steps';

/** Steps of the correct solution: one line per operation, then the answer line. */
export function solutionSteps(p: Problem | Program, style: Style = 'compact'): string[] {
  const prog = 'ops' in p ? p : programOf(p);
  const values = runProgram(prog);
  const lines: string[] = [];
  let prev = prog.start;
  prog.ops.forEach((op, i) => {
    lines.push(formatStep(prev, op.kind, op.operand, values[i], style));
    prev = values[i];
  });
  lines.push(formatAnswer(prev, style));
  return lines;
}

/** The correct solution text (solutionSteps joined). */
export function solutionText(p: Problem | Program, style: Style = 'compact'): string {
  return joinSteps(solutionSteps(p, style));
}

/** The correct step at 1-based `location` of the solution (an op line, or the answer line at
 *  ops.length + 1): what an ideal intervention writes there. */
export function correctStep(p: Problem | Program, location: number, style: Style = 'compact'): string {
  const steps = solutionSteps(p, style);
  if (!Number.isInteger(location) || location < 1 || location > steps.length) {
    throw new Error(`step location must be an integer in 1..${steps.length}, got ${location}`);
  }
  return steps[location - 1];
}

/** Kinds of injected slips:
 *  digit     one digit of the result replaced by another (leading digit never becomes 0)
 *  carry     result off by a power of ten >= 10 (a dropped or extra carry / borrow)
 *  transpose two adjacent different digits of the result swapped
 *  wrongOp   a different operation applied (the line shows it: "55+3=58" for "*3")
 *  rounding  division rounded up instead of down, or a remainder off by one (div/mod only) */
export type SlipKind = 'digit' | 'carry' | 'transpose' | 'wrongOp' | 'rounding';
export const SLIP_KINDS: readonly SlipKind[] = ['digit', 'carry', 'transpose', 'wrongOp', 'rounding'];

/** Kinds of injected copy slips: the line's arithmetic is right but it works on a wrong number,
 *  so only the reference value (not re-doing the step) shows the error:
 *  operand   the operation's operand miscopied (one digit changed: "55*8=440" for "*3")
 *  carried   the previous value miscopied (one digit changed: "56*3=168" after "=55") */
export type CopySlipKind = 'operand' | 'carried';
export const COPY_SLIP_KINDS: readonly CopySlipKind[] = ['operand', 'carried'];

/** The slip a habit writes (PretrainDataConfig.habit): the line shows its operation but applies
 *  another rule ("3*4=7": a multiplication done as an addition). */
export type HabitSlip = 'habit';

/** An attempt with one injected error. */
export interface InjectedAttempt {
  /** The attempt's lines (op lines then an answer line), in the requested style. */
  steps: string[];
  /** joinSteps(steps). */
  text: string;
  /** 1-based index of the wrong step (= firstDivergentStep of the attempt). */
  stepIndex: number;
  slip: SlipKind | CopySlipKind | HabitSlip;
  /** Correct value of the wrong step, and the value the attempt wrote there. */
  correctValue: number;
  wrongValue: number;
  /** The attempt's (wrong) final answer, and the gold answer. */
  answer: number;
  goldAnswer: number;
}

export interface InjectOptions {
  /** Style of the attempt lines. Default "compact". */
  style?: Style;
  /** Only use these slip kinds (default: all that apply at the step). */
  slips?: readonly SlipKind[];
}

/** |values| above this are refused, so every later product stays an exact integer. */
const SAFE_ABS = 1e15;

interface Candidate {
  slip: SlipKind | CopySlipKind | HabitSlip;
  value: number;
  /** The op the attempt line shows (differs from the program's only for wrongOp). */
  shownKind: OpKind;
  /** The previous value / operand the line shows when miscopied (copy slips); default the right one. */
  shownPrev?: number;
  shownOperand?: number;
}

function digitsOf(v: number): string {
  return String(Math.abs(v));
}

function withSign(v: number, magnitude: number): number {
  return v < 0 ? -magnitude : magnitude;
}

/** One-digit variants of an integer (sign kept, no leading zero), by position then digit. */
function digitVariants(v: number): number[] {
  const ds = digitsOf(v);
  const out: number[] = [];
  for (let i = 0; i < ds.length; i++) {
    for (let d = i === 0 && ds.length > 1 ? 1 : 0; d <= 9; d++) {
      if (String(d) !== ds[i]) out.push(withSign(v, Number(ds.slice(0, i) + d + ds.slice(i + 1))));
    }
  }
  return out;
}

/** All slips of `kind` for the correct step prev -op-> value, in a deterministic order. */
function candidatesOf(kind: SlipKind, prev: number, op: Op, value: number): Candidate[] {
  const out: Candidate[] = [];
  const ds = digitsOf(value);
  const push = (v: number, shownKind: OpKind = op.kind): void => {
    if (v !== value) out.push({ slip: kind, value: v, shownKind });
  };
  switch (kind) {
    case 'digit':
      for (const v of digitVariants(value)) push(v);
      break;
    case 'carry':
      for (let p = 10; p <= Math.abs(value) * 10 && p <= 1e12; p *= 10) {
        if (op.kind === 'mod' || op.kind === 'div') break;
        push(value + p);
        push(value - p);
      }
      break;
    case 'transpose':
      for (let i = 0; i + 1 < ds.length; i++) {
        if (ds[i] === ds[i + 1] || (i === 0 && ds[1] === '0')) continue;
        push(withSign(value, Number(ds.slice(0, i) + ds[i + 1] + ds[i] + ds.slice(i + 2))));
      }
      break;
    case 'wrongOp': {
      const alts: OpKind[] = { add: ['sub', 'mul'], sub: ['add'], mul: ['add'], div: ['mod', 'mul'], mod: ['div'] }[
        op.kind
      ] as OpKind[];
      for (const k of alts) push(applyOp(prev, { kind: k, operand: op.operand }), k);
      break;
    }
    case 'rounding':
      if (op.kind === 'div') {
        push(value + 1);
        push(value - 1);
      } else if (op.kind === 'mod') {
        if (value + 1 < op.operand) push(value + 1);
        push(value - 1);
      }
      break;
  }
  return out;
}

/** Lines of an attempt with the slip at 1-based `k`, later steps continuing exactly. */
function buildAttempt(prog: Program, k: number, c: Candidate, style: Style): { steps: string[]; answer: number } | null {
  const steps: string[] = [];
  let prev = prog.start;
  for (let i = 1; i <= prog.ops.length; i++) {
    const op = prog.ops[i - 1];
    const next = i === k ? c.value : applyOp(prev, op);
    if (!Number.isSafeInteger(next) || Math.abs(next) > SAFE_ABS) return null;
    const slipped = i === k;
    steps.push(formatStep(slipped ? (c.shownPrev ?? prev) : prev, slipped ? c.shownKind : op.kind, slipped ? (c.shownOperand ?? op.operand) : op.operand, next, style));
    prev = next;
  }
  steps.push(formatAnswer(prev, style));
  return { steps, answer: prev };
}

/** Final value when step `k` (1-based) yields `value` and every later step is exact. */
function finalFrom(prog: Program, k: number, value: number): number {
  let x = value;
  for (let i = k; i < prog.ops.length; i++) x = applyOp(x, prog.ops[i]);
  return x;
}

/** Whether some one-digit slip at step `k` (1-based) changes the final answer, i.e. an error
 *  there is not erased by later divisions or modulos. The generator keeps only programs where
 *  this holds at every step, so injectError always finds a slip on generated problems. */
export function errorPropagates(prog: Program, k: number): boolean {
  const values = runProgram(prog);
  const prev = k === 1 ? prog.start : values[k - 2];
  const gold = values[values.length - 1];
  return candidatesOf('digit', prev, prog.ops[k - 1], values[k - 1]).some((c) => finalFrom(prog, k, c.value) !== gold);
}

/** The program around 1-based operation step `stepIndex`: its value before and after the step
 *  and the final answer. Throws (naming `fn`) when stepIndex is not an operation line. */
function slipSite(problem: Problem, stepIndex: number, fn: string) {
  const prog = programOf(problem);
  const n = prog.ops.length;
  if (!Number.isInteger(stepIndex) || stepIndex < 1 || stepIndex > n) {
    throw new Error(`${fn} stepIndex is 1-based and must be in 1..${n} (the operation lines), got ${stepIndex}`);
  }
  const values = runProgram(prog);
  return { prog, n, gold: values[n - 1], prev: stepIndex === 1 ? prog.start : values[stepIndex - 2], op: prog.ops[stepIndex - 1], value: values[stepIndex - 1] };
}

/** An attempt whose step `stepIndex` (1-based, an operation line: 1..ops.length) holds one
 *  plausible arithmetic slip and whose later steps, answer line included, correctly continue
 *  from the wrong value. Steps before it are correct. The slip is chosen so that the final
 *  answer is wrong (an error that a later mod or division would erase is skipped). Throws when
 *  no allowed slip at that step changes the final answer. */
export function injectError(problem: Problem, stepIndex: number, rng: Rng, opts: InjectOptions = {}): InjectedAttempt {
  const { prog, gold, prev, op, value } = slipSite(problem, stepIndex, 'injectError');
  const style = opts.style ?? 'compact';
  const kinds = opts.slips ?? SLIP_KINDS;
  // Random kind order, random candidate order inside a kind; first one that changes the answer.
  const order = kinds.map((k) => ({ k, r: rng.next() })).sort((a, b) => a.r - b.r);
  for (const { k } of order) {
    const cands = candidatesOf(k, prev, op, value);
    const start = cands.length ? rng.int(0, cands.length - 1) : 0;
    for (let j = 0; j < cands.length; j++) {
      const c = cands[(start + j) % cands.length];
      const built = buildAttempt(prog, stepIndex, c, style);
      if (!built || built.answer === gold) continue;
      return {
        steps: built.steps,
        text: joinSteps(built.steps),
        stepIndex,
        slip: c.slip,
        correctValue: value,
        wrongValue: c.value,
        answer: built.answer,
        goldAnswer: gold,
      };
    }
  }
  throw new Error(
    `injectError: no ${kinds.join('/')} slip at step ${stepIndex} of problem "${problem.id}" changes the final ` +
      'answer (a later step erases it); pick another step or allow more slip kinds',
  );
}


/** An attempt whose step `stepIndex` (1-based operation line) does right arithmetic on a
 *  miscopied operand or previous value (a copy slip), later steps continuing exactly from its
 *  result; steps before it are correct and the final answer is wrong. Unlike injectError's slips,
 *  re-doing the line's arithmetic does not reveal it: the line's value differs from the
 *  reference. Throws when no copy slip at that step changes the final answer. */
export function injectCopySlip(problem: Problem, stepIndex: number, rng: Rng, opts: { style?: Style } = {}): InjectedAttempt {
  const { prog, gold, prev, op, value: right } = slipSite(problem, stepIndex, 'injectCopySlip');
  const style = opts.style ?? 'compact';
  const order = COPY_SLIP_KINDS.map((k) => ({ k, r: rng.next() })).sort((a, b) => a.r - b.r);
  for (const { k } of order) {
    const cands = k === 'operand' ? digitVariants(op.operand).filter((x) => x > 0) : digitVariants(prev);
    const start = cands.length ? rng.int(0, cands.length - 1) : 0;
    for (let j = 0; j < cands.length; j++) {
      const x = cands[(start + j) % cands.length];
      const [shownPrev, shownOperand] = k === 'operand' ? [prev, x] : [x, op.operand];
      const c: Candidate = { slip: k, value: applyOp(shownPrev, { kind: op.kind, operand: shownOperand }), shownKind: op.kind, shownPrev, shownOperand };
      if (c.value === right) continue;
      const built = buildAttempt(prog, stepIndex, c, style);
      if (!built || built.answer === gold) continue;
      return { steps: built.steps, text: joinSteps(built.steps), stepIndex, slip: k, correctValue: right, wrongValue: c.value, answer: built.answer, goldAnswer: gold };
    }
  }
  throw new Error(`injectCopySlip: no copy slip at step ${stepIndex} of problem "${problem.id}" changes the final answer; pick another step`);
}

/** An attempt whose step `stepIndex` (1-based operation line) is written by a wrong rule: the line
 *  shows the step's own operation and operand, but its value is `rule` applied instead ("3*4=7"
 *  for "*4" done as "+4"); later steps continue exactly from it. Null when that value is the right
 *  one or a later step erases the difference (the final answer would be right). */
export function injectHabit(problem: Problem, stepIndex: number, rule: OpKind, opts: { style?: Style } = {}): InjectedAttempt | null {
  const { prog, gold, prev, op, value: right } = slipSite(problem, stepIndex, 'injectHabit');
  const value = applyOp(prev, { kind: rule, operand: op.operand });
  if (value === right) return null;
  const built = buildAttempt(prog, stepIndex, { slip: 'habit', value, shownKind: op.kind }, opts.style ?? 'compact');
  if (!built || built.answer === gold) return null;
  return { steps: built.steps, text: joinSteps(built.steps), stepIndex, slip: 'habit', correctValue: right, wrongValue: value, answer: built.answer, goldAnswer: gold };
}
