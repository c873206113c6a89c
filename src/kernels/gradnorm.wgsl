// Global L2 norm of many gradient tensors (no atomics, overflow-safe) and the clip factor.
// Stages PARTIAL, FINAL and CLIP are selected with buildWgsl flags.

// Stages (scaled sums of squares):
//   PARTIAL: one workgroup per CHUNK of one tensor -> (scale s, q, flag) with sum x^2 = s^2 q,
//            flag 1 if the chunk has an Inf, 2 if it has a NaN
//   FINAL:   one workgroup combines all partials -> norm (NaN if any NaN, Inf if any Inf)
//   CLIP:    one thread: scale = min(1, maxNorm / (normScale * norm + 1e-6)), NaN when the norm is not finite

override WG: u32 = 256u;
override CHUNK: u32 = 4096u;

struct Params {
  n: u32,         // PARTIAL: elements of this tensor; FINAL: number of partials
  offset: u32,    // PARTIAL: index of this tensor's first partial
  gridStride: u32,
  maxNorm: f32,   // CLIP
  normScale: f32, // CLIP
}

const TINY: f32 = 1.0e-30;

// Partial (s, q): sum of squares = s^2 q. Combining rescales to the larger s.
fn combineQ(sa: f32, qa: f32, sb: f32, qb: f32) -> vec2<f32> {
  let S = max(sa, sb);
  let ra = sa / S;
  let rb = sb / S;
  return vec2<f32>(S, qa * ra * ra + qb * rb * rb);
}

fn special(bits: u32) -> f32 { return bitcast<f32>(bits); }

#if PARTIAL
@group(0) @binding(0) var<storage, read_write> partials: array<f32>; // (P, 4): s, q, flag, -
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> shA: array<f32, WG>;
var<workgroup> shF: array<u32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let chunk = wid.x + wid.y * p.gridStride;
  if (chunk * CHUNK >= p.n) { return; }
  let start = chunk * CHUNK;
  let end = min(start + CHUNK, p.n);
  // pass 1: largest finite |x| and the non-finite flags
  var amax = 0.0;
  var flag = 0u;
  for (var i = start + lid; i < end; i += WG) {
    let b = bitcast<u32>(x[i]);
    if ((b & 0x7f800000u) == 0x7f800000u) {
      flag = max(flag, select(1u, 2u, (b & 0x007fffffu) != 0u));
    } else {
      amax = max(amax, abs(x[i]));
    }
  }
  shA[lid] = amax;
  shF[lid] = flag;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off = off / 2u) {
    if (lid < off) {
      shA[lid] = max(shA[lid], shA[lid + off]);
      shF[lid] = max(shF[lid], shF[lid + off]);
    }
    workgroupBarrier();
  }
  let s = max(shA[0], TINY);
  let f = shF[0];
  workgroupBarrier();
  // pass 2: sum of (x / s)^2 over the finite entries
  var q = 0.0;
  for (var i = start + lid; i < end; i += WG) {
    let b = bitcast<u32>(x[i]);
    if ((b & 0x7f800000u) != 0x7f800000u) {
      let y = x[i] / s; // not x * (1 / s): 1 / s is subnormal for s near f32 max
      q += y * y;
    }
  }
  shA[lid] = q;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off = off / 2u) {
    if (lid < off) { shA[lid] += shA[lid + off]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let o = (p.offset + chunk) * 4u;
    partials[o] = s;
    partials[o + 1u] = shA[0];
    partials[o + 2u] = f32(f);
  }
}
#endif

#if FINAL
@group(0) @binding(0) var<storage, read_write> norm: array<f32>; // (1,)
@group(0) @binding(1) var<storage, read> partials: array<f32>;   // (P, 4)
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> shS: array<f32, WG>;
var<workgroup> shQ: array<f32, WG>;
var<workgroup> shF: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = TINY;
  var q = 0.0;
  var f = 0.0;
  for (var i = lid; i < p.n; i += WG) {
    let c = combineQ(s, q, partials[i * 4u], partials[i * 4u + 1u]);
    s = c.x;
    q = c.y;
    f = max(f, partials[i * 4u + 2u]);
  }
  shS[lid] = s;
  shQ[lid] = q;
  shF[lid] = f;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off = off / 2u) {
    if (lid < off) {
      let c = combineQ(shS[lid], shQ[lid], shS[lid + off], shQ[lid + off]);
      shS[lid] = c.x;
      shQ[lid] = c.y;
      shF[lid] = max(shF[lid], shF[lid + off]);
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let zero = p.n & 0u; // runtime zero: special values cannot be WGSL constants
    if (shF[0] >= 2.0) {
      norm[0] = special(0x7fc00000u | zero);
    } else if (shF[0] >= 1.0) {
      norm[0] = special(0x7f800000u | zero);
    } else {
      norm[0] = shS[0] * sqrt(shQ[0]);
    }
  }
}
#endif

#if CLIP
@group(0) @binding(0) var<storage, read_write> scale: array<f32>; // (1,)
@group(0) @binding(1) var<storage, read> norm: array<f32>;        // (1,)
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(1)
fn main() {
  let nb = bitcast<u32>(norm[0]);
  if ((nb & 0x7f800000u) == 0x7f800000u) {
    scale[0] = special(0x7fc00000u | (p.n & 0u));
    return;
  }
  scale[0] = min(1.0, p.maxNorm / (p.normScale * norm[0] + 1.0e-6));
}
#endif
