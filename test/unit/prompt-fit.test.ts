// Prompts longer than the context, checked before any work with a real tokenizer (the tiny-llama
// fixture's, through its chat template) against a 2,048-position context (the room is a parameter:
// the fixture's own 512 positions cannot hold the math verify template, 1,212 tokens in this
// byte-level tokenizer, so every training problem would be dropped): a problem whose solve or verify prompt
// leaves too little room is dropped and reported with its id, split and token count, a strict run
// is refused, and the other problems (and the task's methods) are unchanged.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { presetConfig } from '../../src/int/config';
import { MIN_COMPLETION_TOKENS } from '../../src/int/engine';
import { droppedProblems, fitProblems, fitTask, longPromptReport, longPrompts, promptRoom, withoutProblems } from '../../src/int/prompt-fit';
import { NodeFolderSource } from '../../src/io/folder';
import { loadTokenizer } from '../../src/io/tokenizer';
import { hfCodec, type TextCodec } from '../../src/model/codec';
import { createMathTask } from '../../src/tasks/math/task';
import type { Problem } from '../../src/tasks/task';

const MODEL = join(__dirname, '../fixtures/models/tiny-llama');
const MAX = 2048;

let codec: TextCodec;
beforeAll(async () => {
  codec = hfCodec(await loadTokenizer(new NodeFolderSource(MODEL)));
});

const problem = (id: string, split: Problem['split'], statement: string, reference = 'Add.\n\nSo 5.'): Problem => ({ id, statement, reference, answer: '5', difficulty: 'easy', split });

/** A statement whose solve prompt has about `tokens` tokens more than a short one. */
const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

function task(extra: Problem[]) {
  const base = [problem('a', 'train', 'What is 2+3?'), problem('b', 'train', 'What is 1+4?'), problem('c', 'test', 'What is 4+1?')];
  return createMathTask([...base, ...extra], { name: 'fit', keepSplits: true });
}

describe('prompts against the context', () => {
  const config = presetConfig('hf-math');
  const room = promptRoom(config, MAX);

  it('the room asks for the engine minimum, or a stage maxNewTokens when smaller', () => {
    expect(room).toEqual({ maxPositions: MAX, solve: MIN_COMPLETION_TOKENS, verify: MIN_COMPLETION_TOKENS });
    const small = presetConfig('hf-math', { rollouts: { sampling: { maxNewTokens: 4 } } });
    expect(promptRoom(small, MAX).solve).toBe(4);
  });

  it('finds a solve prompt past the context, and a verify prompt that only its reference makes too long', () => {
    const t = task([
      problem('long-solve', 'train', `What is 2+3? ${words(600)}`),
      problem('long-test', 'test', `What is 2+3? ${words(600)}`),
      problem('long-ref', 'train', 'What is 2+3?', `Add. ${words(200)}`),
    ]);
    const long = longPrompts(t, codec, room);
    expect(long.map((l) => [l.id, l.split, l.prompt])).toEqual([
      ['long-solve', 'train', 'solve'],
      ['long-ref', 'train', 'verify'],
      ['long-test', 'test', 'solve'],
    ]);
    for (const l of long) {
      expect(l.tokens + room.solve).toBeGreaterThan(MAX);
      // the count is the real tokenizer's, through the chat template
      const p = t.problems(l.split).find((x) => x.id === l.id)!;
      const text = l.prompt === 'solve' ? t.prompts.solve(p) : t.prompts.verifyAndIntervene(p, []);
      expect(l.tokens).toBe(codec.promptIds(text).length);
    }
  });

  it('a prompt that leaves exactly the room fits; one token more does not', () => {
    const short = codec.promptIds(createMathTask([problem('x', 'test', 'Q')], { keepSplits: true }).prompts.solve(problem('x', 'test', 'Q'))).length;
    // grow a statement one word at a time to land on the boundary
    let n = 0;
    const solveLen = (k: number) => {
      const p = problem('edge', 'test', `Q ${words(k)}`);
      return codec.promptIds(createMathTask([p], { keepSplits: true }).prompts.solve(p)).length;
    };
    while (solveLen(n + 1) + room.solve <= MAX) n++;
    expect(solveLen(n)).toBeGreaterThan(short);
    const fits = createMathTask([problem('edge', 'test', `Q ${words(n)}`)], { keepSplits: true });
    const over = createMathTask([problem('edge', 'test', `Q ${words(n + 1)}`)], { keepSplits: true });
    expect(longPrompts(fits, codec, room)).toEqual([]);
    expect(longPrompts(over, codec, room).map((l) => l.id)).toEqual(['edge']);
  });

  it('drops the long problems with a report naming them and the fix; strict refuses', () => {
    const t = task([problem('long-solve', 'train', `What is 2+3? ${words(600)}`)]);
    const notes: string[] = [];
    const fitted = fitTask(t, codec, room, false, (l) => notes.push(l));
    expect(fitted.problems('train').map((p) => p.id)).toEqual(['a', 'b']);
    expect(fitted.problems('test').map((p) => p.id)).toEqual(['c']);
    expect(fitted.name).toBe(t.name);
    expect(fitted.prompts.solve(fitted.problems('train')[0])).toBe(t.prompts.solve(t.problems('train')[0]));
    expect(fitted.splitSteps('a\n\nb')).toEqual(['a', 'b']);
    expect(notes[0]).toMatch(/^1 of 4 problems skipped: .* 2048 positions/);
    expect(notes[1]).toMatch(/problem long-solve \(train\): solve prompt of \d+ tokens/);
    expect(notes.at(-1)).toMatch(/shorten those problems, use a model with a longer context, or drop the rows/);
    expect(() => fitTask(t, codec, room, true, () => {})).toThrow(/strict run refused: 1 of 4 problems skipped[\s\S]*long-solve[\s\S]*without --strict/);
  });

  it('returns the dropped problems for results.json, split then task order', () => {
    const t = task([problem('long-test', 'test', `What is 2+3? ${words(600)}`), problem('long-solve', 'train', `What is 2+3? ${words(600)}`)]);
    const { task: fitted, dropped } = fitProblems(t, codec, room, false, () => {});
    expect(dropped.map((d) => d.id)).toEqual(['long-solve', 'long-test']);
    expect(droppedProblems(dropped)).toEqual({ promptTooLong: 2, ids: ['long-solve', 'long-test'] });
    expect(fitted.problems('test').map((p) => p.id)).toEqual(['c']);
    expect(droppedProblems(fitProblems(task([]), codec, room, false, () => {}).dropped)).toEqual({ promptTooLong: 0, ids: [] });
  });

  it('nothing to report when every prompt fits; the task is returned as is', () => {
    const t = task([]);
    const notes: string[] = [];
    expect(fitTask(t, codec, room, true, (l) => notes.push(l))).toBe(t);
    expect(notes).toEqual([]);
    expect(withoutProblems(t, new Set())).toBe(t);
  });

  it('lists at most five problems, then how many more', () => {
    const long = Array.from({ length: 8 }, (_, i) => ({ id: `p${i}`, split: 'train' as const, prompt: 'solve' as const, tokens: 900 }));
    const lines = longPromptReport(long, 10, room, false);
    expect(lines.filter((l) => /^ {2}problem /.test(l))).toHaveLength(5);
    expect(lines).toContain('  ... and 3 more');
  });
});
