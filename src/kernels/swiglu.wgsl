// SwiGLU forward: out = silu(gate) * up, elementwise (f32). silu(g) = g * sigmoid(g).
// Appended to swiglu_common.wgsl (WG, Params, sigmoid).

@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>;  // (N, F)
@group(0) @binding(1) var<storage, read> gateBuf: array<f32>;       // (N, F)
@group(0) @binding(2) var<storage, read> upBuf: array<f32>;         // (N, F)
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.n) { return; }
  let g = gateBuf[i];
  outBuf[i] = g * sigmoid(g) * upBuf[i];
}
