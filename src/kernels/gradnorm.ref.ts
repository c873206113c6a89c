// Plain-TS float64 reference for gradnorm.ts: global L2 norm (NaN / Inf when any element is) and the clip factor.

export function gradNormRef(grads: ArrayLike<number>[]): number {
  let nan = false;
  let inf = false;
  let s = 0;
  for (const g of grads) {
    for (let i = 0; i < g.length; i++) {
      const x = g[i];
      if (Number.isNaN(x)) nan = true;
      else if (!Number.isFinite(x)) inf = true;
      else s += x * x;
    }
  }
  return nan ? NaN : inf ? Infinity : Math.sqrt(s);
}

/** min(1, maxNorm / (normScale * norm + 1e-6)); NaN for a non-finite norm. */
export function clipScaleRef(norm: number, maxNorm: number, normScale = 1): number {
  if (!Number.isFinite(norm)) return NaN;
  return Math.min(1, maxNorm / (normScale * norm + 1e-6));
}
