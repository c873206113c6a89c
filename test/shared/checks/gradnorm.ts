// Checks for the global gradient norm and clip factor (src/kernels/gradnorm.ts): ragged multi-tensor norms
// against the float64 reference, overflow / underflow safety, NaN / Inf reporting, clipScale, the
// no-readback clip -> AdamW chain, and bad inputs.

import type { Gpu, Tensor } from '../../../src/gpu';
import { adamwStep } from '../../../src/kernels/adamw';
import { adamwStepRef } from '../../../src/kernels/adamw.ref';
import { clipScale, gradNorm } from '../../../src/kernels/gradnorm';
import { clipScaleRef, gradNormRef } from '../../../src/kernels/gradnorm.ref';
import { assertClose, expectError, randn } from '../check';


async function normOf(gpu: Gpu, arrays: Float32Array[], workgroupSize?: number): Promise<number> {
  const ts: Tensor[] = arrays.map((a) => gpu.upload(a, [a.length]));
  const out = gpu.empty([1]);
  gradNorm(gpu, out, ts, { workgroupSize });
  const v = (await gpu.readF32(out))[0];
  [...ts, out].forEach((t) => t.release());
  return v;
}

/** Several ragged tensors (one spanning many workgroups, one empty) against the reference. */
export async function checkGradNormMatchesRef(gpu: Gpu): Promise<void> {
  const arrays = [randn(1037, 1), randn(3 * 333, 2, 0.01), randn(5, 3, 10), new Float32Array(0), randn(70000 + 11, 4, 0.5)];
  // the adapter's default workgroup (256 threads per chunk on GPUs, 8 on CPU adapters), then each forced
  for (const wg of [undefined, 256, 8, 1]) {
    const got = await normOf(gpu, arrays, wg);
    assertClose([got], [gradNormRef(arrays)], { atol: 0, rtol: 1e-5 }, `gradnorm vs reference (workgroup ${wg ?? 'default'})`);
  }
  const zero = await normOf(gpu, [new Float32Array(100)]);
  if (zero !== 0) throw new Error(`gradnorm of zeros is ${zero}, expected 0`);
}

/** Magnitudes whose squares overflow or underflow f32 still give the right norm. */
export async function checkGradNormRange(gpu: Gpu): Promise<void> {
  for (const scale of [1e25, 1e-25]) {
    const arrays = [randn(5000, 5, scale), randn(300, 6, scale * 3)];
    for (const wg of [256, 8]) {
      const got = await normOf(gpu, arrays, wg);
      assertClose([got], [gradNormRef(arrays)], { atol: 0, rtol: 1e-5 }, `gradnorm at magnitude ${scale} (workgroup ${wg})`);
    }
  }
}

/** Any NaN gives a NaN norm; otherwise any Inf gives +Inf. */
export async function checkGradNormNonFinite(gpu: Gpu): Promise<void> {
  const a = randn(5000, 7);
  const b = randn(100, 8);
  const withInf = Float32Array.from(b);
  withInf[17] = -Infinity;
  const withNaN = Float32Array.from(a);
  withNaN[4500] = NaN;
  const inf = await normOf(gpu, [a, withInf]);
  if (inf !== Infinity) throw new Error(`gradnorm with a -Inf gradient gave ${inf}, expected +Inf`);
  const nan = await normOf(gpu, [withNaN, withInf]);
  if (!Number.isNaN(nan)) throw new Error(`gradnorm with a NaN gradient gave ${nan}, expected NaN`);
  const nan2 = await normOf(gpu, [b, withNaN]);
  if (!Number.isNaN(nan2)) throw new Error(`gradnorm with a NaN gradient gave ${nan2}, expected NaN`);
}

/** clipScale = min(1, maxNorm / (normScale * norm + 1e-6)), NaN for non-finite norms. */
export async function checkClipScale(gpu: Gpu): Promise<void> {
  const norm = gpu.empty([1]);
  const scale = gpu.empty([1]);
  const cases: Array<[number, number, number]> = [
    [5, 1, 1],
    [0.5, 1, 1],
    [8, 1, 0.25],
    [0, 1, 1],
    [NaN, 1, 1],
    [Infinity, 1, 1],
  ];
  for (const [n, maxNorm, normScale] of cases) {
    gpu.write(norm, [n]);
    clipScale(gpu, scale, norm, maxNorm, { normScale });
    const got = (await gpu.readF32(scale))[0];
    const want = clipScaleRef(n, maxNorm, normScale);
    if (Number.isNaN(want) ? !Number.isNaN(got) : Math.abs(got - want) > 1e-6 * Math.abs(want)) throw new Error(`clipScale(norm ${n}, maxNorm ${maxNorm}, normScale ${normScale}) = ${got}, expected ${want}`);
  }
  [norm, scale].forEach((t) => t.release());
}

/** gradNorm -> clipScale -> adamwStep(gradScaleTensor) with no readback equals clipping on the CPU; NaN grads skip the step. */
export async function checkClipChain(gpu: Gpu): Promise<void> {
  const sizes = [600, 1500];
  const hp = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 1 };
  const maxNorm = 1;
  const g = sizes.map((n, i) => randn(n, 20 + i, 0.2));
  const p0 = sizes.map((n, i) => randn(n, 30 + i));
  const grads = g.map((a) => gpu.upload(a, [a.length]));
  const params = p0.map((a) => gpu.upload(a, [a.length]));
  const ms = sizes.map((n) => gpu.zeros([n]));
  const vs = sizes.map((n) => gpu.zeros([n]));
  const norm = gpu.empty([1]);
  const scale = gpu.empty([1]);
  const step = () => {
    gradNorm(gpu, norm, grads);
    clipScale(gpu, scale, norm, maxNorm);
    sizes.forEach((_, i) => adamwStep(gpu, params[i], ms[i], vs[i], grads[i], { ...hp, gradScaleTensor: scale }));
  };
  step();
  const n = gradNormRef(g);
  if (!(n > maxNorm)) throw new Error(`clip chain setup: norm ${n} should exceed maxNorm`);
  const c = clipScaleRef(n, maxNorm);
  for (let i = 0; i < sizes.length; i++) {
    const rp = Float64Array.from(p0[i]);
    adamwStepRef(rp, new Float64Array(sizes[i]), new Float64Array(sizes[i]), g[i], { ...hp, gradScale: c });
    assertClose(await gpu.readF32(params[i]), rp, { atol: 1e-6, rtol: 1e-5 }, `clip chain: param ${i}`);
  }
  assertClose(await gpu.readF32(norm), [n], { atol: 0, rtol: 1e-5 }, 'clip chain: norm');
  // a NaN gradient: the norm reports it and the step is skipped
  const before = await gpu.readF32(params[0]);
  const bad = Float32Array.from(g[1]);
  bad[3] = NaN;
  gpu.write(grads[1], bad);
  step();
  if (!Number.isNaN((await gpu.readF32(norm))[0])) throw new Error('clip chain: norm should be NaN with a NaN gradient');
  assertClose(await gpu.readF32(params[0]), before, { atol: 0, rtol: 0 }, 'clip chain: step skipped after a NaN gradient');
  [...grads, ...params, ...ms, ...vs, norm, scale].forEach((t) => t.release());
}

/** Bad inputs name the kernel. */
export async function checkGradNormBadInputs(gpu: Gpu): Promise<void> {
  const out = gpu.zeros([1]);
  expectError(() => gradNorm(gpu, out, []), /gradnorm: no gradient tensors/, 'empty list');
  expectError(() => gradNorm(gpu, out, [gpu.zeros([3])], { workgroupSize: 12 }), /gradnorm: workgroupSize must be a power of two/, 'workgroup size');
  expectError(() => gradNorm(gpu, out, [gpu.zeros([3]), gpu.zeros([3], 'f16')]), /gradnorm: grads\[1\] must be f32/, 'dtype');
  expectError(() => gradNorm(gpu, gpu.zeros([2]), [gpu.zeros([3])]), /gradnorm: out must have shape \[1\]/, 'out shape');
  expectError(() => clipScale(gpu, out, out, 0), /gradnorm\.clipScale: maxNorm must be a finite number > 0/, 'maxNorm');
  out.release();
}
