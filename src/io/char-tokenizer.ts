// Character-level tokenizer of the embedded chains model: one id per COMPACT_ALPHABET character
// plus four special tokens. A fast pure-TS encoder/decoder for training loops, and the identical
// Hugging Face tokenizer.json / tokenizer_config.json that @huggingface/transformers loads.

/** Every character a compact-style chains text can contain (prompts, solutions, verification
 *  logs, intervention blocks), sorted by code point: the embedded model's vocabulary. The chains
 *  world (src/tasks/chains/render.ts) writes only these; "?" stands in for any foreign character
 *  of an untrusted attempt. */
export const COMPACT_ALPHABET = '\n "%*+,-/0123456789:<=>?abcdefghijklmnopqrstuvwxyz{}';

/** Special tokens, ids 0..3. Each contains "|", which is not in COMPACT_ALPHABET, so no compact
 *  text (whose "<" ">" are ordinary characters, as in "<intervention>") can ever spell one. */
export const CHAR_SPECIAL_TOKENS = Object.freeze({
  pad: '<|pad|>',
  bos: '<|bos|>',
  eos: '<|eos|>',
  unk: '<|unk|>',
});
export const CHAR_PAD_ID = 0;
export const CHAR_BOS_ID = 1;
export const CHAR_EOS_ID = 2;
export const CHAR_UNK_ID = 3;
/** Id of the first alphabet character; character i of the alphabet has id CHAR_FIRST_ID + i. */
export const CHAR_FIRST_ID = 4;

const SPECIALS: readonly string[] = [
  CHAR_SPECIAL_TOKENS.pad,
  CHAR_SPECIAL_TOKENS.bos,
  CHAR_SPECIAL_TOKENS.eos,
  CHAR_SPECIAL_TOKENS.unk,
];

/** Chat template of the tokenizer: no role markers, just `<|bos|>`, the messages' texts in
 *  order, and `<|eos|>` after each assistant message. [user: prompt, assistant: completion]
 *  renders exactly like a packed pretraining document (see pretrain-data.ts). */
export const CHAR_CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{{ message['content'] }}" +
  "{% if message['role'] == 'assistant' %}{{ eos_token }}{% endif %}{% endfor %}";

export interface CharEncodeOptions {
  /** Prepend <|bos|>. Default false. */
  addBos?: boolean;
  /** Append <|eos|>. Default false. */
  addEos?: boolean;
}

export interface CharTokenizerFilesOptions {
  /** tokenizer_config.json model_max_length. Default 1024. */
  modelMaxLength?: number;
}

/**
 * Character tokenizer over an alphabet (default COMPACT_ALPHABET). Ids: 0 <|pad|>, 1 <|bos|>,
 * 2 <|eos|>, 3 <|unk|>, then the alphabet characters in order. A special token's text inside the
 * input encodes to its id (as the transformers.js tokenizer does); any other character outside
 * the alphabet (one Unicode code point) encodes to <|unk|>.
 */
export class CharTokenizer {
  readonly alphabet: string;
  /** Number of ids (special tokens + alphabet). */
  readonly vocabSize: number;
  readonly padId = CHAR_PAD_ID;
  readonly bosId = CHAR_BOS_ID;
  readonly eosId = CHAR_EOS_ID;
  readonly unkId = CHAR_UNK_ID;
  /** Token text of every id. */
  readonly tokens: readonly string[];
  /** Id of each UTF-16 code unit below 128 (-1: not in the alphabet); other characters use `wide`. */
  private readonly ascii = new Int16Array(128).fill(-1);
  private readonly wide = new Map<string, number>();

  constructor(alphabet: string = COMPACT_ALPHABET) {
    const chars = [...alphabet];
    if (chars.length === 0) throw new Error('CharTokenizer alphabet is empty; pass e.g. COMPACT_ALPHABET');
    const seen = new Set<string>();
    for (const ch of chars) {
      if (seen.has(ch)) {
        throw new Error(`CharTokenizer alphabet has ${JSON.stringify(ch)} twice; every character must appear once`);
      }
      seen.add(ch);
    }
    this.alphabet = alphabet;
    this.tokens = Object.freeze([...SPECIALS, ...chars]);
    this.vocabSize = this.tokens.length;
    chars.forEach((ch, i) => {
      const id = CHAR_FIRST_ID + i;
      if (ch.length === 1 && ch.charCodeAt(0) < 128) this.ascii[ch.charCodeAt(0)] = id;
      else this.wide.set(ch, id);
    });
  }

  /** Id of one character (or special token text); undefined when it has none. */
  idOf(token: string): number | undefined {
    const i = SPECIALS.indexOf(token);
    if (i >= 0) return i;
    if (token.length === 1 && token.charCodeAt(0) < 128) {
      const id = this.ascii[token.charCodeAt(0)];
      return id >= 0 ? id : undefined;
    }
    return this.wide.get(token);
  }

  /** Token ids of `text`: one per character, special token texts as their ids. */
  encode(text: string, opts: CharEncodeOptions = {}): number[] {
    const out: number[] = [];
    if (opts.addBos) out.push(CHAR_BOS_ID);
    const n = text.length;
    for (let i = 0; i < n; ) {
      const c = text.charCodeAt(i);
      if (c === 60 /* < */ && text.charCodeAt(i + 1) === 124 /* | */) {
        const s = SPECIALS.findIndex((t) => text.startsWith(t, i));
        if (s >= 0) {
          out.push(s);
          i += SPECIALS[s].length;
          continue;
        }
      }
      if (c < 128) {
        const id = this.ascii[c];
        out.push(id >= 0 ? id : CHAR_UNK_ID);
        i++;
        continue;
      }
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      out.push(this.wide.get(ch) ?? CHAR_UNK_ID);
      i += ch.length;
    }
    if (opts.addEos) out.push(CHAR_EOS_ID);
    return out;
  }

  /** Text of ids. Ids at or above vocabSize (padding rows of a larger embedding) decode as the
   *  <|unk|> text, as the transformers.js tokenizer does. skipSpecialTokens drops ids 0..3. */
  decode(ids: ArrayLike<number>, opts: { skipSpecialTokens?: boolean } = {}): string {
    let out = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0) {
        throw new Error(`CharTokenizer.decode got id ${id} at position ${i}; ids are integers >= 0`);
      }
      if (id < CHAR_FIRST_ID || id >= this.vocabSize) {
        if (!opts.skipSpecialTokens) out += id < CHAR_FIRST_ID ? SPECIALS[id] : CHAR_SPECIAL_TOKENS.unk;
        continue;
      }
      out += this.tokens[id];
    }
    return out;
  }

  /** The tokenizer.json object: a BPE model without merges (each character is its own token, a
   *  model every Hugging Face tokenizers implementation supports), a Split pre-tokenizer that
   *  isolates every code point, a Fuse decoder, and a post-processor that adds <|bos|> when
   *  special tokens are requested. */
  toTokenizerJson(): Record<string, unknown> {
    const vocab: Record<string, number> = {};
    this.tokens.forEach((t, id) => {
      vocab[t] = id;
    });
    const bos = CHAR_SPECIAL_TOKENS.bos;
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: SPECIALS.map((content, id) => ({
        id,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: null,
      pre_tokenizer: { type: 'Split', pattern: { Regex: '[\\s\\S]' }, behavior: 'Isolated', invert: false },
      post_processor: bosPostProcessor(bos, CHAR_BOS_ID),
      decoder: { type: 'Fuse' },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: CHAR_SPECIAL_TOKENS.unk,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab,
        merges: [],
      },
    };
  }

  /** The tokenizer_config.json object: special tokens, no clean-up of spaces (it would rewrite
   *  " ," and " ?"), the CHAR_CHAT_TEMPLATE. */
  toTokenizerConfig(opts: CharTokenizerFilesOptions = {}): Record<string, unknown> {
    const maxLen = opts.modelMaxLength ?? 1024;
    if (!Number.isSafeInteger(maxLen) || maxLen < 1) {
      throw new Error(`modelMaxLength must be an integer >= 1, got ${maxLen}; e.g. 1024`);
    }
    return {
      tokenizer_class: 'PreTrainedTokenizerFast',
      bos_token: CHAR_SPECIAL_TOKENS.bos,
      eos_token: CHAR_SPECIAL_TOKENS.eos,
      pad_token: CHAR_SPECIAL_TOKENS.pad,
      unk_token: CHAR_SPECIAL_TOKENS.unk,
      add_bos_token: true,
      add_eos_token: false,
      clean_up_tokenization_spaces: false,
      model_max_length: maxLen,
      padding_side: 'right',
      chat_template: CHAR_CHAT_TEMPLATE,
    };
  }

  /** Both files as JSON text, keyed by file name, ready to write into a model folder. */
  files(opts: CharTokenizerFilesOptions = {}): Record<'tokenizer.json' | 'tokenizer_config.json', string> {
    return {
      'tokenizer.json': JSON.stringify(this.toTokenizerJson(), null, 2) + '\n',
      'tokenizer_config.json': JSON.stringify(this.toTokenizerConfig(opts), null, 2) + '\n',
    };
  }
}

/** The tokenizer of the embedded chains model (COMPACT_ALPHABET). */
/** A tokenizer.json post-processor that puts `bos` (id `bosId`) before each sequence when special tokens are added. */
export function bosPostProcessor(bos: string, bosId: number) {
  return {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [
      { SpecialToken: { id: bos, type_id: 0 } },
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: bos, type_id: 1 } },
      { Sequence: { id: 'B', type_id: 1 } },
    ],
    special_tokens: { [bos]: { id: bos, ids: [bosId], tokens: [bos] } },
  };
}

export function compactCharTokenizer(): CharTokenizer {
  return new CharTokenizer(COMPACT_ALPHABET);
}
