// Every setting of the resolved config as an input with its default beside it; edits become
// overrides (only the fields that differ from the preset's value).
import type { IntConfig } from '../../int/config';
import { el } from '../dom';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function getAt(o: Json, path: string[]): Json | undefined {
  let v: Json | undefined = o;
  for (const k of path) v = v !== null && typeof v === 'object' && !Array.isArray(v) ? v[k] : undefined;
  return v;
}

function setAt(o: Record<string, Json>, path: string[], value: Json | undefined): void {
  let cur = o;
  for (const k of path.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null || Array.isArray(cur[k])) cur[k] = {};
    cur = cur[k] as Record<string, Json>;
  }
  const last = path[path.length - 1];
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

/** Read an input's text as the type of the default (numbers, booleans, null, JSON for lists). */
function parseLeaf(text: string, def: Json): Json {
  const t = text.trim();
  if (typeof def === 'number') {
    const n = Number(t);
    if (t === '' || !Number.isFinite(n)) throw new Error(`"${text}" is not a number`);
    return n;
  }
  if (typeof def === 'string') return text;
  if (t === 'null') return null;
  if (def === null && /^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (def === null && !/^[[{"]/.test(t)) return t;
  return JSON.parse(t) as Json;
}

/**
 * Render the editor. `defaults` is the preset's resolved config, `overrides` the current edits
 * (mutated in place); `onChange` runs after every edit. Top-level keys in `skipTop` have their own
 * controls in the setup view (model choice, seed) and are left out.
 */
export function configEditor(defaults: IntConfig, overrides: Record<string, unknown>, onChange: () => void, skipTop: readonly string[] = ['model', 'seed']): HTMLElement {
  const root = el('div', { cls: 'config-editor' });
  const walk = (node: Json, path: string[], into: HTMLElement) => {
    if (node !== null && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).length > 0) {
      const fs = path.length === 0 ? into : el('fieldset', {}, el('legend', { text: path[path.length - 1] }));
      for (const [k, v] of Object.entries(node)) if (path.length > 0 || !skipTop.includes(k)) walk(v, [...path, k], fs);
      if (fs !== into) into.append(fs);
      return;
    }
    const key = path.join('.');
    const cur = getAt(overrides as Json, path);
    const shown = cur === undefined ? node : cur;
    const id = `cfg-${key}`;
    const label = el('label', { attrs: { for: id } }, el('span', { text: path[path.length - 1], cls: 'key' }));
    let input: HTMLInputElement | HTMLSelectElement;
    if (typeof node === 'boolean') {
      input = el('input', { attrs: { type: 'checkbox', id, 'data-path': key } });
      input.checked = shown as boolean;
    } else {
      input = el('input', { attrs: { type: 'text', id, 'data-path': key, size: '14' } });
      input.value = typeof shown === 'string' ? shown : JSON.stringify(shown);
    }
    const err = el('span', { cls: 'field-error' });
    input.addEventListener('change', () => {
      err.textContent = '';
      try {
        const v = input instanceof HTMLInputElement && input.type === 'checkbox' ? input.checked : parseLeaf(input.value, node);
        setAt(overrides as Record<string, Json>, path, JSON.stringify(v) === JSON.stringify(node) ? undefined : v);
        onChange();
      } catch (e) {
        err.textContent = `${(e as Error).message}; type a value like the default`;
      }
    });
    const def = el('span', { cls: 'default', text: `default ${typeof node === 'string' ? JSON.stringify(node) : JSON.stringify(node)}` });
    into.append(el('div', { cls: 'field' }, label, input, def, err));
  };
  walk(defaults as unknown as Json, [], root);
  return root;
}
