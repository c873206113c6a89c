// Dataset import: one entry point, importDataset(source, options), that loads text/bytes/Blob/
// URL/Node path/Hugging Face sources, detects the format (CSV, TSV, JSONL, JSON, Parquet), maps
// columns to Problem fields and reports every bad row with its row and line numbers.

import type { Problem } from '../task';
import {
  IMO_ANSWERBENCH, assignSplit, candidates, columnKey, resolveImportConfig, DEFAULT_FIELDS,
  type DatasetFormat, type FieldMap, type FieldName, type ImportConfig, type Preset,
} from './import-config';
import { csvItems, parseCsv } from '../../io/datasets/csv';
import { fetchBytes, hfResolveUrl, listHfParquetFiles, parseHfFileRef, selectParquetFiles, HF_ENDPOINT } from '../../io/datasets/hf';
import { parseJsonArray, parseJsonl } from '../../io/datasets/jsonl';
import { isParquet, readParquet } from '../../io/datasets/parquet';

/** Where the data comes from. A plain string is the file's text (not a path or URL). */
export type DatasetSource =
  | string
  | Uint8Array
  | ArrayBuffer
  | Blob
  | URL
  | { text: string; name?: string }
  | { bytes: Uint8Array | ArrayBuffer; name?: string }
  | { url: string }
  | { path: string }
  | { hf: string; path?: string; revision?: string; config?: string; split?: string };

export type ImportOptions = Partial<Omit<ImportConfig, 'fields'>> & { fields?: Partial<FieldMap> };

/** A row that was skipped (errors) or imported with a doubt (warnings). */
export interface RowError {
  /** 1-based data row (header excluded; malformed rows counted). */
  row: number;
  /** 1-based line in the file where the row starts; null for formats without lines (Parquet, JSON array). */
  line: number | null;
  /** Last line of the skipped text when it spans several lines. */
  endLine?: number;
  /** The row's id when it could be read. */
  id?: string;
  reason: string;
}

export interface ImportStats {
  name: string;
  format: DatasetFormat;
  preset: Preset | null;
  /** Data rows seen, malformed ones included. */
  rows: number;
  imported: number;
  /** Rows skipped because of an error (errors.length). */
  skipped: number;
  duplicates: number;
  train: number;
  test: number;
  /** Columns found in the file. */
  columns: string[];
  /** The column each Problem field was read from (absent: not present / generated). */
  mapping: Partial<Record<FieldName, string>>;
  /** File-level remarks (format fallback, renamed duplicate header, ...). */
  notes: string[];
}

export interface ImportResult {
  problems: Problem[];
  errors: RowError[];
  warnings: RowError[];
  stats: ImportStats;
}

export { assignSplit };

export class DatasetImportError extends Error {
  override name = 'DatasetImportError';
}

// ---------------------------------------------------------------------------------------------
// Loading bytes and text

interface Loaded {
  name: string;
  bytes?: Uint8Array;
  text?: string;
  /** Pre-read rows (Hugging Face Parquet listings spanning several files). */
  table?: { rows: Record<string, unknown>[]; columns: string[] };
}

const baseName = (p: string) => p.split(/[?#]/)[0].split(/[\\/]/).pop() ?? '';

async function readNodeFile(path: string | URL): Promise<Uint8Array> {
  // Kept out of static imports so that the module bundles for the browser.
  const spec = 'node:fs/promises';
  let fs: typeof import('node:fs/promises');
  try {
    fs = (await import(/* @vite-ignore */ spec)) as typeof import('node:fs/promises');
  } catch {
    throw new DatasetImportError('reading a file path needs Node.js; in the browser pass a File/Blob, the text, or a URL.');
  }
  try {
    return new Uint8Array(await fs.readFile(path));
  } catch (e) {
    throw new DatasetImportError(`cannot read ${String(path)}: ${(e as Error).message}`);
  }
}

const isBlob = (x: unknown): x is Blob => typeof Blob !== 'undefined' && x instanceof Blob;

async function load(source: DatasetSource, cfg: ImportConfig): Promise<Loaded> {
  const hfOpts = { ...cfg.hf, fetch: cfg.fetch };
  if (typeof source === 'string') return { name: '', text: source };
  // Tag checks rather than instanceof, so buffers from another realm (worker, iframe) pass too.
  if (ArrayBuffer.isView(source)) return { name: '', bytes: new Uint8Array(source.buffer, source.byteOffset, source.byteLength) };
  if (Object.prototype.toString.call(source) === '[object ArrayBuffer]') return { name: '', bytes: new Uint8Array(source as ArrayBuffer) };
  if (isBlob(source)) {
    return { name: (source as Partial<File>).name ?? '', bytes: new Uint8Array(await source.arrayBuffer()) };
  }
  if (source instanceof URL) return loadUrl(source.href, cfg);
  if ('text' in source) return { name: source.name ?? '', text: source.text };
  if ('bytes' in source) return { name: source.name ?? '', bytes: source.bytes instanceof Uint8Array ? source.bytes : new Uint8Array(source.bytes) };
  if ('url' in source) return loadUrl(source.url, cfg);
  if ('hf' in source) {
    const revision = source.revision ?? cfg.hf.revision ?? 'main';
    if (source.path) {
      const url = hfResolveUrl(source.hf, source.path, revision, cfg.hf.endpoint);
      return { name: baseName(source.path), bytes: await fetchBytes(url, hfOpts) };
    }
    const files = selectParquetFiles(await listHfParquetFiles(source.hf, hfOpts), {
      config: source.config ?? cfg.hf.config, split: source.split ?? cfg.hf.split,
    });
    const rows: Record<string, unknown>[] = [];
    const columns: string[] = [];
    for (const f of files) {
      // The token goes only to the hub itself.
      const onHub = f.url.startsWith((cfg.hf.endpoint ?? HF_ENDPOINT).replace(/\/+$/, '') + '/');
      const t = await readParquet(await fetchBytes(f.url, onHub ? hfOpts : { fetch: cfg.fetch }));
      for (const r of t.rows) rows.push(r);
      for (const c of t.columns) if (!columns.includes(c)) columns.push(c);
      if (rows.length >= cfg.maxRows) break;
    }
    return { name: `${source.hf.split('/').pop()}-${files[0].split}.parquet`, table: { rows, columns } };
  }
  if ('path' in source) return { name: baseName(source.path), bytes: await readNodeFile(source.path) };
  throw new DatasetImportError('unsupported source: pass text, bytes, a Blob/File, a URL, { url }, { path } or { hf }.');
}

async function loadUrl(url: string, cfg: ImportConfig): Promise<Loaded> {
  const hfRef = parseHfFileRef(url, cfg.hf.endpoint ?? HF_ENDPOINT);
  if (url.startsWith('file:')) return { name: baseName(new URL(url).pathname), bytes: await readNodeFile(new URL(url)) };
  if (hfRef) {
    const resolved = hfResolveUrl(hfRef.repo, hfRef.path, hfRef.revision, cfg.hf.endpoint);
    return { name: baseName(hfRef.path), bytes: await fetchBytes(resolved, { ...cfg.hf, fetch: cfg.fetch }) };
  }
  if (!/^https?:/.test(url)) throw new DatasetImportError(`cannot load "${url.slice(0, 80)}": expected an http(s):, file: or hf:// URL.`);
  // The token goes only to the hub, never to other hosts.
  return { name: baseName(new URL(url).pathname), bytes: await fetchBytes(url, { fetch: cfg.fetch }) };
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  if (typeof DecompressionStream === 'undefined') throw new DatasetImportError('gzip input needs DecompressionStream (Node 18+ or a current browser); decompress the file first.');
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Decode UTF-8 strictly; a file in another encoding gets an error that says where and how to fix it. */
export function decodeUtf8(bytes: Uint8Array, name = 'the file'): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new DatasetImportError(`${name} is UTF-16 text (it starts with a UTF-16 byte-order mark); re-save it as UTF-8.`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    let line = 1;
    for (let i = 0; i < at; i++) if (bytes[i] === 10) line++;
    throw new DatasetImportError(
      `${name} is not valid UTF-8: byte 0x${bytes[at]?.toString(16).padStart(2, '0')} at offset ${at} (line ${line}) cannot start or continue a character. `
      + 'Re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8 in.csv > out.csv`).',
    );
  }
}

/** Offset of the first byte that breaks UTF-8 (bytes.length if none). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k] & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return b.length;
}

// ---------------------------------------------------------------------------------------------
// Format detection and parsing to plain records

interface RawRecord { value: Record<string, unknown>; row: number; line: number | null }

interface Parsed {
  format: DatasetFormat;
  columns: string[];
  records: RawRecord[];
  errors: RowError[];
  preset: Preset | null;
  notes: string[];
}

const EXT: Record<string, DatasetFormat> = { csv: 'csv', tsv: 'tsv', tab: 'tsv', jsonl: 'jsonl', ndjson: 'jsonl', json: 'json', parquet: 'parquet', pq: 'parquet' };

function sniffText(text: string, name: string): DatasetFormat {
  const body = text.replace(/^\uFEFF/, '').trimStart();
  if (body.startsWith('[')) return 'json';
  if (body.startsWith('{')) {
    const first = body.split(/\r?\n/, 1)[0];
    try {
      JSON.parse(first);
      return 'jsonl';
    } catch {
      return 'json';
    }
  }
  const firstLine = body.split(/\r?\n/, 1)[0];
  if (firstLine.includes('\t') && !firstLine.includes(',')) return 'tsv';
  if (firstLine.includes(',')) return 'csv';
  throw new DatasetImportError(
    `cannot tell the format of ${name || 'the data'}: it is not Parquet (no "PAR1" magic), not JSON, and its first line has no comma or tab. `
    + "Set options.format to 'csv', 'tsv', 'jsonl', 'json' or 'parquet'.",
  );
}

async function parse(loaded: Loaded, cfg: ImportConfig): Promise<Parsed> {
  const notes: string[] = [];
  let name = loaded.name;
  if (loaded.table) {
    return { format: 'parquet', columns: loaded.table.columns, records: toRecords(loaded.table.rows, cfg), errors: [], preset: null, notes };
  }
  let bytes = loaded.bytes;
  if (bytes && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    bytes = await gunzip(bytes);
    name = name.replace(/\.gz$/i, '');
  }
  let format: DatasetFormat | undefined = cfg.format === 'auto' ? EXT[name.split('.').pop()?.toLowerCase() ?? ''] : cfg.format;
  if (bytes && format !== 'parquet' && isParquet(bytes) && cfg.format === 'auto') format = 'parquet';
  if (format === 'parquet') {
    if (!bytes) bytes = new TextEncoder().encode(loaded.text ?? '');
    const t = await readParquet(bytes, { rowEnd: Number.isFinite(cfg.maxRows) ? cfg.maxRows : undefined });
    return { format, columns: t.columns, records: toRecords(t.rows, cfg), errors: [], preset: null, notes };
  }
  const text = loaded.text ?? decodeUtf8(bytes!, name || undefined);
  format ??= sniffText(text, name);
  const maxRows = Number.isFinite(cfg.maxRows) ? cfg.maxRows : undefined;
  if (format === 'jsonl' || format === 'json') {
    let res;
    if (format === 'json') {
      try {
        res = parseJsonArray(text, { maxRows });
      } catch (e) {
        // Many "*.json" dataset files are really JSON Lines.
        const lines = parseJsonl(text, { maxRows });
        if (lines.records.length === 0) throw new DatasetImportError((e as Error).message);
        notes.push('file is named .json but holds one JSON object per line: read as JSON Lines');
        format = 'jsonl';
        res = lines;
      }
    } else res = parseJsonl(text, { maxRows });
    const columns: string[] = [];
    for (const r of res.records.slice(0, 1000)) for (const k of Object.keys(r.value)) if (!columns.includes(k)) columns.push(k);
    return { format, columns, records: res.records, errors: res.errors.map((e) => ({ ...e })), preset: null, notes };
  }
  // CSV / TSV: read the header first so a known layout can set the record-start pattern.
  const delimiter = cfg.csv.delimiter ?? (format === 'tsv' ? '\t' : ',');
  const head = csvItems(text, { delimiter }).next();
  const header = head.value && 'header' in head.value ? head.value.header : [];
  const preset = detectPreset(header, cfg);
  const recordStart = cfg.csv.recordStart !== undefined ? cfg.csv.recordStart : preset === 'imo-answerbench' ? IMO_ANSWERBENCH.recordStart : 'infer';
  const csv = parseCsv(text, { delimiter, recordStart, maxRows });
  const columns = dedupeHeader(csv.header, notes);
  const records = csv.records.map((r) => ({
    row: r.row, line: r.line,
    value: Object.fromEntries(columns.map((c, i) => [c, r.fields[i]])),
  }));
  const errors: RowError[] = csv.errors.map((e) => ({
    row: e.row, line: e.line, ...(e.endLine !== e.line ? { endLine: e.endLine } : {}), ...(e.firstField ? { id: e.firstField } : {}), reason: e.reason,
  }));
  return { format, columns, records, errors, preset, notes };
}

function toRecords(rows: Record<string, unknown>[], cfg: ImportConfig): RawRecord[] {
  return rows.slice(0, cfg.maxRows).map((value, i) => ({ value, row: i + 1, line: null }));
}

function dedupeHeader(header: string[], notes: string[]): string[] {
  const seen = new Map<string, number>();
  return header.map((h, i) => {
    const name = h.trim() || `column_${i + 1}`;
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    if (n === 1) return name;
    notes.push(`header names column ${i + 1} "${name}" again; it is read as "${name}_${n}"`);
    return `${name}_${n}`;
  });
}

function detectPreset(columns: string[], cfg: ImportConfig): Preset | null {
  if (cfg.preset === 'none') return null;
  if (cfg.preset === 'imo-answerbench') return 'imo-answerbench';
  const keys = columns.map((c) => columnKey(c));
  return IMO_ANSWERBENCH.columns.every((c) => keys.includes(columnKey(c))) ? 'imo-answerbench' : null;
}

// ---------------------------------------------------------------------------------------------
// Mapping records to problems

/** Find the column (or dotted path) for each field among the columns present. */
function resolveMapping(columns: string[], fields: FieldMap): Partial<Record<FieldName, string>> {
  const mapping: Partial<Record<FieldName, string>> = {};
  for (const field of Object.keys(fields) as FieldName[]) {
    for (const cand of candidates(fields[field])) {
      const [head, ...rest] = cand.split('.');
      const col = columns.find((c) => c === head) ?? columns.find((c) => columnKey(c) === columnKey(head));
      if (col !== undefined) {
        mapping[field] = [col, ...rest].join('.');
        break;
      }
    }
  }
  return mapping;
}

/** Read a (possibly dotted) path from a record. */
function getPath(value: Record<string, unknown>, path: string): unknown {
  const [head, ...rest] = path.split('.');
  let v: unknown = value[head];
  for (const k of rest) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** A cell as text: chat message lists give their user turns, objects become JSON. */
function asText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v.replace(/\r\n?/g, '\n');
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((m) => m && typeof m === 'object' && 'content' in m)) {
    const msgs = v as { role?: string; content: unknown }[];
    const user = msgs.filter((m) => m.role === undefined || m.role === 'user');
    return (user.length ? user : msgs).map((m) => asText(m.content)).join('\n\n');
  }
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));
}

const metaKey = (c: string) => c.trim().toLowerCase().replace(/\s+/g, '_');

function missingColumnsError(missing: FieldName[], columns: string[], fields: FieldMap, name: string): DatasetImportError {
  const lines = missing.map((f) => `  - "${f}": tried ${candidates(fields[f]).map((c) => JSON.stringify(c)).join(', ') || '(nothing)'}`);
  const example = missing.map((f) => `${f}: "<column>"`).join(', ');
  return new DatasetImportError(
    `${name || 'the dataset'} has no column for ${missing.map((f) => `"${f}"`).join(' and ')}.\n`
    + `Columns found: ${columns.length ? columns.map((c) => JSON.stringify(c)).join(', ') : '(none)'}.\n${lines.join('\n')}\n`
    + `Set the column names with options.fields, e.g. importDataset(source, { fields: { ${example} } }).`,
  );
}

/** Load, parse and map a dataset to Problems. Throws DatasetImportError / ImportConfigError for
 *  file-level problems; bad rows are reported in `errors` and skipped (with `strict`, any bad
 *  row refuses the file: a DatasetImportError that lists them). */
export async function importDataset(source: DatasetSource, options: ImportOptions = {}): Promise<ImportResult> {
  const cfg = resolveImportConfig(options);
  const loaded = await load(source, cfg);
  const parsed = await parse(loaded, cfg);
  const fileName = loaded.name.replace(/\.gz$/i, '');
  const name = cfg.name || (parsed.preset ? IMO_ANSWERBENCH.name : fileName.replace(/\.[^.]+$/, '')) || 'dataset';
  const fields: FieldMap = { ...DEFAULT_FIELDS, ...(parsed.preset ? IMO_ANSWERBENCH.fields : {}), ...(options.fields ?? {}) } as FieldMap;
  const mapping = resolveMapping(parsed.columns, fields);
  const required: FieldName[] = ['problem'];
  if (cfg.requireAnswer) required.push('answer');
  if (cfg.requireReference) required.push('reference');
  const missing = required.filter((f) => !mapping[f]);
  if (missing.length) throw missingColumnsError(missing, parsed.columns, fields, fileName);

  const used = new Set(Object.values(mapping).map((p) => p!.split('.')[0]));
  const problems: Problem[] = [];
  // A malformed CSV row's first field is its id only when the id column comes first.
  const idFirst = mapping.id !== undefined && mapping.id === parsed.columns[0];
  const errors: RowError[] = parsed.errors.map(({ id, ...e }) => (idFirst && id ? { ...e, id } : e));
  const warnings: RowError[] = [];
  const seen = new Map<string, { count: number; row: number }>();
  let duplicates = 0;
  for (const rec of parsed.records) {
    const get = (f: FieldName) => (mapping[f] ? asText(getPath(rec.value, mapping[f]!)) : '');
    const at = { row: rec.row, line: rec.line };
    let id = mapping.id ? get('id').trim() : `${name}-${String(rec.row).padStart(5, '0')}`;
    const statement = get('problem').trim();
    const answer = get('answer').trim();
    const reference = get('reference').trim();
    const reasons: string[] = [];
    if (mapping.id && !id) reasons.push(`empty id (column "${mapping.id}")`);
    if (!statement) reasons.push(`missing problem text (column "${mapping.problem}" is empty)`);
    if (cfg.requireAnswer && !answer) reasons.push(`empty answer (column "${mapping.answer}")`);
    if (cfg.requireReference && !reference) reasons.push(`empty reference solution (column "${mapping.reference}")`);
    if (reasons.length) {
      errors.push({ ...at, ...(id ? { id } : {}), reason: reasons.join('; ') });
      continue;
    }
    const prev = seen.get(id);
    const count = (prev?.count ?? 0) + 1;
    seen.set(id, { count, row: prev?.row ?? rec.row });
    if (prev) {
      duplicates++;
      const first = prev.row;
      if (cfg.duplicateIds === 'skip') {
        errors.push({ ...at, id, reason: `duplicate id "${id}" (first seen in row ${first}); row skipped` });
        continue;
      }
      warnings.push({ ...at, id, reason: `duplicate id "${id}" (first seen in row ${first}); imported as "${id}#${count}"` });
      id = `${id}#${count}`;
    }
    if ((answer.match(/(?<!\\)\$/g)?.length ?? 0) % 2 === 1) {
      // the answer as the file has it (JSON quoting would double every LaTeX backslash)
      warnings.push({ ...at, id, reason: `answer has an unbalanced "$" (odd count): "${answer.slice(0, 80)}"` });
    }
    for (const [f, v] of [['problem', statement], ['answer', answer]] as const) {
      if (v.length > 1 && v.startsWith('"') && v.endsWith('"')) {
        warnings.push({ ...at, id, reason: `${f} is wrapped in literal quotes; the file may quote it twice` });
      }
    }
    const meta: Record<string, unknown> = { row: rec.row };
    if (rec.line !== null) meta.line = rec.line;
    if (mapping.category) meta.category = get('category');
    for (const c of parsed.columns) if (!used.has(c)) meta[metaKey(c)] = rec.value[c];
    problems.push({
      id, statement, reference, answer,
      difficulty: mapping.difficulty ? get('difficulty').trim() : mapping.category ? get('category').trim() : '',
      split: assignSplit(id, cfg.testFraction, cfg.seed),
      meta,
    });
  }
  errors.sort((a, b) => a.row - b.row);
  const rows = parsed.records.length + parsed.errors.length;
  if (cfg.strict && errors.length) {
    throw new DatasetImportError(
      `${fileName || name}: strict import refused: ${errors.length} of ${rows} rows would be skipped:\n`
      + listRows(errors, STRICT_LISTED).join('\n')
      + `\nFix these rows, or import without strict to keep the other ${problems.length} rows.`,
    );
  }
  const test = problems.filter((p) => p.split === 'test').length;
  return {
    problems, errors, warnings,
    stats: {
      name, format: parsed.format, preset: parsed.preset,
      rows,
      imported: problems.length, skipped: errors.length, duplicates,
      train: problems.length - test, test,
      columns: parsed.columns, mapping, notes: parsed.notes,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Reporting

/** Rows listed in the error of a strict import. */
const STRICT_LISTED = 20;

/** Where a row is: "row 36 (lines 150-154, id imo-bench-algebra-036)". */
export function describeRow(e: RowError): string {
  const where: string[] = [];
  if (e.line !== null) where.push(e.endLine !== undefined && e.endLine !== e.line ? `lines ${e.line}-${e.endLine}` : `line ${e.line}`);
  if (e.id) where.push(`id ${e.id}`);
  return `row ${e.row}${where.length ? ` (${where.join(', ')})` : ''}`;
}

/** The first `max` rows as "  row N (line L): reason" lines, then how many more. */
function listRows(rows: RowError[], max: number): string[] {
  const out = rows.slice(0, max).map((e) => `  ${describeRow(e)}: ${e.reason}`);
  if (rows.length > max) out.push(`  ... and ${rows.length - max} more`);
  return out;
}

/** What an import did, for a terminal or log: the counts, then the first `max` skipped rows
 *  and the first `max` warnings with their line numbers and reasons. */
export function importReport(r: ImportResult, max = 5): string[] {
  const s = r.stats;
  const out = [`${s.name}: ${s.imported} of ${s.rows} rows imported (${s.train} train / ${s.test} test), ${s.skipped} skipped, ${r.warnings.length} warnings`];
  for (const n of s.notes) out.push(`  note: ${n}`);
  if (r.errors.length) out.push(`skipped rows (${r.errors.length}):`, ...listRows(r.errors, max));
  if (r.warnings.length) out.push(`warnings (${r.warnings.length}):`, ...listRows(r.warnings, max));
  return out;
}
