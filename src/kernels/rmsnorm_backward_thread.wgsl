// RMSNorm backward for dX, one thread per row (no workgroup memory, no barriers; see rmsnorm_thread.wgsl):
//   dX = rstd * (w * dy - x * rstd^2 * mean(dy * w * x))   (overwritten, or added when p.acc != 0).
// Same bindings and params as rmsnorm_backward.wgsl. Appended to weight_type.wgsl (WT).

@group(0) @binding(0) var<storage, read_write> dX: array<f32>;  // (N, C)
@group(0) @binding(1) var<storage, read> dOut: array<f32>;      // (N, C)
@group(0) @binding(2) var<storage, read> xBuf: array<f32>;      // (N, C)
@group(0) @binding(3) var<storage, read> wBuf: array<WT>;       // (C,)
@group(0) @binding(4) var<storage, read> rstdBuf: array<f32>;   // (N,)
@group(0) @binding(5) var<uniform> p: Params;

struct Params { rows: u32, C: u32, rowStride: u32, acc: u32 }

override WG: u32 = 16u;  // rows per workgroup

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x + gid.y * p.rowStride;
  if (row >= p.rows) { return; }
  let base = row * p.C;
  var s = 0.0;
  for (var c = 0u; c < p.C; c++) {
    s += dOut[base + c] * f32(wBuf[c]) * xBuf[base + c];
  }
  let r = rstdBuf[row];
  let coef = r * r * s / f32(p.C);
  for (var c = 0u; c < p.C; c++) {
    let i = base + c;
    var v = r * (f32(wBuf[c]) * dOut[i] - xBuf[i] * coef);
    if (p.acc != 0u) { v += dX[i]; }
    dX[i] = v;
  }
}
