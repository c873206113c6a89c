// The grader is bounded: adversarial responses and answers (thousands of open boxes, deep
// braces, huge numbers, very long strings) end with a verdict that says why (no answer, too
// large, too deep, timeout) instead of running for seconds; every Unicode minus reads as minus.
// No wall-clock assertions: each case must end well inside vitest's per-test timeout.
import { describe, expect, it } from 'vitest';
import { compareAnswers, DEFAULT_LIMITS, extractAnswer, gradeAnswer } from '../../src/tasks/math/grade';

const BOUNDED = { timeout: 10_000 };

describe('adversarial responses', () => {
  it('100,000 unclosed \\boxed{ give no answer', BOUNDED, async () => {
    const text = '\\boxed{'.repeat(100_000);
    expect(extractAnswer(text)).toBeNull();
    expect(await gradeAnswer(text, '1')).toEqual({ correct: false, extracted: null, reason: 'no answer found' });
    // a closed box before them is still found
    expect(extractAnswer(`\\boxed{7} ${text}`)).toBe('7');
    expect(extractAnswer('\\boxed '.repeat(100_000))).toBeNull();
  });

  it('50,000 nested braces are read, unwrapped and compared', BOUNDED, async () => {
    const deep = '{'.repeat(50_000) + '1' + '}'.repeat(50_000);
    expect(extractAnswer(`\\boxed{${deep}}`)).toBe('1');
    expect(await compareAnswers(deep, '1')).toEqual({ equal: true, why: 'match' });
    expect(await compareAnswers(deep, '2')).toEqual({ equal: false, why: 'mismatch' });
    expect((await gradeAnswer(`so \\boxed{${deep}}.`, '1')).correct).toBe(true);
  });

  it('long runs of trailing punctuation and unclosed commands are cleaned in one pass', BOUNDED, async () => {
    expect(await compareAnswers('1' + '.'.repeat(500_000), '1')).toEqual({ equal: true, why: 'match' });
    expect(extractAnswer('The answer is 12' + ' ;'.repeat(200_000))).toBe('12');
    const r = await compareAnswers('\\text{'.repeat(100_000), '2');
    expect(r.why).toBe('too large');
  });

  it('refuses a response or answer over maxInputChars before any work', BOUNDED, async () => {
    const n = DEFAULT_LIMITS.maxInputChars + 1;
    const g = await gradeAnswer('\\boxed{1}' + ' '.repeat(n), '1');
    expect(g.correct).toBe(false);
    expect(g.extracted).toBeNull();
    expect(g.reason).toMatch(/^too large: the response has \d+ characters, more than maxInputChars \(1000000\)/);
    const c = await compareAnswers('1'.repeat(n), '1');
    expect(c.why).toBe('too large');
    expect(c.detail).toMatch(/the answer has 1000001 characters, more than maxInputChars/);
    expect((await compareAnswers('1', '2'.repeat(n))).detail).toMatch(/the gold answer has/);
  });

  it('huge numbers and long strings: equal text matches, anything else is refused as too large', BOUNDED, async () => {
    const big = '9'.repeat(100_000);
    expect(await compareAnswers(big, big)).toEqual({ equal: true, why: 'match' });
    const r = await compareAnswers(big, '9'.repeat(99_999) + '8');
    expect(r.why).toBe('too large');
    expect(r.detail).toMatch(/more than maxAnswerChars \(4000\)/);
    const g = await gradeAnswer(`\\boxed{${big}}`, '1');
    expect(g.reason).toMatch(/^too large to compare: 9{77}\.\.\. vs 1 \(refused: the answer has 100000 characters/);
    expect((await compareAnswers('word '.repeat(100_000), 'word')).why).toBe('too large');
  });

  it('an expression nested past maxDepth is refused as too deep', BOUNDED, async () => {
    const deep = '('.repeat(1000) + 'x' + ')'.repeat(1000);
    const r = await compareAnswers(deep, 'y');
    expect(r).toEqual({ equal: false, why: 'too large', detail: `refused: expression nests deeper than ${DEFAULT_LIMITS.maxDepth}` });
    expect((await compareAnswers('\\frac{'.repeat(1500) + '1' + '}{2}'.repeat(1500), '0')).why).toBe('too large');
    // within the cap, nesting is fine
    expect(await compareAnswers('((((x))))', 'x')).toEqual({ equal: true, why: 'match' });
  });

  it('a list longer than maxListItems is refused as too large', BOUNDED, async () => {
    const r = await compareAnswers(Array(300).fill('x+1').join(','), Array(300).fill('1+x').join(','));
    expect(r.why).toBe('too large');
    expect(r.detail).toMatch(/a list of 300 items, more than maxListItems \(200\)/);
  });

  it('one deadline covers extraction and comparison', BOUNDED, async () => {
    // no time at all: the deadline passes during extraction of a long response
    const g = await gradeAnswer('Work. '.repeat(50_000) + '\\boxed{1}', '1', { timeoutMs: 0 });
    expect(g).toEqual({ correct: false, extracted: null, reason: 'timeout: gave up extracting the answer after 0 ms' });
    // enough time: the same response grades right
    expect((await gradeAnswer('Work. '.repeat(50_000) + '\\boxed{1}', '1')).correct).toBe(true);
  });
});

describe('minus signs', () => {
  const MINUS: Array<[string, string]> = [
    ['\u2212', 'minus sign'],
    ['\u2010', 'hyphen'],
    ['\u2011', 'non-breaking hyphen'],
    ['\u2012', 'figure dash'],
    ['\u2013', 'en dash'],
    ['\u2014', 'em dash'],
    ['\u2015', 'horizontal bar'],
    ['\u02d7', 'modifier letter minus sign'],
    ['\u2796', 'heavy minus sign'],
    ['\ufe58', 'small em dash'],
    ['\ufe63', 'small hyphen-minus'],
    ['\uff0d', 'fullwidth hyphen-minus'],
  ];
  for (const [c, name] of MINUS) {
    it(`U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} (${name}) is a minus`, async () => {
      expect(await compareAnswers(`${c}3`, '-3')).toEqual({ equal: true, why: 'match' });
      expect(await compareAnswers(`x ${c} 1`, 'x-1')).toEqual({ equal: true, why: 'match' });
      expect(await compareAnswers(`${c}3`, '3')).toEqual({ equal: false, why: 'mismatch' });
      expect(extractAnswer(`so the answer is \\boxed{${c}\\frac{1}{2}}`)).toBe('-\\frac{1}{2}');
    });
  }
});
