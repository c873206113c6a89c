// The config-validation kit every resolver uses: ConfigError (all problems at once, one line each
// with its fix), field checks that push a problem and return the value, unknown-key detection with
// "did you mean", nested() to lift a sub-resolver's problems under a prefix, and defined().

/** A config with one or more bad fields; `problems` holds one line per field, each with its fix. */
export class ConfigError extends Error {
  constructor(
    readonly what: string,
    readonly problems: string[],
  ) {
    super(`invalid ${what} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** The problems found so far; every check appends to it. */
export type Problems = string[];

/** Throw a ConfigError for `what` when any problem was found. */
export function throwIfProblems(what: string, p: Problems): void {
  if (p.length) throw new ConfigError(what, p);
}

/** A plain object (not null, not an array). */
export const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value as it appears in a problem line: strings quoted, numbers as written (NaN, Infinity). */
export function fmt(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'bigint' || v === undefined) return String(v);
  if (v instanceof RegExp) return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Copy without the keys whose value is undefined (so they fall back to the defaults). */
export function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ---- field checks: each pushes `name (value) must be <rule>: <fix>` and returns the value ----

/** Push a problem unless `ok`. The most general check; the others are built on it. */
export function check(p: Problems, name: string, v: unknown, ok: boolean, rule: string, fix: string): void {
  if (!ok) p.push(`${name} (${fmt(v)}) must be ${rule}${fix ? `: ${fix}` : ''}`);
}

/** A number (not NaN) for which `ok` holds. */
export function num(p: Problems, name: string, v: unknown, ok: (x: number) => boolean, rule: string, fix: string): number {
  check(p, name, v, typeof v === 'number' && !Number.isNaN(v) && ok(v), rule, fix);
  return v as number;
}

/** Bounds of inRange: a bound left out is unbounded; minOpen / maxOpen exclude the bound itself. */
export interface Range {
  min?: number;
  max?: number;
  /** Exclude min (x > min). */
  minOpen?: boolean;
  /** Exclude max (x < max). */
  maxOpen?: boolean;
}

/** "in [0, 1)", "a finite number >= 0", "a finite number > 0" ... */
export function rangeRule(r: Range): string {
  const { min, max, minOpen, maxOpen } = r;
  if (min !== undefined && max !== undefined) return `in ${minOpen ? '(' : '['}${min}, ${max}${maxOpen ? ')' : ']'}`;
  if (min !== undefined) return `a finite number ${minOpen ? '>' : '>='} ${min}`;
  if (max !== undefined) return `a finite number ${maxOpen ? '<' : '<='} ${max}`;
  return 'a finite number';
}

const inside = (x: number, r: Range) =>
  Number.isFinite(x) &&
  (r.min === undefined || (r.minOpen ? x > r.min : x >= r.min)) &&
  (r.max === undefined || (r.maxOpen ? x < r.max : x <= r.max));

/** A finite number in the range (see Range). */
export function inRange(p: Problems, name: string, v: unknown, r: Range, fix: string): number {
  return num(p, name, v, (x) => inside(x, r), rangeRule(r), fix);
}

/** A safe integer >= min. */
export function int(p: Problems, name: string, v: unknown, min: number, fix: string): number {
  return num(p, name, v, (x) => Number.isSafeInteger(x) && x >= min, `an integer >= ${min}`, fix);
}

/** null, or a safe integer >= min. */
export function intOrNull(p: Problems, name: string, v: unknown, min: number, fix: string): number | null {
  check(p, name, v, v === null || (typeof v === 'number' && Number.isSafeInteger(v) && v >= min), `null or an integer >= ${min}`, fix);
  return v as number | null;
}

/** null, or a finite number in the range. */
export function inRangeOrNull(p: Problems, name: string, v: unknown, r: Range, fix: string): number | null {
  check(p, name, v, v === null || (typeof v === 'number' && inside(v, r)), `null or ${rangeRule(r)}`, fix);
  return v as number | null;
}

/** One of the listed strings. */
export function oneOf<T extends string>(p: Problems, name: string, v: unknown, options: readonly T[], fix: string): T {
  check(p, name, v, typeof v === 'string' && options.includes(v as T), `one of ${options.map((o) => `"${o}"`).join(', ')}`, fix);
  return v as T;
}

/** true or false. */
export function bool(p: Problems, name: string, v: unknown, fix = ''): boolean {
  check(p, name, v, typeof v === 'boolean', 'true or false', fix);
  return v as boolean;
}

/** A string (non-empty after trimming unless `allowEmpty`). */
export function str(p: Problems, name: string, v: unknown, fix: string, allowEmpty = false): string {
  check(p, name, v, typeof v === 'string' && (allowEmpty || v.trim() !== ''), allowEmpty ? 'a string' : 'a non-empty string', fix);
  return v as string;
}

/** null, or a non-empty string. */
export function strOrNull(p: Problems, name: string, v: unknown, fix: string): string | null {
  check(p, name, v, v === null || (typeof v === 'string' && v.trim() !== ''), 'null or a non-empty string', fix);
  return v as string | null;
}

/** An array whose every item passes `item` (described by `rule`, e.g. "integers >= 1");
 *  non-empty unless `allowEmpty`. */
export function list<T>(p: Problems, name: string, v: unknown, item: (x: unknown) => boolean, rule: string, fix: string, allowEmpty = false): T[] {
  const ok = Array.isArray(v) && (allowEmpty || v.length > 0) && v.every(item);
  check(p, name, v, ok, `${allowEmpty ? 'a list' : 'a non-empty list'} of ${rule}`, fix);
  return v as T[];
}

/** A plain object (a section of fields); returns it, or {} after a problem. */
export function section(p: Problems, name: string, v: unknown, fix: string): Record<string, unknown> {
  check(p, name, v, isPlain(v), 'an object', fix);
  return isPlain(v) ? v : {};
}

// ---- unknown keys and "did you mean" ----

/** snake_case / kebab-case spelled in camelCase: "num_generations" -> "numGenerations". */
export function camel(s: string): string {
  return s.replace(/[_-]+([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
}

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

/** The known name a misspelling most likely means: its camelCase spelling (any case), else the
 *  closest name within an edit distance of 1 (short names) to 3 (names of 9+ characters). */
export function didYouMean(bad: string, known: readonly string[]): string | undefined {
  const c = camel(bad).toLowerCase();
  const exact = known.find((k) => k.toLowerCase() === c);
  if (exact !== undefined) return exact;
  const limit = bad.length <= 4 ? 1 : bad.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(bad.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= limit ? best : undefined;
}

/** Push "<prefix><key> is not a field: did you mean <prefix><known>?" (or the list of known
 *  fields) for every key of `input` not in `known`; `hints` gives a fixed message for keys we
 *  know a reason to refuse (e.g. a PEFT spelling we do not support). Non-objects are ignored. */
export function unknownKeys(p: Problems, prefix: string, input: unknown, known: readonly string[], hints: Readonly<Record<string, string>> = {}): void {
  if (!isPlain(input)) return;
  for (const k of Object.keys(input)) {
    if (known.includes(k)) continue;
    if (Object.hasOwn(hints, k)) {
      p.push(`${prefix}${k} is not a field: ${hints[k]}`);
      continue;
    }
    const hint = didYouMean(k, known);
    p.push(`${prefix}${k} is not a field${hint !== undefined ? `: did you mean ${prefix}${hint}?` : `; known fields: ${known.join(', ')}`}`);
  }
}

/** Run a sub-resolver and move its ConfigError problems into `p` under `prefix` (e.g. "rl.");
 *  returns its result, or undefined when it found problems. Other errors pass through. */
export function nested<T>(p: Problems, prefix: string, f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const q of e.problems) p.push(`${prefix}${q}`);
      return undefined;
    }
    throw e;
  }
}
