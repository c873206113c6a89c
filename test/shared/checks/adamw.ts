// Checks for the AdamW step (src/kernels/adamw.ts): several steps against the float64 PyTorch-formula
// reference, the reference against the closed form of step 1, the GPU-side gradScaleTensor (including the
// skipped step for a non-finite scale) and bad inputs.

import type { Gpu } from '../../../src/gpu';
import { adamwStep, type AdamWHyper } from '../../../src/kernels/adamw';
import { adamwStepRef } from '../../../src/kernels/adamw.ref';
import { assertClose, expectError, randn } from '../check';


const HP = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };

/** Five steps with fresh gradients, gradScale 0.5, a 2-D ragged shape: param, m and v match the reference. */
export async function checkAdamwMatchesRef(gpu: Gpu): Promise<void> {
  const shape = [37, 29]; // 1073 elements
  const n = 37 * 29;
  const p0 = randn(n, 1);
  const param = gpu.upload(p0, shape);
  const m = gpu.zeros(shape);
  const v = gpu.zeros(shape);
  const rp = Float64Array.from(p0);
  const rm = new Float64Array(n);
  const rv = new Float64Array(n);
  for (let t = 1; t <= 5; t++) {
    const g = randn(n, 100 + t, 0.1 * t);
    const grad = gpu.upload(g, shape);
    const hp: AdamWHyper = { ...HP, step: t, gradScale: 0.5 };
    adamwStep(gpu, param, m, v, grad, hp);
    adamwStepRef(rp, rm, rv, g, hp);
    grad.release();
  }
  assertClose(await gpu.readF32(param), rp, { atol: 1e-6, rtol: 1e-5 }, 'adamw param after 5 steps');
  assertClose(await gpu.readF32(m), rm, { atol: 1e-7, rtol: 1e-5 }, 'adamw m after 5 steps');
  assertClose(await gpu.readF32(v), rv, { atol: 1e-9, rtol: 1e-5 }, 'adamw v after 5 steps');
  [param, m, v].forEach((t) => t.release());
}

/** The reference's first step equals the closed form p (1 - lr wd) - lr g / (|g| + eps) (bias-corrected m, v). */
export async function checkAdamwRefClosedForm(_gpu: Gpu): Promise<void> {
  const n = 50;
  const p0 = Float64Array.from(randn(n, 2));
  const g = randn(n, 3, 1e-3);
  const p = Float64Array.from(p0);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const hp = { ...HP, eps: 1e-6, step: 1 };
  adamwStepRef(p, m, v, g, hp);
  const want = p0.map((x, i) => x * (1 - hp.lr * hp.weightDecay) - (hp.lr * g[i]) / (Math.abs(g[i]) + hp.eps));
  assertClose(p, want, { atol: 1e-12, rtol: 1e-10 }, 'adamw reference step 1 vs closed form');
  // step 2 with a zero gradient: m_hat = b1 m / (1 - b1^2), v_hat = b2 v / (1 - b2^2)
  const p1 = Float64Array.from(p);
  adamwStepRef(p, m, v, new Float64Array(n), { ...hp, step: 2 });
  const want2 = p1.map((x, i) => {
    const mh = (HP.beta1 * (1 - HP.beta1) * g[i]) / (1 - HP.beta1 ** 2);
    const vh = (HP.beta2 * (1 - HP.beta2) * g[i] * g[i]) / (1 - HP.beta2 ** 2);
    return x * (1 - hp.lr * hp.weightDecay) - (hp.lr * mh) / (Math.sqrt(vh) + hp.eps);
  });
  assertClose(p, want2, { atol: 1e-12, rtol: 1e-10 }, 'adamw reference step 2 vs closed form');
}

/** gradScaleTensor multiplies the gradient on the GPU; a NaN or Inf value skips the step. */
export async function checkAdamwScaleTensor(gpu: Gpu): Promise<void> {
  const n = 777;
  const p0 = randn(n, 4);
  const g = randn(n, 5);
  const param = gpu.upload(p0, [n]);
  const m = gpu.upload(randn(n, 6, 0.01), [n]);
  const v = gpu.upload(randn(n, 7, 0.01).map((x) => x * x), [n]);
  const rp = Float64Array.from(p0);
  const rm = Float64Array.from(await gpu.readF32(m));
  const rv = Float64Array.from(await gpu.readF32(v));
  const grad = gpu.upload(g, [n]);
  const scale = gpu.upload([0.3], [1]);
  adamwStep(gpu, param, m, v, grad, { ...HP, step: 3, gradScale: 0.5, gradScaleTensor: scale });
  adamwStepRef(rp, rm, rv, g, { ...HP, step: 3, gradScale: 0.5 * 0.3 });
  assertClose(await gpu.readF32(param), rp, { atol: 1e-6, rtol: 1e-5 }, 'adamw with gradScaleTensor: param');
  assertClose(await gpu.readF32(m), rm, { atol: 1e-7, rtol: 1e-5 }, 'adamw with gradScaleTensor: m');
  for (const bad of [NaN, Infinity]) {
    const before = [await gpu.readF32(param), await gpu.readF32(m), await gpu.readF32(v)];
    gpu.write(scale, [bad]);
    adamwStep(gpu, param, m, v, grad, { ...HP, step: 4, gradScaleTensor: scale });
    const after = [await gpu.readF32(param), await gpu.readF32(m), await gpu.readF32(v)];
    for (let k = 0; k < 3; k++) assertClose(after[k], before[k], { atol: 0, rtol: 0 }, `adamw skips the step when gradScaleTensor is ${bad}`);
  }
  [param, m, v, grad, scale].forEach((t) => t.release());
}

/** Wrong shapes, dtypes and hyper-parameters name the kernel. */
export async function checkAdamwBadInputs(gpu: Gpu): Promise<void> {
  const p = gpu.zeros([10]);
  const ok = { ...HP, step: 1 };
  expectError(() => adamwStep(gpu, p, gpu.zeros([11]), p, p, ok), /adamw: m must have shape \[10\]/, 'm shape');
  expectError(() => adamwStep(gpu, p, p, p, gpu.zeros([10], 'f16'), ok), /adamw: grad must be f32/, 'grad dtype');
  expectError(() => adamwStep(gpu, p, p, p, p, { ...ok, step: 0 }), /adamw: step must be an integer >= 1/, 'step');
  expectError(() => adamwStep(gpu, p, p, p, p, { ...ok, beta2: 1 }), /adamw: beta2 must be in \[0, 1\)/, 'beta2');
  expectError(() => adamwStep(gpu, p, p, p, p, { ...ok, lr: NaN }), /adamw: lr must be a finite number/, 'lr');
  expectError(() => adamwStep(gpu, p, p, p, p, { ...ok, gradScaleTensor: gpu.zeros([2]) }), /adamw: gradScaleTensor must have shape \[1\]/, 'scale shape');
  p.release();
}
