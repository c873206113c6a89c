// Parquet in and out: reading rows with hyparquet, writing rows (nested lists and structs
// included, e.g. verl-style `prompt` / `reward_model` / `extra_info`) with hyparquet-writer.

import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer, type SchemaElement } from 'hyparquet-writer';

/** Column type for writing. Lists and structs nest freely. 'json' stores any value as a JSON string
 *  (Parquet JSON logical type; readers that know it, hyparquet included, give back the value). */
export type ParquetFieldType =
  | 'string'
  | 'int32'
  | 'int64'
  | 'double'
  | 'boolean'
  | 'json'
  | { struct: ParquetField[] }
  | { list: ParquetFieldType };

export interface ParquetField {
  name: string;
  type: ParquetFieldType;
  /** REQUIRED instead of OPTIONAL: nulls are then an error. Default false. */
  required?: boolean;
}

export interface WriteParquetOptions {
  /** Compression: 'SNAPPY' (default, what every reader supports) or 'UNCOMPRESSED'. */
  codec?: 'SNAPPY' | 'UNCOMPRESSED';
  /** Rows per row group. Default 10000. */
  rowGroupSize?: number;
  /** Extra key/value metadata stored in the footer. */
  kvMetadata?: Record<string, string>;
}

export interface ReadParquetOptions {
  /** Top-level columns to read (default all). */
  columns?: string[];
  /** First row (inclusive, 0-based) and end row (exclusive). */
  rowStart?: number;
  rowEnd?: number;
}

export interface ParquetTable {
  rows: Record<string, unknown>[];
  /** Top-level column names in file order. */
  columns: string[];
  /** Rows in the whole file (not only those read). */
  numRows: number;
}

export class ParquetFormatError extends Error {
  override name = 'ParquetFormatError';
}

/** verl's RL / SFT Parquet layout: chat prompt, rule-based reward with the gold answer, and
 *  free-form extra info (here the split and the row index). */
export const VERL_SCHEMA: ParquetField[] = [
  { name: 'data_source', type: 'string' },
  { name: 'prompt', type: { list: { struct: [{ name: 'role', type: 'string' }, { name: 'content', type: 'string' }] } } },
  { name: 'ability', type: 'string' },
  { name: 'reward_model', type: { struct: [{ name: 'style', type: 'string' }, { name: 'ground_truth', type: 'string' }] } },
  { name: 'extra_info', type: { struct: [{ name: 'split', type: 'string' }, { name: 'index', type: 'int64' }] } },
];

/** One row of VERL_SCHEMA. */
export interface VerlRow {
  data_source: string;
  prompt: { role: string; content: string }[];
  ability: string;
  reward_model: { style: string; ground_truth: string };
  extra_info: { split: string; index: number };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);

/** Infer a column type from sample values (nulls ignored). Mixed kinds fall back to 'json'. */
export function inferFieldType(values: readonly unknown[]): ParquetFieldType {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length === 0) return 'string';
  if (present.every((v) => typeof v === 'string')) return 'string';
  if (present.every((v) => typeof v === 'boolean')) return 'boolean';
  if (present.every((v) => typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)))) return 'int64';
  if (present.every((v) => typeof v === 'number')) return 'double';
  if (present.every((v) => Array.isArray(v))) return { list: inferFieldType((present as unknown[][]).flat()) };
  if (present.every(isPlainObject)) {
    const keys: string[] = [];
    for (const o of present as Record<string, unknown>[]) for (const k of Object.keys(o)) if (!keys.includes(k)) keys.push(k);
    if (keys.length === 0) return 'json';
    return { struct: keys.map((k) => ({ name: k, type: inferFieldType(present.map((o) => (o as Record<string, unknown>)[k])) })) };
  }
  return 'json';
}

/** Infer a schema from rows: the union of their keys in first-seen order. */
export function inferParquetSchema(rows: readonly Record<string, unknown>[]): ParquetField[] {
  const keys: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
  return keys.map((k) => ({ name: k, type: inferFieldType(rows.map((r) => r[k])) }));
}

/** Flatten our field tree into Parquet's depth-first SchemaElement list. */
function schemaElements(fields: ParquetField[]): SchemaElement[] {
  const out: SchemaElement[] = [{ name: 'root', num_children: fields.length }];
  const visit = (name: string, type: ParquetFieldType, rep: 'REQUIRED' | 'OPTIONAL') => {
    if (typeof type === 'string') {
      const leaf: Record<typeof type, Omit<SchemaElement, 'name'>> = {
        string: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
        json: { type: 'BYTE_ARRAY', converted_type: 'JSON' },
        int32: { type: 'INT32' },
        int64: { type: 'INT64' },
        double: { type: 'DOUBLE' },
        boolean: { type: 'BOOLEAN' },
      };
      out.push({ name, repetition_type: rep, ...leaf[type] });
    } else if ('struct' in type) {
      if (type.struct.length === 0) throw new ParquetFormatError(`struct column "${name}" has no fields; Parquet needs at least one (use type 'json' instead).`);
      out.push({ name, repetition_type: rep, num_children: type.struct.length });
      for (const f of type.struct) visit(f.name, f.type, f.required ? 'REQUIRED' : 'OPTIONAL');
    } else {
      // Standard three-level list: <name> (LIST) > list (REPEATED) > element.
      out.push({ name, repetition_type: rep, converted_type: 'LIST', num_children: 1 });
      out.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
      visit('element', type.list, 'OPTIONAL');
    }
  };
  for (const f of fields) visit(f.name, f.type, f.required ? 'REQUIRED' : 'OPTIONAL');
  return out;
}

/** Convert one JS value to what hyparquet-writer expects for `type` (BigInt for INT64, ...). */
function toParquetValue(v: unknown, type: ParquetFieldType, path: string): unknown {
  if (v === null || v === undefined) return null;
  const bad = (want: string) => new ParquetFormatError(`value at ${path} is ${JSON.stringify(v)?.slice(0, 60)}, expected ${want}. Fix the row or give the column type 'json'.`);
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
        if (typeof v !== 'string') throw bad('a string');
        return v;
      case 'json':
        return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));
      case 'int64':
        if (typeof v === 'bigint') return v;
        if (typeof v !== 'number' || !Number.isInteger(v)) throw bad('an integer');
        return BigInt(v);
      case 'int32':
        if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > 2 ** 31) throw bad('a 32-bit integer');
        return v;
      case 'double':
        if (typeof v !== 'number') throw bad('a number');
        return v;
      case 'boolean':
        if (typeof v !== 'boolean') throw bad('a boolean');
        return v;
    }
  }
  if ('struct' in type) {
    if (!isPlainObject(v)) throw bad('an object');
    const o: Record<string, unknown> = {};
    for (const f of type.struct) o[f.name] = toParquetValue(v[f.name], f.type, `${path}.${f.name}`);
    return o;
  }
  if (!Array.isArray(v)) throw bad('an array');
  return v.map((x, i) => toParquetValue(x, type.list, `${path}[${i}]`));
}

/** Write rows as a Parquet file. Without a schema the column types are inferred from the rows
 *  (see inferParquetSchema); with no rows a schema is required. */
export function writeParquet(
  rows: readonly Record<string, unknown>[],
  schema?: ParquetField[],
  options: WriteParquetOptions = {},
): Uint8Array {
  const fields = schema ?? inferParquetSchema(rows);
  if (fields.length === 0) throw new ParquetFormatError('writeParquet needs at least one column: pass a schema when there are no rows.');
  const columnData = fields.map((f) => ({
    name: f.name,
    data: rows.map((r, i) => toParquetValue(r[f.name], f.type, `row ${i}.${f.name}`)),
  }));
  const buf = parquetWriteBuffer({
    columnData,
    schema: schemaElements(fields),
    codec: options.codec ?? 'SNAPPY',
    rowGroupSize: options.rowGroupSize ?? 10000,
    kvMetadata: options.kvMetadata ? Object.entries(options.kvMetadata).map(([key, value]) => ({ key, value })) : undefined,
    createdBy: 'int-lab',
  });
  return new Uint8Array(buf);
}

/** Convert INT64 BigInts to numbers where exact (deeply); larger ones become strings. */
function normalise(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(normalise);
  if (isPlainObject(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = normalise(x);
    return o;
  }
  return v;
}

const toArrayBuffer = (data: ArrayBuffer | Uint8Array): ArrayBuffer =>
  data instanceof ArrayBuffer
    ? data
    : (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer
      ? data.buffer
      : data.slice().buffer as ArrayBuffer);

/** True when the bytes start and end with Parquet's "PAR1" magic. */
export function isParquet(data: ArrayBuffer | Uint8Array): boolean {
  const b = data instanceof Uint8Array ? data : new Uint8Array(data);
  const magic = (o: number) => b[o] === 0x50 && b[o + 1] === 0x41 && b[o + 2] === 0x52 && b[o + 3] === 0x31;
  return b.length >= 12 && magic(0) && magic(b.length - 4);
}

/** Read rows from a Parquet file held in memory. */
export async function readParquet(data: ArrayBuffer | Uint8Array, options: ReadParquetOptions = {}): Promise<ParquetTable> {
  if (!isParquet(data)) {
    throw new ParquetFormatError('not a Parquet file: it must start and end with the bytes "PAR1". Check the file (it may be truncated, or another format).');
  }
  const file = toArrayBuffer(data);
  try {
    const metadata = parquetMetadata(file);
    const top = topLevelNames(metadata.schema);
    const missing = (options.columns ?? []).filter((c) => !top.includes(c));
    if (missing.length) {
      throw new ParquetFormatError(`Parquet file has no column ${missing.map((c) => JSON.stringify(c)).join(', ')}; its columns are: ${top.join(', ')}.`);
    }
    const rows = await parquetReadObjects({ file, metadata, columns: options.columns, rowStart: options.rowStart, rowEnd: options.rowEnd });
    const root = schemaTree(metadata.schema);
    const hasJson = metadata.schema.some((e) => e.converted_type === 'JSON');
    const fix = (r: Record<string, unknown>) => {
      const o = normalise({ ...r }) as Record<string, unknown>;
      if (hasJson) for (const child of root.children) if (child.el.name in o) o[child.el.name] = parseJsonLeaves(o[child.el.name], child);
      return o;
    };
    return { rows: rows.map(fix), columns: options.columns ?? top, numRows: Number(metadata.num_rows) };
  } catch (e) {
    if (e instanceof ParquetFormatError) throw e;
    const msg = (e as Error).message ?? String(e);
    const codec = /unsupported compression codec: (\w+)/.exec(msg);
    if (codec) {
      throw new ParquetFormatError(`Parquet file uses ${codec[1]} compression, which this build cannot decode (SNAPPY and uncompressed are supported). Re-save it with SNAPPY compression.`);
    }
    throw new ParquetFormatError(`cannot read Parquet file: ${msg}`);
  }
}

interface SchemaNode {
  el: { name: string; num_children?: number; converted_type?: string; logical_type?: { type: string } };
  children: SchemaNode[];
}

/** Rebuild the schema tree from Parquet's depth-first element list. */
function schemaTree(schema: SchemaNode['el'][]): SchemaNode {
  let i = 0;
  const build = (): SchemaNode => {
    const el = schema[i++];
    const children: SchemaNode[] = [];
    for (let c = 0; c < (el.num_children ?? 0); c++) children.push(build());
    return { el, children };
  };
  return build();
}

/** Parse JSON-typed leaves that come back as strings, walking lists and structs. */
function parseJsonLeaves(v: unknown, node: SchemaNode): unknown {
  if (v === null || v === undefined) return v;
  if (node.children.length === 0) {
    if (node.el.converted_type !== 'JSON' || typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  if ((node.el.converted_type === 'LIST' || node.el.logical_type?.type === 'LIST') && Array.isArray(v)) {
    const rep = node.children[0];
    const element = rep.children.length === 1 ? rep.children[0] : rep;
    return v.map((x) => parseJsonLeaves(x, element));
  }
  if (isPlainObject(v)) {
    const o: Record<string, unknown> = { ...v };
    for (const c of node.children) if (c.el.name in o) o[c.el.name] = parseJsonLeaves(o[c.el.name], c);
    return o;
  }
  return v;
}

/** Names of the root's direct children in a depth-first schema list. */
function topLevelNames(schema: { name: string; num_children?: number }[]): string[] {
  const names: string[] = [];
  let i = 1;
  const skip = (j: number): number => {
    let next = j + 1;
    for (let c = 0; c < (schema[j].num_children ?? 0); c++) next = skip(next);
    return next;
  };
  for (let c = 0; c < (schema[0].num_children ?? 0); c++) {
    names.push(schema[i].name);
    i = skip(i);
  }
  return names;
}
