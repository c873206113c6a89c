// config.json parsing and refusals, RoPE tables, the parameter table (counts against published
// figures, checkpoint keys of the tiny fixtures) and the memory planner.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  attentionSoftmaxScale,
  ModelConfigError,
  parseModelConfig,
  ropeAttentionFactor,
  ropeInvFreq,
  ropeTable,
  type ModelConfig,
} from '../../src/model/config';
import {
  buildParamTable,
  checkpointIgnore,
  countParams,
  expectedTensors,
  loraParamCount,
  loraTargets,
  peftLoraKeys,
} from '../../src/model/params';
import { formatMemoryPlan, logitsChunkRows, planInference, planTraining } from '../../src/model/memory';
import { readSafetensorsHeader } from '../../src/io/safetensors-read';

const FIX = new URL('../fixtures/models/', import.meta.url).pathname;
const readJson = (p: string) => JSON.parse(readFileSync(FIX + p, 'utf8'));
const real = (name: string) => parseModelConfig(readJson(`real/${name}/config.json`));
const tiny = (name: string) => parseModelConfig(readJson(`${name}/config.json`), readJson(`${name}/generation_config.json`));

const qwen3Base = () => readJson('real/Qwen3-0.6B/config.json') as Record<string, unknown>;

function refusal(cfg: Record<string, unknown>): ModelConfigError {
  try {
    parseModelConfig(cfg);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelConfigError);
    return e as ModelConfigError;
  }
  throw new Error('expected parseModelConfig to refuse the config');
}

describe('parseModelConfig', () => {
  it('parses Qwen3-0.6B', () => {
    const c = real('Qwen3-0.6B');
    expect(c).toMatchObject({
      architecture: 'Qwen3ForCausalLM',
      family: 'qwen3',
      vocabSize: 151936,
      hiddenSize: 1024,
      intermediateSize: 3072,
      numLayers: 28,
      numHeads: 16,
      numKvHeads: 8,
      headDim: 128, // explicit head_dim: 16 * 128 != 1024
      ropeTheta: 1e6,
      ropeScaling: { type: 'none' },
      rmsNormEps: 1e-6,
      tieEmbeddings: true,
      attentionBias: false,
      qkNorm: true,
      maxPositions: 40960,
      bosId: 151643,
      eosIds: [151645],
      torchDtype: 'bfloat16',
    });
  });

  it('parses Qwen2.5 (q/k/v bias, head_dim from hidden/heads, sliding window present but off)', () => {
    const c = real('Qwen2.5-0.5B-Instruct');
    expect(c.family).toBe('qwen2');
    expect(c.attentionBias).toBe(true);
    expect(c.qkNorm).toBe(false);
    expect(c.headDim).toBe(64);
    expect(c.numKvHeads).toBe(2);
  });

  it('parses Llama-3.2 (llama3 rope scaling, eos list) and SmolLM2', () => {
    const c = real('Llama-3.2-1B-Instruct');
    expect(c.family).toBe('llama');
    expect(c.ropeScaling).toEqual({ type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
    expect(c.eosIds).toEqual([128001, 128008, 128009]);
    expect(c.bosId).toBe(128000);
    const s = real('SmolLM2-135M-Instruct');
    expect(s).toMatchObject({ family: 'llama', headDim: 64, numHeads: 9, numKvHeads: 3, ropeTheta: 100000, padId: 2 });
  });

  it('merges generation_config: eos list first, sampling defaults', () => {
    const c = tiny('tiny-qwen3');
    expect(c.eosIds).toEqual([151645, 151643]);
    expect(c.padId).toBe(151643);
    expect(c.generation).toEqual({ temperature: 0.6, topP: 0.95, topK: 20, doSample: true });
    const q2 = tiny('tiny-qwen2');
    expect(q2.generation.repetitionPenalty).toBe(1.05);
    expect(tiny('tiny-llama').ropeScaling.type).toBe('llama3');
    expect(tiny('tiny-llama-sharded').tieEmbeddings).toBe(false);
  });

  it('reads the rope_parameters block of newer exports', () => {
    const cfg = qwen3Base();
    delete cfg.rope_theta;
    delete cfg.rope_scaling;
    cfg.rope_parameters = { rope_type: 'default', rope_theta: 250000 };
    expect(parseModelConfig(cfg)).toMatchObject({ ropeTheta: 250000, ropeScaling: { type: 'none' } });
    cfg.rope_parameters = { rope_type: 'linear', rope_theta: 10000, factor: 2 };
    expect(parseModelConfig(cfg).ropeScaling).toEqual({ type: 'linear', factor: 2 });
  });

  const refusals: [string, (c: Record<string, unknown>) => void, string, RegExp][] = [
    ['unknown architecture', (c) => (c.architectures = ['MistralForCausalLM']), 'architectures', /MistralForCausalLM/],
    ['no architectures', (c) => delete c.architectures, 'architectures', /architectures/],
    ['model_type mismatch', (c) => (c.model_type = 'llama'), 'model_type', /"llama"/],
    ['gelu activation', (c) => (c.hidden_act = 'gelu_pytorch_tanh'), 'hidden_act', /gelu_pytorch_tanh/],
    ['sliding window in use', (c) => ((c.use_sliding_window = true), (c.sliding_window = 4096)), 'use_sliding_window', /4096/],
    ['sliding layer types', (c) => (c.layer_types = ['full_attention', 'sliding_attention']), 'layer_types', /sliding_attention/],
    ['MoE experts', (c) => (c.num_experts = 128), 'num_experts', /128.*mixture-of-experts/],
    ['MoE local experts', (c) => (c.num_local_experts = 8), 'num_local_experts', /8/],
    ['unknown rope type', (c) => (c.rope_scaling = { rope_type: 'longrope', factor: 4 }), 'rope_scaling.rope_type', /longrope/],
    ['dynamic rope', (c) => (c.rope_scaling = { type: 'dynamic', factor: 2 }), 'rope_scaling.rope_type', /dynamic/],
    ['llama3 rope without factors', (c) => (c.rope_scaling = { rope_type: 'llama3', factor: 8 }), 'low_freq_factor', /low_freq_factor/],
    ['partial rotary', (c) => (c.partial_rotary_factor = 0.5), 'partial_rotary_factor', /0\.5/],
    ['attention bias on qwen3', (c) => (c.attention_bias = true), 'attention_bias', /qwen3/],
    ['quantized', (c) => (c.quantization_config = { quant_method: 'gptq' }), 'quantization_config', /quantized/],
    ['heads not divisible by kv heads', (c) => (c.num_key_value_heads = 6), 'num_key_value_heads', /16.*6/],
    ['missing hidden_size', (c) => delete c.hidden_size, 'hidden_size', /positive integer/],
    ['odd head dim', (c) => (c.head_dim = 127), 'head_dim', /127/],
  ];
  for (const [what, edit, field, msg] of refusals) {
    it(`refuses: ${what}`, () => {
      const cfg = qwen3Base();
      edit(cfg);
      const e = refusal(cfg);
      expect(e.field).toBe(field);
      expect(e.message).toMatch(msg);
    });
  }

  it('accepts inactive sliding-window and MoE fields', () => {
    const cfg = qwen3Base();
    cfg.use_sliding_window = false;
    cfg.sliding_window = 32768;
    cfg.num_experts = 0;
    cfg.layer_types = Array(28).fill('full_attention');
    expect(parseModelConfig(cfg).family).toBe('qwen3');
  });
});

describe('rope', () => {
  it('plain: theta^(-2i/D), attention factor 1', () => {
    const c = real('Qwen3-0.6B');
    const inv = ropeInvFreq(c);
    expect(inv.length).toBe(64);
    expect(inv[0]).toBe(1);
    expect(inv[10]).toBe(Math.fround(1e6 ** (-20 / 128)));
    expect(ropeAttentionFactor(c)).toBe(1);
    expect(attentionSoftmaxScale(c)).toBeCloseTo(1 / Math.sqrt(128), 12);
  });

  it('llama3: high frequencies kept, low divided by factor, smooth band in between', () => {
    const c = real('Llama-3.2-1B-Instruct');
    const plain = ropeInvFreq({ ...c, ropeScaling: { type: 'none' } });
    const inv = ropeInvFreq(c);
    let kept = 0;
    let scaled = 0;
    let smooth = 0;
    for (let i = 0; i < inv.length; i++) {
      const wavelen = (2 * Math.PI) / plain[i];
      if (wavelen < 8192 / 4) {
        expect(inv[i]).toBe(plain[i]);
        kept++;
      } else if (wavelen > 8192 / 1) {
        expect(inv[i]).toBeCloseTo(plain[i] / 32, 12);
        scaled++;
      } else {
        const s = (8192 / wavelen - 1) / (4 - 1);
        expect(inv[i]).toBeCloseTo((1 - s) * (plain[i] / 32) + s * plain[i], 9);
        expect(inv[i]).toBeLessThan(plain[i]);
        expect(inv[i]).toBeGreaterThan(plain[i] / 32);
        smooth++;
      }
    }
    expect(kept).toBeGreaterThan(0);
    expect(scaled).toBeGreaterThan(0);
    expect(smooth).toBeGreaterThan(0);
    expect(ropeAttentionFactor(c)).toBe(1);
  });

  it('linear divides every frequency', () => {
    const c: ModelConfig = { ...real('Qwen3-0.6B'), ropeScaling: { type: 'linear', factor: 4 } };
    const plain = ropeInvFreq(real('Qwen3-0.6B'));
    ropeInvFreq(c).forEach((v, i) => expect(v).toBeCloseTo(plain[i] / 4, 12));
  });

  it('yarn: extrapolates fast dims, interpolates slow ones, attention factor 0.1 ln(s) + 1', () => {
    const cfg = qwen3Base();
    cfg.rope_scaling = { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32768 };
    const c = parseModelConfig(cfg);
    const plain = ropeInvFreq(real('Qwen3-0.6B'));
    const inv = ropeInvFreq(c);
    // correction range in dims for 32 and 1 rotations over 32768 positions at theta 1e6, D = 128
    const dim = (r: number) => (128 * Math.log(32768 / (r * 2 * Math.PI))) / (2 * Math.log(1e6));
    const low = Math.floor(dim(32));
    const high = Math.ceil(dim(1));
    expect(low).toBeGreaterThan(0);
    expect(high).toBeLessThan(64);
    for (let i = 0; i <= low; i++) expect(inv[i]).toBeCloseTo(plain[i], 12);
    for (let i = high; i < 64; i++) expect(inv[i]).toBeCloseTo(plain[i] / 4, 12);
    const mid = Math.round((low + high) / 2);
    const ramp = (mid - low) / (high - low);
    expect(inv[mid]).toBeCloseTo(plain[mid] * (1 - ramp) + (plain[mid] / 4) * ramp, 9);
    expect(ropeAttentionFactor(c)).toBeCloseTo(0.1 * Math.log(4) + 1, 12);
    // no explicit factor: the ratio of max_position_embeddings to the original context
    cfg.rope_scaling = { rope_type: 'yarn', original_max_position_embeddings: 10240 };
    expect(parseModelConfig(cfg).ropeScaling).toMatchObject({ type: 'yarn', factor: 4, betaFast: 32, betaSlow: 1, truncate: true });
    const t = ropeTable(c, 3);
    expect(t.cos[0]).toBeCloseTo(ropeAttentionFactor(c), 6);
    expect(t.sin[64 * 2 + 5]).toBeCloseTo(Math.sin(2 * inv[5]) * ropeAttentionFactor(c), 5);
  });
});

describe('parameter table', () => {
  // Published sizes: Qwen3-0.6B 0.6B total / 0.44B non-embedding; Qwen3-4B 4.0B / 3.6B;
  // Qwen2.5-0.5B 0.49B (494M); Llama-3.2-1B 1.24B; SmolLM2-135M 135M.
  const known: [string, number, number][] = [
    ['Qwen3-0.6B', 596_049_920, 440_467_456],
    ['Qwen3-4B-Instruct-2507', 4_022_468_096, 3_633_511_936],
    ['Qwen2.5-0.5B-Instruct', 494_032_768, 357_898_112],
    ['Llama-3.2-1B-Instruct', 1_235_814_400, 973_146_112],
    ['SmolLM2-135M-Instruct', 134_515_008, 106_203_456],
  ];
  for (const [name, total, nonEmb] of known) {
    it(`${name}: ${total} parameters`, () => {
      const n = countParams(buildParamTable(real(name)));
      expect(n.total).toBe(total);
      expect(n.nonEmbedding).toBe(nonEmb);
    });
  }
  it('matches the rounded model-card figures', () => {
    const q06 = countParams(buildParamTable(real('Qwen3-0.6B')));
    expect(q06.total / 1e9).toBeCloseTo(0.6, 1);
    expect(q06.nonEmbedding / 1e9).toBeCloseTo(0.44, 2);
    const q4 = countParams(buildParamTable(real('Qwen3-4B-Instruct-2507')));
    expect(q4.total / 1e9).toBeCloseTo(4.0, 1);
    expect(q4.nonEmbedding / 1e9).toBeCloseTo(3.6, 1);
  });

  it('has one entry per HF key with the right kinds and modules', () => {
    const t = buildParamTable(real('Qwen3-0.6B'));
    expect(t.entries.length).toBe(1 + 28 * 11 + 1);
    expect(t.byName.has('lm_head.weight')).toBe(false); // tied
    expect(t.byName.get('model.layers.3.self_attn.q_proj.weight')).toMatchObject({ shape: [2048, 1024], kind: 'linear', layer: 3, module: 'q_proj', loraTarget: true });
    expect(t.byName.get('model.layers.3.self_attn.k_norm.weight')).toMatchObject({ shape: [128], kind: 'qknorm', module: 'k_norm' });
    expect(t.byName.get('model.layers.27.mlp.down_proj.weight')?.shape).toEqual([1024, 3072]);
    const q2 = buildParamTable(real('Qwen2.5-0.5B-Instruct'));
    expect(q2.byName.get('model.layers.0.self_attn.k_proj.bias')).toMatchObject({ shape: [128], kind: 'bias', loraTarget: false });
    expect(q2.byName.has('model.layers.0.self_attn.o_proj.bias')).toBe(false);
    const untied = buildParamTable(tiny('tiny-llama-sharded'));
    expect(untied.byName.get('lm_head.weight')).toMatchObject({ kind: 'lm_head', shape: [272, 64] });
    expect(checkpointIgnore(real('Qwen3-0.6B')).some((re) => re.test('lm_head.weight'))).toBe(true);
    expect(checkpointIgnore(untied.config).some((re) => re.test('lm_head.weight'))).toBe(false);
  });

  it('derives LoRA targets (default all 7 linear modules) and PEFT keys', () => {
    const t = buildParamTable(real('Qwen3-0.6B'));
    const targets = loraTargets(t);
    expect(targets.length).toBe(28 * 7);
    expect(targets[0]).toEqual({ base: 'model.layers.0.self_attn.q_proj.weight', layer: 0, module: 'q_proj', inFeatures: 1024, outFeatures: 2048 });
    // per layer r * (in + out): q 3072, k 2048, v 2048, o 3072, gate 4096, up 4096, down 4096 = 22528 r
    expect(loraParamCount(t, 16)).toBe(28 * 16 * 22528);
    expect(peftLoraKeys(targets[0])).toEqual({
      a: 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
      b: 'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight',
    });
    const qv = buildParamTable(real('Qwen3-0.6B'), { loraModules: ['v_proj', 'q_proj'] });
    expect(qv.loraModules).toEqual(['q_proj', 'v_proj']);
    expect(loraTargets(qv).length).toBe(56);
    expect(() => buildParamTable(real('Qwen3-0.6B'), { loraModules: ['lm_head' as never] })).toThrow(/not a linear module/);
  });

  for (const name of ['tiny-llama', 'tiny-qwen2', 'tiny-qwen3']) {
    it(`${name}: expected keys and shapes equal the fixture checkpoint header`, async () => {
      const table = buildParamTable(tiny(name));
      const header = await readSafetensorsHeader(`${FIX}${name}/model.safetensors`);
      const got = Object.fromEntries(header.tensors.map((t) => [t.name, t.shape]));
      const want = Object.fromEntries(expectedTensors(table).map((t) => [t.name, t.shape]));
      expect(got).toEqual(want);
    });
  }
});

describe('memory planner', () => {
  it('Qwen3-0.6B LoRA step (seq 1024, r 16, recompute, f16 weights) fits in 3 GB', () => {
    const plan = planTraining(real('Qwen3-0.6B'), { seqLen: 1024, rank: 16, weights: 'f16', recompute: true });
    expect(plan.totalBytes).toBeLessThan(3e9);
    expect(plan.items.find((i) => i.name === 'frozen weights')?.bytes).toBe(596_049_920 * 2);
    expect(plan.items.find((i) => i.name === 'AdamW m, v')?.bytes).toBe(2 * 4 * 28 * 16 * 22528);
    const text = formatMemoryPlan(plan);
    expect(text).toMatch(/frozen weights/);
    expect(text).toMatch(/total/);
  });

  it('Qwen3-4B LoRA step fits in 12 GB with recomputation, not without', () => {
    const c = real('Qwen3-4B-Instruct-2507');
    const on = planTraining(c, { seqLen: 1024, rank: 16, weights: 'f16', recompute: true });
    const off = planTraining(c, { seqLen: 1024, rank: 16, weights: 'f16', recompute: false });
    expect(on.totalBytes).toBeLessThan(12e9);
    expect(off.totalBytes).toBeGreaterThan(on.totalBytes + 5e9);
  });

  it('f32 weights cost 2 extra bytes per parameter; flash attention and smaller logits chunks save memory', () => {
    const c = real('Qwen3-0.6B');
    const base = { seqLen: 512, rank: 8, weights: 'f16' as const };
    const f16 = planTraining(c, base).totalBytes;
    expect(planTraining(c, { ...base, weights: 'f32' }).totalBytes - f16).toBe(596_049_920 * 2);
    expect(planTraining(c, { ...base, attention: 'flash' }).totalBytes).toBeLessThan(f16);
    expect(planTraining(c, { ...base, logitsChunk: 64 }).totalBytes).toBeLessThan(f16);
  });

  it("counts the logits chunk and its gradient, with the decoder's rows per chunk", () => {
    const c = real('Qwen3-0.6B');
    const rows = logitsChunkRows(c.vocabSize, 512);
    expect(rows).toBe(Math.floor((64 * 1024 * 1024) / (4 * c.vocabSize)));
    const head = planTraining(c, { seqLen: 512, rank: 8, weights: 'f16' }).items.find((i) => i.name === 'head + logits')!;
    expect(head.bytes).toBe(512 * (2 * c.hiddenSize + 1) * 4 + 2 * rows * c.vocabSize * 4 + 512 * 5 * 4);
    expect(head.largestBuffer).toBe(rows * c.vocabSize * 4);
    // at 256 tokens all the logits (155.6 MB) are under KEEP_LOGITS_BYTES: kept from the forward, plus a chunk's gradient
    const q = real('Qwen2.5-0.5B-Instruct');
    const kept = planTraining(q, { seqLen: 256, rank: 8, weights: 'f16' }).items.find((i) => i.name === 'head + logits')!;
    const qRows = logitsChunkRows(q.vocabSize, 256);
    expect(kept.bytes).toBe(256 * (2 * q.hiddenSize + 1) * 4 + 256 * q.vocabSize * 4 + qRows * q.vocabSize * 4 + 256 * 5 * 4);
    expect(kept.detail).toMatch(/kept for the backward/);
    expect(logitsChunkRows(100, 7)).toBe(7);
    expect(logitsChunkRows(1e9, 512)).toBe(1);
  });

  it('the embedding and lm_head count as row blocks: the largest buffer is one block under the binding limit', () => {
    const c = real('Qwen2.5-0.5B-Instruct');
    const at = (maxBinding?: number) => planTraining(c, { seqLen: 256, rank: 8, weights: 'f16', maxBinding }).items.find((i) => i.name === 'frozen weights')!;
    const whole = at(2 ** 31);
    expect(whole.largestBuffer).toBe(151_936 * 896 * 2); // one block: the whole f16 embedding (272 MB)
    const blocked = at(); // 128 MiB: rows of 896 f32 values, 37,449 per block, 5 blocks
    expect(blocked.largestBuffer).toBe(37_449 * 896 * 2);
    expect(blocked.bytes).toBe(whole.bytes);
    expect(blocked.detail).toMatch(/151936-row vocabulary in 5 row blocks of 37449/);
    expect(() => at(1024)).toThrow(/one row of 896 f32 values is 3584 bytes, over this adapter's maxStorageBufferBindingSize of 1024/);
  });

  it('inference KV cache is 2 * layers * batch * context * kv_dim * bytes', () => {
    const c = real('Qwen3-0.6B');
    const plan = planInference(c, { batch: 4, context: 1000, weights: 'f16', kvCache: 'f16' });
    expect(plan.items.find((i) => i.name === 'KV cache')?.bytes).toBe(2 * 28 * 4 * 1000 * 8 * 128 * 2);
    expect(plan.totalBytes).toBeGreaterThan(596_049_920 * 2);
    expect(plan.largestBuffer.bytes).toBeGreaterThan(0);
  });
});
