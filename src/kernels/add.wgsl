// Residual add: out = a + b (elementwise, f32). Backward is the identity for both inputs,
// so dA/dB accumulation uses the `accumulate` entry (dst += src).

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>;
@group(0) @binding(1) var<storage, read> aBuf: array<f32>;
@group(0) @binding(2) var<storage, read> bBuf: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

struct Params { n: u32, rowStride: u32 }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.n) { return; }
  outBuf[i] = aBuf[i] + bBuf[i];
}
