// Residual add on Node + Dawn: forward, backward (reference and finite differences), errors, debug mode.
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { checkAddBackward, checkAddErrors, checkAddForward, checkDebugNonFinite } from '../shared/checks/add';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('add', () => {
  it('forward matches the reference at a ragged size', () => checkAddForward(gpu));
  it('backward matches the reference and finite differences', () => checkAddBackward(gpu));
  it('rejects mismatched shapes with the kernel name', () => checkAddErrors(gpu));
  it('debug mode names the kernel that produced a non-finite value', () => checkDebugNonFinite(gpu));
});
