// Safetensors read and write. Reading streams one tensor at a time (in pieces) from a file, Blob,
// fetch Response, Node path or ModelSource (single file or sharded with an index), converts to the
// engine dtype and hands each tensor to a callback; strict key/shape matching against the model.

import { bf16ToF32, fromHalfBits, toHalfBits } from '../util/f16';
import { blobFile, bytesFile, ModelFileNotFoundError, nodeFile, type ModelFile, type ModelSource } from './folder';

/** Element types read and written. Floats convert to the engine dtype; integers pass through. */
export type StDtype = 'F32' | 'F16' | 'BF16' | 'I32' | 'I64';
export const ST_ITEM_BYTES: Readonly<Record<StDtype, number>> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8 };

/** Engine-side dtype: 'f16' data are IEEE half bit patterns in a Uint16Array. */
export type EngineDtype = 'f32' | 'f16';
export type TensorData = Float32Array | Uint16Array | Int32Array | BigInt64Array;

export interface StTensorInfo {
  name: string;
  /** As written in the header (may be a dtype this reader does not convert, e.g. 'F8_E4M3'). */
  dtype: string;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export interface StHeader {
  file: string;
  headerLength: number;
  /** Offset of the first data byte (8 + headerLength). */
  dataStart: number;
  tensors: StTensorInfo[];
  metadata: Record<string, string>;
}

export type SafetensorsErrorCode = 'truncated' | 'header' | 'dtype' | 'mismatch' | 'missing-shard' | 'index' | 'not-found' | 'aborted';

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
  constructor(
    readonly code: SafetensorsErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface LoadProgress {
  file: string;
  bytesDone: number;
  bytesTotal: number;
  tensorsDone: number;
  tensorsTotal: number;
}

export interface LoadOptions {
  /** Float dtype handed to onTensor. */
  dtype: EngineDtype;
  /** Receives each tensor once; awaited (so an upload can apply backpressure). */
  onTensor(name: string, shape: number[], data: TensorData, info: { dtype: string; file: string }): void | Promise<void>;
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

/** Anything a single safetensors file can be read from. A string is a Node file path. */
export type SafetensorsInput = ModelFile | Blob | Response | Uint8Array | string;

const DEFAULT_IGNORE = [/\.rotary_emb\.inv_freq$/];
const MAX_HEADER = 100 * 1024 * 1024;
/** Bytes read per piece of a large tensor (a multiple of 8). */
const PIECE = 32 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Sequential byte reader over a random-access file or a stream.

interface ByteReader {
  readonly label: string;
  /** Total size when known (random access, or a Response with Content-Length). */
  readonly size?: number;
  pos: number;
  /** Exactly n bytes (fresh, 8-byte aligned buffer) or a 'truncated' error. */
  read(n: number): Promise<Uint8Array>;
  skipTo(pos: number): Promise<void>;
  close(): Promise<void>;
}

function truncated(label: string, at: number, wanted: string): SafetensorsError {
  return new SafetensorsError(
    'truncated',
    `${label}: file ends at byte ${at} but ${wanted}: the file is truncated (interrupted download?). Delete it and download it again.`,
  );
}

function randomReader(f: ModelFile): ByteReader {
  return {
    label: f.name,
    size: f.size,
    pos: 0,
    async read(n) {
      if (this.pos + n > f.size) throw truncated(f.name, f.size, `${n} bytes were needed at offset ${this.pos}`);
      const out = await f.slice(this.pos, this.pos + n);
      if (out.byteLength !== n) throw truncated(f.name, this.pos + out.byteLength, `${n} bytes were needed at offset ${this.pos}`);
      this.pos += n;
      return out.byteOffset % 8 === 0 ? out : out.slice();
    },
    async skipTo(pos) {
      this.pos = pos;
    },
    async close() {},
  };
}

function streamReader(stream: ReadableStream<Uint8Array>, label: string, size?: number): ByteReader {
  const reader = stream.getReader();
  let queue: Uint8Array[] = []; // chunks not fully consumed, from index `head` on
  let head = 0;
  let queued = 0;
  let ended = false;
  const fill = async (n: number) => {
    while (queued < n && !ended) {
      const { value, done } = await reader.read();
      if (done) ended = true;
      else if (value.byteLength) {
        queue.push(value);
        queued += value.byteLength;
      }
    }
  };
  const take = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const chunk = queue[head];
      const k = Math.min(chunk.byteLength, n - off);
      out.set(chunk.subarray(0, k), off);
      off += k;
      if (k === chunk.byteLength) head++;
      else queue[head] = chunk.subarray(k);
    }
    if (head > 1024) {
      queue = queue.slice(head);
      head = 0;
    }
    queued -= n;
    return out;
  };
  return {
    label,
    size,
    pos: 0,
    async read(n) {
      await fill(n);
      if (queued < n) throw truncated(label, this.pos + queued, `${n} bytes were needed at offset ${this.pos}`);
      this.pos += n;
      return take(n);
    },
    async skipTo(pos) {
      while (this.pos < pos) {
        const k = Math.min(PIECE, pos - this.pos);
        await this.read(k);
      }
    },
    async close() {
      queue = [];
      await reader.cancel().catch(() => {});
    },
  };
}

async function openReader(input: SafetensorsInput, label?: string): Promise<ByteReader> {
  if (typeof input === 'string') return randomReader(await nodeFile(input, label ?? input));
  if (input instanceof Uint8Array) return randomReader(bytesFile(label ?? 'bytes', input));
  if (typeof Response !== 'undefined' && input instanceof Response) {
    if (!input.ok) throw new SafetensorsError('not-found', `${label ?? input.url}: HTTP ${input.status} ${input.statusText}.`);
    if (!input.body) throw new SafetensorsError('truncated', `${label ?? input.url}: response has no body.`);
    const len = input.headers.get('content-length');
    const encoded = input.headers.get('content-encoding');
    const size = len !== null && !encoded ? Number(len) : undefined;
    return streamReader(input.body, label ?? (input.url || 'response'), size);
  }
  if (typeof Blob !== 'undefined' && input instanceof Blob) {
    const name = label ?? ((input as File).name || 'blob');
    return randomReader(blobFile(name, input));
  }
  return randomReader(input as ModelFile);
}

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
// Conversion to the engine dtype, piece by piece into a preallocated output.

let f16ToF32Lut: Float32Array | undefined;
let bf16ToF16Lut: Uint16Array | undefined;

function lutF16ToF32(): Float32Array {
  if (!f16ToF32Lut) {
    f16ToF32Lut = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16ToF32Lut[h] = fromHalfBits(h);
  }
  return f16ToF32Lut;
}

function lutBf16ToF16(): Uint16Array {
  if (!bf16ToF16Lut) {
    const all = new Uint16Array(65536);
    for (let h = 0; h < 65536; h++) all[h] = h;
    const asF32 = bf16ToF32(all);
    bf16ToF16Lut = new Uint16Array(65536);
    for (let h = 0; h < 65536; h++) bf16ToF16Lut[h] = toHalfBits(asF32[h]);
  }
  return bf16ToF16Lut;
}

function allocOut(dtype: string, numel: number, target: EngineDtype): TensorData {
  if (dtype === 'I32') return new Int32Array(numel);
  if (dtype === 'I64') return new BigInt64Array(numel);
  return target === 'f32' ? new Float32Array(numel) : new Uint16Array(numel);
}

/** Convert `bytes` (whole elements of `dtype`) into `out` starting at element `at`. */
function convertInto(out: TensorData, at: number, bytes: Uint8Array, dtype: string, target: EngineDtype): void {
  const buf = bytes.buffer;
  const off = bytes.byteOffset;
  switch (dtype) {
    case 'I32':
      (out as Int32Array).set(new Int32Array(buf, off, bytes.byteLength / 4), at);
      return;
    case 'I64':
      (out as BigInt64Array).set(new BigInt64Array(buf, off, bytes.byteLength / 8), at);
      return;
    case 'F32': {
      const src = new Float32Array(buf, off, bytes.byteLength / 4);
      if (target === 'f32') (out as Float32Array).set(src, at);
      else {
        const o = out as Uint16Array;
        for (let i = 0; i < src.length; i++) o[at + i] = toHalfBits(src[i]);
      }
      return;
    }
    case 'F16': {
      const src = new Uint16Array(buf, off, bytes.byteLength / 2);
      if (target === 'f16') (out as Uint16Array).set(src, at);
      else {
        const lut = lutF16ToF32();
        const o = out as Float32Array;
        for (let i = 0; i < src.length; i++) o[at + i] = lut[src[i]];
      }
      return;
    }
    case 'BF16': {
      const src = new Uint16Array(buf, off, bytes.byteLength / 2);
      if (target === 'f32') {
        const o32 = new Uint32Array(out.buffer, out.byteOffset, out.length);
        for (let i = 0; i < src.length; i++) o32[at + i] = src[i] << 16;
      } else {
        const lut = lutBf16ToF16();
        const o = out as Uint16Array;
        for (let i = 0; i < src.length; i++) o[at + i] = lut[src[i]];
      }
      return;
    }
  }
  throw new SafetensorsError('dtype', `unsupported dtype ${dtype}`);
}

// ---------------------------------------------------------------------------------------------
// Strict matching.

const fmtShape = (s: readonly number[]) => `[${s.join(', ')}]`;

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
  for (const f of files) {
    for (const t of f.deliver) {
      if (opts.signal?.aborted) throw new SafetensorsError('aborted', `${f.header.file}: loading aborted.`);
      await f.reader.skipTo(t.begin);
      const item = ST_ITEM_BYTES[t.dtype as StDtype];
      const numel = (t.end - t.begin) / item;
      const out = allocOut(t.dtype, numel, opts.dtype);
      for (let off = 0; off < t.end - t.begin; off += piece) {
        const n = Math.min(piece, t.end - t.begin - off);
        convertInto(out, off / item, await f.reader.read(n), t.dtype, opts.dtype);
        bytesDone += n;
        opts.onProgress?.({ file: f.header.file, bytesDone, bytesTotal, tensorsDone, tensorsTotal });
      }
      await opts.onTensor(t.name, t.shape, out, { dtype: t.dtype, file: f.header.file });
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

// ---------------------------------------------------------------------------------------------
// Writing.

export interface TensorToWrite {
  name: string;
  shape: readonly number[];
  dtype: StDtype;
  /**
   * F32: Float32Array. F16/BF16: Uint16Array bit patterns, or a Float32Array to round (nearest even).
   * I32: Int32Array. I64: BigInt64Array. Any dtype: a Uint8Array of the raw little-endian bytes.
   */
  data: Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array;
}

function f32ToBf16Bits(src: Float32Array): Uint16Array {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < u.length; i++) {
    const b = u[i];
    if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff) out[i] = ((b >>> 16) & 0x8000) | 0x7fc0; // NaN
    else out[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return out;
}

function rawBytes(t: TensorToWrite): Uint8Array {
  const numel = t.shape.reduce((a, b) => a * b, 1);
  const item = ST_ITEM_BYTES[t.dtype];
  if (item === undefined) throw new SafetensorsError('dtype', `writeSafetensors: tensor "${t.name}" has unsupported dtype ${t.dtype}.`);
  let view: ArrayBufferView = t.data;
  if (t.data instanceof Float32Array && t.dtype === 'F16') view = Uint16Array.from(t.data, toHalfBits);
  else if (t.data instanceof Float32Array && t.dtype === 'BF16') view = f32ToBf16Bits(t.data);
  else if (!(t.data instanceof Uint8Array)) {
    const ok =
      (t.dtype === 'F32' && t.data instanceof Float32Array) ||
      ((t.dtype === 'F16' || t.dtype === 'BF16') && t.data instanceof Uint16Array) ||
      (t.dtype === 'I32' && t.data instanceof Int32Array) ||
      (t.dtype === 'I64' && t.data instanceof BigInt64Array);
    if (!ok) throw new SafetensorsError('dtype', `writeSafetensors: tensor "${t.name}" is ${t.dtype} but its data is a ${t.data.constructor.name}.`);
  }
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  if (bytes.byteLength !== numel * item) {
    throw new SafetensorsError(
      'header',
      `writeSafetensors: tensor "${t.name}" ${t.dtype}${fmtShape(t.shape)} needs ${numel * item} bytes, got ${bytes.byteLength}.`,
    );
  }
  return bytes;
}

/**
 * Serialize tensors to a safetensors file. Tensors are laid out by decreasing element size (keeps
 * every tensor aligned), in the given order otherwise; the header is space-padded to 8 bytes.
 */
export function writeSafetensors(tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Uint8Array {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === '__metadata__' || seen.has(t.name)) throw new SafetensorsError('header', `writeSafetensors: duplicate or reserved tensor name "${t.name}".`);
    seen.add(t.name);
  }
  const ordered = tensors
    .map((t, i) => ({ t, i, bytes: rawBytes(t) }))
    .sort((a, b) => ST_ITEM_BYTES[b.t.dtype] - ST_ITEM_BYTES[a.t.dtype] || a.i - b.i);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new SafetensorsError('header', `writeSafetensors: metadata "${k}" must be a string.`);
    }
    header.__metadata__ = metadata;
  }
  let off = 0;
  for (const { t, bytes } of ordered) {
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [off, off + bytes.byteLength] };
    off += bytes.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.byteLength + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let pos = 8 + json.byteLength;
  for (const { bytes } of ordered) {
    out.set(bytes, pos);
    pos += bytes.byteLength;
  }
  return out;
}
