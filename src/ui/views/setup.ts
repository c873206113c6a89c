// Setup view: model (embedded, models pretrained in this browser, known hub ids with size and
// memory need, a local folder), task
// (procedural world with difficulty, or an uploaded JSONL / CSV / Parquet file with its row
// errors), arms, preset + seed, and every setting with its default.
import { ARM_IDS, getArm, type ArmId } from '../../int/arms';
import { getPreset, presetConfig, presetNames, type IntConfigInput } from '../../int/config';
import type { AdapterReport } from '../../gpu';
import { button, el, table } from '../dom';
import { resolveSettings, type Settings } from '../state';
import { EMBEDDED_MODEL, type DatasetCheck, type DatasetUpload } from '../../worker/protocol';
import type { StoredModelSummary } from '../../worker/models-db';
import type { RowError } from '../../tasks/math/import';
import { configEditor } from './config-editor';
import { fmtParams, KNOWN_MODELS, modelNeed } from './models';

export interface SetupDeps {
  settings: Settings;
  report: AdapterReport | null;
  /** Models pretrained in this browser (the Pretrain tab), newest first. */
  storedModels?: readonly StoredModelSummary[];
  checkDataset(upload: DatasetUpload): Promise<DatasetCheck>;
  /** Settings changed (the app updates the URL hash). */
  changed(): void;
  run(): void;
}

/** The dataset check as page content: counts, then a table of every row error. */
export function datasetReport(name: string, c: DatasetCheck): HTMLElement {
  const box = el('div', { cls: 'dataset-report', attrs: { 'data-testid': 'dataset-report' } });
  if (c.fatal) box.append(el('p', { cls: 'status error', text: `Cannot use ${name}: ${c.fatal}`, attrs: { role: 'alert' } }));
  else box.append(el('p', { text: `${name}: ${c.problems} problems (${c.train} train / ${c.test} test); ${c.errors.length} rows skipped, ${c.warnings.length} warnings.` }));
  const rows: Array<[string, RowError]> = [...c.errors.map((e): [string, RowError] => ['error', e]), ...c.warnings.map((e): [string, RowError] => ['warning', e])];
  if (rows.length > 0) {
    box.append(table(['', 'row', 'line', 'id', 'reason'], rows.slice(0, 200).map(([k, e]) => [k, String(e.row), e.line === null ? '' : String(e.line), e.id ?? '', e.reason]), 'report row-errors'));
    if (rows.length > 200) box.append(el('p', { text: `… and ${rows.length - 200} more` }));
  }
  return box;
}

export function setupView(d: SetupDeps): HTMLElement {
  const s = d.settings;
  const view = el('section', { attrs: { id: 'setup' } }, el('h2', { text: 'Setup' }));
  const status = el('p', { cls: 'status' });
  const rerender = () => {
    view.replaceWith(setupView(d));
    d.changed();
  };

  // ---- run button first: zero-setup start
  const runBtn = button('Run experiment', () => d.run(), { 'data-testid': 'run' });
  view.append(el('p', {}, runBtn, ' ', el('span', { text: `preset ${s.preset}: ${getPreset(s.preset).description}` })), status);

  const cfgNow = safeResolve(s);
  view.append(modelFieldset(d, cfgNow, status, rerender), taskFieldset(d, cfgNow, rerender), armsFieldset(d), settingsFieldset(d, runBtn, rerender));
  return view;
}

type Resolved = ReturnType<typeof safeResolve>;

/** A model choice; picking it sets the settings' model and redraws the view. */
function modelRadio(s: Settings, value: string, text: string, checked: boolean, rerender: () => void): HTMLElement {
  const r = el('input', { attrs: { type: 'radio', name: 'model', value } });
  r.checked = checked;
  r.addEventListener('change', () => {
    if (value === 'embedded') s.model = { kind: 'embedded' };
    else if (value === 'folder') s.model = { kind: 'folder', files: [] };
    else if (value.startsWith('stored:')) s.model = { kind: 'stored', name: value.slice('stored:'.length) };
    else s.model = { kind: 'hub', id: value };
    rerender();
  });
  return el('label', { cls: 'choice' }, r, ` ${text}`);
}

/** Model: embedded, pretrained in this browser, known hub ids (with size and memory need), a local folder. */
function modelFieldset(d: SetupDeps, cfgNow: Resolved, status: HTMLElement, rerender: () => void): HTMLElement {
  const s = d.settings;
  const radio = (value: string, text: string, checked: boolean) => modelRadio(s, value, text, checked, rerender);
  const model = el('fieldset', {}, el('legend', { text: 'Model' }));
  model.append(radio('embedded', `embedded ${EMBEDDED_MODEL.name} (${EMBEDDED_MODEL.path}: chains-tiny with the one-digit multiplication habit, loads with the page)`, s.model.kind === 'embedded'));
  for (const m of d.storedModels ?? []) {
    const text = `${m.name} (pretrained in this browser: ${m.steps} steps, ${m.minutes.toFixed(1)} min, final loss ${m.lastLoss.toFixed(3)})`;
    model.append(radio(`stored:${m.name}`, text, s.model.kind === 'stored' && s.model.name === m.name));
  }
  const seq = cfgNow ? cfgNow.rollouts.sampling.maxNewTokens + 512 : 1024;
  const rank = cfgNow?.lora.rank ?? 16;
  const rows: string[][] = [];
  for (const m of KNOWN_MODELS) {
    const need = modelNeed(m.id, m.config, seq, rank, d.report);
    model.append(radio(m.id, `${m.id} (Hugging Face hub)`, s.model.kind === 'hub' && s.model.id === m.id));
    rows.push([m.id, fmtParams(need.params), need.verdict]);
  }
  model.append(table(['hub model', 'parameters', 'memory for LoRA training (planner)'], rows));
  model.append(radio('folder', 'a local model folder (config.json, model.safetensors, tokenizer.json)', s.model.kind === 'folder'));
  if (s.model.kind === 'folder') {
    const pick = el('input', { attrs: { type: 'file', webkitdirectory: '', multiple: '' } });
    pick.addEventListener('change', () => {
      if (s.model.kind === 'folder') s.model.files = Array.from(pick.files ?? []);
      status.textContent = `${pick.files?.length ?? 0} files selected`;
    });
    model.append(el('div', {}, pick));
  }
  return model;
}

/** Task: the procedural world with its difficulty, or an uploaded math dataset file with its check. */
function taskFieldset(d: SetupDeps, cfgNow: Resolved, rerender: () => void): HTMLElement {
  const s = d.settings;
  const task = el('fieldset', {}, el('legend', { text: 'Task' }));
  const ov = s.overrides as IntConfigInput & { data?: Record<string, unknown> };
  const isMath = (cfgNow?.data.task ?? 'chains') === 'math';
  const diff = el('select', { attrs: { 'data-testid': 'difficulty' } });
  for (const t of ['preset', 'easy', 'medium', 'hard', 'all']) diff.append(el('option', { text: t, attrs: { value: t } }));
  diff.value = difficultyOf(ov.data?.chains);
  diff.addEventListener('change', () => {
    const n = cfgNow?.data.maxTrainProblems ?? 8;
    const m = cfgNow?.data.maxTestProblems ?? 8;
    const data = { ...(ov.data ?? {}) };
    if (diff.value === 'preset') delete data.chains;
    else data.chains = { counts: Object.fromEntries(['easy', 'medium', 'hard'].map((t) => [t, diff.value === 'all' || diff.value === t ? { train: n, test: m } : { train: 0, test: 0 }])) };
    ov.data = data;
    rerender();
  });
  task.append(el('label', { cls: 'choice' }, 'Procedural chains world, difficulty: ', diff));
  const file = el('input', { attrs: { type: 'file', accept: '.jsonl,.json,.csv,.tsv,.parquet', 'data-testid': 'dataset-file' } });
  const dsOut = el('div');
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (!f) return;
    dsOut.replaceChildren(el('p', { text: `checking ${f.name}…` }));
    const upload = { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) };
    const c = await d.checkDataset(upload);
    dsOut.replaceChildren(datasetReport(f.name, c));
    if (!c.fatal) {
      s.dataset = upload;
      ov.data = { ...(ov.data ?? {}), task: 'math', style: 'chat' };
      d.changed();
    }
  });
  task.append(el('div', {}, 'or a math dataset file (JSONL / CSV / Parquet with question and answer columns): ', file), dsOut);
  if (isMath && s.dataset) task.append(el('p', { text: `using ${s.dataset.name} (math task)` }));
  return task;
}

/** Arms: one checkbox each. */
function armsFieldset(d: SetupDeps): HTMLElement {
  const s = d.settings;
  const arms = el('fieldset', {}, el('legend', { text: 'Arms' }));
  for (const id of ARM_IDS) {
    const c = el('input', { attrs: { type: 'checkbox', value: id } });
    c.checked = s.arms.includes(id);
    c.addEventListener('change', () => {
      s.arms = ARM_IDS.filter((a) => (a === id ? c.checked : s.arms.includes(a))) as ArmId[];
      d.changed();
    });
    arms.append(el('label', { cls: 'choice' }, c, ` ${getArm(id).label} — ${getArm(id).description}`));
  }
  return arms;
}

/** Preset, seed and every setting; invalid settings show their error and disable the run button. */
function settingsFieldset(d: SetupDeps, runBtn: HTMLButtonElement, rerender: () => void): HTMLElement {
  const s = d.settings;
  const settings = el('fieldset', {}, el('legend', { text: 'Settings' }));
  const preset = el('select', { attrs: { 'data-testid': 'preset' } });
  for (const n of presetNames()) preset.append(el('option', { text: n, attrs: { value: n } }));
  preset.value = s.preset;
  preset.addEventListener('change', () => {
    s.preset = preset.value;
    s.overrides = {};
    rerender();
  });
  const seed = el('input', { attrs: { type: 'number', min: '0', step: '1', 'data-testid': 'seed' } });
  seed.value = String(s.seed);
  seed.addEventListener('change', () => {
    s.seed = Math.max(0, Math.floor(Number(seed.value) || 0));
    d.changed();
  });
  settings.append(el('div', {}, 'preset ', preset, ' seed ', seed));
  const check = el('p', { cls: 'status' });
  const validate = () => {
    try {
      resolveSettings(s);
      check.className = 'status';
      check.textContent = 'settings are valid';
      runBtn.disabled = false;
    } catch (e) {
      check.className = 'status error';
      check.textContent = (e as Error).message;
      runBtn.disabled = true;
    }
  };
  settings.append(check, configEditor(presetConfig(s.preset, { seed: s.seed }), s.overrides as Record<string, unknown>, () => (validate(), d.changed())));
  validate();
  return settings;
}

function safeResolve(s: Settings) {
  try {
    return resolveSettings(s);
  } catch {
    return null;
  }
}

/** Which difficulty choice a chains override stands for. */
function difficultyOf(chains: unknown): string {
  const counts = (chains as { counts?: Record<string, { train?: number }> } | undefined)?.counts;
  if (!counts) return 'preset';
  const on = Object.entries(counts).filter(([, c]) => (c.train ?? 0) > 0).map(([t]) => t);
  return on.length === 1 ? on[0] : on.length === 3 ? 'all' : 'preset';
}
