// The pretraining probe: per-tier solve and verify documents on fresh train-split problems (never
// test), correct solve traces, verify logs for attempts with one slip, and the summary figures.

import { describe, expect, it } from 'vitest';
import { compactCharTokenizer } from '../../src/io/char-tokenizer';
import { gradeChains } from '../../src/tasks/chains';
import { resolvePretrainConfig } from '../../src/tasks/chains/pretrain-data';
import { probeDocs, probeSummary } from '../../src/tasks/chains/pretrain-probe';

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
