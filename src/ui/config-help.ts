// Help for every config field, read from the typed configs' own doc comments: the config sources
// are bundled as text (Vite `?raw`) and their interfaces parsed here, so each field's help, type
// and stated default live once, beside the field in the config. CONFIG_FIELDS is the field list
// the setup view edits: every leaf reached from IntConfig, with its dotted path.
import intSrc from '../int/config.ts?raw';
import trainSrc from '../train/config.ts?raw';
import loraSrc from '../model/lora-config.ts?raw';
import samplingSrc from '../model/sampling.ts?raw';
import chainsSrc from '../tasks/chains/config.ts?raw';

/** One field of a parsed interface. */
interface ParsedField {
  doc: string;
  type: string;
}

interface ParsedInterface {
  extends: string[];
  fields: Map<string, ParsedField>;
}

/** The text of a doc comment without its markers and leading stars, as one line. */
function docText(lines: string[]): string {
  return lines
    .join('\n')
    .replace(/^\s*\/\*\*/, '')
    .replace(/\*\/\s*$/, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s?/, '').trim())
    .filter(Boolean)
    .join(' ')
    .trim();
}

/** Every `export interface` of a source with its documented fields (a field's doc is the doc
 *  comment right above it; a field without one gets ''). */
export function parseInterfaces(src: string): Map<string, ParsedInterface> {
  const out = new Map<string, ParsedInterface>();
  const lines = src.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /^export interface (\w+)(?:<[^>]*>)?(?: extends ([\w<>, ]+))? \{\s*$/.exec(lines[i]);
    if (!head) continue;
    const fields = new Map<string, ParsedField>();
    let doc: string[] | null = null;
    let open: string[] | null = null;
    for (i++; i < lines.length && !/^\}/.test(lines[i]); i++) {
      const l = lines[i];
      if (open) {
        open.push(l);
        if (l.includes('*/')) (doc = open), (open = null);
        continue;
      }
      if (/^\s*\/\*\*/.test(l)) {
        if (l.includes('*/')) doc = [l];
        else open = [l];
        continue;
      }
      const f = /^\s{2}(\w+)\??:\s*(.+?);\s*(?:\/\/.*)?$/.exec(l);
      if (f) fields.set(f[1], { doc: doc ? docText(doc) : '', type: f[2] });
      doc = null;
    }
    out.set(head[1], { extends: head[2] ? head[2].split(',').map((s) => s.trim()) : [], fields });
  }
  return out;
}

/** `export type X = 'a' | 'b';` aliases of string-literal unions: name -> the literals. */
export function parseLiteralAliases(src: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of src.matchAll(/^export type (\w+) = ((?:'[^']*'\s*\|?\s*)+);/gm)) out.set(m[1], literals(m[2]) ?? []);
  return out;
}

/** The literals of a type like `'a' | 'b'`, or null when it is not a union of string literals. */
function literals(type: string): string[] | null {
  const parts = type.split('|').map((s) => s.trim());
  return parts.every((p) => /^'[^']*'$/.test(p)) ? parts.map((p) => p.slice(1, -1)) : null;
}

const SOURCES = [intSrc, trainSrc, loraSrc, samplingSrc, chainsSrc];
const INTERFACES = new Map<string, ParsedInterface>();
const ALIASES = new Map<string, string[]>();
for (const s of SOURCES) {
  for (const [k, v] of parseInterfaces(s)) INTERFACES.set(k, v);
  for (const [k, v] of parseLiteralAliases(s)) ALIASES.set(k, v);
}

/** How a field's text is read. */
export type FieldKind =
  | { kind: 'number'; nullable: boolean }
  | { kind: 'boolean' }
  | { kind: 'string'; nullable: boolean }
  | { kind: 'choice'; options: string[] }
  | { kind: 'numbers' }
  | { kind: 'strings' }
  | { kind: 'json' };

export interface ConfigField {
  /** Dotted path in the config, e.g. "lora.rank". */
  path: string;
  /** The field's doc comment (its help). */
  help: string;
  /** The TypeScript type as written. */
  type: string;
  kind: FieldKind;
}

/** Interface of a field type (Partial<X>, Readonly<X> and XInput resolve to X), or null for a leaf. */
function nestedInterface(type: string): string | null {
  const t = type.replace(/^(?:Partial|Readonly)<(\w+)>$/, '$1');
  if (!/^\w+$/.test(t)) return null;
  const base = t.replace(/Input$/, '');
  return INTERFACES.has(base) ? base : INTERFACES.has(t) ? t : null;
}

function kindOf(type: string): FieldKind {
  const nullable = /\|\s*null$/.test(type);
  const t = type.replace(/\s*\|\s*null$/, '');
  if (t === 'number') return { kind: 'number', nullable };
  if (t === 'boolean') return { kind: 'boolean' };
  if (t === 'string') return { kind: 'string', nullable };
  const lits = literals(t) ?? ALIASES.get(t);
  if (lits && !nullable) return { kind: 'choice', options: lits };
  if (t === 'number[]') return { kind: 'numbers' };
  // lists of names (ArmId[], LinearModule[]); lists of objects (TierSpec[]) are edited as JSON
  if (/^\w+\[\]$/.test(t) && !INTERFACES.has(t.slice(0, -2))) return { kind: 'strings' };
  return { kind: 'json' };
}

/** Every field reachable from `root`, depth first in declaration order (inherited fields first). */
function walk(root: string, prefix: string, out: ConfigField[]): void {
  const it = INTERFACES.get(root);
  if (!it) throw new Error(`config help: interface ${root} was not found in the config sources`);
  for (const base of it.extends) walk(base, prefix, out);
  for (const [name, f] of it.fields) {
    const path = `${prefix}${name}`;
    const nested = nestedInterface(f.type);
    if (nested) walk(nested, `${path}.`, out);
    else out.push({ path, help: f.doc, type: f.type, kind: kindOf(f.type) });
  }
}

function buildFields(): ConfigField[] {
  const out: ConfigField[] = [];
  walk('IntConfig', '', out);
  // the chains config's own `style` is refused inside an InT config (data.style sets it)
  return out.filter((f) => !UNEDITABLE[f.path]);
}

/** Leaves of the typed configs that are not settings, each with why. */
export const UNEDITABLE: Readonly<Record<string, string>> = {
  'sft.kind': 'the SFT config\'s fixed tag',
  'rl.kind': 'the RL config\'s fixed tag (rl.lossType picks the variant)',
  'data.chains.style': 'refused inside an InT config: data.style sets the chains prompt style',
};

/** Every editable config field, with its help. */
export const CONFIG_FIELDS: readonly ConfigField[] = buildFields();
const BY_PATH = new Map(CONFIG_FIELDS.map((f) => [f.path, f]));

/** The field of a dotted path, or undefined. */
export function configField(path: string): ConfigField | undefined {
  return BY_PATH.get(path);
}

/** The field a validator problem line is about: the longest field path the line starts with
 *  ("lora.rank (0) must be ..." -> lora.rank; "data.chains.tiers.easy.steps ..." -> data.chains.tiers). */
export function fieldOfProblem(line: string): string | null {
  let best: string | null = null;
  for (const f of CONFIG_FIELDS) {
    const p = f.path;
    if (line.startsWith(p) && /^[ .([=]|$/.test(line.slice(p.length, p.length + 1)) && (!best || p.length > best.length)) best = p;
  }
  return best;
}

/** "maxNewTokens" -> "max new tokens". */
export function humanKey(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1 $2')
    .toLowerCase();
}
