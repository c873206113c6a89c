// Without shader-f16, kernels given f16 weights refuse with an error naming the kernel and the missing
// feature (instead of reading halves as garbage). Runs only on adapters without shader-f16.
import type { Gpu } from '../../../src/gpu';
import { embeddingForward } from '../../../src/kernels/embedding';
import { matmul } from '../../../src/kernels/matmul';
import { rmsnormForward } from '../../../src/kernels/rmsnorm';
import { expectError } from '../check';

export function checkF16Refusals(gpu: Gpu): void {
  if (gpu.f16) throw new Error('checkF16Refusals needs an adapter without shader-f16; skip it with ctx.skip(gpu.f16, HAS_F16)');
  const b = gpu.upload([1, 2, 3, 4], [2, 2], 'f16');
  expectError(() => matmul(gpu, gpu.empty([2, 2]), gpu.zeros([2, 2]), b), /matmul: b is f16 but this adapter has no 'shader-f16'/, 'matmul f16 without shader-f16');
  b.release();
  const tw = gpu.upload([1, 2], [2], 'f16');
  expectError(() => rmsnormForward(gpu, gpu.empty([1, 2]), gpu.empty([1]), gpu.zeros([1, 2]), tw, 1e-6), /rmsnorm.forward: weight is f16 but this adapter has no shader-f16/, 'rmsnorm f16 without shader-f16');
  tw.release();
  const t = gpu.upload([1, 2], [1, 2], 'f16');
  const ids = gpu.upload([0], [1], 'u32');
  expectError(() => embeddingForward(gpu, gpu.empty([1, 2]), ids, t), /embedding.forward: table is f16 but this adapter has no shader-f16/, 'embedding f16 without shader-f16');
  t.release();
  ids.release();
}
