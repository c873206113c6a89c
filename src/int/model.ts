// The base model of an experiment: the default chains model (public/models/chains-tiny), a local
// Hugging Face folder or a hub id, or (when that model is not there yet) a seeded
// random-init character-level tiny Llama with the same tokenizer, so every code path still runs.

import type { Gpu } from '../gpu';
import { randomModelWeights } from '../model/random';
import { CHAR_BOS_ID, CHAR_EOS_ID, compactCharTokenizer } from '../io/char-tokenizer';
import type { ModelSource } from '../io/folder';
import { parseModelConfig, type ModelConfig } from '../model/config';
import { Decoder } from '../model/decoder';
import { loadModelFolder } from '../model/load';
import { buildParamTable, type ParamTable } from '../model/params';
import { charCodec, hfCodec, type TextCodec } from '../model/codec';
import type { IntConfig } from './config';

/** Folder of the embedded default model, relative to the project root. */
export const DEFAULT_MODEL_DIR = 'public/models/chains-tiny';

export interface BaseModel {
  decoder: Decoder;
  codec: TextCodec;
  table: ParamTable;
  /** What was loaded, for logs and results ("public/models/chains-tiny", "random-init ..."). */
  label: string;
  /** Name written into PEFT adapter configs (base_model_name_or_path). */
  baseName: string;
  randomInit: boolean;
}

/** config.json of the random-init stand-in: a 2-layer char-level Llama (C 64, context 1024). */
export function randomCharModelConfig(): ModelConfig {
  return parseModelConfig({
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 16,
    vocab_size: compactCharTokenizer().vocabSize,
    max_position_embeddings: 1024,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    tie_word_embeddings: false,
    bos_token_id: CHAR_BOS_ID,
    eos_token_id: CHAR_EOS_ID,
  });
}

/** Load a model folder / hub repo (config.json, tokenizer.json, safetensors) through the one
 *  folder loader (src/model/load.ts); the embedded model's character tokenizer gets the fast char
 *  codec, any other tokenizer its chat-template codec. */
export async function loadBaseModel(gpu: Gpu, source: ModelSource, label: string, dtype: IntConfig['modelDtype'] = 'auto'): Promise<BaseModel> {
  if (dtype === 'f16' && !gpu.f16) throw new Error(`modelDtype "f16" needs an adapter with shader-f16, and this one has none: use modelDtype "auto" or "f32"`);
  const m = await loadModelFolder(gpu, source, { dtype });
  const codec = m.charTokenizer ? charCodec(m.charTokenizer) : hfCodec(await m.tokenizer());
  return { decoder: m.decoder, codec, table: m.table, label, baseName: label, randomInit: false };
}

/** The random-init stand-in (seeded). */
export function randomBaseModel(gpu: Gpu, seed: number): BaseModel {
  const config = randomCharModelConfig();
  const table = buildParamTable(config);
  const weights = randomModelWeights(gpu, config, { seed: seed + 1, dtype: 'f32' });
  return {
    decoder: new Decoder(gpu, weights),
    codec: charCodec(compactCharTokenizer()),
    table,
    label: `random-init char-level tiny Llama (seed ${seed}; ${DEFAULT_MODEL_DIR} not found)`,
    baseName: 'int-lab/random-char-llama',
    randomInit: true,
  };
}

/** Where IntConfig.model points in Node: null -> the embedded folder under `root` when it has
 *  config.json and tokenizer.json (else `random`, naming the missing folder); an existing folder, as
 *  given or relative to `root` (the presets name public/models/...) -> that folder; anything else ->
 *  a hub id. */
export async function modelSourceOf(model: string | null, root: string): Promise<{ dir: string } | { hub: string } | { random: string }> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const isDir = (p: string) => fs.existsSync(p) && fs.statSync(p).isDirectory();
  if (model === null) {
    const dir = path.join(root, DEFAULT_MODEL_DIR);
    return fs.existsSync(path.join(dir, 'config.json')) && fs.existsSync(path.join(dir, 'tokenizer.json')) ? { dir } : { random: DEFAULT_MODEL_DIR };
  }
  if (isDir(model)) return { dir: model };
  const underRoot = path.join(root, model);
  return !path.isAbsolute(model) && isDir(underRoot) ? { dir: underRoot } : { hub: model };
}

/** Resolve IntConfig.model in Node: null -> the embedded model folder under `root` when it has a
 *  config.json, else the random stand-in (or an error when `requireModel`); an existing folder
 *  path -> that folder; anything else -> a hub id. */
export async function resolveBaseModel(gpu: Gpu, model: string | null, opts: { root: string; seed: number; requireModel?: boolean; dtype?: IntConfig['modelDtype'] }): Promise<BaseModel> {
  const { NodeFolderSource } = await import('../io/folder');
  const m = await modelSourceOf(model, opts.root);
  if ('dir' in m) return loadBaseModel(gpu, new NodeFolderSource(m.dir), model ?? DEFAULT_MODEL_DIR, opts.dtype);
  if ('random' in m) {
    if (opts.requireModel) throw new Error(`the embedded model ${m.random} is missing (config.json + tokenizer.json + model.safetensors); pretrain it or pass --model`);
    return randomBaseModel(gpu, opts.seed);
  }
  const { HubSource } = await import('../io/hub');
  return loadBaseModel(gpu, new HubSource(m.hub), m.hub, opts.dtype);
}
