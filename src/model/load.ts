// The one model-folder loader: a Hugging Face folder (config.json, optional generation_config.json,
// safetensors weights, tokenizer files) from any ModelSource (Node path, browser folder, memory,
// hub) becomes GPU weights, a Decoder and the folder's tokenizer. The CLI, the InT pipeline, the
// model report and the app all load through it.

import type { Gpu } from '../gpu';
import { CHAR_BOS_ID, CHAR_SPECIAL_TOKENS, compactCharTokenizer, type CharTokenizer } from '../io/char-tokenizer';
import { ModelFileNotFoundError, type ModelSource } from '../io/folder';
import { loadTokenizer, type Tokenizer } from '../io/tokenizer';
import { parseModelConfig, type ModelConfig } from './config';
import { Decoder } from './decoder';
import { buildParamTable, type ParamTable } from './params';
import { loadModelWeights, type LoadWeightsOptions, type ModelWeights, type WeightDtype } from './weights';

/** A model folder on the GPU. */
export interface LoadedModelFolder {
  config: ModelConfig;
  table: ParamTable;
  weights: ModelWeights;
  decoder: Decoder;
  /** Where it came from (its label names it in messages). */
  source: ModelSource;
  /** The pure-TS character tokenizer when the folder's tokenizer.json is the embedded chains
   *  model's (compact alphabet), else null. */
  charTokenizer: CharTokenizer | null;
  /** The folder's tokenizer as @huggingface/transformers builds it (loaded on the first call). */
  tokenizer(): Promise<Tokenizer>;
  /** Release the decoder and its weights. */
  release(): void;
}

export interface LoadModelFolderOptions extends Omit<LoadWeightsOptions, 'dtype'> {
  /** Storage of the 2-D matrices; 'auto' follows the checkpoint (autoWeightDtype: 16-bit
   *  checkpoints in f16 where the adapter has shader-f16, else f32). Default 'f32'. */
  dtype?: WeightDtype | 'auto';
}

/** True when a tokenizer.json is the character tokenizer of the embedded chains model. */
export function isCompactCharTokenizer(json: unknown): boolean {
  const vocab = (json as { model?: { vocab?: Record<string, number> } })?.model?.vocab;
  return !!vocab && typeof vocab === 'object' && vocab[CHAR_SPECIAL_TOKENS.bos] === CHAR_BOS_ID && Object.keys(vocab).length === compactCharTokenizer().vocabSize;
}

/** The special token ids of config.json / generation_config.json must be rows of the embedding. */
export function checkTokenIds(config: ModelConfig, label: string): void {
  const ids: [string, number | undefined][] = [
    ['bos_token_id', config.bosId],
    ['pad_token_id', config.padId],
    ...config.eosIds.map((id): [string, number] => ['eos_token_id', id]),
  ];
  const bad = ids.filter(([, id]) => id !== undefined && (!Number.isSafeInteger(id) || id < 0 || id >= config.vocabSize));
  if (bad.length > 0) {
    throw new Error(`${label}: ${bad.map(([k, id]) => `${k} ${id}`).join(', ')} outside the vocabulary (vocab_size ${config.vocabSize}); fix config.json / generation_config.json`);
  }
}

/** Load a model folder: config.json (+ generation_config.json when present), the weights of its
 *  parameter table, tokenizer.json. The caller releases it. */
export async function loadModelFolder(gpu: Gpu, source: ModelSource, opts: LoadModelFolderOptions = {}): Promise<LoadedModelFolder> {
  const cfgJson = await source.json('config.json');
  let gen: unknown;
  try {
    gen = await source.json('generation_config.json', { optional: true });
  } catch (e) {
    // The file is optional; one that is there but does not parse is refused (named by the source).
    if (!(e instanceof ModelFileNotFoundError)) throw e;
    gen = undefined;
  }
  const config = parseModelConfig(cfgJson, gen);
  checkTokenIds(config, source.label);
  const table = buildParamTable(config);
  const weights = await loadModelWeights(gpu, source, table, { ...opts, dtype: opts.dtype ?? 'f32' });
  const decoder = new Decoder(gpu, weights);
  let charTokenizer: CharTokenizer | null;
  try {
    charTokenizer = isCompactCharTokenizer(await source.json('tokenizer.json')) ? compactCharTokenizer() : null;
  } catch (e) {
    decoder.release();
    weights.release();
    throw e;
  }
  let tok: Promise<Tokenizer> | null = null;
  return {
    config,
    table,
    weights,
    decoder,
    source,
    charTokenizer,
    tokenizer: () => (tok ??= loadTokenizer(source)),
    release() {
      decoder.release();
      weights.release();
    },
  };
}
