// The text-level engine the InT stages drive: a Decoder (optionally with a LoRA adapter) plus a
// TextCodec, with batched seeded sampling of strings (`generate`) and per-token scoring
// (`logprobs`). Also the codecs (character tokenizer, Hugging Face tokenizer + chat template).

import type { Gpu } from '../gpu';
import type { CharTokenizer } from '../io/char-tokenizer';
import type { Tokenizer } from '../io/tokenizer';
import type { Decoder } from '../model/decoder';
import { generate, type FinishReason } from '../model/generate';
import { hashString } from '../util/random';

/** How texts become ids for one model. */
export interface TextCodec {
  /** Ids the model conditions on: the rendered user prompt, then `prefix` (text the assistant
   *  has already written, e.g. an attempt's first steps). */
  promptIds(prompt: string, prefix?: string): number[];
  /** Ids of a completion; `end` appends the end-of-sequence id (a finished solution). */
  completionIds(text: string, end: boolean): number[];
  /** Text of generated ids (special tokens dropped). */
  decode(ids: readonly number[]): string;
  eosIds: number[];
  /** 'char' (the embedded character-level model) or 'hf'. */
  kind: 'char' | 'hf';
}

/** The character tokenizer's codec: <|bos|> prompt prefix ... (the pretraining document layout). */
export function charCodec(tok: CharTokenizer): TextCodec {
  return {
    kind: 'char',
    promptIds: (prompt, prefix = '') => [tok.bosId, ...tok.encode(prompt + prefix)],
    completionIds: (text, end) => [...tok.encode(text), ...(end ? [tok.eosId] : [])],
    decode: (ids) => tok.decode(ids, { skipSpecialTokens: true }),
    eosIds: [tok.eosId],
  };
}

/** A Hugging Face tokenizer's codec: the chat template with one user turn and the generation
 *  prompt, then the prefix as raw assistant text. */
export function hfCodec(tok: Tokenizer): TextCodec {
  if (!tok.hasChatTemplate) throw new Error('hfCodec: the tokenizer has no chat template; InT prompts need a chat (instruct) model');
  if (tok.eosIds.length === 0) throw new Error('hfCodec: the tokenizer names no end-of-sequence id; add eos_token_id to generation_config.json');
  return {
    kind: 'hf',
    promptIds: (prompt, prefix = '') => tok.encode(tok.applyChatTemplate([{ role: 'user', content: prompt }]) + prefix),
    completionIds: (text, end) => [...tok.encode(text), ...(end ? [tok.eosIds[0]] : [])],
    decode: (ids) => tok.decode([...ids], { skipSpecialTokens: true }),
    eosIds: [...tok.eosIds],
  };
}

/** One thing to continue: a prompt and optionally text the answer already starts with. */
export interface GenRequest {
  prompt: string;
  prefix?: string;
}

export interface EngineGenOptions {
  /** Samples per request. */
  n: number;
  temperature: number;
  topP: number;
  topK: number;
  maxNewTokens: number;
  /** Seed of this call: same seed, requests and options -> same texts. */
  seed: number;
  /** Strings that end a sample (kept in its text). */
  stop?: string[];
  /** Called after each batch with (requests done, requests total). */
  onProgress?: (done: number, total: number) => void;
}

export interface Generation {
  /** Generated text (the prefix not included). */
  text: string;
  finish: FinishReason;
  tokens: number;
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
    const out: Generation[][] = [];
    if (reqs.length === 0) return out;
    const n = opts.n;
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`Engine.generate: n must be an integer >= 1, got ${n}`);
    const perBatch = Math.max(1, Math.floor(this.maxSlots / n));
    const ids = reqs.map((r) => this.codec.promptIds(r.prompt, r.prefix));
    for (let b = 0, batch = 0; b < reqs.length; b += perBatch, batch++) {
      const chunk = ids.slice(b, b + perBatch).map((p) => (p.length >= this.maxPositions ? p.slice(p.length - this.maxPositions + 1) : p));
      const longest = Math.max(...chunk.map((p) => p.length));
      const maxNew = Math.max(1, Math.min(opts.maxNewTokens, this.maxPositions - longest));
      const gen = await generate(this.model, chunk, {
        groupSize: n,
        maxNewTokens: maxNew,
        temperature: opts.temperature,
        topP: opts.topP,
        topK: opts.topK,
        seed: (hashString(`${opts.seed}:${batch}`) >>> 0) % 2147483647,
        eosIds: this.codec.eosIds,
        ...(opts.stop?.length ? { stop: opts.stop, decode: (t: number[]) => this.codec.decode(t) } : {}),
      });
      for (let p = 0; p < chunk.length; p++) {
        out.push(
          gen.slice(p * n, (p + 1) * n).map((s) => ({ text: this.codec.decode(s.tokens), finish: s.finishReason, tokens: s.tokens.length })),
        );
      }
      opts.onProgress?.(Math.min(reqs.length, b + perBatch), reqs.length);
    }
    return out;
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
