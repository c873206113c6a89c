// Plain-TS reference for the residual add (add.ts).

export function addForwardRef(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  return out;
}

/** Returns [dA, dB] given dOut (both equal dOut). */
export function addBackwardRef(dOut: ArrayLike<number>): [Float64Array, Float64Array] {
  return [Float64Array.from(dOut), Float64Array.from(dOut)];
}
