// RoPE on Node + Dawn: forward (D=64, D=24, long positions, scaling), backward (transpose), errors.
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import {
  checkRopeBackward,
  checkRopeErrors,
  checkRopeForward,
  checkRopeGpuFiniteDiff,
  checkRopeInvFreq,
  checkRopeRefGrad,
} from '../shared/checks/rope';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('rope', () => {
  it('ropeInvFreq gives theta^(-2i/D)', () => checkRopeInvFreq());
  it('forward matches the reference (D=64, D=24, positions up to 40000, attention scaling)', () => checkRopeForward(gpu));
  it('reference backward matches float64 finite differences', () => checkRopeRefGrad());
  it('GPU backward matches the reference', () => checkRopeBackward(gpu));
  it('GPU forward finite differences agree with the backward', () => checkRopeGpuFiniteDiff(gpu));
  it('rejects in-place use, bad shapes, dtypes and scaling with the kernel name', () => checkRopeErrors(gpu));
});
