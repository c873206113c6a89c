// The parameter table: one entry per weight of the model, named by its Hugging Face safetensors key.
// Sizes, expected checkpoint keys, LoRA targets and memory needs are all derived from this table.

import type { ModelConfig } from './config';

export type ParamKind = 'embed' | 'norm' | 'linear' | 'bias' | 'qknorm' | 'lm_head';

/** Linear projections inside a decoder layer (the modules LoRA can adapt). */
export type LinearModule = 'q_proj' | 'k_proj' | 'v_proj' | 'o_proj' | 'gate_proj' | 'up_proj' | 'down_proj';

export type ParamModule =
  | 'embed_tokens'
  | 'input_layernorm'
  | LinearModule
  | 'q_norm'
  | 'k_norm'
  | 'post_attention_layernorm'
  | 'norm'
  | 'lm_head';

export interface ParamEntry {
  /** Safetensors key, e.g. `model.layers.3.self_attn.q_proj.weight`. */
  name: string;
  /** HF layout: linear weights are [out, in]; embeddings [vocab, C]; norms and biases 1-D. */
  shape: number[];
  kind: ParamKind;
  /** Decoder layer index, or -1 for embeddings, the final norm and lm_head. */
  layer: number;
  module: ParamModule;
  /** True for linear weights that the table's LoRA target list adapts. */
  loraTarget: boolean;
  numel: number;
}

export interface ParamTable {
  config: ModelConfig;
  entries: ParamEntry[];
  byName: Map<string, ParamEntry>;
  /** Modules adapted by LoRA (in order q, k, v, o, gate, up, down). */
  loraModules: LinearModule[];
}

/** Default LoRA targets: every linear layer of attention and MLP. */
export const DEFAULT_LORA_MODULES: readonly LinearModule[] = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

const ATTN: readonly LinearModule[] = ['q_proj', 'k_proj', 'v_proj', 'o_proj'];

/** [out, in] of a layer's linear module. */
export function linearShape(config: ModelConfig, module: LinearModule): [number, number] {
  const C = config.hiddenSize;
  const qDim = config.numHeads * config.headDim;
  const kvDim = config.numKvHeads * config.headDim;
  const I = config.intermediateSize;
  switch (module) {
    case 'q_proj':
      return [qDim, C];
    case 'k_proj':
    case 'v_proj':
      return [kvDim, C];
    case 'o_proj':
      return [C, qDim];
    case 'gate_proj':
    case 'up_proj':
      return [I, C];
    case 'down_proj':
      return [C, I];
  }
}

/** Build the parameter table of a model. `loraModules` defaults to all seven linear modules. */
export function buildParamTable(config: ModelConfig, opts: { loraModules?: readonly LinearModule[] } = {}): ParamTable {
  const lora = [...(opts.loraModules ?? DEFAULT_LORA_MODULES)];
  for (const m of lora) {
    if (!DEFAULT_LORA_MODULES.includes(m)) {
      throw new Error(`LoRA target "${m}" is not a linear module; choose from ${DEFAULT_LORA_MODULES.join(', ')}.`);
    }
  }
  const loraSet = new Set(lora);
  const entries: ParamEntry[] = [];
  const add = (name: string, shape: number[], kind: ParamKind, layer: number, module: ParamModule, loraTarget = false) =>
    entries.push({ name, shape, kind, layer, module, loraTarget, numel: shape.reduce((a, b) => a * b, 1) });
  const C = config.hiddenSize;
  const D = config.headDim;

  add('model.embed_tokens.weight', [config.vocabSize, C], 'embed', -1, 'embed_tokens');
  for (let l = 0; l < config.numLayers; l++) {
    const p = `model.layers.${l}`;
    add(`${p}.input_layernorm.weight`, [C], 'norm', l, 'input_layernorm');
    for (const m of ATTN) {
      const [out, inp] = linearShape(config, m);
      add(`${p}.self_attn.${m}.weight`, [out, inp], 'linear', l, m, loraSet.has(m));
      if (config.attentionBias && m !== 'o_proj') add(`${p}.self_attn.${m}.bias`, [out], 'bias', l, m);
    }
    if (config.qkNorm) {
      add(`${p}.self_attn.q_norm.weight`, [D], 'qknorm', l, 'q_norm');
      add(`${p}.self_attn.k_norm.weight`, [D], 'qknorm', l, 'k_norm');
    }
    add(`${p}.post_attention_layernorm.weight`, [C], 'norm', l, 'post_attention_layernorm');
    for (const m of ['gate_proj', 'up_proj', 'down_proj'] as const) {
      add(`${p}.mlp.${m}.weight`, linearShape(config, m), 'linear', l, m, loraSet.has(m));
    }
  }
  add('model.norm.weight', [C], 'norm', -1, 'norm');
  if (!config.tieEmbeddings) add('lm_head.weight', [config.vocabSize, C], 'lm_head', -1, 'lm_head');
  return {
    config,
    entries,
    byName: new Map(entries.map((e) => [e.name, e])),
    loraModules: DEFAULT_LORA_MODULES.filter((m) => loraSet.has(m)),
  };
}

export interface ParamCounts {
  /** All weights (a tied embedding counted once). */
  total: number;
  /** Embedding rows (+ lm_head when untied). */
  embedding: number;
  /** total - embedding: the "non-embedding" figure model cards quote. */
  nonEmbedding: number;
  /** Weights of one decoder layer. */
  perLayer: number;
}

export function countParams(table: ParamTable): ParamCounts {
  let total = 0;
  let embedding = 0;
  let layer0 = 0;
  for (const e of table.entries) {
    total += e.numel;
    if (e.kind === 'embed' || e.kind === 'lm_head') embedding += e.numel;
    if (e.layer === 0) layer0 += e.numel;
  }
  return { total, embedding, nonEmbedding: total - embedding, perLayer: layer0 };
}

/** Checkpoint keys and shapes the loader must find (strict matching). */
export function expectedTensors(table: ParamTable): { name: string; shape: number[] }[] {
  return table.entries.map((e) => ({ name: e.name, shape: e.shape }));
}

/**
 * Keys a checkpoint may carry that the model does not use: stale rotary caches, and lm_head.weight
 * in a tied model (some exporters write the shared matrix twice).
 */
export function checkpointIgnore(config: ModelConfig): RegExp[] {
  const out = [/\.rotary_emb\.inv_freq$/];
  if (config.tieEmbeddings) out.push(/^lm_head\.weight$/);
  return out;
}

/** One adapted linear layer: the base weight and its LoRA factor shapes (A is [r, in], B is [out, r]). */
export interface LoraTarget {
  /** Base weight key, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  base: string;
  layer: number;
  module: LinearModule;
  inFeatures: number;
  outFeatures: number;
}

export function loraTargets(table: ParamTable): LoraTarget[] {
  return table.entries
    .filter((e) => e.loraTarget)
    .map((e) => ({ base: e.name, layer: e.layer, module: e.module as LinearModule, inFeatures: e.shape[1], outFeatures: e.shape[0] }));
}

/** LoRA parameters for a rank: sum over targets of r * (in + out). */
export function loraParamCount(table: ParamTable, rank: number): number {
  let n = 0;
  for (const t of loraTargets(table)) n += rank * (t.inFeatures + t.outFeatures);
  return n;
}

/** PEFT adapter keys of one target: `base_model.model.<module path>.lora_A.weight` / `lora_B.weight`. */
export function peftLoraKeys(target: LoraTarget): { a: string; b: string } {
  const stem = `base_model.model.${target.base.replace(/\.weight$/, '')}`;
  return { a: `${stem}.lora_A.weight`, b: `${stem}.lora_B.weight` };
}
