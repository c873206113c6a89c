// The GPU suite's assembly of the kernels / model / peer benchmark JSON into one summary and one
// Markdown report, and its argument parsing.
import { describe, expect, it } from 'vitest';
import { assembleSuite, suiteMarkdown, type SuitePart } from '../../src/cli/bench/suite-report';
import { parseSuiteArgs } from '../../src/cli/bench/gpu-suite';

const ADAPTER = 'nvidia / hopper / H100 (node; features: shaderF16; maxStorageBufferBindingSize=2147483647)';

const kernels: SuitePart = {
  suite: 'kernels',
  args: [],
  elapsed_s: 101.2,
  error: null,
  result: {
    suite: 'kernels',
    runs_on: { ours: `${ADAPTER} — Dawn in Node` },
    host: { cpus: 16, loadavg_1m_start: 0.5, loadavg_1m_end: 1.25 },
    results: [
      { name: 'matmul.decode', shape: '1x896x896', dtype: 'f32', ours_gflops: 12.5, ours_transB_gflops: 11, ort_gflops: 9.75, naive_gflops: null, ours_ms: 0.128, check: 'ok' },
      { name: 'attention.forward', shape: 'B=1 Hq=14 Hkv=2 T=256 D=64', dtype: 'f32', ours_gflops: 40, ort_gflops: null, naive_gflops: null, ours_ms: 1.5 },
    ],
    sampling: [{ name: 'sample.topk', vocab: 151936, batch: 8, topK: 20, topP: 0.8, radix_ms: 1.2, sort_ms: 3.6, speedup: 3, same_ids: true }],
  },
};

const model: SuitePart = {
  suite: 'model',
  args: ['--layers=24'],
  elapsed_s: 240,
  error: null,
  result: {
    suite: 'model',
    adapter_description: ADAPTER,
    host: { cpus: 16, loadavg_1m_start: 1, loadavg_1m_end: 2 },
    model: { shapes: 'Qwen2.5-0.5B layer shapes, random weights', layers: 24, vocab: 74880, vocab_requested: 151936, weights_dtype: 'f16' },
    notes: ['vocabulary capped from 151936 to 74880 rows: ...'],
    results: {
      prefill_tps: 5000.5,
      decode_tps: { '1': 100, '8': 700, '64': 2500 },
      decode_64_over_1: 25,
      train_tps: 900,
      peak_bytes: 512 * 2 ** 20,
      full_vocab_estimate: { vocab: 151936, prefill_tps: 4000, decode_tps: { '1': 90, '8': 600, '64': 2000 }, decode_64_over_1: 22.22, train_tps: 800 },
    },
  },
};

const peerFailed: SuitePart = { suite: 'peer', args: [], elapsed_s: 3.5, result: null, error: 'exit code 1: Cannot load onnxruntime-web' };

describe('assembleSuite', () => {
  it('collects the adapter, per-benchmark load, prefixed notes and failures', () => {
    const s = assembleSuite([kernels, model, peerFailed], { started: '2026-12-05T10:00:00.000Z', elapsed_s: 344.7, quick: false, extraNotes: ['first'] });
    expect(s.adapter).toBe(`${ADAPTER} — Dawn in Node`);
    expect(s.host.cpus).toBe(16);
    expect(s.host.loadavg_1m).toEqual([
      { suite: 'kernels', start: 0.5, end: 1.25 },
      { suite: 'model', start: 1, end: 2 },
    ]);
    expect(s.notes).toEqual(['first', 'model: vocabulary capped from 151936 to 74880 rows: ...', 'peer: FAILED: exit code 1: Cannot load onnxruntime-web']);
    expect(s.parts).toHaveLength(3);
  });

  it('notes a reduced vocabulary even when the model benchmark did not', () => {
    const quiet: SuitePart = { ...model, result: { ...model.result!, notes: [] } };
    expect(assembleSuite([quiet], { started: 'x', elapsed_s: 1, quick: true }).notes).toEqual(['model: measured with 74880 of 151936 vocabulary rows']);
  });
});

describe('suiteMarkdown', () => {
  const md = suiteMarkdown(assembleSuite([kernels, model, peerFailed], { started: '2026-12-05T10:00:00.000Z', elapsed_s: 344.7, quick: false }));

  it('has an overview row per benchmark with its args, time, load and status', () => {
    expect(md).toContain('# GPU suite\n');
    expect(md).toContain('| kernels | - | 101.20 | 0.50 | 1.25 | ok |');
    expect(md).toContain('| model | --layers=24 | 240 | 1 | 2 | ok |');
    expect(md).toContain('| peer | - | 3.50 | - | - | failed |');
  });

  it('tabulates kernels (missing values as -), sampling, model with the full-vocabulary estimate, and the failure', () => {
    expect(md).toContain('| matmul.decode | 1x896x896 | f32 | 12.50 | 11 | 9.75 | - | 0.13 | ok |');
    expect(md).toContain('| attention.forward | B=1 Hq=14 Hkv=2 T=256 D=64 | f32 | 40 | - | - | - | 1.50 | - |');
    expect(md).toContain('| sample.topk | 151936 | 8 | 20 | 0.80 | 1.20 | 3.60 | 3 | true |');
    expect(md).toContain('| measure | measured | est. full vocab (151936) |');
    expect(md).toContain('| decode batch 64 | 2500 | 2000 |');
    expect(md).toContain('| decode 64 / 1 | 25 | 22.22 |');
    expect(md).toContain('24 layers, vocabulary 74880 of 151936, f16 weights');
    expect(md).toContain('Peak pool bytes: 512.0 MiB.');
    expect(md).toContain('## peer\n\nFailed: exit code 1: Cannot load onnxruntime-web');
    expect(md).toContain('- peer: FAILED: exit code 1');
  });

  it('tabulates the peer rows', () => {
    const peer: SuitePart = {
      suite: 'peer',
      args: ['--quick'],
      elapsed_s: 50,
      error: null,
      result: {
        model: { shapes: 'tiny Qwen2 (quick)', layers: 2, vocab: 512, vocab_requested: 512, ours_weights_dtype: 'f16' },
        ort: { version: '1.31.0' },
        results: [
          { batch: 1, engine: 'ours', tps: 100.5, step_ms: 4.78, ours_over: 1, tokens_match_ours: 1 },
          { batch: 1, engine: 'ort_f32', tps: 61.238, step_ms: 11.24, ours_over: 1.641, tokens_match_ours: 1 },
        ],
      },
    };
    const text = suiteMarkdown(assembleSuite([peer], { started: 's', elapsed_s: 50, quick: true }));
    expect(text).toContain('# GPU suite (quick)');
    expect(text).toContain('onnxruntime-web 1.31.0.');
    expect(text).toContain('| 1 | ort_f32 | 61.24 | 11.24 | 1.64 | 1 |');
  });
});

describe('parseSuiteArgs', () => {
  const now = new Date('2026-12-05T10:11:12.345Z');
  it('defaults: full depth for the model, a timestamped folder under runs/', () => {
    const c = parseSuiteArgs([], now);
    expect(c.out).toBe('runs/gpu-suite/2026-12-05T10-11-12');
    expect(c.only).toEqual(['kernels', 'model', 'peer']);
    expect(c.args).toEqual({ kernels: [], model: ['--layers=24'], peer: [] });
  });

  it('--quick passes --quick to each; --*-args append; --only and --out', () => {
    const c = parseSuiteArgs(['--quick', '--out=docs/x', '--only=model,peer', '--model-args=--batches=1,8 --decode-steps=4', '--timeout-s=90'], now);
    expect(c.args.model).toEqual(['--quick', '--batches=1,8', '--decode-steps=4']);
    expect(c.args.peer).toEqual(['--quick']);
    expect(c.only).toEqual(['model', 'peer']);
    expect(c.out).toBe('docs/x');
    expect(c.timeoutS).toBe(90);
  });

  it('names a bad option', () => {
    expect(() => parseSuiteArgs(['--only=model,gpu'])).toThrow(/--only=model,gpu/);
    expect(() => parseSuiteArgs(['--foo'])).toThrow(/unknown or malformed option '--foo'/);
  });
});
