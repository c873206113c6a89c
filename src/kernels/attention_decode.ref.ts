// Plain-TS float64 reference for the split decode attention (attention_decode.ts): each slot's keys in
// chunks, a partial (running max, sum, unnormalised output) per chunk, then the combine. Equal to
// attentionForwardRef (attention.ref.ts) at Tq = 1 up to rounding; and the KV-cache write with the f16 rounding.

import { roundToHalf } from '../util/f16';

export interface DecodeRefDims {
  B: number;
  Hq: number;
  Hkv: number;
  Tk: number;
  D: number;
}

export interface DecodeRefOptions {
  scale?: number;
  kvLens?: ArrayLike<number>;
  keyStart?: ArrayLike<number>;
  /** Rows of the T axis of k / v; default Tk. */
  kvStrideT?: number;
  /** Keys per chunk; default Tk (one chunk). */
  chunkLen?: number;
}

/** out (B, Hq, D) and lse (B, Hq) of one query per slot against k, v (B, Hkv, S, D), computed chunk by chunk. */
export function attentionDecodeRef(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, dims: DecodeRefDims, opts: DecodeRefOptions = {}): { out: Float64Array; lse: Float64Array } {
  const { B, Hq, Hkv, Tk, D } = dims;
  const S = opts.kvStrideT ?? Tk;
  const G = Hq / Hkv;
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const L = opts.chunkLen ?? Tk;
  const chunks = Math.ceil(Tk / L);
  const out = new Float64Array(B * Hq * D);
  const lse = new Float64Array(B * Hq);
  for (let b = 0; b < B; b++) {
    const end = opts.kvLens ? Math.min(opts.kvLens[b], Tk) : Tk;
    const start = opts.keyStart ? Math.min(opts.keyStart[b], end) : 0;
    for (let h = 0; h < Hq; h++) {
      const qo = (b * Hq + h) * D;
      const kv = (b * Hkv + Math.floor(h / G)) * S;
      // Partials per chunk: max m, sum l = sum e^(s - m), o = sum e^(s - m) v.
      const parts: { m: number; l: number; o: Float64Array }[] = [];
      for (let c = 0; c < chunks; c++) {
        const lo = Math.max(start, c * L);
        const hi = Math.min(end, (c + 1) * L);
        const s: number[] = [];
        for (let j = lo; j < hi; j++) {
          let acc = 0;
          for (let d = 0; d < D; d++) acc += q[qo + d] * k[(kv + j) * D + d];
          s.push(acc * scale);
        }
        const m = s.length ? Math.max(...s) : -Infinity;
        const o = new Float64Array(D);
        let l = 0;
        s.forEach((x, t) => {
          const w = Math.exp(x - m);
          l += w;
          for (let d = 0; d < D; d++) o[d] += w * v[(kv + lo + t) * D + d];
        });
        parts.push({ m, l, o });
      }
      // Combine.
      const M = Math.max(...parts.filter((p) => p.l > 0).map((p) => p.m), -Infinity);
      let sum = 0;
      for (const p of parts) if (p.l > 0) sum += p.l * Math.exp(p.m - M);
      if (sum === 0) continue; // no visible key: out = 0, lse = 0
      for (const p of parts) {
        if (!(p.l > 0)) continue;
        const w = Math.exp(p.m - M) / sum;
        for (let d = 0; d < D; d++) out[qo + d] += w * p.o[d];
      }
      lse[b * Hq + h] = M + Math.log(sum);
    }
  }
  return { out, lse };
}

/** The KV-cache write on host arrays: cache row dst[r] of kC / vC gets row src[r] (default r) of kN / vN, f16-rounded when f16. */
export function writeKvCacheRef(kC: Float64Array, vC: Float64Array, kN: ArrayLike<number>, vN: ArrayLike<number>, D: number, dst: ArrayLike<number>, src?: ArrayLike<number>, f16 = false): void {
  const cast = f16 ? roundToHalf : (x: number) => Math.fround(x);
  for (let r = 0; r < dst.length; r++) {
    const s = src ? src[r] : r;
    for (let d = 0; d < D; d++) {
      kC[dst[r] * D + d] = cast(kN[s * D + d]);
      vC[dst[r] * D + d] = cast(vN[s * D + d]);
    }
  }
}
