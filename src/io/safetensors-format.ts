// The safetensors format: element dtypes and sizes, header types, the loader's error, and
// conversion of stored elements to the engine dtype (piece by piece into a preallocated output).

import { bf16ToF32, fromHalfBits, toHalfBits } from '../util/f16';

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

/** The error for a file that ends before `wanted` (at byte `at`). */
export function truncated(label: string, at: number, wanted: string): SafetensorsError {
  return new SafetensorsError(
    'truncated',
    `${label}: file ends at byte ${at} but ${wanted}: the file is truncated (interrupted download?). Delete it and download it again.`,
  );
}

/** A shape as written in messages: [a, b]. */
export const fmtShape = (s: readonly number[]) => `[${s.join(', ')}]`;

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

export function allocOut(dtype: string, numel: number, target: EngineDtype): TensorData {
  if (dtype === 'I32') return new Int32Array(numel);
  if (dtype === 'I64') return new BigInt64Array(numel);
  return target === 'f32' ? new Float32Array(numel) : new Uint16Array(numel);
}

/** Convert `bytes` (whole elements of `dtype`) into `out` starting at element `at`. */
export function convertInto(out: TensorData, at: number, bytes: Uint8Array, dtype: string, target: EngineDtype): void {
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
