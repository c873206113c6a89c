// Chains world: correct solutions verify, injected errors are found by firstDivergentStep
// and propagate, and firstDivergentStep handles short, long and garbled attempts.
import { describe, expect, it } from 'vitest';
import {
  applyOp,
  checkSteps,
  createChainsTask,
  firstDivergentStep,
  COPY_SLIP_KINDS,
  injectCopySlip,
  injectError,
  makeProblem,
  parseAnswerLine,
  parseProgram,
  parseStep,
  programOf,
  runProgram,
  SLIP_KINDS,
  solutionSteps,
  type Problem,
} from '../../src/tasks/chains';
import { createRng } from '../../src/util/random';

const task = createChainsTask({
  counts: { easy: { train: 60, test: 20 }, medium: { train: 60, test: 20 }, hard: { train: 60, test: 20 } },
});
const all = [...task.problems('train'), ...task.problems('test')];
const example = makeProblem(parseProgram('37 +18 *3 -29'), 'chains-example', 'easy', 'train');

describe('chains solutions', () => {
  it('the example solves in both styles', () => {
    expect(solutionSteps(example, 'compact')).toEqual(['37+18=55', '55*3=165', '165-29=136', '=136']);
    expect(solutionSteps(example, 'chat')).toEqual(['37 + 18 = 55', '55 * 3 = 165', '165 - 29 = 136', 'Answer: 136']);
    expect(example.reference).toBe('55, 165, 136');
    expect(example.answer).toBe('136');
  });

  it('every generated solution grades correct and has no divergent step', () => {
    for (const p of all) {
      for (const style of ['compact', 'chat'] as const) {
        const text = task.solution(p, style);
        expect(task.grade(text, p)).toEqual({ correct: true, extracted: p.answer, reason: 'match' });
        expect(firstDivergentStep(text, p)).toBeNull();
        expect(task.splitSteps(text)).toEqual(task.solutionSteps(p, style));
        expect(task.joinSteps(task.splitSteps(text))).toBe(text);
      }
    }
  });
});

/** Checks that lines after `k` continue exactly from the wrong value. */
function expectPropagates(p: Problem, steps: string[], k: number): void {
  const prog = programOf(p);
  const n = prog.ops.length;
  expect(steps.length).toBe(n + 1);
  const correct = runProgram(prog);
  let prev = prog.start;
  for (let i = 1; i <= n; i++) {
    const s = parseStep(steps[i - 1])!;
    expect(s).not.toBeNull();
    expect(s.prev).toBe(prev);
    expect(s.operand).toBe(prog.ops[i - 1].operand);
    if (i < k) expect(s.result).toBe(correct[i - 1]);
    if (i === k) expect(s.result).not.toBe(correct[i - 1]);
    if (i > k) {
      expect(s.kind).toBe(prog.ops[i - 1].kind);
      expect(s.result).toBe(applyOp(s.prev, prog.ops[i - 1]));
    }
    prev = s.result;
  }
  expect(parseAnswerLine(steps[n])).toBe(String(prev));
  expect(String(prev)).not.toBe(p.answer);
}

describe('chains error injection', () => {
  it('firstDivergentStep finds injected errors at random positions and they propagate', () => {
    const rng = createRng(99);
    const slipsSeen = new Set<string>();
    let cases = 0;
    for (let rep = 0; rep < 4; rep++) {
      for (const p of all) {
        const n = programOf(p).ops.length;
        const k = rng.int(1, n);
        const style = rng.bool() ? 'compact' : 'chat';
        const a = injectError(p, k, rng, { style });
        expect(a.stepIndex).toBe(k);
        expect(firstDivergentStep(a.text, p)).toBe(k);
        expect(firstDivergentStep(a.steps, p)).toBe(k);
        expectPropagates(p, a.steps, k);
        const g = task.grade(a.text, p);
        expect(g.correct).toBe(false);
        expect(g.extracted).toBe(String(a.answer));
        expect(a.goldAnswer).toBe(Number(p.answer));
        slipsSeen.add(a.slip);
        cases++;
      }
    }
    expect(cases).toBeGreaterThanOrEqual(900);
    expect([...slipsSeen].sort()).toEqual([...SLIP_KINDS].sort());
  });

  it('every step of every generated problem accepts a one-digit slip', () => {
    const rng = createRng(5);
    for (const p of all) {
      const n = programOf(p).ops.length;
      for (let k = 1; k <= n; k++) {
        const a = injectError(p, k, rng, { slips: ['digit'] });
        expect(a.slip).toBe('digit');
        expect(firstDivergentStep(a.steps, p)).toBe(k);
      }
    }
  });

  it('is deterministic for a given rng seed and validates its arguments', () => {
    const p = all[all.length - 1];
    expect(injectError(p, 2, createRng(3))).toEqual(injectError(p, 2, createRng(3)));
    expect(() => injectError(p, 0, createRng(3))).toThrow(/1-based/);
    expect(() => injectError(p, programOf(p).ops.length + 1, createRng(3))).toThrow(/1-based/);
    // A rounding slip only exists on div/mod steps.
    expect(() => injectError(example, 1, createRng(3), { slips: ['rounding'] })).toThrow(/no rounding slip/);
  });

  it('slips look like arithmetic slips', () => {
    const rng = createRng(11);
    const p = makeProblem(parseProgram('37 +18 *3 -29'), 'x', 'easy', 'train');
    const digit = injectError(p, 2, rng, { slips: ['digit'] });
    const d = String(digit.wrongValue);
    expect(d.length).toBe(3); // one digit of 165 changed, length kept
    expect([...d].filter((c, i) => c !== '165'[i]).length).toBe(1);
    const carry = injectError(p, 2, rng, { slips: ['carry'] });
    expect([10, 100, 1000]).toContain(Math.abs(carry.wrongValue - 165));
    const op = injectError(p, 2, rng, { slips: ['wrongOp'] });
    expect(op.steps[1]).toBe('55+3=58');
    expect(op.steps[3]).toBe('=29');
  });
});

describe('chains copy slips', () => {
  it('do right arithmetic on a miscopied number, diverge at their step and propagate', () => {
    const rng = createRng(42);
    const seen = new Set<string>();
    let cases = 0;
    for (const p of all) {
      const k = rng.int(1, programOf(p).ops.length);
      let a;
      try {
        a = injectCopySlip(p, k, rng);
      } catch (e) {
        expect(String(e)).toMatch(/no copy slip at step/);
        continue;
      }
      expect(firstDivergentStep(a.steps, p)).toBe(k);
      expect(checkSteps(a.steps, p)[k - 1].status).toBe('mismatch');
      // The slipped line's own arithmetic is right: only its value against the reference shows it.
      const s = parseStep(a.steps[k - 1])!;
      expect(applyOp(s.prev, { kind: s.kind, operand: s.operand })).toBe(s.result);
      expect(s.result).toBe(a.wrongValue);
      expect(a.wrongValue).not.toBe(runProgram(programOf(p))[k - 1]);
      const op = programOf(p).ops[k - 1];
      const prev = k === 1 ? programOf(p).start : runProgram(programOf(p))[k - 2];
      expect(a.slip === 'operand' ? s.prev === prev && s.operand !== op.operand : s.prev !== prev && s.operand === op.operand).toBe(true);
      // Later lines continue exactly from the wrong value, answer line included.
      let cur = s.result;
      for (let i = k; i < programOf(p).ops.length; i++) {
        const t = parseStep(a.steps[i])!;
        expect([t.prev, t.kind, t.operand]).toEqual([cur, programOf(p).ops[i].kind, programOf(p).ops[i].operand]);
        expect(t.result).toBe(applyOp(cur, programOf(p).ops[i]));
        cur = t.result;
      }
      expect(a.steps[a.steps.length - 1]).toBe(`=${cur}`);
      expect(task.grade(a.text, p).correct).toBe(false);
      seen.add(a.slip);
      cases++;
    }
    expect(cases).toBeGreaterThan(all.length * 0.9);
    expect([...seen].sort()).toEqual([...COPY_SLIP_KINDS].sort());
    expect(() => injectCopySlip(example, 0, rng)).toThrow(/1-based/);
  });
});

describe('chains firstDivergentStep edge cases', () => {
  const right = solutionSteps(example); // 37+18=55, 55*3=165, 165-29=136, =136
  it('handles short, long, garbled and reformatted attempts', () => {
    expect(firstDivergentStep(right, example)).toBeNull();
    expect(firstDivergentStep('', example)).toBe(1);
    expect(firstDivergentStep(right.slice(0, 2), example)).toBe(3);
    expect(firstDivergentStep(right.slice(0, 3), example)).toBe(4); // answer line missing
    expect(firstDivergentStep([...right, '=137'], example)).toBe(5); // extra line
    expect(firstDivergentStep(['37+18=55', 'hmm', '165-29=136', '=136'], example)).toBe(2);
    expect(firstDivergentStep(['37+18=55', '=165', '165-29=136'], example)).toBe(2);
    expect(firstDivergentStep(['37+18=55', '55*3=165', '165-29=136', '=135'], example)).toBe(4);
    expect(firstDivergentStep(['37+18=55', '56*3=168', '168-29=139', '=139'], example)).toBe(2); // wrong value used
    expect(firstDivergentStep(['37+18=55', '55*4=220'], example)).toBe(2); // wrong operand
    expect(firstDivergentStep(['37+18=55', '55+3=58'], example)).toBe(2); // wrong operation
    expect(firstDivergentStep(['37+18=55', '55*3=165 and 165-29=136'], example)).toBe(2); // two steps on a line
    const loose = '\n  Step 1: 37 + 18 = 55  \n\n2. 55 × 3 = 165\n**165 − 29 = 136**\n\nThe answer is 136.\n';
    expect(firstDivergentStep(loose, example)).toBeNull();
    expect(checkSteps(['37+18=55', '55*3=155'], example).map((v) => v.status)).toEqual(['ok', 'wrong']);
    expect(checkSteps(['37+18=55', '55*3=165', 'x'], example)[2]).toMatchObject({
      status: 'malformed',
      expected: '165-29=136',
    });
  });

  it('reads div, mod and negative values in both styles', () => {
    const p = makeProblem(parseProgram('5 -9 *7 /4 %5'), 'neg', 'hard', 'train');
    expect(runProgram(programOf(p))).toEqual([-4, -28, -7, 3]);
    expect(firstDivergentStep(solutionSteps(p, 'compact'), p)).toBeNull();
    expect(solutionSteps(p, 'chat')).toEqual(['5 - 9 = -4', '-4 * 7 = -28', '-28 // 4 = -7', '-7 % 5 = 3', 'Answer: 3']);
    expect(firstDivergentStep(['5 - 9 = -4', '-4 x 7 = -28', '-28 div 4 = -7', '-7 mod 5 = 3', 'answer: 3'], p)).toBeNull();
    expect(firstDivergentStep(['5-9=-4', '-4*7=-28', '-28/4=-6', '-6%5=4', '=4'], p)).toBe(3);
  });
});
