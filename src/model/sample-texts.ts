// Text in, text out: sample completions of prompt texts in batches of similar length through
// generate() (KV cache, GPU sampling). Used by the model report and by pretraining, which samples
// the model's own attempts to build verify documents from them.

import type { Decoder } from './decoder';
import { generate, type GeneratedSample } from './generate';

/** Text <-> ids of the model. `encode` must add <|bos|> (the documents start with it). */
export interface SampleCodec {
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  eosId: number;
}

/** Sampling settings of one kind of output. */
export interface Sampling {
  temperature: number;
  topP: number;
  topK: number;
}

export interface SampleTextsOptions {
  /** Samples per prompt. */
  groupSize: number;
  /** Most new tokens per sample (less where the prompt leaves less of the context). */
  maxNewTokens: number;
  sampling: Sampling;
  seed: number;
  /** Prompts per generate call. */
  batchPrompts: number;
  /** Strings that end a sample. */
  stop?: string[];
}

/** Sample `groupSize` completions for each prompt text, in batches; returns the decoded texts (no
 *  eos), out[prompt][sample]. A sample that reached maxNewTokens without an eos is returned as far
 *  as it got. */
export async function sampleTexts(model: Decoder, codec: SampleCodec, prompts: readonly string[], o: SampleTextsOptions): Promise<string[][]> {
  const out: string[][] = new Array(prompts.length);
  // Similar lengths together: a batch decodes until its longest sample ends.
  const order = prompts.map((p, i) => ({ i, len: p.length })).sort((a, b) => a.len - b.len || a.i - b.i);
  for (let b = 0; b < order.length; b += o.batchPrompts) {
    const part = order.slice(b, b + o.batchPrompts);
    const maxNew = Math.min(o.maxNewTokens, model.config.maxPositions - Math.max(...part.map((x) => codec.encode(prompts[x.i]).length)));
    if (maxNew < 1) throw new Error(`sampleTexts: a prompt fills the model's context of ${model.config.maxPositions} tokens; shorten it`);
    const samples: GeneratedSample[] = await generate(
      model,
      part.map((x) => codec.encode(prompts[x.i])),
      {
        groupSize: o.groupSize,
        maxNewTokens: maxNew,
        ...o.sampling,
        seed: (o.seed + b * 7919) >>> 0,
        eosIds: [codec.eosId],
        ...(o.stop?.length ? { stop: o.stop, decode: (ids: number[]) => codec.decode(ids) } : {}),
      },
    );
    part.forEach((x, k) => {
      out[x.i] = samples
        .slice(k * o.groupSize, (k + 1) * o.groupSize)
        .map((s) => codec.decode(s.tokens.filter((t) => t !== codec.eosId)));
    });
  }
  return out;
}
