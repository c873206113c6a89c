// The one text sampler: completions of prompt texts through generate() (KV cache, GPU sampling),
// in batches of prompts, decoded by the model's TextCodec. The InT engine, the model report and
// pretraining's own-attempt rounds all sample through it; what differs between them (batch order,
// the seed of each batch, what to do with a prompt longer than the context) is an option.

import type { TextCodec } from './codec';
import type { Decoder } from './decoder';
import { generate, type FinishReason } from './generate';
import type { Sampling } from './sampling';

/** One thing to continue: a prompt and optionally text the answer already starts with. */
export interface TextRequest {
  prompt: string;
  prefix?: string;
}

/** One sampled completion. */
export interface TextSample {
  /** Decoded text (the prefix and the end-of-sequence id not included). */
  text: string;
  finish: FinishReason;
  /** Generated tokens, an ending eos id included. */
  tokens: number;
}

export interface SampleTextsOptions {
  /** Samples per prompt (they share one prefill). */
  groupSize: number;
  /** Most new tokens per sample (less where the prompt leaves less of the context). */
  maxNewTokens: number;
  sampling: Sampling;
  /** Prompts per generate call. */
  batchPrompts: number;
  /** Seed of the generate call of batch `batch` whose first prompt is number `first` in batch
   *  order: same seeds, prompts and options -> same texts. */
  seedOf: (batch: number, first: number) => number;
  /** 'given' keeps the prompts' order; 'by-length' batches prompts of similar length together (a
   *  batch decodes until its longest sample ends). Default 'given'. */
  order?: 'given' | 'by-length';
  /** A prompt that leaves no room in the context: 'error' (default) refuses it, naming the context;
   *  'keep-end' keeps its last maxPositions - 1 tokens. */
  overflow?: 'error' | 'keep-end';
  /** Strings that end a sample (kept in its text). */
  stop?: string[];
  /** Called after each batch with (prompts done, prompts total). */
  onProgress?: (done: number, total: number) => void;
}

/** Sample `groupSize` completions of each request: out[request][sample]. A sample that reached
 *  maxNewTokens without an eos is returned as far as it got (finish 'length'). */
export async function sampleTexts(model: Decoder, codec: TextCodec, reqs: readonly (TextRequest | string)[], o: SampleTextsOptions): Promise<TextSample[][]> {
  const out: TextSample[][] = new Array(reqs.length);
  if (!Number.isSafeInteger(o.groupSize) || o.groupSize < 1) throw new Error(`sampleTexts: groupSize must be an integer >= 1, got ${o.groupSize}`);
  const ctx = model.config.maxPositions;
  const ids = reqs.map((r) => (typeof r === 'string' ? codec.promptIds(r) : codec.promptIds(r.prompt, r.prefix)));
  const order = ids.map((p, i) => ({ i, len: p.length }));
  // by length: the stable sort of the rendered prompts' lengths (ties keep the given order)
  if (o.order === 'by-length') order.sort((a, b) => a.len - b.len || a.i - b.i);
  for (let b = 0, batch = 0; b < order.length; b += o.batchPrompts, batch++) {
    const part = order.slice(b, b + o.batchPrompts);
    const prompts = part.map((x) => {
      const p = ids[x.i];
      if (p.length < ctx) return p;
      if (o.overflow === 'keep-end') return p.slice(p.length - ctx + 1);
      throw new Error(`sampleTexts: prompt ${x.i} has ${p.length} tokens and fills the model's context of ${ctx} tokens; shorten it`);
    });
    const maxNew = Math.min(o.maxNewTokens, ctx - Math.max(...prompts.map((p) => p.length)));
    const samples = await generate(model, prompts, {
      groupSize: o.groupSize,
      maxNewTokens: maxNew,
      ...o.sampling,
      seed: o.seedOf(batch, b),
      eosIds: codec.eosIds,
      ...(o.stop?.length ? { stop: o.stop, decode: (t: number[]) => codec.decode(t) } : {}),
    });
    part.forEach((x, k) => {
      out[x.i] = samples.slice(k * o.groupSize, (k + 1) * o.groupSize).map((s) => ({ text: codec.decode(s.tokens), finish: s.finishReason, tokens: s.tokens.length }));
    });
    o.onProgress?.(Math.min(reqs.length, b + o.batchPrompts), reqs.length);
  }
  return out;
}

/** The texts alone: out[request][sample]. */
export async function sampleTextsOnly(model: Decoder, codec: TextCodec, reqs: readonly (TextRequest | string)[], o: SampleTextsOptions): Promise<string[][]> {
  return (await sampleTexts(model, codec, reqs, o)).map((g) => g.map((s) => s.text));
}

/** The seed schedule of the model report and pretraining's own-attempt rounds: the batch starting
 *  at prompt `first` (in length order) samples with seed + 7919 x first. */
export function strideSeeds(seed: number): SampleTextsOptions['seedOf'] {
  return (_batch, first) => (seed + first * 7919) >>> 0;
}
