// Combine pass of the split decode attention (attention_decode.wgsl with SPLIT): per query row, the
// chunks' partial results (running max m_c, sum l_c, unnormalised output o_c) merge as
//   M = max_c m_c,  L = sum_c l_c e^(m_c - M),  out = sum_c o_c e^(m_c - M) / L,  lse = M + log L.
// One invocation per (row, head dim); empty chunks (l_c = 0) add nothing; a row with no key gives 0, lse 0.

override WG: u32 = 64u;
const NEG: f32 = -1e30;

@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>;  // (rows, D)
@group(0) @binding(1) var<storage, read_write> lseBuf: array<f32>;  // (rows,)
@group(0) @binding(2) var<storage, read> partO: array<f32>;         // (rows, chunks, D)
@group(0) @binding(3) var<storage, read> partML: array<f32>;        // (rows, chunks, 2): m, l
@group(0) @binding(4) var<uniform> p: Params;

struct Params { rows: u32, D: u32, chunks: u32, rowStride: u32 }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.rows * p.D) { return; }
  let row = i / p.D;
  let d = i % p.D;
  let base = row * p.chunks;
  var M = NEG;
  for (var c = 0u; c < p.chunks; c++) {
    if (partML[2u * (base + c) + 1u] > 0.0) { M = max(M, partML[2u * (base + c)]); }
  }
  var L = 0.0;
  var acc = 0.0;
  for (var c = 0u; c < p.chunks; c++) {
    let l = partML[2u * (base + c) + 1u];
    if (l > 0.0) {
      let w = exp(partML[2u * (base + c)] - M);
      L += l * w;
      acc += partO[(base + c) * p.D + d] * w;
    }
  }
  var inv = 0.0;
  if (L > 0.0) { inv = 1.0 / L; }
  outBuf[i] = acc * inv;
  if (d == 0u) { lseBuf[row] = select(0.0, M + log(L), L > 0.0); }
}
