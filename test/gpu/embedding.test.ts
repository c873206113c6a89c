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
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('embedding', () => {
  it('forward gathers rows (u32 and i32 ids; out-of-range ids give zero rows)', () => checkEmbeddingForward(gpu));
  it('f16 table matches the reference', () => checkEmbeddingF16(gpu));
  it('reference backward matches float64 finite differences', () => checkEmbeddingRefGrad());
  it('GPU backward matches the reference (repeated and out-of-range ids, overwrite, accumulate)', () => checkEmbeddingBackward(gpu));
  it('GPU forward finite differences agree with the backward', () => checkEmbeddingGpuFiniteDiff(gpu));
  it('the debug id check names the first out-of-range id', () => checkEmbeddingIdsDebug(gpu));
  it('rejects bad shapes and dtypes with the kernel name', () => checkEmbeddingErrors(gpu));
});
