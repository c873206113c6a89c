// RMSNorm forward, one thread per row (no workgroup memory, no barriers): the layout for CPU adapters
// (lavapipe, SwiftShader), where a workgroup per short row spends its time switching between the
// threads at each barrier of the tree sum. Same bindings and params as rmsnorm.wgsl.
// Appended to weight_type.wgsl (WT).

@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>;   // (N, C)
@group(0) @binding(1) var<storage, read_write> rstdBuf: array<f32>;  // (N,)
@group(0) @binding(2) var<storage, read> xBuf: array<f32>;           // (N, C)
@group(0) @binding(3) var<storage, read> wBuf: array<WT>;            // (C,)
@group(0) @binding(4) var<uniform> p: Params;

struct Params { rows: u32, C: u32, rowStride: u32, eps: f32 }

override WG: u32 = 16u;  // rows per workgroup

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x + gid.y * p.rowStride;
  if (row >= p.rows) { return; }
  let base = row * p.C;
  var ss = 0.0;
  for (var c = 0u; c < p.C; c++) {
    let v = xBuf[base + c];
    ss += v * v;
  }
  let r = inverseSqrt(ss / f32(p.C) + p.eps);
  rstdBuf[row] = r;
  for (var c = 0u; c < p.C; c++) {
    outBuf[base + c] = xBuf[base + c] * r * f32(wBuf[c]);
  }
}
