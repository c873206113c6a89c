// AdamW step (PyTorch semantics, decoupled weight decay, bias correction), in place on f32 param, m, v.
// The gradient is multiplied by gradScale and, when USE_SCALE_TENSOR is set, by scale[0] read on the GPU
// (e.g. the clip factor from gradnorm.wgsl); a non-finite scale[0] skips the step (nothing changes).

override WG: u32 = 256u;

struct Params {
  n: u32,
  rowStride: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  omb1: f32,         // 1 - beta1, rounded once from float64 (0.999 in f32 is off by 1e-8: 1e-5 of 1 - beta2)
  omb2: f32,         // 1 - beta2
  eps: f32,
  decay: f32,        // 1 - lr * weightDecay
  gradScale: f32,
  stepSize: f32,     // lr / (1 - beta1^t)
  invSqrtBc2: f32,   // 1 / sqrt(1 - beta2^t)
}

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read_write> m: array<f32>;
@group(0) @binding(2) var<storage, read_write> v: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
#if USE_SCALE_TENSOR
@group(0) @binding(4) var<storage, read> scale: array<f32>; // (1,)
@group(0) @binding(5) var<uniform> p: Params;
#else
@group(0) @binding(4) var<uniform> p: Params;
#endif

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.n) { return; }
  var s = p.gradScale;
#if USE_SCALE_TENSOR
  let sb = bitcast<u32>(scale[0]);
  if ((sb & 0x7f800000u) == 0x7f800000u) { return; } // Inf / NaN: skip the step
  s = s * scale[0];
#endif
  let g = grad[i] * s;
  let mi = p.beta1 * m[i] + p.omb1 * g;
  let vi = p.beta2 * v[i] + p.omb2 * g * g;
  m[i] = mi;
  v[i] = vi;
  let denom = sqrt(vi) * p.invSqrtBc2 + p.eps;
  param[i] = param[i] * p.decay - p.stepSize * mi / denom;
}
