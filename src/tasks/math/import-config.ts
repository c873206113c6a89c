// Typed dataset-import config with documented defaults, validation that lists every bad option
// with its fix (src/util/config-kit.ts), and the hash-based train/test split. Column names match
// ignoring case, spaces, "_", "-".

import type { Split } from '../task';
import { bool, check, ConfigError, defined, fmt, inRange, isPlain, oneOf, unknownKeys, type Problems } from '../../util/config-kit';

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
  /** Refuse the whole file (a DatasetImportError listing them) when any row is skipped, instead
   *  of importing the others and reporting the skipped rows in `errors`. Default false. */
  strict: boolean;
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
  strict: false,
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

/** Bad import options: a ConfigError listing every bad option with its fix. */
export class ImportConfigError extends ConfigError {
  constructor(problems: string[]) {
    super('dataset import options', problems);
    this.name = 'ImportConfigError';
  }
}

/** Key used to compare column names: lower case without spaces, '_' or '-'. */
export const columnKey = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, '');

const FORMATS = ['auto', 'csv', 'tsv', 'jsonl', 'json', 'parquet'] as const;
const CSV_KEYS = ['delimiter', 'recordStart'] as const;
const HF_KEYS = ['endpoint', 'datasetsServer', 'token', 'config', 'split', 'revision'] as const;

/** Merge user options over the defaults and validate. Throws an ImportConfigError (a ConfigError)
 *  listing every bad option with its fix. */
export function resolveImportConfig(options: Partial<Omit<ImportConfig, 'fields'>> & { fields?: Partial<FieldMap> } = {}): ImportConfig {
  if (!isPlain(options as unknown)) throw new ImportConfigError([`the options (${fmt(options)}) must be an object (or be left out for the defaults)`]);
  const p: Problems = [];
  unknownKeys(p, '', options, [...Object.keys(DEFAULT_IMPORT_CONFIG), 'fetch']);
  const fieldNames = Object.keys(DEFAULT_FIELDS);
  unknownKeys(p, 'fields.', options.fields, fieldNames);
  for (const [k, v] of Object.entries(isPlain(options.fields) ? options.fields : {})) {
    if (!fieldNames.includes(k)) continue;
    const ok = typeof v === 'string' ? v.length > 0 : Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0);
    check(p, `fields.${k}`, v, ok, 'a column name or a list of candidate names', `e.g. ${JSON.stringify(DEFAULT_FIELDS[k as FieldName])}`);
  }
  unknownKeys(p, 'csv.', options.csv, CSV_KEYS);
  unknownKeys(p, 'hf.', options.hf, HF_KEYS);
  const cfg: ImportConfig = {
    ...DEFAULT_IMPORT_CONFIG,
    ...defined(options),
    fields: { ...DEFAULT_FIELDS, ...(options.fields ?? {}) } as FieldMap,
    csv: { ...(options.csv ?? {}) },
    hf: { ...(options.hf ?? {}) },
  };
  oneOf(p, 'format', cfg.format, FORMATS, "use 'auto' to detect it from the name and content");
  oneOf(p, 'preset', cfg.preset, ['auto', 'none', 'imo-answerbench'] as const, "use 'auto' to recognise known layouts, 'none' never to");
  inRange(p, 'testFraction', cfg.testFraction, { min: 0, max: 1, maxOpen: true }, 'use e.g. 0.2 to hold out 20% of problems');
  check(p, 'seed', cfg.seed, Number.isInteger(cfg.seed), 'an integer', 'use e.g. 0');
  oneOf(p, 'duplicateIds', cfg.duplicateIds, ['skip', 'rename'] as const, "use 'skip' (report and drop) or 'rename' (keep as <id>#2)");
  bool(p, 'requireAnswer', cfg.requireAnswer, 'false only for unlabeled problem sets');
  bool(p, 'requireReference', cfg.requireReference, 'use false unless every row has a reference solution');
  bool(p, 'strict', cfg.strict, 'true refuses a file with any skipped row; false imports the good rows and reports the others');
  check(p, 'maxRows', cfg.maxRows, cfg.maxRows === Infinity || (Number.isInteger(cfg.maxRows) && cfg.maxRows > 0), 'a positive integer (or Infinity for all rows)', 'leave it out for all rows');
  const d = cfg.csv.delimiter;
  check(p, 'csv.delimiter', d, d === undefined || (typeof d === 'string' && d.length === 1 && d !== '"' && d !== '\n' && d !== '\r'),
    'a single character other than a quote or line break', "use ',' or '\\t'");
  check(p, 'name', cfg.name, typeof cfg.name === 'string', 'a string', "use '' to take it from the file name");
  if (p.length) throw new ImportConfigError(p);
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
