// Peer benchmark: greedy decode of one random model (Qwen2.5-0.5B layer shapes, 2 layers; quick: a
// tiny model of the same family) on our engine and as one ONNX graph on onnxruntime-web's WebGPU EP
// (src/bench/onnx-decoder.ts), same weights, same GPUDevice, same prompts and token counts, at each
// batch size; tokens/s of each and the ratio, measured in one run.
// Usage through the bench CLI: `peer [--quick] [options]` (see USAGE).

import { loadavg } from 'node:os';
import { hostLoad, median, modelShapes, randomIds } from './host';
import { Gpu } from '../../gpu';
import { OrtDecoder } from '../../bench/ort-decoder';
import { initOrtWebGpu, type OrtWebGpu } from '../../bench/ort-runner';
import type { OnnxDType } from '../../bench/onnx-builder';
import { parseModelConfig, type ModelConfig } from '../../model/config';
import { Decoder } from '../../model/decoder';
import { generate } from '../../model/generate';
import { QWEN2_5_0_5B } from '../../model/known-configs';
import { randomModelWeights } from '../../model/random';
import { readWeights, type WeightDtype } from '../../model/weights';

export interface PeerBenchConfig {
  quick: boolean;
  /** Decoder layers. Default 2. */
  layers: number;
  /** Vocabulary rows; null: the model's own, capped to what one buffer binding holds (as the model bench does). */
  vocab: number | null;
  /** Prompt tokens per sequence. Default 16 (quick 8). */
  prompt: number;
  /** Timed decode steps per run (two more run untimed: the prefill's token and a first decode step). Default 8 (quick 3). */
  steps: number;
  /** Sequences decoded together. Default 1, 8. */
  batches: number[];
  /** Timed runs per engine and batch size (after one untimed warm-up run); the median is reported. Default 2 (quick 1). */
  reps: number;
  /** Our weight storage; null: f16 when the adapter has shader-f16, else f32. */
  dtype: WeightDtype | null;
  /** Element types of the ONNX graphs timed; null: f32, plus f16 when the adapter has shader-f16. */
  ortDtypes: OnnxDType[] | null;
  /** How V8 compiles onnxruntime-web's WebAssembly in Node (OrtInitOptions.wasmTier). Default 'optimized' ('baseline' with --quick). */
  ortWasm: 'optimized' | 'baseline';
  /** RMSNorm in the ONNX graph: 'simplified' (default, onnxruntime's fused SimplifiedLayerNormalization) or 'primitive' ops. */
  ortNorm: 'simplified' | 'primitive';
  seed: number;
}

const USAGE =
  'peer [--quick] [--layers=N] [--vocab=N] [--prompt=T] [--steps=N] [--batches=1,8] [--reps=N] [--dtype=f16|f32] [--ort-dtypes=f32,f16] [--ort-wasm=optimized|baseline] [--ort-norm=simplified|primitive] [--seed=N]';

export function parsePeerArgs(args: string[]): PeerBenchConfig {
  const quick = args.includes('--quick');
  const cfg: PeerBenchConfig = {
    quick,
    layers: 2,
    vocab: null,
    prompt: quick ? 8 : 16,
    steps: quick ? 3 : 8,
    batches: [1, 8],
    reps: quick ? 1 : 2,
    dtype: null,
    ortDtypes: null,
    ortWasm: quick ? 'baseline' : 'optimized',
    ortNorm: 'simplified',
    seed: 1,
  };
  const int = (a: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`peer: option '${a}' needs a positive integer; usage: ${USAGE}`);
    return n;
  };
  for (const a of args) {
    if (a === 'peer' || a === '--quick') continue;
    const [key, val = ''] = a.split('=', 2);
    if (key === '--layers') cfg.layers = int(a, val);
    else if (key === '--vocab') cfg.vocab = int(a, val);
    else if (key === '--prompt') cfg.prompt = int(a, val);
    else if (key === '--steps') cfg.steps = int(a, val);
    else if (key === '--batches') cfg.batches = val.split(',').map((b) => int(a, b));
    else if (key === '--reps') cfg.reps = int(a, val);
    else if (key === '--seed') cfg.seed = int(a, val);
    else if (key === '--dtype' && (val === 'f16' || val === 'f32')) cfg.dtype = val;
    else if (key === '--ort-dtypes' && val.split(',').every((d) => d === 'f16' || d === 'f32')) cfg.ortDtypes = val.split(',') as OnnxDType[];
    else if (key === '--ort-wasm' && (val === 'optimized' || val === 'baseline')) cfg.ortWasm = val;
    else if (key === '--ort-norm' && (val === 'simplified' || val === 'primitive')) cfg.ortNorm = val;
    else throw new Error(`peer: unknown or malformed option '${a}'; usage: ${USAGE}`);
  }
  return cfg;
}

let T0 = performance.now();
const log = (msg: string) => console.error(`[bench peer ${((performance.now() - T0) / 1000).toFixed(1)}s] ${msg}`);
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;


function peerConfig(cfg: PeerBenchConfig, vocab: number): ModelConfig {
  const base = cfg.quick
    ? { ...QWEN2_5_0_5B, hidden_size: 64, intermediate_size: 128, num_attention_heads: 4, num_key_value_heads: 2, bos_token_id: 1, eos_token_id: 2 }
    : { ...QWEN2_5_0_5B };
  return parseModelConfig({ ...base, num_hidden_layers: cfg.layers, vocab_size: vocab });
}

/** Vocabulary rows both engines can hold: the (V, C) embedding / tied head is one buffer binding on each side. */
function pickVocab(cfg: PeerBenchConfig, gpu: Gpu, ortDtypes: OnnxDType[]): { vocab: number; requested: number; note: string | null } {
  const C = cfg.quick ? 64 : QWEN2_5_0_5B.hidden_size;
  const requested = cfg.quick ? 512 : QWEN2_5_0_5B.vocab_size;
  const maxBind = gpu.limits.maxStorageBufferBindingSize ?? 128 * 1024 * 1024;
  const widest = ortDtypes.includes('f32') || cfg.dtype !== 'f16' ? 4 : 2; // the ONNX f32 graph holds the embedding as f32
  const fit = Math.floor(maxBind / (C * widest) / 64) * 64;
  if (cfg.vocab !== null) {
    if (cfg.vocab > requested) throw new Error(`peer: --vocab=${cfg.vocab} is larger than the model's vocabulary (${requested}); use --vocab=${requested} or less`);
    if (cfg.vocab > fit) throw new Error(`peer: --vocab=${cfg.vocab} rows of ${C} x ${widest} bytes exceed this adapter's maxStorageBufferBindingSize (${maxBind}); use --vocab=${fit} or less`);
    return { vocab: cfg.vocab, requested, note: cfg.vocab < requested ? `vocabulary set to ${cfg.vocab} of ${requested} rows (--vocab)` : null };
  }
  if (requested <= fit) return { vocab: requested, requested, note: null };
  return {
    vocab: fit,
    requested,
    note: `vocabulary capped from ${requested} to ${fit} rows: the (V, ${C}) embedding / tied lm_head is one buffer binding, in f32 in the ONNX f32 graph, and this adapter's maxStorageBufferBindingSize is ${maxBind}`,
  };
}

export interface PeerRun {
  tps: number;
  step_ms: number;
  tokens: number[][];
}

/** Wall times of the timed window: stamps[k] after the ids of token k are on the host; token 0 comes from the prefill, token 1 from the first decode step. */
function fromStamps(stamps: number[], B: number, steps: number): { tps: number; step_ms: number } {
  const timed = stamps.slice(1);
  if (timed.length !== steps + 1) throw new Error(`peer: expected ${steps + 1} stamps after the prefill, saw ${timed.length}`);
  const gaps = timed.slice(1).map((t, i) => t - timed[i]);
  return { tps: (B * steps * 1000) / (timed[timed.length - 1] - timed[0]), step_ms: median(gaps) };
}

async function oursRun(model: Decoder, prompts: number[][], steps: number): Promise<PeerRun> {
  const stamps: number[] = [];
  const out = await generate(model, prompts, { maxNewTokens: steps + 2, temperature: 0, eosIds: [], onStep: () => void stamps.push(performance.now()) });
  return { ...fromStamps(stamps, prompts.length, steps), tokens: out.map((s) => s.tokens) };
}

async function ortRun(dec: OrtDecoder, prompts: number[][], steps: number): Promise<PeerRun> {
  const stamps: number[] = [];
  const tokens: number[][] = prompts.map(() => []);
  let r = await dec.prefill(prompts);
  for (let k = 0; ; k++) {
    r.next.forEach((id, b) => tokens[b].push(id));
    stamps.push(performance.now());
    if (k === steps + 1) break;
    r = await dec.step(r.next);
  }
  dec.reset();
  return { ...fromStamps(stamps, prompts.length, steps), tokens };
}

export interface PeerRow {
  batch: number;
  engine: string;
  tps: number;
  step_ms: number;
  samples_tps: number[];
  /** Ours / this engine's tokens/s (ours: 1). */
  ours_over: number;
  /** Share of generated tokens equal to ours (greedy on the same weights; near-ties may flip). */
  tokens_match_ours: number;
}

export async function benchPeer(args: string[]): Promise<Record<string, unknown>> {
  const cfg = parsePeerArgs(args);
  T0 = performance.now();
  const loadStart = loadavg()[0];
  const gpu = await Gpu.create();
  const where = gpu.describe();
  log(`adapter: ${where}`);
  const dtype: WeightDtype = cfg.dtype ?? (gpu.f16 ? 'f16' : 'f32');
  const ortDtypes: OnnxDType[] = (cfg.ortDtypes ?? (gpu.f16 ? ['f32', 'f16'] : ['f32'])).filter((d) => {
    if (d === 'f16' && !gpu.f16) log("skipping the f16 ONNX graph: this adapter lacks shader-f16");
    return d === 'f32' || gpu.f16;
  });
  const notes: string[] = [];
  const { vocab, requested, note } = pickVocab(cfg, gpu, ortDtypes);
  if (note) (notes.push(note), log(`note: ${note}`));
  const config = peerConfig(cfg, vocab);
  const maxPositions = cfg.prompt + cfg.steps + 2;
  let model: Decoder | null = null;
  const sessions: Record<string, OrtDecoder> = {};
  let rt: OrtWebGpu | null = null;
  try {
    log(`weights: random ${config.numLayers}-layer model, vocab ${vocab}, ${dtype} matrices (randomModelWeights seed ${cfg.seed})`);
    model = new Decoder(gpu, randomModelWeights(gpu, config, { dtype, seed: cfg.seed }));
    const host = await readWeights(gpu, model.weights); // the values our kernels read (f16-rounded when stored as f16)
    log(`loading onnxruntime-web (wasm tier: ${cfg.ortWasm})`);
    rt = await initOrtWebGpu(gpu, { wasmTier: cfg.ortWasm });
    log(`onnxruntime-web ${rt.version} WebGPU EP (${rt.runtime}) on the same GPUDevice, ready in ${(rt.initMs / 1000).toFixed(1)} s`);
    for (const d of ortDtypes) {
      const t = performance.now();
      sessions[`ort_${d}`] = await OrtDecoder.create(rt, gpu, { config, weights: host, dtype: d, maxPositions, norm: cfg.ortNorm });
      log(`ort_${d}: graph of ${(sessions[`ort_${d}`].modelBytes / 2 ** 20).toFixed(1)} MiB, session in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    host.clear();
    const m = model;
    const engines: Record<string, (p: number[][]) => Promise<PeerRun>> = { ours: (p) => oursRun(m, p, cfg.steps) };
    for (const [name, s] of Object.entries(sessions)) engines[name] = (p) => ortRun(s, p, cfg.steps);

    const rows: PeerRow[] = [];
    for (const B of cfg.batches) {
      const prompts = Array.from({ length: B }, (_, b) => randomIds(cfg.prompt, vocab, cfg.seed * 7919 + b));
      const runs: Record<string, PeerRun[]> = {};
      for (const [name, run] of Object.entries(engines)) {
        log(`batch ${B}: ${name} warm-up`);
        await run(prompts);
        runs[name] = [];
      }
      for (let r = 0; r < cfg.reps; r++) {
        for (const [name, run] of Object.entries(engines)) {
          const x = await run(prompts);
          runs[name].push(x);
          log(`batch ${B}: ${name} ${round(x.tps)} tokens/s (${round(x.step_ms, 1)} ms/step)`);
        }
      }
      const oursTps = median(runs.ours.map((x) => x.tps));
      const ref = runs.ours[0].tokens.flat();
      for (const [name, xs] of Object.entries(runs)) {
        const tps = median(xs.map((x) => x.tps));
        const toks = xs[0].tokens.flat();
        rows.push({
          batch: B,
          engine: name,
          tps: round(tps, 3),
          step_ms: round(median(xs.map((x) => x.step_ms)), 2),
          samples_tps: xs.map((x) => round(x.tps, 3)),
          ours_over: round(oursTps / tps, 3),
          tokens_match_ours: round(toks.filter((t, i) => t === ref[i]).length / ref.length, 3),
        });
      }
    }
    const { host: host1, busy } = hostLoad(loadStart);
    if (busy) notes.push(busy);
    log('batch  engine      tokens/s   ms/step   ours/engine  tokens = ours');
    for (const r of rows) log(`${String(r.batch).padStart(5)}  ${r.engine.padEnd(9)} ${String(r.tps).padStart(10)} ${String(r.step_ms).padStart(9)} ${String(r.ours_over).padStart(12)}  ${r.tokens_match_ours}`);
    for (const n of notes) log(`note: ${n}`);
    return {
      suite: 'peer',
      adapter: gpu.report,
      adapter_description: where,
      model: {
        ...modelShapes(config, cfg.quick),
        vocab,
        vocab_requested: requested,
        ours_weights_dtype: dtype,
      },
      ort: { version: rt.version, runtime: rt.runtime, ep: 'webgpu', device: 'shared with ours', wasm_tier: rt.wasmTier, init_s: round(rt.initMs / 1000, 1), graphs: ortDtypes },
      method: {
        decode:
          `greedy decode (temperature 0 / the graph's ArgMax) of ${cfg.steps + 2} tokens after B distinct ${cfg.prompt}-token prompts (equal lengths), no eos; ` +
          `tokens/s = B x ${cfg.steps} / wall time from the host having the ids of the first decode step to having those of the last ` +
          `(prefill and first decode step excluded); one untimed warm-up run per engine and batch, then ${cfg.reps} timed run(s) per engine interleaved, median`,
        ours: `generate() of src/model/generate.ts: KV cache, ${dtype} weights with f32 activations; one id readback per step`,
        ort:
          `one ONNX graph of the whole decoder (src/bench/onnx-decoder.ts: Gather embedding, RMSNorm as ${cfg.ortNorm === 'simplified' ? 'SimplifiedLayerNormalization' : 'Mul, ReduceMean, Add, Sqrt, Div, Mul'}, MatMul projections, ` +
          'RoPE from gathered cos/sin, GQA attention by 5-D broadcast MatMuls over Concat(past, new) keys/values, SwiGLU, final norm, Gemm lm_head, ArgMax) ' +
          'on onnxruntime-web WebGPU, graphOptimizationLevel all; present keys/values kept in GPU buffers and fed back as past; per step the ids go up and the argmax ids come back. ' +
          'ort_f32: f32 weights holding the same values as ours (f16-rounded when ours are f16), f32 activations; ort_f16: f16 weights, activations and cache',
        weights: `randomModelWeights(seed ${cfg.seed}) uploaded for ours, read back with readWeights and written into the ONNX graph`,
      },
      config: cfg,
      host: host1,
      notes,
      elapsed_s: round((performance.now() - T0) / 1000, 1),
      results: rows,
    };
  } finally {
    for (const s of Object.values(sessions)) await s.release();
    if (model) {
      model.weights.release();
      model.release();
    }
    gpu.destroy();
  }
}
