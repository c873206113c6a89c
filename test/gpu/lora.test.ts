// LoRA side path on Node + Dawn: forward into y, backward (reference, finite differences, accumulation), errors.
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { checkLoraBackward, checkLoraErrors, checkLoraForward, checkLoraGpuFiniteDiff, checkLoraRefGrad } from '../shared/checks/lora';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('lora', () => {
  it('forward adds scale * (x A^T) B^T into y and saves h (ragged shapes)', () => checkLoraForward(gpu));
  it('reference backward matches float64 finite differences (dX, dA, dB)', () => checkLoraRefGrad());
  it('GPU backward matches the reference (overwrite, accumulate, null dX)', () => checkLoraBackward(gpu));
  it('GPU forward finite differences agree with the backward (A and B)', () => checkLoraGpuFiniteDiff(gpu));
  it('rejects bad shapes, dtypes and scale with the kernel name', () => checkLoraErrors(gpu));
});
