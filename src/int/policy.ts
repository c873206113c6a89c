// The policy an arm trains and evaluates (IntConfig.finetune): a LoRA adapter on the shared base
// decoder ('lora'), or a decoder of its own over an f32 copy of every base weight ('full', tiny
// models). Both are saved to and loaded from the stage store as { config, safetensors } files.

import type { Gpu } from '../gpu';
import type { TensorData } from '../io/safetensors-format';
import { loadSafetensors } from '../io/safetensors-read';
import { writeSafetensors } from '../io/safetensors-write';
import { Decoder } from '../model/decoder';
import { LoraAdapter } from '../model/lora';
import { readWeights, uploadWeights } from '../model/weights';
import type { IntConfig } from './config';
import type { BaseModel } from './model';

/** A trained policy's files: a PEFT adapter (adapter_config.json text, adapter_model.safetensors
 *  bytes) or, for a full fine-tune, FULL_WEIGHTS_CONFIG and every weight as F32 safetensors. */
export interface AdapterFiles {
  config: string;
  safetensors: Uint8Array;
}

/** The config text of a full fine-tune's files. */
export const FULL_WEIGHTS_CONFIG = JSON.stringify({ format: 'int-lab-full-weights', dtype: 'F32' });

export interface PolicyContext {
  gpu: Gpu;
  base: BaseModel;
  config: IntConfig;
  loadFiles(key: string): Promise<AdapterFiles> | AdapterFiles;
  saveFiles(key: string, files: AdapterFiles): Promise<void> | void;
}

/** Run `f` with the policy loaded from `from` (null: fresh from the base model) and store it under
 *  `saveTo` afterwards (null: not stored, and a full fine-tune builds no gradients). */
export async function withPolicy<T>(ctx: PolicyContext, from: string | null, saveTo: string | null, f: (decoder: Decoder) => Promise<T>): Promise<T> {
  return ctx.config.finetune === 'full' ? withFullWeights(ctx, from, saveTo, f) : withAdapter(ctx, from, saveTo, f);
}

async function withAdapter<T>(ctx: PolicyContext, from: string | null, saveTo: string | null, f: (decoder: Decoder) => Promise<T>): Promise<T> {
  const { gpu, base, config } = ctx;
  let adapter: LoraAdapter;
  // A fresh adapter is seeded by lora.seed when the config gives one, else by the experiment seed.
  if (from === null) adapter = LoraAdapter.create(gpu, base.table, { ...config.lora, seed: config.lora.seed ?? config.seed });
  else {
    const files = await ctx.loadFiles(from);
    adapter = await LoraAdapter.load(gpu, base.table, files.config, files.safetensors);
  }
  base.decoder.adapter = adapter;
  try {
    const v = await f(base.decoder);
    if (saveTo) await ctx.saveFiles(saveTo, await adapter.save(base.baseName));
    return v;
  } finally {
    base.decoder.adapter = null;
    adapter.release();
  }
}

async function withFullWeights<T>(ctx: PolicyContext, from: string | null, saveTo: string | null, f: (decoder: Decoder) => Promise<T>): Promise<T> {
  const { gpu, base } = ctx;
  const host = from === null ? await readWeights(gpu, base.decoder.weights) : await readFullWeights(await ctx.loadFiles(from), from);
  const weights = uploadWeights(gpu, base.table, host, { dtype: 'f32' });
  const decoder = new Decoder(gpu, weights, { trainBase: saveTo !== null });
  try {
    const v = await f(decoder);
    if (saveTo) await ctx.saveFiles(saveTo, { config: FULL_WEIGHTS_CONFIG, safetensors: await fullWeightsSafetensors(ctx, decoder) });
    return v;
  } finally {
    decoder.release();
    weights.release();
  }
}

/** Every weight of `decoder` as F32 safetensors with HF keys and shapes. */
async function fullWeightsSafetensors(ctx: PolicyContext, decoder: Decoder): Promise<Uint8Array> {
  const values = await readWeights(ctx.gpu, decoder.weights);
  return writeSafetensors(ctx.base.table.entries.map((e) => ({ name: e.name, shape: e.shape, dtype: 'F32' as const, data: values.get(e.name)! })), { format: 'int-lab-full-weights' });
}

async function readFullWeights(files: AdapterFiles, key: string): Promise<Map<string, TensorData>> {
  if (files.config !== FULL_WEIGHTS_CONFIG) {
    throw new Error(`the stored policy "${key}" is not a full fine-tune (finetune "full"); the run was made with another finetune setting: start a new run`);
  }
  const host = new Map<string, TensorData>();
  await loadSafetensors(files.safetensors, { dtype: 'f32', label: key, onTensor: (name, _shape, data) => void host.set(name, data) });
  return host;
}
