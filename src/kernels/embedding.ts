// Token embedding: forward gathers rows of the (V, C) table by token id; backward scatters dOut rows
// into dTable without float atomics (chains of equal ids, one writer per element). Ids outside [0, V)
// cannot be reported from inside a step (no readback): the forward writes a zero row and the backward
// skips them; embeddingCheckIds() is the debug check. A table over the binding limit is a RowBlocks
// (src/gpu/rowblocks.ts): both passes run once per row block. Plain-TS reference in embedding.ref.ts.

import { P, asRowBlocks, buildWgsl, expectTensor, type Gpu, type RowBlocks, type Tensor, type Weight } from '../gpu';
import { grid1D } from './grid';
import weightTypeSrc from './weight_type.wgsl?raw';
import commonSrc from './embedding_common.wgsl?raw';
import fwdBody from './embedding.wgsl?raw';
import linksSrc from './embedding_links.wgsl?raw';
import bwdBody from './embedding_backward.wgsl?raw';

const WG = 256;
const LINKS_WG = 64;
// Per-element kernels: embedding_common.wgsl + the body (the forward after weight_type.wgsl, built per table dtype).
const fwdSrc = weightTypeSrc + '\n' + commonSrc + '\n' + fwdBody;
const bwdSrc = commonSrc + '\n' + bwdBody;

export interface EmbeddingBackwardOptions {
  /** dTable += gradient (e.g. over micro-batches) instead of overwrite. Default false. */
  accumulate?: boolean;
}

function checkIds(kernel: string, ids: Tensor): number {
  expectTensor(kernel, 'ids', ids, ['u32', 'i32'], [-1]);
  return ids.shape[0];
}

/** The table as row blocks, checked: every block 2-D of `dtypes`, the same width. */
function tableBlocks(k: string, name: string, table: Weight, dtypes: Array<'f32' | 'f16'>): RowBlocks {
  const rb = asRowBlocks(table);
  for (const b of rb.blocks) expectTensor(k, name, b, dtypes, [-1, rb.cols]);
  return rb;
}

/**
 * out[n] = table[ids[n]]. out: (N, C) f32; ids: (N,) u32 or i32; table: (V, C) f32 or f16 (f16 needs shader-f16),
 * a tensor or a RowBlocks (one dispatch per block). An id outside [0, V) gives a zero row (see embeddingCheckIds).
 */
export function embeddingForward(gpu: Gpu, out: Tensor, ids: Tensor, table: Weight): void {
  const k = 'embedding.forward';
  const N = checkIds(k, ids);
  const rb = tableBlocks(k, 'table', table, ['f32', 'f16']);
  const [V, C] = rb.shape;
  expectTensor(k, 'out', out, 'f32', [N, C]);
  if (rb.dtype === 'f16' && !gpu.f16) throw new Error(`${k}: table is f16 but this adapter has no shader-f16; upload the table as f32`);
  const g = grid1D(gpu, N * C, WG);
  rb.blocks.forEach((block, i) => {
    gpu.dispatch({
      kernel: k,
      code: buildWgsl(fwdSrc, { F16: rb.dtype === 'f16' }),
      outputs: [out],
      inputs: [ids, block],
      params: P().u32(N * C).u32(C).u32(V).u32(g.rowStride).u32(rb.rowStart(i)).u32(rb.blockRows(i)).u32(i === 0 ? 1 : 0),
      workgroups: g.workgroups,
      constants: { WG },
    });
  });
}

/**
 * dTable[v] = sum of dOut[n] over tokens with ids[n] = v (overwritten, or added with accumulate).
 * dTable: (V, C) f32, a tensor or a RowBlocks (one scatter per block, the links computed once); dOut: (N, C) f32;
 * ids: (N,) u32 or i32. Deterministic: each row is summed in token order by one thread. Cost O(N^2) id
 * comparisons + O(N * C) per block: meant for N up to a few thousand tokens.
 */
export function embeddingBackward(gpu: Gpu, dTable: Weight, dOut: Tensor, ids: Tensor, opts: EmbeddingBackwardOptions = {}): void {
  const k = 'embedding.backward';
  const N = checkIds(k, ids);
  const rb = tableBlocks(k, 'dTable', dTable, ['f32']);
  const C = rb.cols;
  expectTensor(k, 'dOut', dOut, 'f32', [N, C]);
  const acc = !!opts.accumulate;
  if (!acc) rb.blocks.forEach((b) => gpu.clear(b));
  if (N === 0 || C === 0) return;
  const links = gpu.empty([2 * N], 'u32', 'embedding.links');
  const gl = grid1D(gpu, N, LINKS_WG);
  gpu.dispatch({
    kernel: 'embedding.backward.links',
    code: linksSrc,
    outputs: [links],
    inputs: [ids],
    params: P().u32(N).u32(gl.rowStride),
    workgroups: gl.workgroups,
    constants: { WG: LINKS_WG },
  });
  const g = grid1D(gpu, N * C, WG);
  rb.blocks.forEach((block, i) => {
    gpu.dispatch({
      kernel: k,
      code: bwdSrc,
      outputs: [block],
      inputs: [dOut, ids, links],
      params: P().u32(N * C).u32(N).u32(C).u32(rb.rowStart(i)).u32(rb.blockRows(i)).u32(g.rowStride).u32(acc ? 1 : 0),
      workgroups: g.workgroups,
      constants: { WG },
    });
  });
  links.release();
}

/**
 * Debug check (reads back, so never call it inside a step): throws if any id is outside [0, vocab),
 * naming the first bad position. The kernels themselves ignore such ids.
 */
export async function embeddingCheckIds(gpu: Gpu, ids: Tensor, vocab: number): Promise<void> {
  checkIds('embeddingCheckIds', ids);
  const host = await gpu.read(ids);
  for (let n = 0; n < host.length; n++) {
    const id = host[n];
    if (!(id >= 0 && id < vocab)) {
      throw new Error(`embedding: token id ${id} at position ${n} of ${ids} is outside the vocabulary [0, ${vocab}); check the tokenizer matches the model's vocab_size`);
    }
  }
}
