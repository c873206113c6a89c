// Plain-TS float64 reference for logprobs.ts: per-row log-softmax at temperature T, logp of the
// target, entropy, lse, and the backward (including the entropy term); ignored rows give zeros.

export interface LogprobsRefOptions {
  temperature?: number;
  ignoreIndex?: number;
}

export interface LogprobsRefResult {
  logp: Float64Array; // (N,)
  entropy: Float64Array; // (N,)
  lse: Float64Array; // (N,)
}

/** logits (N, V) row-major, targets (N,). */
export function logprobsForwardRef(logits: ArrayLike<number>, targets: ArrayLike<number>, N: number, V: number, opts: LogprobsRefOptions = {}): LogprobsRefResult {
  const invT = 1 / (opts.temperature ?? 1);
  const logp = new Float64Array(N);
  const entropy = new Float64Array(N);
  const lse = new Float64Array(N);
  for (let r = 0; r < N; r++) {
    let m = -Infinity;
    for (let j = 0; j < V; j++) m = Math.max(m, logits[r * V + j] * invT);
    let s = 0;
    let w = 0;
    for (let j = 0; j < V; j++) {
      const z = logits[r * V + j] * invT;
      if (z === -Infinity) continue;
      const e = Math.exp(z - m);
      s += e;
      w += e * (z - m);
    }
    lse[r] = m + Math.log(s);
    const t = targets[r];
    if (opts.ignoreIndex !== undefined && t === opts.ignoreIndex) continue;
    entropy[r] = Math.log(s) - w / s;
    logp[r] = t >= 0 && t < V ? logits[r * V + t] * invT - lse[r] : NaN;
  }
  return { logp, entropy, lse };
}

/** dLogits (N, V) for upstream dLogp (N,) and optional dEntropy (N,). */
export function logprobsBackwardRef(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  N: number,
  V: number,
  dLogp: ArrayLike<number>,
  dEntropy: ArrayLike<number> | null,
  opts: LogprobsRefOptions = {},
): Float64Array {
  const invT = 1 / (opts.temperature ?? 1);
  const { lse, entropy } = logprobsForwardRef(logits, targets, N, V, opts);
  const d = new Float64Array(N * V);
  for (let r = 0; r < N; r++) {
    const t = targets[r];
    if (opts.ignoreIndex !== undefined && t === opts.ignoreIndex) continue;
    for (let j = 0; j < V; j++) {
      const lp = logits[r * V + j] * invT - lse[r];
      const p = Math.exp(lp);
      let g = dLogp[r] * ((j === t ? 1 : 0) - p);
      if (dEntropy && p > 0) g -= dEntropy[r] * p * (lp + entropy[r]);
      d[r * V + j] = g * invT;
    }
  }
  return d;
}
