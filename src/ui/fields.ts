// Reading and writing the text of one setup field by its kind (config-help.ts): a number, a
// number or null, a list, JSON. A text that does not parse gives an error naming the problem and
// the fix; it never falls back to an older value.
import type { FieldKind } from './config-help';

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

const ok = (value: unknown): Parsed => ({ ok: true, value });
const bad = (error: string): Parsed => ({ ok: false, error });

/** A value as the field shows it. */
export function formatValue(kind: FieldKind, v: unknown): string {
  if (v === null || v === undefined) return kind.kind === 'json' ? 'null' : '';
  if (kind.kind === 'numbers' || kind.kind === 'strings') return Array.isArray(v) ? v.join(', ') : JSON.stringify(v);
  if (kind.kind === 'json') return JSON.stringify(v);
  return String(v);
}

/** `text` read as the field's kind; `example` (the default's text) goes into the fix. */
export function parseValue(kind: FieldKind, text: string, example = ''): Parsed {
  const t = text.trim();
  const eg = example ? `, e.g. ${example}` : '';
  switch (kind.kind) {
    case 'number': {
      if (t === '' || t === 'null') return kind.nullable ? ok(null) : bad(`empty: type a number${eg}`);
      const n = Number(t);
      if (!Number.isFinite(n)) return bad(`"${t}" is not a number: type digits${kind.nullable ? ' (or leave it empty for none)' : ''}${eg}`);
      return ok(n);
    }
    case 'boolean':
      if (t === 'true' || t === 'false') return ok(t === 'true');
      return bad(`"${t}" is not true or false`);
    case 'string':
      return t === '' && kind.nullable ? ok(null) : ok(t);
    case 'choice':
      return kind.options.includes(t) ? ok(t) : bad(`"${t}" is not one of ${kind.options.join(', ')}`);
    case 'numbers': {
      const parts = t.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean);
      if (parts.length === 0) return bad(`empty: list numbers separated by commas${eg}`);
      const nums = parts.map(Number);
      const wrong = parts.filter((_, i) => !Number.isFinite(nums[i]));
      return wrong.length ? bad(`${wrong.map((w) => `"${w}"`).join(', ')} ${wrong.length === 1 ? 'is not a number' : 'are not numbers'}: list numbers separated by commas${eg}`) : ok(nums);
    }
    case 'strings': {
      const parts = t.replace(/^\[|\]$/g, '').split(/[\s,]+/).map((s) => s.replace(/^["']|["']$/g, '')).filter(Boolean);
      return parts.length === 0 ? bad(`empty: list names separated by commas${eg}`) : ok(parts);
    }
    case 'json':
      try {
        return ok(JSON.parse(t));
      } catch (e) {
        return bad(`not valid JSON (${(e as Error).message}): keep the shape of the default`);
      }
  }
}

/** A Hugging Face model id ("owner/name", letters, digits, - _ .), or the problem with it. */
export function checkHubId(id: string): string | null {
  const t = id.trim();
  if (t === '') return 'the Hugging Face model id is empty: type one such as Qwen/Qwen3-0.6B';
  if (!/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(t) || /\.\.|--/.test(t)) return `"${t}" is not a Hugging Face model id: type owner/name, e.g. Qwen/Qwen3-0.6B`;
  return null;
}
