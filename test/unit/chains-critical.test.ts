import { describe, expect, it } from 'vitest';
import {
  buildCriticalProgram,
  CRITICAL_KINDS,
  generateCriticalProblems,
  isCriticalKind,
  isEasyStep,
  stepClass,
  type CriticalKind,
} from '../../src/tasks/chains/critical';
import { splitOfProgram } from '../../src/tasks/chains/generate';
import { gradeChains } from '../../src/tasks/chains/grade';
import { applyOp, programOf, runProgram } from '../../src/tasks/chains/program';
import { createRng } from '../../src/util/random';
import { solutionText } from '../../src/tasks/chains/solve';

describe('critical-step chain programs', () => {
  it('puts one step of the requested kind at the requested position, never last, easy steps elsewhere', () => {
    const rng = createRng('critical-test');
    for (const kind of CRITICAL_KINDS) {
      for (const steps of [3, 4, 5]) {
        for (let position = 1; position < steps; position++) {
          for (let rep = 0; rep < 20; rep++) {
            const c = buildCriticalProgram({ kind, steps, position }, rng);
            const { start, ops } = c.program;
            expect(ops.length).toBe(steps);
            expect(c.position).toBe(position);
            expect(position).toBeLessThan(steps);
            const values = runProgram(c.program);
            const before = (i: number) => (i === 0 ? start : values[i - 1]);
            const maxState = kind === 'mul21w' ? 999 : 99;
            ops.forEach((op, i) => {
              if (i + 1 === position) {
                expect(isCriticalKind(kind, before(i), op)).toBe(true);
                expect(c.critical).toEqual({ prev: before(i), op, value: values[i] });
              } else {
                expect(isEasyStep(before(i), op, false, maxState)).toBe(true);
                expect(op.operand).toBeLessThanOrEqual(9);
                expect(before(i)).toBeLessThanOrEqual(maxState);
              }
            });
            // every state is positive and small after the critical step
            for (const v of values) expect(v).toBeGreaterThanOrEqual(1);
            for (const v of values.slice(position)) expect(v).toBeLessThanOrEqual(maxState);
          }
        }
      }
    }
  });

  it('classifies the kinds as described', () => {
    const cases: [CriticalKind, number, '+' | '-' | '*', number][] = [
      ['sub2_borrow', 43, '-', 27],
      ['sub2_noborrow', 47, '-', 23],
      ['add2_carry', 38, '+', 45],
      ['add2_nocarry', 32, '+', 45],
      ['mul21', 23, '*', 4],
      ['mul21w', 37, '*', 6],
      ['mul11', 7, '*', 8],
      ['sub21_borrow', 43, '-', 7],
      ['add21_carry', 38, '+', 5],
    ];
    const kindOf = { '+': 'add', '-': 'sub', '*': 'mul' } as const;
    for (const [kind, x, sym, d] of cases) {
      const op = { kind: kindOf[sym], operand: d };
      expect(stepClass(x, op)).toBe(kind);
      for (const other of CRITICAL_KINDS) if (other !== kind) expect(isCriticalKind(other, x, op)).toBe(false);
    }
    expect(stepClass(43, { kind: 'add', operand: 5 })).toBe('easy');
    expect(stepClass(43, { kind: 'sub', operand: 3 })).toBe('easy');
  });

  it('keeps every state within maxState and refuses kinds that cannot fit', () => {
    const rng = createRng(7);
    for (const kind of ['sub2_borrow', 'sub2_noborrow', 'add2_nocarry', 'sub21_borrow', 'add21_carry', 'mul11'] as const) {
      for (let rep = 0; rep < 30; rep++) {
        const c = buildCriticalProgram({ kind, steps: 4, position: 2, maxState: 29 }, rng);
        expect(Math.max(c.program.start, ...runProgram(c.program))).toBeLessThanOrEqual(29);
      }
    }
    expect(() => buildCriticalProgram({ kind: 'add2_carry', steps: 4, position: 2, maxState: 29 }, rng)).toThrow(/could not build/);
  });

  it('rejects a last or out-of-range position and unknown kinds', () => {
    const rng = createRng(1);
    expect(() => buildCriticalProgram({ kind: 'mul11', steps: 4, position: 4 }, rng)).toThrow(/never the last/);
    expect(() => buildCriticalProgram({ kind: 'mul11', steps: 4, position: 0 }, rng)).toThrow(/1\.\.3/);
    expect(() => buildCriticalProgram({ kind: 'nope' as CriticalKind, steps: 4, position: 1 }, rng)).toThrow(/unknown critical kind/);
  });

  it('makes deterministic, distinct problems of the requested split that the chains grader accepts', () => {
    const o = { kind: 'sub2_borrow' as const, steps: 4, position: 3, count: 24, split: 'test' as const };
    const a = generateCriticalProblems(o);
    const b = generateCriticalProblems(o);
    expect(a).toEqual(b);
    expect(new Set(a.map((p) => p.meta!.canonical)).size).toBe(24);
    expect(new Set(a.map((p) => p.id)).size).toBe(24);
    const other = generateCriticalProblems({ ...o, seed: 99 });
    expect(other.map((p) => p.meta!.canonical)).not.toEqual(a.map((p) => p.meta!.canonical));
    for (const p of a) {
      expect(p.split).toBe('test');
      expect(p.difficulty).toBe('critical');
      expect(splitOfProgram(programOf(p), 0.5)).toBe('test');
      const crit = p.meta!.critical as { kind: string; position: number; prev: number; operand: number; value: number };
      expect(crit.kind).toBe('sub2_borrow');
      expect(crit.position).toBe(3);
      const prog = programOf(p);
      expect(applyOp(crit.prev, prog.ops[2])).toBe(crit.value);
      expect(gradeChains(solutionText(p), p).correct).toBe(true);
    }
    expect(generateCriticalProblems({ ...o, split: 'train', count: 8 }).every((p) => p.split === 'train')).toBe(true);
  });
});
