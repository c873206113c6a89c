// LoRA merge checks (f32 and f16 weights against the float64 reference, merge then unmerge, bad inputs),
// shared by the Node (Dawn) and browser (Chromium) test projects. The merge has no backward (merged
// weights are only sampled from), so there is no gradient check.
import { roundToHalf, type Gpu } from '../../../src/gpu';
import { loraMerge } from '../../../src/kernels/lora_merge';
import { loraMergeRef, type LoraMergeDims } from '../../../src/kernels/lora_merge.ref';
import { assertClose, expectError, needF16, randn } from '../check';

const DIMS: LoraMergeDims = { outF: 29, inF: 45, r: 8 };
const SCALE = 2; // lora_alpha / r, e.g. 16 / 8

function data(d: LoraMergeDims, seed: number, half: boolean) {
  return {
    W: randn(d.outF * d.inF, seed).map((v) => (half ? roundToHalf(v) : v)),
    A: randn(d.r * d.inF, seed + 1, 0.3),
    B: randn(d.outF * d.r, seed + 2, 0.3),
  };
}

async function mergeCase(gpu: Gpu, d: LoraMergeDims, half: boolean, seed: number): Promise<void> {
  const { W, A, B } = data(d, seed, half);
  const tW = gpu.upload(W, [d.outF, d.inF], half ? 'f16' : 'f32');
  const tA = gpu.upload(A, [d.r, d.inF]);
  const tB = gpu.upload(B, [d.outF, d.r]);
  const what = `lora.merge out=${d.outF} in=${d.inF} r=${d.r}${half ? ' f16 W' : ''}`;
  loraMerge(gpu, tW, tA, tB, SCALE);
  const ref = loraMergeRef(W, A, B, SCALE, d);
  // f16: the sum is formed in f32 and rounded once, so the result is the f16 neighbour of the reference.
  const tol = half ? { atol: 1e-4, rtol: 2 ** -10 } : { atol: 2e-6, rtol: 1e-5 };
  assertClose(await gpu.readF32(tW), half ? ref.map(roundToHalf) : ref, tol, `${what} merged`);
  loraMerge(gpu, tW, tA, tB, -SCALE);
  // Unmerge subtracts the same update again: f32 comes back to rounding, f16 within one more rounding.
  assertClose(await gpu.readF32(tW), W, half ? { atol: 2e-3, rtol: 2 ** -9 } : { atol: 1e-6, rtol: 1e-6 }, `${what} unmerged`);
  [tW, tA, tB].forEach((t) => t.release());
}

/** f32 weights at a ragged size and at a size spanning several workgroups; r = 1 and a large rank. */
export async function checkLoraMerge(gpu: Gpu): Promise<void> {
  await mergeCase(gpu, DIMS, false, 1);
  await mergeCase(gpu, { outF: 70, inF: 33, r: 1 }, false, 2);
  await mergeCase(gpu, { outF: 5, inF: 300, r: 32 }, false, 3);
}

/** f16 weights; needs an adapter with shader-f16. */
export async function checkLoraMergeF16(gpu: Gpu): Promise<void> {
  needF16(gpu, 'checkLoraMergeF16');
  await mergeCase(gpu, DIMS, true, 10);
}

/** Without shader-f16, f16 weights are refused with the kernel named. */
export function checkLoraMergeF16Refusal(gpu: Gpu): void {
  if (gpu.f16) throw new Error('checkLoraMergeF16Refusal needs an adapter without shader-f16');
  const tW = gpu.upload([1, 2], [1, 2], 'f16');
  const tA = gpu.zeros([1, 2]);
  const tB = gpu.zeros([1, 1]);
  expectError(() => loraMerge(gpu, tW, tA, tB, SCALE), /lora.merge: W is f16 but this adapter has no shader-f16/, 'f16 without shader-f16');
  [tW, tA, tB].forEach((t) => t.release());
}

export async function checkLoraMergeErrors(gpu: Gpu): Promise<void> {
  const W = gpu.zeros([6, 5]);
  const A = gpu.zeros([2, 5]);
  const B = gpu.zeros([6, 2]);
  const A4 = gpu.zeros([2, 4]);
  const B3 = gpu.zeros([6, 3]);
  const W3 = gpu.zeros([1, 6, 5]);
  const Wu = gpu.zeros([6, 5], 'u32');
  expectError(() => loraMerge(gpu, Wu, A, B, SCALE), /lora.merge: W must be f32 or f16/, 'W dtype');
  expectError(() => loraMerge(gpu, W3, A, B, SCALE), /lora.merge: W must be \(out_features, in_features\)/, 'W rank');
  expectError(() => loraMerge(gpu, W, A4, B, SCALE), /lora.merge: A must have shape \[\*, 5\]/, 'A shape');
  expectError(() => loraMerge(gpu, W, A, B3, SCALE), /lora.merge: B must have shape \[6, 2\]/, 'B shape');
  expectError(() => loraMerge(gpu, W, A, B, NaN), /lora.merge: scale must be a finite number/, 'scale');
  [W, A, B, A4, B3, W3, Wu].forEach((t) => t.release());
}
