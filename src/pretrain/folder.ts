// The model folder a pretraining run writes (Hugging Face layout: config.json,
// generation_config.json, the character tokenizer's files, model.safetensors with shapes from the
// parameter table) and where its files go: the PretrainSink interface and an in-memory sink.
import type { CharTokenizer } from '../io/char-tokenizer';
import { writeSafetensors } from '../io/safetensors-write';
import { parseModelConfig } from '../model/config';
import { tinyLlamaConfigJson } from '../model/init';
import { buildParamTable, type ParamTable } from '../model/params';
import type { PretrainRunConfig } from './config';

/** A model folder as file name -> contents (config.json, generation_config.json, tokenizer files, model.safetensors). */
export type ModelFolderFiles = Record<string, string | Uint8Array>;

/** Where a pretraining run's files go. Each call replaces what the previous call of the same kind wrote. */
export interface PretrainSink {
  /** Where the files go, for log lines ("saved <label> at step ..."). */
  readonly label: string;
  /** The whole model folder (periodic and final saves). */
  saveModel(files: ModelFolderFiles): Promise<void>;
  /** loss.csv: CSV_HEADER and every step so far. */
  lossCsv(text: string): Promise<void>;
  /** probe.csv: its header and every probe so far. */
  probeCsv(text: string): Promise<void>;
}

export const CSV_HEADER = 'step,elapsed_s,examples,tokens,loss,lr,grad_norm,tokens_per_s';

/** The config.json object of the model a run trains. */
export function pretrainConfigJson(o: Pick<PretrainRunConfig, 'hidden' | 'layers' | 'heads' | 'kvHeads' | 'intermediate' | 'maxPositions'>, tok: CharTokenizer): Record<string, unknown> {
  return tinyLlamaConfigJson({
    vocabSize: tok.vocabSize,
    hiddenSize: o.hidden,
    intermediateSize: o.intermediate,
    numLayers: o.layers,
    numHeads: o.heads,
    numKvHeads: o.kvHeads,
    maxPositions: o.maxPositions,
    bosId: tok.bosId,
    eosId: tok.eosId,
    padId: tok.padId,
  });
}

/** generation_config.json: sample at temperature 1 (the distribution the model was trained to imitate). */
export function generationConfigJson(tok: CharTokenizer): Record<string, unknown> {
  return { bos_token_id: tok.bosId, eos_token_id: tok.eosId, pad_token_id: tok.padId, do_sample: true, temperature: 1.0, top_p: 1.0, max_new_tokens: 512 };
}

/** The files of a Hugging Face model folder, in writing order (config first, weights last). */
export function modelFolderFiles(
  configJson: Record<string, unknown>,
  weights: Map<string, Float32Array>,
  tok: CharTokenizer,
  metadata: Record<string, string> = {},
): ModelFolderFiles {
  const config = parseModelConfig(configJson);
  const table = buildParamTable(config);
  return {
    'config.json': JSON.stringify(configJson, null, 2) + '\n',
    'generation_config.json': JSON.stringify(generationConfigJson(tok), null, 2) + '\n',
    ...tok.files({ modelMaxLength: config.maxPositions }),
    'model.safetensors': writeSafetensors(
      [...weights].map(([name, data]) => ({ name, shape: shapeOf(table, name, data.length), dtype: 'F32' as const, data })),
      { format: 'pt', ...metadata },
    ),
  };
}

/** A tensor's shape as the model's parameter table (src/model/params.ts) gives it. */
function shapeOf(table: ParamTable, name: string, numel: number): number[] {
  const e = table.byName.get(name);
  if (!e) throw new Error(`modelFolderFiles: ${name} is not a parameter of the model's config.json`);
  if (e.numel !== numel) throw new Error(`modelFolderFiles: ${name} holds ${numel} values, its shape [${e.shape.join(', ')}] needs ${e.numel}`);
  return [...e.shape];
}

/** A sink that keeps the files in memory (the browser worker stores them in IndexedDB afterwards). */
export class MemoryPretrainSink implements PretrainSink {
  model: Record<string, Uint8Array> = {};
  loss = '';
  probe = '';
  constructor(readonly label = 'the in-memory model folder') {}
  async saveModel(files: ModelFolderFiles): Promise<void> {
    const enc = new TextEncoder();
    this.model = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? enc.encode(v) : v]));
  }
  async lossCsv(text: string): Promise<void> {
    this.loss = text;
  }
  async probeCsv(text: string): Promise<void> {
    this.probe = text;
  }
  /** The model folder with its loss.csv (and probe.csv when the probe ran), as the CLI leaves it on disk. */
  files(): Record<string, Uint8Array> {
    const enc = new TextEncoder();
    const out: Record<string, Uint8Array> = { ...this.model };
    if (this.loss) out['loss.csv'] = enc.encode(this.loss);
    if (this.probe) out['probe.csv'] = enc.encode(this.probe);
    return out;
  }
}

