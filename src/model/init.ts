// Seeded random initialisation for training a decoder from scratch (host f32 weights keyed by HF
// name), and the config.json object of a small Llama-architecture model (e.g. the embedded
// character-level chains model).

import type { ModelConfig } from './config';
import { normalStream } from '../util/random';
import { buildParamTable, type ParamTable } from './params';

export interface InitOptions {
  /** Seed of the weights: same seed and config, same weights. Default 0. */
  seed?: number;
  /** Standard deviation of embeddings and linear weights. Default 0.02 (GPT-2 / Llama practice). */
  std?: number;
  /** Scale the std of the residual output projections (o_proj, down_proj) by 1/sqrt(2 * layers),
   *  so the residual stream keeps its size at init however deep the model. Default true. */
  scaleResidual?: boolean;
}

/**
 * Fresh weights for `config`: embeddings, lm_head and linear weights N(0, std^2) (residual outputs
 * scaled down, see InitOptions), RMSNorm weights 1, biases 0. Each tensor has its own stream
 * derived from (seed, tensor index), so one tensor's values do not depend on the others' sizes.
 */
export function initWeights(config: ModelConfig, opts: InitOptions = {}): { table: ParamTable; weights: Map<string, Float32Array> } {
  const seed = opts.seed ?? 0;
  const std = opts.std ?? 0.02;
  if (!Number.isSafeInteger(seed)) throw new Error(`initWeights: seed must be an integer, got ${seed}`);
  if (!(std > 0 && Number.isFinite(std))) throw new Error(`initWeights: std must be a finite number > 0, got ${std}; e.g. 0.02`);
  const residual = (opts.scaleResidual ?? true) ? 1 / Math.sqrt(2 * config.numLayers) : 1;
  const table = buildParamTable(config);
  const weights = new Map<string, Float32Array>();
  table.entries.forEach((e, i) => {
    const w = new Float32Array(e.numel);
    if (e.kind === 'norm' || e.kind === 'qknorm') w.fill(1);
    else if (e.kind !== 'bias') {
      const sd = std * (/\.(o_proj|down_proj)\.weight$/.test(e.name) ? residual : 1);
      const next = normalStream((Math.imul(seed, 1000003) + Math.imul(i + 1, 7919)) >>> 0);
      for (let k = 0; k < w.length; k++) w[k] = sd * next();
    }
    weights.set(e.name, w);
  });
  return { table, weights };
}

/** Shape of a small Llama-architecture model. */
export interface TinyLlamaShape extends Pick<ModelConfig, 'vocabSize' | 'hiddenSize' | 'intermediateSize' | 'numLayers' | 'numHeads' | 'numKvHeads'> {
  /** max_position_embeddings. Default 1024. */
  maxPositions?: number;
  /** RoPE base. Default 10000. */
  ropeTheta?: number;
  /** Share the embedding with the output head. Default false. */
  tieEmbeddings?: boolean;
  bosId: number;
  eosId: number;
  padId: number;
}

/** The config.json object of a LlamaForCausalLM of this shape (parse it with parseModelConfig). */
export function tinyLlamaConfigJson(s: TinyLlamaShape): Record<string, unknown> {
  if (s.hiddenSize % s.numHeads !== 0) {
    throw new Error(`tinyLlamaConfigJson: hiddenSize ${s.hiddenSize} is not divisible by numHeads ${s.numHeads}; pick a multiple`);
  }
  if (s.numHeads % s.numKvHeads !== 0) {
    throw new Error(`tinyLlamaConfigJson: numHeads ${s.numHeads} is not divisible by numKvHeads ${s.numKvHeads}; pick a divisor`);
  }
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: s.vocabSize,
    hidden_size: s.hiddenSize,
    intermediate_size: s.intermediateSize,
    num_hidden_layers: s.numLayers,
    num_attention_heads: s.numHeads,
    num_key_value_heads: s.numKvHeads,
    head_dim: s.hiddenSize / s.numHeads,
    hidden_act: 'silu',
    max_position_embeddings: s.maxPositions ?? 1024,
    rms_norm_eps: 1e-5,
    rope_theta: s.ropeTheta ?? 10000,
    attention_bias: false,
    mlp_bias: false,
    tie_word_embeddings: s.tieEmbeddings ?? false,
    bos_token_id: s.bosId,
    eos_token_id: s.eosId,
    pad_token_id: s.padId,
    torch_dtype: 'float32',
  };
}

/** Parameter count of a config's table (every stored tensor). */
export function paramCount(config: ModelConfig): number {
  return buildParamTable(config).entries.reduce((n, e) => n + e.numel, 0);
}
