// LoRA merge: W (out, in) += scale * B (out, r) A (r, in), in place, one thread per weight element.
// W is f32, or f16 when F16 (the sum is formed in f32 and rounded once). A negative scale unmerges.
// Appended to weight_type.wgsl (the WT alias) by lora_merge.ts.

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> w: array<WT>;
@group(0) @binding(1) var<storage, read> a: array<f32>; // (r, in)
@group(0) @binding(2) var<storage, read> b: array<f32>; // (out, r)
@group(0) @binding(3) var<uniform> p: Params;

struct Params { outF: u32, inF: u32, r: u32, rowStride: u32, scale: f32 }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = gid.x + gid.y * p.rowStride;
  if (e >= p.outF * p.inF) { return; }
  let o = e / p.inF;
  let i = e % p.inF;
  var acc = 0.0;
  for (var k = 0u; k < p.r; k++) { acc += b[o * p.r + k] * a[k * p.inF + i]; }
  w[e] = WT(f32(w[e]) + p.scale * acc);
}
