// Model weights on the GPU: walk the parameter table, upload each checkpoint tensor as it streams in
// (2-D matrices f16 when the adapter has shader-f16, else f32; norms and biases always f32), check that
// every expected tensor arrived, and read weights back (tests, full fine-tune export). The embedding and
// lm_head are RowBlocks (one block when they fit one binding, several over the limit), each block filled from
// its slice of the host array.

import { RowBlocks, emptyRows, f16ToF32, readWeight, uploadRows, writeWeightAt, type Gpu, type Tensor, type Weight } from '../gpu';
import type { StTensorInfo, TensorData } from '../io/safetensors-format';
import { loadWeights, type TensorSink } from '../io/safetensors-read';
import type { ModelSource } from '../io/folder';
import type { ModelConfig } from './config';
import { checkpointIgnore, expectedTensors, type LinearModule, type ParamEntry, type ParamTable } from './params';

export type WeightDtype = 'f16' | 'f32';

/** One decoder layer's weights (HF layouts: linear weights are (out, in)). */
export interface LayerWeights {
  inputNorm: Tensor; // (C,)
  q: Tensor; // (Hq*D, C)
  k: Tensor; // (Hkv*D, C)
  v: Tensor; // (Hkv*D, C)
  o: Tensor; // (C, Hq*D)
  /** Qwen2 q/k/v biases, (out, 1) so they can be added with a K = 1 linear. */
  qBias?: Tensor;
  kBias?: Tensor;
  vBias?: Tensor;
  /** Qwen3 per-head norms (D,). */
  qNorm?: Tensor;
  kNorm?: Tensor;
  postNorm: Tensor; // (C,)
  gate: Tensor; // (I, C)
  up: Tensor; // (I, C)
  down: Tensor; // (C, I)
}

export interface ModelWeights {
  config: ModelConfig;
  table: ParamTable;
  /** Storage of the 2-D matrices (embedding, linear, lm_head). */
  dtype: WeightDtype;
  embed: RowBlocks; // (V, C) in row blocks under the binding limit
  layers: LayerWeights[];
  norm: Tensor; // (C,)
  /** (V, C) in row blocks; the embedding itself when tied. */
  lmHead: RowBlocks;
  /** Every weight by HF key (biases with their (out, 1) shape; embedding and lm_head as RowBlocks). */
  byName: Map<string, Weight>;
  release(): void;
}

export interface WeightOptions {
  /** Storage of the 2-D matrices. Default 'f16' when the adapter has shader-f16, else 'f32'. Full fine-tuning needs 'f32'. */
  dtype?: WeightDtype;
}

/** HF key of a layer's linear weight. */
export function linearKey(layer: number, module: LinearModule): string {
  const block = module === 'gate_proj' || module === 'up_proj' || module === 'down_proj' ? 'mlp' : 'self_attn';
  return `model.layers.${layer}.${block}.${module}.weight`;
}

/** The storage dtype a parameter gets: matrices follow `dtype`, 1-D weights stay f32. */
export function storageDtype(e: ParamEntry, dtype: WeightDtype): WeightDtype {
  return e.kind === 'linear' || e.kind === 'embed' || e.kind === 'lm_head' ? dtype : 'f32';
}

/** True for the (vocab, C) matrices stored as RowBlocks: they can outgrow one binding. */
export function isRowBlocked(e: ParamEntry): boolean {
  return e.kind === 'embed' || e.kind === 'lm_head';
}

/** GPU shape of a parameter: biases become (out, 1) columns, everything else keeps its HF shape. */
export function gpuShape(e: ParamEntry): number[] {
  return e.kind === 'bias' ? [e.shape[0], 1] : e.shape;
}

function resolveDtype(gpu: Gpu, opts: WeightOptions): WeightDtype {
  const dtype = opts.dtype ?? (gpu.f16 ? 'f16' : 'f32');
  if (dtype === 'f16' && !gpu.f16) throw new Error("weights: dtype 'f16' needs an adapter with shader-f16; use dtype 'f32'");
  return dtype;
}

/** Non-finite values (NaN, +-Infinity) of f32 values or f16 bit patterns (a Uint16Array): how
 *  many, the first's index and value; null when every value is finite. */
export function nonFinite(data: ArrayLike<number> | Uint16Array): { count: number; index: number; value: string } | null {
  let count = 0;
  let index = -1;
  if (data instanceof Uint16Array) {
    for (let i = 0; i < data.length; i++) {
      if ((data[i] & 0x7c00) === 0x7c00) {
        if (count++ === 0) index = i;
      }
    }
    if (count === 0) return null;
    return { count, index, value: (data[index] & 0x3ff) !== 0 ? 'NaN' : data[index] & 0x8000 ? '-Infinity' : 'Infinity' };
  }
  if (data instanceof Float32Array) {
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
    for (let i = 0; i < bits.length; i++) {
      if ((bits[i] & 0x7f800000) === 0x7f800000) {
        if (count++ === 0) index = i;
      }
    }
  } else {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        if (count++ === 0) index = i;
      }
    }
  }
  return count === 0 ? null : { count, index, value: String(data[index]) };
}

/** Uploads tensors one at a time (as a checkpoint streams in) and assembles ModelWeights at the end. */
export class WeightUploader {
  readonly dtype: WeightDtype;
  private tensors = new Map<string, Weight>();
  private ignore: RegExp[];

  constructor(
    private gpu: Gpu,
    readonly table: ParamTable,
    opts: WeightOptions = {},
  ) {
    this.dtype = resolveDtype(gpu, opts);
    this.ignore = checkpointIgnore(table.config);
  }

  /** The parameter entry of a checkpoint tensor after the name and shape checks; null for an ignorable key. */
  private entry(name: string, shape: readonly number[]): ParamEntry | null {
    const e = this.table.byName.get(name);
    if (!e) {
      if (this.ignore.some((r) => r.test(name))) return null;
      throw new Error(`weights: checkpoint tensor '${name}' is not a parameter of this ${this.table.config.architecture} model (check that config.json matches the weights)`);
    }
    if (shape.length !== e.shape.length || shape.some((d, i) => d !== e.shape[i])) {
      throw new Error(`weights: '${name}' has shape [${shape.join(', ')}], the config expects [${e.shape.join(', ')}]`);
    }
    if (this.tensors.has(name)) throw new Error(`weights: '${name}' was given twice`);
    return e;
  }

  private checkValues(name: string, data: TensorData | ArrayLike<number>, at = 0, source?: string): void {
    if (data instanceof BigInt64Array || data instanceof Int32Array) throw new Error(`weights: '${name}' holds integers; expected floating-point weights`);
    const bad = nonFinite(data);
    if (!bad) return;
    const fix =
      source === 'BF16' && data instanceof Uint16Array
        ? "a bf16 checkpoint's values beyond f16's range (+-65504) overflow in f16 storage: load it in f32 (modelDtype \"f32\"), or check the checkpoint"
        : 'the checkpoint is corrupt or was saved after training diverged: re-download or re-export it';
    throw new Error(`weights: '${name}' holds ${bad.count} non-finite value(s) (the first at flat index ${at + bad.index}: ${bad.value}); ${fix}`);
  }

  /** Take one tensor: f32 values, or f16 bit patterns in a Uint16Array. Unknown keys throw; ignorable keys are skipped.
   *  `source` is the checkpoint's dtype (named in messages). */
  add(name: string, shape: readonly number[], data: TensorData | ArrayLike<number>, source?: string): void {
    const e = this.entry(name, shape);
    if (!e) return;
    this.checkValues(name, data, 0, source);
    const dt = storageDtype(e, this.dtype);
    let values = data as ArrayLike<number> | Uint16Array; // integers were refused above
    // Uint16Array = f16 bits: pass straight to an f16 tensor, decode for an f32 one.
    if (data instanceof Uint16Array && dt === 'f32') values = f16ToF32(data);
    const gs = gpuShape(e);
    this.tensors.set(name, isRowBlocked(e) ? uploadRows(this.gpu, values, [gs[0], gs[1]], dt, name) : this.gpu.upload(values, gs, dt, name));
  }

  /** A row-blocked matrix (embedding, lm_head) taken piece by piece as the checkpoint streams in,
   *  written straight into its GPU blocks (LoadOptions.openTensor); null for every other tensor
   *  (taken whole by add). The pieces arrive in this uploader's dtype. */
  open(name: string, shape: readonly number[], source?: string): TensorSink | null {
    const e = this.entry(name, shape);
    if (!e || !isRowBlocked(e)) return null;
    const dt = storageDtype(e, this.dtype);
    const [rows, cols] = gpuShape(e);
    // f16 writes move 4-byte words: blocks must start at even elements.
    if (dt === 'f16' && cols % 2 !== 0) return null;
    const rb = emptyRows(this.gpu, [rows, cols], dt, name);
    let next = 0;
    return {
      write: (at, data) => {
        if (at !== next) throw new Error(`weights: '${name}' pieces must arrive in order (expected element ${next}, got ${at})`);
        try {
          this.checkValues(name, data, at, source);
          writeWeightAt(this.gpu, rb, at, data as ArrayLike<number>);
        } catch (err) {
          rb.release();
          throw err;
        }
        next = at + data.length;
      },
      close: () => {
        if (next !== rows * cols) {
          rb.release();
          throw new Error(`weights: '${name}' got ${next} of its ${rows * cols} elements`);
        }
        this.tensors.set(name, rb);
      },
    };
  }

  /** Release every tensor taken so far (a load that failed part-way). */
  abort(): void {
    for (const t of this.tensors.values()) t.release();
    this.tensors.clear();
  }

  /** Check that every parameter arrived and build the typed view. */
  finish(): ModelWeights {
    const missing = this.table.entries.filter((e) => !this.tensors.has(e.name)).map((e) => e.name);
    if (missing.length) {
      for (const t of this.tensors.values()) t.release();
      throw new Error(`weights: ${missing.length} parameter(s) missing from the checkpoint, e.g. ${missing.slice(0, 3).join(', ')}`);
    }
    return assemble(this.table, this.dtype, this.tensors);
  }
}

function assemble(table: ParamTable, dtype: WeightDtype, byName: Map<string, Weight>): ModelWeights {
  const cfg = table.config;
  const get = (n: string) => byName.get(n) as Tensor;
  const opt = (n: string) => byName.get(n) as Tensor | undefined;
  const blocks = (n: string) => byName.get(n) as RowBlocks;
  const layers: LayerWeights[] = [];
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}`;
    layers.push({
      inputNorm: get(`${p}.input_layernorm.weight`),
      q: get(linearKey(l, 'q_proj')),
      k: get(linearKey(l, 'k_proj')),
      v: get(linearKey(l, 'v_proj')),
      o: get(linearKey(l, 'o_proj')),
      qBias: opt(`${p}.self_attn.q_proj.bias`),
      kBias: opt(`${p}.self_attn.k_proj.bias`),
      vBias: opt(`${p}.self_attn.v_proj.bias`),
      qNorm: opt(`${p}.self_attn.q_norm.weight`),
      kNorm: opt(`${p}.self_attn.k_norm.weight`),
      postNorm: get(`${p}.post_attention_layernorm.weight`),
      gate: get(linearKey(l, 'gate_proj')),
      up: get(linearKey(l, 'up_proj')),
      down: get(linearKey(l, 'down_proj')),
    });
  }
  const embed = blocks('model.embed_tokens.weight');
  return {
    config: cfg,
    table,
    dtype,
    embed,
    layers,
    norm: get('model.norm.weight'),
    lmHead: cfg.tieEmbeddings ? embed : blocks('lm_head.weight'),
    byName,
    release() {
      for (const t of byName.values()) t.release();
    },
  };
}

/** Upload host weights (HF keys -> f32 values or f16 bits). */
export function uploadWeights(gpu: Gpu, table: ParamTable, host: Map<string, ArrayLike<number> | TensorData>, opts: WeightOptions = {}): ModelWeights {
  const up = new WeightUploader(gpu, table, opts);
  for (const e of table.entries) {
    const data = host.get(e.name);
    if (data) up.add(e.name, e.shape, data);
  }
  return up.finish();
}

/** Stream a checkpoint (model.safetensors or shards) from a ModelSource onto the GPU. */
export interface LoadWeightsOptions {
  /** Storage of the 2-D matrices; 'auto': autoWeightDtype. Default: 'f16' where the adapter has shader-f16, else 'f32'. */
  dtype?: WeightDtype | 'auto';
  signal?: AbortSignal;
  /** Bytes read at a time (LoadOptions.pieceBytes). Default 32 MiB. */
  pieceBytes?: number;
  /** Take the embedding / lm_head whole on the host before uploading them, instead of piece by
   *  piece into their blocks. Default false (benchmarks compare the two). */
  wholeRows?: boolean;
}

/** The matrices' storage for a checkpoint under 'auto': f16 when the adapter has shader-f16 and every
 *  matrix of the checkpoint is stored in 16 bits (F16 or BF16), else f32. An f32 checkpoint keeps its precision. */
export function autoWeightDtype(gpu: Gpu, table: ParamTable, tensors: readonly StTensorInfo[]): WeightDtype {
  if (!gpu.f16) return 'f32';
  const matrices = tensors.filter((t) => {
    const e = table.byName.get(t.name);
    return e !== undefined && storageDtype(e, 'f16') === 'f16';
  });
  return matrices.length > 0 && matrices.every((t) => t.dtype === 'F16' || t.dtype === 'BF16') ? 'f16' : 'f32';
}

/** Stream a checkpoint (model.safetensors or shards) from a ModelSource onto the GPU. The embedding
 *  and lm_head go to their blocks piece by piece; other tensors are held whole one at a time. With
 *  dtype 'auto' the storage follows the checkpoint (autoWeightDtype). */
export async function loadModelWeights(gpu: Gpu, source: ModelSource, table: ParamTable, opts: LoadWeightsOptions = {}): Promise<ModelWeights> {
  // made once every header is read (loadWeights asks for the dtype before the first tensor), so 'auto' sees the checkpoint
  let up = null as WeightUploader | null;
  try {
    await loadWeights(source, {
      dtype: (tensors) => (up = new WeightUploader(gpu, table, { dtype: opts.dtype === 'auto' ? autoWeightDtype(gpu, table, tensors) : opts.dtype })).dtype,
      expected: expectedTensors(table),
      ignore: checkpointIgnore(table.config),
      signal: opts.signal,
      pieceBytes: opts.pieceBytes,
      openTensor: opts.wholeRows ? undefined : (name, shape, info) => up!.open(name, shape, info.dtype),
      onTensor: (name, shape, data, info) => up!.add(name, shape, data, info.dtype),
    });
  } catch (e) {
    up?.abort();
    throw e;
  }
  return up!.finish();
}

/** Read every weight back as f32, keyed by HF name with HF shapes. */
export async function readWeights(gpu: Gpu, w: ModelWeights): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, t] of w.byName) out.set(name, await readWeight(gpu, t));
  return out;
}
