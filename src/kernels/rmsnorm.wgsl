// RMSNorm forward, one workgroup per row: rstd = 1 / sqrt(mean(x^2) + eps); out = x * rstd * weight.
// `#if F16` reads an f16 weight. Rows are spread over x/y workgroups (row = wid.x + wid.y * rowStride).
#if F16
enable f16;
#endif

override WG: u32 = 256u;  // power of two

#if F16
alias WT = f16;
#else
alias WT = f32;
#endif

@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>;   // (N, C)
@group(0) @binding(1) var<storage, read_write> rstdBuf: array<f32>;  // (N,)
@group(0) @binding(2) var<storage, read> xBuf: array<f32>;           // (N, C)
@group(0) @binding(3) var<storage, read> wBuf: array<WT>;            // (C,)
@group(0) @binding(4) var<uniform> p: Params;

struct Params { rows: u32, C: u32, rowStride: u32, eps: f32 }

var<workgroup> red: array<f32, WG>;

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
  red[lid.x] = ss;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid.x < s) { red[lid.x] += red[lid.x + s]; }
    workgroupBarrier();
  }
  let r = inverseSqrt(red[0] / f32(p.C) + p.eps);
  if (lid.x == 0u) { rstdBuf[row] = r; }
  for (var c = lid.x; c < p.C; c += WG) {
    outBuf[base + c] = xBuf[base + c] * r * f32(wBuf[c]);
  }
}
