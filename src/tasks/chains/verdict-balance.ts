// Position balance of the verifier's decisions. Verify documents hold failed attempts, so whether a
// check line is "bad" depends on where it sits: line 1 of a one- or two-step problem is wrong
// about two times in three. A verifier trained on that learns position ("line 1 of an easy problem
// is bad") instead of comparing the line's value with its reference value. This module measures
// the share of "bad" decisions per (reference steps, line) cell of a data recipe and turns it into
// per-decision loss factors that give "ok" and "bad" the same total weight in every cell, so that
// position predicts nothing and only the comparison does.

import { referenceSteps } from './render';
import { pretrainExample, type PretrainDataConfig, type PretrainExample } from './pretrain-data';

/** Lines at or past this one share a cell (few documents reach them). */
export const BALANCE_LAST_LINE = 6;
/** A cell's share of either class is clamped to [MIN_SHARE, 1 - MIN_SHARE] before it is inverted,
 *  so a rare class weighs at most 0.5 / MIN_SHARE times its plain weight. */
export const MIN_SHARE = 0.1;

/** Share of "bad" decisions per cell, and the decisions counted. */
export interface VerdictRates {
  bad: Map<string, number>;
  counted: number;
}

/** The cell of decision `k` (0-based line) of a document about a problem of `steps` reference steps. */
export function balanceCell(steps: number, k: number): string {
  return `${steps}:${Math.min(k + 1, BALANCE_LAST_LINE)}`;
}

/** Count the decisions of `examples` per cell. Each example's decisions are at `verdictAt` of its
 *  completion ("o" ok, "b" bad). */
export function measureVerdictRates(examples: Iterable<PretrainExample>): VerdictRates {
  const n = new Map<string, [number, number]>();
  let counted = 0;
  for (const ex of examples) {
    const steps = referenceSteps(ex.problem).length;
    ex.verdictAt.forEach((j, k) => {
      const cell = balanceCell(steps, k);
      const c = n.get(cell) ?? [0, 0];
      c[1]++;
      if (ex.completion[j] === 'b') c[0]++;
      n.set(cell, c);
      counted++;
    });
  }
  const bad = new Map<string, number>();
  for (const [cell, [b, all]] of n) bad.set(cell, b / all);
  return { bad, counted };
}

/** Rates of a data recipe, from its first `count` documents at index `from` onwards (documents
 *  are a pure function of (index, recipe), so this is deterministic). */
export function recipeVerdictRates(data: PretrainDataConfig, count = 12000, from = 0): VerdictRates {
  const examples: PretrainExample[] = [];
  for (let i = from; i < from + count; i++) {
    const ex = pretrainExample(i, data);
    if (ex.verdictAt.length > 0) examples.push(ex);
  }
  return measureVerdictRates(examples);
}

/** Loss factor of each decision of `ex`: (0.5 / share of its class in its cell) ^ `strength`
 *  (0: all 1; 1: both classes weigh the same in every cell). A cell the rates never saw gets 1. */
export function balanceFactors(ex: PretrainExample, rates: VerdictRates, strength: number): number[] {
  const steps = referenceSteps(ex.problem).length;
  return ex.verdictAt.map((j, k) => {
    const bad = rates.bad.get(balanceCell(steps, k));
    if (bad === undefined || strength === 0) return 1;
    const share = ex.completion[j] === 'b' ? bad : 1 - bad;
    return Math.pow(0.5 / Math.min(1 - MIN_SHARE, Math.max(MIN_SHARE, share)), strength);
  });
}
