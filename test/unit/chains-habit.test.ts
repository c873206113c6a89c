// The critical-step tier (one critical op at an inner position, small states) and the learned habit
// of pretraining documents (MUL_AS_ADD_HABIT): where it applies, how it writes a step, that traces,
// verify and reflect attempts carry it while reference values and verdicts stay right, and that a
// recipe without a habit draws the same documents as before habits existed.
import { describe, expect, it } from 'vitest';
import { CRITICAL_LADDER, CRITICAL_STEP_TIER, resolveChainsConfig, TINY_LADDER, type TierSpec } from '../../src/tasks/chains/config';
import { generateProgram, makeProblem } from '../../src/tasks/chains/generate';
import { checkHabit, habitChance, habitSteps, MUL_AS_ADD_HABIT } from '../../src/tasks/chains/habit';
import { generatePretrainExamples, resolvePretrainConfig, sampleTrace, DEFAULT_SLIP_MODEL } from '../../src/tasks/chains/pretrain-data';
import { runProgram, type Program } from '../../src/tasks/chains/program';
import { injectHabit, solutionSteps } from '../../src/tasks/chains/solve';
import { createRng } from '../../src/util/random';
import { problemsOf } from '../shared/problems';

const prob = (prog: Program) => makeProblem(prog, 'p', 'critical', 'train');

describe('critical-step tier', () => {
  it('puts exactly one multiplication of a one-digit state at an inner step, every state <= 29', () => {
    const rng = createRng(3);
    const positions = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const prog = generateProgram(CRITICAL_STEP_TIER as TierSpec, rng);
      const at = prog.ops.map((o, k) => (o.kind === 'mul' ? k : -1)).filter((k) => k >= 0);
      expect(at).toHaveLength(1);
      expect(at[0]).toBeGreaterThan(0);
      expect(at[0]).toBeLessThan(prog.ops.length - 1);
      positions.add(at[0]);
      const values = runProgram(prog);
      const prev = at[0] === 0 ? prog.start : values[at[0] - 1];
      expect(prev).toBeLessThanOrEqual(9);
      expect(Math.max(prog.start, ...values)).toBeLessThanOrEqual(29);
      expect(Math.min(...values)).toBeGreaterThan(0);
    }
    expect([...positions].sort()).toEqual([1, 2]); // 3-step programs: step 2; 4-step: steps 2 or 3
  });
  it('is validated with the other tier fields', () => {
    expect(() => resolveChainsConfig({ tiers: [...CRITICAL_LADDER] })).not.toThrow();
    const bad = { ...CRITICAL_STEP_TIER, steps: [2, 3], critical: { op: 'pow', operands: [2, 9], extra: 1 } } as unknown as TierSpec;
    const p = problemsOf(() => resolveChainsConfig({ tiers: [...TINY_LADDER, bad] }));
    expect(p).toContain('tiers.critical.critical.extra is not a field; known fields: op, operands, maxPrev');
    expect(p.some((x) => x.startsWith('tiers.critical.critical.op ("pow") must be one of'))).toBe(true);
    expect(p.some((x) => x.includes('needs programs of at least 3 steps'))).toBe(true);
  });
});

describe('MUL_AS_ADD_HABIT', () => {
  const p = prob({ start: 3, ops: [{ kind: 'add', operand: 2 }, { kind: 'mul', operand: 4 }, { kind: 'sub', operand: 1 }] });
  it('applies to a multiplication of a one-digit state, with its chance by operand', () => {
    expect(habitSteps(p, MUL_AS_ADD_HABIT)).toEqual([2]);
    expect(habitChance(p, 2, MUL_AS_ADD_HABIT)).toBe(1);
    expect(habitChance(p, 1, MUL_AS_ADD_HABIT)).toBe(0);
    const low = prob({ start: 3, ops: [{ kind: 'add', operand: 2 }, { kind: 'mul', operand: 3 }, { kind: 'sub', operand: 1 }] });
    expect(habitChance(low, 2, MUL_AS_ADD_HABIT)).toBe(0.75);
    const big = prob({ start: 12, ops: [{ kind: 'sub', operand: 2 }, { kind: 'mul', operand: 2 }, { kind: 'sub', operand: 1 }] });
    expect(habitSteps(big, MUL_AS_ADD_HABIT)).toEqual([]); // the state before it, 10, has two digits
    expect(habitSteps(p, null)).toEqual([]);
  });
  it('writes the step with its own operation shown and the rule applied, later steps continuing', () => {
    const a = injectHabit(p, 2, 'add')!;
    expect(a.steps).toEqual(['3+2=5', '5*4=9', '9-1=8', '=8']);
    expect(a).toMatchObject({ stepIndex: 2, slip: 'habit', correctValue: 20, wrongValue: 9, answer: 8, goldAnswer: 19 });
    expect(injectHabit(prob({ start: 1, ops: [{ kind: 'add', operand: 1 }, { kind: 'mul', operand: 2 }, { kind: 'add', operand: 1 }] }), 2, 'add')).toBeNull(); // 2*2 = 2+2
  });
  it('is in every trace that writes the step (a rule, not a slip): solve, continue before it, hint after its hint', () => {
    const rng = createRng(1);
    for (let i = 0; i < 20; i++) {
      expect(sampleTrace(p, { ...DEFAULT_SLIP_MODEL, scale: 0 }, rng, { habit: MUL_AS_ADD_HABIT }).steps[1]).toBe('5*4=9');
      expect(sampleTrace(p, DEFAULT_SLIP_MODEL, rng, { from: 2, hazardScale: 0, habit: MUL_AS_ADD_HABIT }).steps[1]).toBe('5*4=9');
      expect(sampleTrace(p, DEFAULT_SLIP_MODEL, rng, { from: 3, hazardScale: 0, habit: MUL_AS_ADD_HABIT }).steps).toEqual(solutionSteps(p));
    }
  });
  it('shows in verify and reflect attempts of critical problems while reference values and verdicts stay right', () => {
    const cfg = resolvePretrainConfig({ chains: { tiers: [...CRITICAL_LADDER] }, tierWeights: { easy: 0, medium: 0, hard: 0, critical: 1 }, mix: { solve: 0, verify: 1, verifyOk: 0, continue: 0, hint: 0, reflect: 1 }, habit: MUL_AS_ADD_HABIT });
    const ex = generatePretrainExamples(300, cfg);
    let shown = 0;
    for (const e of ex) {
      const prog = e.problem.meta!.program as Program;
      const k = habitSteps(e.problem, MUL_AS_ADD_HABIT)[0];
      const prev = runProgram(prog)[k - 2] ?? prog.start;
      const d = prog.ops[k - 1].operand;
      if (prev + d === prev * d) continue; // 2*2 = 2+2: the habit writes the right value
      const line = `${prev}*${d}=${prev + d} r:${prev * d}`;
      // reflect prompts show the attempt's lines; a verify document shows them as its check lines
      if (!(e.prompt + e.completion).includes(line)) continue;
      shown++;
      expect(e.attemptSlip).toBe(k);
      if (e.kind === 'verify') expect(e.completion).toContain(`${k} ${line} bad ${prev}*${d}=${prev * d} not ${prev + d}`);
      else expect(e.completion).toBe(solutionSteps(e.problem).join('\n'));
    }
    // attemptShare 0.75 of the attempts (a few habit values equal the right one: 2*2)
    expect(shown / ex.length).toBeGreaterThan(0.6);
    expect(shown / ex.length).toBeLessThan(0.85);
  });
  it('leaves a recipe without a habit drawing the documents it drew before', () => {
    const a = generatePretrainExamples(50, { chains: { tiers: [...TINY_LADDER] } });
    const b = generatePretrainExamples(50, { chains: { tiers: [...TINY_LADDER] }, habit: null });
    expect(b).toEqual(a);
  });
  it('is validated, every problem listed', () => {
    const p2 = problemsOf(() => resolvePretrainConfig({ habit: { ...MUL_AS_ADD_HABIT, rule: 'mul', strength: [[3, 2, 2]], attemptShare: 2 } }));
    expect(p2).toContain('habit.rule ("mul") is the operation itself: pick another rule, e.g. "add" for "mul"');
    expect(p2.some((x) => x.startsWith('habit.strength[0] ([3,2,2]) must be [lo, hi, chance]'))).toBe(true);
    expect(p2.some((x) => x.startsWith('habit.attemptShare (2) must be in [0, 1]'))).toBe(true);
    expect(checkHabit([], 'habit', null)).toBeNull();
  });
});
