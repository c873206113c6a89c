// Plain-TS float64 reference for the LoRA side path (lora.ts): h = x A^T, y += scale * h B^T,
// with A (r, in) and B (out, r) in the PEFT layout, x (N, in), y (N, out).

export interface LoraDims {
  N: number;
  inF: number;
  outF: number;
  r: number;
}

/** Returns h (N*r) and delta (N*out) = scale * h B^T (the amount added to y). */
export function loraForwardRef(x: ArrayLike<number>, A: ArrayLike<number>, B: ArrayLike<number>, scale: number, d: LoraDims): { h: Float64Array; delta: Float64Array } {
  const { N, inF, outF, r } = d;
  const h = new Float64Array(N * r);
  const delta = new Float64Array(N * outF);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < r; k++) {
      let s = 0;
      for (let i = 0; i < inF; i++) s += x[n * inF + i] * A[k * inF + i];
      h[n * r + k] = s;
    }
    for (let o = 0; o < outF; o++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += h[n * r + k] * B[o * r + k];
      delta[n * outF + o] = scale * s;
    }
  }
  return { h, delta };
}

/** Gradients of L with dL/dy = dY: dB = scale dY^T h, dH = scale dY B, dA = dH^T x, dX = dH A. */
export function loraBackwardRef(
  dY: ArrayLike<number>,
  x: ArrayLike<number>,
  A: ArrayLike<number>,
  B: ArrayLike<number>,
  scale: number,
  d: LoraDims,
): { dX: Float64Array; dA: Float64Array; dB: Float64Array } {
  const { N, inF, outF, r } = d;
  const { h } = loraForwardRef(x, A, B, scale, d);
  const dH = new Float64Array(N * r);
  const dX = new Float64Array(N * inF);
  const dA = new Float64Array(r * inF);
  const dB = new Float64Array(outF * r);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < outF; o++) {
      const g = scale * dY[n * outF + o];
      for (let k = 0; k < r; k++) {
        dB[o * r + k] += g * h[n * r + k];
        dH[n * r + k] += g * B[o * r + k];
      }
    }
    for (let k = 0; k < r; k++) {
      const g = dH[n * r + k];
      for (let i = 0; i < inF; i++) {
        dA[k * inF + i] += g * x[n * inF + i];
        dX[n * inF + i] += g * A[k * inF + i];
      }
    }
  }
  return { dX, dA, dB };
}
