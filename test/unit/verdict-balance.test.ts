// Position balance of the verifier's decisions: the measured "bad" shares per (steps, line) cell
// and the factors that make "ok" and "bad" weigh the same in every cell.

import { describe, expect, it } from 'vitest';
import { pretrainExample, resolvePretrainConfig, type PretrainExample } from '../../src/tasks/chains/pretrain-data';
import { PRETRAIN_DATA_RECIPE } from '../../src/pretrain/config';
import { referenceSteps } from '../../src/tasks/chains/render';
import { balanceCell, balanceFactors, BALANCE_LAST_LINE, measureVerdictRates, MIN_SHARE, recipeVerdictRates } from '../../src/tasks/chains/verdict-balance';

const data = resolvePretrainConfig(PRETRAIN_DATA_RECIPE);
const verifyDocs = (from: number, count: number): PretrainExample[] => {
  const out: PretrainExample[] = [];
  for (let i = from; i < from + count; i++) {
    const ex = pretrainExample(i, data);
    if (ex.verdictAt.length > 0) out.push(ex);
  }
  return out;
};

describe('verdict balance', () => {
  it('names cells by reference steps and line, lines past the last sharing one cell', () => {
    expect(balanceCell(3, 0)).toBe('3:1');
    expect(balanceCell(7, BALANCE_LAST_LINE + 3)).toBe(`7:${BALANCE_LAST_LINE}`);
  });

  it('measures the share of "bad" per cell by counting decisions', () => {
    const docs = verifyDocs(0, 3000);
    const r = measureVerdictRates(docs);
    let bad = 0;
    let all = 0;
    for (const ex of docs) {
      ex.verdictAt.forEach((j, k) => {
        if (balanceCell(referenceSteps(ex.problem).length, k) !== '3:1') return;
        all++;
        if (ex.completion[j] === 'b') bad++;
      });
    }
    expect(all).toBeGreaterThan(30);
    expect(r.bad.get('3:1')).toBeCloseTo(bad / all, 12);
    expect(r.counted).toBe(docs.reduce((n, ex) => n + ex.verdictAt.length, 0));
    // The recipe's verify documents hold failed attempts: line 1 of a one-step problem is mostly bad.
    expect(r.bad.get('1:1')!).toBeGreaterThan(0.6);
    expect(recipeVerdictRates(data, 3000).bad).toEqual(r.bad); // same documents, same shares
  });

  it('gives "ok" and "bad" the same total weight in every cell whose shares are not clamped', () => {
    const rates = recipeVerdictRates(data, 6000);
    const docs = verifyDocs(0, 6000); // the documents the rates were measured on: exact balance
    const tot = new Map<string, [number, number]>();
    for (const ex of docs) {
      const f = balanceFactors(ex, rates, 1);
      expect(f).toHaveLength(ex.verdictAt.length);
      ex.verdictAt.forEach((j, k) => {
        const cell = balanceCell(referenceSteps(ex.problem).length, k);
        const t = tot.get(cell) ?? [0, 0];
        t[ex.completion[j] === 'b' ? 1 : 0] += f[k];
        tot.set(cell, t);
      });
    }
    let checked = 0;
    for (const [cell, [ok, bad]] of tot) {
      const share = rates.bad.get(cell)!;
      if (share < MIN_SHARE || share > 1 - MIN_SHARE) continue;
      expect(ok).toBeCloseTo(bad, 6);
      checked++;
    }
    expect(checked).toBeGreaterThan(15);
  });

  it('scales by strength: 0 leaves every decision at 1, 0.5 is the square root of full balance', () => {
    const rates = recipeVerdictRates(data, 3000);
    for (const ex of verifyDocs(5000, 200)) {
      const full = balanceFactors(ex, rates, 1);
      expect(balanceFactors(ex, rates, 0)).toEqual(full.map(() => 1));
      balanceFactors(ex, rates, 0.5).forEach((f, k) => expect(f).toBeCloseTo(Math.sqrt(full[k]), 12));
      for (const f of full) expect(f).toBeLessThanOrEqual(0.5 / MIN_SHARE);
    }
    // A cell the rates never saw weighs 1.
    const ex = verifyDocs(0, 50)[0];
    expect(balanceFactors(ex, { bad: new Map(), counted: 0 }, 1)).toEqual(ex.verdictAt.map(() => 1));
  });
});
