// Row-blocked matrices on Node + Dawn: layout, round trips, embedding and the lm_head linear over blocks,
// copyRows column windows (the model-level split is checked in model-rowblocks.test.ts).
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { NO_F16 } from '../shared/check';
import { checkCopyRowsColumns, checkEmbeddingRowBlocks, checkLinearRowBlocks, checkRowBlockLayout, checkRowBlocksRoundTrip } from '../shared/checks/rowblocks';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('row blocks', () => {
  it('layout: whole f32 rows per block under the limit; one row over it is refused', () => checkRowBlockLayout());
  it('upload / read / write round trips (f32, f16)', () => checkRowBlocksRoundTrip(gpu));
  it('embedding gather and scatter over 4 blocks match the reference (edges, repeats, out of range)', () => checkEmbeddingRowBlocks(gpu));
  it('embedding over f16 blocks', (ctx) => {
    ctx.skip(!gpu.f16, NO_F16);
    return checkEmbeddingRowBlocks(gpu, true);
  });
  it('lm_head linear over vocabulary blocks: forward, dX, dW per block', () => checkLinearRowBlocks(gpu));
  it('lm_head linear over f16 vocabulary blocks', (ctx) => {
    ctx.skip(!gpu.f16, NO_F16);
    return checkLinearRowBlocks(gpu, true);
  });
  it('copyRows column windows match the reference', () => checkCopyRowsColumns(gpu));
});
