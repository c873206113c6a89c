// RMSNorm on Node + Dawn: forward, backward (reference, finite differences, accumulation), f16 weights, errors.
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import {
  checkRmsnormBackward,
  checkRmsnormErrors,
  checkRmsnormF16,
  checkRmsnormForward,
  checkRmsnormGpuFiniteDiff,
  checkRmsnormRefGrad,
} from '../shared/checks/rmsnorm';
import { NO_F16 } from '../shared/check';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('rmsnorm', () => {
  it('forward matches the reference at ragged shapes (C=45, C=300, per-head C=24), both row layouts', () => checkRmsnormForward(gpu));
  it('reference backward matches float64 finite differences (dX, dWeight)', () => checkRmsnormRefGrad());
  it('GPU backward matches the reference (dX, dWeight, accumulate, null dWeight), both row layouts', () => checkRmsnormBackward(gpu));
  it('f16 weights match a reference with f16-rounded weights', (ctx) => {
    ctx.skip(!gpu.f16, NO_F16);
    return checkRmsnormF16(gpu);
  });
  it('GPU forward finite differences agree with the backward, both row layouts', () => checkRmsnormGpuFiniteDiff(gpu));
  it('rejects bad shapes, dtypes, eps and aliasing with the kernel name', () => checkRmsnormErrors(gpu));
});
