// Shared helpers of the model tests: load a tiny fixture model (host weights + config), build random
// models of a given family, upload them, and make padded / packed token batches.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Gpu } from '../../src/gpu';
import { NodeFolderSource } from '../../src/io/folder';
import { loadWeights } from '../../src/io/safetensors-read';
import { parseModelConfig, type ModelConfig } from '../../src/model/config';
import { Decoder, type DecoderOptions } from '../../src/model/decoder';
import type { TokenBatch } from '../../src/model/layout';
import { buildParamTable, type ParamTable } from '../../src/model/params';
import type { RefModel } from '../../src/model/reference';
import { uploadWeights, type WeightDtype } from '../../src/model/weights';
import { rng } from '../shared/check';

const FIXTURES = join(__dirname, '../fixtures/models');

export interface HostModel {
  config: ModelConfig;
  table: ParamTable;
  weights: Map<string, Float32Array>;
}

/** A tiny fixture model (tiny-llama, tiny-llama-sharded, tiny-qwen2, tiny-qwen3) as host f32 weights. */
export async function loadFixture(name: string): Promise<HostModel> {
  const dir = join(FIXTURES, name);
  const config = parseModelConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8')));
  const table = buildParamTable(config);
  const weights = new Map<string, Float32Array>();
  await loadWeights(new NodeFolderSource(dir), { dtype: 'f32', onTensor: (n, _s, d) => void weights.set(n, d as Float32Array) });
  return { config, table, weights };
}

/** config.json of a small random model of a family (overrides merged in). */
export function smallConfig(family: 'llama' | 'qwen2' | 'qwen3', over: Record<string, unknown> = {}): ModelConfig {
  const arch = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', qwen3: 'Qwen3ForCausalLM' }[family];
  return parseModelConfig({
    architectures: [arch],
    model_type: family,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 12,
    vocab_size: 70,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    tie_word_embeddings: false,
    eos_token_id: 3,
    ...over,
  });
}

/** Random weights for a config: linear U(+-1/sqrt(in)), embeddings U(+-0.5), norms 1 +- 0.2, biases +-0.1. */
export function randomModel(config: ModelConfig, seed = 1): HostModel {
  const table = buildParamTable(config);
  const r = rng(seed);
  const u = () => 2 * r() - 1;
  const weights = new Map<string, Float32Array>();
  for (const e of table.entries) {
    const w = new Float32Array(e.numel);
    for (let i = 0; i < w.length; i++) {
      if (e.kind === 'linear') w[i] = u() / Math.sqrt(e.shape[1]);
      else if (e.kind === 'embed' || e.kind === 'lm_head') w[i] = u() * 0.5;
      else if (e.kind === 'bias') w[i] = u() * 0.1;
      else w[i] = 1 + 0.2 * u();
    }
    weights.set(e.name, w);
  }
  return { config, table, weights };
}

export function refModel(m: HostModel, extra: Partial<RefModel> = {}): RefModel {
  return { config: m.config, weights: m.weights, ...extra };
}

export function gpuModel(gpu: Gpu, m: HostModel, dtype: WeightDtype = 'f32', opts: DecoderOptions = {}): Decoder {
  return new Decoder(gpu, uploadWeights(gpu, m.table, m.weights, { dtype }), opts);
}

/** Random ids in [lo, hi). */
export function randomIds(n: number, hi: number, seed: number, lo = 0): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => lo + Math.floor(r() * (hi - lo)));
}

/** A (B, T) batch with random ids / targets and the given extra fields (lengths, segments, ...). */
export function randomBatch(B: number, T: number, V: number, seed: number, extra: Partial<TokenBatch> = {}): TokenBatch {
  return { B, T, ids: randomIds(B * T, V, seed), targets: randomIds(B * T, V, seed + 1), ...extra };
}

/** Largest |a - b| over the real (non-padding) tokens of a batch. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
