// Plain-TS float64 reference for the LoRA merge (lora_merge.ts): W + scale * B A, with W (out, in),
// A (r, in), B (out, r) in the PEFT layout. No backward (merged weights are not trained through).

export interface LoraMergeDims {
  outF: number;
  inF: number;
  r: number;
}

/** Returns W + scale * B A (out * in), leaving W unchanged. */
export function loraMergeRef(W: ArrayLike<number>, A: ArrayLike<number>, B: ArrayLike<number>, scale: number, d: LoraMergeDims): Float64Array {
  const { outF, inF, r } = d;
  const out = Float64Array.from(W);
  for (let o = 0; o < outF; o++) {
    for (let i = 0; i < inF; i++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += B[o * r + k] * A[k * inF + i];
      out[o * inF + i] += scale * s;
    }
  }
  return out;
}
