// Token batches and their layouts: a (B, T) grid of tokens holding padded or packed sequences, the
// sequences found in it, default position ids, and the row maps between the token-major activations
// (N, H, D) and the head-major attention layout (S, H, Tmax, D) with each sequence right-aligned.

/** Row index meaning "no row" in the maps below (padding). */
export const NO_ROW = 0xffffffff;

/**
 * A batch of token sequences on a (B, T) grid, row-major (token n = b * T + t).
 *  - padded: one sequence per row; `lengths[b]` real tokens, then padding (or before it with padSide 'left').
 *  - packed: `segments[n]` names the sequence of each token (contiguous runs in a row); -1 is padding.
 * Neither: every row is one full sequence of T tokens. Padding never influences real tokens.
 */
export interface TokenBatch {
  B: number;
  T: number;
  /** (B*T) input token ids (any value at padding). */
  ids: ArrayLike<number>;
  /** (B*T) target ids, i.e. the next token of each position (any value at padding); NO_ROW where no
   *  log-prob is wanted (e.g. a prompt's tokens): the LM head skips those rows (log-prob 0 there). */
  targets: ArrayLike<number>;
  /** (B*T) position ids; default: the offset of each token in its sequence. */
  positions?: ArrayLike<number>;
  /** (B,) real tokens per row (padded batches). */
  lengths?: ArrayLike<number>;
  /** Where padding sits in a padded batch. Default 'right'. */
  padSide?: 'left' | 'right';
  /** (B*T) sequence id per token (packed batches); -1 = padding. */
  segments?: ArrayLike<number>;
}

/** One sequence: tokens [start, start + length) of grid row `row`. */
export interface SeqSpan {
  row: number;
  start: number;
  length: number;
}

export interface BatchLayout {
  B: number;
  T: number;
  sequences: SeqSpan[];
  /** Longest sequence (the T axis of the head-major attention layout). */
  maxLen: number;
  /** (B*T) position id of every token (0 at padding). */
  positions: Uint32Array;
  /** (B*T) index of each token's sequence, -1 at padding. */
  seqOf: Int32Array;
  /** (B*T) offset of each token in its sequence. */
  offset: Uint32Array;
}

/** Find the sequences of a batch and validate it; errors say what is wrong and how to fix it. */
export function batchLayout(batch: TokenBatch): BatchLayout {
  const { B, T } = batch;
  if (!Number.isInteger(B) || B < 1 || !Number.isInteger(T) || T < 1) throw new Error(`TokenBatch: B and T must be positive integers, got B=${B}, T=${T}`);
  const N = B * T;
  if (batch.ids.length !== N) throw new Error(`TokenBatch: ids has ${batch.ids.length} entries, expected B*T = ${N}`);
  if (batch.targets.length !== N) throw new Error(`TokenBatch: targets has ${batch.targets.length} entries, expected B*T = ${N}`);
  if (batch.lengths && batch.segments) throw new Error('TokenBatch: give either lengths (padded) or segments (packed), not both');
  const sequences: SeqSpan[] = [];
  if (batch.segments) {
    const seg = batch.segments;
    if (seg.length !== N) throw new Error(`TokenBatch: segments has ${seg.length} entries, expected B*T = ${N}`);
    const seen = new Set<number>();
    for (let b = 0; b < B; b++) {
      let t = 0;
      while (t < T) {
        const id = seg[b * T + t];
        if (id < 0) {
          t++;
          continue;
        }
        if (seen.has(id)) throw new Error(`TokenBatch: segment ${id} is not one contiguous run (seen again at row ${b}, column ${t}); give each packed sequence its own id`);
        seen.add(id);
        let e = t;
        while (e < T && seg[b * T + e] === id) e++;
        sequences.push({ row: b, start: t, length: e - t });
        t = e;
      }
    }
  } else {
    const left = batch.padSide === 'left';
    for (let b = 0; b < B; b++) {
      const len = batch.lengths ? batch.lengths[b] : T;
      if (!Number.isInteger(len) || len < 0 || len > T) throw new Error(`TokenBatch: lengths[${b}] = ${len} must be an integer in [0, T=${T}]`);
      if (len > 0) sequences.push({ row: b, start: left ? T - len : 0, length: len });
    }
  }
  const positions = new Uint32Array(N);
  const seqOf = new Int32Array(N).fill(-1);
  const offset = new Uint32Array(N);
  let maxLen = 0;
  sequences.forEach((s, i) => {
    maxLen = Math.max(maxLen, s.length);
    for (let t = 0; t < s.length; t++) {
      const n = s.row * T + s.start + t;
      seqOf[n] = i;
      offset[n] = t;
      const p = batch.positions ? batch.positions[n] : t;
      if (!Number.isInteger(p) || p < 0) throw new Error(`TokenBatch: positions[${n}] = ${p} must be a non-negative integer`);
      positions[n] = p;
    }
  });
  if (batch.positions && batch.positions.length !== N) throw new Error(`TokenBatch: positions has ${batch.positions.length} entries, expected B*T = ${N}`);
  return { B, T, sequences, maxLen: Math.max(1, maxLen), positions, seqOf, offset };
}

/**
 * Map from token-major rows (n, h) of (N, H, D) to head-major rows ((s * H + h) * Tmax + i) of
 * (S, H, Tmax, D), where sequence s sits right-aligned (i = Tmax - len + offset). NO_ROW at padding.
 */
export function headRowMap(lay: BatchLayout, H: number): Uint32Array {
  const N = lay.B * lay.T;
  const Tm = lay.maxLen;
  const map = new Uint32Array(N * H).fill(NO_ROW);
  for (let n = 0; n < N; n++) {
    const s = lay.seqOf[n];
    if (s < 0) continue;
    const i = Tm - lay.sequences[s].length + lay.offset[n];
    for (let h = 0; h < H; h++) map[n * H + h] = (s * H + h) * Tm + i;
  }
  return map;
}

/** (S,) first real key row of each sequence in the right-aligned head-major layout. */
export function keyStarts(lay: BatchLayout): Uint32Array {
  return Uint32Array.from(lay.sequences, (s) => lay.maxLen - s.length);
}
