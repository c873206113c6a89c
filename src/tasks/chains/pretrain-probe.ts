// Probe documents that watch a pretraining run learn: fresh train-split problems (never the test
// split) with their correct solve trace and their ideal verification log, per tier. The mean of
// P(completion) = exp(sum of completion log-probs) over a group is exactly the chance that sampling
// at temperature 1 writes that completion: "p_solve" is a solve-rate estimate, "p_verify" the
// chance of the right bad verdict, fix and intervention block given the check lines up to the
// bad one (earlier lines with their "ok" verdicts are conditioned on, as the stepwise verifier
// sees them).

import { encodeExample, pretrainExample, resolvePretrainConfig, type PretrainDataConfig, type PretrainDataInput, type PretrainKind } from './pretrain-data';
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

/** The world of `data` with only tier `tier` and document kind `kind`, no slips in traces, and the
 *  probe's own seed. */
function oneTierOneKind(data: PretrainDataConfig, tier: string, kind: PretrainKind, seed: number, more: PretrainDataInput = {}): PretrainDataConfig {
  return resolvePretrainConfig({
    seed,
    chains: { tiers: data.chains.tiers, testShare: data.chains.testShare },
    tierWeights: Object.fromEntries(data.chains.tiers.map((t) => [t.name, t.name === tier ? 1 : 0])),
    mix: { solve: 0, verify: 0, verifyOk: 0, continue: 0, hint: 0, reflect: 0, [kind]: 1 },
    slip: { ...data.slip, op: { ...data.slip.op }, scale: 0 },
    holdOut: data.holdOut,
    ...more,
  });
}

/** The first `perTier` documents of `cfg` (of its first perTier x 20) that fit `maxLength` tokens,
 *  encoded, with their index. */
function* fittingDocs(cfg: PretrainDataConfig, tok: CharTokenizer, perTier: number, maxLength: number) {
  if (!Number.isSafeInteger(perTier) || perTier < 1) throw new Error(`probe perTier must be an integer >= 1, got ${perTier}`);
  for (let i = 0, n = 0; n < perTier && i < perTier * 20; i++) {
    const ex = pretrainExample(i, cfg);
    const e = encodeExample(ex, tok);
    if (e.ids.length > maxLength) continue;
    yield { i, ex, ids: Array.from(e.ids), promptLength: e.promptLength };
    n++;
  }
}

/** `perTier` solve documents (correct trace) and `perTier` verify documents (attempt with one
 *  propagating slip and the ideal log) for each tier of `data`'s world. */
export function probeDocs(data: PretrainDataConfig, tok: CharTokenizer, perTier = 16, maxLength = Infinity): ProbeDoc[] {
  const out: ProbeDoc[] = [];
  for (const tier of data.chains.tiers) {
    for (const kind of ['solve', 'verify'] as PretrainKind[]) {
      for (const { i, ex, ids, promptLength } of fittingDocs(oneTierOneKind(data, tier.name, kind, PROBE_SEED), tok, perTier, maxLength)) {
        // Character-level: completion character c is token promptLength + c.
        const cut = promptLength + (kind === 'verify' ? ex.completion.indexOf(' bad ') + 1 : 0);
        if (cut < promptLength) throw new Error(`probe: verify document ${i} has no bad verdict`);
        out.push({ group: `${kind}:${tier.name}`, problem: ex.problem, prompt: ids.slice(0, cut), completion: ids.slice(cut) });
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

/** A verify document scored decision by decision: the whole log is the completion, and `decisions`
 *  names each verdict's first token ("o" / "b") in it. */
export interface DecisionDoc extends ProbeDoc {
  decisions: { at: number; bad: boolean }[];
}

/** `perTier` verify documents per tier (attempts with one propagating slip, half of them copy
 *  slips as in the recipe) whose whole verification log is the completion, for the decision probe:
 *  does the model write "ok" on the right lines and "bad" on the first wrong one, each given the
 *  ideal log before it (as the stepwise verifier sees it). Group "decide:<tier>". */
export function decisionDocs(data: PretrainDataConfig, tok: CharTokenizer, perTier = 16, maxLength = Infinity): DecisionDoc[] {
  const out: DecisionDoc[] = [];
  for (const tier of data.chains.tiers) {
    const cfg = oneTierOneKind(data, tier.name, 'verify', PROBE_SEED + 1, { copySlipShare: data.copySlipShare, firstStepErrorShare: data.firstStepErrorShare });
    for (const { ex, ids, promptLength } of fittingDocs(cfg, tok, perTier, maxLength)) {
      out.push({
        group: `decide:${tier.name}`,
        problem: ex.problem,
        prompt: ids.slice(0, promptLength),
        completion: ids.slice(promptLength),
        decisions: ex.verdictAt.map((at) => ({ at, bad: ex.completion[at] === 'b' })),
      });
    }
  }
  return out;
}

/** Decision figures: the share of "ok" decisions (right lines) and of "bad" decisions (first
 *  wrong lines) the model gets right (the right verdict character has probability > 1/2, so it is
 *  also the greedy choice), and their mean, which a verifier that judges by position or always
 *  says the same cannot raise above 1/2. */
export interface DecisionFigures {
  ok: number;
  bad: number;
  balanced: number;
  okCount: number;
  badCount: number;
}

/** Decision figures from per-document completion log-probs (same order as docs). */
export function decisionSummary(docs: readonly Pick<DecisionDoc, 'decisions'>[], logp: readonly Float32Array[]): DecisionFigures {
  let ok = 0;
  let okCount = 0;
  let bad = 0;
  let badCount = 0;
  docs.forEach((d, i) => {
    for (const { at, bad: isBad } of d.decisions) {
      if (at >= logp[i].length) throw new Error(`decisionSummary: decision at ${at} lies outside document ${i}'s ${logp[i].length} scored tokens`);
      const right = logp[i][at] > Math.log(0.5);
      if (isBad) {
        badCount++;
        if (right) bad++;
      } else {
        okCount++;
        if (right) ok++;
      }
    }
  });
  const okShare = okCount > 0 ? ok / okCount : 0;
  const badShare = badCount > 0 ? bad / badCount : 0;
  return { ok: okShare, bad: badShare, balanced: (okShare + badShare) / 2, okCount, badCount };
}

/** Standard error of `balanced` (binomial errors of the two shares, each over its count; the
 *  decisions of one document are treated as independent). */
export function balancedStandardError(d: DecisionFigures): number {
  const v = (p: number, n: number) => (n > 0 ? (p * (1 - p)) / n : 0);
  return Math.sqrt(v(d.ok, d.okCount) + v(d.bad, d.badCount)) / 2;
}
