// Shared helpers of the trainer tests: a randomly initialised tiny Llama with the tiny-llama fixture's
// shapes and byte tokenizer ids (untied head, so it does not just copy its input), in full fine-tune
// or LoRA mode, small SFT datasets, and host copies of parameters and gradients.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Gpu } from '../../src/gpu';
import { parseModelConfig } from '../../src/model/config';
import type { Decoder } from '../../src/model/decoder';
import { LoraAdapter } from '../../src/model/lora';
import type { WeightDtype } from '../../src/model/weights';
import type { SftExample } from '../../src/train/trainer';
import type { OptimParam } from '../../src/train/optimizer';
import { gpuModel, randomModel, type HostModel } from './model-fixtures';

/** BOS of the fixture tokenizer; its byte tokens: '0'..'9' = 48..57, 'A'..'Z' = 65..90, 'a'..'z' = 97..122. */
export const BOS = 264;

/** Random weights for the tiny-llama fixture config (V 272, C 64, 2 layers, context 512) with an untied lm_head. */
export function tinyLlama(seed = 7): HostModel {
  const raw = JSON.parse(readFileSync(join(__dirname, '../fixtures/models/tiny-llama/config.json'), 'utf8'));
  return randomModel(parseModelConfig({ ...raw, tie_word_embeddings: false }), seed);
}

/** A decoder: 'full' trains every weight (f32), 'lora' a rank-8 adapter on every linear layer (base
 *  weights f32 unless `base` says f16). */
export function trainModel(gpu: Gpu, m: HostModel, mode: 'full' | 'lora', loraSeed = 0, base: WeightDtype = 'f32'): Decoder {
  const model = gpuModel(gpu, m, mode === 'full' ? 'f32' : base, { trainBase: mode === 'full' });
  if (mode === 'lora') model.adapter = LoraAdapter.create(gpu, m.table, { rank: 8, alpha: 16, seed: loraSeed });
  return model;
}

export function releaseModel(model: Decoder): void {
  model.adapter?.release();
  model.adapter = null;
  model.weights.release();
  model.release();
}

/** n SFT rows: prompt BOS + one digit, completion of `len(i)` letters (a fixed pattern per row). */
export function sftData(n: number, len: (i: number) => number = () => 8): SftExample[] {
  return Array.from({ length: n }, (_, i) => ({
    prompt: [BOS, 48 + (i % 10)],
    completion: Array.from({ length: len(i) }, (_, t) => 65 + ((i * 7 + t * 3) % 26)),
  }));
}

/** Host copies of every parameter (value or grad) by name. */
export async function readParams(gpu: Gpu, params: readonly OptimParam[], which: 'value' | 'grad'): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const p of params) out.set(p.name, await gpu.readF32(p[which]));
  return out;
}

/** Largest |a - b| over all tensors, and the largest |b| (for relative tolerances). */
export function mapDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): { diff: number; scale: number } {
  let diff = 0;
  let scale = 0;
  for (const [k, x] of a) {
    const y = b.get(k);
    if (!y || y.length !== x.length) throw new Error(`mapDiff: '${k}' missing or of another size`);
    for (let i = 0; i < x.length; i++) {
      diff = Math.max(diff, Math.abs(x[i] - y[i]));
      scale = Math.max(scale, Math.abs(y[i]));
    }
  }
  return { diff, scale };
}

/** True when every value of every tensor is bit-for-bit equal (NaN equals NaN). */
export function sameBits(a: Map<string, Float32Array>, b: Map<string, Float32Array>): boolean {
  for (const [k, x] of a) {
    const y = b.get(k);
    if (!y || y.length !== x.length) return false;
    const xu = new Uint32Array(x.buffer, x.byteOffset, x.length);
    const yu = new Uint32Array(y.buffer, y.byteOffset, y.length);
    for (let i = 0; i < xu.length; i++) if (xu[i] !== yu[i]) return false;
  }
  return true;
}
