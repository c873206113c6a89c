// The browser-model bench's arguments, the page configuration built from the real SmolLM2-135M config.json,
// and the summary drawn from a page result.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PageResult } from '../../src/cli/bench/browser-model-page';
import { pageConfig, parseBrowserModelArgs, summarize } from '../../src/cli/bench/browser-model';

const real = JSON.parse(readFileSync('test/fixtures/models/real/SmolLM2-135M-Instruct/config.json', 'utf8')) as Record<string, unknown>;

describe('browser-model bench arguments', () => {
  it('defaults to all 30 layers, bf16 then f32 checkpoints, batches 1 and 8', () => {
    const a = parseBrowserModelArgs(['browser-model']);
    expect(a).toMatchObject({ layers: null, checkpoints: ['bf16', 'f32'], batches: [1, 8], trainSeq: 64, rank: 16, trainSteps: 1 });
    const p = pageConfig(a, real);
    expect(p.configJson).toEqual(real);
    expect(p).not.toHaveProperty('timeoutMin');
  });

  it('takes a layer subset and keeps every other shape of the real config', () => {
    const p = pageConfig(parseBrowserModelArgs(['--layers=4', '--checkpoints=f32', '--batches=1,8,64', '--train-seq=32']), real);
    expect(p.configJson).toEqual({ ...real, num_hidden_layers: 4 });
    expect(p.configJson).toMatchObject({ hidden_size: 576, intermediate_size: 1536, num_attention_heads: 9, num_key_value_heads: 3, head_dim: 64, vocab_size: 49152, tie_word_embeddings: true });
    expect(p).toMatchObject({ checkpoints: ['f32'], batches: [1, 8, 64], trainSeq: 32 });
    expect(pageConfig(parseBrowserModelArgs(['--layers=all']), real).configJson.num_hidden_layers).toBe(30);
  });

  it('refuses bad input with the fix', () => {
    expect(() => pageConfig(parseBrowserModelArgs(['--layers=31']), real)).toThrow(/more than the model's 30; use --layers=30/);
    expect(() => parseBrowserModelArgs(['--checkpoints=f16'])).toThrow(/--checkpoints takes f32 and\/or bf16.*got 'f16'/);
    expect(() => parseBrowserModelArgs(['--prompt=0'])).toThrow(/'--prompt=0' needs a positive integer/);
    expect(() => parseBrowserModelArgs(['--batch=8'])).toThrow(/unknown or malformed option '--batch=8'; usage: browser-model/);
  });
});

describe('browser-model summary', () => {
  it('reports the last checkpoint\'s weights and the training peak against the plan', () => {
    const MiB = 2 ** 20;
    const mem = (peak: number, planned: number) => ({ peak_bytes: peak * MiB, planned_bytes: planned * MiB, ratio: peak / planned });
    const r = {
      loads: [
        { dtype: 'bf16', file_bytes: 1, write_ms: 1, load_ms: 4336.9, weights_bytes: 500 * MiB, peak_bytes: 500 * MiB },
        { dtype: 'f32', file_bytes: 1, write_ms: 1, load_ms: 3552.4, weights_bytes: 536 * MiB, peak_bytes: 536 * MiB },
      ],
      prefill: { tps: 1.09, ms: 1, samples_ms: [1], memory: mem(1, 1) },
      decode: [{ batch: 1, tps: 0.39, step_ms: 1, timed_steps: 3, total_ms: 1, memory: mem(1, 1) }, { batch: 8, tps: 0.96, step_ms: 1, timed_steps: 3, total_ms: 1, memory: mem(1, 1) }],
      train: { step_ms: 254538.6, forward_ms: 73580.4, backward_ms: 179605.8, optimizer_ms: 1352.4, memory: mem(643.1, 620.8) },
    } as unknown as PageResult;
    const s = summarize(r);
    expect(s).toMatchObject({ load_s: { bf16: 4.34, f32: 3.55 }, decode_tps: { 1: 0.39, 8: 0.96 }, train_step_s: 254.54, weights_mib: 536, train_peak_mib: 643.1, train_planned_mib: 620.8, train_within_10pct: true });
    expect(summarize({ ...r, train: { ...r.train, memory: mem(700, 620.8) } }).train_within_10pct).toBe(false);
  });
});
