// Setup fields: one row per config field (its input, the library default and the preset's value,
// its help from the config's own doc comment, and its problems beside it), and the Advanced
// section: every field the Basic section does not cover, grouped by stage in collapsible boxes.
// Edits become overrides (only values that differ from the preset's); a text that does not parse
// is kept in the field with its error and blocks Run (Settings.invalid).
import { LORA_DEFAULTS } from '../../model/lora-config';
import { resolveChainsConfig } from '../../tasks/chains/config';
import { presetConfig, resolveIntConfig } from '../../int/config';
import { CONFIG_FIELDS, humanKey, type ConfigField } from '../config-help';
import { el } from '../dom';
import { formatValue, parseValue } from '../fields';
import type { SetupProblem } from '../setup-check';
import type { Settings } from '../state';

/** Fields with their own controls in the Basic section. */
export const BASIC_PATHS: readonly string[] = ['model', 'seed', 'arms', 'data.task', 'data.dataset', 'data.testFraction', 'data.splitSeed', 'data.chains.counts'];

/** The Advanced section's groups, in page order: a title, what the group is for, and its fields
 *  (by path prefix; the first group that matches takes a field). */
export const GROUPS: ReadonlyArray<{ id: string; title: string; about: string; prefixes: readonly string[] }> = [
  { id: 'data', title: 'Data and problems', about: 'Prompt style, problem caps and the chains world\'s generator.', prefixes: ['data.'] },
  { id: 'rollouts', title: 'Rollouts and the training pool', about: 'Attempts sampled on the training problems, and the pool of problems the base model never solves.', prefixes: ['rollouts.'] },
  { id: 'interventions', title: 'Interventions: propose, filter, check', about: 'The model as verifier proposes a corrected step for each failed attempt; filters keep the usable ones.', prefixes: ['propose.', 'filter.', 'continuation.'] },
  { id: 'finetune', title: 'What is trained (LoRA)', about: 'A LoRA adapter on the frozen base model, or every weight; how the base weights are stored.', prefixes: ['finetune', 'modelDtype', 'lora.'] },
  { id: 'sft', title: 'SFT', about: 'Supervised fine-tuning on each arm\'s SFT rows.', prefixes: ['sft.'] },
  { id: 'rl', title: 'RL (GRPO)', about: 'Outcome-reward RL; every arm with RL gets the same budget.', prefixes: ['rl.', 'hint.'] },
  { id: 'eval', title: 'Held-out evaluation', about: 'Samples per test problem, pass@k and the bootstrap intervals.', prefixes: ['eval.'] },
];

/** The group of a field path, or 'basic'; null when no group takes it. */
export function groupOf(path: string): string | null {
  if (BASIC_PATHS.includes(path)) return 'basic';
  return GROUPS.find((g) => g.prefixes.some((p) => (p.endsWith('.') ? path.startsWith(p) : path === p)))?.id ?? null;
}

type Tree = Record<string, unknown>;

export function getAt(o: unknown, path: string): unknown {
  let v = o;
  for (const k of path.split('.')) v = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Tree)[k] : undefined;
  return v;
}

/** Set (or with undefined, delete) a value; parents are created, and emptied ones removed. */
export function setAt(o: Tree, path: string, value: unknown): void {
  const keys = path.split('.');
  const chain: Tree[] = [o];
  let cur = o;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null || Array.isArray(cur[k])) {
      if (value === undefined) return;
      cur[k] = {};
    }
    cur = cur[k] as Tree;
    chain.push(cur);
  }
  const last = keys[keys.length - 1];
  if (value !== undefined) return void (cur[last] = value);
  delete cur[last];
  for (let i = chain.length - 1; i > 0; i--) if (Object.keys(chain[i]).length === 0) delete chain[i - 1][keys[i - 1]];
}

/** Every field's value as a tree: LoRA fields over LORA_DEFAULTS, the chains world resolved. */
function fullTree(c: ReturnType<typeof resolveIntConfig>): Tree {
  const chains = resolveChainsConfig({ ...c.data.chains, style: undefined });
  return { ...c, lora: { ...LORA_DEFAULTS, ...c.lora }, data: { ...c.data, chains } };
}

/** The library defaults and the preset's values of every field. */
export function valueTrees(preset: string): { defaults: Tree; preset: Tree } {
  return { defaults: fullTree(resolveIntConfig({})), preset: fullTree(presetConfig(preset)) };
}

export interface FieldContext {
  settings: Settings;
  defaults: Tree;
  preset: Tree;
  /** After every edit: validate, update the URL. */
  changed(): void;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const shown = (v: unknown) => (typeof v === 'string' ? v : v === null ? 'null' : Array.isArray(v) && v.every((x) => typeof x !== 'object') ? v.join(', ') : JSON.stringify(v));

/** An element that shows the problems of `path` (and of its sub-paths) after each validation. */
export function errorSpot(path: string): HTMLElement {
  return el('p', { cls: 'field-error', attrs: { 'data-error-for': path, id: `err-${path}`, 'aria-live': 'polite' } });
}

/** One field: label, input, default and preset value, help, problems. */
export function fieldRow(ctx: FieldContext, f: ConfigField): HTMLElement {
  const s = ctx.settings;
  const path = f.path;
  const base = getAt(ctx.preset, path);
  const def = getAt(ctx.defaults, path);
  const over = getAt(s.overrides, path);
  const id = `cfg-${path}`;
  const describedBy = `help-${path} err-${path}`;
  let input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  const k = f.kind;
  if (k.kind === 'boolean') {
    input = el('input', { attrs: { type: 'checkbox', id, 'data-path': path, 'aria-describedby': describedBy } });
    input.checked = (over ?? base) === true;
  } else if (k.kind === 'choice') {
    input = el('select', { attrs: { id, 'data-path': path, 'aria-describedby': describedBy } });
    for (const o of k.options) input.append(el('option', { text: o, attrs: { value: o } }));
    input.value = String(over ?? base);
  } else {
    const text = s.invalid[path]?.text ?? formatValue(k, over === undefined ? base : over);
    input = k.kind === 'json'
      ? el('textarea', { attrs: { id, 'data-path': path, rows: '3', spellcheck: 'false', 'aria-describedby': describedBy } })
      : el('input', { attrs: { type: 'text', id, 'data-path': path, inputmode: k.kind === 'number' ? 'decimal' : 'text', spellcheck: 'false', 'aria-describedby': describedBy } });
    input.value = text;
  }
  const defText = el('span', { cls: 'default' });
  const row = el('div', { cls: 'field', attrs: { 'data-field': path } });
  const reset = el('button', { cls: 'reset', text: 'reset', attrs: { type: 'button', title: 'back to the preset\'s value' } });
  const mark = () => {
    const changed = getAt(s.overrides, path) !== undefined || s.invalid[path] !== undefined;
    row.classList.toggle('changed', changed);
    reset.hidden = !changed;
    defText.textContent = `default ${shown(def)}${same(def, base) ? '' : ` · preset ${shown(base)}`}`;
  };
  reset.addEventListener('click', () => {
    delete s.invalid[path];
    setAt(s.overrides as Tree, path, undefined);
    if (input instanceof HTMLInputElement && input.type === 'checkbox') input.checked = base === true;
    else input.value = k.kind === 'choice' ? String(base) : formatValue(k, base);
    mark();
    ctx.changed();
  });
  input.addEventListener('change', () => {
    const text = input instanceof HTMLInputElement && input.type === 'checkbox' ? String(input.checked) : input.value;
    const r = parseValue(k, text, formatValue(k, base));
    if (!r.ok) s.invalid[path] = { text, error: r.error };
    else {
      delete s.invalid[path];
      setAt(s.overrides as Tree, path, same(r.value, base) ? undefined : r.value);
    }
    mark();
    ctx.changed();
  });
  mark();
  const key = path.split('.').pop() ?? path;
  row.append(
    el('label', { attrs: { for: id } }, el('span', { cls: 'name', text: humanKey(key) }), ' ', el('code', { cls: 'key', text: path })),
    el('div', { cls: 'control' }, input, ' ', defText, ' ', reset),
    el('p', { cls: 'help', text: f.help, attrs: { id: `help-${path}` } }),
    errorSpot(path),
  );
  return row;
}

/** The Advanced section: every non-basic field in its group. */
export function advancedSection(ctx: FieldContext): HTMLElement {
  const root = el('section', { cls: 'advanced config-editor', attrs: { 'data-testid': 'advanced' } });
  root.append(
    el('h3', { text: 'Advanced' }),
    el('p', { cls: 'note', text: 'Every other setting, grouped by stage. Each help text is the config\'s own documentation; "default" is the library\'s value and "preset" the chosen preset\'s. Changed fields are marked; a group with a problem opens.' }),
  );
  for (const g of GROUPS) {
    const fields = CONFIG_FIELDS.filter((f) => groupOf(f.path) === g.id);
    const box = el('details', { cls: 'group', attrs: { 'data-group': g.id } });
    const count = el('span', { cls: 'count' });
    box.append(el('summary', {}, el('span', { cls: 'title', text: g.title }), ' ', count), el('p', { cls: 'note', text: g.about }));
    let section = '';
    for (const f of fields) {
      const parent = f.path.split('.').slice(0, -1).join('.');
      if (parent !== section && parent.includes('.')) box.append(el('h4', { text: parent }));
      section = parent;
      box.append(fieldRow(ctx, f));
    }
    root.append(box);
  }
  return root;
}

/** Show each problem beside its field (and sub-fields), mark the inputs, count changes and
 *  problems per group and open a group that has one. */
export function showFieldProblems(root: HTMLElement, problems: readonly SetupProblem[]): void {
  for (const spot of root.querySelectorAll<HTMLElement>('[data-error-for]')) {
    const p = spot.dataset.errorFor!;
    const mine = problems.filter((q) => q.path !== null && (q.path === p || q.path.startsWith(`${p}.`)));
    spot.textContent = mine.map((q) => q.message).join('\n');
    spot.closest('.field')?.classList.toggle('invalid', mine.length > 0);
    const input = spot.closest('.field')?.querySelector('[data-path]');
    if (input) input.setAttribute('aria-invalid', String(mine.length > 0));
  }
  for (const g of root.querySelectorAll<HTMLDetailsElement>('details.group')) {
    const bad = g.querySelectorAll('.field.invalid').length;
    const changed = g.querySelectorAll('.field.changed').length;
    const total = g.querySelectorAll('.field').length;
    g.querySelector('.count')!.textContent = `${total} settings${changed ? ` · ${changed} changed` : ''}${bad ? ` · ${bad} with a problem` : ''}`;
    g.classList.toggle('has-problem', bad > 0);
    if (bad > 0) g.open = true;
  }
}
