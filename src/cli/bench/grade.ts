// Benchmark of the math grader: grades N (default 10,000) mixed responses (every answer kind,
// right, rewritten, wrong, missing) with gradeAnswer and reports the timing.
// Usage through the bench CLI: `grade [--n=10000] [--seed=1]`.

import { gradeAnswer } from '../../tasks/math/grade';
import { uniformStream } from '../../util/random';

interface Pool {
  gold: string;
  /** Other ways to write the right answer. */
  right: string[];
  /** Wrong answers. */
  wrong: string[];
}

const POOL: Pool[] = [
  { gold: '3', right: ['3', '3.0', 'n = 3'], wrong: ['4', '-3', '\\frac{3}{2}'] },
  { gold: '2024', right: ['2024', '2{,}024', '2,024'], wrong: ['2025', '2023'] },
  { gold: '1431655765', right: ['1431655765'], wrong: ['1431655764'] },
  { gold: '\\frac{1}{2}', right: ['0.5', '\\dfrac12', '1/2', '\\frac{2}{4}'], wrong: ['\\frac13', '2', '0.49'] },
  { gold: '-\\frac{2023}{2024^2}', right: ['-\\frac{2023}{4096576}', '\\frac{-2023}{2024^{2}}'], wrong: ['\\frac{2023}{2024^2}', '-\\frac{2024}{2023^2}'] },
  { gold: '\\sqrt{2}-1', right: ['\\frac{1}{1+\\sqrt2}', '-1+\\sqrt{2}'], wrong: ['\\sqrt2+1', '1-\\sqrt2'] },
  { gold: '2\\sqrt[3]{\\frac{196}{13}}', right: ['\\sqrt[3]{\\frac{1568}{13}}'], wrong: ['\\sqrt[3]{\\frac{196}{13}}'] },
  { gold: '\\frac{17458+2970\\sqrt{5}}{23769}', right: ['\\frac{2970\\sqrt5+17458}{23769}'], wrong: ['\\frac{17458-2970\\sqrt{5}}{23769}'] },
  { gold: '2^{2024}+1', right: ['1+2^{2024}'], wrong: ['2^{2024}', '2^{2025}+1'] },
  { gold: '\\frac{1}{2004!}', right: ['\\frac{2005 \\cdot 2006}{2006!}'], wrong: ['\\frac{1}{2006!}', '0'] },
  { gold: '2^{u-2}', right: ['\\frac{2^u}{4}', '2^{u}/4'], wrong: ['2^{u-1}', '2^u'] },
  { gold: '\\binom{2k}{k}^2', right: ['\\left(\\frac{(2k)!}{(k!)^2}\\right)^2'], wrong: ['\\binom{2k}{k}'] },
  { gold: '\\lfloor \\log_{2}a\\rfloor +1', right: ['1+\\lfloor\\log_2 a\\rfloor'], wrong: ['\\lceil\\log_2 a\\rceil'] },
  { gold: '\\frac{R^2+Rr}{\\sqrt{R^2-2Rr}}', right: ['\\frac{R(R+r)}{\\sqrt{R(R-2r)}}'], wrong: ['\\frac{R^2-Rr}{\\sqrt{R^2-2Rr}}'] },
  { gold: '2026, 2030', right: ['2030, 2026', '\\{2026, 2030\\}', '2026 \\text{ and } 2030'], wrong: ['2026', '2026, 2031'] },
  { gold: '2, 3, 4, 6, 8, 12, 24', right: ['24, 12, 8, 6, 4, 3, 2'], wrong: ['2, 3, 4, 6, 8, 12'] },
  { gold: '(2, \\frac{1}{2}, \\frac{9}{4})', right: ['(2, 0.5, 2.25)'], wrong: ['(\\frac12, 2, \\frac94)'] },
  { gold: '(-\\infty,0)\\cup\\{\\frac{1}{2}\\}', right: ['\\{0.5\\}\\cup(-\\infty, 0)'], wrong: ['(-\\infty,0]\\cup\\{\\frac12\\}'] },
  { gold: '[-6,5]', right: ['[-6, 5]', '-6 \\le x \\le 5'], wrong: ['[-6,5)', '(-6,5]'] },
  { gold: 'x\\geq-\\frac{6}{5}', right: ['[-\\frac65, \\infty)', 'x \\ge -1.2'], wrong: ['x > -\\frac65'] },
  { gold: 'g(x)=2x^{3}+c, g(x)=-2x^{3}+c', right: ['-2x^3+c, 2x^3+c'], wrong: ['g(x)=2x^3+c'] },
  { gold: 'f(x)=x+1', right: ['x+1', 'f(x) = 1 + x \\text{ for all } x'], wrong: ['f(x)=x-1', 'x'] },
  { gold: '3a^2 - b^2 = 3', right: ['b^2 = 3a^2 - 3'], wrong: ['b^2 = 3a^2 + 3'] },
  { gold: '\\pm 2021', right: ['2021, -2021'], wrong: ['2021'] },
  { gold: 'odd $n$', right: ['All odd $n$', 'odd n'], wrong: ['even $n$'] },
  { gold: 'No positive integers', right: ['no positive integers'], wrong: ['All positive integers'] },
  { gold: '25\\%', right: ['25\\%', '0.25', '25'], wrong: ['26\\%'] },
  // these need the compute-engine fallback
  { gold: '2^{100}\\sqrt{2}', right: ['\\sqrt{2}\\cdot 2^{100}'], wrong: ['2^{100}\\sqrt{3}', '2^{100}\\sqrt{2}+1'] },
  { gold: '55', right: ['\\sum_{k=1}^{10} k'], wrong: ['\\sum_{k=1}^{11} k'] },
];

const FILLER = [
  'We first consider small cases and look for a pattern. ',
  'By the AM-GM inequality, the sum is at least twice the square root of the product. ',
  'Substituting $x = 1$ gives $f(1) = 2$, and then $f(2) = 3$. ',
  'Suppose, for contradiction, that there were a larger value. ',
  'Hence the expression $\\frac{a+b}{2} \\ge \\sqrt{ab}$ holds with equality iff $a=b$. ',
];

function arg(args: string[], name: string, dflt: number): number {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  const v = a ? Number(a.slice(name.length + 3)) : dflt;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number, got "${a}"`);
  return v;
}

/** Grade N mixed responses and return the timing figures. */
export async function benchGrade(args: string[]): Promise<Record<string, unknown>> {
  const n = Math.floor(arg(args, 'n', 10_000));
  const rand = uniformStream(arg(args, 'seed', 1));
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const items: Array<{ response: string; gold: string; expect: boolean | null }> = [];
  for (let i = 0; i < n; i++) {
    const p = pick(POOL);
    const r = rand();
    const text = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => pick(FILLER)).join('');
    let answer: string | null;
    let expect: boolean | null;
    if (r < 0.45) [answer, expect] = [pick(p.right), true];
    else if (r < 0.9) [answer, expect] = [pick(p.wrong), false];
    else [answer, expect] = [null, false];
    const style = rand();
    const math = answer !== null && answer.includes('$') ? answer : `$${answer}$`; // text answers carry their own $
    const response =
      answer === null ? `${text}I could not finish.` : style < 0.7 ? `${text}So the final answer is $\\boxed{${answer}}$.` : style < 0.85 ? `${text}\nAnswer: ${math}` : `${text}Therefore the answer is ${math}.`;
    items.push({ response, gold: p.gold, expect });
  }
  const t0 = performance.now();
  let correct = 0;
  let noAnswer = 0;
  let timeouts = 0;
  let disagree = 0;
  let slowest = 0;
  for (const it of items) {
    const s = performance.now();
    const g = await gradeAnswer(it.response, it.gold);
    slowest = Math.max(slowest, performance.now() - s);
    if (g.correct) correct++;
    if (g.extracted === null) noAnswer++;
    if (g.reason.startsWith('timeout')) timeouts++;
    if (it.expect !== null && g.correct !== it.expect) {
      disagree++;
      if (process.env.BENCH_GRADE_DEBUG) console.log(g, it.gold, it.response.slice(-80));
    }
  }
  const totalMs = performance.now() - t0;
  return {
    bench: 'grade',
    n,
    totalMs: Math.round(totalMs),
    perAnswerUs: Math.round((totalMs * 1000) / n),
    slowestMs: Math.round(slowest * 10) / 10,
    correct,
    noAnswer,
    timeouts,
    unexpectedVerdicts: disagree,
  };
}
