// Plain-TS float64 reference for RMSNorm (rmsnorm.ts): y = x * rsqrt(mean(x^2) + eps) * w per row.

/** Returns { out (N*C), rstd (N) } for x (N, C) and weight (C). */
export function rmsnormForwardRef(x: ArrayLike<number>, weight: ArrayLike<number>, N: number, C: number, eps: number): { out: Float64Array; rstd: Float64Array } {
  const out = new Float64Array(N * C);
  const rstd = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += x[n * C + c] ** 2;
    const r = 1 / Math.sqrt(ss / C + eps);
    rstd[n] = r;
    for (let c = 0; c < C; c++) out[n * C + c] = x[n * C + c] * r * weight[c];
  }
  return { out, rstd };
}

/** Returns { dX (N*C), dWeight (C) } for upstream dOut (N, C); rstd is recomputed in float64. */
export function rmsnormBackwardRef(
  dOut: ArrayLike<number>,
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  N: number,
  C: number,
  eps: number,
): { dX: Float64Array; dWeight: Float64Array } {
  const { rstd } = rmsnormForwardRef(x, weight, N, C, eps);
  const dX = new Float64Array(N * C);
  const dWeight = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    const r = rstd[n];
    let s = 0;
    for (let c = 0; c < C; c++) s += dOut[n * C + c] * weight[c] * x[n * C + c];
    const coef = (r * r * s) / C;
    for (let c = 0; c < C; c++) {
      const i = n * C + c;
      dX[i] = r * (weight[c] * dOut[i] - x[i] * coef);
      dWeight[c] += dOut[i] * x[i] * r;
    }
  }
  return { dX, dWeight };
}
