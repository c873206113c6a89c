// Typed dataset-import config with documented defaults, validation whose messages say how to
// fix a bad value, and the hash-based train/test split. Column names match ignoring case, spaces, "_", "-".

import type { Split } from '../../tasks/task';

export type DatasetFormat = 'csv' | 'tsv' | 'jsonl' | 'json' | 'parquet';

/** Which Problem field is read from which column. Each entry is a column name or a list of
 *  candidates tried in order; a dotted name reads inside a struct ("reward_model.ground_truth"). */
export interface FieldMap {
  id: string | string[];
  problem: string | string[];
  answer: string | string[];
  reference: string | string[];
  difficulty: string | string[];
  category: string | string[];
}

export type FieldName = keyof FieldMap;

/** Known dataset layouts recognised from their columns. */
export type Preset = 'imo-answerbench';

export interface ImportConfig {
  /** File format; 'auto' detects from the name's extension, then from the content. Default 'auto'. */
  format: DatasetFormat | 'auto';
  /** Dataset name: used in generated ids ("<name>-00042") and stats. Default: from the file name, else 'dataset'. */
  name: string;
  /** Column mapping; entries given here replace the defaults for that field. Default DEFAULT_FIELDS. */
  fields: FieldMap;
  /** 'auto' (default) recognises known layouts (IMO-AnswerBench) from the header; 'none' never does. */
  preset: Preset | 'auto' | 'none';
  /** Fraction of problems assigned to the test split by a hash of the id, in [0, 1). Default 0.2. */
  testFraction: number;
  /** Seed of the split hash; change it for a different train/test partition. Default 0. */
  seed: number;
  /** A row with the same id as an earlier row: 'skip' it and report an error (default), or
   *  'rename' it to "<id>#2", "<id>#3"... and report a warning. */
  duplicateIds: 'skip' | 'rename';
  /** An empty answer is a row error (default true). Turn off for unlabeled problem sets. */
  requireAnswer: boolean;
  /** A missing or empty reference solution is a row error. Default false. */
  requireReference: boolean;
  /** Stop after this many data rows (malformed rows count). Default Infinity. */
  maxRows: number;
  /** CSV only: delimiter (default ',' and '\t' for .tsv) and record-start pattern (see CsvOptions). */
  csv: { delimiter?: string; recordStart?: RegExp | 'infer' | null };
  /** Hugging Face endpoints and token, used for { hf } sources and hub URLs. */
  hf: { endpoint?: string; datasetsServer?: string; token?: string; config?: string; split?: string; revision?: string };
  /** fetch implementation for URL sources. Default globalThis.fetch. */
  fetch?: typeof fetch;
}

export const DEFAULT_FIELDS: FieldMap = {
  id: ['id', 'problem_id', 'uid', 'unique_id', 'qid', 'idx', 'index'],
  problem: ['problem', 'question', 'statement', 'prompt', 'query', 'input'],
  answer: ['answer', 'short_answer', 'final_answer', 'gold', 'ground_truth', 'reward_model.ground_truth', 'expected_answer', 'target'],
  reference: ['solution', 'reference', 'reference_solution', 'rationale', 'explanation', 'reasoning'],
  difficulty: ['difficulty', 'level'],
  category: ['category', 'type', 'subject', 'topic', 'domain'],
};

export const DEFAULT_IMPORT_CONFIG: ImportConfig = {
  format: 'auto',
  name: '',
  fields: DEFAULT_FIELDS,
  preset: 'auto',
  testFraction: 0.2,
  seed: 0,
  duplicateIds: 'skip',
  requireAnswer: true,
  requireReference: false,
  maxRows: Infinity,
  csv: {},
  hf: {},
};

/** IMO-AnswerBench: `Problem ID, Problem, Short Answer, Category, Subcategory, Source`. */
export const IMO_ANSWERBENCH = {
  columns: ['Problem ID', 'Problem', 'Short Answer', 'Category', 'Subcategory', 'Source'],
  fields: { id: 'Problem ID', problem: 'Problem', answer: 'Short Answer', reference: [], difficulty: 'Category', category: 'Category' } as FieldMap,
  /** Every record starts with an id such as "imo-bench-number_theory-012,". */
  recordStart: /"?imo-bench-[a-z_]+-\d+"?,/,
  name: 'imo-answerbench',
};

export class ImportConfigError extends Error {
  override name = 'ImportConfigError';
}

/** Key used to compare column names: lower case without spaces, '_' or '-'. */
export const columnKey = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, '');

function editDistance(a: string, b: string): number {
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

const suggest = (bad: string, known: readonly string[]) => {
  const best = known.map((k) => [k, editDistance(bad.toLowerCase(), k.toLowerCase())] as const).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= 3 ? ` Did you mean "${best[0]}"?` : ` Known options: ${known.join(', ')}.`;
};

const FORMATS: readonly string[] = ['auto', 'csv', 'tsv', 'jsonl', 'json', 'parquet'];

/** Merge user options over the defaults and validate; throws ImportConfigError with a fix. */
export function resolveImportConfig(options: Partial<Omit<ImportConfig, 'fields'>> & { fields?: Partial<FieldMap> } = {}): ImportConfig {
  const known = Object.keys(DEFAULT_IMPORT_CONFIG).concat('fetch');
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) throw new ImportConfigError(`unknown import option "${k}".${suggest(k, known)}`);
  }
  const fieldNames = Object.keys(DEFAULT_FIELDS);
  for (const [k, v] of Object.entries(options.fields ?? {})) {
    if (!fieldNames.includes(k)) throw new ImportConfigError(`unknown field "${k}" in options.fields.${suggest(k, fieldNames)}`);
    const ok = typeof v === 'string' ? v.length > 0 : Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0);
    if (!ok) throw new ImportConfigError(`options.fields.${k} must be a column name or a list of candidate names; got ${JSON.stringify(v)}.`);
  }
  const cfg: ImportConfig = {
    ...DEFAULT_IMPORT_CONFIG,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    fields: { ...DEFAULT_FIELDS, ...(options.fields ?? {}) } as FieldMap,
    csv: { ...(options.csv ?? {}) },
    hf: { ...(options.hf ?? {}) },
  };
  if (!FORMATS.includes(cfg.format)) {
    throw new ImportConfigError(`format "${cfg.format}" is not supported.${suggest(String(cfg.format), FORMATS)}`);
  }
  if (!['auto', 'none', 'imo-answerbench'].includes(cfg.preset)) {
    throw new ImportConfigError(`preset "${cfg.preset}" is unknown; use 'auto', 'none' or 'imo-answerbench'.`);
  }
  if (!(Number.isFinite(cfg.testFraction) && cfg.testFraction >= 0 && cfg.testFraction < 1)) {
    throw new ImportConfigError(`testFraction must be a number in [0, 1); got ${cfg.testFraction}. Use e.g. 0.2 to hold out 20% of problems.`);
  }
  if (!Number.isInteger(cfg.seed)) throw new ImportConfigError(`seed must be an integer; got ${cfg.seed}.`);
  if (cfg.duplicateIds !== 'skip' && cfg.duplicateIds !== 'rename') {
    throw new ImportConfigError(`duplicateIds must be 'skip' or 'rename'; got ${JSON.stringify(cfg.duplicateIds)}.`);
  }
  if (!(cfg.maxRows === Infinity || (Number.isInteger(cfg.maxRows) && cfg.maxRows > 0))) {
    throw new ImportConfigError(`maxRows must be a positive integer (or Infinity for all rows); got ${cfg.maxRows}.`);
  }
  const d = cfg.csv.delimiter;
  if (d !== undefined && (d.length !== 1 || d === '"' || d === '\n' || d === '\r')) {
    throw new ImportConfigError(`csv.delimiter must be a single character other than a quote or line break; got ${JSON.stringify(d)}. Use ',' or '\\t'.`);
  }
  if (typeof cfg.name !== 'string') throw new ImportConfigError(`name must be a string; got ${JSON.stringify(cfg.name)}.`);
  return cfg;
}

/** Candidate column names for a field as a list. */
export const candidates = (v: string | string[]): string[] => (typeof v === 'string' ? [v] : v);

/** Deterministic split of an id: a 32-bit hash of (seed, id) mapped to [0, 1), test when below
 *  testFraction. Stable across runs, platforms and dataset order. */
export function assignSplit(id: string, testFraction: number, seed = 0): Split {
  let h = 0x811c9dc5;
  const s = `${seed}:${id}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche so nearby ids spread evenly.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32 < testFraction ? 'test' : 'train';
}
