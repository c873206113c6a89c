// Prompts too long for the context, on a real chat model (the tiny Qwen3 fixture: 1,024 positions,
// its own tokenizer and chat template): every data stage and the evaluation name the problem whose
// prompt the engine refuses; RL leaves out (and lists, with the fix) the problems whose hint prompt
// plus maxCompletionLength does not fit, and counts them; the browser run drops such problems before
// its first stage, lists them in its events and counts them in results.json.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { getArm } from '../../src/int/arms';
import { presetConfig } from '../../src/int/config';
import { loadBaseModel, type BaseModel } from '../../src/int/model';
import { proposeInterventions, reflectAttempts, sampleAttempts, selectPool, type Attempt, type StageContext } from '../../src/int/stages';
import { DecoderEngine } from '../../src/int/engine';
import { armRlConfig, evaluate, trainRl } from '../../src/int/train-arm';
import { LoraAdapter } from '../../src/model/lora';
import { NodeFolderSource } from '../../src/io/folder';
import { createMathTask } from '../../src/tasks/math/task';
import type { Problem } from '../../src/tasks/task';
import { MemoryStageStore, RunControl, runBrowserExperiment } from '../../src/worker/browser-run';
import type { RunEvents } from '../../src/worker/protocol';
import { getTestGpu } from '../shared/gpu-env';

const MODEL = join(__dirname, '../fixtures/models/tiny-qwen3');
const DATASET = join(__dirname, '../fixtures/datasets/arith-24.jsonl');
let gpu: Gpu;
let base: BaseModel;

beforeAll(async () => {
  gpu = await getTestGpu();
  base = await loadBaseModel(gpu, new NodeFolderSource(MODEL), 'tiny-qwen3');
});
afterAll(() => {
  base?.decoder.weights.release();
  base?.decoder.release();
});

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
const problem = (id: string, split: Problem['split'], statement: string, reference = 'Add.\n\nSo 5.'): Problem => ({ id, statement, reference, answer: '5', difficulty: 'easy', split });
const small = { maxNewTokens: 8 };
const config = presetConfig('hf-math', {
  rollouts: { k: 1, poolSamples: 1, sampling: small },
  propose: { perAttempt: 1, sampling: small },
  eval: { samples: 1, ks: [1], sampling: small, bootstrap: { resamples: 20 } },
});

describe('a refused prompt names its problem', () => {
  const short = problem('short-1', 'train', 'What is 2+3?');
  const long = problem('long-7', 'train', `What is 2+3? ${words(1200)}`);
  const task = createMathTask([short, long, problem('t1', 'test', 'What is 1+4?')], { name: 'fit', keepSplits: true });
  const byId = new Map(task.problems('train').map((p) => [p.id, p]));
  const ctx = (): StageContext => ({ engine: new DecoderEngine(gpu, base.decoder, base.codec), task, config });
  const refusal = /problem long-7: its prompt \(.*\) has \d+ tokens .*1024 positions.*refused rather than cut/;

  it('in the pool, rollouts and evaluation', async () => {
    expect(base.codec.promptIds(task.prompts.solve(long)).length).toBeGreaterThan(1024);
    await expect(selectPool(ctx(), [short, long])).rejects.toThrow(refusal);
    await expect(sampleAttempts(ctx(), [short, long])).rejects.toThrow(refusal);
    await expect(evaluate(ctx().engine, task, [short, long], config.eval, 1)).rejects.toThrow(refusal);
  });

  it('in the verify and self-reflection prompts of a failed attempt', async () => {
    const attempt = (p: Problem): Attempt => ({ id: `${p.id}#0`, problemId: p.id, tier: 'easy', text: 'Add.\n\nSo 4.', correct: false, reason: 'wrong answer' });
    await expect(proposeInterventions(ctx(), [attempt(short), attempt(long)], byId)).rejects.toThrow(refusal);
    await expect(reflectAttempts(ctx(), [attempt(short), attempt(long)], byId)).rejects.toThrow(refusal);
  });
});

describe('RL prompts that do not fit', () => {
  it('are left out, listed with the fix and counted (hint prompts included)', async () => {
    // solve prompt short, but half of a long reference makes the hint prompt too long
    const hinted = problem('hint-long', 'train', 'What is 2+3?', Array.from({ length: 4 }, (_, i) => `Step ${i}: ${words(300)}`).join('\n\n'));
    const fine = [problem('a', 'train', 'What is 2+3?'), problem('b', 'train', 'What is 1+4?')];
    const task = createMathTask([...fine, hinted, problem('t1', 'test', 'What is 4+1?')], { name: 'rl-fit', keepSplits: true });
    const arm = getArm('hint_rl');
    const cfg = { ...armRlConfig(presetConfig('hf-math', { rl: { steps: 1, numGenerations: 2, promptsPerStep: 1, maxCompletionLength: 8 } })) };
    expect(base.codec.promptIds(task.prompts.solve(hinted)).length + cfg.maxCompletionLength).toBeLessThanOrEqual(1024);
    expect(base.codec.promptIds(task.prompts.hintSolve(hinted, 0.5)).length + cfg.maxCompletionLength).toBeGreaterThan(1024);
    const notes: string[] = [];
    const adapter = LoraAdapter.create(gpu, base.table, { ...config.lora, seed: 3 });
    base.decoder.adapter = adapter;
    try {
      const log = await trainRl(base.decoder, base.codec, task, arm, task.problems('train'), cfg, 0.5, undefined, (l) => notes.push(l));
      expect(log.dropped).toBe(1);
      expect(log.droppedIds).toEqual(['hint-long']);
      expect(log.steps).toHaveLength(1);
      expect(notes[0]).toMatch(/\[hint_rl\/rl\] 1 of 3 training problems left out of RL: their hint prompt plus rl.maxCompletionLength 8 exceeds the model's 1024 positions/);
      expect(notes[1]).toMatch(/problem hint-long: hint prompt of \d+ tokens/);
      expect(notes.at(-1)).toMatch(/Fix: lower rl.maxCompletionLength or hint.fraction/);
      // the plain arm's solve prompts all fit: nothing left out, nothing said
      const quiet: string[] = [];
      const plain = await trainRl(base.decoder, base.codec, task, getArm('rl'), task.problems('train'), cfg, 0.5, undefined, (l) => quiet.push(l));
      expect([plain.dropped, quiet]).toEqual([0, []]);
    } finally {
      base.decoder.adapter = null;
      adapter.release();
    }
  });
});

describe('the browser run', () => {
  it('drops problems whose prompts do not fit before its first stage, lists them and counts them', async () => {
    const long = JSON.stringify({ id: 'long-1', question: `What is 2+3? ${words(1200)}`, answer: '5', solution: 'Add.\n\nSo 5.', level: 'easy' });
    const bytes = new TextEncoder().encode(`${readFileSync(DATASET, 'utf8').trimEnd()}\n${long}\n`);
    const files = readdirSync(MODEL).map((f) => new File([readFileSync(join(MODEL, f))], f));
    const notes: string[] = [];
    const stages: string[] = [];
    const events: RunEvents = {
      note: (t) => notes.push(t),
      stage: () => {},
      stageDone: (n) => stages.push(n),
      stageLoaded: () => {},
      metric: () => {},
      armDone: () => {},
      paused: () => {},
    };
    const cfg = presetConfig('hf-math', {
      data: { maxTrainProblems: 2, maxTestProblems: 1 },
      rollouts: { k: 1, poolSamples: 0, sampling: small },
      propose: { perAttempt: 1, maxAttempts: 1, sampling: small },
      eval: { samples: 1, ks: [1], sampling: small, bootstrap: { resamples: 20 } },
    });
    const record = await runBrowserExperiment({
      gpu,
      store: new MemoryStageStore('run-fit'),
      config: cfg,
      preset: null,
      arms: ['base'],
      model: { kind: 'folder', files },
      dataset: { name: 'arith-25.jsonl', bytes },
      events,
      control: new RunControl(),
    });
    const at = notes.findIndex((n) => /^1 of 25 problems skipped: their prompt leaves fewer than/.test(n));
    expect(at, notes.join('\n')).toBeGreaterThanOrEqual(0);
    expect(notes[at + 1]).toMatch(/problem long-1 \((train|test)\): solve prompt of \d+ tokens/);
    expect(notes.slice(at).some((n) => /Fix: shorten those problems/.test(n))).toBe(true);
    expect(stages[0]).toBe('load model');
    expect(stages).toContain('base/eval');
    expect(record.results.droppedProblems).toEqual({ promptTooLong: 1, ids: ['long-1'] });
    expect(record.results.arms.base.rlDropped).toBe(0);
    expect(record.files.md).toMatch(/1 problem was dropped up front: a prompt leaves the completion no room in the model's context \(long-1\)/);
  });
});
