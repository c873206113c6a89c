// A model whose embedding and lm_head are over the binding limit: a second device with the engine's binding
// limit capped at 32 KiB splits a 700 x 32 vocabulary (89.6 KB f32) into 3 row blocks (256, 256, 188 rows; the
// block edges fall inside the logprobs / sampling vocabulary chunk of 4096 and inside 11-row logits chunks).
// Log-probs, last logits, generation (also with more slots than one binding of logits holds), a LoRA step and
// a full fine-tune step agree with the same model on the
// uncapped device, and log-probs with the float64 reference.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Gpu, readWeight, type RowBlocks } from '../../src/gpu';
import { NodeFolderSource } from '../../src/io/folder';
import { generate } from '../../src/model/generate';
import { loadModelFolder } from '../../src/model/load';
import { readWeights } from '../../src/model/weights';
import type { Decoder } from '../../src/model/decoder';
import { LoraAdapter } from '../../src/model/lora';
import { referenceBatch } from '../../src/model/reference';
import { validateSftConfig } from '../../src/train/config';
import { Trainer, type SftExample } from '../../src/train/trainer';
import { getTestGpu } from '../shared/gpu-env';
import { gpuModel, maxDiff, randomBatch, randomModel, refModel, smallConfig, type HostModel } from './model-fixtures';
import { mapDiff } from './train-fixtures';

const LIMIT = 32 * 1024;
const V = 700;

let big: Gpu;
let small: Gpu;
beforeAll(async () => {
  big = await getTestGpu();
  small = await Gpu.create({ maxStorageBufferBindingSize: LIMIT });
});
afterAll(() => small?.destroy());

const models: Decoder[] = [];
afterAll(() => {
  for (const m of models) {
    m.adapter?.release();
    m.weights.release();
    m.release();
  }
});

function pair(m: HostModel, opts: { trainBase?: boolean } = {}): [Decoder, Decoder] {
  const dtype = 'f32';
  const out: [Decoder, Decoder] = [gpuModel(big, m, dtype, opts), gpuModel(small, m, dtype, opts)];
  models.push(...out);
  return out;
}

const tied = () => randomModel(smallConfig('qwen2', { vocab_size: V, tie_word_embeddings: true }), 21);
const untied = () => randomModel(smallConfig('llama', { vocab_size: V }), 22);

function sft(n: number): SftExample[] {
  return Array.from({ length: n }, (_, i) => ({
    prompt: [1, 250 + i * 37],
    completion: Array.from({ length: 6 + i }, (_, t) => (i * 131 + t * 97 + 251) % V),
  }));
}

async function mapOf(gpu: Gpu, entries: Iterable<[string, Parameters<typeof readWeight>[1]]>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, w] of entries) out.set(k, await readWeight(gpu, w));
  return out;
}

describe('a vocabulary over the binding limit (row blocks)', () => {
  it('the capped device reports the cap, and a plain tensor over it is refused with the fix named', () => {
    expect(small.limits.maxStorageBufferBindingSize).toBe(LIMIT);
    expect(() => small.empty([LIMIT / 4 + 1])).toThrow(/over this adapter's maxStorageBufferBindingSize of 32768; split it \(a matrix of whole rows: RowBlocks/);
  });

  for (const [name, make] of [['tied (qwen2)', tied], ['untied (llama)', untied]] as const) {
    it(`${name}: embedding in 3 blocks; log-probs match the reference and the unsplit model`, async () => {
      const m = make();
      const [a, b] = pair(m);
      const blocks = (b.weights.embed as RowBlocks).blocks.map((t) => t.shape[0]);
      expect(blocks).toEqual([256, 256, 188]);
      expect(a.weights.embed.count).toBe(1);
      expect(b.weights.lmHead.count).toBe(3);
      expect(b.chunkRows(24)).toBe(11); // 24 tokens in logits chunks of 11, 11, 2
      const batch = randomBatch(2, 12, V, 5, { lengths: [12, 9] });
      const [ga, gb] = [await a.logprobs(batch, { temperature: 0.8 }), await b.logprobs(batch, { temperature: 0.8 })];
      const want = referenceBatch(refModel(m), batch, { temperature: 0.8 });
      expect(maxDiff(gb.logp, want.logp)).toBeLessThan(1e-4);
      expect(maxDiff(gb.entropy, want.entropy)).toBeLessThan(1e-4);
      expect(maxDiff(gb.logp, ga.logp)).toBeLessThan(1e-5);
      expect(maxDiff(gb.entropy, ga.entropy)).toBeLessThan(1e-5);
      const la = await a.lastLogits(batch);
      const lb = await b.lastLogits(batch);
      expect(lb.length).toBe(2 * V);
      expect(maxDiff(lb, la)).toBeLessThan(1e-5);
    });
  }

  it('a bf16 checkpoint (tiny-qwen3, 151,936 x 32 tied) loads into 5 row blocks under a 4 MiB cap, f32 and f16', async () => {
    const mid = await Gpu.create({ maxStorageBufferBindingSize: 4 * 1024 * 1024 });
    const dir = join(__dirname, '../fixtures/models/tiny-qwen3');
    try {
      for (const dtype of big.f16 ? (['f32', 'f16'] as const) : (['f32'] as const)) {
        const [a, b] = [await loadModelFolder(big, new NodeFolderSource(dir), { dtype }), await loadModelFolder(mid, new NodeFolderSource(dir), { dtype })];
        try {
          expect(b.weights.embed.count).toBe(5); // 32,768 rows of 32 f32 values per 4 MiB block
          expect(b.weights.embed.blocks.map((t) => t.shape[0])).toEqual([32768, 32768, 32768, 32768, 20864]);
          const [wa, wb] = [await readWeights(big, a.weights), await readWeights(mid, b.weights)];
          expect(mapDiff(wb, wa).diff, 'every weight loads bit-identically').toBe(0);
          const batch = randomBatch(2, 6, a.config.vocabSize, 31, { lengths: [6, 4] }); // logits in chunks of 6 rows
          const [la, lb] = [await a.decoder.logprobs(batch), await b.decoder.logprobs(batch)];
          expect(maxDiff(lb.logp, la.logp), dtype).toBeLessThan(1e-5);
          expect(maxDiff(lb.entropy, la.entropy), dtype).toBeLessThan(1e-5);
        } finally {
          a.release();
          b.release();
        }
      }
    } finally {
      mid.destroy();
    }
  });

  it('generation (greedy and seeded top-k sampling) gives the same tokens and log-probs', async () => {
    const [a, b] = pair(untied());
    const prompts = [[1, 255, 256], [1, 511, 512, 513, 699], [1]];
    for (const opts of [{ temperature: 0 }, { temperature: 1, topK: 40, seed: 3 }, { temperature: 0.9, seed: 4 }]) {
      const ga = await generate(a, prompts, { ...opts, maxNewTokens: 6, eosIds: [] });
      const gb = await generate(b, prompts, { ...opts, maxNewTokens: 6, eosIds: [] });
      expect(gb.map((s) => s.tokens)).toEqual(ga.map((s) => s.tokens));
      expect(maxDiff(gb.flatMap((s) => s.logprobs), ga.flatMap((s) => s.logprobs))).toBeLessThan(1e-5);
    }
  });

  it('more slots than one binding of logits holds: sampled in row chunks, the same draws as one call', async () => {
    const [a, b] = pair(tied());
    const prompts = Array.from({ length: 7 }, (_, i) => [1, 100 * i + 5, 699 - i]); // 7 x 2 = 14 slots; 11 rows of logits fit
    for (const opts of [{ temperature: 1, seed: 9 }, { temperature: 0.7, topP: 0.9, seed: 10 }]) {
      const ga = await generate(a, prompts, { ...opts, groupSize: 2, maxNewTokens: 4, eosIds: [] });
      const gb = await generate(b, prompts, { ...opts, groupSize: 2, maxNewTokens: 4, eosIds: [] });
      expect(gb.map((s) => s.tokens)).toEqual(ga.map((s) => s.tokens));
      expect(maxDiff(gb.flatMap((s) => s.logprobs), ga.flatMap((s) => s.logprobs))).toBeLessThan(1e-5);
      expect(new Set(ga.map((s) => s.tokens.join(','))).size).toBeGreaterThan(7); // group members differ
    }
  });

  it('one LoRA SFT step gives the same adapter', async () => {
    const m = tied();
    const [a, b] = pair(m);
    const cfg = validateSftConfig({ batchSize: 3, optim: { lr: 1e-2, schedule: 'constant', warmupRatio: 0 } });
    const ts = [a, b].map((d) => {
      d.adapter = LoraAdapter.create(d.gpu, m.table, { rank: 4, alpha: 8, seed: 2 });
      return new Trainer(d, { config: cfg });
    });
    const [ra, rb] = [await ts[0].sftStep(sft(3)), await ts[1].sftStep(sft(3))];
    expect(rb.skipped).toBe(false);
    expect(Math.abs(rb.gradNorm! - ra.gradNorm!)).toBeLessThan(1e-5 * ra.gradNorm!);
    const [pa, pb] = [await mapOf(big, ts[0].params.map((p) => [p.name, p.value])), await mapOf(small, ts[1].params.map((p) => [p.name, p.value]))];
    const d = mapDiff(pb, pa);
    expect(d.diff).toBeLessThan(1e-6 + 1e-5 * d.scale);
  });

  it('full fine-tune: blocked embedding / lm_head gradients, AdamW steps and checkpoints match the unsplit model', async () => {
    const m = untied();
    const [a, b] = pair(m, { trainBase: true });
    expect((b.grads.get('model.embed_tokens.weight') as RowBlocks).count).toBe(3);
    const cfg = validateSftConfig({ batchSize: 3, optim: { lr: 1e-3, schedule: 'constant', warmupRatio: 0 } });
    const ts = [new Trainer(a, { config: cfg }), new Trainer(b, { config: cfg })];
    expect(ts[1].params.filter((p) => p.name.startsWith('model.embed_tokens.weight#')).map((p) => p.name)).toEqual(['model.embed_tokens.weight#0', 'model.embed_tokens.weight#1', 'model.embed_tokens.weight#2']);
    await ts[0].sftStep(sft(3));
    await ts[1].sftStep(sft(3));
    const [ga, gb] = [await mapOf(big, a.grads), await mapOf(small, b.grads)];
    for (const k of ['model.embed_tokens.weight', 'lm_head.weight']) {
      const scale = Math.max(...ga.get(k)!.map(Math.abs));
      expect(scale, `${k} has a gradient`).toBeGreaterThan(0);
      expect(maxDiff(gb.get(k)!, ga.get(k)!), k).toBeLessThan(1e-5 * scale);
    }
    const [wa, wb] = [await mapOf(big, a.weights.byName), await mapOf(small, b.weights.byName)];
    const d = mapDiff(wb, wa);
    expect(d.diff).toBeLessThan(1e-6);
    const w0 = m.weights.get('model.embed_tokens.weight')!;
    expect(maxDiff(wb.get('model.embed_tokens.weight')!, w0), 'the embedding trained').toBeGreaterThan(1e-4);

    // Checkpoints hold the HF tensors whatever the split: a blocked snapshot restores into the unsplit trainer
    // and the other way round, and both then take the same next step.
    const [sa, sb] = [await ts[0].snapshot(), await ts[1].snapshot()];
    expect([...sb.weights.keys()].sort()).toEqual([...sa.weights.keys()].sort());
    expect(sb.weights.get('model.embed_tokens.weight')!.shape).toEqual([V, 32]);
    expect([...sb.optim.m.keys()].some((k) => k.includes('#'))).toBe(false);
    ts[0].restore(sb);
    ts[1].restore(sa);
    await ts[0].sftStep(sft(3));
    await ts[1].sftStep(sft(3));
    const d2 = mapDiff(await mapOf(small, b.weights.byName), await mapOf(big, a.weights.byName));
    expect(d2.diff).toBeLessThan(1e-5);
  });
});
