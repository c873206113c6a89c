// One optimiser step's batch: documents drawn from the curriculum phase's data (and, from
// selfVerifyFrom on, from the latest own-attempt round) up to batchTokens, each with the loss
// weights of its verdict decisions (verdictWeight*, verdictBalance).
import { documentLossStart, encodeExample, pretrainExample, type PretrainDataConfig } from '../tasks/chains/pretrain-data';
import { createRng } from '../util/random';
import { balanceFactors, recipeVerdictRates, type VerdictRates } from '../tasks/chains/verdict-balance';
import type { SftExample } from '../train/trainer';
import type { RunState } from './state';

/** Per-token loss weights of a document's trained part: `w.ok` / `w.bad` on the verdict decisions
 *  (character offsets `at` of `completion`, which starts `offset` tokens into the trained part of
 *  `n` tokens; "o" is an ok, "b" a bad decision), each times its `factors` entry (default 1), and 1
 *  elsewhere; nothing when no token differs from 1 (the plain mean). Character-level: one token
 *  per character. */
export function verdictWeights(completion: string, at: readonly number[], offset: number, n: number, w: { ok: number; bad: number }, factors?: readonly number[]): { weights?: number[] } {
  if (factors && factors.length !== at.length) throw new Error(`verdictWeights: ${factors.length} factors for ${at.length} decisions`);
  if (at.length === 0 || (w.ok === 1 && w.bad === 1 && (!factors || factors.every((f) => f === 1)))) return {};
  const out = new Array<number>(n).fill(1);
  at.forEach((j, k) => {
    const c = completion[j];
    if (c !== 'o' && c !== 'b') throw new Error(`verdictWeights: character ${j} of the completion is ${JSON.stringify(c)}, not the "o" / "b" of a verdict`);
    if (offset + j < 0 || offset + j >= n) throw new Error(`verdictWeights: verdict offset ${j} lies outside the ${n - offset}-token completion`);
    out[offset + j] = (c === 'o' ? w.ok : w.bad) * (factors?.[k] ?? 1);
  });
  return { weights: out };
}


/** Decision shares per (reference steps, line) cell of a phase's data, measured on first use. */
function ratesOf(r: RunState, d: PretrainDataConfig): VerdictRates {
  let rates = r.rates.get(d);
  if (!rates) {
    rates = recipeVerdictRates(d);
    r.rates.set(d, rates);
    r.o.log(`[pretrain] verdict balance ${r.o.verdictBalance}: "bad" share per (steps:line) over ${rates.counted} decisions: ${[...rates.bad].sort(([a], [b]) => a.localeCompare(b)).map(([c, b]) => `${c} ${b.toFixed(2)}`).join(', ')}`);
  }
  return rates;
}

/** Draw the documents of one step from `stepData` (and the own-attempt round's documents, a
 *  selfVerifyShare of them, seeded by the step) until they hold batchTokens tokens; documents
 *  longer than the context are skipped. Longest first, so each micro-batch holds rows of similar
 *  length (little padding). Returns the batch and its token count. */
export function drawBatch(r: RunState, stepData: PretrainDataConfig): { batch: SftExample[]; got: number } {
  const { o, tok, own } = r;
  const batch: SftExample[] = [];
  let got = 0;
  const pick = own.docs.length > 0 && o.selfVerifyShare > 0 ? createRng(o.seed).fork('self-verify-pick').fork(r.trainer.step) : null;
  while (got < o.batchTokens) {
    const fromOwn = pick !== null && pick.bool(o.selfVerifyShare);
    const ex = fromOwn ? own.docs[own.used++ % own.docs.length] : pretrainExample(r.next++, stepData);
    const e = encodeExample(ex, tok);
    if (e.ids.length > o.maxPositions) continue;
    const ids = Array.from(e.ids);
    const cut = o.lossOn === 'document' ? documentLossStart(ex) : e.promptLength;
    const factors = o.verdictBalance > 0 && ex.verdictAt.length > 0 ? balanceFactors(ex, ratesOf(r, stepData), o.verdictBalance) : undefined;
    batch.push({ prompt: ids.slice(0, cut), completion: ids.slice(cut), ...verdictWeights(ex.completion, ex.verdictAt, e.promptLength - cut, ids.length - cut, r.weightsNow, factors) });
    got += ids.length;
  }
  batch.sort((a, b) => b.prompt.length + b.completion.length - (a.prompt.length + a.completion.length));
  return { batch, got };
}
