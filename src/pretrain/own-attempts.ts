// Own-attempt rounds (selfVerifyFrom < 1): the model being trained samples its own solutions of
// fresh train-split problems; their verify documents (self-verify.ts) join the data mix, and the
// verifier's decisions on them move the verdict weights (selfVerifyCalibrate) and can judge the
// checkpoint (keepBestBy "own").
import { charCodec } from '../model/codec';
import { sampleTextsOnly, strideSeeds } from '../model/sample-texts';
import { PLAIN_SAMPLING } from '../model/sampling';
import { drawPretrainProblem, encodeExample, type PretrainExample } from '../tasks/chains/pretrain-data';
import { decisionSummary } from '../tasks/chains/pretrain-probe';
import { compactRenderers } from '../tasks/chains/render';
import { createRng, shuffled } from '../util/random';
import { nextVerdictTilt, ownDecisions, selfVerifyRound, selfVerifySummary, tiltedVerdictWeights } from '../tasks/chains/self-verify';
import { considerKeeping } from './checkpoints';
import { OWN_ATTEMPT_TOKENS, SELF_VERIFY_CALIBRATION_DOCS } from './config';
import { dataNow, progress, type RunState } from './state';

/** Whether a round is due before this step's batch. */
export function ownRoundDue(r: RunState): boolean {
  const { o } = r;
  return o.selfVerifyFrom < 1 && progress(r) >= o.selfVerifyFrom && r.trainer.step - r.own.step >= o.selfVerifyEvery;
}

/** One round: sample selfVerifySamples attempts at each of selfVerifyProblems train-split problems
 *  at temperature 1, turn them into verify documents in a seeded order, then score them when the
 *  calibration or keepBestBy "own" needs their decisions. */
export async function ownRound(r: RunState): Promise<void> {
  const { o, tok, trainer } = r;
  const t = performance.now();
  const problems = Array.from({ length: o.selfVerifyProblems }, (_, i) => drawPretrainProblem(dataNow(r), `self-verify-${o.seed}`, r.own.rounds * o.selfVerifyProblems + i));
  const seed = (o.seed * 7919 + trainer.step) >>> 0;
  const codec = charCodec(tok, { keepSpecialTokens: true });
  // Said before it starts: a round samples for a while (minutes on a CPU adapter) between two steps.
  o.log(`[pretrain] sampling its own attempts at step ${trainer.step}: ${problems.length} problems x ${o.selfVerifySamples}, to verify them...`);
  const texts = await sampleTextsOnly(r.model, codec, problems.map((p) => compactRenderers.solve(p)), {
    groupSize: o.selfVerifySamples,
    // A verify document holds its attempt twice (prompt and log), so a longer one would not fit.
    maxNewTokens: Math.min(o.maxPositions, OWN_ATTEMPT_TOKENS),
    sampling: PLAIN_SAMPLING,
    order: 'by-length',
    seedOf: strideSeeds(seed),
    batchPrompts: 32,
    onProgress: (done, total) => done < total && o.log(`[pretrain] own attempts: ${done}/${total} problems sampled`),
  });
  const round = selfVerifyRound(problems, texts, { okShare: o.selfVerifyOkShare, pairs: o.selfVerifyPairs, seed, tok, maxPositions: o.maxPositions });
  const docs = shuffled(round.docs, createRng(o.seed).fork(`self-verify-order-${trainer.step}`));
  r.own = { docs, step: trainer.step, rounds: r.own.rounds + 1, used: r.own.used };
  o.log(`[pretrain] own attempts at step ${trainer.step} (${((performance.now() - t) / 1000).toFixed(1)} s): ${selfVerifySummary(round)}`);
  if ((o.selfVerifyCalibrate > 0 || (o.keepBestBy === 'own' && o.keepBestAfter < 1)) && docs.length > 0) await scoreOwn(r, docs.slice(0, SELF_VERIFY_CALIBRATION_DOCS));
}

/** The verifier's decisions on a round's documents, each given the ideal log before it: they move
 *  the tilt of the bad-to-ok weight ratio (selfVerifyCalibrate) and judge the checkpoint (keepBestBy "own"). */
async function scoreOwn(r: RunState, docs: PretrainExample[]): Promise<void> {
  const { o, tok, trainer } = r;
  const rows = docs.map((ex, i) => {
    const e = encodeExample(ex, tok);
    return trainer.makeRow(Array.from(e.ids.subarray(0, e.promptLength)), Array.from(e.ids.subarray(e.promptLength)), `own-attempt document ${i}`);
  });
  const dec = decisionSummary(ownDecisions(docs), (await trainer.scoreRows(rows)).logp);
  if (o.selfVerifyCalibrate > 0) r.tilt = nextVerdictTilt(r.tilt, dec, o.selfVerifyCalibrate);
  r.weightsNow = tiltedVerdictWeights({ ok: o.verdictWeightOk, bad: o.verdictWeightBad }, r.tilt);
  o.log(
    `[pretrain] own decisions at step ${trainer.step}: ok ${dec.ok.toFixed(3)} of ${dec.okCount}, bad ${dec.bad.toFixed(3)} of ${dec.badCount}; ` +
      `verdict weights now ok ${r.weightsNow.ok.toFixed(2)}, bad ${r.weightsNow.bad.toFixed(2)} (tilt ${r.tilt.toFixed(3)})`,
  );
  if (o.keepBestBy === 'own') {
    r.lastDecisions = dec;
    await considerKeeping(r, dec);
  }
}
