// Text <-> token ids for one model: the one codec interface every text sampler, trainer row builder
// and stage uses, and its three makers (the embedded model's character tokenizer, a Hugging Face
// tokenizer with its chat template, and a Hugging Face tokenizer on raw text).

import type { CharTokenizer } from '../io/char-tokenizer';
import type { Tokenizer } from '../io/tokenizer';

/** How texts become ids for one model. */
export interface TextCodec {
  /** Ids the model conditions on: the rendered user prompt, then `prefix` (text the assistant
   *  has already written, e.g. an attempt's first steps). */
  promptIds(prompt: string, prefix?: string): number[];
  /** Ids of a completion; `end` appends the end-of-sequence id (a finished solution). */
  completionIds(text: string, end: boolean): number[];
  /** Text of generated ids (without their end-of-sequence id). */
  decode(ids: readonly number[]): string;
  eosIds: number[];
  /** 'char' (the embedded character-level model), 'hf' (chat template) or 'raw' (a Hugging Face
   *  tokenizer on plain text, no template). */
  kind: 'char' | 'hf' | 'raw';
}

/** The character tokenizer's codec: <|bos|> prompt prefix ... (the pretraining document layout).
 *  Decoding drops special tokens, unless `keepSpecialTokens` (pretraining's own-attempt rounds keep
 *  a sampled <|unk|> as its text, so the documents built from it show it); the eos id is always dropped. */
export function charCodec(tok: CharTokenizer, opts: { keepSpecialTokens?: boolean } = {}): TextCodec {
  const keep = !!opts.keepSpecialTokens;
  return {
    kind: 'char',
    promptIds: (prompt, prefix = '') => [tok.bosId, ...tok.encode(prompt + prefix)],
    completionIds: (text, end) => [...tok.encode(text), ...(end ? [tok.eosId] : [])],
    decode: (ids) => (keep ? tok.decode(ids.filter((t) => t !== tok.eosId)) : tok.decode(ids, { skipSpecialTokens: true })),
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

/** A Hugging Face tokenizer on plain text (documents as pretraining wrote them, no chat template):
 *  prompts get the tokenizer's special tokens (its BOS), decoding keeps special tokens other than
 *  the end-of-sequence id. The model report reads a chains model folder this way. `label` names the
 *  folder in the error. */
export function rawCodec(tok: Tokenizer, label: string): TextCodec {
  const eos = tok.eosIds[0];
  if (eos === undefined) throw new Error(`${label}: the tokenizer has no eos id; give generation_config.json an eos_token_id`);
  const eosIds = [eos];
  return {
    kind: 'raw',
    promptIds: (prompt, prefix = '') => tok.encode(prompt + prefix, { addSpecialTokens: true }),
    completionIds: (text, end) => [...tok.encode(text, { addSpecialTokens: false }), ...(end ? eosIds : [])],
    decode: (ids) => tok.decode(ids.filter((t) => t !== eos), { skipSpecialTokens: false }),
    eosIds,
  };
}
