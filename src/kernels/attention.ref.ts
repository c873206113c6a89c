// Plain-TS float64 reference for causal attention (attention.ts): naive softmax over the visible keys,
// forward (out, lse) and backward (dQ, dK, dV), with grouped-query heads, a causal offset, and the
// optional per-batch key windows (kvLens, keyStart). Rows with no visible key give out = 0, lse = 0.

export interface AttnRefDims {
  B: number;
  Hq: number;
  Hkv: number;
  Tq: number;
  Tk: number;
  D: number;
}

export interface AttnRefOptions {
  /** Score scale; default 1 / sqrt(D). */
  scale?: number;
  /** Keys j >= kvLens[b] are masked and the causal offset uses kvLens[b] (clamped to Tk) instead of Tk. */
  kvLens?: ArrayLike<number>;
  /** Keys j < keyStart[b] are masked (left padding). */
  keyStart?: ArrayLike<number>;
  /** Rows of the T axis in the k / v arrays (a KV cache larger than Tk); default Tk. */
  kvStrideT?: number;
}

/** Visible keys of query i in batch b: the inclusive range [lo, hi] (empty when hi < lo). */
export function visibleKeys(dims: AttnRefDims, b: number, i: number, opts: AttnRefOptions = {}): [number, number] {
  const end = opts.kvLens ? Math.min(opts.kvLens[b], dims.Tk) : dims.Tk;
  const start = opts.keyStart ? opts.keyStart[b] : 0;
  const qPos = i + end - dims.Tq;
  return [start, Math.min(qPos, end - 1)];
}

interface Layout {
  S: number;
  G: number;
  scale: number;
  qRow: (b: number, h: number, i: number) => number;
  kRow: (b: number, h: number, j: number) => number;
}

function layout(dims: AttnRefDims, opts: AttnRefOptions): Layout {
  const { Hq, Hkv, Tq, D } = dims;
  const S = opts.kvStrideT ?? dims.Tk;
  const G = Hq / Hkv;
  return {
    S,
    G,
    scale: opts.scale ?? 1 / Math.sqrt(D),
    qRow: (b, h, i) => ((b * Hq + h) * Tq + i) * D,
    kRow: (b, h, j) => ((b * Hkv + Math.floor(h / G)) * S + j) * D,
  };
}

/** Probabilities of one query row over its visible keys [lo, hi] (float64), plus the row's lse. */
function rowSoftmax(q: ArrayLike<number>, k: ArrayLike<number>, qOff: number, kOff: (j: number) => number, D: number, scale: number, lo: number, hi: number) {
  const n = Math.max(0, hi - lo + 1);
  const s = new Float64Array(n);
  let m = -Infinity;
  for (let t = 0; t < n; t++) {
    const ko = kOff(lo + t);
    let acc = 0;
    for (let d = 0; d < D; d++) acc += q[qOff + d] * k[ko + d];
    s[t] = acc * scale;
    if (s[t] > m) m = s[t];
  }
  let sum = 0;
  for (let t = 0; t < n; t++) sum += (s[t] = Math.exp(s[t] - m));
  for (let t = 0; t < n; t++) s[t] /= sum;
  return { p: s, lse: n > 0 ? m + Math.log(sum) : 0 };
}

/** out (B, Hq, Tq, D) and lse (B, Hq, Tq) from q (B, Hq, Tq, D) and k, v (B, Hkv, S, D). */
export function attentionForwardRef(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  dims: AttnRefDims,
  opts: AttnRefOptions = {},
): { out: Float64Array; lse: Float64Array } {
  const { B, Hq, Tq, D } = dims;
  const L = layout(dims, opts);
  const out = new Float64Array(B * Hq * Tq * D);
  const lse = new Float64Array(B * Hq * Tq);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Hq; h++)
      for (let i = 0; i < Tq; i++) {
        const [lo, hi] = visibleKeys(dims, b, i, opts);
        const qo = L.qRow(b, h, i);
        const { p, lse: l } = rowSoftmax(q, k, qo, (j) => L.kRow(b, h, j), D, L.scale, lo, hi);
        lse[(b * Hq + h) * Tq + i] = l;
        for (let t = 0; t < p.length; t++) {
          const vo = L.kRow(b, h, lo + t);
          for (let d = 0; d < D; d++) out[qo + d] += p[t] * v[vo + d];
        }
      }
  return { out, lse };
}

/** dQ (B, Hq, Tq, D) and dK, dV (B, Hkv, S, D) for dOut (B, Hq, Tq, D); overwrite semantics. */
export function attentionBackwardRef(
  dOut: ArrayLike<number>,
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  dims: AttnRefDims,
  opts: AttnRefOptions = {},
): { dQ: Float64Array; dK: Float64Array; dV: Float64Array } {
  const { B, Hq, Hkv, Tq, D } = dims;
  const L = layout(dims, opts);
  const dQ = new Float64Array(B * Hq * Tq * D);
  const dK = new Float64Array(B * Hkv * L.S * D);
  const dV = new Float64Array(B * Hkv * L.S * D);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Hq; h++)
      for (let i = 0; i < Tq; i++) {
        const [lo, hi] = visibleKeys(dims, b, i, opts);
        const qo = L.qRow(b, h, i);
        const { p } = rowSoftmax(q, k, qo, (j) => L.kRow(b, h, j), D, L.scale, lo, hi);
        // dP_t = dOut_i . v_t ; dS_t = P_t (dP_t - sum_u P_u dP_u)
        const dp = new Float64Array(p.length);
        let di = 0;
        for (let t = 0; t < p.length; t++) {
          const vo = L.kRow(b, h, lo + t);
          let acc = 0;
          for (let d = 0; d < D; d++) acc += dOut[qo + d] * v[vo + d];
          dp[t] = acc;
          di += p[t] * acc;
        }
        for (let t = 0; t < p.length; t++) {
          const ko = L.kRow(b, h, lo + t);
          const ds = p[t] * (dp[t] - di) * L.scale;
          for (let d = 0; d < D; d++) {
            dV[ko + d] += p[t] * dOut[qo + d];
            dQ[qo + d] += ds * k[ko + d];
            dK[ko + d] += ds * q[qo + d];
          }
        }
      }
  return { dQ, dK, dV };
}
