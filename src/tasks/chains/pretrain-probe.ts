// Probe documents that watch a pretraining run learn: fresh train-split problems (never the test
// split) with their correct solve trace and their ideal verification log, per tier. The mean of
// P(completion) = exp(sum of completion log-probs) over a group is exactly the chance that sampling
// at temperature 1 writes that completion: "p_solve" is a solve-rate estimate, "p_verify" the
// chance of the right bad verdict, fix and intervention block given the check lines up to the
// bad one (earlier lines with their "ok" verdicts are conditioned on, as the stepwise verifier
// sees them).

import { encodeExample, pretrainExample, resolvePretrainConfig, type PretrainDataConfig, type PretrainKind } from './pretrain-data';
import type { CharTokenizer } from '../../io/char-tokenizer';
import type { Problem } from '../task';

/** Seed of the probe's problem stream (distinct from the pretraining default, so the probe's
 *  documents are not the first documents of the run). */
export const PROBE_SEED = 7_000_001;

export interface ProbeDoc {
  /** "<kind>:<tier>", e.g. "solve:easy". */
  group: string;
  /** The train-split problem it is about. */
  problem: Problem;
  prompt: number[];
  completion: number[];
}

/** `perTier` solve documents (correct trace) and `perTier` verify documents (attempt with one
 *  propagating slip and the ideal log) for each tier of `data`'s world. */
export function probeDocs(data: PretrainDataConfig, tok: CharTokenizer, perTier = 16, maxLength = Infinity): ProbeDoc[] {
  if (!Number.isSafeInteger(perTier) || perTier < 1) throw new Error(`probe perTier must be an integer >= 1, got ${perTier}`);
  const out: ProbeDoc[] = [];
  for (const tier of data.chains.tiers) {
    for (const kind of ['solve', 'verify'] as PretrainKind[]) {
      const cfg = resolvePretrainConfig({
        seed: PROBE_SEED,
        chains: { tiers: data.chains.tiers, testShare: data.chains.testShare },
        tierWeights: Object.fromEntries(data.chains.tiers.map((t) => [t.name, t.name === tier.name ? 1 : 0])),
        mix: { solve: kind === 'solve' ? 1 : 0, verify: kind === 'verify' ? 1 : 0, verifyOk: 0, continue: 0, hint: 0, reflect: 0 },
        slip: { ...data.slip, op: { ...data.slip.op }, scale: 0 },
        holdOut: data.holdOut,
      });
      for (let i = 0, n = 0; n < perTier && i < perTier * 20; i++) {
        const ex = pretrainExample(i, cfg);
        const e = encodeExample(ex, tok);
        if (e.ids.length > maxLength) continue;
        const ids = Array.from(e.ids);
        // Character-level: completion character c is token promptLength + c.
        const cut = e.promptLength + (kind === 'verify' ? ex.completion.indexOf(' bad ') + 1 : 0);
        if (cut < e.promptLength) throw new Error(`probe: verify document ${i} has no bad verdict`);
        out.push({ group: `${kind}:${tier.name}`, problem: ex.problem, prompt: ids.slice(0, cut), completion: ids.slice(cut) });
        n++;
      }
    }
  }
  return out;
}

export interface ProbeFigures {
  /** Mean P(completion) over the group's documents. */
  p: number;
  /** Mean negative log-likelihood per completion token (nats). */
  nll: number;
}

/** Figures per group from per-document completion log-probs (same order as docs). */
export function probeSummary(docs: readonly Pick<ProbeDoc, 'group'>[], logp: readonly Float32Array[]): Record<string, ProbeFigures> {
  const sums = new Map<string, { p: number; nll: number; tokens: number; n: number }>();
  docs.forEach((d, i) => {
    let s = 0;
    for (const x of logp[i]) s += x;
    const e = sums.get(d.group) ?? { p: 0, nll: 0, tokens: 0, n: 0 };
    e.p += Math.exp(s);
    e.nll -= s;
    e.tokens += logp[i].length;
    e.n++;
    sums.set(d.group, e);
  });
  return Object.fromEntries([...sums].map(([g, e]) => [g, { p: e.p / e.n, nll: e.nll / Math.max(1, e.tokens) }]));
}
