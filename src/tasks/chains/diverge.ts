// Ground-truth step checking: each line of an attempt against the correct solution, and the
// first divergent step (the location an ideal intervention replaces).

import type { Problem } from '../task';
import type { Style } from './config';
import { programOf, runProgram } from './program';
import { formatAnswer, formatStep, parseAnswerLine, parseStep, splitSteps } from './steps';

/** Verdict on one attempt line (1-based `index`).
 *  ok        the line is the correct step (format may vary: spacing, chat or compact symbols)
 *  wrong     right operation on the right value, wrong result (or an answer line with a wrong number)
 *  mismatch  an equation, but on the wrong value, with the wrong operation or operand
 *  malformed no single equation where a step belongs / no answer where the answer belongs
 *  missing   the attempt ended before this step
 *  extra     a line after the answer line */
export interface StepVerdict {
  index: number;
  status: 'ok' | 'wrong' | 'mismatch' | 'malformed' | 'missing' | 'extra';
  /** The attempt's line, null when missing. */
  line: string | null;
  /** The correct line at this index in the requested style, null for an extra line. */
  expected: string | null;
  /** The value the attempt wrote (result or answer), when it could be read. */
  got: string | null;
}

/** Check an attempt line by line until the first line that is not the correct step; the
 *  returned list ends with that verdict (all "ok" when the attempt is fully right).
 *  `attempt` is a solution text (split with splitSteps) or an already split list, used as is
 *  so that indices refer to the caller's list. The correct solution has ops.length operation
 *  lines then one answer line; fewer lines yield a "missing" verdict, more an "extra" one. */
export function checkSteps(attempt: string | string[], problem: Problem, style: Style = 'compact'): StepVerdict[] {
  const steps = typeof attempt === 'string' ? splitSteps(attempt) : attempt;
  const prog = programOf(problem);
  const values = runProgram(prog);
  const n = prog.ops.length;
  const out: StepVerdict[] = [];
  let prev = prog.start;
  for (let i = 1; i <= n; i++) {
    const op = prog.ops[i - 1];
    const want = values[i - 1];
    const expected = formatStep(prev, op.kind, op.operand, want, style);
    const line = i <= steps.length ? steps[i - 1] : null;
    if (line === null) {
      out.push({ index: i, status: 'missing', line, expected, got: null });
      return out;
    }
    const s = parseStep(line);
    let status: StepVerdict['status'];
    if (!s) status = 'malformed';
    else if (s.prev !== prev || s.kind !== op.kind || s.operand !== op.operand) status = 'mismatch';
    else status = s.result === want ? 'ok' : 'wrong';
    out.push({ index: i, status, line, expected, got: s ? String(s.result) : null });
    if (status !== 'ok') return out;
    prev = want;
  }
  const expected = formatAnswer(prev, style);
  const line = n < steps.length ? steps[n] : null;
  if (line === null) {
    out.push({ index: n + 1, status: 'missing', line, expected, got: null });
    return out;
  }
  const a = parseAnswerLine(line);
  const status = a === null ? 'malformed' : BigInt(a) === BigInt(prev) ? 'ok' : 'wrong';
  out.push({ index: n + 1, status, line, expected, got: a });
  if (status !== 'ok') return out;
  if (steps.length > n + 1) {
    out.push({ index: n + 2, status: 'extra', line: steps[n + 1], expected: null, got: null });
  }
  return out;
}

/** 1-based index of the first step that is not the correct step: a wrong result, a step on
 *  the wrong value or with the wrong operation, an unparsable line, a missing step (the index
 *  one past the attempt's last line), or a line after the answer line. null when the attempt
 *  is exactly right (every operation line, then the correct answer line, nothing after). */
export function firstDivergentStep(attempt: string | string[], problem: Problem): number | null {
  const v = checkSteps(attempt, problem);
  const last = v[v.length - 1];
  return last && last.status !== 'ok' ? last.index : null;
}
