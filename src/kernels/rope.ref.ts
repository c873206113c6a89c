// Plain-TS float64 reference for rotary position embedding (rope.ts), rotate-half layout.
// The angle is f32(pos) * invFreq rounded to f32, as Hugging Face computes it; cos/sin are float64.

/** Per-(position, i) cos and sin times the attention scaling. */
function cosSin(pos: number, invFreq: ArrayLike<number>, i: number, scaling: number): [number, number] {
  const a = Math.fround(Math.fround(pos) * invFreq[i]);
  return [Math.cos(a) * scaling, Math.sin(a) * scaling];
}

function rotate(x: ArrayLike<number>, positions: ArrayLike<number>, invFreq: ArrayLike<number>, H: number, D: number, scaling: number, sign: number): Float64Array {
  const N = positions.length;
  const half = D / 2;
  const out = new Float64Array(N * H * D);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < half; i++) {
      const [c, s0] = cosSin(positions[n], invFreq, i, scaling);
      const s = sign * s0;
      for (let h = 0; h < H; h++) {
        const b = (n * H + h) * D;
        const x0 = x[b + i];
        const x1 = x[b + i + half];
        out[b + i] = x0 * c - x1 * s;
        out[b + i + half] = x1 * c + x0 * s;
      }
    }
  }
  return out;
}

/** out (N*H*D) = RoPE(x) for x (N, H, D) token-major and positions (N). */
export function ropeForwardRef(x: ArrayLike<number>, positions: ArrayLike<number>, invFreq: ArrayLike<number>, H: number, D: number, scaling = 1): Float64Array {
  return rotate(x, positions, invFreq, H, D, scaling, 1);
}

/** dX (N*H*D): the transposed rotation applied to dOut. */
export function ropeBackwardRef(dOut: ArrayLike<number>, positions: ArrayLike<number>, invFreq: ArrayLike<number>, H: number, D: number, scaling = 1): Float64Array {
  return rotate(dOut, positions, invFreq, H, D, scaling, -1);
}
