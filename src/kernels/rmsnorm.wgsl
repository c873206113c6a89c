// RMSNorm forward, one workgroup per row: rstd = 1 / sqrt(mean(x^2) + eps); out = x * rstd * weight.
// Weights of type WT (f16 with F16). Rows are spread over x/y workgroups (row = wid.x + wid.y * rowStride).
// Appended to weight_type.wgsl + rmsnorm_common.wgsl (WT, WG, rowSum).

@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>;   // (N, C)
@group(0) @binding(1) var<storage, read_write> rstdBuf: array<f32>;  // (N,)
@group(0) @binding(2) var<storage, read> xBuf: array<f32>;           // (N, C)
@group(0) @binding(3) var<storage, read> wBuf: array<WT>;            // (C,)
@group(0) @binding(4) var<uniform> p: Params;

struct Params { rows: u32, C: u32, rowStride: u32, eps: f32 }

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wid.x + wid.y * p.rowStride;
  if (row >= p.rows) { return; }
  let base = row * p.C;
  var ss = 0.0;
  for (var c = lid.x; c < p.C; c += WG) {
    let v = xBuf[base + c];
    ss += v * v;
  }
  let r = inverseSqrt(rowSum(ss, lid.x) / f32(p.C) + p.eps);
  if (lid.x == 0u) { rstdBuf[row] = r; }
  for (var c = lid.x; c < p.C; c += WG) {
    outBuf[base + c] = xBuf[base + c] * r * f32(wBuf[c]);
  }
}
