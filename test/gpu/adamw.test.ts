// AdamW step: against the float64 PyTorch-formula reference over several steps, the reference against its
// closed form, the GPU-side gradient scale (and skipped steps) and bad inputs (checks in test/shared/checks).
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import * as c from '../shared/checks/adamw';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('adamw', () => {
  it('five steps match the reference (param, m, v)', () => c.checkAdamwMatchesRef(gpu));
  it('the reference equals the closed form of steps 1 and 2', () => c.checkAdamwRefClosedForm(gpu));
  it('gradScaleTensor scales on the GPU; NaN / Inf skips the step', () => c.checkAdamwScaleTensor(gpu));
  it('rejects bad inputs naming the kernel', () => c.checkAdamwBadInputs(gpu));
});
