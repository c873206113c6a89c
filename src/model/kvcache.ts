// KV cache for batched generation: per layer one key and one value tensor (slots, Hkv, capacity, D),
// f32, each slot left-aligned (position p at row p). Slot lengths live on the host (the decode loop
// knows them without reading anything back).

import type { Gpu, Tensor } from '../gpu';
import type { ModelConfig } from './config';

export class KVCache {
  readonly k: Tensor[] = []; // per layer (slots, Hkv, capacity, D)
  readonly v: Tensor[] = [];
  /** Tokens stored per slot. */
  readonly lengths: Uint32Array;

  constructor(
    gpu: Gpu,
    readonly config: ModelConfig,
    readonly slots: number,
    readonly capacity: number,
  ) {
    if (!Number.isInteger(slots) || slots < 1) throw new Error(`KVCache: slots must be a positive integer, got ${slots}`);
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`KVCache: capacity must be a positive integer, got ${capacity}`);
    const shape = [slots, config.numKvHeads, capacity, config.headDim];
    const bytes = slots * config.numKvHeads * capacity * config.headDim * 4;
    const maxBind = gpu.limits.maxStorageBufferBindingSize ?? 128 * 1024 * 1024;
    if (bytes > maxBind) {
      throw new Error(`KVCache: one layer's keys need ${bytes} bytes (${slots} slots x ${capacity} tokens), over this adapter's maxStorageBufferBindingSize (${maxBind}); generate fewer sequences at once or fewer tokens`);
    }
    for (let l = 0; l < config.numLayers; l++) {
      this.k.push(gpu.empty(shape, 'f32', `kv.k${l}`));
      this.v.push(gpu.empty(shape, 'f32', `kv.v${l}`));
    }
    this.lengths = new Uint32Array(slots);
  }

  /** Bytes held on the GPU. */
  get bytes(): number {
    return 2 * this.config.numLayers * this.slots * this.config.numKvHeads * this.capacity * this.config.headDim * 4;
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
