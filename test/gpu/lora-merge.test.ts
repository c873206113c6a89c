// LoRA merge on Node + Dawn: f32 and f16 weights against the float64 reference, unmerge, errors.
// No backward (merged weights are only sampled from), so no gradient check.
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { HAS_F16, NO_F16 } from '../shared/check';
import { checkLoraMerge, checkLoraMergeErrors, checkLoraMergeF16, checkLoraMergeF16Refusal } from '../shared/checks/lora_merge';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('lora_merge', () => {
  it('W += scale * B A matches the reference, and -scale unmerges (f32)', () => checkLoraMerge(gpu));
  it('f16 weights round once', (ctx) => {
    ctx.skip(!gpu.f16, NO_F16);
    return checkLoraMergeF16(gpu);
  });
  it('without shader-f16, f16 weights are refused with the kernel named', (ctx) => {
    ctx.skip(gpu.f16, HAS_F16);
    checkLoraMergeF16Refusal(gpu);
  });
  it('rejects bad shapes, dtypes and scale with the kernel name', () => checkLoraMergeErrors(gpu));
});
