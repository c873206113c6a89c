// The engine's overflow policy on a real small model (the tiny-llama fixture: 512 positions, its
// own tokenizer and chat template): a prompt that leaves fewer than the minimum of completion
// tokens is refused before any sampling, naming the problem, its token count, the context and the
// fix; a prompt that leaves exactly the room is sampled, its completion kept within the context.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { DecoderEngine, MIN_COMPLETION_TOKENS, PromptTooLongError } from '../../src/int/engine';
import { loadBaseModel, type BaseModel } from '../../src/int/model';
import { NodeFolderSource } from '../../src/io/folder';
import { getTestGpu } from '../shared/gpu-env';

const MODEL = join(__dirname, '../fixtures/models/tiny-llama');
let gpu: Gpu;
let base: BaseModel;
let engine: DecoderEngine;

beforeAll(async () => {
  gpu = await getTestGpu();
  base = await loadBaseModel(gpu, new NodeFolderSource(MODEL), 'tiny-llama');
  engine = new DecoderEngine(gpu, base.decoder, base.codec);
});
afterAll(() => {
  base?.decoder.weights.release();
  base?.decoder.release();
});

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
const opts = (maxNewTokens: number) => ({ n: 2, seed: 1, temperature: 1, topP: 1, topK: 0, maxNewTokens });

/** A prompt of exactly `tokens` prompt ids (chat template included), grown a word at a time and
 *  trimmed a character at a time. */
function promptOf(tokens: number): string {
  let text = '';
  for (let i = 0; base.codec.promptIds(text + ` w${i}`).length <= tokens; i++) text += ` w${i}`;
  for (let c = 0; base.codec.promptIds(text).length < tokens; c++) text += 'x';
  expect(base.codec.promptIds(text).length).toBe(tokens);
  return text;
}

describe('DecoderEngine overflow policy', () => {
  it('has the fixture context and the default minimum', () => {
    expect(engine.maxPositions).toBe(512);
    expect(engine.minCompletionTokens).toBe(MIN_COMPLETION_TOKENS);
  });

  it('refuses a prompt longer than the context before sampling, naming the problem, its tokens, the context and the fix', async () => {
    const long = `Solve this. ${words(300)}`;
    const tokens = base.codec.promptIds(long).length;
    expect(tokens).toBeGreaterThan(512);
    const err = await engine.generate([{ prompt: 'What is 2+3?' }, { prompt: long, id: 'imo-036' }], opts(32)).catch((e) => e);
    expect(err).toBeInstanceOf(PromptTooLongError);
    expect(err).toMatchObject({ index: 1, id: 'imo-036', tokens, maxPositions: 512, minCompletion: MIN_COMPLETION_TOKENS });
    expect(err.message).toContain(`problem imo-036: its prompt ("Solve this. w0 w1`);
    expect(err.message).toContain(`has ${tokens} tokens and leaves 0 of the model's 512 positions`);
    expect(err.message).toMatch(/refused rather than cut\. Shorten the prompt, use a model with a longer context, or drop the row$/);
    // without an id the request is named by its position
    await expect(engine.generate([{ prompt: long }], opts(32))).rejects.toThrow(/^request 0: prompt .* has \d+ tokens/);
  });

  it('a prompt that leaves the minimum is sampled within the context; one token more is refused', async () => {
    const fits = promptOf(512 - MIN_COMPLETION_TOKENS);
    const over = promptOf(512 - MIN_COMPLETION_TOKENS + 1);
    const out = await engine.generate([{ prompt: fits }], opts(64));
    expect(out[0]).toHaveLength(2);
    for (const s of out[0]) {
      expect(s.tokens).toBeGreaterThan(0);
      expect(s.tokens).toBeLessThanOrEqual(MIN_COMPLETION_TOKENS);
    }
    await expect(engine.generate([{ prompt: over, id: 'p9' }], opts(64))).rejects.toThrow(/problem p9: .* leaves 15 of the model's 512 positions .* fewer than the 16 completion tokens/);
    // a call that asks for fewer new tokens needs only that many
    const few = await engine.generate([{ prompt: over }], opts(8));
    for (const s of few[0]) expect(s.tokens).toBeLessThanOrEqual(8);
  });

  it('the minimum is an engine option', async () => {
    const strict = new DecoderEngine(gpu, base.decoder, base.codec, { minCompletionTokens: 100 });
    await expect(strict.generate([{ prompt: promptOf(450), id: 'q' }], opts(200))).rejects.toThrow(/problem q: .* has 450 tokens and leaves 62 .* fewer than the 100 completion tokens/);
  });
});
