// Pretrain view: trains the chains model from scratch in the worker (the `npm run pretrain`
// recipe) with its key settings and defaults, Start / Stop and save / Cancel, live step, loss and
// tokens/s with a loss plot; and the models pretrained in this browser (download as .tar, delete).
import { PRETRAIN_RUN_DEFAULTS, type PretrainRunConfig } from '../../pretrain/config';
import { button, download, el, fmtSeconds } from '../dom';
import type { StoredModelSummary } from '../../worker/models-db';
import { LivePlot } from '../plots';
import type { PretrainEvents, PretrainSettings } from '../../worker/protocol';
import { storedModelsList } from './stored-models';

export interface PretrainDeps {
  /** Run a pretraining in the worker; resolves with the stored model. */
  start(settings: PretrainSettings, events: PretrainEvents): Promise<StoredModelSummary>;
  /** Abort the pretraining (nothing is stored). */
  cancel(): void;
  /** End the pretraining after its current step; what it learnt so far is stored. */
  stop(): void;
  /** Delete a stored model. */
  remove(name: string): Promise<void>;
  /** A model was stored: the app refreshes its model lists. */
  stored(model: StoredModelSummary): void;
  /** Store again the model a failed save kept in the worker; and that model as a .tar (null: none). */
  saveAgain(): Promise<StoredModelSummary>;
  unsavedTar(): Promise<{ name: string; tar: Uint8Array } | null>;
}

type NumberKey = { [K in keyof PretrainRunConfig]: PretrainRunConfig[K] extends number ? K : never }[keyof PretrainRunConfig];

/** The settings shown, in order, with what they mean. */
const FIELDS: ReadonlyArray<{ key: NumberKey; label: string; int: boolean }> = [
  { key: 'maxMinutes', label: 'time budget, minutes (0 = none)', int: false },
  { key: 'steps', label: 'optimiser steps', int: true },
  { key: 'hidden', label: 'hidden size', int: true },
  { key: 'layers', label: 'layers', int: true },
  { key: 'heads', label: 'attention heads', int: true },
  { key: 'kvHeads', label: 'key/value heads', int: true },
  { key: 'intermediate', label: 'MLP width', int: true },
  { key: 'batchTokens', label: 'tokens per step', int: true },
  { key: 'lr', label: 'peak learning rate', int: false },
  { key: 'verdictWeightOk', label: 'loss weight of a verifier "ok"', int: false },
  { key: 'verdictWeightBad', label: 'loss weight of a verifier "bad"', int: false },
  { key: 'verdictBalance', label: 'verdict position balance (0 = off, 1 = full)', int: false },
  { key: 'selfVerifyFrom', label: "verify the model's own attempts from this progress on (1 = never)", int: false },
  { key: 'selfVerifyShare', label: 'share of documents from its own attempts', int: false },
  { key: 'selfVerifyCalibrate', label: 'verdict calibration gain on its own attempts (0 = off)', int: false },
  { key: 'seed', label: 'seed', int: true },
  { key: 'probeEvery', label: 'probe every N steps (0 = never)', int: true },
  { key: 'keepBestAfter', label: 'keep the best-judging probed checkpoint after this progress (1 = the last)', int: false },
  { key: 'keepBestMargin', label: '... or the latest within this many standard errors of the best', int: false },
];

export interface PretrainView {
  root: HTMLElement;
  /** Show the stored models (newest first). */
  showModels(models: readonly StoredModelSummary[]): void;
}

export function pretrainView(d: PretrainDeps): PretrainView {
  const root = el('section', { attrs: { id: 'pretrain' } }, el('h2', { text: 'Pretrain' }));
  root.append(
    el('p', {
      cls: 'note',
      text: 'Train the character-level chains model from scratch on this device, with the recipe of `npm run pretrain` (data mix, curriculum, cosine schedule). The finished model is kept in this browser and appears as a model choice in the setup view.',
    }),
  );
  const form = settingsForm();
  const progress = progressPanel();
  const controls = runControls(d, form, progress);
  root.append(form.root, controls, el('div', {}, progress.bar), progress.status, progress.probeText, progress.plotBox, progress.log);
  const models = storedModelsList((name) => d.remove(name));
  root.append(...models.nodes);
  models.show([]);
  return { root, showModels: models.show };
}

/** The settings fieldset, each setting with its default. */
interface SettingsForm {
  root: HTMLFieldSetElement;
  /** The settings that differ from the defaults; throws naming a bad field. */
  read(): PretrainSettings;
  /** Lock the fields (and the reset button) while a pretraining runs. */
  setDisabled(on: boolean): void;
}

function settingsForm(): SettingsForm {
  const root = el('fieldset', { cls: 'pretrain-settings' }, el('legend', { text: 'Settings' }));
  const inputs = new Map<NumberKey, HTMLInputElement>();
  for (const f of FIELDS) {
    const def = PRETRAIN_RUN_DEFAULTS[f.key];
    const input = el('input', { attrs: { type: 'number', step: f.int ? '1' : 'any', min: '0', 'data-pretrain': f.key, id: `pretrain-${f.key}` } });
    input.value = String(def);
    inputs.set(f.key, input);
    root.append(el('div', { cls: 'field' }, el('label', { attrs: { for: input.id } }, el('span', { cls: 'key', text: f.label })), input, el('span', { cls: 'default', text: `default ${def}` })));
  }
  const reset = button('Reset to defaults', () => {
    for (const f of FIELDS) inputs.get(f.key)!.value = String(PRETRAIN_RUN_DEFAULTS[f.key]);
  });
  root.append(el('p', {}, reset));

  const read = (): PretrainSettings => {
    const out: PretrainSettings = {};
    for (const f of FIELDS) {
      const text = inputs.get(f.key)!.value.trim();
      const v = Number(text);
      if (text === '' || !Number.isFinite(v) || v < 0 || (f.int && !Number.isInteger(v))) {
        throw new Error(`${f.label}: "${text}" is not ${f.int ? 'a whole number' : 'a number'} >= 0; type a value like the default (${PRETRAIN_RUN_DEFAULTS[f.key]})`);
      }
      if (v !== PRETRAIN_RUN_DEFAULTS[f.key]) out[f.key] = v;
    }
    return out;
  };
  const setDisabled = (on: boolean) => {
    reset.disabled = on;
    for (const i of inputs.values()) i.disabled = on;
  };
  return { root, read, setDisabled };
}

/** Live progress of a pretraining: status line, progress bar, probe line, loss plot and log. */
interface ProgressPanel {
  status: HTMLParagraphElement;
  bar: HTMLProgressElement;
  probeText: HTMLParagraphElement;
  plotBox: HTMLDivElement;
  log: HTMLPreElement;
  /** Clear the panel for a new pretraining; returns the events that drive it. */
  begin(): PretrainEvents;
}

function progressPanel(): ProgressPanel {
  const status = el('p', { cls: 'status', text: 'idle', attrs: { 'data-testid': 'pretrain-status' } });
  const bar = el('progress', { attrs: { max: '1', value: '0' } });
  const probeText = el('p', { cls: 'note', attrs: { 'data-testid': 'pretrain-probe' } });
  const log = el('pre', { cls: 'log pretrain-log' });
  const plotBox = el('div', { cls: 'plots' });
  let plot: LivePlot | null = null;
  const lines: string[] = [];
  const addLog = (line: string) => {
    lines.push(line);
    if (lines.length > 300) lines.splice(0, lines.length - 300);
    log.textContent = lines.join('\n');
  };

  function begin(): PretrainEvents {
    status.className = 'status';
    status.textContent = 'starting…';
    bar.value = 0;
    probeText.textContent = '';
    lines.length = 0;
    log.textContent = '';
    plot?.destroy();
    plot = new LivePlot({ title: 'pretraining loss', x: 'pretraining step', y: 'loss (nats per token)', width: 560 });
    plotBox.replaceChildren(plot.root);
    const p = plot;
    return {
      log: addLog,
      step(s) {
        bar.value = s.progress;
        const eta = s.progress > 0 ? (s.elapsed * (1 - s.progress)) / s.progress : NaN;
        status.textContent = `step ${s.step}/${s.steps} · loss ${s.loss.toFixed(4)} · ${s.tokensPerSecond.toFixed(0)} tokens/s · ${fmtSeconds(s.elapsed)} elapsed · ETA ${fmtSeconds(eta)}${s.skipped ? ` · step skipped: ${s.skipped}` : ''}`;
        p.add('loss', s.step, s.loss);
      },
      probe(info) {
        probeText.textContent = `probe at step ${info.step}, P(right completion): ` + Object.entries(info.groups).map(([g, v]) => `${g} ${v.p.toFixed(3)}`).join(' · ');
      },
    };
  }
  return { status, bar, probeText, plotBox, log, begin };
}

/** Start / Stop and save / Cancel, and the pretraining they drive. */
function runControls(d: PretrainDeps, form: SettingsForm, progress: ProgressPanel): HTMLElement {
  const { status, bar } = progress;
  const startBtn = button('Start pretraining', () => void start(), { 'data-testid': 'pretrain-start' });
  const stopBtn = button('Stop and save', () => {
    d.stop();
    status.textContent = 'stopping after this step; the model will be saved…';
  }, { 'data-testid': 'pretrain-stop' });
  const cancelBtn = button('Cancel', () => {
    d.cancel();
    status.textContent = 'cancelling…';
  }, { 'data-testid': 'pretrain-cancel' });
  const setRunning = (on: boolean) => {
    startBtn.disabled = on;
    form.setDisabled(on);
    stopBtn.disabled = !on;
    cancelBtn.disabled = !on;
  };
  setRunning(false);

  async function start(): Promise<void> {
    let settings: PretrainSettings;
    try {
      settings = form.read();
    } catch (e) {
      status.className = 'status error';
      status.textContent = (e as Error).message;
      return;
    }
    setRunning(true);
    const events = progress.begin();
    try {
      const m = await d.start(settings, events);
      bar.value = 1;
      status.textContent = `done: stored as ${m.name} (${m.steps} steps, ${m.tokens} tokens, ${m.minutes.toFixed(1)} min, final loss ${m.lastLoss.toFixed(3)}); pick it in the setup view's model list`;
      d.stored(m);
    } catch (e) {
      status.className = 'status error';
      status.textContent = (e as Error).message;
      if (/"Save again"/.test((e as Error).message)) offerUnsaved();
    } finally {
      setRunning(false);
    }
  }

  /** A finished model the store refused stays in the worker: save it again, or download it. */
  function offerUnsaved(): void {
    const again = button('Save again', async () => {
      try {
        const m = await d.saveAgain();
        status.className = 'status';
        status.textContent = `stored as ${m.name}; pick it in the setup view's model list`;
        d.stored(m);
        box.replaceChildren();
      } catch (e) {
        status.className = 'status error';
        status.textContent = (e as Error).message;
      }
    }, { 'data-testid': 'pretrain-save-again' });
    const get = button('Download it', async () => {
      const t = await d.unsavedTar();
      if (t) download(`${t.name}.tar`, t.tar, 'application/x-tar');
    }, { 'data-testid': 'pretrain-download-unsaved' });
    box.replaceChildren(again, ' ', get);
  }
  const box = el('span');

  return el('p', {}, startBtn, ' ', stopBtn, ' ', cancelBtn, ' ', box);
}
