// AdamW optimizer step on one f32 parameter tensor (PyTorch torch.optim.AdamW semantics), in place on
// param, m (first moment) and v (second moment). Plain-TS reference in adamw.ref.ts.

import { P, buildWgsl, expectTensor, type Gpu, type Tensor } from '../gpu';
import { grid1D } from './grid';
import src from './adamw.wgsl?raw';

const WG = 256;
const codes = new Map<boolean, string>();
function code(useScale: boolean): string {
  let c = codes.get(useScale);
  if (!c) codes.set(useScale, (c = buildWgsl(src, { USE_SCALE_TENSOR: useScale })));
  return c;
}

export interface AdamWHyper {
  /** Learning rate (>= 0). */
  lr: number;
  /** First-moment decay, e.g. 0.9. In [0, 1). */
  beta1: number;
  /** Second-moment decay, e.g. 0.999. In [0, 1). */
  beta2: number;
  /** Added to sqrt(v_hat), e.g. 1e-8. */
  eps: number;
  /** Decoupled weight decay: param *= 1 - lr * weightDecay before the Adam update. */
  weightDecay: number;
  /** 1-based step count t (bias corrections 1 - beta^t). */
  step: number;
  /** The gradient is multiplied by this (gradient-accumulation averaging, a fixed clip factor). Default 1. */
  gradScale?: number;
  /**
   * Optional (1,) f32 tensor, multiplied into the gradient on the GPU (e.g. clipScale's output), so
   * clipping needs no readback. When its value is NaN or Inf the step is skipped: param, m and v stay as
   * they were (read the gradient norm afterwards to count skipped steps).
   */
  gradScaleTensor?: Tensor;
}

/**
 * PyTorch AdamW, with g = grad * gradScale (* gradScaleTensor[0]):
 *   param *= 1 - lr * wd;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   param -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 */
export function adamwStep(gpu: Gpu, param: Tensor, m: Tensor, v: Tensor, grad: Tensor, hp: AdamWHyper): void {
  const k = 'adamw';
  expectTensor(k, 'param', param, 'f32');
  expectTensor(k, 'm', m, 'f32', param.shape);
  expectTensor(k, 'v', v, 'f32', param.shape);
  expectTensor(k, 'grad', grad, 'f32', param.shape);
  if (hp.gradScaleTensor) expectTensor(k, 'gradScaleTensor', hp.gradScaleTensor, 'f32', [1]);
  const { lr, beta1, beta2, eps, weightDecay, step } = hp;
  const gradScale = hp.gradScale ?? 1;
  if (!Number.isInteger(step) || step < 1) throw new Error(`${k}: step must be an integer >= 1 (1-based, for the bias correction), got ${step}`);
  for (const [name, b] of [['beta1', beta1], ['beta2', beta2]] as const) {
    if (!(b >= 0 && b < 1)) throw new Error(`${k}: ${name} must be in [0, 1), got ${b}`);
  }
  for (const [name, x] of [['lr', lr], ['eps', eps], ['weightDecay', weightDecay], ['gradScale', gradScale]] as const) {
    if (!Number.isFinite(x) || (name !== 'gradScale' && x < 0)) throw new Error(`${k}: ${name} must be a finite number${name !== 'gradScale' ? ' >= 0' : ''}, got ${x}`);
  }
  if (param.size === 0) return;
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  const g = grid1D(gpu, param.size, WG);
  const useScale = !!hp.gradScaleTensor;
  gpu.dispatch({
    kernel: k,
    code: code(useScale),
    outputs: [param, m, v],
    inputs: useScale ? [grad, hp.gradScaleTensor!] : [grad],
    params: P().u32(param.size).u32(g.rowStride).f32(lr).f32(beta1).f32(beta2).f32(1 - beta1).f32(1 - beta2).f32(eps).f32(1 - lr * weightDecay).f32(gradScale).f32(lr / bc1).f32(1 / Math.sqrt(bc2)),
    workgroups: g.workgroups,
    constants: { WG },
  });
}
