// Time and size limits of the math grader: pathological inputs answer false quickly instead of
// hanging, a tiny time limit is honoured, and the benchmark runs (small N).
import { describe, expect, it } from 'vitest';
import { compareAnswers, gradeAnswer, isEquivalent } from '../../src/tasks/math/grade';
import { benchGrade } from '../../src/cli/bench/grade';

describe('limits', () => {
  it('refuses huge exponents, factorials and towers before computing them', async () => {
    const cases: Array<[string, string]> = [
      ['10^{10^{10^{10}}}', '10^{10^{10^{10}}}+1'],
      ['2^{2^{2^{2^{2^2}}}}', '2^{2^{2^{2^{2^2}}}}+1'],
      ['(x+1)^{100000}', '(x+2)^{100000}'],
      ['9999999!', '9999998!'],
      ['\\binom{10^{60}}{5000}', '\\binom{10^{60}}{4999}'],
      ['(2^{10^{6}})!', '1'],
    ];
    for (const [a, b] of cases) {
      const t0 = performance.now();
      expect(await isEquivalent(a, b), `${a} vs ${b}`).toBe(false);
      expect(performance.now() - t0, `${a} vs ${b}`).toBeLessThan(1000);
    }
  });

  it('handles deep nesting and very long answers without hanging', async () => {
    const deep = '('.repeat(20000) + 'x' + ')'.repeat(20000);
    const longList = Array.from({ length: 20000 }, (_, i) => `${i}`).join(', ');
    const t0 = performance.now();
    expect(await isEquivalent(deep, 'y')).toBe(false);
    expect(await isEquivalent(longList, '1')).toBe(false);
    expect(await isEquivalent('\\frac{'.repeat(3000) + '1' + '}{2}'.repeat(3000), '0')).toBe(false);
    expect((await gradeAnswer('x'.repeat(200000) + '\\boxed{' + '{'.repeat(50000), '1')).correct).toBe(false);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('stops at the time limit and grades the answer wrong', async () => {
    // two long lists of the same polynomials, written differently and in opposite orders:
    // matching them compares thousands of pairs at random points
    const gold = Array.from({ length: 150 }, (_, i) => `(x+${i})^{3}+y^{${(i % 5) + 1}}`).join(', ');
    const pred = Array.from({ length: 150 }, (_, i) => `y^{${((149 - i) % 5) + 1}}+(${149 - i}+x)^{3}`).join(', ');
    const r = await compareAnswers(pred, gold, { timeoutMs: 5 });
    expect(r).toEqual({ equal: false, why: 'timeout' });
    const g = await gradeAnswer(`\\boxed{${pred}}`, gold, { timeoutMs: 5 });
    expect(g.correct).toBe(false);
    expect(g.reason).toMatch(/^timeout/);
    // the same comparison finishes with a generous limit
    expect(await compareAnswers(pred, gold, { timeoutMs: 60_000 })).toEqual({ equal: true, why: 'match' });
  });

  it('benchmark grades mixed answers with the expected verdicts', async () => {
    const r = await benchGrade(['--n=400', '--seed=7']);
    expect(r.n).toBe(400);
    expect(r.unexpectedVerdicts).toBe(0);
    expect(r.timeouts).toBe(0);
  });
});
