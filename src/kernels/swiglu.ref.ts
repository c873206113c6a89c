// Plain-TS float64 reference for SwiGLU (swiglu.ts): out = silu(gate) * up and its backward.

function sigmoid(g: number): number {
  return g >= 0 ? 1 / (1 + Math.exp(-g)) : Math.exp(g) / (1 + Math.exp(g));
}

/** out = silu(gate) * up, elementwise. */
export function swigluForwardRef(gate: ArrayLike<number>, up: ArrayLike<number>): Float64Array {
  const out = new Float64Array(gate.length);
  for (let i = 0; i < gate.length; i++) out[i] = gate[i] * sigmoid(gate[i]) * up[i];
  return out;
}

/** Returns [dGate, dUp] for the upstream gradient dOut. */
export function swigluBackwardRef(dOut: ArrayLike<number>, gate: ArrayLike<number>, up: ArrayLike<number>): [Float64Array, Float64Array] {
  const n = gate.length;
  const dGate = new Float64Array(n);
  const dUp = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    const s = sigmoid(g);
    dUp[i] = dOut[i] * g * s;
    dGate[i] = dOut[i] * up[i] * s * (1 + g * (1 - s));
  }
  return [dGate, dUp];
}
