// RMSNorm weight gradient, stage 2: dW[c] = (acc ? dW[c] : 0) + sum over chunks of partial[chunk, c].

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read_write> dW: array<f32>;    // (C,)
@group(0) @binding(1) var<storage, read> partial: array<f32>;     // (chunks, C)
@group(0) @binding(2) var<uniform> p: Params;

struct Params { C: u32, chunks: u32, acc: u32, pad: u32 }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= p.C) { return; }
  var s = 0.0;
  for (var k = 0u; k < p.chunks; k++) { s += partial[k * p.C + c]; }
  if (p.acc != 0u) { s += dW[c]; }
  dW[c] = s;
}
