// SwiGLU forward: out = silu(gate) * up, elementwise (f32). silu(g) = g * sigmoid(g).

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>;  // (N, F)
@group(0) @binding(1) var<storage, read> gateBuf: array<f32>;       // (N, F)
@group(0) @binding(2) var<storage, read> upBuf: array<f32>;         // (N, F)
@group(0) @binding(3) var<uniform> p: Params;

struct Params { n: u32, rowStride: u32 }

// Overflow-free logistic: exp() only ever sees a non-positive argument.
fn sigmoid(g: f32) -> f32 {
  let e = exp(-abs(g));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), g >= 0.0);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.n) { return; }
  let g = gateBuf[i];
  outBuf[i] = g * sigmoid(g) * upBuf[i];
}
