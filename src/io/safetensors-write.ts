// Safetensors writer: serializes named tensors (any stored dtype; f32 data rounded to F16 / BF16 on
// request) into one file, laid out by decreasing element size with an 8-byte padded header.

import { toHalfBits } from '../util/f16';
import { fmtShape, SafetensorsError, ST_ITEM_BYTES, type StDtype } from './safetensors-format';

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

/** One tensor's bytes as its declared dtype stores them (F32 data rounded to F16 / BF16 when asked). */
export function tensorBytes(t: TensorToWrite): Uint8Array {
  const numel = t.shape.reduce((a, b) => a * b, 1);
  const item = ST_ITEM_BYTES[t.dtype];
  if (item === undefined) throw new SafetensorsError('dtype', `writeSafetensors: tensor "${t.name}" has unsupported dtype ${t.dtype}.`);
  let view: ArrayBufferView = t.data;
  if (t.data instanceof Float32Array && t.dtype === 'F16') {
    // a loop, not Uint16Array.from(data, fn): that builds a JS array of every value first (out of heap at 10^8 values)
    const src = t.data;
    const out = new Uint16Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = toHalfBits(src[i]);
    view = out;
  }
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

/** What a file's header declares of one tensor (its data comes later). */
export type TensorDecl = Pick<TensorToWrite, 'name' | 'shape' | 'dtype'>;

/**
 * The layout of a safetensors file: tensors by decreasing element size (keeps every tensor aligned),
 * in the given order otherwise; `head` is the 8-byte length and the header, space-padded to 8 bytes;
 * `order` gives the indices of `tensors` in data order. A writer then appends each tensor's bytes in
 * that order (writeSafetensors in memory; a streaming writer one tensor at a time).
 */
export function safetensorsLayout(tensors: readonly TensorDecl[], metadata?: Record<string, string>): { head: Uint8Array; order: number[]; dataBytes: number } {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === '__metadata__' || seen.has(t.name)) throw new SafetensorsError('header', `writeSafetensors: duplicate or reserved tensor name "${t.name}".`);
    if (ST_ITEM_BYTES[t.dtype] === undefined) throw new SafetensorsError('dtype', `writeSafetensors: tensor "${t.name}" has unsupported dtype ${t.dtype}.`);
    seen.add(t.name);
  }
  const order = tensors.map((_, i) => i).sort((a, b) => ST_ITEM_BYTES[tensors[b].dtype] - ST_ITEM_BYTES[tensors[a].dtype] || a - b);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new SafetensorsError('header', `writeSafetensors: metadata "${k}" must be a string.`);
    }
    header.__metadata__ = metadata;
  }
  let off = 0;
  for (const i of order) {
    const t = tensors[i];
    const n = t.shape.reduce((a, b) => a * b, 1) * ST_ITEM_BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [off, off + n] };
    off += n;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const head = new Uint8Array(8 + json.byteLength);
  new DataView(head.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  head.set(json, 8);
  return { head, order, dataBytes: off };
}

/** Serialize tensors to a safetensors file in memory (layout: safetensorsLayout). */
export function writeSafetensors(tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Uint8Array {
  const { head, order, dataBytes } = safetensorsLayout(tensors, metadata);
  const bytes = tensors.map(tensorBytes);
  const out = new Uint8Array(head.byteLength + dataBytes);
  out.set(head, 0);
  let pos = head.byteLength;
  for (const i of order) {
    out.set(bytes[i], pos);
    pos += bytes[i].byteLength;
  }
  return out;
}
