// Seeded pseudo-random numbers and 32-bit string hashing for procedural tasks.
// Deterministic across platforms (integer math only); streams are forked by label so that
// changing one consumer's draws never shifts another's.

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

/** Create a seeded stream (a 32-bit counter-based generator: golden-ratio increments, each
 *  output passed through the avalanche finaliser). */
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
