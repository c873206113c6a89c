// Builds a one-node ONNX model (Y = A @ B with B a constant weight) as protobuf bytes, with a small
// hand-written protobuf encoder covering only the ModelProto fields such a model needs.
// Used by the kernel benchmark to run the same matmul through onnxruntime-web.

import { f32ToF16 } from '../util/f16';

/** ONNX TensorProto.DataType values used here. */
export const ONNX_FLOAT = 1;
export const ONNX_FLOAT16 = 10;

export type OnnxDType = 'f32' | 'f16';

export interface MatMulModelSpec {
  /** Rows of A and Y. A string makes it a symbolic dimension (any M at run time). */
  M: number | string;
  /** Inner dimension (columns of A, rows of B). */
  K: number;
  /** Columns of B and Y. */
  N: number;
  /** Element type of A, B and Y (ONNX MatMul needs one type for all three). Default 'f32'. */
  dtype?: OnnxDType;
  /** B as a (K, N) row-major weight, stored as an initializer (a constant, not an input).
   *  Float data is rounded to f16 for dtype 'f16'; a Uint16Array is taken as f16 bits as is. */
  weights: Float32Array | Uint16Array;
  /** Default opset of the ai.onnx domain. Default 17. */
  opset?: number;
  /** Tensor names. Defaults: 'A', 'B', 'Y'. */
  names?: { a?: string; b?: string; y?: string };
}

// ------------------------------------------------------------------ protobuf wire format

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

/** Append-only protobuf writer: varint and length-delimited fields, nested messages as bytes. */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  private varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`ProtoWriter: varint value must be a non-negative safe integer, got ${value}`);
    const out: number[] = [];
    let v = value;
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** An int32/int64/enum field (non-negative values only, which is all ONNX needs here). */
  int(field: number, value: number): this {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  /** An int64 field of any sign (negative values as 64-bit two's complement: ten bytes). */
  int64(field: number, value: number): this {
    if (!Number.isSafeInteger(value)) throw new Error(`ProtoWriter: int64 value must be a safe integer, got ${value}`);
    if (value >= 0) return this.int(field, value);
    this.tag(field, WIRE_VARINT);
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
    return this;
  }

  /** A float field (wire type 5: four little-endian bytes). */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** An embedded message, built by `fill` on a fresh writer. */
  message(field: number, fill: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter();
    fill(w);
    return this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

// ------------------------------------------------------------------ ONNX messages (field numbers from onnx.proto)

export type Dim = number | string;

/** TensorShapeProto.Dimension: dim_value = 1, dim_param = 2. */
function writeShape(w: ProtoWriter, dims: readonly Dim[]): void {
  for (const d of dims) {
    w.message(1, (dw) => {
      if (typeof d === 'string') dw.string(2, d);
      else dw.int(1, d);
    });
  }
}

/** ValueInfoProto { name = 1, type = 2 { tensor_type = 1 { elem_type = 1, shape = 2 } } }. */
export function writeValueInfo(w: ProtoWriter, name: string, elemType: number, dims: readonly Dim[]): void {
  w.string(1, name);
  w.message(2, (tw) => tw.message(1, (tt) => tt.int(1, elemType).message(2, (sw) => writeShape(sw, dims))));
}

/** TensorProto { dims = 1 (repeated int64), data_type = 2, name = 8, raw_data = 9 (little-endian) }. */
export function writeTensor(w: ProtoWriter, name: string, elemType: number, dims: readonly number[], raw: Uint8Array): void {
  for (const d of dims) w.int(1, d);
  w.int(2, elemType);
  w.string(8, name);
  w.bytes(9, raw);
}

/** Little-endian bytes of a typed array (copied, so the model owns them). */
export function littleEndianBytes(data: Float32Array | Uint16Array): Uint8Array {
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  else for (let i = 0; i < data.length; i++) view.setUint16(i * 2, data[i], true);
  return out;
}

/** Serialize Y (M, N) = A (M, K) @ B (K, N) with B an initializer, as an ONNX ModelProto. */
export function buildMatMulModel(spec: MatMulModelSpec): Uint8Array {
  const { M, K, N, weights } = spec;
  const dtype = spec.dtype ?? 'f32';
  const opset = spec.opset ?? 17;
  const a = spec.names?.a ?? 'A';
  const b = spec.names?.b ?? 'B';
  const y = spec.names?.y ?? 'Y';
  for (const [k, v] of [['K', K], ['N', N], ...(typeof M === 'number' ? [['M', M]] : [])] as Array<[string, number]>) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`buildMatMulModel: ${k} must be a positive integer, got ${v}`);
  }
  if (typeof M === 'string' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(M)) throw new Error(`buildMatMulModel: symbolic M '${M}' must be an identifier`);
  if (weights.length !== K * N) throw new Error(`buildMatMulModel: weights have ${weights.length} values, B (K=${K}, N=${N}) needs ${K * N}`);
  if (dtype === 'f32' && weights instanceof Uint16Array) throw new Error('buildMatMulModel: f16 bits (Uint16Array) given for an f32 model; pass a Float32Array');
  const elemType = dtype === 'f16' ? ONNX_FLOAT16 : ONNX_FLOAT;
  const raw = dtype === 'f16' ? littleEndianBytes(weights instanceof Uint16Array ? weights : f32ToF16(weights)) : littleEndianBytes(weights);

  const model = new ProtoWriter();
  model.int(1, 8); // ir_version 8 (the IR of ONNX 1.10 to 1.13, which covers opsets up to 18)
  model.string(2, 'int-lab'); // producer_name
  model.message(7, (g) => {
    // GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12
    g.message(1, (n) => {
      // NodeProto: input = 1, output = 2, name = 3, op_type = 4
      n.string(1, a).string(1, b).string(2, y).string(3, 'matmul').string(4, 'MatMul');
    });
    g.string(2, 'matmul_graph');
    g.message(5, (t) => writeTensor(t, b, elemType, [K, N], raw));
    g.message(11, (v) => writeValueInfo(v, a, elemType, [M, K]));
    g.message(12, (v) => writeValueInfo(v, y, elemType, [M, N]));
  });
  model.message(8, (o) => o.string(1, '').int(2, opset)); // OperatorSetIdProto: domain = 1, version = 2
  return model.finish();
}
