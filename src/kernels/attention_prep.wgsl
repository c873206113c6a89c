// Causal attention backward, step 1: per query row Di = sum_d dOut * out, packed with the row's lse
// as stats (row, 2); and per batch the key window range (b, 2) = [start, end) from kvLens / keyStart.

@group(0) @binding(0) var<storage, read_write> stats: array<f32>;  // (B, Hq, Tq, 2): lse, Di
@group(0) @binding(1) var<storage, read_write> range: array<u32>;  // (B, 2): first key, key end
@group(0) @binding(2) var<storage, read> dOut: array<f32>;         // (B, Hq, Tq, D)
@group(0) @binding(3) var<storage, read> outBuf: array<f32>;       // (B, Hq, Tq, D)
@group(0) @binding(4) var<storage, read> lseBuf: array<f32>;       // (B, Hq, Tq)
@group(0) @binding(5) var<storage, read> kvLens: array<u32>;       // (B,) read when flags & 1
@group(0) @binding(6) var<storage, read> keyStart: array<u32>;     // (B,) read when flags & 2
@group(0) @binding(7) var<uniform> p: Params;

struct Params { rows: u32, rowStride: u32, D: u32, B: u32, Tk: u32, flags: u32 }

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i < p.B) {
    var end = p.Tk;
    if ((p.flags & 1u) != 0u) { end = min(kvLens[i], p.Tk); }
    var start = 0u;
    if ((p.flags & 2u) != 0u) { start = min(keyStart[i], end); }
    range[2u * i] = start;
    range[2u * i + 1u] = end;
  }
  if (i >= p.rows) { return; }
  var acc = 0.0;
  let base = i * p.D;
  for (var d = 0u; d < p.D; d++) { acc += dOut[base + d] * outBuf[base + d]; }
  stats[2u * i] = lseBuf[i];
  stats[2u * i + 1u] = acc;
}
