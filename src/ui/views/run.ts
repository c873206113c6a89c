// Run view: an overall progress bar with ETA across every stage (progress.ts), one progress bar per
// stage with rate-based ETA (stages of a resumed run that were already stored show as loaded),
// live uPlot charts of the step metrics (SFT loss, RL reward, RL loss) and held-out pass@1 per arm
// as bars with intervals, pause / resume / cancel; and the list of unfinished stored runs.
import type { ArmId } from '../../int/arms';
import type { IntConfig } from '../../int/config';
import { DATA_STAGE_NAMES, pipelineStages } from '../../int/pipeline';
import type { StepMetrics } from '../../train/metrics';
import { button, el, fmtSeconds } from '../dom';
import { armBars, LivePlot, type ArmBar } from '../plots';
import { armColour, armName } from '../published-data';
import { OverallProgress, stageWeights } from '../progress';
import type { PendingRunSummary, RunEvents } from '../../worker/protocol';

export const DATA_STAGES = ['load model', ...DATA_STAGE_NAMES];

export function stageNames(arms: readonly ArmId[]): string[] {
  return ['load model', ...pipelineStages(arms)];
}

interface Bar {
  row: HTMLElement;
  bar: HTMLProgressElement;
  text: HTMLElement;
  t0: number | null;
}

export interface RunControls {
  pause(): void;
  resume(): void;
  cancel(): void;
}

/** The run view and the event sink that drives it; `stored` lists the stages a resumed run
 *  already holds (shown as stored until the worker loads them); `config` (when known) weighs the
 *  stages for the overall ETA. */
export function runView(arms: readonly ArmId[], controls: RunControls, stored: readonly string[] = [], config: IntConfig | null = null): { root: HTMLElement; events: RunEvents; finish(text: string, error?: boolean): void } {
  const root = el('section', { attrs: { id: 'run' } }, el('h2', { text: 'Run' }));
  const status = el('p', { cls: 'status', text: 'starting…', attrs: { 'data-testid': 'run-status' } });
  let paused = false;
  // After finish() the status line keeps the outcome (an error stays until the next run): late
  // progress events from the worker never replace it.
  let finished = false;
  const say = (text: string) => {
    if (!finished) status.textContent = text;
  };
  const pauseBtn = button('Pause', () => {
    paused = !paused;
    pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    if (paused) controls.pause();
    else {
      overall.resume(performance.now());
      controls.resume();
    }
    say(paused ? 'pausing at the next stage boundary…' : 'running');
  });
  const cancelBtn = button('Cancel', () => {
    controls.cancel();
    say('cancelling…');
  });
  const log = el('pre', { cls: 'log' });
  root.append(el('p', {}, pauseBtn, ' ', cancelBtn), status);

  const names = stageNames(arms);
  const overall = new OverallProgress(stageWeights(names, config));
  const overallBar = el('progress', { attrs: { max: '1', value: '0', 'aria-label': 'overall progress' } });
  const overallText = el('span', { cls: 'eta', text: 'waiting for the first stage' });
  let ticker: ReturnType<typeof setInterval> | null = null;
  const showOverall = () => {
    const now = performance.now();
    const f = overall.fraction();
    overallBar.value = f;
    const eta = overall.eta(now);
    overallText.textContent = `${(100 * f).toFixed(0)}% of the run · ${fmtSeconds(overall.elapsed(now))} elapsed · ${Number.isFinite(eta) ? `about ${fmtSeconds(eta)} left` : 'ETA after the first progress'}`;
  };
  const tick = () => {
    if (ticker === null && !finished) ticker = setInterval(showOverall, 1000);
    showOverall();
  };
  root.append(el('div', { cls: 'overall', attrs: { 'data-testid': 'overall-progress', title: 'Stages are weighed by the tokens the settings say they sample or train; the ETA scales the time so far by the weight left.' } }, el('span', { cls: 'name', text: `all ${names.length} stages` }), overallBar, overallText));

  const bars = new Map<string, Bar>();
  const list = el('div', { cls: 'stages' });
  for (const name of names) {
    const bar = el('progress', { attrs: { max: '1', value: '0' } });
    const text = el('span', { cls: 'eta', text: stored.includes(name) ? 'stored, not loaded yet' : 'waiting' });
    const arm = name.includes('/') ? name.split('/')[0] : null;
    const words = stageWords(name);
    const label = el('span', { cls: 'name', attrs: { title: words.title } }, ...(arm ? [el('span', { cls: 'swatch', attrs: { style: `background:${armColour(arm)}` } })] : []), words.label);
    const row = el('div', { cls: 'stage', attrs: { 'data-stage': name } }, label, bar, text);
    bars.set(name, { row, bar, text, t0: null });
    list.append(row);
  }
  const plots = {
    sftLoss: new LivePlot({ title: 'SFT loss', x: 'SFT step (optimiser steps)', y: 'loss (nats per token)' }),
    rlReward: new LivePlot({ title: 'RL reward', x: 'RL step (optimiser steps)', y: 'reward (share correct)', yRange: [0, 1] }),
    rlLoss: new LivePlot({ title: 'RL loss', x: 'RL step (optimiser steps)', y: 'policy-gradient loss' }),
  };
  const pass1 = new Map<string, ArmBar>(arms.map((a) => [a, { arm: a, estimate: null, lo: null, hi: null }]));
  const passBox = el('div', { cls: 'pass-box' });
  const level = config ? `${Math.round(config.eval.bootstrap.level * 100)}%` : '95%';
  const drawPass = () => passBox.replaceChildren(armBars([...pass1.values()], 'Held-out pass@1 by arm, as each arm finishes', level));
  drawPass();
  root.append(list, el('div', { cls: 'plots' }, ...Object.values(plots).map((p) => p.root)), passBox, log);
  const steps = new Map<string, number>();

  const events: RunEvents = {
    note(text) {
      log.textContent += `${text}\n`;
    },
    stage(name, done, total) {
      const b = bars.get(name);
      if (!b) return;
      if (!paused) say(`running ${name}`);
      const now = performance.now();
      overall.update(name, done, total, now);
      tick();
      if (b.t0 === null) b.t0 = now;
      b.row.classList.add('active');
      b.bar.max = Math.max(total, 1);
      b.bar.value = done;
      const el = (now - b.t0) / 1000;
      const eta = done > 0 ? (el * (total - done)) / done : NaN;
      b.text.textContent = `${done}/${total} · ${fmtSeconds(el)} elapsed · ETA ${fmtSeconds(eta)}`;
    },
    stageDone(name, seconds) {
      const b = bars.get(name);
      if (!b) return;
      b.bar.max = 1;
      b.bar.value = 1;
      b.row.classList.remove('active');
      b.row.classList.add('done');
      b.text.textContent = `done in ${fmtSeconds(seconds)}`;
      overall.complete(name, performance.now());
      tick();
    },
    stageLoaded(name) {
      const b = bars.get(name);
      if (!b) return;
      b.bar.max = 1;
      b.bar.value = 1;
      b.row.classList.remove('active');
      b.row.classList.add('done', 'loaded');
      b.text.textContent = 'loaded (stored earlier, not recomputed)';
      overall.loaded(name);
      showOverall();
    },
    metric(arm, stage, m: StepMetrics) {
      const key = `${arm}/${stage}`;
      const step = m.step ?? (steps.get(key) ?? 0) + 1;
      steps.set(key, step);
      if (stage === 'sft') plots.sftLoss.add(arm, step, m.loss);
      else {
        plots.rlReward.add(arm, step, m.reward);
        plots.rlLoss.add(arm, step, m.loss);
      }
    },
    paused(after) {
      if (paused) say(`paused${after ? ` after ${after}` : ' before the first stage'}: the completed stages are kept; Resume continues, Cancel stops`);
      overall.pause(performance.now());
    },
    armDone(arm, p) {
      if (!p) return;
      pass1.set(arm, { arm, estimate: p.estimate, lo: p.lo, hi: p.hi });
      drawPass();
    },
  };
  return {
    root,
    events,
    finish(text, error = false) {
      finished = true;
      if (ticker !== null) clearInterval(ticker);
      ticker = null;
      showOverall();
      status.textContent = text;
      status.className = error ? 'status error' : 'status';
      if (error) status.setAttribute('role', 'alert');
      else status.removeAttribute('role');
      pauseBtn.disabled = true;
      cancelBtn.disabled = true;
    },
  };
}

export interface PendingActions {
  resume(id: string): void;
  discard(id: string): void;
}

/** Unfinished runs stored in this browser, each with its completed stages and Resume / Discard;
 *  `busy` disables the buttons while a run is going. Empty when there are none. */
export function pendingRunsView(runs: readonly PendingRunSummary[], actions: PendingActions, busy = false): HTMLElement {
  const box = el('section', { cls: 'pending-runs', attrs: { id: 'pending-runs', 'data-testid': 'pending-runs' } });
  if (runs.length === 0) return box;
  box.append(el('h3', { text: 'Unfinished runs' }), el('p', { cls: 'note', text: 'These runs stopped before the end (page reload, cancel, error). Resume continues from the last completed stage; completed stages are loaded, not recomputed.' }));
  const list = el('ul');
  for (const r of runs) {
    const total = pipelineStages(r.arms).length;
    const resume = button('Resume', () => actions.resume(r.id), { 'data-testid': 'resume-run' });
    const discard = button('Discard', () => actions.discard(r.id), { 'data-testid': 'discard-run' });
    resume.disabled = busy || r.cannotResume !== null;
    discard.disabled = busy;
    const done = r.completed.length > 0 ? r.completed.join(', ') : 'none yet';
    list.append(
      el(
        'li',
        { attrs: { 'data-testid': 'pending-run', 'data-run-id': r.id } },
        el('div', { text: `${r.created} · ${r.preset ?? 'custom'} · model ${r.model}${r.dataset ? ` · dataset ${r.dataset}` : ''} · ${r.arms.length} arms` }),
        el('div', { cls: 'completed', attrs: { 'data-testid': 'pending-completed' }, text: `completed ${r.completed.length} of ${total} stages: ${done}` }),
        ...(r.cannotResume ? [el('div', { cls: 'status error', text: r.cannotResume })] : []),
        el('div', {}, resume, ' ', discard),
      ),
    );
  }
  box.append(list);
  return box;
}

/** A stage's name in words and what it does (the Run view's rows; the id stays in data-stage). */
export function stageWords(name: string): { label: string; title: string } {
  const data: Record<string, [string, string]> = {
    'load model': ['load model', 'the base model\'s weights and tokenizer, onto the GPU'],
    pool: ['pool', 'training problems the base model never solves in its samples (the problems InT is for)'],
    rollouts: ['rollouts', 'the base model attempts each training problem'],
    propose: ['verify + intervene', 'the model checks its failed attempts against the reference solution, locates the first wrong step and proposes a corrected step'],
    filter: ['filter', 'keeps interventions that parse, fit and do not leak the answer'],
    continuations: ['continuation check', 'continues from the prefix + each intervention and keeps those that reach the answer'],
    reflect: ['self-reflection', 'the self-reflection baseline\'s data'],
    diagnostics: ['diagnostics', 'continuations from the prefix, the original step and the intervention at equal budgets'],
    'sft-sets': ['SFT data', 'the training rows of every SFT arm'],
  };
  if (data[name]) return { label: data[name][0], title: `${name}: ${data[name][1]}` };
  if (!name.includes('/')) return { label: name, title: name };
  const [arm, part] = name.split('/');
  const what = { sft: 'fine-tuning on its SFT rows', rl: 'RL (GRPO) on the training problems', eval: 'evaluation on the held-out problems' }[part] ?? part;
  return { label: `${armName({ arms: {} }, arm)} · ${part === 'sft' ? 'SFT' : part === 'rl' ? 'RL' : 'eval'}`, title: `${name}: ${what}` };
}
