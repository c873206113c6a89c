// Batched KV-cache generation: greedy output equals the argmax of full re-forwards token by token for
// ragged prompts; shared-prefill groups equal independent prompts; seeded reproducibility; sampling
// log-probs equal the training forward's log-probs; eos / stop strings / length; abort frees memory.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import type { Decoder } from '../../src/model/decoder';
import { generate, promptsFromPadded, type GeneratedSample } from '../../src/model/generate';
import { getTestGpu } from '../shared/gpu-env';
import { gpuModel, loadFixture, randomIds, randomModel, smallConfig } from './model-fixtures';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

const PROMPT_LENS = [2, 5, 3];

function prompts(V: number, seed: number, lens = PROMPT_LENS): number[][] {
  return lens.map((n, i) => randomIds(n, V, seed + i));
}

/** Right-padded batch of full sequences (targets unused). */
function seqBatch(seqs: number[][]) {
  const T = Math.max(...seqs.map((s) => s.length));
  const ids = new Array<number>(seqs.length * T).fill(0);
  seqs.forEach((s, b) => s.forEach((id, t) => (ids[b * T + t] = id)));
  return { B: seqs.length, T, ids, targets: ids, lengths: seqs.map((s) => s.length) };
}

async function checkGreedy(model: Decoder, ps: number[][], maxNew: number): Promise<void> {
  const out = await generate(model, ps, { maxNewTokens: maxNew, temperature: 0, eosIds: [] });
  expect(out.map((o) => o.finishReason)).toEqual(ps.map(() => 'length'));
  const V = model.config.vocabSize;
  for (let t = 0; t < maxNew; t++) {
    const logits = await model.lastLogits(seqBatch(ps.map((p, i) => [...p, ...out[i].tokens.slice(0, t)])));
    ps.forEach((_, i) => {
      const row = logits.subarray(i * V, (i + 1) * V);
      let best = 0;
      for (let v = 1; v < V; v++) if (row[v] > row[best]) best = v;
      const m = row[best];
      const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
      expect(out[i].tokens[t], `prompt ${i} step ${t}`).toBe(best);
      expect(Math.abs(out[i].logprobs[t] - (row[best] - lse))).toBeLessThan(1e-4);
    });
  }
}

describe('generate', () => {
  it('greedy equals argmax of full re-forwards, ragged prompts (tiny-qwen2 with biases; qwen3 q/k norm)', async () => {
    const m = await loadFixture('tiny-qwen2');
    const model = gpuModel(gpu, m, 'f32');
    const ps = prompts(m.config.vocabSize, 3);
    // The same ragged prompts given as a left-padded grid.
    const grid = ps.flatMap((p) => [...new Array<number>(5 - p.length).fill(0), ...p]);
    expect(promptsFromPadded(grid, 3, 5, PROMPT_LENS, 'left')).toEqual(ps);
    await checkGreedy(model, ps, 6);
    model.weights.release();
    const q = randomModel(smallConfig('qwen3', { num_key_value_heads: 1 }), 6);
    const m3 = gpuModel(gpu, q, 'f32');
    await checkGreedy(m3, prompts(q.config.vocabSize, 8, [4, 1]), 5);
    m3.weights.release();
  });

  it('a shared-prefill group equals the same prompts given one by one; same seed same output', async () => {
    const m = await loadFixture('tiny-llama');
    const model = gpuModel(gpu, m, 'f32');
    const ps = prompts(m.config.vocabSize, 20, [3, 6]);
    // The fixture's random weights make a peaked distribution: a high temperature gives varied samples.
    const opts = { maxNewTokens: 7, temperature: 3, topP: 0.95, seed: 1234, eosIds: [] };
    const grouped = await generate(model, ps, { ...opts, groupSize: 3 });
    const single = await generate(model, [ps[0], ps[0], ps[0], ps[1], ps[1], ps[1]], opts);
    expect(grouped.map((g) => [g.prompt, g.sample])).toEqual([[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
    grouped.forEach((g, i) => {
      expect(g.tokens).toEqual(single[i].tokens);
      g.logprobs.forEach((lp, t) => expect(Math.abs(lp - single[i].logprobs[t])).toBeLessThan(1e-5));
    });
    // The samples of a group differ from each other (different noise per slot).
    expect(new Set(grouped.slice(0, 3).map((g) => g.tokens.join(','))).size).toBeGreaterThan(1);
    const again = await generate(model, ps, { ...opts, groupSize: 3 });
    expect(again.map((g) => g.tokens)).toEqual(grouped.map((g) => g.tokens));
    const other = await generate(model, ps, { ...opts, groupSize: 3, seed: 99 });
    expect(other.map((g) => g.tokens)).not.toEqual(grouped.map((g) => g.tokens));
    model.weights.release();
  });

  it('sampling log-probs equal the training forward at the same temperature (top-k sampling)', async () => {
    const m = await loadFixture('tiny-qwen2');
    const model = gpuModel(gpu, m, 'f32');
    const ps = prompts(m.config.vocabSize, 40);
    const out = await generate(model, ps, { maxNewTokens: 5, temperature: 0.8, topK: 20, seed: 5, eosIds: [] });
    const seqs = ps.map((p, i) => [...p, ...out[i].tokens]);
    const b = seqBatch(seqs);
    const targets = new Array<number>(b.ids.length).fill(0);
    seqs.forEach((s, i) => s.slice(1).forEach((id, t) => (targets[i * b.T + t] = id)));
    const fw = await model.logprobs({ ...b, targets }, { temperature: 0.8 });
    ps.forEach((p, i) => out[i].tokens.forEach((_, t) => expect(Math.abs(out[i].logprobs[t] - fw.logp[i * b.T + p.length - 1 + t])).toBeLessThan(1e-4)));
    model.weights.release();
  });

  it('finish reasons: eos (kept as last token), stop strings, length', async () => {
    const m = await loadFixture('tiny-llama');
    const model = gpuModel(gpu, m, 'f32');
    const ps = prompts(m.config.vocabSize, 60);
    const free = await generate(model, ps, { maxNewTokens: 6, temperature: 0, eosIds: [] });
    const eosId = free[1].tokens[2];
    const withEos = await generate(model, ps, { maxNewTokens: 6, temperature: 0, eosIds: [eosId] });
    const firstEos = (s: GeneratedSample, i: number) => free[i].tokens.indexOf(eosId);
    withEos.forEach((s, i) => {
      const k = firstEos(s, i);
      if (k < 0) expect(s).toMatchObject({ finishReason: 'length', tokens: free[i].tokens });
      else expect(s).toMatchObject({ finishReason: 'eos', tokens: free[i].tokens.slice(0, k + 1) });
    });
    expect(withEos[1].finishReason).toBe('eos');
    const decode = (ids: number[]) => ids.map((i) => String.fromCharCode(97 + (i % 26))).join('');
    const stop = decode(free[0].tokens.slice(2, 4));
    const withStop = await generate(model, ps, { maxNewTokens: 6, temperature: 0, eosIds: [], stop: [stop], decode });
    expect(withStop[0]).toMatchObject({ finishReason: 'stop', stopString: stop });
    expect(withStop[0].tokens.length).toBeLessThanOrEqual(4);
    expect(decode(withStop[0].tokens)).toContain(stop);
    await expect(generate(model, ps, { stop: ['x'] })).rejects.toThrow(/decode/);
    model.weights.release();
  });

  it('abort via AbortSignal rejects and returns every buffer to the pool', async () => {
    const q = randomModel(smallConfig('llama'), 2);
    const model = gpuModel(gpu, q, 'f32');
    await gpu.sync();
    const before = gpu.poolStats().inUse;
    const ac = new AbortController();
    const run = generate(model, prompts(q.config.vocabSize, 1), { maxNewTokens: 50, signal: ac.signal, onStep: (s) => s === 2 && ac.abort() });
    await expect(run).rejects.toThrow(/abort/i);
    await gpu.sync();
    expect(gpu.poolStats().inUse).toBe(before);
    model.weights.release();
  });
});
