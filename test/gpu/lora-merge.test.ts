// LoRA merge on Node + Dawn: f32 and f16 weights against the float64 reference, unmerge, errors.
// No backward (merged weights are only sampled from), so no gradient check.
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { checkLoraMerge, checkLoraMergeErrors, checkLoraMergeF16 } from '../shared/checks/lora_merge';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('lora_merge', () => {
  it('W += scale * B A matches the reference, and -scale unmerges (f32)', () => checkLoraMerge(gpu));
  it('f16 weights round once (or the clear refusal without shader-f16)', () => checkLoraMergeF16(gpu));
  it('rejects bad shapes, dtypes and scale with the kernel name', () => checkLoraMergeErrors(gpu));
});
