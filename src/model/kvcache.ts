// KV cache for batched generation: per layer one key and one value tensor (slots, Hkv, capacity, D),
// f32 or f16 (half the bytes; needs shader-f16), each slot left-aligned (position p at row p). Slot lengths live on the host (the decode loop
// knows them without reading anything back).

import type { DType, Gpu, Tensor } from '../gpu';
import type { ModelConfig } from './config';

/** KV cache element type: 'auto' is f16 when the adapter has shader-f16, else f32. */
export type KvDtype = 'f32' | 'f16' | 'auto';

/** The element type a KVCache built with `want` on this device stores; 'f16' without shader-f16 throws. */
export function resolveKvDtype(gpu: Gpu, want: KvDtype = 'f32'): 'f32' | 'f16' {
  if (want !== 'f32' && want !== 'f16' && want !== 'auto') throw new Error(`KVCache: dtype must be 'f32', 'f16' or 'auto', got ${JSON.stringify(want)}`);
  if (want === 'f16' && !gpu.f16) throw new Error("KVCache: an f16 cache needs the adapter's shader-f16 feature, which this one lacks; use 'f32' or 'auto'");
  return want === 'auto' ? (gpu.f16 ? 'f16' : 'f32') : want;
}

export class KVCache {
  readonly k: Tensor[] = []; // per layer (slots, Hkv, capacity, D)
  readonly v: Tensor[] = [];
  /** Tokens stored per slot. */
  readonly lengths: Uint32Array;
  /** Element type of the cache tensors. */
  readonly dtype: 'f32' | 'f16';

  constructor(
    gpu: Gpu,
    readonly config: ModelConfig,
    readonly slots: number,
    readonly capacity: number,
    dtype: KvDtype = 'f32',
  ) {
    this.dtype = resolveKvDtype(gpu, dtype);
    if (!Number.isInteger(slots) || slots < 1) throw new Error(`KVCache: slots must be a positive integer, got ${slots}`);
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`KVCache: capacity must be a positive integer, got ${capacity}`);
    const shape = [slots, config.numKvHeads, capacity, config.headDim];
    const bytes = slots * config.numKvHeads * capacity * config.headDim * this.elementBytes;
    const maxBind = gpu.limits.maxStorageBufferBindingSize ?? 128 * 1024 * 1024;
    if (bytes > maxBind) {
      throw new Error(`KVCache: one layer's keys need ${bytes} bytes (${slots} slots x ${capacity} tokens), over this adapter's maxStorageBufferBindingSize (${maxBind}); generate fewer sequences at once or fewer tokens`);
    }
    for (let l = 0; l < config.numLayers; l++) {
      this.k.push(gpu.empty(shape, this.dtype as DType, `kv.k${l}`));
      this.v.push(gpu.empty(shape, this.dtype as DType, `kv.v${l}`));
    }
    this.lengths = new Uint32Array(slots);
  }

  /** Bytes per cached element: 4 (f32) or 2 (f16). */
  get elementBytes(): number {
    return this.dtype === 'f16' ? 2 : 4;
  }

  /** Bytes held on the GPU. */
  get bytes(): number {
    return 2 * this.config.numLayers * this.slots * this.config.numKvHeads * this.capacity * this.config.headDim * this.elementBytes;
  }

  /** Cache row of (slot, kv head, position) in a (slots, Hkv, capacity, D) tensor seen as rows of D. */
  row(slot: number, head: number, pos: number): number {
    return (slot * this.config.numKvHeads + head) * this.capacity + pos;
  }

  release(): void {
    for (const t of [...this.k, ...this.v]) t.release();
    this.k.length = 0;
    this.v.length = 0;
  }
}
