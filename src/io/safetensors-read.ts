// Safetensors reading. Streams one tensor at a time (in pieces) from a single file or a sharded
// checkpoint with an index (or a ModelSource holding either), converts to the engine dtype and hands
// each tensor to a callback; strict key/shape matching against the model.

import { ModelFileNotFoundError, type ModelFile, type ModelSource } from './folder';
import {
  allocOut,
  convertInto,
  fmtShape,
  SafetensorsError,
  ST_ITEM_BYTES,
  truncated,
  type EngineDtype,
  type StDtype,
  type StHeader,
  type StTensorInfo,
  type TensorData,
} from './safetensors-format';
import { openReader, PIECE, type ByteReader, type SafetensorsInput } from './safetensors-input';

export interface LoadProgress {
  file: string;
  bytesDone: number;
  bytesTotal: number;
  tensorsDone: number;
  tensorsTotal: number;
}

/** Takes one tensor in pieces (see LoadOptions.openTensor). `data` is reused once write returns. */
export interface TensorSink {
  /** Converted elements [at, at + data.length) of the tensor, in order. */
  write(at: number, data: TensorData): void | Promise<void>;
  /** Every piece was written. */
  close(): void | Promise<void>;
}

export interface LoadOptions {
  /** Float dtype handed to onTensor, or a choice made from the checkpoint's tensors (every header
   *  is read before the first tensor is delivered, so the choice sees the whole checkpoint). */
  dtype: EngineDtype | ((tensors: readonly StTensorInfo[]) => EngineDtype);
  /** Receives each tensor once; awaited (so an upload can apply backpressure). */
  onTensor(name: string, shape: number[], data: TensorData, info: { dtype: string; file: string }): void | Promise<void>;
  /** When given, asked before each tensor's data is read: a sink takes the tensor piece by piece
   *  (the host never holds the whole tensor) and onTensor is not called for it; null takes it
   *  whole through onTensor. */
  openTensor?(name: string, shape: number[], info: { dtype: string; file: string }): TensorSink | null | Promise<TensorSink | null>;
  /** When given, the checkpoint must hold exactly these keys and shapes (after `ignore`). */
  expected?: readonly { name: string; shape: readonly number[] }[];
  /** Keys to skip silently. Default: stale `rotary_emb.inv_freq` buffers. */
  ignore?: readonly RegExp[];
  onProgress?(p: LoadProgress): void;
  signal?: AbortSignal;
  /** Name used in messages for inputs without one (Blob, Response, bytes). */
  label?: string;
  /** Bytes read and converted at a time for large tensors (a multiple of 8). Default 32 MiB. */
  pieceBytes?: number;
}

export interface LoadSummary {
  files: string[];
  tensors: number;
  bytes: number;
}

const DEFAULT_IGNORE = [/\.rotary_emb\.inv_freq$/];
const MAX_HEADER = 100 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Header.

async function readHeader(r: ByteReader): Promise<StHeader> {
  const label = r.label;
  if (r.size !== undefined && r.size < 8) throw truncated(label, r.size, 'the 8-byte header length is missing');
  const lenBytes = await r.read(8);
  const n = Number(new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true));
  if (n < 2 || n > MAX_HEADER) {
    throw new SafetensorsError('header', `${label}: header length ${n} is not plausible (2..${MAX_HEADER} bytes): not a safetensors file?`);
  }
  if (r.size !== undefined && 8 + n > r.size) throw truncated(label, r.size, `the header length says the header runs to byte ${8 + n}`);
  const text = new TextDecoder().decode(await r.read(n));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError('header', `${label}: the header is not valid JSON (${(e as Error).message}): not a safetensors file, or corrupted.`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SafetensorsError('header', `${label}: the header must be a JSON object.`);
  }
  const dataStart = 8 + n;
  const tensors: StTensorInfo[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = (v ?? {}) as Record<string, string>;
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const offs = t?.data_offsets;
    const okShape = Array.isArray(t?.shape) && t.shape.every((d) => Number.isInteger(d) && d >= 0);
    const okOffs = Array.isArray(offs) && offs.length === 2 && offs.every((d) => Number.isInteger(d) && d >= 0) && offs[0] <= offs[1];
    if (typeof t?.dtype !== 'string' || !okShape || !okOffs) {
      throw new SafetensorsError('header', `${label}: header entry "${name}" is malformed (needs dtype, shape, data_offsets): ${JSON.stringify(v)}.`);
    }
    const [b, e] = offs as number[];
    tensors.push({ name, dtype: t.dtype, shape: t.shape as number[], begin: dataStart + b, end: dataStart + e });
  }
  tensors.sort((a, b) => a.begin - b.begin);
  return { file: label, headerLength: n, dataStart, tensors, metadata };
}

/** Read just the header of a safetensors input (names, dtypes, shapes, offsets, metadata). */
export async function readSafetensorsHeader(input: SafetensorsInput, label?: string): Promise<StHeader> {
  const r = await openReader(input, label);
  try {
    return await readHeader(r);
  } finally {
    await r.close();
  }
}

/** Check a tensor entry that will be delivered: known dtype, byte size, inside the file. */
function checkEntry(t: StTensorInfo, file: string, size?: number): void {
  const item = ST_ITEM_BYTES[t.dtype as StDtype];
  if (item === undefined) {
    throw new SafetensorsError(
      'dtype',
      `${file}: tensor "${t.name}" has dtype ${t.dtype}; supported: ${Object.keys(ST_ITEM_BYTES).join(', ')}. Convert the checkpoint to bf16/f16/f32.`,
    );
  }
  const numel = t.shape.reduce((a, b) => a * b, 1);
  if (t.end - t.begin !== numel * item) {
    throw new SafetensorsError(
      'header',
      `${file}: tensor "${t.name}" ${t.dtype}[${t.shape.join(', ')}] needs ${numel * item} bytes but its data_offsets span ${t.end - t.begin}.`,
    );
  }
  if (size !== undefined && t.end > size) {
    throw truncated(file, size, `tensor "${t.name}" ends at byte ${t.end}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Strict matching.

function listSome(items: string[], max = 20): string[] {
  return items.length <= max ? items : [...items.slice(0, max), `... and ${items.length - max} more`];
}

function matchExpected(
  found: Map<string, { shape: number[]; file: string }>,
  expected: LoadOptions['expected'],
  label: string,
  absentFromShard: Map<string, string> = new Map(),
): void {
  if (!expected) return;
  const want = new Map(expected.map((e) => [e.name, e.shape]));
  const missing: string[] = [];
  const wrong: string[] = [];
  const extra: string[] = [];
  for (const [name, shape] of want) {
    const f = found.get(name);
    if (!f) {
      const shard = absentFromShard.get(name);
      missing.push(`  missing: ${name} ${fmtShape(shape)}${shard ? ` (the index points to ${shard}, which does not contain it)` : ''}`);
    } else if (f.shape.length !== shape.length || f.shape.some((d, i) => d !== shape[i])) {
      wrong.push(`  wrong shape: ${name} is ${fmtShape(f.shape)} in ${f.file}, the model expects ${fmtShape(shape)}`);
    }
  }
  for (const [name, f] of found) if (!want.has(name)) extra.push(`  unexpected: ${name} ${fmtShape(f.shape)} in ${f.file}`);
  const n = missing.length + wrong.length + extra.length;
  if (n === 0) return;
  throw new SafetensorsError(
    'mismatch',
    [
      `${label}: the checkpoint does not match the model config (${missing.length} missing, ${extra.length} unexpected, ${wrong.length} mis-shaped):`,
      ...listSome(missing),
      ...listSome(extra),
      ...listSome(wrong),
      'Check that config.json belongs to these weights (same architecture, sizes and tie_word_embeddings).',
    ].join('\n'),
  );
}

// ---------------------------------------------------------------------------------------------
// Loading.

interface PlannedFile {
  reader: ByteReader;
  header: StHeader;
  deliver: StTensorInfo[];
}

function plan(reader: ByteReader, header: StHeader, ignore: readonly RegExp[]): PlannedFile {
  for (let i = 1; i < header.tensors.length; i++) {
    const [a, b] = [header.tensors[i - 1], header.tensors[i]];
    if (b.begin < a.end) throw new SafetensorsError('header', `${header.file}: tensors "${a.name}" and "${b.name}" overlap in the data section.`);
  }
  const deliver = header.tensors.filter((t) => !ignore.some((re) => re.test(t.name)));
  for (const t of deliver) checkEntry(t, header.file, reader.size);
  return { reader, header, deliver };
}

async function streamTensors(files: PlannedFile[], opts: LoadOptions): Promise<LoadSummary> {
  const tensorsTotal = files.reduce((a, f) => a + f.deliver.length, 0);
  const bytesTotal = files.reduce((a, f) => a + f.deliver.reduce((s, t) => s + t.end - t.begin, 0), 0);
  let bytesDone = 0;
  let tensorsDone = 0;
  const piece = opts.pieceBytes ?? PIECE;
  if (!Number.isInteger(piece) || piece <= 0 || piece % 8 !== 0) {
    throw new Error(`loadSafetensors: pieceBytes must be a positive multiple of 8, got ${piece}.`);
  }
  const dtype = typeof opts.dtype === 'function' ? opts.dtype(files.flatMap((f) => f.deliver)) : opts.dtype;
  for (const f of files) {
    for (const t of f.deliver) {
      if (opts.signal?.aborted) throw new SafetensorsError('aborted', `${f.header.file}: loading aborted.`);
      await f.reader.skipTo(t.begin);
      const item = ST_ITEM_BYTES[t.dtype as StDtype];
      const numel = (t.end - t.begin) / item;
      const info = { dtype: t.dtype, file: f.header.file };
      const sink = (await opts.openTensor?.(t.name, t.shape, info)) ?? null;
      // Whole: one array for the tensor. Sink: one piece-sized array, reused.
      const out = allocOut(t.dtype, sink ? Math.min(numel, piece / item) : numel, dtype);
      for (let off = 0; off < t.end - t.begin; off += piece) {
        const n = Math.min(piece, t.end - t.begin - off);
        const bytes = await f.reader.read(n);
        if (sink) {
          convertInto(out, 0, bytes, t.dtype, dtype);
          await sink.write(off / item, out.subarray(0, n / item) as TensorData);
        } else convertInto(out, off / item, bytes, t.dtype, dtype);
        bytesDone += n;
        opts.onProgress?.({ file: f.header.file, bytesDone, bytesTotal, tensorsDone, tensorsTotal });
      }
      if (sink) await sink.close();
      else await opts.onTensor(t.name, t.shape, out, info);
      tensorsDone++;
    }
    opts.onProgress?.({ file: f.header.file, bytesDone, bytesTotal, tensorsDone, tensorsTotal });
  }
  return { files: files.map((f) => f.header.file), tensors: tensorsDone, bytes: bytesDone };
}

function foundMap(files: PlannedFile[]) {
  const m = new Map<string, { shape: number[]; file: string }>();
  for (const f of files) for (const t of f.deliver) m.set(t.name, { shape: t.shape, file: f.header.file });
  return m;
}

/** Load one safetensors file: header, strict check, then tensors one at a time. */
export async function loadSafetensors(input: SafetensorsInput, opts: LoadOptions): Promise<LoadSummary> {
  const reader = await openReader(input, opts.label);
  try {
    const header = await readHeader(reader);
    const planned = plan(reader, header, opts.ignore ?? DEFAULT_IGNORE);
    matchExpected(foundMap([planned]), opts.expected, header.file);
    return await streamTensors([planned], opts);
  } finally {
    await reader.close();
  }
}

/** `model.safetensors.index.json`: tensor name -> shard file. */
export interface ShardIndex {
  metadata?: { total_size?: number } & Record<string, unknown>;
  weight_map: Record<string, string>;
}

/**
 * Load a sharded checkpoint. `openShard` returns each shard (throwing ModelFileNotFoundError when
 * absent). All shard headers are read and checked before any tensor is delivered.
 */
export async function loadShardedSafetensors(
  index: ShardIndex,
  openShard: (file: string) => Promise<SafetensorsInput>,
  opts: LoadOptions & { indexLabel?: string },
): Promise<LoadSummary> {
  const label = opts.indexLabel ?? 'model.safetensors.index.json';
  if (!index || typeof index.weight_map !== 'object' || index.weight_map === null) {
    throw new SafetensorsError('index', `${label}: no "weight_map" object (tensor name -> shard file).`);
  }
  const byShard = new Map<string, string[]>();
  for (const [name, file] of Object.entries(index.weight_map)) {
    if (typeof file !== 'string') throw new SafetensorsError('index', `${label}: weight_map["${name}"] is not a file name.`);
    byShard.set(file, [...(byShard.get(file) ?? []), name]);
  }
  const ignore = opts.ignore ?? DEFAULT_IGNORE;
  const files: PlannedFile[] = [];
  const missingShards: string[] = [];
  try {
    for (const [file, names] of byShard) {
      let input: SafetensorsInput;
      try {
        input = await openShard(file);
      } catch (e) {
        if (!(e instanceof ModelFileNotFoundError)) throw e;
        const shown = names.slice(0, 8).join(', ') + (names.length > 8 ? `, ... (${names.length} tensors)` : '');
        missingShards.push(`  ${file} (holds ${shown})`);
        continue;
      }
      const reader = await openReader(input, file);
      files.push(plan(reader, await readHeader(reader), ignore));
    }
    if (missingShards.length) {
      throw new SafetensorsError(
        'missing-shard',
        `${label}: ${missingShards.length} shard file(s) listed in the index are missing:\n${missingShards.join('\n')}\n` +
          'Download the missing shard(s) or pick the complete model folder.',
      );
    }
    const found = foundMap(files);
    const absent = new Map<string, string>();
    for (const [name, file] of Object.entries(index.weight_map)) if (!found.has(name)) absent.set(name, file);
    matchExpected(found, opts.expected, label, absent);
    return await streamTensors(files, opts);
  } finally {
    for (const f of files) await f.reader.close();
  }
}

/**
 * Load a model's weights from a ModelSource: `model.safetensors.index.json` + shards when present,
 * else `model.safetensors`.
 */
export async function loadWeights(source: ModelSource, opts: LoadOptions): Promise<LoadSummary> {
  let index: ShardIndex | undefined;
  try {
    index = await source.json<ShardIndex>('model.safetensors.index.json', { optional: true });
  } catch (e) {
    if (!(e instanceof ModelFileNotFoundError)) throw e;
  }
  if (index) {
    return loadShardedSafetensors(index, (file) => source.open(file), {
      ...opts,
      indexLabel: `${source.label}/model.safetensors.index.json`,
    });
  }
  let file: ModelFile;
  try {
    file = await source.open('model.safetensors');
  } catch (e) {
    if (e instanceof ModelFileNotFoundError) {
      throw new SafetensorsError('not-found', `${source.label}: neither model.safetensors nor model.safetensors.index.json was found.`);
    }
    throw e;
  }
  return loadSafetensors(file, { ...opts, label: opts.label ?? file.name });
}

