// Setup view: the Run button with every problem of the setup listed beside it (Run is blocked
// while there is one), a Basic section (model: embedded, pretrained here, any Hugging Face id, a
// local folder; task: the chains world's problems per tier, or an uploaded JSONL / CSV / Parquet
// dataset with its row errors and split; preset; arms; seed) and the Advanced section
// (config-editor.ts). Each field carries its help from the config's doc comments and its problems.
import { ARM_IDS, getArm, type ArmId } from '../../int/arms';
import { getPreset, mathSplitOf, presetNames, type IntConfigInput } from '../../int/config';
import type { AdapterReport } from '../../gpu';
import type { TierSpec } from '../../tasks/chains/config';
import { button, el, table } from '../dom';
import { presetArms, resolveSettings, type Settings } from '../state';
import { EMBEDDED_MODEL, type DatasetCheck, type DatasetUpload } from '../../worker/protocol';
import type { StoredModelSummary } from '../../worker/models-db';
import type { RowError } from '../../tasks/math/import';
import { armColour } from '../published-data';
import { configField } from '../config-help';
import { parseValue } from '../fields';
import { setupProblems, splitCounts, splitSentence, type SetupProblem } from '../setup-check';
import { advancedSection, errorSpot, fieldRow, getAt, setAt, showFieldProblems, valueTrees, type FieldContext } from './config-editor';
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

/** The last dataset check of a settings object, kept across redraws of the view. */
const checks = new WeakMap<Settings, { name: string; check: DatasetCheck }>();

/** The dataset check as page content: counts, then a table of every row error. */
export function datasetReport(name: string, c: DatasetCheck): HTMLElement {
  const box = el('div', { cls: 'dataset-report', attrs: { 'data-testid': 'dataset-report' } });
  if (c.fatal) box.append(el('p', { cls: 'status error', text: `Cannot use ${name}: ${c.fatal}`, attrs: { role: 'alert' } }));
  else box.append(el('p', { text: `${name}: ${c.problems} problems imported; ${c.errors.length} rows skipped, ${c.warnings.length} warnings.` }));
  const rows: Array<[string, RowError]> = [...c.errors.map((e): [string, RowError] => ['error', e]), ...c.warnings.map((e): [string, RowError] => ['warning', e])];
  if (rows.length > 0) {
    box.append(table(['', 'row', 'line', 'id', 'reason'], rows.slice(0, 200).map(([k, e]) => [k, String(e.row), e.line === null ? '' : String(e.line), e.id ?? '', e.reason]), 'report row-errors'));
    if (rows.length > 200) box.append(el('p', { text: `… and ${rows.length - 200} more` }));
  }
  return box;
}

/** A field's help line from the config's doc comment. */
const help = (path: string, extra = '') => el('p', { cls: 'help', text: `${configField(path)?.help ?? ''}${extra}` });

export function setupView(d: SetupDeps): HTMLElement {
  const s = d.settings;
  const view = el('section', { attrs: { id: 'setup' } }, el('h2', { text: 'Setup' }));
  const rerender = () => {
    view.replaceWith(setupView(d));
    d.changed();
  };
  const trees = valueTrees(s.preset);
  const ctx: FieldContext = { settings: s, ...trees, changed: () => (validate(), d.changed()) };

  const runBtn = button('Run experiment', () => validate().length === 0 && d.run(), { 'data-testid': 'run', 'aria-describedby': 'run-problems' });
  const summary = el('span', { cls: 'run-summary' });
  const problemsBox = el('div', { cls: 'run-problems', attrs: { id: 'run-problems', 'data-testid': 'run-problems', 'aria-live': 'polite' } });
  view.append(el('div', { cls: 'run-bar' }, el('div', { cls: 'run-line' }, runBtn, summary), problemsBox));

  const basic = el('section', { cls: 'basic', attrs: { 'data-testid': 'basic' } }, el('h3', { text: 'Basic' }));
  basic.append(modelFieldset(d, ctx, rerender), taskFieldset(d, ctx, rerender), presetFieldset(s, rerender), armsFieldset(s, ctx), seedFieldset(s, ctx));
  view.append(basic, advancedSection(ctx));

  function validate(): SetupProblem[] {
    const problems = setupProblems(s, d.report && { shaderF16: d.report.features.shaderF16 });
    runBtn.disabled = problems.length > 0;
    summary.textContent = runSummary(s);
    if (problems.length === 0) problemsBox.replaceChildren(el('p', { cls: 'status ok', text: 'Ready: every setting is valid.' }));
    else {
      const list = el('ul');
      for (const p of problems) {
        const li = el('li', { text: p.message });
        if (p.path) {
          li.classList.add('jump');
          li.title = 'show this field';
          li.tabIndex = 0;
          li.addEventListener('click', () => focusField(view, p.path!));
          li.addEventListener('keydown', (e) => e.key === 'Enter' && focusField(view, p.path!));
        }
        list.append(li);
      }
      problemsBox.replaceChildren(el('p', { cls: 'status error', attrs: { role: 'alert' }, text: `Run is blocked by ${problems.length} problem${problems.length === 1 ? '' : 's'}; each says how to fix it (click one to go to its field):` }), list);
    }
    showFieldProblems(view, problems);
    return problems;
  }
  validate();
  return view;
}

/** One line: what Run will start. */
function runSummary(s: Settings): string {
  const model = s.model.kind === 'embedded' ? EMBEDDED_MODEL.name : s.model.kind === 'hub' ? s.model.id || 'a Hugging Face model' : s.model.kind === 'stored' ? s.model.name : 'a local model folder';
  try {
    const c = resolveSettings(s);
    const task = c.data.task === 'math' ? (s.dataset?.name ?? String(c.data.dataset)) : 'the chains world';
    return `${s.preset} · ${model} on ${task} · ${s.arms.length} arm${s.arms.length === 1 ? '' : 's'} · ${c.eval.samples} samples per test problem · seed ${s.seed}`;
  } catch {
    return `${s.preset} · ${model} · ${s.arms.length} arms`;
  }
}

/** Open the field's group, scroll to it and focus its input. */
function focusField(view: HTMLElement, path: string): void {
  const spot = view.querySelector<HTMLElement>(`[data-error-for="${CSS.escape(path)}"]`) ?? view.querySelector<HTMLElement>(`[data-path="${CSS.escape(path)}"]`);
  if (!spot) return;
  const group = spot.closest('details');
  if (group) group.open = true;
  const box = spot.closest('.field, fieldset') ?? spot;
  box.scrollIntoView({ block: 'center' });
  box.querySelector<HTMLElement>('input, select, textarea')?.focus();
}

/** A model choice; picking it sets the settings' model and redraws the view. */
function modelRadio(s: Settings, value: string, text: string | Node, checked: boolean, rerender: () => void, hubInput?: HTMLInputElement): HTMLElement {
  const r = el('input', { attrs: { type: 'radio', name: 'model', value } });
  r.checked = checked;
  r.addEventListener('change', () => {
    if (value === 'embedded') s.model = { kind: 'embedded' };
    else if (value === 'folder') s.model = { kind: 'folder', files: [] };
    else if (value === 'hub') s.model = { kind: 'hub', id: hubInput?.value.trim() ?? '' };
    else s.model = { kind: 'stored', name: value.slice('stored:'.length) };
    rerender();
  });
  return el('label', { cls: 'choice' }, r, ' ', text);
}

/** Model: embedded, pretrained in this browser, any Hugging Face id (the known ones with size and
 *  memory need), a local folder. */
function modelFieldset(d: SetupDeps, ctx: FieldContext, rerender: () => void): HTMLElement {
  const s = d.settings;
  const fs = el('fieldset', { cls: 'model' }, el('legend', { text: 'Model' }));
  fs.append(modelRadio(s, 'embedded', `embedded ${EMBEDDED_MODEL.name}: a tiny character-level model of the chains world with a one-digit multiplication habit; loads with the page`, s.model.kind === 'embedded', rerender));
  for (const m of d.storedModels ?? []) {
    const text = `${m.name} (pretrained in this browser: ${m.steps} steps, ${m.minutes.toFixed(1)} min, final loss ${m.lastLoss.toFixed(3)})`;
    fs.append(modelRadio(s, `stored:${m.name}`, text, s.model.kind === 'stored' && s.model.name === m.name, rerender));
  }
  const hub = el('input', { attrs: { type: 'text', list: 'hub-models', placeholder: 'owner/name, e.g. Qwen/Qwen3-0.6B', 'data-testid': 'hub-id', 'data-path': 'model', spellcheck: 'false', 'aria-label': 'Hugging Face model id' } });
  hub.value = s.model.kind === 'hub' ? s.model.id : '';
  hub.addEventListener('change', () => {
    s.model = { kind: 'hub', id: hub.value.trim() };
    const radio = fs.querySelector<HTMLInputElement>('input[name=model][value=hub]');
    if (radio) radio.checked = true;
    ctx.changed();
  });
  const list = el('datalist', { attrs: { id: 'hub-models' } }, ...KNOWN_MODELS.map((m) => el('option', { attrs: { value: m.id } })));
  fs.append(modelRadio(s, 'hub', el('span', {}, 'a Hugging Face model: ', hub), s.model.kind === 'hub', rerender, hub), list);
  const seq = (getAt(ctx.preset, 'rollouts.sampling.maxNewTokens') as number) + 512;
  const rank = (getAt(ctx.preset, 'lora.rank') as number) ?? 16;
  const rows = KNOWN_MODELS.map((m) => {
    const need = modelNeed(m.id, m.config, seq, rank, d.report);
    return [m.id, fmtParams(need.params), need.verdict];
  });
  fs.append(el('details', { cls: 'known-models' }, el('summary', { text: 'Checked hub models: size and memory for LoRA training' }), table(['hub model', 'parameters', 'memory for LoRA training (planner)'], rows), el('p', { cls: 'note', text: 'Any other id loads too; its size is read from its config.json when it loads.' })));
  fs.append(modelRadio(s, 'folder', 'a local model folder (config.json, model.safetensors, tokenizer.json)', s.model.kind === 'folder', rerender));
  if (s.model.kind === 'folder') {
    const pick = el('input', { attrs: { type: 'file', webkitdirectory: '', multiple: '' } });
    const note = el('span', { cls: 'note' });
    pick.addEventListener('change', () => {
      if (s.model.kind === 'folder') s.model.files = Array.from(pick.files ?? []);
      note.textContent = ` ${pick.files?.length ?? 0} files selected`;
      ctx.changed();
    });
    fs.append(el('div', {}, pick, note));
  }
  fs.append(help('model'), errorSpot('model'));
  return fs;
}

/** A tier in words: "3-4 steps of add / sub with one mul step, values up to 29". */
function tierWords(t: TierSpec): string {
  const steps = t.steps[0] === t.steps[1] ? `${t.steps[0]}` : `${t.steps[0]}-${t.steps[1]}`;
  return `${steps} steps of ${t.ops.join(' / ')}${t.critical ? ` with one ${t.critical.op} step (the critical step)` : ''}, values up to ${t.maxAbs.toLocaleString('en')}`;
}

/** Task: the chains world with its problems per tier, or an uploaded math dataset with its check. */
function taskFieldset(d: SetupDeps, ctx: FieldContext, rerender: () => void): HTMLElement {
  const s = d.settings;
  const ov = s.overrides as IntConfigInput & { data?: Record<string, unknown> };
  const fs = el('fieldset', { cls: 'task' }, el('legend', { text: 'Task' }));
  const task = (getAt(s.overrides, 'data.task') ?? getAt(ctx.preset, 'data.task')) as string;
  const radio = (value: 'chains' | 'math', text: string, disabled: boolean) => {
    const r = el('input', { attrs: { type: 'radio', name: 'task', value } });
    r.checked = task === value;
    r.disabled = disabled;
    r.addEventListener('change', () => {
      const data = { ...(ov.data ?? {}) };
      if (value === 'chains') for (const k of ['task', 'style', 'dataset']) delete data[k];
      else Object.assign(data, { task: 'math', style: 'chat', dataset: s.dataset?.name ?? null });
      ov.data = data;
      if (Object.keys(data).length === 0) delete ov.data;
      rerender();
    });
    return el('label', { cls: 'choice' }, r, ` ${text}`);
  };
  fs.append(radio('chains', 'the procedural chains world (problems are generated; every answer is checked exactly)', false));
  if (task !== 'math') fs.append(countsTable(ctx));
  fs.append(radio('math', s.dataset ? `the uploaded math dataset ${s.dataset.name}` : 'an uploaded math dataset (upload a file below first)', !s.dataset));

  const file = el('input', { attrs: { type: 'file', accept: '.jsonl,.json,.csv,.tsv,.parquet', 'data-testid': 'dataset-file' } });
  const out = el('div');
  const last = checks.get(s);
  if (last) out.append(datasetReport(last.name, last.check));
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (!f) return;
    out.replaceChildren(el('p', { text: `checking ${f.name}…` }));
    const upload = { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) };
    const c = await d.checkDataset(upload);
    checks.set(s, { name: f.name, check: c });
    out.replaceChildren(datasetReport(f.name, c));
    if (c.fatal) return;
    s.dataset = upload;
    s.datasetIds = c.ids;
    ov.data = { ...(ov.data ?? {}), task: 'math', style: 'chat', dataset: f.name };
    rerender();
  });
  fs.append(el('div', { cls: 'upload' }, el('label', {}, 'Math dataset file (JSONL / CSV / Parquet with question and answer columns): ', file)), out);
  if (task === 'math' && s.dataset && s.datasetIds) fs.append(splitFields(ctx, s.datasetIds));
  if (task === 'math' && s.dataset && s.model.kind === 'embedded') fs.append(el('p', { cls: 'note warn', text: `The embedded model knows only the chains world: on math it writes nonsense. Pick a Hugging Face chat model (e.g. ${KNOWN_MODELS[1].id}) for a meaningful run.` }));
  fs.append(help('data.task'), errorSpot('data.task'), errorSpot('data.dataset'));
  return fs;
}

/** The uploaded dataset's split: data.testFraction and data.splitSeed, and the counts they give
 *  (redrawn on every edit of the setup, as the run will split the file). */
function splitFields(ctx: FieldContext, ids: readonly string[]): HTMLElement {
  const s = ctx.settings;
  const sentence = el('p', { cls: 'split', attrs: { 'data-testid': 'dataset-split', 'aria-live': 'polite' } });
  const show = () => {
    const value = (path: string) => (s.invalid[path] ? undefined : (getAt(s.overrides, path) ?? getAt(ctx.preset, path)));
    const how = mathSplitOf({ testFraction: value('data.testFraction') as number | undefined, splitSeed: value('data.splitSeed') as number | undefined });
    const caps = { train: value('data.maxTrainProblems'), test: value('data.maxTestProblems') } as { train: number | null; test: number | null };
    sentence.textContent = splitSentence(splitCounts(ids, how), caps, how);
  };
  show();
  const local: FieldContext = { ...ctx, changed: () => (show(), ctx.changed()) };
  const rows = ['data.testFraction', 'data.splitSeed'].map((path) => configField(path)).filter((f) => f !== undefined).map((f) => fieldRow(local, f));
  return el('div', { cls: 'dataset-split', attrs: { 'data-testid': 'dataset-split-fields' } }, sentence, ...rows);
}

/** Problems per tier and split of the chains world (data.chains.counts), one input each. */
function countsTable(ctx: FieldContext): HTMLElement {
  const s = ctx.settings;
  const tiers = getAt(ctx.preset, 'data.chains.tiers') as TierSpec[];
  const t = el('table', { cls: 'report counts', attrs: { 'data-testid': 'tier-counts' } });
  t.append(el('thead', {}, el('tr', {}, el('th', { text: 'tier' }), el('th', { text: 'train' }), el('th', { text: 'test' }), el('th', { text: 'problems are' }))));
  const body = el('tbody');
  for (const tier of tiers) {
    const tr = el('tr', {}, el('td', { text: tier.name }));
    for (const split of ['train', 'test'] as const) {
      const path = `data.chains.counts.${tier.name}.${split}`;
      const base = getAt(ctx.preset, path) as number;
      const input = el('input', { attrs: { type: 'text', inputmode: 'numeric', size: '4', 'data-path': path, 'aria-label': `${tier.name} ${split} problems` } });
      input.value = s.invalid[path]?.text ?? String(getAt(s.overrides, path) ?? base);
      input.addEventListener('change', () => {
        const r = parseValue({ kind: 'number', nullable: false }, input.value, String(base));
        if (!r.ok) s.invalid[path] = { text: input.value, error: r.error };
        else {
          delete s.invalid[path];
          setAt(s.overrides as Record<string, unknown>, path, r.value === base ? undefined : r.value);
        }
        ctx.changed();
      });
      tr.append(el('td', {}, input));
    }
    tr.append(el('td', { cls: 'note', text: tierWords(tier) }));
    body.append(tr);
  }
  t.append(body);
  return el('div', { cls: 'field', attrs: { 'data-field': 'data.chains.counts' } }, el('p', { text: 'Problems per difficulty tier:' }), t, help('data.chains.counts'), errorSpot('data.chains.counts'));
}

/** Preset: its description; a change starts from the preset's values (an uploaded dataset stays the task). */
function presetFieldset(s: Settings, rerender: () => void): HTMLElement {
  const fs = el('fieldset', { cls: 'preset' }, el('legend', { text: 'Preset' }));
  const preset = el('select', { attrs: { 'data-testid': 'preset', 'aria-label': 'preset' } });
  for (const n of presetNames()) preset.append(el('option', { text: n, attrs: { value: n } }));
  preset.value = s.preset;
  preset.addEventListener('change', () => {
    const data = s.overrides.data;
    s.preset = preset.value;
    s.arms = presetArms(s.preset);
    s.overrides = data?.task === 'math' ? { data: { task: 'math', style: 'chat', dataset: data.dataset } } : {};
    s.invalid = {};
    rerender();
  });
  fs.append(preset, el('p', { cls: 'help', text: `${getPreset(s.preset).description}. Changing the preset starts every field (and the arms) from its values.` }), errorSpot('preset'));
  return fs;
}

/** Arms: one checkbox each with its colour (the same in every chart), label and description. */
function armsFieldset(s: Settings, ctx: FieldContext): HTMLElement {
  const fs = el('fieldset', { cls: 'arms' }, el('legend', { text: 'Arms' }));
  const boxes = new Map<ArmId, HTMLInputElement>();
  const set = (ids: readonly ArmId[]) => {
    s.arms = ARM_IDS.filter((a) => ids.includes(a));
    for (const [id, c] of boxes) c.checked = s.arms.includes(id);
    ctx.changed();
  };
  fs.append(el('div', { cls: 'quick' }, button('all', () => set(ARM_IDS)), ' ', button('InT + RL against RL', () => set(['base', 'rl', 'int_rl'])), ' ', button('none', () => set([]))));
  const presetArms = getAt(ctx.preset, 'arms') as ArmId[] | null;
  for (const id of ARM_IDS) {
    const c = el('input', { attrs: { type: 'checkbox', value: id } });
    c.checked = s.arms.includes(id);
    c.addEventListener('change', () => set(ARM_IDS.filter((a) => (a === id ? c.checked : s.arms.includes(a)))));
    boxes.set(id, c);
    const skipped = presetArms && !presetArms.includes(id) ? ' (this preset\'s config.arms leaves it out: it is skipped)' : '';
    fs.append(el('label', { cls: 'choice arm' }, c, ' ', el('span', { cls: 'swatch', attrs: { style: `background:${armColour(id)}` } }), el('strong', { text: getArm(id).label }), ` — ${getArm(id).description}${skipped}`));
  }
  fs.append(el('p', { cls: 'help', text: 'Each arm trains its own copy from the base model and is evaluated on the same held-out problems; "base" is the untrained model.' }), errorSpot('arms'));
  return fs;
}

/** Seed of the whole experiment. */
function seedFieldset(s: Settings, ctx: FieldContext): HTMLElement {
  const fs = el('fieldset', { cls: 'seed' }, el('legend', { text: 'Seed' }));
  const seed = el('input', { attrs: { type: 'text', inputmode: 'numeric', 'data-testid': 'seed', 'data-path': 'seed', 'aria-label': 'seed', size: '8' } });
  seed.value = s.invalid.seed?.text ?? String(s.seed);
  seed.addEventListener('change', () => {
    const r = parseValue({ kind: 'number', nullable: false }, seed.value, '0');
    if (!r.ok) s.invalid.seed = { text: seed.value, error: r.error };
    else {
      delete s.invalid.seed;
      s.seed = r.value as number;
    }
    ctx.changed();
  });
  fs.append(seed, help('seed'), errorSpot('seed'));
  return fs;
}
