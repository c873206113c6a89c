// The pretraining probe: per-tier solve and verify documents on fresh train-split problems (never
// test), correct solve traces, verify logs for attempts with one slip, and the summary figures.

import { describe, expect, it } from 'vitest';
import { compactCharTokenizer } from '../../src/io/char-tokenizer';
import { gradeChains } from '../../src/tasks/chains';
import { resolvePretrainConfig } from '../../src/tasks/chains/pretrain-data';
import { balancedStandardError, decisionDocs, decisionSummary, probeDocs, probeSummary } from '../../src/tasks/chains/pretrain-probe';

const tok = compactCharTokenizer();
const data = resolvePretrainConfig({});
const decode = (ids: number[]) => tok.decode(ids.filter((t) => t !== tok.eosId && t !== tok.bosId));

describe('probeDocs', () => {
  const docs = probeDocs(data, tok, 5);

  it('has perTier solve and verify documents for every tier, each ending with <|eos|>', () => {
    const groups = new Map<string, number>();
    for (const d of docs) groups.set(d.group, (groups.get(d.group) ?? 0) + 1);
    expect([...groups]).toEqual(['easy', 'medium', 'hard'].flatMap((t) => [[`solve:${t}`, 5], [`verify:${t}`, 5]]));
    for (const d of docs) {
      expect(d.prompt[0]).toBe(tok.bosId);
      expect(d.completion.at(-1)).toBe(tok.eosId);
    }
  });

  it('uses train-split problems only, the solve traces are correct and the verify logs point at a slip', () => {
    for (const d of docs) expect(d.problem.split).toBe('train');
    for (const d of docs.filter((x) => x.group.startsWith('solve:'))) {
      expect(gradeChains(decode(d.completion), d.problem).correct).toBe(true);
    }
    for (const d of docs.filter((x) => x.group.startsWith('verify:'))) {
      expect(decode(d.completion)).toMatch(/bad .*\n<intervention>\{"content": ".*", "location": \d+\}<\/intervention>$/);
    }
    expect(probeDocs(data, tok, 5)).toEqual(docs); // deterministic
  });

  it('drops documents longer than maxLength and refuses a bad perTier', () => {
    const short = probeDocs(data, tok, 3, 120);
    for (const d of short) expect(d.prompt.length + d.completion.length).toBeLessThanOrEqual(120);
    expect(() => probeDocs(data, tok, 0)).toThrow(/perTier/);
  });
});

describe('probeSummary', () => {
  it('averages P(completion) and the per-token NLL within each group', () => {
    const docs = [
      { group: 'a', prompt: [1], completion: [5, 6] },
      { group: 'a', prompt: [1], completion: [5] },
      { group: 'b', prompt: [1], completion: [5] },
    ];
    const s = probeSummary(docs, [new Float32Array([Math.log(0.5), Math.log(0.5)]), new Float32Array([0]), new Float32Array([Math.log(0.1)])]);
    expect(s.a.p).toBeCloseTo((0.25 + 1) / 2, 6);
    expect(s.a.nll).toBeCloseTo((2 * Math.log(2)) / 3, 6);
    expect(s.b.p).toBeCloseTo(0.1, 6);
  });
});

describe('decisionDocs', () => {
  const docs = decisionDocs(data, tok, 4);

  it('has perTier verify documents per tier whose whole log is the completion, decisions on its verdicts', () => {
    expect(docs.map((d) => d.group)).toEqual(['easy', 'medium', 'hard'].flatMap((t) => Array(4).fill(`decide:${t}`)));
    for (const d of docs) {
      expect(d.problem.split).toBe('train');
      const text = decode(d.prompt);
      expect(text.endsWith('\n')).toBe(true); // the verify header, the log starts the completion
      expect(d.decisions.length).toBeGreaterThan(0);
      for (const { at, bad } of d.decisions) {
        // Character-level: decision token `at` of the completion is the verdict's first character.
        expect(tok.decode([d.completion[at - 1], d.completion[at]])).toBe(bad ? ' b' : ' o');
      }
      // A failed attempt: right lines first, then exactly one bad decision, the last.
      expect(d.decisions.map((x) => x.bad)).toEqual([...Array(d.decisions.length - 1).fill(false), true]);
    }
    expect(decisionDocs(data, tok, 4)).toEqual(docs); // deterministic
    expect(() => decisionDocs(data, tok, 0)).toThrow(/perTier/);
  });
});

describe('decisionSummary', () => {
  it('counts a decision right when its verdict character has probability above 1/2, per class', () => {
    const docs = [
      { decisions: [{ at: 0, bad: false }, { at: 2, bad: false }, { at: 3, bad: true }] },
      { decisions: [{ at: 1, bad: true }] },
    ];
    const l = Math.log;
    const s = decisionSummary(docs, [new Float32Array([l(0.9), 0, l(0.4), l(0.6)]), new Float32Array([0, l(0.3)])]);
    expect(s.okCount).toBe(2);
    expect(s.badCount).toBe(2);
    expect(s.ok).toBeCloseTo(0.5, 12); // 0.9 right, 0.4 wrong
    expect(s.bad).toBeCloseTo(0.5, 12); // 0.6 right, 0.3 wrong
    expect(s.balanced).toBeCloseTo(0.5, 12);
    expect(() => decisionSummary([{ decisions: [{ at: 5, bad: true }] }], [new Float32Array(2)])).toThrow(/outside document 0/);
  });
});

describe('balancedStandardError', () => {
  it('is half the root of the two binomial variances; 0 for certain shares or no decisions', () => {
    const se = balancedStandardError({ ok: 0.5, bad: 0.8, balanced: 0.65, okCount: 100, badCount: 50 });
    expect(se).toBeCloseTo(Math.sqrt(0.25 / 100 + 0.16 / 50) / 2, 12);
    expect(balancedStandardError({ ok: 1, bad: 0, balanced: 0.5, okCount: 10, badCount: 10 })).toBe(0);
    expect(balancedStandardError({ ok: 0, bad: 0, balanced: 0, okCount: 0, badCount: 0 })).toBe(0);
  });
});
