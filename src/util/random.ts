// The one seeded RNG module: the mulberry32 stream (uniform floats, raw u32 steps, normal draws) and
// the forkable counter-based Rng of the procedural tasks, with a 32-bit string hash and a seeded shuffle.
// Integer math only, so every stream is the same on every platform. Imports nothing from the project.

// ------------------------------------------------------------------ mulberry32

/** mulberry32's state increment (Weyl sequence step). */
const MULBERRY_STEP = 0x6d2b79f5;

/** mulberry32's output function of an already advanced state: a u32. */
function mulberry32Mix(s: number): number {
  let t = Math.imul(s ^ (s >>> 15), s | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

/** mulberry32 stream of uniform floats in [0, 1) (u32 / 2^32). Graders, weight init of LoRA A and
 *  of benchmark models, kernel test data. */
export function uniformStream(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + MULBERRY_STEP) >>> 0;
    return mulberry32Mix(a) / 4294967296;
  };
}

/** mulberry32 stream of uniform floats in the open interval (0, 1): (u32 + 0.5) / 2^32, so a log of
 *  the draw is always finite. Differs from `uniformStream` by half an ulp of 2^-32 on every draw; it is
 *  the uniform source of `normalStream` (decoder init) and must stay distinct to keep its weights. */
export function openUniformStream(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + MULBERRY_STEP) >>> 0;
    return (mulberry32Mix(a) + 0.5) / 4294967296;
  };
}

/** One mulberry32 step on an explicit state (so the state can be saved in a checkpoint): returns
 *  [output u32, next state]. The outputs of states seed, next, ... equal uniformStream(seed) x 2^32. */
export function uniformStep(state: number): [number, number] {
  const s = (state + MULBERRY_STEP) >>> 0;
  return [mulberry32Mix(s), s];
}

/** Seeded stream of standard normals: Box-Muller on pairs of `openUniformStream` draws, returning the
 *  cosine branch first and the sine branch of the same pair on the next call (decoder init). */
export function normalStream(seed: number): () => number {
  const uniform = openUniformStream(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const a = 2 * Math.PI * uniform();
    spare = r * Math.sin(a);
    return r * Math.cos(a);
  };
}

/** n standard normals times `scale` as f32: Box-Muller on pairs of `uniformStream` draws, the first draw
 *  clamped at 1e-12, cosine branch only (one normal per pair, no spare). Not the same numbers as
 *  `normalStream`: it is the kernel tests' data source and keeps its own values. */
export function normalsCosine(n: number, seed: number, scale = 1): Float32Array {
  const r = uniformStream(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(r(), 1e-12);
    const v = r();
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

// ------------------------------------------------------------------ forkable streams (tasks)

/** A seeded random source. All methods advance the same stream. */
export interface Rng {
  /** Uniform float in [0, 1) with 53 bits of resolution. */
  next(): number;
  /** Uniform integer in [lo, hi] (both inclusive). Throws when lo > hi or either is not an integer. */
  int(lo: number, hi: number): number;
  /** A uniformly chosen element; throws on an empty array. */
  pick<T>(xs: readonly T[]): T;
  /** true with probability p (default 0.5). */
  bool(p?: number): boolean;
  /** A new independent stream derived from this stream's seed and `label` (does not advance this one). */
  fork(label: string | number): Rng;
}

/** 32-bit string hash (FNV-1a over UTF-16 code units, then an avalanche finaliser).
 *  `salt` selects an independent hash family. Returns an unsigned 32-bit integer. */
export function hashString(s: string, salt = 0): number {
  let h = (0x811c9dc5 ^ mix32(salt >>> 0)) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return mix32(h);
}

/** Avalanche finaliser: every input bit affects every output bit. */
function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** Seed value for a number or string seed. Numbers must be safe integers. */
function seedToU32(seed: number | string): number {
  if (typeof seed === 'string') return hashString(seed, 0x5eed);
  if (!Number.isSafeInteger(seed)) {
    throw new Error(`rng seed must be a safe integer or a string, got ${seed}; pass e.g. 1234 or "run-1"`);
  }
  // Fold the high bits in so that seeds differing only above bit 32 still differ.
  const hi = Math.floor(seed / 0x100000000);
  return mix32((seed >>> 0) ^ mix32(hi >>> 0));
}

/** Create a forkable seeded stream (a 32-bit counter-based generator: golden-ratio increments, each
 *  output passed through the avalanche finaliser; not mulberry32). Streams are forked by label so
 *  that changing one consumer's draws never shifts another's. */
export function createRng(seed: number | string): Rng {
  const base = seedToU32(seed);
  let state = base;
  const u32 = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    return mix32(state);
  };
  const rng: Rng = {
    next() {
      const a = u32() >>> 5; // 27 bits
      const b = u32() >>> 6; // 26 bits
      return (a * 67108864 + b) / 9007199254740992;
    },
    int(lo, hi) {
      if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) {
        throw new Error(`rng.int bounds must be safe integers, got [${lo}, ${hi}]`);
      }
      if (lo > hi) throw new Error(`rng.int needs lo <= hi, got [${lo}, ${hi}]; swap the bounds`);
      return lo + Math.floor(rng.next() * (hi - lo + 1));
    },
    pick(xs) {
      if (xs.length === 0) throw new Error('rng.pick needs a non-empty array');
      return xs[Math.floor(rng.next() * xs.length)];
    },
    bool(p = 0.5) {
      return rng.next() < p;
    },
    fork(label) {
      return createRng(hashString(String(label), base));
    },
  };
  return rng;
}

/** Seeded Fisher-Yates shuffle of a copy of `xs`, drawing from `rng`. */
export function shuffled<T>(xs: readonly T[], rng: Rng): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
