// The hf-math preset's code path end to end at toy scale: a Hugging Face chat model from a folder
// (the tiny Qwen3 fixture: real tokenizer and chat template, random weights) on a JSONL math dataset (24 arithmetic questions),
// every stage and two arms; results files are written and the math grader scored every sample. Then the preset's own
// dataset layout: an IMO-AnswerBench CSV (answers without solutions) with prompts rendered by the fixture's chat template.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { presetConfig } from '../../src/int/config';
import { runExperiment } from '../../src/int/experiment';
import { resolveBaseModel } from '../../src/int/model';
import { NodeFolderSource } from '../../src/io/folder';
import { loadTokenizer } from '../../src/io/tokenizer';
import { getTestGpu } from '../shared/gpu-env';

const FIX = join(__dirname, '../fixtures');
let gpu: Gpu;
let out: string;
beforeAll(async () => {
  gpu = await getTestGpu();
  out = mkdtempSync(join(tmpdir(), 'int-math-'));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('hf-math preset (toy scale)', () => {
  it('runs a chat model from a folder on a JSONL dataset through every stage', async () => {
    const config = presetConfig('hf-math', {
      model: join(FIX, 'models/tiny-qwen3'),
      data: { dataset: join(FIX, 'datasets/arith-24.jsonl'), maxTrainProblems: 3, maxTestProblems: 2 },
      rollouts: { k: 2, sampling: { maxNewTokens: 12 } },
      propose: { perAttempt: 1, maxAttempts: 2, sampling: { maxNewTokens: 12 } },
      lora: { rank: 2, alpha: 4 },
      sft: { epochs: 1, batchSize: 2 },
      rl: { steps: 1, numGenerations: 2, promptsPerStep: 1, maxCompletionLength: 12 },
      eval: { samples: 2, ks: [1, 2], sampling: { maxNewTokens: 12 }, bootstrap: { resamples: 50 } },
    });
    const r = await runExperiment({ out, config, preset: 'hf-math', arms: ['base', 'rl'], root: join(__dirname, '../..'), gpu });
    expect(r.results).not.toBeNull();
    const res = r.results!;
    expect(res.task).toContain('arith-24.jsonl');
    expect(res.model).toContain('tiny-qwen3');

    expect(res.problems.train).toBeGreaterThan(0);
    expect(res.problems.test).toBeGreaterThan(0);
    for (const id of ['base', 'rl']) {
      const p1 = res.arms[id].eval.overall.passAt['1'];
      expect(p1.estimate).toBeGreaterThanOrEqual(0);
      expect(p1.estimate).toBeLessThanOrEqual(1);
    }
    expect(res.arms.rl.rlSteps).toBe(1);
    // every prompt of this dataset fits the 1,024 positions: nothing dropped up front or from RL, and results.json says so
    expect(res.droppedProblems).toEqual({ promptTooLong: 0, ids: [] });
    expect(res.arms.rl.rlDropped).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).droppedProblems).toEqual({ promptTooLong: 0, ids: [] });
    for (const f of ['results.json', 'results.md', 'metrics.csv', 'interventions.jsonl', 'exports/rl/rl_prompts.parquet']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toContain('## Reading');
  });

  it('runs on an IMO-AnswerBench CSV (short answers, no reference solutions) with the chat template of the model\'s tokenizer_config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'int-math-imo-'));
    try {
      const config = presetConfig('hf-math', {
        model: join(FIX, 'models/tiny-qwen3'),
        data: { dataset: join(FIX, 'math/answerbench-mini.csv'), maxTrainProblems: 2, maxTestProblems: 2 },
        rollouts: { k: 2, sampling: { maxNewTokens: 8 } },
        propose: { perAttempt: 1, maxAttempts: 2, sampling: { maxNewTokens: 8 } },
        lora: { rank: 2, alpha: 4 },
        sft: { epochs: 1, batchSize: 2 },
        eval: { samples: 2, ks: [1, 2], sampling: { maxNewTokens: 8 }, bootstrap: { resamples: 50 } },
      });
      const r = await runExperiment({ out: dir, config, preset: 'hf-math', arms: ['base', 'int_sft'], root: join(__dirname, '../..'), gpu });
      const res = r.results!;
      expect(res.task).toContain('answerbench-mini.csv');
      expect(res.problems).toMatchObject({ train: 2, test: 2 });
      // the bf16 checkpoint stays 16-bit where the adapter has shader-f16 (modelDtype 'auto')
      expect(res.modelDtype).toBe(gpu.f16 ? 'f16' : 'f32');
      expect(res.pipeline.proposals.attempts).toBeGreaterThan(0);
      const base = await resolveBaseModel(gpu, join(FIX, 'models/tiny-qwen3'), { root: join(__dirname, '../..'), seed: 0 });
      try {
        // prompts are rendered by the tokenizer_config's chat template (Qwen3: im_start / im_end turns, generation prompt)
        expect(base.codec.kind).toBe('hf');
        const tok = JSON.parse(readFileSync(join(FIX, 'models/tiny-qwen3/tokenizer_config.json'), 'utf8'));
        expect(tok.chat_template).toContain('<|im_start|>');
        const raw = (await loadTokenizer(new NodeFolderSource(join(FIX, 'models/tiny-qwen3')))).decode(base.codec.promptIds('What is 2 + 2?'), { skipSpecialTokens: false });
        expect(raw).toMatch(/^<\|im_start\|>user\nWhat is 2 \+ 2\?<\|im_end\|>\n<\|im_start\|>assistant\n/);
      } finally {
        base.decoder.release();
        base.decoder.weights.release();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a dataset with no held-out problems, saying what to do', async () => {
    const config = presetConfig('hf-math', { model: join(FIX, 'models/tiny-qwen3'), data: { dataset: join(FIX, 'datasets/mini.jsonl') } });
    const dir = mkdtempSync(join(tmpdir(), 'int-math-empty-'));
    try {
      await expect(runExperiment({ out: dir, config, preset: 'hf-math', arms: ['base'], root: join(__dirname, '../..'), gpu })).rejects.toThrow(/no test problems .*larger dataset/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
