// Plain-TS float64 reference for adamw.ts: PyTorch AdamW (decoupled weight decay, bias correction).

export interface AdamWRefHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  step: number;
  gradScale?: number;
}

/** One step in place on float64 copies of param, m, v. A non-finite gradScale skips the step. */
export function adamwStepRef(param: Float64Array, m: Float64Array, v: Float64Array, grad: ArrayLike<number>, hp: AdamWRefHyper): void {
  const s = hp.gradScale ?? 1;
  if (!Number.isFinite(s)) return;
  const bc1 = 1 - hp.beta1 ** hp.step;
  const bc2 = 1 - hp.beta2 ** hp.step;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i] * s;
    param[i] *= 1 - hp.lr * hp.weightDecay;
    m[i] = hp.beta1 * m[i] + (1 - hp.beta1) * g;
    v[i] = hp.beta2 * v[i] + (1 - hp.beta2) * g * g;
    param[i] -= (hp.lr / bc1) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + hp.eps));
  }
}
