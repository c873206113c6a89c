// runStepwiseVerify: the driver of the compact stepwise verifier, over generators that play a
// known verifier (the ideal one, one that disagrees across samples, one that never ends a line).

import { describe, expect, it } from 'vitest';
import { runStepwiseVerify, type TextGenerator } from '../../src/int/stepwise';
import { compactStepwiseVerify, compactVerification, createChainsTask, programOf } from '../../src/tasks/chains';
import { createRng } from '../../src/util/random';
import type { Problem } from '../../src/tasks/task';
import { checkedLines, idealVerdict } from '../shared/compact-log';

const task = createChainsTask({ counts: { easy: { train: 0, test: 6 }, medium: { train: 0, test: 6 }, hard: { train: 0, test: 6 } } });
const problems = task.problems('test');
const END = '</intervention>';
const opts = { n: 3, maxVerdictTokens: 96, maxTailTokens: 300, end: END, seed: 5 };

function problemOf(prompt: string): Problem {
  return problems.find((p) => compactStepwiseVerify.header(p) === prompt)!;
}

/** Records every call; answers with `answer(problem, prefix, sample)`. */
function recorder(answer: (p: Problem, prefix: string, j: number) => string) {
  const calls: { reqs: { prompt: string; prefix: string }[]; n: number; stop: string[] }[] = [];
  const gen: TextGenerator = async (reqs, o) => {
    calls.push({ reqs, n: o.n, stop: o.stop });
    return reqs.map((r) => Array.from({ length: o.n }, (_, j) => answer(problemOf(r.prompt), r.prefix, j)));
  };
  return { gen, calls };
}

function attempts() {
  const rng = createRng('stepwise');
  return problems.flatMap((p) => {
    const n = programOf(p).ops.length;
    const k = rng.int(1, n);
    return [
      { problem: p, steps: task.injectError(p, k, rng).steps },
      { problem: p, steps: task.solutionSteps(p) },
      { problem: p, steps: task.solutionSteps(p).slice(0, k) },
    ];
  });
}

describe('runStepwiseVerify', () => {
  it('with the ideal verifier writes exactly the ideal log of every attempt, each sample', async () => {
    const items = attempts();
    const { gen, calls } = recorder((p, prefix) => idealVerdict(p, prefix));
    const out = await runStepwiseVerify(gen, compactStepwiseVerify, items, opts);
    items.forEach((x, i) => expect(out[i]).toEqual(Array(3).fill(compactVerification(x.problem, x.steps))));
    // Samples that agree share a request; the ideal verifier finishes in its verdict turn.
    for (const c of calls) {
      expect(c.n).toBe(3);
      expect(c.stop).toEqual(['\n', END]);
    }
    const longest = Math.max(...items.map((x) => compactVerification(x.problem, x.steps).split('\n').filter((l) => !l.startsWith('<')).length));
    expect(calls.length).toBe(longest);
  });

  it('feeds a line only after an ok, and lets a bad verdict go on to the block', async () => {
    const items = attempts().slice(0, 9);
    // Says "bad" (without a fix) at line 2 of sample 1 and right verdicts otherwise; the fix
    // and block come in the tail turn.
    const { gen, calls } = recorder((p, prefix, j) => {
      if (prefix.includes('<intervention>')) throw new Error('fed after the block');
      if (prefix.endsWith('bad\n')) return `<intervention>{"content": "x", "location": ${checkedLines(prefix.slice(0, -1)).length}}</intervention>`;
      const k = checkedLines(prefix).length;
      if (j === 1 && k === 2) return 'bad\n';
      const v = idealVerdict(p, prefix);
      return v === 'ok\n' ? v : 'bad\n';
    });
    const out = await runStepwiseVerify(gen, compactStepwiseVerify, items, opts);
    items.forEach((x, i) => {
      const lines = compactStepwiseVerify.lines(x.problem, x.steps);
      for (const [j, log] of out[i].entries()) {
        const checked = checkedLines(log);
        // Every fed line is the attempt's, in order, and all but the last passed.
        checked.forEach((c, t) => expect(`${t + 1} ${c.line}`).toBe(lines[t].replace(/ r:-?\d+$/, '')));
        expect(checked.slice(0, -1).every((c) => c.verdict === 'ok')).toBe(true);
        const last = checked[checked.length - 1];
        if (last.verdict === 'bad') expect(log.endsWith(`"location": ${checked.length}}</intervention>`)).toBe(true);
        if (j === 1 && lines.length >= 2 && checked.length >= 2) expect(checked.length).toBe(2);
      }
    });
    const tail = calls[calls.length - 1];
    expect(tail.stop).toEqual([END]);
    expect(tail.n).toBe(1);
    // Sample 1 left its group at line 2: later rounds ask for groups of 2 and of 1.
    expect(new Set(calls.map((c) => c.n))).toEqual(new Set([3, 2, 1]));
  });

  it('ends a log whose verdict runs out of tokens or ends the sequence, and checks n', async () => {
    const items = attempts().slice(0, 3);
    const { gen, calls } = recorder(() => 'ok ok ok');
    const out = await runStepwiseVerify(gen, compactStepwiseVerify, items, opts);
    items.forEach((x, i) => expect(out[i]).toEqual(Array(3).fill(`${compactStepwiseVerify.lines(x.problem, x.steps)[0]} ok ok ok`)));
    expect(calls.length).toBe(1);
    await expect(runStepwiseVerify(gen, compactStepwiseVerify, items, { ...opts, n: 0 })).rejects.toThrow(/n must be an integer >= 1/);
  });
});
