// Loading a checkpoint without a host copy of its largest matrices, and in the checkpoint's own precision:
// - the embedding / lm_head stream piece by piece into their row blocks (pieces smaller than a block and
//   straddling block edges) and hold exactly what loading them whole holds, in f16 and f32;
// - modelDtype 'auto' keeps a bf16 / f16 checkpoint in f16 where the adapter has shader-f16, and loads an
//   f32 checkpoint, or any checkpoint on an adapter without f16, in f32;
// - bad values are named with their flat index across pieces (and a refused load releases what it took),
//   and a bf16 value beyond f16's range names the fix (modelDtype "f32"), which then loads it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Gpu, readWeight, type RowBlocks } from '../../src/gpu';
import { MemoryFolderSource, NodeFolderSource } from '../../src/io/folder';
import { writeSafetensors } from '../../src/io/safetensors-write';
import type { StDtype } from '../../src/io/safetensors-format';
import { loadBaseModel } from '../../src/int/model';
import { loadModelFolder } from '../../src/model/load';
import { buildParamTable } from '../../src/model/params';
import { parseModelConfig } from '../../src/model/config';
import { getTestGpu } from '../shared/gpu-env';

const QWEN3 = join(__dirname, '../fixtures/models/tiny-qwen3'); // bf16, vocab 151,936 x 32, tied

let gpu: Gpu;
let capped: Gpu; // 4 MiB bindings: the tiny-qwen3 embedding splits into 5 blocks
let noF16: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
  capped = await Gpu.create({ maxStorageBufferBindingSize: 4 * 1024 * 1024 });
  noF16 = await Gpu.create({ disableFeatures: ['shader-f16'] });
});
afterAll(() => {
  capped?.destroy();
  noF16?.destroy();
});

const CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 16,
  intermediate_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  vocab_size: 300,
  max_position_embeddings: 64,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  tie_word_embeddings: false,
  bos_token_id: 1,
  eos_token_id: 2,
};

/** An in-memory model folder of CONFIG with seeded weights, matrices stored as `dtype` (1-D ones F32); `edit` changes values first. */
function folder(dtype: StDtype, edit: (name: string, v: Float32Array) => void = () => {}): MemoryFolderSource {
  const table = buildParamTable(parseModelConfig(CONFIG));
  let s = 7;
  const tensors = table.entries.map((e) => {
    const v = new Float32Array(e.numel);
    const norm = e.shape.length === 1;
    for (let i = 0; i < v.length; i++) v[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * (norm ? 0.2 : 1) + (norm ? 1 : 0);
    edit(e.name, v);
    return { name: e.name, shape: e.shape, dtype: norm ? ('F32' as const) : dtype, data: v };
  });
  const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
  return new MemoryFolderSource({ 'config.json': enc(CONFIG), 'tokenizer.json': enc({ model: { vocab: {} } }), 'model.safetensors': writeSafetensors(tensors) }, `a ${dtype} test folder`);
}

describe('row-blocked matrices stream into their blocks', () => {
  for (const dtype of ['f16', 'f32'] as const) {
    it(`tiny-qwen3 (bf16) in 5 blocks, ${dtype}: pieces of 1,000 bytes give the weights loading them whole gives`, async (ctx) => {
      if (dtype === 'f16' && !capped.f16) ctx.skip('this adapter has no shader-f16');
      const whole = await loadModelFolder(capped, new NodeFolderSource(QWEN3), { dtype, wholeRows: true });
      const streamed = await loadModelFolder(capped, new NodeFolderSource(QWEN3), { dtype, pieceBytes: 1000 });
      try {
        const embed = streamed.weights.embed as RowBlocks;
        expect(embed.count).toBe(5);
        expect(embed.dtype).toBe(dtype);
        const [a, b] = [await readWeight(capped, whole.weights.embed), await readWeight(capped, embed)];
        expect(b.length).toBe(151936 * 32);
        let diff = 0;
        for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff++;
        expect(diff).toBe(0);
        // the other tensors (taken whole either way) match too
        const name = 'model.layers.1.mlp.down_proj.weight';
        expect(await readWeight(capped, streamed.weights.byName.get(name)!)).toEqual(await readWeight(capped, whole.weights.byName.get(name)!));
      } finally {
        whole.release();
        streamed.release();
      }
    });
  }

  it('an untied lm_head and embedding stream too, and a NaN in a later piece is named by its flat index', async () => {
    const src = folder('F32');
    const m = await loadModelFolder(gpu, src, { dtype: 'f32', pieceBytes: 512 });
    const host = await loadModelFolder(gpu, src, { dtype: 'f32', wholeRows: true });
    try {
      expect(await readWeight(gpu, m.weights.lmHead)).toEqual(await readWeight(gpu, host.weights.lmHead));
      expect(await readWeight(gpu, m.weights.embed)).toEqual(await readWeight(gpu, host.weights.embed));
    } finally {
      m.release();
      host.release();
    }
    const bad = folder('F32', (n, v) => void (n === 'lm_head.weight' && (v[1000] = Number.NaN)));
    await gpu.sync(); // buffers released before a submit return to the pool at the next one
    const inUse = gpu.poolStats().inUse;
    await expect(loadModelFolder(gpu, bad, { dtype: 'f32', pieceBytes: 512 })).rejects.toThrow(/'lm_head\.weight' holds 1 non-finite value\(s\) \(the first at flat index 1000: NaN\); the checkpoint is corrupt/);
    await gpu.sync();
    expect(gpu.poolStats().inUse).toBe(inUse); // the tensors and half-filled blocks of a refused load are released
  });
});

describe("modelDtype 'auto'", () => {
  it('keeps a bf16 or f16 checkpoint in f16 on an adapter with shader-f16, and an f32 checkpoint in f32', async (ctx) => {
    if (!gpu.f16) ctx.skip('this adapter has no shader-f16: the f32 fallback is checked on a device without it below');
    const q = await loadModelFolder(gpu, new NodeFolderSource(QWEN3), { dtype: 'auto' });
    const f = await loadModelFolder(gpu, folder('F32'), { dtype: 'auto' });
    const h = await loadModelFolder(gpu, folder('F16'), { dtype: 'auto' });
    try {
      expect([q.weights.dtype, f.weights.dtype, h.weights.dtype]).toEqual(['f16', 'f32', 'f16']);
      expect(q.weights.layers[0].q.dtype).toBe('f16');
      expect(q.weights.norm.dtype).toBe('f32'); // 1-D weights stay f32
    } finally {
      q.release();
      f.release();
      h.release();
    }
  });

  it('loads every checkpoint in f32 on an adapter without shader-f16, and refuses a forced f16 there', async () => {
    expect(noF16.f16).toBe(false);
    const q = await loadModelFolder(noF16, new NodeFolderSource(QWEN3), { dtype: 'auto' });
    try {
      expect(q.weights.dtype).toBe('f32');
    } finally {
      q.release();
    }
    await expect(loadBaseModel(noF16, new NodeFolderSource(QWEN3), 'tiny-qwen3', 'f16')).rejects.toThrow(/modelDtype "f16" needs an adapter with shader-f16.*use modelDtype "auto" or "f32"/);
  });

  it('a bf16 value beyond f16 range names modelDtype "f32", which loads it', async (ctx) => {
    if (!gpu.f16) ctx.skip('this adapter has no shader-f16');
    const big = folder('BF16', (n, v) => void (n === 'model.layers.0.mlp.up_proj.weight' && (v[5] = 1e6)));
    await expect(loadModelFolder(gpu, big, { dtype: 'auto' })).rejects.toThrow(
      /'model\.layers\.0\.mlp\.up_proj\.weight' holds 1 non-finite value\(s\) \(the first at flat index 5: Infinity\); a bf16 checkpoint's values beyond f16's range .* load it in f32 \(modelDtype "f32"\)/,
    );
    const ok = await loadModelFolder(gpu, big, { dtype: 'f32' });
    try {
      expect(ok.weights.dtype).toBe('f32');
      const up = await readWeight(gpu, ok.weights.layers[0].up);
      expect(Math.abs(up[5] - 1e6) / 1e6).toBeLessThan(4e-3); // bf16 rounding
    } finally {
      ok.release();
    }
  });
});
