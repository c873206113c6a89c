// The character tokenizer of the embedded chains model: pinned ids, exact round trips of compact
// texts, and agreement of the pure-TS encoder/decoder with the tokenizer.json that transformers.js loads.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHAR_BOS_ID,
  CHAR_EOS_ID,
  CHAR_FIRST_ID,
  CHAR_PAD_ID,
  CHAR_SPECIAL_TOKENS,
  CHAR_UNK_ID,
  CharTokenizer,
  compactCharTokenizer,
} from '../../src/io/char-tokenizer';
import { NodeFolderSource } from '../../src/io/folder';
import { loadTokenizer, type Tokenizer } from '../../src/io/tokenizer';
import { COMPACT_ALPHABET, compactRenderers, createChainsTask, solutionText } from '../../src/tasks/chains';
import { createRng } from '../../src/util/random';

const ct = compactCharTokenizer();

/** Compact texts of every format: solve / hint / verify / reflect prompts, solutions, ideal
 *  verification logs of correct and slipped attempts, over train and test problems of all tiers. */
function compactTexts(): string[] {
  const task = createChainsTask({ counts: { easy: { train: 12, test: 4 }, medium: { train: 12, test: 4 }, hard: { train: 12, test: 4 } } });
  const rng = createRng('char-tokenizer-texts');
  const out: string[] = [];
  for (const p of [...task.problems('train'), ...task.problems('test')]) {
    const sol = task.solutionSteps(p, 'compact');
    const bad = task.injectError(p, rng.int(1, sol.length - 1), rng, { style: 'compact' });
    out.push(
      compactRenderers.solve(p) + solutionText(p),
      compactRenderers.hintSolve(p, 0.5),
      compactRenderers.verifyAndIntervene(p, bad.steps) + task.compactVerification(p, bad.steps),
      compactRenderers.verifyAndIntervene(p, sol) + task.compactVerification(p, sol),
      compactRenderers.selfReflect(p, bad.steps) + solutionText(p),
    );
    // A garbled attempt line: foreign characters become "?" in the prompt and the log.
    const garbled = [...sol.slice(0, 1), 'Step 2: 5×3 = 15 (sure!)', ...sol.slice(2)];
    out.push(compactRenderers.verifyAndIntervene(p, garbled) + task.compactVerification(p, garbled));
  }
  return out;
}

/** Random strings mixing alphabet characters, special token texts and foreign characters. */
function randomTexts(n: number): string[] {
  const rng = createRng('char-tokenizer-random');
  const pieces = [...COMPACT_ALPHABET, ...Object.values(CHAR_SPECIAL_TOKENS), 'é', '🙂', 'A', '\t', '|', '<|', '.', '\r\n'];
  return Array.from({ length: n }, () => {
    let s = '';
    const len = rng.int(0, 120);
    for (let i = 0; i < len; i++) s += rng.bool(0.85) ? rng.pick([...COMPACT_ALPHABET]) : rng.pick(pieces);
    return s;
  });
}

describe('CharTokenizer (pure TS)', () => {
  it('has pinned, stable ids: 4 specials, then the alphabet in order', () => {
    expect(ct.vocabSize).toBe(4 + COMPACT_ALPHABET.length);
    expect(ct.vocabSize).toBe(56);
    expect([ct.padId, ct.bosId, ct.eosId, ct.unkId]).toEqual([CHAR_PAD_ID, CHAR_BOS_ID, CHAR_EOS_ID, CHAR_UNK_ID]);
    expect([CHAR_PAD_ID, CHAR_BOS_ID, CHAR_EOS_ID, CHAR_UNK_ID, CHAR_FIRST_ID]).toEqual([0, 1, 2, 3, 4]);
    expect(ct.tokens.slice(0, 4)).toEqual(['<|pad|>', '<|bos|>', '<|eos|>', '<|unk|>']);
    // A few pinned ids: a checkpoint's embedding rows depend on them.
    expect(ct.encode('\n 0=az{}')).toEqual([4, 5, 13, 25, 28, 53, 54, 55]);
    [...COMPACT_ALPHABET].forEach((ch, i) => {
      expect(ct.idOf(ch)).toBe(CHAR_FIRST_ID + i);
      expect(ct.decode([CHAR_FIRST_ID + i])).toBe(ch);
    });
    expect(ct.idOf('A')).toBeUndefined();
    expect(ct.idOf('<|eos|>')).toBe(2);
    expect(JSON.stringify(new CharTokenizer().files())).toBe(JSON.stringify(ct.files()));
  });

  it('encodes every compact text one id per character and decodes it back exactly', () => {
    const texts = compactTexts();
    expect(texts.some((t) => t.includes('<intervention>{"content": '))).toBe(true);
    expect(texts.some((t) => /\n\d+ =-?\d+ r:-?\d+ ok$/.test(t))).toBe(true); // a log that passed every line
    expect(texts.some((t) => t.includes('step 2: 5?3 = 15 (sure!)'.replace(/[()!]/g, '?')))).toBe(true);
    for (const t of texts) {
      const ids = ct.encode(t);
      expect(ids.length).toBe(t.length);
      expect(ids.every((id) => id >= CHAR_FIRST_ID && id < ct.vocabSize)).toBe(true);
      expect(ct.decode(ids)).toBe(t);
    }
  });

  it('adds bos / eos on request, reads special token texts, maps foreign characters to unk', () => {
    expect(ct.encode('1+2', { addBos: true, addEos: true })).toEqual([1, ...ct.encode('1+2'), 2]);
    expect(ct.encode('a<|eos|>b')).toEqual([ct.idOf('a'), 2, ct.idOf('b')]);
    expect(ct.encode('<|x|>')).toEqual([ct.idOf('<'), 3, ct.idOf('x'), 3, ct.idOf('>')]);
    expect(ct.encode('Aé🙂\t')).toEqual([3, 3, 3, 3]); // one unk per code point
    expect(ct.decode([1, ct.idOf('7')!, 2, 0])).toBe('<|bos|>7<|eos|><|pad|>');
    expect(ct.decode([1, ct.idOf('7')!, 2, 0], { skipSpecialTokens: true })).toBe('7');
    expect(ct.decode([ct.idOf('7')!, 60])).toBe('7<|unk|>'); // an id past the vocabulary
    expect(() => ct.decode([-1])).toThrow(/integers >= 0/);
    expect(() => ct.decode([1.5])).toThrow(/integers >= 0/);
  });

  it('refuses a bad alphabet', () => {
    expect(() => new CharTokenizer('')).toThrow(/empty/);
    expect(() => new CharTokenizer('abca')).toThrow(/"a" twice/);
    const wide = new CharTokenizer('ab→');
    expect(wide.encode('a→b')).toEqual([4, 6, 5]);
    expect(wide.decode([4, 6, 5])).toBe('a→b');
  });
});

describe('tokenizer.json loaded by transformers.js', () => {
  let dir: string;
  let hf: Tokenizer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'char-tok-'));
    for (const [name, text] of Object.entries(ct.files({ modelMaxLength: 2048 }))) writeFileSync(join(dir, name), text);
    hf = await loadTokenizer(new NodeFolderSource(dir));
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('knows the special ids, vocabulary size and template', () => {
    expect(hf.vocabSize).toBe(ct.vocabSize);
    expect(hf.bosId).toBe(CHAR_BOS_ID);
    expect(hf.eosIds).toEqual([CHAR_EOS_ID]);
    expect(hf.padId).toBe(CHAR_PAD_ID);
    expect([...hf.specialIds].sort()).toEqual([0, 1, 2, 3]);
    expect(hf.hasChatTemplate).toBe(true);
  });

  it('gives the same ids as CharTokenizer on compact texts and round-trips them exactly', () => {
    for (const t of compactTexts()) {
      const ids = hf.encode(t);
      expect(ids).toEqual(ct.encode(t));
      expect(hf.decode(ids)).toBe(t);
    }
  });

  it('agrees with CharTokenizer on random strings with special texts and foreign characters', () => {
    for (const t of randomTexts(400)) {
      const ids = hf.encode(t);
      expect(ids).toEqual(ct.encode(t));
      expect(hf.decode(ids)).toBe(ct.decode(ids));
      expect(hf.decode(ids, { skipSpecialTokens: true })).toBe(ct.decode(ids, { skipSpecialTokens: true }));
      expect(hf.encode(t, { addSpecialTokens: true })).toEqual(ct.encode(t, { addBos: true }));
    }
  });

  it('decodes arbitrary id lists (padding rows included) like CharTokenizer', () => {
    const rng = createRng('char-tokenizer-ids');
    for (let i = 0; i < 200; i++) {
      const ids = Array.from({ length: rng.int(1, 40) }, () => rng.int(0, ct.vocabSize + 7));
      expect(hf.decode(ids)).toBe(ct.decode(ids));
      expect(hf.decode(ids, { skipSpecialTokens: true })).toBe(ct.decode(ids, { skipSpecialTokens: true }));
    }
  });

  it('keeps spaces, commas and question marks as written (no clean-up)', () => {
    const t = ' , ? 1 ,2 ?\n\n  ';
    expect(hf.decode(hf.encode(t))).toBe(t);
  });

  it('chat template: bos, the texts in order, eos after an assistant turn', () => {
    const prompt = 'q:37 +18\n';
    const completion = '37+18=55\n=55';
    expect(hf.applyChatTemplate([{ role: 'user', content: prompt }])).toBe(`<|bos|>${prompt}`);
    const doc = hf.applyChatTemplate(
      [
        { role: 'user', content: prompt },
        { role: 'assistant', content: completion },
      ],
      { addGenerationPrompt: false },
    );
    expect(doc).toBe(`<|bos|>${prompt}${completion}<|eos|>`);
    expect(hf.encode(doc)).toEqual([CHAR_BOS_ID, ...ct.encode(prompt + completion), CHAR_EOS_ID]);
  });
});
