// Global gradient norm and clip factor: reference agreement, overflow safety, NaN / Inf reporting, the
// clip -> AdamW chain without readback, and bad inputs (checks in test/shared/checks).
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import * as c from '../shared/checks/gradnorm';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('gradnorm', () => {
  it('matches the reference over ragged tensors', () => c.checkGradNormMatchesRef(gpu));
  it('is exact for magnitudes whose squares overflow or underflow f32', () => c.checkGradNormRange(gpu));
  it('reports NaN / Inf gradients in the norm', () => c.checkGradNormNonFinite(gpu));
  it('clipScale matches the reference', () => c.checkClipScale(gpu));
  it('gradNorm -> clipScale -> adamwStep needs no readback and skips NaN steps', () => c.checkClipChain(gpu));
  it('rejects bad inputs naming the kernel', () => c.checkGradNormBadInputs(gpu));
});
