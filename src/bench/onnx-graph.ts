// A small ONNX graph builder over the protobuf writer of onnx-builder.ts: nodes with attributes,
// float / float16 / int64 initializers, typed graph inputs and outputs, serialized as a ModelProto.
// Enough for the decoder graph of onnx-decoder.ts; names are generated so a graph reads like code.

import { f32ToF16 } from '../util/f16';
import { ONNX_FLOAT, ONNX_FLOAT16, ProtoWriter, littleEndianBytes, writeTensor, writeValueInfo, type Dim, type OnnxDType } from './onnx-builder';

/** TensorProto.DataType of int64. */
export const ONNX_INT64 = 7;

/** An attribute value: a number is an int unless wrapped as { f }, arrays of numbers are ints. */
export type AttrValue = number | { f: number } | number[];

interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  domain: string;
}

interface Initializer {
  name: string;
  elemType: number;
  dims: number[];
  raw: Uint8Array;
}

// AttributeProto fields: name = 1, f = 2, i = 3, ints = 8, type = 20; AttributeType FLOAT = 1, INT = 2, INTS = 7.
function writeAttr(w: ProtoWriter, name: string, v: AttrValue): void {
  w.string(1, name);
  if (Array.isArray(v)) {
    for (const x of v) w.int64(8, x);
    w.int(20, 7);
  } else if (typeof v === 'number') {
    w.int64(3, v);
    w.int(20, 2);
  } else {
    w.float(2, v.f);
    w.int(20, 1);
  }
}

export class OnnxGraph {
  private nodes: NodeSpec[] = [];
  private inits: Initializer[] = [];
  private inputs: Array<{ name: string; elemType: number; dims: Dim[] }> = [];
  private outputs: Array<{ name: string; elemType: number; dims: Dim[] }> = [];
  private names = new Set<string>();
  private counter = 0;
  /** Element type of the float tensors (weights, activations) of this graph. */
  readonly floatType: number;

  constructor(readonly dtype: OnnxDType) {
    this.floatType = dtype === 'f16' ? ONNX_FLOAT16 : ONNX_FLOAT;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`OnnxGraph: the name '${name}' is used twice`);
    this.names.add(name);
    return name;
  }

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    let n: string;
    do n = `${prefix}_${this.counter++}`;
    while (this.names.has(n));
    return this.claim(n);
  }

  /** A graph input of the graph's float type (or `elemType`). Returns its name. */
  input(name: string, dims: Dim[], elemType = this.floatType): string {
    this.inputs.push({ name: this.claim(name), elemType, dims });
    return name;
  }

  /** Declare `name` (already produced by a node) a graph output. */
  output(name: string, dims: Dim[], elemType = this.floatType): void {
    this.outputs.push({ name, elemType, dims });
  }

  /** A float initializer in the graph's dtype (f32 values rounded to f16 for an f16 graph). */
  weight(name: string, dims: number[], data: Float32Array): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new Error(`OnnxGraph: initializer '${name}' has ${data.length} values, its shape [${dims.join(', ')}] needs ${n}`);
    const raw = littleEndianBytes(this.dtype === 'f16' ? f32ToF16(data) : data);
    this.inits.push({ name: this.claim(name), elemType: this.floatType, dims, raw });
    return name;
  }

  /** A float scalar constant of the graph's dtype. */
  scalar(prefix: string, value: number): string {
    const name = this.fresh(prefix);
    const raw = littleEndianBytes(this.dtype === 'f16' ? f32ToF16(new Float32Array([value])) : new Float32Array([value]));
    this.inits.push({ name, elemType: this.floatType, dims: [], raw });
    return name;
  }

  /** An int64 1-D constant (shapes, axes, split sizes, slice bounds). */
  ints(prefix: string, values: number[]): string {
    const name = this.fresh(prefix);
    const raw = new Uint8Array(values.length * 8);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    this.inits.push({ name, elemType: ONNX_INT64, dims: [values.length], raw });
    return name;
  }

  /** Add a node with `nOut` outputs (fresh names unless `outNames` is given); returns the output names. */
  nodeN(op: string, inputs: string[], nOut: number, attrs: Record<string, AttrValue> = {}, opts: { domain?: string; outNames?: string[] } = {}): string[] {
    const outputs = opts.outNames ? opts.outNames.map((n) => this.claim(n)) : Array.from({ length: nOut }, () => this.fresh(op.toLowerCase()));
    this.nodes.push({ op, inputs, outputs, attrs, domain: opts.domain ?? '' });
    return outputs;
  }

  /** Add a one-output node; returns the output name (`out` names it). */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, out?: string, domain?: string): string {
    return this.nodeN(op, inputs, 1, attrs, { domain, outNames: out ? [out] : undefined })[0];
  }

  /** Serialize as a ModelProto of the default domain at `opset` (plus com.microsoft when a node uses it). */
  finish(opts: { opset?: number; name?: string } = {}): Uint8Array {
    const opset = opts.opset ?? 17;
    for (const o of this.outputs) if (!this.names.has(o.name)) throw new Error(`OnnxGraph: output '${o.name}' is never produced`);
    const model = new ProtoWriter();
    model.int(1, 8); // ir_version 8
    model.string(2, 'int-lab');
    model.message(7, (g) => {
      // GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12
      this.nodes.forEach((n, i) => {
        g.message(1, (w) => {
          // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7
          for (const x of n.inputs) w.string(1, x);
          for (const y of n.outputs) w.string(2, y);
          w.string(3, `${n.op.toLowerCase()}_n${i}`).string(4, n.op);
          for (const [k, v] of Object.entries(n.attrs)) w.message(5, (a) => writeAttr(a, k, v));
          if (n.domain) w.string(7, n.domain);
        });
      });
      g.string(2, opts.name ?? 'graph');
      for (const t of this.inits) g.message(5, (w) => writeTensor(w, t.name, t.elemType, t.dims, t.raw));
      for (const v of this.inputs) g.message(11, (w) => writeValueInfo(w, v.name, v.elemType, v.dims));
      for (const v of this.outputs) g.message(12, (w) => writeValueInfo(w, v.name, v.elemType, v.dims));
    });
    model.message(8, (o) => o.string(1, '').int(2, opset));
    if (this.nodes.some((n) => n.domain === 'com.microsoft')) model.message(8, (o) => o.string(1, 'com.microsoft').int(2, 1));
    return model.finish();
  }
}
