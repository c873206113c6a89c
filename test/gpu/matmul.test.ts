// Matmul family on Node + Dawn: tiled kernels (every tile family, transposes, batches, ragged shapes),
// naive kernel, f16 B, linear forward/backward vs reference and finite differences, errors.
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import {
  checkLinear,
  checkLinearGpuFiniteDiff,
  checkMatmulAlphaAccumulate,
  checkMatmulDecode,
  checkMatmulEdges,
  checkMatmulErrors,
  checkMatmulF16,
  checkMatmulGridSplit,
  checkMatmulNaive,
  checkMatmulRefGrad,
  checkMatmulTiles,
} from '../shared/checks/matmul';
import { NO_F16 } from '../shared/check';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('matmul', () => {
  it('default and staged tiles x every transpose x shared/batched B match the reference (batch 3, 37x45x29); every named tile runs', () => checkMatmulTiles(gpu));
  it('edge shapes (1x1x1, K=1, N past a tile) match the reference', () => checkMatmulEdges(gpu));
  it('decode shapes (M = 1, 5) take the GEMV tiles and match the reference', () => checkMatmulDecode(gpu));
  it('alpha and accumulate; overwrite ignores what out held', () => checkMatmulAlphaAccumulate(gpu));
  it('f16 B matches a reference with f16-rounded B', (ctx) => {
    ctx.skip(!gpu.f16, NO_F16);
    return checkMatmulF16(gpu);
  });
  it('the naive kernel matches the reference and the tiled kernel', () => checkMatmulNaive(gpu));
  it('splits batches and row tiles past maxComputeWorkgroupsPerDimension', () => checkMatmulGridSplit(gpu));
  it('reference backward matches float64 finite differences', () => checkMatmulRefGrad());
  it('linearForward / linearBackward match the reference (accumulate, null grads, f16 weight)', () => checkLinear(gpu));
  it('GPU finite differences of linearForward agree with linearBackward', () => checkLinearGpuFiniteDiff(gpu));
  it('rejects bad shapes, dtypes, aliasing, tiles and limits with the kernel name', () => checkMatmulErrors(gpu));
});
