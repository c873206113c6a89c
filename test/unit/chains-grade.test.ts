// Chains world: grading edge cases, answer-line parsing, and the step splitter.
import { describe, expect, it } from 'vitest';
import { createChainsTask, gradeChains, joinSteps, makeProblem, parseProgram, splitSteps } from '../../src/tasks/chains';

const pos = makeProblem(parseProgram('37 +18 *3 -29'), 'pos', 'easy', 'train'); // 136
const neg = makeProblem(parseProgram('5 -9 *7'), 'neg', 'hard', 'train'); // -28

describe('chains grade', () => {
  it('accepts both answer conventions with tolerant whitespace', () => {
    expect(gradeChains('37+18=55\n55*3=165\n165-29=136\n=136', pos)).toEqual({
      correct: true,
      extracted: '136',
      reason: 'match',
    });
    expect(gradeChains('=136', pos).correct).toBe(true);
    expect(gradeChains('  =   136  \n\n   ', pos).correct).toBe(true);
    expect(gradeChains('Answer: 136', pos).correct).toBe(true);
    expect(gradeChains('answer:136', pos).correct).toBe(true);
    expect(gradeChains('**Final answer:** 136.', pos).correct).toBe(true);
    expect(gradeChains('So the answer is 136', pos).correct).toBe(true);
    expect(gradeChains('\\boxed{136}', pos).correct).toBe(true);
    expect(gradeChains('Answer: 0136', pos).correct).toBe(true);
    expect(gradeChains('\r\nAnswer: 136\r\n', pos).correct).toBe(true);
  });

  it('handles negative numbers and thousands separators', () => {
    expect(gradeChains('=-28', neg)).toEqual({ correct: true, extracted: '-28', reason: 'match' });
    expect(gradeChains('= -28', neg).correct).toBe(true);
    expect(gradeChains('Answer: \u221228', neg).correct).toBe(true);
    expect(gradeChains('=28', neg)).toEqual({ correct: false, extracted: '28', reason: 'mismatch: 28 vs -28' });
    const big = makeProblem(parseProgram('999 *999 *999'), 'big', 'hard', 'train');
    expect(gradeChains('Answer: 997,002,999', big).correct).toBe(true);
  });

  it('reports no answer and wrong answers with reasons', () => {
    expect(gradeChains('', pos)).toEqual({ correct: false, extracted: null, reason: 'no answer found' });
    expect(gradeChains('37+18=55\n55*3=165\n165-29=136', pos)).toEqual({
      correct: false,
      extracted: null,
      reason: 'no answer found',
    });
    expect(gradeChains('Answer: one hundred', pos).reason).toBe('no answer found');
    expect(gradeChains('=135', pos)).toEqual({ correct: false, extracted: '135', reason: 'mismatch: 135 vs 136' });
    expect(gradeChains('=12345678901234567890', pos).correct).toBe(false);
  });

  it('uses the last answer line', () => {
    expect(gradeChains('=135\n=136', pos).correct).toBe(true);
    expect(gradeChains('=136\n=135', pos).correct).toBe(false);
    expect(gradeChains('Answer: 136\nsome trailing words', pos).correct).toBe(true);
  });

  it('is the task grader', () => {
    expect(createChainsTask().grade('=136', pos).correct).toBe(true);
  });
});

describe('chains splitSteps / joinSteps', () => {
  it('drops blank lines and surrounding whitespace, and inverts on clean input', () => {
    expect(splitSteps('a=1  \n\n  b=2\r\n\t\n=3\n')).toEqual(['a=1', 'b=2', '=3']);
    expect(splitSteps('')).toEqual([]);
    expect(splitSteps('\n \n')).toEqual([]);
    const clean = '37+18=55\n55*3=165\n=165';
    expect(joinSteps(splitSteps(clean))).toBe(clean);
    expect(splitSteps(joinSteps(['x', 'y']))).toEqual(['x', 'y']);
  });
});
