// The text-level engine the InT stages drive: a Decoder (optionally with a LoRA adapter) plus its
// TextCodec (src/model/codec.ts), with batched seeded sampling of strings through the one text
// sampler (`generate`) and per-token scoring (`logprobs`).

import type { Gpu } from '../gpu';
import type { TextCodec } from '../model/codec';
import type { Decoder } from '../model/decoder';
import { sampleTexts, type TextRequest, type TextSample } from '../model/sample-texts';
import type { SamplingConfig } from '../model/sampling';
import { hashString } from '../util/random';

/** One thing to continue: a prompt and optionally text the answer already starts with. */
export type GenRequest = TextRequest;
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
}

/** An Engine over a Decoder; whatever adapter is attached to the decoder is used. */
export class DecoderEngine implements Engine {
  readonly maxPositions: number;
  readonly maxSlots: number;
  constructor(
    readonly gpu: Gpu,
    readonly model: Decoder,
    readonly codec: TextCodec,
    opts: DecoderEngineOptions = {},
  ) {
    this.maxPositions = model.config.maxPositions;
    this.maxSlots = opts.maxSlots ?? 64;
  }

  async generate(reqs: readonly GenRequest[], opts: EngineGenOptions): Promise<Generation[][]> {
    if (reqs.length === 0) return [];
    const n = opts.n;
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`Engine.generate: n must be an integer >= 1, got ${n}`);
    return sampleTexts(this.model, this.codec, reqs, {
      groupSize: n,
      maxNewTokens: opts.maxNewTokens,
      sampling: { temperature: opts.temperature, topP: opts.topP, topK: opts.topK },
      batchPrompts: Math.max(1, Math.floor(this.maxSlots / n)),
      seedOf: (batch) => (hashString(`${opts.seed}:${batch}`) >>> 0) % 2147483647,
      overflow: 'keep-end',
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
