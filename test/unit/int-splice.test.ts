// splice: the prefix excludes the erroneous step, the intervention takes its place; continuation
// texts end with the step separator; on the chains world, splicing the correct step at the true
// first divergent step and continuing correctly gives a correct solution.
import { describe, expect, it } from 'vitest';
import { continuationStarts, continuationText, interventionExample, splice } from '../../src/int/splice';
import { createChainsTask, joinSteps as chainsJoin } from '../../src/tasks/chains';
import { createRng } from '../../src/util/random';
import { createMathTask, joinSteps as mathJoin, splitSteps as mathSplit } from '../../src/tasks/math/task';

const steps = ['s1', 's2', 's3', 's4'];

describe('splice', () => {
  it('cuts just before the 1-based location and appends the intervention', () => {
    expect(splice(steps, 3, 'fix')).toEqual({ prefix: ['s1', 's2'], newSteps: ['s1', 's2', 'fix'], originalStep: 's3' });
    expect(splice(steps, 1, 'fix')).toEqual({ prefix: [], newSteps: ['fix'], originalStep: 's1' });
    expect(splice(steps, 4, 'fix')).toEqual({ prefix: ['s1', 's2', 's3'], newSteps: ['s1', 's2', 's3', 'fix'], originalStep: 's4' });
  });

  it('appends after the last step at location n + 1 (no original step)', () => {
    expect(splice(steps, 5, 'more')).toEqual({ prefix: steps, newSteps: [...steps, 'more'], originalStep: null });
  });

  it('an empty intervention deletes the step', () => {
    expect(splice(steps, 2, '  ')).toEqual({ prefix: ['s1'], newSteps: ['s1'], originalStep: 's2' });
  });

  it('does not alias or change the input', () => {
    const input = [...steps];
    const s = splice(input, 3, 'fix');
    s.prefix.push('x');
    s.newSteps.push('y');
    expect(input).toEqual(steps);
  });

  it('rejects a location outside [1, n + 1] with a clear message', () => {
    for (const loc of [0, -1, 6, 2.5, NaN]) expect(() => splice(steps, loc, 'x')).toThrow(/location .* outside \[1, 5\]/);
  });
});

describe('continuation texts', () => {
  it('end with the task\'s step separator', () => {
    expect(continuationText(chainsJoin, ['a', 'b'])).toBe('a\nb\n');
    expect(continuationText(mathJoin, ['a', 'b'])).toBe('a\n\nb\n\n');
    expect(continuationText(mathJoin, [])).toBe('');
    // the math splitter reads back the same steps
    expect(mathSplit(continuationText(mathJoin, ['p one', 'p two']))).toEqual(['p one', 'p two']);
  });

  it('the four starting points of the diagnostic table', () => {
    expect(continuationStarts(chainsJoin, steps, 3, 'fix')).toEqual({
      problemOnly: '',
      prefix: 's1\ns2\n',
      prefixOriginal: 's1\ns2\ns3\n',
      prefixIntervention: 's1\ns2\nfix\n',
    });
    const appended = continuationStarts(chainsJoin, steps, 5, 'more');
    expect(appended.prefixOriginal).toBe(appended.prefix);
    expect(appended.prefixIntervention).toBe('s1\ns2\ns3\ns4\nmore\n');
  });
});

describe('SFT example', () => {
  it('problem -> prefix + intervention, nothing after it (math task)', () => {
    const task = createMathTask([{ id: 'm1', statement: 'What is 2+3?', reference: 'Add.\n\n5', answer: '5', difficulty: 'easy', split: 'train' }]);
    const p = task.all()[0];
    const attempt = mathSplit('First, 2 + 3.\n\nThat is 6.\n\nSo \\boxed{6}.');
    const ex = interventionExample(task, p, attempt, 2, 'That is 5, since 2 + 3 = 5.', { attemptId: 'a7' });
    expect(ex.prompt).toBe(task.prompts.solve(p));
    expect(ex.completion).toBe('First, 2 + 3.\n\nThat is 5, since 2 + 3 = 5.');
    expect(ex.answer).toBe('5');
    expect(ex.meta).toEqual({ source: 'interventions', location: 2, prefixSteps: 1, attemptId: 'a7' });
  });

  it('chains: the correct step spliced at the true first error, then a correct continuation, is correct', () => {
    const task = createChainsTask({ counts: { easy: { train: 10, test: 0 }, medium: { train: 10, test: 0 }, hard: { train: 10, test: 0 } } });
    const rng = createRng('int-splice');
    for (const p of task.problems('train')) {
      const solution = task.solutionSteps(p);
      const k = rng.int(1, solution.length - 1);
      const att = task.injectError(p, k, rng);
      const loc = task.firstDivergentStep(att.steps, p)!;
      expect(loc).toBe(k);
      const s = splice(att.steps, loc, task.correctStep(p, loc));
      expect(s.originalStep).toBe(att.steps[k - 1]);
      expect(task.firstDivergentStep(s.prefix, p)).toBe(k); // the prefix is right but stops before k
      const repaired = [...s.newSteps, ...solution.slice(loc)];
      expect(task.firstDivergentStep(repaired, p)).toBeNull();
      expect(task.grade(task.joinSteps(repaired), p).correct).toBe(true);
      // the SFT completion is exactly prefix + intervention
      const ex = interventionExample(task, p, att.steps, loc, task.correctStep(p, loc));
      expect(task.splitSteps(ex.completion)).toEqual(s.newSteps);
      expect(ex.prompt).toBe(task.prompts.solve(p));
    }
  });
});
