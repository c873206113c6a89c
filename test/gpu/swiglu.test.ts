// SwiGLU on Node + Dawn: forward, backward (reference, finite differences), errors.
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { checkSwigluBackward, checkSwigluErrors, checkSwigluForward, checkSwigluGpuFiniteDiff } from '../shared/checks/swiglu';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('swiglu', () => {
  it('forward matches the reference at a ragged shape (incl. |gate| = 90)', () => checkSwigluForward(gpu));
  it('backward: reference vs float64 finite differences, GPU vs reference', () => checkSwigluBackward(gpu));
  it('GPU forward finite differences agree with the backward', () => checkSwigluGpuFiniteDiff(gpu));
  it('rejects bad shapes, dtypes and aliased outputs with the kernel name', () => checkSwigluErrors(gpu));
});
