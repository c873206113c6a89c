// config.json of a few published checkpoints as typed constants (the fields the engine reads), so
// benchmarks and the memory planner can use real shapes without fetching or reading any file.

/** The config.json fields parseModelConfig reads for these checkpoints. */
export interface KnownConfigJson {
  architectures: string[];
  model_type: string;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim?: number;
  vocab_size: number;
  max_position_embeddings: number;
  rms_norm_eps: number;
  rope_theta: number;
  tie_word_embeddings: boolean;
  use_sliding_window: boolean;
  attention_bias?: boolean;
  hidden_act: string;
  bos_token_id: number;
  eos_token_id: number;
  torch_dtype: string;
}

/** Qwen/Qwen2.5-0.5B-Instruct (24 layers, q/k/v bias, tied embeddings). */
export const QWEN2_5_0_5B: Readonly<KnownConfigJson> = {
  architectures: ['Qwen2ForCausalLM'],
  model_type: 'qwen2',
  hidden_size: 896,
  intermediate_size: 4864,
  num_hidden_layers: 24,
  num_attention_heads: 14,
  num_key_value_heads: 2,
  vocab_size: 151936,
  max_position_embeddings: 32768,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  tie_word_embeddings: true,
  use_sliding_window: false,
  hidden_act: 'silu',
  bos_token_id: 151643,
  eos_token_id: 151645,
  torch_dtype: 'bfloat16',
};

/** Qwen/Qwen3-0.6B (28 layers, head_dim 128, q/k norms, tied embeddings). */
export const QWEN3_0_6B: Readonly<KnownConfigJson> = {
  architectures: ['Qwen3ForCausalLM'],
  model_type: 'qwen3',
  hidden_size: 1024,
  intermediate_size: 3072,
  num_hidden_layers: 28,
  num_attention_heads: 16,
  num_key_value_heads: 8,
  head_dim: 128,
  vocab_size: 151936,
  max_position_embeddings: 40960,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  tie_word_embeddings: true,
  use_sliding_window: false,
  attention_bias: false,
  hidden_act: 'silu',
  bos_token_id: 151643,
  eos_token_id: 151645,
  torch_dtype: 'bfloat16',
};

/** Qwen/Qwen3-4B-Instruct-2507 (36 layers, head_dim 128, q/k norms, tied embeddings). */
export const QWEN3_4B: Readonly<KnownConfigJson> = {
  architectures: ['Qwen3ForCausalLM'],
  model_type: 'qwen3',
  hidden_size: 2560,
  intermediate_size: 9728,
  num_hidden_layers: 36,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  head_dim: 128,
  vocab_size: 151936,
  max_position_embeddings: 262144,
  rms_norm_eps: 1e-6,
  rope_theta: 5000000,
  tie_word_embeddings: true,
  use_sliding_window: false,
  attention_bias: false,
  hidden_act: 'silu',
  bos_token_id: 151643,
  eos_token_id: 151645,
  torch_dtype: 'bfloat16',
};
