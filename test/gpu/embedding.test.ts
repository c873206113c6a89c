// Embedding on Node + Dawn: gather forward, atomic-free scatter backward, out-of-range ids, f16 tables, errors.
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import {
  checkEmbeddingBackward,
  checkEmbeddingErrors,
  checkEmbeddingF16,
  checkEmbeddingForward,
  checkEmbeddingGpuFiniteDiff,
  checkEmbeddingIdsDebug,
  checkEmbeddingRefGrad,
} from '../shared/checks/embedding';
import { HAS_F16, NO_F16 } from '../shared/check';
import { checkF16Refusals } from '../shared/checks/f16-refusal';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('embedding', () => {
  it('forward gathers rows (u32 and i32 ids; out-of-range ids give zero rows)', () => checkEmbeddingForward(gpu));
  it('f16 table matches the reference', (ctx) => {
    ctx.skip(!gpu.f16, NO_F16);
    return checkEmbeddingF16(gpu);
  });
  it('without shader-f16, f16 weights are refused with the kernel named (matmul, rmsnorm, embedding)', (ctx) => {
    ctx.skip(gpu.f16, HAS_F16);
    checkF16Refusals(gpu);
  });
  it('reference backward matches float64 finite differences', () => checkEmbeddingRefGrad());
  it('GPU backward matches the reference (repeated and out-of-range ids, overwrite, accumulate)', () => checkEmbeddingBackward(gpu));
  it('GPU forward finite differences agree with the backward', () => checkEmbeddingGpuFiniteDiff(gpu));
  it('the debug id check names the first out-of-range id', () => checkEmbeddingIdsDebug(gpu));
  it('rejects bad shapes and dtypes with the kernel name', () => checkEmbeddingErrors(gpu));
});
