// Plain-TS reference for sample.ts: the same Philox4x32-10 noise, Gumbel-max sampling, top-k / top-p / min-p
// candidate selection and log-probs, in float64. The uniforms can be replaced for statistical tests.

import { MAX_TOP_K, TOP_P_CANDIDATES, type SampleOptions } from './sample';

function mulhi(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
}

/** Philox4x32 with 10 rounds: counter (4 x u32), key (2 x u32) -> 4 x u32. */
export function philox4x32(counter: readonly number[], key: readonly number[]): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0);
  let [k0, k1] = key.map((v) => v >>> 0);
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(0xd2511f53, c0);
    const lo0 = Math.imul(0xd2511f53, c0) >>> 0;
    const hi1 = mulhi(0xcd9e8d57, c2);
    const lo1 = Math.imul(0xcd9e8d57, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + 0x9e3779b9) >>> 0;
    k1 = (k1 + 0xbb67ae85) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/** The sampler's uniform in (0, 1) for (seed, step, row, token), bit-identical to the GPU's. */
export function sampleUniform(seed: number, step: number, row: number, token: number): number {
  const r = philox4x32([token >>> 2, row, 0, 0], [seed, step]);
  return ((r[token & 3] >>> 9) + 0.5) / 8388608;
}

export type UniformsFn = (row: number, token: number) => number;

export interface SampleRefOptions extends SampleOptions {
  /** Vocabulary size: logits hold rows of this length. */
  vocab: number;
}

export interface SampleRefResult {
  ids: Uint32Array; // (B,)
  logp: Float64Array; // (B,)
}

/** Token order of the candidate sort: larger logit first, then smaller id. */
function order(x: ArrayLike<number>, base: number, V: number): number[] {
  const idx = Array.from({ length: V }, (_, j) => j);
  const key = (j: number) => (x[base + j] > -1e30 ? x[base + j] : -Infinity);
  idx.sort((a, b) => key(b) - key(a) || a - b);
  return idx;
}

/**
 * The tokens sampling may return for one row (top-k, then top-p, then min-p) in candidate order, with their
 * base probabilities. Exposed for tests (e.g. "top-p never leaves the nucleus").
 */
export function keptTokens(x: ArrayLike<number>, row: number, V: number, T: number, topK: number, topP: number, minP = 0): number[] {
  const base = row * V;
  const kEff = topK >= V ? 0 : topK;
  const sorted = order(x, base, V).filter((j) => x[base + j] > -1e30);
  if (kEff === 0 && topP >= 1 && minP === 0) return sorted;
  const K = Math.min(kEff > 0 ? kEff : TOP_P_CANDIDATES, V);
  const cand = sorted.slice(0, K);
  if (T === 0) return cand.slice(0, 1);
  const z = (j: number) => x[base + j] / T;
  let lse = -Infinity;
  {
    const m = z(sorted[0]);
    let s = 0;
    for (const j of kEff > 0 ? cand : sorted) s += Math.exp(z(j) - m);
    lse = m + Math.log(s);
  }
  const kept: number[] = [];
  let cum = 0;
  for (const j of cand) {
    if (topP < 1 && kept.length > 0 && cum >= topP) break;
    kept.push(j);
    cum += Math.exp(z(j) - lse);
  }
  // min-p: probability at least minP times the top token's (a ratio, the same before and after renormalising)
  return minP > 0 ? kept.filter((j) => z(j) - z(cand[0]) >= Math.log(minP)) : kept;
}

/** Reference sampler. logits (B, vocab) row-major. `uniforms(row, token)` defaults to the GPU's Philox noise. */
export function sampleRef(logits: ArrayLike<number>, opts: SampleRefOptions, uniforms?: UniformsFn): SampleRefResult {
  const V = opts.vocab;
  const B = logits.length / V;
  if (!Number.isInteger(B)) throw new Error(`sampleRef: ${logits.length} logits are not rows of ${V}`);
  if (opts.topK > MAX_TOP_K && opts.topK < V) throw new Error(`sampleRef: topK over ${MAX_TOP_K}`);
  const u = uniforms ?? ((row: number, token: number) => sampleUniform(opts.seed, opts.step, row, token));
  const ids = new Uint32Array(B);
  const logp = new Float64Array(B);
  for (let r = 0; r < B; r++) {
    const T = typeof opts.temperature === 'number' ? opts.temperature : opts.temperature[r];
    const base = r * V;
    const kept = keptTokens(logits, r, V, T, opts.topK, opts.topP, opts.minP ?? 0);
    if (kept.length === 0) {
      ids[r] = 0;
      logp[r] = NaN;
      continue;
    }
    let pick = kept[0];
    if (T > 0) {
      let best = -Infinity;
      for (const j of kept) {
        const key = logits[base + j] / T - Math.log(-Math.log(u(r, j)));
        if (key > best || (key === best && j < pick)) {
          best = key;
          pick = j;
        }
      }
    }
    const a = T > 0 && opts.logpMode !== 'untempered' ? 1 / T : 1;
    let m = -Infinity;
    for (let j = 0; j < V; j++) m = Math.max(m, logits[base + j] * a);
    let s = 0;
    for (let j = 0; j < V; j++) if (logits[base + j] > -1e30) s += Math.exp(logits[base + j] * a - m);
    ids[r] = pick;
    logp[r] = logits[base + pick] * a - (m + Math.log(s));
  }
  return { ids, logp };
}
