// Verify documents from the model's own attempts. Injected slips teach the verifier to flag a line
// whose value differs from what re-doing it gives; the model's own failures are the lines where its
// own arithmetic goes wrong, so re-doing agrees with the wrong value and only comparing it with the
// line's reference value catches it. Late in pretraining the run (src/pretrain/own-attempts.ts) samples the
// current model's solutions of fresh train-split problems and trains on the ideal verification log
// of every failed one (and of a share of the right ones). This file turns attempts into those
// documents; it draws no tokens itself.

import type { CharTokenizer } from '../../io/char-tokenizer';
import type { Problem } from '../task';
import { encodeExample, type PretrainExample } from './pretrain-data';
import { compactRenderers } from './render';
import { createRng } from '../../util/random';
import { solutionSteps } from './solve';
import { splitSteps } from './steps';
import { compactVerificationLog } from './verify';

/** What one round of own attempts gave. */
export interface SelfVerifyRound {
  /** The documents: "verify" for failed attempts, "verifyOk" for the right ones kept. */
  docs: PretrainExample[];
  /** Attempts and right attempts (every line checks out), per tier. */
  byTier: Record<string, { attempts: number; right: number }>;
  /** Failed attempts by their first wrong line (1-based). */
  firstWrong: Record<number, number>;
  /** Attempts whose document was left out: longer than the context, or (a guard: check lines map
   *  stray characters into the alphabet) with a token the pretraining packer refuses. */
  skipped: number;
}

export interface SelfVerifyDocOptions {
  /** Share of right attempts made into "verifyOk" documents (each kept with this probability). */
  okShare: number;
  /** Pair every failed attempt with the "verifyOk" document of the problem's right solution: at
   *  the failed line the pair differs only in the line's value, "bad" against "ok", so the line's
   *  position says nothing and only comparing the value with its reference does. */
  pairs: boolean;
  /** Seed of that choice. */
  seed: number;
  tok: CharTokenizer;
  /** Longest document kept, in tokens (<|bos|> and <|eos|> included). */
  maxPositions: number;
}

/** Documents from attempts: attempts[i] are sampled solutions (completion texts after the solve
 *  prompt) of problems[i]. A failed attempt becomes the verify prompt of that attempt and its ideal
 *  log up to the first wrong line with the intervention; the verdict offsets are those of the log,
 *  so a run weighs these decisions like the injected ones. */
export function selfVerifyRound(problems: readonly Problem[], attempts: readonly (readonly string[])[], o: SelfVerifyDocOptions): SelfVerifyRound {
  if (attempts.length !== problems.length) throw new Error(`selfVerifyRound: ${attempts.length} attempt lists for ${problems.length} problems`);
  if (!(o.okShare >= 0 && o.okShare <= 1)) throw new Error(`selfVerifyRound: okShare must be in [0, 1], got ${o.okShare}`);
  const rng = createRng(o.seed).fork('self-verify-ok');
  const out: SelfVerifyRound = { docs: [], byTier: {}, firstWrong: {}, skipped: 0 };
  const keep = (ex: PretrainExample) => {
    let fits = false;
    try {
      fits = encodeExample(ex, o.tok).ids.length <= o.maxPositions;
    } catch {
      fits = false; // a character outside the alphabet
    }
    if (fits) out.docs.push(ex);
    else out.skipped++;
  };
  // The document of one attempt, and whether it failed (a "bad" verdict, or no line at all).
  const doc = (problem: Problem, steps: string[]): { failed: boolean; ex: PretrainExample } => {
    const log = compactVerificationLog(problem, steps);
    const last = log.verdictAt.length;
    const failed = last === 0 || log.text[log.verdictAt[last - 1]] === 'b';
    return {
      failed,
      ex: {
        kind: failed ? 'verify' : 'verifyOk',
        prompt: compactRenderers.verifyAndIntervene(problem, steps),
        completion: log.text,
        problem,
        completionSlip: null,
        attemptSlip: failed ? last : null,
        verdictAt: log.verdictAt,
      },
    };
  };
  problems.forEach((problem, i) => {
    const tier = (out.byTier[problem.difficulty] ??= { attempts: 0, right: 0 });
    for (const text of attempts[i]) {
      const { failed, ex } = doc(problem, splitSteps(text));
      tier.attempts++;
      if (!failed) tier.right++;
      else out.firstWrong[ex.attemptSlip!] = (out.firstWrong[ex.attemptSlip!] ?? 0) + 1;
      // The draw happens for every right attempt, so the choice does not depend on the failed ones.
      if (!failed && !rng.bool(o.okShare)) continue;
      keep(ex);
      if (failed && o.pairs) keep(doc(problem, solutionSteps(problem, 'compact')).ex);
    }
  });
  return out;
}

/** One log line about a round: right share per tier, where the failures start, documents made. */
export function selfVerifySummary(r: SelfVerifyRound): string {
  const tiers = Object.entries(r.byTier);
  const attempts = tiers.reduce((a, [, t]) => a + t.attempts, 0);
  const right = tiers.reduce((a, [, t]) => a + t.right, 0);
  const failed = attempts - right;
  const lines = Object.entries(r.firstWrong).sort(([a], [b]) => Number(a) - Number(b));
  return (
    `${attempts} attempts, right ${(right / Math.max(1, attempts)).toFixed(3)} (` +
    tiers.map(([name, t]) => `${name} ${(t.right / Math.max(1, t.attempts)).toFixed(2)}`).join(', ') +
    `); ${failed} failed, first wrong line ${lines.map(([k, n]) => `${k}: ${n}`).join(', ') || '-'}; ` +
    `${r.docs.length} documents (${r.docs.filter((d) => d.kind === 'verify').length} verify)` +
    (r.skipped > 0 ? `, ${r.skipped} too long or outside the alphabet` : '')
  );
}

/** The verdict decisions of own-attempt documents, for decisionSummary: the log is the completion,
 *  and each decision is the first character ("o" / "b") of a verdict in it. */
export function ownDecisions(docs: readonly PretrainExample[]): { decisions: { at: number; bad: boolean }[] }[] {
  return docs.map((d) => ({ decisions: d.verdictAt.map((at) => ({ at, bad: d.completion[at] === 'b' })) }));
}

/** Largest |tilt| (natural log of the bad-to-ok weight ratio's multiplier): the calibration may
 *  move the ratio by at most 8x either way. */
export const VERDICT_TILT_LIMIT = Math.log(8);

/** One step of the verdict calibration: `tilt` is ln of how much more the "bad" decisions weigh,
 *  relative to the configured ratio; `ok` / `bad` are the shares of right-line "ok" and
 *  first-wrong-line "bad" decisions the verifier gets right on its own attempts. When it misses
 *  more first errors than it wrongly flags right lines, "bad" gains weight, and the other way
 *  round, by gain x the difference; clamped to +-VERDICT_TILT_LIMIT. Without decisions of both
 *  kinds the tilt stays. */
export function nextVerdictTilt(tilt: number, d: { ok: number; bad: number; okCount: number; badCount: number }, gain: number): number {
  if (d.okCount === 0 || d.badCount === 0) return tilt;
  return Math.max(-VERDICT_TILT_LIMIT, Math.min(VERDICT_TILT_LIMIT, tilt + gain * (d.ok - d.bad)));
}

/** The verdict weights under a tilt: their geometric mean stays that of `w`. */
export function tiltedVerdictWeights(w: { ok: number; bad: number }, tilt: number): { ok: number; bad: number } {
  return { ok: w.ok * Math.exp(-tilt / 2), bad: w.bad * Math.exp(tilt / 2) };
}
