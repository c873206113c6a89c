// Tokenizer and chat template of a model, built by @huggingface/transformers from the
// tokenizer.json / tokenizer_config.json objects read through a ModelSource (never the network).

import { ModelFileNotFoundError, type ModelSource } from './folder';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | (string & {});
  content: string;
}

export interface ChatTemplateOptions {
  /** Append the assistant turn header so the model continues as the assistant. Default true. */
  addGenerationPrompt?: boolean;
  /** Qwen3 hybrid templates: false inserts an empty think block. Omitted: the template's default. */
  enableThinking?: boolean;
  /** Extra template variables. */
  extra?: Record<string, unknown>;
}

export interface Tokenizer {
  /**
   * Token ids of `text`. Special tokens (BOS) are NOT added by default, because chat templates
   * already write them; pass addSpecialTokens for raw text that needs them.
   */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** Render a conversation with the model's chat template (text, not ids). */
  applyChatTemplate(messages: readonly ChatMessage[], opts?: ChatTemplateOptions): string;
  /** Ids that end generation: generation_config / config eos ids plus the tokenizer's eos token. */
  eosIds: number[];
  bosId?: number;
  padId?: number;
  /** Tokens the tokenizer knows (model vocab + added tokens). The embedding may have more rows. */
  vocabSize: number;
  /** Ids of special / control tokens. */
  specialIds: number[];
  hasChatTemplate: boolean;
}

interface HfTokenizerLike {
  encode(text: string, opts?: { add_special_tokens?: boolean }): number[];
  decode(ids: number[], opts?: { skip_special_tokens?: boolean }): string;
  apply_chat_template(conversation: unknown[], opts: Record<string, unknown>): unknown;
  get_vocab(): Map<string, number> | Record<string, number>;
  eos_token_id?: number;
  bos_token_id?: number;
  pad_token_id?: number;
  all_special_ids: number[];
  chat_template: unknown;
}

function idList(v: unknown): number[] {
  if (typeof v === 'number' && Number.isInteger(v)) return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number' && Number.isInteger(x));
  return [];
}

async function optionalJson(source: ModelSource, file: string): Promise<Record<string, unknown> | undefined> {
  try {
    return await source.json<Record<string, unknown>>(file, { optional: true });
  } catch (e) {
    if (e instanceof ModelFileNotFoundError) return undefined;
    throw e;
  }
}

/** Build a Tokenizer from already-parsed JSON objects. */
export async function tokenizerFromJson(
  tokenizerJson: unknown,
  tokenizerConfig: Record<string, unknown>,
  ids: { eosIds?: number[]; bosId?: number } = {},
): Promise<Tokenizer> {
  const { PreTrainedTokenizer } = await import('@huggingface/transformers');
  const tok = new PreTrainedTokenizer(tokenizerJson as object, tokenizerConfig) as unknown as HfTokenizerLike;
  const vocab = tok.get_vocab();
  const vocabSize = vocab instanceof Map ? vocab.size : Object.keys(vocab).length;
  const eosIds = [...new Set([...(ids.eosIds ?? []), ...idList(tok.eos_token_id)])];
  const bosId = ids.bosId ?? (typeof tok.bos_token_id === 'number' ? tok.bos_token_id : undefined);
  const padId = typeof tok.pad_token_id === 'number' ? tok.pad_token_id : undefined;
  return {
    encode(text, opts = {}) {
      return Array.from(tok.encode(text, { add_special_tokens: opts.addSpecialTokens ?? false }));
    },
    decode(idsIn, opts = {}) {
      if (idsIn.length === 0) return '';
      return tok.decode([...idsIn], { skip_special_tokens: opts.skipSpecialTokens ?? false });
    },
    applyChatTemplate(messages, opts = {}) {
      if (!tok.chat_template) {
        throw new Error('this tokenizer has no chat_template (tokenizer_config.json); use an instruct model or supply a template.');
      }
      const vars: Record<string, unknown> = { ...opts.extra };
      if (opts.enableThinking !== undefined) vars.enable_thinking = opts.enableThinking;
      const out = tok.apply_chat_template(
        messages.map((m) => ({ ...m })),
        { tokenize: false, add_generation_prompt: opts.addGenerationPrompt ?? true, ...vars },
      );
      return out as string;
    },
    eosIds,
    ...(bosId !== undefined ? { bosId } : {}),
    ...(padId !== undefined ? { padId } : {}),
    vocabSize,
    specialIds: [...tok.all_special_ids],
    hasChatTemplate: !!tok.chat_template,
  };
}

/**
 * Load the tokenizer of a model: tokenizer.json + tokenizer_config.json (required), and the eos/bos
 * ids of generation_config.json and config.json when present.
 */
export async function loadTokenizer(source: ModelSource): Promise<Tokenizer> {
  let tokenizerJson: unknown;
  try {
    tokenizerJson = await source.json('tokenizer.json');
  } catch (e) {
    if (e instanceof ModelFileNotFoundError) {
      throw new Error(`${source.label} has no tokenizer.json (the fast-tokenizer file); only models that ship one are supported.`);
    }
    throw e;
  }
  const tokenizerConfig = (await optionalJson(source, 'tokenizer_config.json')) ?? {};
  const gen = await optionalJson(source, 'generation_config.json');
  const cfg = await optionalJson(source, 'config.json');
  const eosIds = [...new Set([...idList(gen?.eos_token_id), ...idList(cfg?.eos_token_id)])];
  const bos = idList(gen?.bos_token_id ?? cfg?.bos_token_id)[0];
  // Only trust config bos when the tokenizer itself adds one (Qwen configs name a bos it never uses).
  const usesBos = tokenizerConfig.add_bos_token === true || tokenizerConfig.bos_token != null;
  return tokenizerFromJson(tokenizerJson, tokenizerConfig, { eosIds, bosId: usesBos ? bos : undefined });
}
