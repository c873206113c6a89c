// The text-level engine the InT stages drive: a Decoder (optionally with a LoRA adapter) plus its
// TextCodec (src/model/codec.ts), with batched seeded sampling of strings through the one text
// sampler (`generate`) and per-token scoring (`logprobs`). A prompt that leaves the completion
// fewer than minCompletionTokens of the context is refused before any sampling (never truncated).

import type { Gpu } from '../gpu';
import type { TextCodec } from '../model/codec';
import type { Decoder } from '../model/decoder';
import { sampleTexts, type TextRequest, type TextSample } from '../model/sample-texts';
import type { SamplingConfig } from '../model/sampling';
import { hashString } from '../util/random';

/** One thing to continue: a prompt and optionally text the answer already starts with; `id` (a
 *  problem id) names the request in errors. */
export interface GenRequest extends TextRequest {
  id?: string;
}
/** One sampled completion (text without the prefix). */
export type Generation = TextSample;

export interface EngineGenOptions extends SamplingConfig {
  /** Samples per request. */
  n: number;
  /** Seed of this call: same seed, requests and options -> same texts. */
  seed: number;
  /** Strings that end a sample (kept in its text). */
  stop?: string[];
  /** Called after each batch with (requests done, requests total). */
  onProgress?: (done: number, total: number) => void;
}

/** What the stages need of a model. */
export interface Engine {
  readonly codec: TextCodec;
  /** Longest sequence the model takes, in tokens. */
  readonly maxPositions: number;
  /** result[i][j]: sample j of request i. */
  generate(reqs: readonly GenRequest[], opts: EngineGenOptions): Promise<Generation[][]>;
  /** log p of each completion token given prompt (+ prefix). */
  logprobs(req: GenRequest, completion: string): Promise<Float32Array>;
}

export interface DecoderEngineOptions {
  /** Most cache slots (requests x samples) per generate batch. Default 64. */
  maxSlots?: number;
  /** Completion tokens a prompt must leave free in the context (a call asking for fewer new
   *  tokens needs that many). Default MIN_COMPLETION_TOKENS. */
  minCompletionTokens?: number;
}

/** Default DecoderEngineOptions.minCompletionTokens. */
export const MIN_COMPLETION_TOKENS = 16;

/** A prompt too long for the model's context, refused before sampling. */
export class PromptTooLongError extends Error {
  override name = 'PromptTooLongError';
  constructor(
    /** The request's position in its call, and its id when given. */
    readonly index: number,
    readonly id: string | undefined,
    readonly tokens: number,
    readonly maxPositions: number,
    readonly minCompletion: number,
    prompt: string,
  ) {
    const start = prompt.length > 60 ? `${JSON.stringify(prompt.slice(0, 60))}...` : JSON.stringify(prompt);
    super(
      `${id !== undefined ? `problem ${id}: its` : `request ${index}:`} prompt (${start}) has ${tokens} tokens and leaves ` +
        `${Math.max(0, maxPositions - tokens)} of the model's ${maxPositions} positions (max_position_embeddings), fewer than ` +
        `the ${minCompletion} completion tokens it needs; it is refused rather than cut. Shorten the prompt, use a model with ` +
        `a longer context, or drop the row`,
    );
  }
}

/** An Engine over a Decoder; whatever adapter is attached to the decoder is used. */
export class DecoderEngine implements Engine {
  readonly maxPositions: number;
  readonly maxSlots: number;
  readonly minCompletionTokens: number;
  constructor(
    readonly gpu: Gpu,
    readonly model: Decoder,
    readonly codec: TextCodec,
    opts: DecoderEngineOptions = {},
  ) {
    this.maxPositions = model.config.maxPositions;
    this.maxSlots = opts.maxSlots ?? 64;
    this.minCompletionTokens = opts.minCompletionTokens ?? MIN_COMPLETION_TOKENS;
  }

  async generate(reqs: readonly GenRequest[], opts: EngineGenOptions): Promise<Generation[][]> {
    if (reqs.length === 0) return [];
    const n = opts.n;
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`Engine.generate: n must be an integer >= 1, got ${n}`);
    const need = Math.max(1, Math.min(this.minCompletionTokens, opts.maxNewTokens));
    reqs.forEach((r, i) => {
      const tokens = this.codec.promptIds(r.prompt, r.prefix).length;
      if (tokens + need > this.maxPositions) throw new PromptTooLongError(i, r.id, tokens, this.maxPositions, need, r.prompt);
    });
    return sampleTexts(this.model, this.codec, reqs, {
      groupSize: n,
      maxNewTokens: opts.maxNewTokens,
      sampling: { temperature: opts.temperature, topP: opts.topP, topK: opts.topK },
      batchPrompts: Math.max(1, Math.floor(this.maxSlots / n)),
      seedOf: (batch) => (hashString(`${opts.seed}:${batch}`) >>> 0) % 2147483647,
      overflow: 'error',
      stop: opts.stop,
      onProgress: opts.onProgress,
    });
  }

  async logprobs(req: GenRequest, completion: string): Promise<Float32Array> {
    const p = this.codec.promptIds(req.prompt, req.prefix);
    const c = this.codec.completionIds(completion, false);
    const all = [...p, ...c];
    const T = all.length - 1;
    const { logp } = await this.model.logprobs({ B: 1, T, ids: all.slice(0, T), targets: all.slice(1), lengths: [T] });
    return logp.slice(p.length - 1, p.length - 1 + c.length);
  }
}
