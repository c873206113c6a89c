// Memory planner: GPU bytes for inference with a KV cache and for one LoRA training step, derived
// from the parameter table, with a printable breakdown. Estimates of what the engine allocates,
// not measurements; precision follows the design (frozen weights f16|f32, everything else f32). The
// embedding and lm_head are row blocks under the binding limit: their largest single buffer is one block.

import { rowBlockRows } from '../gpu';
import type { ModelConfig } from './config';
import { buildParamTable, countParams, loraParamCount, type LinearModule, type ParamTable } from './params';
import { isRowBlocked } from './weights';

export type WeightDtype = 'f16' | 'f32';

/** How attention keeps its probabilities: a full (B, H, T, S) matrix, or only a per-row logsumexp (fused/online softmax). */
export type AttentionMode = 'materialized' | 'flash';

export interface MemoryItem {
  name: string;
  bytes: number;
  /** Largest single GPU buffer inside this item (to check against maxStorageBufferBindingSize). */
  largestBuffer: number;
  detail: string;
}

export interface MemoryPlan {
  title: string;
  items: MemoryItem[];
  totalBytes: number;
  largestBuffer: { name: string; bytes: number };
}

export interface InferencePlanOptions {
  /** Sequences decoded together. */
  batch: number;
  /** Prompt + generated tokens per sequence (KV cache length). */
  context: number;
  /** Frozen weight storage: 'f16' when the adapter has shader-f16, else 'f32'. */
  weights: WeightDtype;
  /** KV cache element type. Default 'f32' (activations are f32). */
  kvCache?: WeightDtype;
  /** Prompt tokens per sequence processed in one prefill pass. Default min(context, 512). */
  prefillChunk?: number;
  /** Default 'materialized'. */
  attention?: AttentionMode;
  /** The adapter's maxStorageBufferBindingSize: the embedding and lm_head split into row blocks under it. Default 128 MiB. */
  maxBinding?: number;
}

export interface TrainingPlanOptions {
  /** Tokens per sequence. */
  seqLen: number;
  /** Sequences per micro-batch. Default 1. */
  microBatch?: number;
  /** LoRA rank r. */
  rank: number;
  /** Frozen weight storage: 'f16' when the adapter has shader-f16, else 'f32'. */
  weights: WeightDtype;
  /** Keep only each layer's input and recompute the layer in backward. Default true. */
  recompute?: boolean;
  /** Tokens per logits chunk: the (chunk, vocab) f32 logits buffer and its gradient are reused chunk
   *  by chunk. Default the decoder's: logitsChunkRows(vocab, tokens). */
  logitsChunk?: number;
  /** Default 'materialized'. */
  attention?: AttentionMode;
  /** LoRA targets. Default all linear modules. */
  loraModules?: readonly LinearModule[];
  /** The adapter's maxStorageBufferBindingSize: the embedding and lm_head split into row blocks under it, and
   *  logits chunks fit it. Default 128 MiB. */
  maxBinding?: number;
}

/** WebGPU's default maxStorageBufferBindingSize, the planner's default limit. */
const DEFAULT_BINDING = 128 * 1024 * 1024;

const F32 = 4;

/** Default cap on one logits chunk in the decoder (rows x vocab x 4 bytes). */
export const LOGITS_CHUNK_BYTES = 64 * 1024 * 1024;

/** Default cap on the logits a training forward keeps for its backward (scored rows x vocab x 4 bytes): at or
 *  under it the backward reuses them instead of recomputing the lm_head product chunk by chunk. */
export const KEEP_LOGITS_BYTES = 256 * 1024 * 1024;

/** Bytes of logits a training forward over `rows` scored rows keeps for its backward under `capBytes`: all of
 *  them (rows x vocab x 4) when they fit, else 0 (the backward recomputes them chunk by chunk). */
export function keptLogitsBytes(rows: number, vocab: number, capBytes = KEEP_LOGITS_BYTES): number {
  const bytes = rows * vocab * F32;
  return bytes <= capBytes ? bytes : 0;
}

/** Rows per logits chunk, the decoder's rule: as many f32 vocab rows as fit in the smaller of
 *  `capBytes` and the binding limit, at least 1 and at most N. */
export function logitsChunkRows(vocab: number, N: number, capBytes = LOGITS_CHUNK_BYTES, maxBinding = DEFAULT_BINDING): number {
  return Math.max(1, Math.min(N, Math.floor(Math.min(maxBinding, capBytes) / (F32 * vocab))));
}

const bytesOf = (d: WeightDtype) => (d === 'f16' ? 2 : 4);

function item(name: string, bytes: number, largestBuffer: number, detail: string): MemoryItem {
  return { name, bytes, largestBuffer, detail };
}

function finish(title: string, items: MemoryItem[]): MemoryPlan {
  let largest = { name: '', bytes: 0 };
  for (const it of items) if (it.largestBuffer > largest.bytes) largest = { name: it.name, bytes: it.largestBuffer };
  return { title, items, totalBytes: items.reduce((a, b) => a + b.bytes, 0), largestBuffer: largest };
}

function weightsItem(table: ParamTable, dtype: WeightDtype, maxBinding: number): MemoryItem {
  const counts = countParams(table);
  const wb = bytesOf(dtype);
  let largest = 0;
  let blocks = '';
  for (const e of table.entries) {
    // The embedding and lm_head are RowBlocks (src/gpu/rowblocks.ts): one buffer per block of whole rows.
    const blocked = isRowBlocked(e);
    const rows = blocked ? rowBlockRows(e.shape[0], e.shape[1], maxBinding, e.name) : 0;
    largest = Math.max(largest, blocked ? rows * e.shape[1] * wb : e.numel * wb);
    if (blocked && rows < e.shape[0] && !blocks) blocks = `, ${e.shape[0]}-row vocabulary in ${Math.ceil(e.shape[0] / rows)} row blocks of ${rows}`;
  }
  const tied = table.config.tieEmbeddings ? ', tied lm_head' : '';
  return item('frozen weights', counts.total * wb, largest, `${fmtCount(counts.total)} params x ${wb} B (${dtype}${tied}${blocks})`);
}

/**
 * Floats one decoder layer keeps per token for its backward pass (f32), split by part.
 * `keys`: attention keys per query (the sequence length).
 */
function layerFloatsPerToken(c: ModelConfig, keys: number, attention: AttentionMode, loraRankSum: number) {
  const C = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const parts = {
    residual: 2 * C, // layer input, residual after attention
    norms: 2 * C + 2, // normalized inputs of attention and MLP + their 1/rms
    qkv: q + 2 * kv, // q, k, v after RoPE
    qkNorm: c.qkNorm ? q + kv + c.numHeads + c.numKvHeads : 0, // pre-norm q, k + per-head 1/rms
    attention: attention === 'materialized' ? c.numHeads * keys : c.numHeads, // probabilities or logsumexp
    attnOut: q,
    mlp: 3 * c.intermediateSize, // gate, up, silu(gate) * up
    lora: loraRankSum, // x A for every adapted module
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  return { parts, total };
}

/** Bytes for generation with a KV cache: weights, cache, one layer's workspace, last-position logits. */
export function planInference(config: ModelConfig, opts: InferencePlanOptions): MemoryPlan {
  const { batch, context, weights } = opts;
  const kvDtype = opts.kvCache ?? 'f32';
  const prefill = Math.min(opts.prefillChunk ?? 512, context);
  const attention = opts.attention ?? 'materialized';
  const table = buildParamTable(config);
  const c = config;
  const kvDim = c.numKvHeads * c.headDim;
  const perLayerKv = batch * context * kvDim * bytesOf(kvDtype); // one of K or V for one layer
  const tokens = batch * prefill;
  const ws = layerFloatsPerToken(c, context, attention, 0);
  const wsBytes = tokens * (ws.total - ws.parts.lora) * F32;
  const attnBuf = attention === 'materialized' ? tokens * c.numHeads * context * F32 : tokens * c.numHeads * F32;
  const logits = batch * c.vocabSize * F32;
  const items = [
    weightsItem(table, weights, opts.maxBinding ?? DEFAULT_BINDING),
    item(
      'KV cache',
      2 * c.numLayers * perLayerKv,
      perLayerKv,
      `2 x ${c.numLayers} layers x ${batch} seq x ${context} pos x ${kvDim} x ${bytesOf(kvDtype)} B (${kvDtype})`,
    ),
    item('layer workspace', wsBytes, attnBuf, `one layer's activations for a ${batch} x ${prefill} prefill chunk (reused by every layer)`),
    item('logits', logits + batch * F32 * 2, logits, `${batch} x ${c.vocabSize} f32 (last position only) + sampling state`),
    item('rope tables', 2 * context * (c.headDim / 2) * F32, context * (c.headDim / 2) * F32, `cos/sin ${context} x ${c.headDim / 2}`),
  ];
  return finish(`inference ${c.architecture}: batch ${batch}, context ${context}, weights ${weights}, KV ${kvDtype}`, items);
}

/** Bytes for one LoRA training step (forward, backward, AdamW update). */
export function planTraining(config: ModelConfig, opts: TrainingPlanOptions): MemoryPlan {
  const c = config;
  const B = opts.microBatch ?? 1;
  const T = opts.seqLen;
  const N = B * T;
  const recompute = opts.recompute ?? true;
  const maxBinding = opts.maxBinding ?? DEFAULT_BINDING;
  const chunk = Math.min(opts.logitsChunk ?? logitsChunkRows(config.vocabSize, N, LOGITS_CHUNK_BYTES, maxBinding), N);
  const attention = opts.attention ?? 'materialized';
  const table = buildParamTable(config, { loraModules: opts.loraModules });
  const loraN = loraParamCount(table, opts.rank);
  const loraRankSum = opts.rank * table.loraModules.length;
  const C = c.hiddenSize;

  const layer = layerFloatsPerToken(c, T, attention, loraRankSum);
  const layerBytes = N * layer.total * F32;
  const attnBuf = attention === 'materialized' ? N * c.numHeads * T * F32 : N * c.numHeads * F32;
  const largestLayerBuf = Math.max(attnBuf, N * c.intermediateSize * F32);

  const items: MemoryItem[] = [weightsItem(table, opts.weights, maxBinding)];
  const maxLoraBuf = Math.max(...table.entries.filter((e) => e.loraTarget).map((e) => opts.rank * Math.max(e.shape[0], e.shape[1]) * F32), 0);
  items.push(item('LoRA params', loraN * F32, maxLoraBuf, `${fmtCount(loraN)} params (r=${opts.rank}, ${table.loraModules.length} modules/layer) f32`));
  items.push(item('LoRA grads', loraN * F32, maxLoraBuf, 'f32, same shapes'));
  items.push(item('AdamW m, v', 2 * loraN * F32, maxLoraBuf, 'f32, two moments'));
  if (recompute) {
    items.push(item('layer checkpoints', c.numLayers * N * C * F32, N * C * F32, `${c.numLayers} layer inputs x ${B} x ${T} x ${C} f32`));
    items.push(item('recomputed layer', layerBytes, largestLayerBuf, `one layer's saved activations (${fmtParts(layer.parts, N)})`));
  } else {
    items.push(
      item('saved activations', c.numLayers * layerBytes, largestLayerBuf, `${c.numLayers} layers x (${fmtParts(layer.parts, N)})`),
    );
  }
  items.push(item('backward workspace', layerBytes + N * C * F32, largestLayerBuf, "gradients of one layer's intermediates + residual dX"));
  const logitsBuf = chunk * c.vocabSize * F32;
  // logits kept from the forward for the backward (the decoder's default cap): every chunk instead of one
  const keptBytes = keptLogitsBytes(N, c.vocabSize);
  items.push(
    item(
      'head + logits',
      N * (2 * C + 1) * F32 + (keptBytes ? keptBytes + logitsBuf : 2 * logitsBuf) + N * 5 * F32,
      logitsBuf,
      `final norm in/out, ${keptBytes ? `all ${N} x ${c.vocabSize} f32 logits (kept for the backward) and a chunk's gradient` : `${chunk} x ${c.vocabSize} f32 logits chunk and its gradient`}, per-token logp/entropy/ids/targets/weights`,
    ),
  );
  const title =
    `LoRA step ${c.architecture}: ${B} x ${T} tokens, r=${opts.rank}, weights ${opts.weights}, ` +
    `recompute ${recompute ? 'on' : 'off'}, attention ${attention}`;
  return finish(title, items);
}

function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

function fmtParts(parts: Record<string, number>, tokens: number): string {
  return Object.entries(parts)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${fmtBytes(v * tokens * F32)}`)
    .join(', ');
}

export function fmtBytes(b: number): string {
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(2)} GiB`;
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(1)} MiB`;
  if (b >= 2 ** 10) return `${(b / 2 ** 10).toFixed(1)} KiB`;
  return `${b} B`;
}

/** Printable breakdown: one line per item, then the total and the largest single buffer. */
export function formatMemoryPlan(plan: MemoryPlan): string {
  const w = Math.max(...plan.items.map((i) => i.name.length), 5);
  const lines = [plan.title];
  for (const it of plan.items) lines.push(`  ${it.name.padEnd(w)}  ${fmtBytes(it.bytes).padStart(11)}  ${it.detail}`);
  lines.push(`  ${'total'.padEnd(w)}  ${fmtBytes(plan.totalBytes).padStart(11)}  (${(plan.totalBytes / 1e9).toFixed(2)} GB)`);
  lines.push(`  largest single buffer: ${fmtBytes(plan.largestBuffer.bytes)} (${plan.largestBuffer.name})`);
  return lines.join('\n');
}
