// Embedding lookup over one row block of the table: out[n, c] = table[ids[n] - row0, c] for the tokens whose
// id lies in the block's rows [row0, row0 + rows); other tokens are left alone, except that the dispatch with
// zeroOut = 1 (the first block) writes a zero row for ids >= V. Ids are read as u32 (an i32 id buffer is
// bit-identical, so negative ids become huge); nothing is ever read out of bounds.
// Appended to weight_type.wgsl + embedding_common.wgsl (the table's element type WT: f16 with F16; WG, elementOf).

@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>;  // (N, C)
@group(0) @binding(1) var<storage, read> ids: array<u32>;           // (N,)
@group(0) @binding(2) var<storage, read> table: array<WT>;          // (rows, C): rows [row0, row0 + rows) of (V, C)
@group(0) @binding(3) var<uniform> p: Params;

struct Params { total: u32, C: u32, V: u32, rowStride: u32, row0: u32, rows: u32, zeroOut: u32 }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = elementOf(gid);
  if (e.i >= p.total) { return; }
  let id = ids[e.n];
  let r = id - p.row0; // wraps to a huge value below the block
  if (r < p.rows) {
    outBuf[e.i] = f32(table[r * p.C + e.c]);
  } else if (p.zeroOut != 0u && id >= p.V) {
    outBuf[e.i] = 0.0;
  }
}
