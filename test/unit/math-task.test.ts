// Math dataset Task: step splitting, prompt renderers, deterministic splits and grading.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Problem } from '../../src/tasks/task';
import { importDataset } from '../../src/tasks/math/import';
import { createMathTask, hintCount, joinSteps, mathRenderers, splitSteps } from '../../src/tasks/math/task';

const problem = (over: Partial<Problem> = {}): Problem => ({
  id: 'demo-1',
  statement: 'Find the sum of the roots of $x^2 - 5x + 6 = 0$.',
  reference: 'By Vieta, the sum of the roots is $-b/a$.\n\nHere $a = 1$ and $b = -5$.\n\nSo the sum is $5$.\n\nAnswer: $5$.',
  answer: '5',
  difficulty: 'easy',
  split: 'train',
  ...over,
});

describe('splitSteps / joinSteps', () => {
  it('splits on blank lines, drops empty steps and normalises line ends', () => {
    expect(splitSteps('a\n\nb\nc\n\n\n\nd  \n\n')).toEqual(['a', 'b\nc', 'd']);
    expect(splitSteps('x\r\n\r\ny\n \t\nz')).toEqual(['x', 'y', 'z']);
    expect(splitSteps('\n\n  \n\n')).toEqual([]);
    expect(splitSteps('one step only')).toEqual(['one step only']);
  });

  it('joinSteps inverts splitSteps on well-formed text', () => {
    const text = 'Step one.\n\nStep two,\nsecond line.\n\n\\boxed{3}';
    expect(joinSteps(splitSteps(text))).toBe(text);
  });
});

describe('prompt renderers', () => {
  const p = problem();
  const steps = ['The sum of the roots is $b/a$.', 'So it is $-5$.', 'Answer: \\boxed{-5}'];

  it('solve asks for blank-line separated steps and a boxed answer', () => {
    const s = mathRenderers.solve(p);
    expect(s).toContain(p.statement);
    expect(s).toMatch(/blank line between consecutive steps/);
    expect(s).toContain('\\boxed{}');
    expect(s).not.toContain(p.reference);
  });

  it('verifyAndIntervene shows problem, reference and numbered steps, and asks for the intervention block', () => {
    const s = mathRenderers.verifyAndIntervene(p, steps);
    expect(s).toContain(p.statement);
    expect(s).toContain(p.reference);
    expect(s).toContain('Step 1:\nThe sum of the roots is $b/a$.\n\nStep 2:\nSo it is $-5$.\n\nStep 3:\nAnswer: \\boxed{-5}');
    expect(s).not.toContain('Step 4:');
    expect(s).toMatch(/verification log/i);
    expect(s).toMatch(/first critical error/i);
    expect(s).toMatch(/must not state or\s+hint at the final answer/);
    expect(s).toMatch(/student's own voice/);
    expect(s).toContain('<intervention>{"content": "...", "location": N}</intervention>');
    expect(s).toMatch(/\(1 to 3\)/);
    // Without a worked solution the verifier is given the final answer instead.
    const bare = mathRenderers.verifyAndIntervene(problem({ reference: '' }), steps);
    expect(bare).toMatch(/none is available.*correct final answer is: 5/);
  });

  it('hintSolve shows the first fraction of the reference steps', () => {
    expect(hintCount(p, 0.5)).toBe(2);
    const s = mathRenderers.hintSolve(p, 0.5);
    expect(s).toContain('By Vieta, the sum of the roots is $-b/a$.\n\nHere $a = 1$ and $b = -5$.');
    expect(s).not.toContain('So the sum is $5$.');
    expect(mathRenderers.hintSolve(p, 0)).toBe(mathRenderers.solve(p));
    expect(mathRenderers.hintSolve(p, 1)).toContain('Answer: $5$.');
    expect(() => mathRenderers.hintSolve(p, 1.5)).toThrow(/hint fraction must be a number in \[0, 1\]/);
  });

  it('selfReflect asks for a full rewrite using the reference', () => {
    const s = mathRenderers.selfReflect(p, steps);
    expect(s).toContain(p.reference);
    expect(s).toContain(joinSteps(steps));
    expect(s).toMatch(/write the whole\s+solution again/);
    expect(s).toContain('\\boxed{}');
  });
});

describe('createMathTask', () => {
  const many = Array.from({ length: 200 }, (_, i) => problem({ id: `demo-${i}`, split: i % 2 ? 'test' : 'train' }));

  it('assigns splits by a hash of the id: deterministic, disjoint, seed- and fraction-dependent', () => {
    const t = createMathTask(many, { name: 'demo', testFraction: 0.3, seed: 7 });
    expect(t.name).toBe('math:demo');
    const train = t.problems('train').map((p) => p.id);
    const test = t.problems('test').map((p) => p.id);
    expect(train.length + test.length).toBe(200);
    expect(train.filter((id) => test.includes(id))).toEqual([]);
    expect(test.length).toBeGreaterThan(35);
    expect(test.length).toBeLessThan(85);
    expect(createMathTask([...many].reverse(), { testFraction: 0.3, seed: 7 }).problems('test').map((p) => p.id).sort()).toEqual([...test].sort());
    expect(createMathTask(many, { testFraction: 0.3, seed: 8 }).problems('test').map((p) => p.id)).not.toEqual(test);
    expect(createMathTask(many, { testFraction: 0 }).problems('test')).toEqual([]);
    expect(createMathTask(many, { keepSplits: true }).problems('test')).toHaveLength(100);
    expect(many[0].split).toBe('train'); // inputs are not mutated
  });

  it('rejects repeated ids and bad options with a fix', () => {
    expect(() => createMathTask([problem(), problem()])).toThrow(/repeated: demo-1.*duplicateIds/);
    expect(() => createMathTask([problem()], { testFraction: 1 })).toThrow(/testFraction must be a number in \[0, 1\)/);
    expect(() => createMathTask([problem()]).problems('dev' as never)).toThrow(/split must be "train" or "test"/);
  });

  it('grades through gradeAnswer against the problem\'s answer', async () => {
    const t = createMathTask([problem()]);
    const right = await t.grade('The roots are 2 and 3.\n\nSo the sum is \\boxed{5}.', problem());
    expect(right).toEqual({ correct: true, extracted: '5', reason: 'match' });
    const wrong = await t.grade('So the sum is \\boxed{6}.', problem());
    expect(wrong.correct).toBe(false);
    expect(wrong.extracted).toBe('6');
    expect((await t.grade('I am not sure.', problem())).extracted).toBeNull();
  });

  it('works on an imported IMO-AnswerBench-format file', async () => {
    const csv = readFileSync(new URL('../fixtures/datasets/mini-answerbench.csv', import.meta.url), 'utf8');
    const { problems } = await importDataset(csv);
    const t = createMathTask(problems, { name: 'imo-answerbench', testFraction: 0.5 });
    expect(t.all()).toHaveLength(6);
    expect(t.problems('train').length + t.problems('test').length).toBe(6);
    const p = t.byId('imo-bench-algebra-002')!;
    expect(t.prompts.verifyAndIntervene(p, ['Guess.'])).toMatch(/correct final answer is: 3/);
    expect((await t.grade('\\boxed{3}', p)).correct).toBe(true);
  });
});
