// SwiGLU backward: dUp = dOut * silu(gate); dGate = dOut * up * sigmoid(g) * (1 + g * (1 - sigmoid(g))).
// Appended to swiglu_common.wgsl (WG, Params, sigmoid).

@group(0) @binding(0) var<storage, read_write> dGate: array<f32>;  // (N, F)
@group(0) @binding(1) var<storage, read_write> dUp: array<f32>;    // (N, F)
@group(0) @binding(2) var<storage, read> dOut: array<f32>;         // (N, F)
@group(0) @binding(3) var<storage, read> gateBuf: array<f32>;      // (N, F)
@group(0) @binding(4) var<storage, read> upBuf: array<f32>;        // (N, F)
@group(0) @binding(5) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.n) { return; }
  let g = gateBuf[i];
  let s = sigmoid(g);
  let dy = dOut[i];
  dUp[i] = dy * g * s;
  dGate[i] = dy * upBuf[i] * s * (1.0 + g * (1.0 - s));
}
