// Rotary position embedding, Hugging Face rotate-half layout: for each (token n, head h, i < D/2),
//   angle = f32(pos[n]) * invFreq[i]; c = cos(angle) * scaling; s = sin(angle) * scaling * sinSign
//   out[i] = x[i] * c - x[i + D/2] * s;  out[i + D/2] = x[i + D/2] * c + x[i] * s
// sinSign = +1 is the forward rotation, -1 its transpose (the backward). The angle is reduced to
// [-pi, pi] before cos/sin (WGSL only bounds their error there), keeping long positions accurate.

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>;  // (N, H, D)
@group(0) @binding(1) var<storage, read> xBuf: array<f32>;          // (N, H, D)
@group(0) @binding(2) var<storage, read> positions: array<u32>;     // (N,)
@group(0) @binding(3) var<storage, read> invFreq: array<f32>;       // (D/2,)
@group(0) @binding(4) var<uniform> p: Params;

struct Params { total: u32, H: u32, half: u32, rowStride: u32, scaling: f32, sinSign: f32 }

// 2*pi split as TWO_PI_HI + TWO_PI_LO with TWO_PI_HI = 201/32 (8 significant bits), so k * TWO_PI_HI
// is exact for |k| < 2^15 (angles up to ~2e5 rad).
const INV_TWO_PI: f32 = 0.15915494309189535;
const TWO_PI_HI: f32 = 6.28125;
const TWO_PI_LO: f32 = 0.0019353071795864769;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.rowStride;
  if (idx >= p.total) { return; }
  let nh = idx / p.half;          // n * H + h
  let i = idx - nh * p.half;
  let n = nh / p.H;
  let a = f32(positions[n]) * invFreq[i];
  let k = round(a * INV_TWO_PI);
  let r = (a - k * TWO_PI_HI) - k * TWO_PI_LO;
  let c = cos(r) * p.scaling;
  let s = sin(r) * p.scaling * p.sinSign;
  let base = nh * 2u * p.half;
  let x0 = xBuf[base + i];
  let x1 = xBuf[base + i + p.half];
  outBuf[base + i] = x0 * c - x1 * s;
  outBuf[base + i + p.half] = x1 * c + x0 * s;
}
