// Chains world: compact and chat renderers, the compact alphabet, and the ideal compact
// verification + intervention output.
import { describe, expect, it } from 'vitest';
import {
  chatRenderers,
  COMPACT_ALPHABET,
  compactCheckLines,
  compactRenderers,
  compactVerification,
  createChainsTask,
  firstDivergentStep,
  formatInterventionBlock,
  injectError,
  makeProblem,
  parseIntervention,
  parseProgram,
  programOf,
  solutionSteps,
  toCompactAlphabet,
} from '../../src/tasks/chains';
import { createRng } from '../../src/util/random';

const task = createChainsTask({
  counts: { easy: { train: 40, test: 10 }, medium: { train: 40, test: 10 }, hard: { train: 40, test: 10 } },
});
const all = [...task.problems('train'), ...task.problems('test')];
const example = makeProblem(parseProgram('37 +18 *3 -29'), 'chains-example', 'easy', 'train');
const inAlphabet = (s: string) => [...s].every((c) => COMPACT_ALPHABET.includes(c));

describe('compact alphabet', () => {
  it('is sorted, without duplicates, and small', () => {
    const chars = [...COMPACT_ALPHABET];
    expect(chars).toEqual([...chars].sort());
    expect(new Set(chars).size).toBe(chars.length);
    expect(chars.length).toBeLessThanOrEqual(64);
    expect(toCompactAlphabet('Ab\tC×é\r\n')).toBe('ab c??\n');
  });

  it('every compact prompt, solution, and verification output stays inside it', () => {
    const rng = createRng(2);
    for (const p of all) {
      const n = programOf(p).ops.length;
      const attempt = injectError(p, rng.int(1, n), rng, { style: 'compact' });
      const texts = [
        compactRenderers.solve(p),
        compactRenderers.hintSolve(p, 0.5),
        compactRenderers.hintSolve(p, 1),
        compactRenderers.verifyAndIntervene(p, attempt.steps),
        compactRenderers.selfReflect(p, attempt.steps),
        task.solution(p, 'compact'),
        compactVerification(p, attempt.steps),
        // Untrusted foreign text is mapped into the alphabet too.
        compactRenderers.verifyAndIntervene(p, ['Étape 1: 37 × 2 = 74\t', ...attempt.steps]),
        compactVerification(p, ['Étape 1: 37 × 2 = 74', ...attempt.steps]),
      ];
      for (const t of texts) expect(inAlphabet(t), JSON.stringify(t)).toBe(true);
    }
  });
});

describe('compact renderers', () => {
  it('render the documented formats', () => {
    const steps = ['37+18=55', '55*3=155', '155-29=126', '=126'];
    expect(compactRenderers.solve(example)).toBe('q:37 +18 *3 -29\n');
    expect(compactRenderers.hintSolve(example, 0.7)).toBe('q:37 +18 *3 -29\nh:55,165\n');
    expect(compactRenderers.hintSolve(example, 0.2)).toBe('q:37 +18 *3 -29\n');
    // The verifier is stepwise: its prompt is the header, the check lines come one at a time.
    expect(compactRenderers.verifyAndIntervene(example, steps)).toBe('q:37 +18 *3 -29\nv:\n');
    expect(compactCheckLines(example, steps)).toEqual(['1 37+18=55 r:55', '2 55*3=155 r:165', '3 155-29=126 r:136', '4 =126 r:136']);
    expect(compactRenderers.selfReflect(example, steps)).toBe(
      'q:37 +18 *3 -29\nt:\n1 37+18=55 r:55\n2 55*3=155 r:165\n3 155-29=126 r:136\n4 =126 r:136\nw:\n',
    );
    expect(() => compactRenderers.hintSolve(example, 1.5)).toThrow(/\[0, 1\]/);
  });

  it('give every attempt line its reference value, pad a short attempt and leave extra lines bare', () => {
    expect(compactRenderers.selfReflect(example, ['37+18=55', '=55'])).toBe(
      'q:37 +18 *3 -29\nt:\n1 37+18=55 r:55\n2 =55 r:165\n3  r:136\n4  r:136\nw:\n',
    );
    expect(compactCheckLines(example, ['37+18=55', '55*3=165', '165-29=136', '=136', '=1'])).toEqual(
      ['1 37+18=55 r:55', '2 55*3=165 r:165', '3 165-29=136 r:136', '4 =136 r:136', '5 =1'],
    );
  });

  it('are short: a hard solve prompt fits in one line', () => {
    for (const p of all) expect(compactRenderers.solve(p).length).toBeLessThan(100);
  });
});

describe('chat renderers', () => {
  it('speak natural language and carry the needed parts', () => {
    expect(example.statement).toBe('Start with 37. Add 18. Multiply by 3. Subtract 29. What is the final number?');
    const solve = chatRenderers.solve(example);
    expect(solve).toContain(example.statement);
    expect(solve).toContain('Answer: N');
    const hint = chatRenderers.hintSolve(example, 0.7);
    expect(hint).toContain('55, 165.');
    expect(hint).not.toContain('136');
    const steps = solutionSteps(example, 'chat');
    const v = chatRenderers.verifyAndIntervene(example, steps);
    expect(v).toContain('Substep 1: 37 + 18 = 55');
    expect(v).toContain(`Substep ${steps.length}: Answer: 136`);
    expect(v).toContain('55, 165, 136');
    expect(v).toContain('<intervention>{"content": "<the replacement step>", "location": <substep number>}</intervention>');
    const r = chatRenderers.selfReflect(example, steps);
    expect(r).toContain('Substep 2: 55 * 3 = 165');
    expect(r).toContain('rewrite the whole solution');
    const hard = makeProblem(parseProgram('5 -9 /4 %5'), 'h', 'hard', 'train');
    expect(hard.statement).toContain('Divide by 4, rounding down.');
    expect(hard.statement).toContain('Take the remainder modulo 5.');
  });

  it('task.prompts follows the configured style', () => {
    expect(createChainsTask({ style: 'chat' }).prompts.solve(example)).toBe(chatRenderers.solve(example));
    expect(createChainsTask().prompts.solve(example)).toBe(compactRenderers.solve(example));
  });
});

describe('compact verification output', () => {
  it('matches the documented example', () => {
    const out = compactVerification(example, ['37+18=55', '55*3=155', '155-29=126', '=126']);
    expect(out).toBe(
      '1 37+18=55 r:55 ok\n2 55*3=155 r:165 bad 55*3=165 not 155\n<intervention>{"content": "55*3=165", "location": 2}</intervention>',
    );
    expect(compactVerification(example, ['37+18=55'])).toBe(
      '1 37+18=55 r:55 ok\n2  r:165 bad 55*3=165 not missing\n<intervention>{"content": "55*3=165", "location": 2}</intervention>',
    );
    expect(compactVerification(example, ['37+18=55', '55+3=58'])).toContain('\n2 55+3=58 r:165 bad 55*3=165 not 55+3=58\n');
    expect(compactVerification(example, solutionSteps(example))).toBe('1 37+18=55 r:55 ok\n2 55*3=165 r:165 ok\n3 165-29=136 r:136 ok\n4 =136 r:136 ok');
    expect(compactVerification(example, [...solutionSteps(example), '=1'])).toBe(
      '1 37+18=55 r:55 ok\n2 55*3=165 r:165 ok\n3 165-29=136 r:136 ok\n4 =136 r:136 ok\n5 =1 bad extra\n<intervention>{"content": "", "location": 5}</intervention>',
    );
  });

  it('parses: the last block has the right location and the correct step as content', () => {
    const rng = createRng(17);
    let n = 0;
    for (let rep = 0; rep < 3; rep++) {
      for (const p of all) {
        const k = rng.int(1, programOf(p).ops.length);
        const a = injectError(p, k, rng, { style: 'compact' });
        const out = compactVerification(p, a.steps);
        const lines = out.split('\n');
        expect(lines.length).toBe(k + 1);
        const check = compactCheckLines(p, a.steps);
        for (let i = 0; i < k - 1; i++) expect(lines[i]).toBe(`${check[i]} ok`);
        expect(lines[k - 1].startsWith(`${check[k - 1]} bad `)).toBe(true);
        // Independent parse of the final block.
        const m = /<intervention>(.*)<\/intervention>$/.exec(out)!;
        const obj = JSON.parse(m[1]);
        expect(obj).toEqual({ content: solutionSteps(p, 'compact')[k - 1], location: k });
        expect(parseIntervention(out)).toEqual(obj);
        // Splicing the intervention in and continuing correctly gives a right solution.
        const spliced = [...a.steps.slice(0, k - 1), obj.content, ...solutionSteps(p).slice(k)];
        expect(firstDivergentStep(spliced, p)).toBeNull();
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(300);
  });

  it('parseIntervention takes the last valid block and rejects broken ones', () => {
    const two = `${formatInterventionBlock('a', 1)} then ${formatInterventionBlock('b "q"', 3)}`;
    expect(parseIntervention(two)).toEqual({ content: 'b "q"', location: 3 });
    expect(parseIntervention('<intervention>{"content": "x", "location": "2"}</intervention>')).toEqual({
      content: 'x',
      location: 2,
    });
    expect(parseIntervention('no block')).toBeNull();
    expect(parseIntervention('<intervention>{"content": "x", "location": 0}</intervention>')).toBeNull();
    expect(parseIntervention('<intervention>{content: x}</intervention>')).toBeNull();
  });
});
