// Plain-TS float64 reference for the matmul family (matmul.ts): batched matmul with transposes,
// alpha and accumulation, its backward, and the linear-layer forward/backward (W in (out, in) layout).

export interface MatmulRefDims {
  /** Batch items (default 1). */
  batch?: number;
  M: number;
  N: number;
  K: number;
  /** B has one matrix per batch item (default false: one B shared by all). */
  bBatched?: boolean;
}

export interface MatmulRefOpts {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  /** Initial contents of out to accumulate onto (out += alpha * op(A) op(B)). */
  init?: ArrayLike<number>;
}

/** out (batch, M, N) = alpha * op(A) op(B) (+ init). A is (batch, M, K) or (batch, K, M) with transA; B is (K, N) or (N, K) with transB, per batch item when bBatched. */
export function matmulRef(a: ArrayLike<number>, b: ArrayLike<number>, dims: MatmulRefDims, opts: MatmulRefOpts = {}): Float64Array {
  const { M, N, K } = dims;
  const batch = dims.batch ?? 1;
  const alpha = opts.alpha ?? 1;
  const out = new Float64Array(batch * M * N);
  for (let z = 0; z < batch; z++) {
    const ao = z * M * K;
    const bo = dims.bBatched ? z * K * N : 0;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = opts.transA ? a[ao + k * M + m] : a[ao + m * K + k];
          const bv = opts.transB ? b[bo + n * K + k] : b[bo + k * N + n];
          s += av * bv;
        }
        const i = z * M * N + m * N + n;
        out[i] = alpha * s + (opts.init ? opts.init[i] : 0);
      }
    }
  }
  return out;
}

/** Gradients of L(out) given dOut = dL/dout, in the stored layouts of A and B (dB summed over the batch when B is shared). */
export function matmulBackwardRef(
  dOut: ArrayLike<number>,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  dims: MatmulRefDims,
  opts: MatmulRefOpts = {},
): { dA: Float64Array; dB: Float64Array } {
  const { M, N, K } = dims;
  const batch = dims.batch ?? 1;
  const alpha = opts.alpha ?? 1;
  const dA = new Float64Array(batch * M * K);
  const dB = new Float64Array((dims.bBatched ? batch : 1) * K * N);
  for (let z = 0; z < batch; z++) {
    const ao = z * M * K;
    const bo = dims.bBatched ? z * K * N : 0;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        const g = alpha * dOut[z * M * N + m * N + n];
        if (g === 0) continue;
        for (let k = 0; k < K; k++) {
          const ai = opts.transA ? ao + k * M + m : ao + m * K + k;
          const bi = opts.transB ? bo + n * K + k : bo + k * N + n;
          dA[ai] += g * b[bi];
          dB[bi] += g * a[ai];
        }
      }
    }
  }
  return { dA, dB };
}

/** Linear layer y (rows, outF) = x (rows, inF) W^T, W (outF, inF). */
export function linearForwardRef(x: ArrayLike<number>, w: ArrayLike<number>, rows: number, inF: number, outF: number): Float64Array {
  return matmulRef(x, w, { M: rows, N: outF, K: inF }, { transB: true });
}

/** Linear backward: dX (rows, inF) = dY W; dW (outF, inF) = dY^T X. */
export function linearBackwardRef(
  dY: ArrayLike<number>,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  rows: number,
  inF: number,
  outF: number,
): { dX: Float64Array; dW: Float64Array } {
  const dX = matmulRef(dY, w, { M: rows, N: inF, K: outF });
  const dW = matmulRef(dY, x, { M: outF, N: inF, K: rows }, { transA: true });
  return { dX, dW };
}
