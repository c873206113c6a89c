// The LM head on scored rows only: one LoRA training step (forward + backward) of a random 2-layer
// Qwen2-shaped model on 8 rows of 64 tokens whose first 48 are a prompt, with every row's target given
// (the head computes logits for all 512 rows) against the prompt's targets NO_ROW (the trainer's batches:
// the head computes the 17 x 8 completion rows only). Same weights, loss and run; median of 3 steps each.
// Usage: npx tsx --import ./scripts/register-raw.mjs scripts/head-scored-rows.ts [VOCAB=151936] [HIDDEN=64]
import { Gpu } from '../src/gpu';
import { parseModelConfig } from '../src/model/config';
import { Decoder } from '../src/model/decoder';
import { NO_ROW } from '../src/model/layout';
import { LoraAdapter } from '../src/model/lora';
import { buildParamTable } from '../src/model/params';
import { randomModelWeights } from '../src/model/random';
import { loadavg } from 'node:os';
const V = Number(process.argv[2] ?? 151936), C = Number(process.argv[3] ?? 64);
const config = parseModelConfig({ architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', vocab_size: V, hidden_size: C, intermediate_size: 4 * C, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 512, tie_word_embeddings: true, rms_norm_eps: 1e-6 });
const gpu = await Gpu.create();
const model = new Decoder(gpu, randomModelWeights(gpu, config, { dtype: 'f32' }));
model.adapter = LoraAdapter.create(gpu, buildParamTable(config), { rank: 8, alpha: 16, seed: 1 });
const B = 8, T = 64, P = 48;
const ids = Array.from({ length: B * T }, (_, i) => (i * 7919) % V);
const full = { B, T, ids, targets: ids.map((x, i) => (i * 104729) % V) };
const part = { ...full, targets: full.targets.map((t, i) => (i % T < P - 1 ? NO_ROW : t)) };
const w = new Float32Array(B * T).map((_, i) => (i % T < P - 1 ? 0 : -1 / (B * (T - P + 1))));
async function step(b: typeof full) { const t0 = performance.now(); const pass = model.forward(b, { train: true }); model.backward(pass, w); await gpu.sync(); return performance.now() - t0; }
await step(full); await step(part);
const r: Record<string, number[]> = { full: [], part: [] };
for (let i = 0; i < 3; i++) { r.full.push(await step(full)); r.part.push(await step(part)); }
const med = (a: number[]) => a.sort((x, y) => x - y)[1];
console.log(`V=${V} C=${C} B=${B} T=${T} prompt=${P}: step ms all rows scored ${med(r.full).toFixed(0)}, prompt rows skipped ${med(r.part).toFixed(0)}, ratio ${(med(r.full) / med(r.part)).toFixed(2)}x; load ${loadavg()[0].toFixed(1)}`);
gpu.destroy();
