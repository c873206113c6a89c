// Measuring and keeping checkpoints during a run: the probe (P(right completion) per group and the
// verifier's decisions, into probe.csv), keepBestAfter's choice of the checkpoint the folder gets,
// and the saves of the model folder with loss.csv.
import { readWeights } from '../model/weights';
import { balancedStandardError, decisionSummary, probeSummary, type DecisionFigures } from '../tasks/chains/pretrain-probe';
import { CSV_HEADER, modelFolderFiles } from './folder';
import { elapsed, progress, type RunState } from './state';

/** Score the probe (when it has documents), log it, report it, and let keepBestBy "probe" judge the checkpoint. */
export async function runProbe(r: RunState): Promise<void> {
  const { o, trainer, probe } = r;
  if (probe.docs.length === 0) return;
  const { logp } = await trainer.scoreRows(probe.rows);
  const p = probeSummary(probe.docs, logp.slice(0, probe.docs.length));
  const dec = decisionSummary(probe.decide, logp.slice(probe.docs.length));
  if (o.keepBestBy === 'probe') r.lastDecisions = dec;
  probe.lines.push([trainer.step, elapsed(r).toFixed(1), r.tokens, ...probe.groups.flatMap((g) => [p[g].p.toFixed(4), p[g].nll.toFixed(4)]), dec.ok.toFixed(4), dec.bad.toFixed(4), dec.balanced.toFixed(4)].join(','));
  await r.sink.probeCsv([probe.head, ...probe.lines].join('\n') + '\n');
  const line =
    `[pretrain] probe at step ${trainer.step} (P(right completion) / nats per token): ` +
    probe.groups.map((g) => `${g} ${p[g].p.toFixed(3)}/${p[g].nll.toFixed(2)}`).join('  ') +
    `; decisions: ok ${dec.ok.toFixed(3)} of ${dec.okCount}, bad ${dec.bad.toFixed(3)} of ${dec.badCount}, balanced ${dec.balanced.toFixed(3)}`;
  o.log(line);
  o.onProbe?.({ step: trainer.step, elapsed: elapsed(r), tokens: r.tokens, groups: p, decisions: dec, line });
  if (o.keepBestBy === 'probe') await considerKeeping(r, dec);
}

/** keepBestAfter: keep the current weights when their decisions are within the margin of the best so far. */
export async function considerKeeping(r: RunState, dec: DecisionFigures): Promise<void> {
  const { o, trainer } = r;
  if (!(o.keepBestAfter < 1 && progress(r) >= o.keepBestAfter)) return;
  r.bestBalanced = Math.max(r.bestBalanced, dec.balanced);
  if (dec.balanced >= r.bestBalanced - o.keepBestMargin * balancedStandardError(dec)) {
    r.kept = { weights: await readWeights(r.gpu, r.gw), step: trainer.step, examples: r.next, tokens: r.tokens, decisions: dec };
    o.log(`[pretrain] keeping step ${trainer.step} (${o.keepBestBy === 'own' ? 'own-attempt ' : ''}decisions balanced ${dec.balanced.toFixed(3)}, best so far ${r.bestBalanced.toFixed(3)})`);
  }
}

/** Write loss.csv (CSV_HEADER and every step so far). */
export async function writeLossCsv(r: RunState): Promise<void> {
  await r.sink.lossCsv([CSV_HEADER, ...r.csvLines].join('\n') + '\n');
}

/** Save the model folder and loss.csv. The folder holds what the run would deliver if it stopped
 *  now: the kept checkpoint once there is one. */
export async function saveFolder(r: RunState, why: string): Promise<void> {
  const { trainer } = r;
  const k = r.kept ?? { weights: await readWeights(r.gpu, r.gw), step: trainer.step, examples: r.next, tokens: r.tokens };
  await r.sink.saveModel(modelFolderFiles(r.configJson, k.weights, r.tok, { steps: String(k.step), examples: String(k.examples), tokens: String(k.tokens) }));
  await writeLossCsv(r);
  r.o.log(`[pretrain] saved ${r.sink.label} at step ${trainer.step}${k.step !== trainer.step ? ` with the weights of step ${k.step}` : ''} (${why})`);
}
