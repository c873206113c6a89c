// Load-time validation of a model folder: a weight that is NaN or infinite, a special token id
// outside the vocabulary and a generation_config.json that does not parse are refused with the
// tensor or field named; an intact folder loads. Non-finite values are found in f32 and f16 data.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { compactCharTokenizer } from '../../src/io/char-tokenizer';
import { MemoryFolderSource } from '../../src/io/folder';
import { parseModelConfig } from '../../src/model/config';
import { initWeights } from '../../src/model/init';
import { checkTokenIds, loadModelFolder } from '../../src/model/load';
import { nonFinite } from '../../src/model/weights';
import { modelFolderFiles, pretrainConfigJson } from '../../src/pretrain/folder';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

const tok = compactCharTokenizer();
const shape = { hidden: 32, layers: 1, heads: 2, kvHeads: 1, intermediate: 64, maxPositions: 128 };

/** A tiny model folder in memory; `edit` changes its weights or files before they are encoded. */
function folder(edit: { weights?: (w: Map<string, Float32Array>) => void; files?: (f: Record<string, Uint8Array>) => void } = {}): MemoryFolderSource {
  const cfg = pretrainConfigJson(shape, tok);
  const { weights } = initWeights(parseModelConfig(cfg), { seed: 1 });
  edit.weights?.(weights);
  const enc = new TextEncoder();
  const files = Object.fromEntries(Object.entries(modelFolderFiles(cfg, weights, tok)).map(([k, v]) => [k, typeof v === 'string' ? enc.encode(v) : v]));
  edit.files?.(files);
  return new MemoryFolderSource(files, 'the test folder');
}

describe('loading a model folder', () => {
  it('loads an intact folder', async () => {
    const m = await loadModelFolder(gpu, folder());
    expect(m.config.hiddenSize).toBe(32);
    m.release();
  });

  it('refuses a weight holding NaN or Infinity, naming the tensor, the count and the first index', async () => {
    const nan = folder({ weights: (w) => { const t = w.get('model.layers.0.mlp.up_proj.weight')!; t[17] = NaN; t[20] = NaN; } });
    await expect(loadModelFolder(gpu, nan)).rejects.toThrow(/'model\.layers\.0\.mlp\.up_proj\.weight' holds 2 non-finite value\(s\) \(the first at flat index 17: NaN\); the checkpoint is corrupt/);
    const inf = folder({ weights: (w) => { w.get('model.norm.weight')![0] = -Infinity; } });
    await expect(loadModelFolder(gpu, inf)).rejects.toThrow(/'model\.norm\.weight' holds 1 non-finite value\(s\) \(the first at flat index 0: -Infinity\)/);
  });

  it('refuses special token ids outside the vocabulary and a generation_config.json that does not parse', async () => {
    const setJson = (name: string, f: (j: Record<string, unknown>) => void) => (files: Record<string, Uint8Array>) => {
      const j = JSON.parse(new TextDecoder().decode(files[name]));
      f(j);
      files[name] = new TextEncoder().encode(JSON.stringify(j));
    };
    await expect(loadModelFolder(gpu, folder({ files: setJson('generation_config.json', (j) => (j.eos_token_id = 999)) }))).rejects.toThrow(/the test folder: eos_token_id 999 outside the vocabulary \(vocab_size 56\); fix config\.json/);
    await expect(loadModelFolder(gpu, folder({ files: setJson('generation_config.json', (j) => (j.bos_token_id = 56)) }))).rejects.toThrow(/bos_token_id 56 outside the vocabulary/);
    const truncated = folder({ files: (f) => (f['generation_config.json'] = f['generation_config.json'].slice(0, 20)) });
    await expect(loadModelFolder(gpu, truncated)).rejects.toThrow(/generation_config\.json in the test folder is not valid JSON/);
    // Absent, it is optional.
    const m = await loadModelFolder(gpu, folder({ files: (f) => delete f['generation_config.json'] }));
    m.release();
  });
});

describe('nonFinite', () => {
  it('finds NaN and infinities in f32 values, f16 bit patterns and plain arrays', () => {
    expect(nonFinite(new Float32Array([1, 2, 3]))).toBeNull();
    expect(nonFinite(new Float32Array([1, Infinity, NaN]))).toEqual({ count: 2, index: 1, value: 'Infinity' });
    // f16: 0x3c00 = 1, 0x7c00 = +Inf, 0xfc00 = -Inf, 0x7e00 = NaN, 0x7bff = 65504 (largest finite)
    expect(nonFinite(new Uint16Array([0x3c00, 0x7bff]))).toBeNull();
    expect(nonFinite(new Uint16Array([0x3c00, 0xfc00, 0x7e00]))).toEqual({ count: 2, index: 1, value: '-Infinity' });
    expect(nonFinite(new Uint16Array([0x7e00]))).toEqual({ count: 1, index: 0, value: 'NaN' });
    expect(nonFinite([0, -0, 1e38])).toBeNull();
    expect(nonFinite([0, NaN])).toEqual({ count: 1, index: 1, value: 'NaN' });
  });

  it('checkTokenIds accepts ids inside the vocabulary', () => {
    expect(() => checkTokenIds(parseModelConfig(pretrainConfigJson(shape, tok)), 'x')).not.toThrow();
  });
});
