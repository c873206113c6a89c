// Embedding backward, pass 2 (thread per (token n, column c)), over one row block [row0, row0 + rows) of
// dTable: for the first token of each id in the block, walk the chain of tokens with that id and write
// dTable[id - row0, c] = (acc ? that : 0) + sum of dOut[m, c]. Each dTable element has exactly one writer.
// Ids outside the block (ids >= V are outside every block) are skipped.
// Appended to embedding_common.wgsl (WG, elementOf).

@group(0) @binding(0) var<storage, read_write> dTable: array<f32>;  // (rows, C): one block of (V, C)
@group(0) @binding(1) var<storage, read> dOut: array<f32>;          // (N, C)
@group(0) @binding(2) var<storage, read> ids: array<u32>;           // (N,)
@group(0) @binding(3) var<storage, read> links: array<u32>;         // (2N,)
@group(0) @binding(4) var<uniform> p: Params;

struct Params { total: u32, N: u32, C: u32, row0: u32, rows: u32, rowStride: u32, acc: u32 }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = elementOf(gid);
  if (e.i >= p.total) { return; }
  let r = ids[e.n] - p.row0; // wraps to a huge value below the block
  if (links[p.N + e.n] == 0u || r >= p.rows) { return; }
  var s = 0.0;
  var m = e.n;
  while (m < p.N) {
    s += dOut[m * p.C + e.c];
    m = links[m];
  }
  let o = r * p.C + e.c;
  if (p.acc != 0u) { s += dTable[o]; }
  dTable[o] = s;
}
