// Split decode attention over a KV cache on Node + Dawn: f32 and f16 caches against the float64
// references (one chunk and forced splits, masks, GQA, odd head dims), the fused K / V cache write,
// the split policy and bad-input errors.
import { beforeAll, describe, it } from 'vitest';
import { Gpu } from '../../src/gpu';
import { NO_F16 } from '../shared/check';
import { checkDecodeErrors, checkDecodeF16, checkDecodeF32, checkDecodeMasked, checkDecodeSplitPolicy, checkKvWrite } from '../shared/checks/attention-decode';
import { getTestGpu } from '../shared/gpu-env';
import { resolveKvDtype } from '../../src/model/kvcache';
import { expectError } from '../shared/check';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('attention.decode', () => {
  it('f32 cache: one chunk and forced splits match attentionForwardRef and the chunked reference (masks, GQA 1/2/7/40, D 6/8/24/64/128)', () => checkDecodeF32(gpu));
  it('a slot with no visible key gives exactly zero, split or not', () => checkDecodeMasked(gpu));
  it('f16 cache matches the references on the rounded keys / values', (ctx) => {
    ctx.skip(!gpu.f16, NO_F16);
    return checkDecodeF16(gpu);
  });
  it('f32 cache write is bit-exact (scatter, gather + scatter)', () => checkKvWrite(gpu, false));
  it('f16 cache write rounds to nearest even (odd head dim)', (ctx) => {
    ctx.skip(!gpu.f16, NO_F16);
    return checkKvWrite(gpu, true);
  });
  it("without shader-f16 an f16 cache is refused and 'auto' gives f32", async () => {
    // a device created without the feature, whatever the adapter has
    const plain = gpu.f16 ? await Gpu.create({ disableFeatures: ['shader-f16'] }) : gpu;
    try {
      expectError(() => resolveKvDtype(plain, 'f16'), /KVCache: an f16 cache needs the adapter's shader-f16 feature.*use 'f32' or 'auto'/, 'f16 cache without shader-f16');
      if (resolveKvDtype(plain, 'auto') !== 'f32') throw new Error("KVCache: 'auto' without shader-f16 should be f32");
    } finally {
      if (plain !== gpu) plain.destroy();
    }
  });
  it('split policy: long caches at small batches split, short caches and full batches do not', () => checkDecodeSplitPolicy(gpu));
  it('rejects bad inputs with errors naming the kernel', () => checkDecodeErrors(gpu));
});
