// The model benchmark suite: a --quick run gives finite, positive throughputs and byte counts in the
// documented JSON shape (also through the CLI's --json last line); a vocabulary over the binding limit is
// measured whole, in row blocks; the built-in Qwen configs equal the published config.json files; bad
// options fail with a clear message.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gpu } from '../../src/gpu';
import { benchModel, parseModelArgs, type DecodeRow } from '../../src/cli/bench/model';
import type { TrainRow } from '../../src/cli/bench/train-rate';
import type { DecodeAttentionRow } from '../../src/cli/bench/decode-rate';
import { NO_F16 } from '../shared/check';
import { parseModelConfig } from '../../src/model/config';
import { QWEN2_5_0_5B, QWEN3_0_6B, QWEN3_4B } from '../../src/model/known-configs';
import { planTraining } from '../../src/model/memory';
import { getTestGpu } from '../shared/gpu-env';

const ROOT = join(__dirname, '../..');
const REAL = join(ROOT, 'test/fixtures/models/real');
const realJson = (name: string) => JSON.parse(readFileSync(join(REAL, name, 'config.json'), 'utf8')) as Record<string, unknown>;

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});
const capped: Gpu[] = [];
afterAll(() => capped.forEach((g) => g.destroy()));

const positive = (x: unknown) => {
  expect(typeof x).toBe('number');
  expect(Number.isFinite(x)).toBe(true);
  expect(x as number).toBeGreaterThan(0);
};

type Results = {
  load_ms: number;
  prefill_tps: number;
  decode_tps: Record<string, number>;
  train_tps: number;
  peak_bytes: number;
  weights_bytes: number;
  memory_plan: Record<string, number>;
  decode_64_over_1: number;
  decode_target_10x_holds: boolean;
};

/** The documented shape: suite, adapter, results with finite positive numbers. */
function checkShape(r: Record<string, unknown>, decodeKeys: string[]): Results {
  expect(r.suite).toBe('model');
  const adapter = r.adapter as { runtime: string; features: Record<string, boolean>; limits: Record<string, number> };
  expect(adapter.runtime).toBe('node');
  expect(typeof adapter.features.shaderF16).toBe('boolean');
  const res = r.results as Results;
  positive(res.load_ms);
  positive(res.prefill_tps);
  positive(res.train_tps);
  positive(res.peak_bytes);
  expect(Object.keys(res.decode_tps).sort()).toEqual([...decodeKeys].sort());
  for (const k of decodeKeys) positive(res.decode_tps[k]);
  expect(Object.keys(res.memory_plan).sort()).toEqual(['qwen3-0.6b', 'qwen3-4b']);
  for (const v of Object.values(res.memory_plan)) positive(v);
  return res;
}

describe('model benchmark', () => {
  it('--quick with a reduced vocabulary: every number finite and positive', async () => {
    const lines: string[] = [];
    const r = await benchModel(['--quick', '--vocab=256', '--decode-steps=2', '--train-steps=1', '--prefill-reps=1'], { gpu, log: (l) => lines.push(l) });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r); // plain JSON
    expect(lines.some((l) => /decode batch 64\b.*tokens\/s/.test(l))).toBe(true);
    const res = checkShape(r, ['1', '8', '64']);
    expect(res.peak_bytes).toBeGreaterThan(res.weights_bytes);
    positive(res.decode_64_over_1);
    expect(res.decode_target_10x_holds).toBe(res.decode_64_over_1 >= 10);
    expect(r.model).toMatchObject({ vocab: 256, vocab_requested: 512, vocab_blocks: { count: 1, rows_per_block: 256 } });
    // Memory plans: the planner on the published config.json files, seq 1024, rank 16, f16 weights.
    const opts = { seqLen: 1024, rank: 16, weights: 'f16' as const };
    expect(res.memory_plan['qwen3-0.6b']).toBe(planTraining(parseModelConfig(realJson('Qwen3-0.6B')), opts).totalBytes);
    expect(res.memory_plan['qwen3-4b']).toBe(planTraining(parseModelConfig(realJson('Qwen3-4B-Instruct-2507')), opts).totalBytes);
    expect(res.memory_plan['qwen3-4b']).toBeGreaterThan(3 * res.memory_plan['qwen3-0.6b']);
    // Training: LoRA and full fine-tune rows, each with its model FLOPs and its share of the products' rate.
    const train = (r.results as { train: TrainRow[] }).train;
    expect(train.map((t) => `${t.mode}:${t.seq}`)).toEqual(['lora:32', 'full:32']);
    for (const t of train) {
      for (const x of [t.tps, t.gflops, t.matmul_gflops, t.share_of_matmul, t.share_of_matmul_cpu, t.flops.matmul, t.flops.attention]) positive(x);
      expect(t.flops.total).toBe(t.flops.matmul + t.flops.lora + t.flops.attention);
      expect(t.counts_per_step.readbacks, t.mode).toBeGreaterThanOrEqual(1);
    }
    expect(res.train_tps).toBe(train[0].tps);
    // Full trains every weight: its products include dW, so 3 x forward against LoRA's < 2 x.
    const [lora, full] = train;
    expect(full.flops.matmul).toBeGreaterThan(1.5 * lora.flops.matmul);
    expect(lora.flops.lora).toBeGreaterThan(0);
    expect(full.trainable_params).toBe((r.model as { params: number }).params);
  });

  it('CLI: `bench model --quick --json` prints the result as one JSON object on its last line', () => {
    const out = spawnSync(process.execPath, ['--import', 'tsx', '--import', './scripts/register-raw.mjs', 'src/cli/bench.ts', 'model', '--quick', '--json', '--batches=1,4', '--decode-steps=2', '--train-steps=1', '--prefill-reps=1'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(out.status, out.stderr).toBe(0);
    const last = out.stdout.trim().split('\n').pop()!;
    const res = checkShape(JSON.parse(last), ['1', '4']);
    expect(res.decode_64_over_1).toBeNull(); // batch 64 not measured
  });

  it('a vocabulary over the binding limit is measured whole, in row blocks (engine limit capped at 32 KiB)', async () => {
    const small = await Gpu.create({ maxStorageBufferBindingSize: 32 * 1024 });
    capped.push(small);
    const r = await benchModel(['--quick', '--batches=1,4', '--decode-steps=2', '--train-steps=1', '--prefill-reps=1'], { gpu: small, log: () => {} });
    checkShape(r, ['1', '4']);
    // 512 x 64: rows of 256 f32 bytes, 128 per 32 KiB block.
    expect(r.model).toMatchObject({ vocab: 512, vocab_requested: 512, vocab_blocks: { count: 4, rows_per_block: 128 } });
    expect((r.notes as string[]).some((n) => /stored in 4 row blocks of 128 rows/.test(n))).toBe(true);
  });

  it('decode only, f32 and f16 KV: one submit and one readback per decode step, FLOP/s as a share of the matmul rate', async (ctx) => {
    ctx.skip(!gpu.f16, NO_F16);
    const r = await benchModel(['--quick', '--vocab=256', '--decode-steps=3', '--batches=1,4', '--kv=f32,f16', '--phases=decode', '--attn-keys=64'], { gpu, log: () => {} });
    const res = r.results as { prefill_tps: unknown; train_tps: unknown; decode_tps: Record<string, number>; decode: DecodeRow[]; decode_attention: DecodeAttentionRow[] };
    expect([res.prefill_tps, res.train_tps]).toEqual([null, null]);
    expect(Object.keys(res.decode_tps).sort()).toEqual(['1', '4']);
    expect(res.decode.map((d) => `${d.batch}:${d.kv}`)).toEqual(['1:f32', '1:f16', '4:f32', '4:f16']);
    for (const d of res.decode) {
      // The step's only readback is the sampled ids, and its work goes to the queue in one submission.
      expect(d.counts_per_step.submits, `B=${d.batch} ${d.kv}`).toBe(1);
      expect(d.counts_per_step.readbacks, `B=${d.batch} ${d.kv}`).toBe(1);
      positive(d.counts_per_step.dispatches);
      for (const x of [d.gflops, d.matmul_gflops, d.share_of_matmul, d.cpu_ms_per_step, d.share_of_matmul_cpu]) positive(x);
    }
    expect(res.decode_attention.map((a) => `${a.batch}:${a.keys}`)).toEqual(['1:64', '64:64']);
    for (const a of res.decode_attention) for (const x of [a.forward_ms, a.decode_f32_ms, a.decode_f16_ms, a.decode_f32_gbs]) positive(x);
    expect(() => parseModelArgs(['--kv=bf16'])).toThrow(/--kv takes f32, f16 or auto/);
    expect(() => parseModelArgs(['--phases=decode,sample'])).toThrow(/--phases takes prefill, decode, train.*got 'sample'/);
  });

  it('the built-in configs equal the published config.json files', () => {
    for (const [known, dir] of [[QWEN2_5_0_5B, 'Qwen2.5-0.5B-Instruct'], [QWEN3_0_6B, 'Qwen3-0.6B'], [QWEN3_4B, 'Qwen3-4B-Instruct-2507']] as const) {
      const json = realJson(dir);
      for (const [k, v] of Object.entries(known)) expect([dir, k, json[k]]).toEqual([dir, k, v]);
      expect(parseModelConfig(known)).toEqual(parseModelConfig(json));
    }
  });

  it('bad options fail with a message that says how to fix them', async () => {
    expect(() => parseModelArgs(['--layers=0'])).toThrow(/--layers=0.*positive integer/);
    expect(() => parseModelArgs(['--frobnicate'])).toThrow(/unknown or malformed option '--frobnicate'.*usage/);
    expect(() => parseModelArgs(['--dtype=bf16'])).toThrow(/--dtype must be f16 or f32/);
    expect(parseModelArgs(['--batches=2,16', '--layers=3'])).toMatchObject({ batches: [2, 16], layers: 3, trainSeq: [256], train: ['lora', 'full'], trainProfile: false, rank: 16 });
    expect(parseModelArgs(['--train-seq=64,256', '--train=full', '--train-profile'])).toMatchObject({ trainSeq: [64, 256], train: ['full'], trainProfile: true });
    expect(() => parseModelArgs(['--train=lora,qlora'])).toThrow(/--train takes lora, full or both.*got 'qlora'/);
    expect(() => parseModelArgs(['--train-seq=64,0'])).toThrow(/--train-seq=64,0.*positive integer/);
    expect(parseModelArgs(['--layers=all']).layers).toBe(24);
    const tiny = Object.create(gpu, { limits: { value: { ...gpu.limits, maxStorageBufferBindingSize: 128 } } }) as Gpu;
    await expect(benchModel(['--quick'], { gpu: tiny, log: () => {} })).rejects.toThrow(/model: .*one row of 64 f32 values is 256 bytes, over this adapter's maxStorageBufferBindingSize of 128/);
    await expect(benchModel(['--quick', '--vocab=1000'], { gpu, log: () => {} })).rejects.toThrow(/larger than the model's vocabulary \(512\)/);
  });
});
