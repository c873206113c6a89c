// Tokenizers built from a model folder: the real Qwen3 tokenizer and chat template, and the tiny
// byte-level tokenizers of the llama / qwen2 fixtures.

import { beforeAll, describe, expect, it } from 'vitest';
import { NodeFolderSource } from '../../src/io/folder';
import { loadTokenizer, type Tokenizer } from '../../src/io/tokenizer';

const FIX = new URL('../fixtures/models/', import.meta.url).pathname;

const SAMPLES = [
  'Hello, world!',
  'The answer is \\boxed{42}.',
  '  leading spaces, trailing tab\t',
  'Ünïcödé ∑ x² — 你好，世界 🙂',
  'line one\nline two\r\n\nend',
  '',
];

describe('Qwen3 tokenizer (real vocabulary and chat template)', () => {
  let tok: Tokenizer;
  beforeAll(async () => {
    tok = await loadTokenizer(new NodeFolderSource(`${FIX}tiny-qwen3`));
  }, 60_000);

  it('round-trips text', () => {
    for (const s of SAMPLES) expect(tok.decode(tok.encode(s))).toBe(s);
  });

  it('gives the Qwen ids', () => {
    expect(tok.encode('Hello, world!')).toEqual([9707, 11, 1879, 0]);
    expect(tok.encode('<|im_start|>user')).toEqual([151644, 872]);
    expect(tok.decode([151644, 872, 198])).toBe('<|im_start|>user\n');
    expect(tok.decode([151644, 872, 198, 9707], { skipSpecialTokens: true })).toBe('user\nHello');
  });

  it('knows its special ids and vocabulary', () => {
    expect(tok.eosIds).toEqual([151645, 151643]); // generation_config order, then the tokenizer's eos
    expect(tok.bosId).toBeUndefined(); // Qwen adds no BOS
    expect(tok.padId).toBe(151643);
    expect(tok.vocabSize).toBe(151669);
    expect(tok.specialIds).toContain(151644);
    expect(tok.hasChatTemplate).toBe(true);
  });

  it('renders the chat template with a generation prompt', () => {
    const text = tok.applyChatTemplate([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'What is 2+2?' },
    ]);
    expect(text).toBe('<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n');
    const ids = tok.encode(text);
    expect(ids[0]).toBe(151644);
    expect(ids.filter((i) => i === 151645).length).toBe(2);
  });

  it('adds the empty think block when thinking is disabled, and drops earlier reasoning', () => {
    const noThink = tok.applyChatTemplate([{ role: 'user', content: 'Hi' }], { enableThinking: false });
    expect(noThink).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n');
    const history = tok.applyChatTemplate(
      [
        { role: 'user', content: 'Q1' },
        { role: 'assistant', content: '<think>\nscratch work\n</think>\n\nA1' },
        { role: 'user', content: 'Q2' },
      ],
      { addGenerationPrompt: false },
    );
    expect(history).toBe('<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n');
  });
});

describe('tiny byte-level tokenizers', () => {
  it('llama: BOS on request, merges applied, llama-style template', async () => {
    const tok = await loadTokenizer(new NodeFolderSource(`${FIX}tiny-llama`));
    for (const s of SAMPLES) expect(tok.decode(tok.encode(s))).toBe(s);
    expect(tok.bosId).toBe(264);
    expect(tok.eosIds).toEqual([265, 268]);
    expect(tok.encode('hi', { addSpecialTokens: true })).toEqual([264, ...tok.encode('hi')]);
    expect(tok.encode(' the')).toEqual([258]); // 'Ġ'+'t' -> 'Ġt', 'h'+'e' -> 'he', 'Ġt'+'he' -> 'Ġthe'
    expect(tok.encode('A')).toEqual([65]); // a byte's id is its value
    const text = tok.applyChatTemplate([{ role: 'user', content: ' 2+2? ' }]);
    expect(text).toBe('<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
    expect(tok.encode(text).slice(0, 2)).toEqual([264, 266]);
    expect(Math.max(...tok.encode(text))).toBeLessThan(272); // fits the model's vocab_size
  });

  it('qwen2: ChatML template, no BOS', async () => {
    const tok = await loadTokenizer(new NodeFolderSource(`${FIX}tiny-qwen2`));
    expect(tok.bosId).toBeUndefined();
    expect(tok.eosIds).toEqual([266, 264]);
    expect(tok.vocabSize).toBe(267);
    const text = tok.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true });
    expect(text).toBe('<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
    expect(tok.encode(text)).toEqual([265, ...tok.encode('user\nhi'), 266, ...tok.encode('\n'), 265, ...tok.encode('assistant\n')]);
    expect(tok.decode([])).toBe('');
  });

  it('refuses a folder without tokenizer.json', async () => {
    await expect(loadTokenizer(new NodeFolderSource(`${FIX}real/Qwen3-0.6B`))).rejects.toThrow(/no tokenizer\.json/);
  });
});
