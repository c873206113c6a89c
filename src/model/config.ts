// Model configuration: parse a Hugging Face config.json (+ generation_config.json) of a Llama,
// Qwen2 or Qwen3 decoder into one typed ModelConfig, refuse what the engine cannot run, and
// compute the rotary tables (inverse frequencies, yarn attention factor) on the CPU.

/** Decoder families one engine covers. */
export type ArchFamily = 'llama' | 'qwen2' | 'qwen3';

/** Architecture name in config.json `architectures[0]` -> family. */
export const ARCHITECTURES: Readonly<Record<string, ArchFamily>> = {
  LlamaForCausalLM: 'llama',
  Qwen2ForCausalLM: 'qwen2',
  Qwen3ForCausalLM: 'qwen3',
};

/**
 * How rotary position frequencies are rescaled for long contexts.
 *  - none:   inv_freq[i] = theta^(-2i/D)
 *  - linear: inv_freq / factor (positions interpolated)
 *  - llama3: Llama 3.1/3.2 wavelength-banded interpolation (low frequencies / factor, high kept, smooth between)
 *  - yarn:   YaRN ramp between interpolated and extrapolated frequencies, plus an attention factor on cos/sin
 */
export type RopeScaling =
  | { type: 'none' }
  | { type: 'linear'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      /** Context length the base model was trained with (wavelength thresholds are fractions of it). */
      originalMaxPositions: number;
    }
  | {
      type: 'yarn';
      /** As written; when absent, max_position_embeddings / original_max_position_embeddings. */
      factor: number;
      originalMaxPositions: number;
      /** Rotations at which the ramp starts extrapolating. Default 32. */
      betaFast: number;
      /** Rotations at which the ramp is fully interpolated. Default 1. */
      betaSlow: number;
      /** Explicit cos/sin multiplier; when absent it is derived from factor (and mscale / mscaleAllDim). */
      attentionFactor?: number;
      mscale?: number;
      mscaleAllDim?: number;
      /** Round the ramp's correction range to whole dimensions. Default true. */
      truncate: boolean;
    };

/** Sampling defaults published with the model (generation_config.json); absent fields stay undefined. */
export interface GenerationDefaults {
  temperature?: number;
  topP?: number;
  topK?: number;
  doSample?: boolean;
  repetitionPenalty?: number;
  maxNewTokens?: number;
}

export interface ModelConfig {
  /** `architectures[0]`, e.g. 'Qwen3ForCausalLM'. */
  architecture: string;
  family: ArchFamily;
  /** Rows of the embedding table (may exceed the tokenizer's vocabulary: padding rows). */
  vocabSize: number;
  /** Residual stream width C. */
  hiddenSize: number;
  /** SwiGLU inner width I (gate/up output, down input). */
  intermediateSize: number;
  numLayers: number;
  /** Query heads H. */
  numHeads: number;
  /** Key/value heads (grouped-query attention); numHeads % numKvHeads === 0. */
  numKvHeads: number;
  /** Per-head width D: `head_dim` when given (Qwen3: 128 even where C/H differs), else hiddenSize / numHeads. */
  headDim: number;
  /** RoPE base. */
  ropeTheta: number;
  ropeScaling: RopeScaling;
  rmsNormEps: number;
  /** lm_head shares the embedding matrix (no separate lm_head.weight). */
  tieEmbeddings: boolean;
  /** q_proj/k_proj/v_proj carry a bias (Qwen2). o_proj never does. */
  attentionBias: boolean;
  /** Per-head RMSNorm on q and k before RoPE (Qwen3: q_norm / k_norm weights of size D). */
  qkNorm: boolean;
  /** Longest position the model was configured for (max_position_embeddings). */
  maxPositions: number;
  bosId?: number;
  /** Every id that ends generation (generation_config first, then config.json), deduplicated. */
  eosIds: number[];
  padId?: number;
  generation: GenerationDefaults;
  /** Checkpoint dtype as published (torch_dtype / dtype), informative only. */
  torchDtype?: string;
}

/** A config.json the engine cannot run, or a malformed one. `field` names the offending key. */
export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

const show = (v: unknown) => JSON.stringify(v);

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function posInt(cfg: Json, key: string, fallback?: number): number {
  const v = cfg[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ModelConfigError(key, `config.json: "${key}" must be a positive integer, got ${show(v)}.`);
  }
  return v;
}

function posNum(obj: Json, key: string, where: string, fallback?: number): number {
  const v = obj[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new ModelConfigError(key, `${where}: "${key}" must be a positive number, got ${show(v)}.`);
  }
  return v;
}

function optNum(obj: Json | undefined, key: string): number | undefined {
  const v = obj?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function idList(v: unknown): number[] {
  if (typeof v === 'number' && Number.isInteger(v)) return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number' && Number.isInteger(x));
  return [];
}

const MOE_KEYS = ['num_experts', 'num_local_experts', 'n_routed_experts', 'moe_intermediate_size', 'num_experts_per_tok'];

function refuseUnsupported(cfg: Json, family: ArchFamily): void {
  const act = cfg.hidden_act ?? 'silu';
  if (act !== 'silu') {
    throw new ModelConfigError('hidden_act', `config.json: "hidden_act" is ${show(act)}; only "silu" (SwiGLU) is supported.`);
  }
  if (cfg.use_sliding_window === true) {
    throw new ModelConfigError(
      'use_sliding_window',
      `config.json: "use_sliding_window" is true (sliding_window ${show(cfg.sliding_window)}); only full causal attention is supported. ` +
        'Set it to false if the model was trained with full attention.',
    );
  }
  if (Array.isArray(cfg.layer_types)) {
    const other = cfg.layer_types.find((t) => t !== 'full_attention');
    if (other !== undefined) {
      throw new ModelConfigError('layer_types', `config.json: "layer_types" contains ${show(other)}; only "full_attention" layers are supported.`);
    }
  }
  for (const key of MOE_KEYS) {
    const v = cfg[key];
    if (typeof v === 'number' && v > 0) {
      throw new ModelConfigError(key, `config.json: "${key}" is ${v}: mixture-of-experts models are not supported (dense decoders only).`);
    }
  }
  if (cfg.quantization_config != null) {
    throw new ModelConfigError('quantization_config', 'config.json: "quantization_config" is set: quantized checkpoints are not supported; use the bf16/f16/f32 weights.');
  }
  if (cfg.mlp_bias === true) {
    throw new ModelConfigError('mlp_bias', 'config.json: "mlp_bias" is true; MLP biases are not supported.');
  }
  if (cfg.attention_bias === true && family !== 'qwen2') {
    throw new ModelConfigError(
      'attention_bias',
      `config.json: "attention_bias" is true for a ${family} model (bias on q/k/v/o projections); only Qwen2's q/k/v bias is supported.`,
    );
  }
  if (cfg.rope_interleaved === true) {
    throw new ModelConfigError('rope_interleaved', 'config.json: "rope_interleaved" is true; only the half-split (rotate_half) RoPE layout is supported.');
  }
  if (cfg.use_mrope === true) {
    throw new ModelConfigError('use_mrope', 'config.json: "use_mrope" is true; multimodal RoPE is not supported.');
  }
}

/** Read the RoPE block: legacy `rope_scaling` + top-level `rope_theta`, or `rope_parameters` (newer transformers). */
function parseRope(cfg: Json, maxPositions: number): { theta: number; scaling: RopeScaling } {
  const params = isObj(cfg.rope_parameters) ? cfg.rope_parameters : undefined;
  const legacy = isObj(cfg.rope_scaling) ? cfg.rope_scaling : undefined;
  const block = legacy ?? params;
  const field = legacy ? 'rope_scaling' : 'rope_parameters';
  const theta = posNum({ rope_theta: cfg.rope_theta ?? params?.rope_theta }, 'rope_theta', 'config.json', 10000);
  const prf = optNum(cfg, 'partial_rotary_factor') ?? optNum(block, 'partial_rotary_factor');
  if (prf !== undefined && prf !== 1) {
    throw new ModelConfigError('partial_rotary_factor', `config.json: "partial_rotary_factor" is ${prf}; only full-width RoPE (1.0) is supported.`);
  }
  if (!block) return { theta, scaling: { type: 'none' } };
  const type = block.rope_type ?? block.type ?? 'default';
  const where = `config.json ${field}`;
  switch (type) {
    case 'default':
      return { theta, scaling: { type: 'none' } };
    case 'linear':
      return { theta, scaling: { type: 'linear', factor: posNum(block, 'factor', where) } };
    case 'llama3': {
      const low = posNum(block, 'low_freq_factor', where);
      const high = posNum(block, 'high_freq_factor', where);
      if (high <= low) {
        throw new ModelConfigError('high_freq_factor', `${where}: "high_freq_factor" (${high}) must exceed "low_freq_factor" (${low}).`);
      }
      return {
        theta,
        scaling: {
          type: 'llama3',
          factor: posNum(block, 'factor', where),
          lowFreqFactor: low,
          highFreqFactor: high,
          originalMaxPositions: posNum(block, 'original_max_position_embeddings', where),
        },
      };
    }
    case 'yarn': {
      // An explicit factor wins; without one it is the ratio of the extended to the original context.
      const orig = optNum(block, 'original_max_position_embeddings');
      const factor = block.factor == null && orig ? maxPositions / orig : posNum(block, 'factor', where);
      return {
        theta,
        scaling: {
          type: 'yarn',
          factor,
          originalMaxPositions: orig ?? maxPositions,
          betaFast: optNum(block, 'beta_fast') ?? 32,
          betaSlow: optNum(block, 'beta_slow') ?? 1,
          attentionFactor: optNum(block, 'attention_factor'),
          mscale: optNum(block, 'mscale'),
          mscaleAllDim: optNum(block, 'mscale_all_dim'),
          truncate: block.truncate !== false,
        },
      };
    }
    case 'dynamic':
      throw new ModelConfigError(
        `${field}.rope_type`,
        `${where}: rope type "dynamic" (NTK) is not supported: its frequencies change with sequence length. Remove ${field} to run at the trained context length.`,
      );
    default:
      throw new ModelConfigError(
        `${field}.rope_type`,
        `${where}: unknown rope type ${show(type)}; supported: "default", "linear", "llama3", "yarn".`,
      );
  }
}

/**
 * Parse config.json (and optionally generation_config.json) into a ModelConfig.
 * Throws ModelConfigError naming the field and value for anything the engine cannot run.
 */
export function parseModelConfig(configJson: unknown, generationConfigJson?: unknown): ModelConfig {
  if (!isObj(configJson)) throw new ModelConfigError('config.json', 'config.json must be a JSON object.');
  const cfg = configJson;
  const gen = isObj(generationConfigJson) ? generationConfigJson : undefined;

  const archs = cfg.architectures;
  const architecture = Array.isArray(archs) && typeof archs[0] === 'string' ? archs[0] : undefined;
  const family = architecture !== undefined ? ARCHITECTURES[architecture] : undefined;
  if (architecture === undefined || family === undefined || (Array.isArray(archs) && archs.length !== 1)) {
    throw new ModelConfigError(
      'architectures',
      `config.json: "architectures" is ${show(archs)}; supported: ${Object.keys(ARCHITECTURES).map((a) => `["${a}"]`).join(', ')}.`,
    );
  }
  if (cfg.model_type !== undefined && cfg.model_type !== family) {
    throw new ModelConfigError('model_type', `config.json: "model_type" is ${show(cfg.model_type)} but architectures says ${architecture} (model_type "${family}").`);
  }
  refuseUnsupported(cfg, family);

  const hiddenSize = posInt(cfg, 'hidden_size');
  const numHeads = posInt(cfg, 'num_attention_heads');
  const numKvHeads = posInt(cfg, 'num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new ModelConfigError('num_key_value_heads', `config.json: "num_attention_heads" (${numHeads}) must be a multiple of "num_key_value_heads" (${numKvHeads}).`);
  }
  let headDim: number;
  if (cfg.head_dim != null) headDim = posInt(cfg, 'head_dim');
  else {
    if (hiddenSize % numHeads !== 0) {
      throw new ModelConfigError('head_dim', `config.json: no "head_dim" and hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}.`);
    }
    headDim = hiddenSize / numHeads;
  }
  if (headDim % 2 !== 0) throw new ModelConfigError('head_dim', `config.json: head dim ${headDim} must be even for RoPE.`);
  const maxPositions = posInt(cfg, 'max_position_embeddings', 2048);
  const rope = parseRope(cfg, maxPositions);
  const rmsNormEps = posNum(cfg, 'rms_norm_eps', 'config.json', 1e-6);

  const eosIds = [...new Set([...idList(gen?.eos_token_id), ...idList(cfg.eos_token_id)])];
  const bos = idList(gen?.bos_token_id ?? cfg.bos_token_id)[0];
  const pad = idList(gen?.pad_token_id ?? cfg.pad_token_id)[0];
  const generation: GenerationDefaults = {
    temperature: optNum(gen, 'temperature'),
    topP: optNum(gen, 'top_p'),
    topK: optNum(gen, 'top_k'),
    doSample: typeof gen?.do_sample === 'boolean' ? gen.do_sample : undefined,
    repetitionPenalty: optNum(gen, 'repetition_penalty'),
    maxNewTokens: optNum(gen, 'max_new_tokens'),
  };
  for (const k of Object.keys(generation) as (keyof GenerationDefaults)[]) if (generation[k] === undefined) delete generation[k];

  const dtype = cfg.torch_dtype ?? cfg.dtype;
  return {
    architecture,
    family,
    vocabSize: posInt(cfg, 'vocab_size'),
    hiddenSize,
    intermediateSize: posInt(cfg, 'intermediate_size'),
    numLayers: posInt(cfg, 'num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    ropeTheta: rope.theta,
    ropeScaling: rope.scaling,
    rmsNormEps,
    // transformers defaults tie_word_embeddings to true when the key is absent.
    tieEmbeddings: cfg.tie_word_embeddings !== false,
    attentionBias: family === 'qwen2',
    qkNorm: family === 'qwen3',
    maxPositions,
    ...(bos !== undefined ? { bosId: bos } : {}),
    eosIds,
    ...(pad !== undefined ? { padId: pad } : {}),
    generation,
    ...(typeof dtype === 'string' ? { torchDtype: dtype } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Rotary embedding tables. Layout convention (HF rotate_half): dimension i pairs with i + D/2,
// both rotated by angle pos * invFreq[i], i < D/2.

function yarnMscale(scale: number, m = 1): number {
  return scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1;
}

/** Inverse frequencies (D/2), in float64 before the final f32 store. */
function invFreq64(config: ModelConfig): Float64Array {
  const d = config.headDim;
  const half = d / 2;
  const base = config.ropeTheta;
  const out = new Float64Array(half);
  for (let i = 0; i < half; i++) out[i] = 1 / base ** ((2 * i) / d);
  const s = config.ropeScaling;
  switch (s.type) {
    case 'none':
      return out;
    case 'linear':
      for (let i = 0; i < half; i++) out[i] /= s.factor;
      return out;
    case 'llama3': {
      const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
      const highWavelen = s.originalMaxPositions / s.highFreqFactor;
      for (let i = 0; i < half; i++) {
        const f = out[i];
        const wavelen = (2 * Math.PI) / f;
        if (wavelen > lowWavelen) out[i] = f / s.factor;
        else if (wavelen >= highWavelen) {
          const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
          out[i] = (1 - smooth) * (f / s.factor) + smooth * f;
        }
      }
      return out;
    }
    case 'yarn': {
      // Dimension index at which a frequency completes `rotations` turns over the original context.
      const corrDim = (rotations: number) => (d * Math.log(s.originalMaxPositions / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
      let low = corrDim(s.betaFast);
      let high = corrDim(s.betaSlow);
      if (s.truncate) {
        low = Math.floor(low);
        high = Math.ceil(high);
      }
      low = Math.max(low, 0);
      high = Math.min(high, d - 1);
      if (low === high) high += 0.001;
      for (let i = 0; i < half; i++) {
        const ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
        const extrapolate = 1 - ramp; // 1: keep the original frequency, 0: interpolate by factor
        out[i] = (out[i] / s.factor) * (1 - extrapolate) + out[i] * extrapolate;
      }
      return out;
    }
  }
}

/** RoPE inverse frequencies, length headDim / 2, with the configured scaling applied. */
export function ropeInvFreq(config: ModelConfig): Float32Array {
  return Float32Array.from(invFreq64(config));
}

/**
 * Multiplier applied to cos and sin (so attention logits scale by its square). 1 except for yarn,
 * where it is attention_factor, or derived from the factor (and mscale / mscale_all_dim).
 */
export function ropeAttentionFactor(config: ModelConfig): number {
  const s = config.ropeScaling;
  if (s.type !== 'yarn') return 1;
  if (s.attentionFactor !== undefined) return s.attentionFactor;
  if (s.mscale && s.mscaleAllDim) return yarnMscale(s.factor, s.mscale) / yarnMscale(s.factor, s.mscaleAllDim);
  return yarnMscale(s.factor);
}

/** Softmax scale of q·k: 1 / sqrt(headDim) (RoPE's attention factor is applied to cos/sin instead). */
export function attentionSoftmaxScale(config: ModelConfig): number {
  return 1 / Math.sqrt(config.headDim);
}

/**
 * cos / sin tables for positions [0, positions): each (positions, headDim / 2), row-major, already
 * multiplied by ropeAttentionFactor. Angles are computed in float64 before rounding to f32.
 */
export function ropeTable(config: ModelConfig, positions: number): { cos: Float32Array; sin: Float32Array } {
  const inv = invFreq64(config);
  const half = inv.length;
  const a = ropeAttentionFactor(config);
  const cos = new Float32Array(positions * half);
  const sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const ang = p * inv[i];
      cos[p * half + i] = Math.cos(ang) * a;
      sin[p * half + i] = Math.sin(ang) * a;
    }
  }
  return { cos, sin };
}
