// Embedding lookup: out[n, c] = table[ids[n], c]. Ids are read as u32 (an i32 id buffer is
// bit-identical, so negative ids become huge); an id >= V yields a zero row (never reads out of bounds).
// Appended to weight_type.wgsl + embedding_common.wgsl (the table's element type WT: f16 with F16; WG, elementOf).

@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>;  // (N, C)
@group(0) @binding(1) var<storage, read> ids: array<u32>;           // (N,)
@group(0) @binding(2) var<storage, read> table: array<WT>;          // (V, C)
@group(0) @binding(3) var<uniform> p: Params;

struct Params { total: u32, C: u32, V: u32, rowStride: u32 }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = elementOf(gid);
  if (e.i >= p.total) { return; }
  let id = ids[e.n];
  var v = 0.0;
  if (id < p.V) { v = f32(table[id * p.C + e.c]); }
  outBuf[e.i] = v;
}
