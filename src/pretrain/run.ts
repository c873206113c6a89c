// Pretraining of the chains model from scratch, independent of where its files go: set up
// (state.ts), then the training loop (one step: own-attempt round when due, batch, optimiser step,
// log, probe, stop checks, periodic save), then the final probe and save (checkpoints.ts).
// The sink receives the model folder, loss.csv and probe.csv (node:fs in src/cli/pretrain.ts).
import { drawBatch } from './batch';
import { runProbe, saveFolder, writeLossCsv } from './checkpoints';
import { ownRound, ownRoundDue } from './own-attempts';
import { dataNow, elapsed, pretrainOptions, progress, startRun, type RunState } from './state';
import type { PretrainSink } from './folder';
import { PretrainCancelled, type PretrainRunOptions, type PretrainRunResult } from './types';

/** Run a pretraining; the model folder and CSVs go to `sink` as it goes. Returns what it did. */
export async function runPretrain(input: Partial<PretrainRunOptions>, sink: PretrainSink): Promise<PretrainRunResult> {
  const o = pretrainOptions(input);
  const r = await startRun(o, sink);
  const checkCancel = () => {
    if (o.cancelled?.()) throw new PretrainCancelled(r.trainer.step);
  };
  try {
    while (r.trainer.step < o.steps) {
      checkCancel();
      if ((await trainingStep(r)) === 'stop') break;
    }
    checkCancel();
    if (o.probeEvery > 0 && r.trainer.step % o.probeEvery !== 0) await runProbe(r);
    checkCancel();
    await saveFolder(r, 'final');
  } finally {
    r.trainer.release();
    r.model.release();
    r.gw.release();
  }
  return runResult(r);
}

/** One optimiser step and what follows it: its loss.csv line and onStep, the log every 10 steps,
 *  the probe, the time budget and stopEarly, the periodic save. 'stop' ends training. */
async function trainingStep(r: RunState): Promise<'go' | 'stop'> {
  const { o, trainer } = r;
  const stepData = dataNow(r);
  if (ownRoundDue(r)) await ownRound(r);
  const { batch, got } = drawBatch(r, stepData);
  const lr = trainer.learningRate;
  const res = await trainer.sftStep(batch);
  r.tokens += got;
  const loss = res.metrics.loss ?? NaN;
  r.losses.push(loss);
  const line = [trainer.step, elapsed(r).toFixed(1), r.next, r.tokens, loss.toFixed(5), lr.toExponential(3), res.gradNorm?.toFixed(4) ?? '', (r.tokens / elapsed(r)).toFixed(0)].join(',');
  r.csvLines.push(line);
  const now = elapsed(r);
  o.onStep?.({ step: trainer.step, steps: o.steps, loss, lr, gradNorm: res.gradNorm ?? null, examples: r.next, tokens: r.tokens, elapsed: now, tokensPerSecond: r.tokens / now, progress: Math.min(1, progress(r)), skipped: res.skipped ? (res.reason ?? 'skipped') : null });
  if (trainer.step % 10 === 0 || trainer.step === 1) {
    o.log(`[pretrain] step ${trainer.step}/${o.steps} loss ${loss.toFixed(4)} lr ${lr.toExponential(2)} gn ${res.gradNorm?.toFixed(3)} ${(r.tokens / elapsed(r)).toFixed(0)} tok/s ${elapsed(r).toFixed(0)}s${res.skipped ? ` SKIPPED: ${res.reason}` : ''}`);
    await writeLossCsv(r);
  }
  if (o.probeEvery > 0 && trainer.step % o.probeEvery === 0) await runProbe(r);
  if (trainer.timeProgress() >= 1) {
    o.log(`[pretrain] time limit of ${o.maxMinutes} min reached at step ${trainer.step}`);
    return 'stop';
  }
  if (trainer.step < o.steps && o.stopEarly?.()) {
    o.log(`[pretrain] stopped early at step ${trainer.step}`);
    return 'stop';
  }
  if (o.saveEvery > 0 && trainer.step % o.saveEvery === 0 && trainer.step < o.steps) await saveFolder(r, 'periodic');
  return 'go';
}

/** What the run did (PretrainRunResult). */
function runResult(r: RunState): PretrainRunResult {
  const k = Math.max(1, Math.round(r.losses.length * 0.05));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    config: r.config,
    params: r.params,
    steps: r.trainer.step,
    examples: r.next,
    tokens: r.tokens,
    seconds: elapsed(r),
    firstLoss: mean(r.losses.slice(0, k)),
    lastLoss: mean(r.losses.slice(-k)),
    keptStep: r.kept?.step ?? r.trainer.step,
    keptDecisions: r.kept?.decisions ?? r.lastDecisions,
    ownRounds: r.own.rounds,
    ownDocuments: r.own.used,
    verdictWeights: r.weightsNow,
  };
}
