// Shared part of the chunked-vocabulary kernels (logprobs.wgsl, sample.wgsl), prepended by logprobs.ts and
// sample.ts before buildWgsl: workgroup and chunk sizes, the masked-logit thresholds, the (row, chunk) map
// of the statistics pass, and a runtime NaN. Both Params start with rows, vocab, nChunks, gridStride.

override WG: u32 = 256u;
override CHUNK: u32 = 4096u; // vocabulary entries per (row, chunk) workgroup of the statistics pass

const NEG_BIG: f32 = -3.0e38; // below every finite logit: the empty max
const MASKED: f32 = -1.0e30;  // logits at or below this (e.g. -inf masks) have probability 0

/** Statistics workgroup flat = row * nChunks + chunk: its row, the chunk's vocabulary entries [start, end)
 *  and the row's first element base = row * vocab. */
struct Chunk { row: u32, start: u32, end: u32, base: u32 }
fn chunkOf(flat: u32) -> Chunk {
  let row = flat / p.nChunks;
  let start = (flat % p.nChunks) * CHUNK;
  return Chunk(row, start, min(start + CHUNK, p.vocab), row * p.vocab);
}

// NaN from a runtime zero (a constant NaN is rejected by WGSL constant evaluation).
fn nanF32(zero: u32) -> f32 { return bitcast<f32>(0x7fc00000u | zero); }
