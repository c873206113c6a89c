// Final-answer extraction: boxes (nested, several, \fbox, no braces), "the answer is",
// "Answer:" lines, clean-up of the extracted text, and responses with no answer.
import { describe, expect, it } from 'vitest';
import { extractAnswer } from '../../src/tasks/math/grade';

describe('extractAnswer', () => {
  it('reads \\boxed with nested braces', () => {
    expect(extractAnswer('so $\\boxed{\\frac{1}{\\sqrt{2}}}$.')).toBe('\\frac{1}{\\sqrt{2}}');
    expect(extractAnswer('\\boxed{\\{1, 2\\}}')).toBe('\\{1, 2\\}');
    expect(extractAnswer('\\boxed{\\boxed{7}}')).toBe('7');
  });

  it('takes the last box when there are several', () => {
    expect(extractAnswer('First \\boxed{1}, then \\boxed{2}; finally \\boxed{3}.')).toBe('3');
  });

  it('skips a box that is never closed (a cut-off response)', () => {
    expect(extractAnswer('\\boxed{5} and later \\boxed{12')).toBe('5');
  });

  it('reads \\fbox and \\boxed without braces', () => {
    expect(extractAnswer('Hence \\fbox{42}.')).toBe('42');
    expect(extractAnswer('Hence $\\boxed 5$.')).toBe('5');
    expect(extractAnswer('\\boxed 17')).toBe('17');
  });

  it('prefers a box over other phrasings', () => {
    expect(extractAnswer('The answer is 4.\n\n\\boxed{5}')).toBe('5');
  });

  it('reads "the answer is ..."', () => {
    expect(extractAnswer('After all this, the answer is $\\frac{3}{4}$. Done.')).toBe('\\frac{3}{4}');
    expect(extractAnswer('So the final answer is 3.5.')).toBe('3.5');
    expect(extractAnswer('The answer is: **12**')).toBe('12');
    expect(extractAnswer('We conclude the answer is all odd $n$.\nThanks.')).toBe('all odd n');
  });

  it('reads a final "Answer:" line', () => {
    expect(extractAnswer('Work...\nAnswer: 17')).toBe('17');
    expect(extractAnswer('Work...\n**Final Answer:** $x = 2$')).toBe('x = 2');
    expect(extractAnswer('Work...\nAnswer:\n$\\sqrt{2}$\n')).toBe('\\sqrt{2}');
    expect(extractAnswer('Answer: 1\nmore thinking\nAnswer: 2')).toBe('2');
  });

  it('cleans the extracted text', () => {
    expect(extractAnswer('\\boxed{\\dfrac{1}{2}}')).toBe('\\frac{1}{2}');
    expect(extractAnswer('\\boxed{\\tfrac{1}{2}}')).toBe('\\frac{1}{2}');
    expect(extractAnswer('\\boxed{\\text{odd } n}')).toBe('odd n');
    expect(extractAnswer('\\boxed{\\left( 1, 2 \\right)}')).toBe('( 1, 2 )');
    expect(extractAnswer('\\boxed{1{,}000}')).toBe('1000');
    expect(extractAnswer('\\boxed{60^\\circ}')).toBe('60');
    expect(extractAnswer('\\boxed{$12$.}')).toBe('12');
    expect(extractAnswer('The answer is 1,000,000.')).toBe('1000000');
    expect(extractAnswer('\\boxed{12,345}')).toBe('12345');
    expect(extractAnswer('\\boxed{1, 234}')).toBe('1, 234'); // a list, not a number
    expect(extractAnswer('\\boxed{43,47,2021}')).toBe('43,47,2021');
  });

  it('returns null when there is no answer', () => {
    expect(extractAnswer('I am not sure how to finish this problem.')).toBeNull();
    expect(extractAnswer('')).toBeNull();
    expect(extractAnswer('\\boxed{}')).toBeNull();
    expect(extractAnswer('\\boxed{12')).toBeNull();
  });
});
