// FMA ceiling probe for the kernels benchmark (not an engine kernel): each invocation runs CHAINS
// independent fused multiply-add chains on vec4<f32> registers, written out by hand 4 steps per loop
// trip (so the driver needs no unrolling to keep them in registers), and stores one sum at the end
// (so nothing can be optimised away). No other memory traffic. FLOPs per invocation:
// iters * 4 (steps per trip) * CHAINS * 4 (vec4) * 2. CHAINS is 4, or 8 with #if WIDE.

@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>; // (invocations)

struct Params {
  iters: u32,  // loop trips (each 4 steps of CHAINS fmas)
  mul: f32,    // |mul| < 1 and a small add keep every chain finite (it tends to add / (1 - mul))
  add: f32,
}
@group(0) @binding(1) var<uniform> p: Params;

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x;
  let s = f32(idx) * 1e-7;
  let m = vec4<f32>(p.mul);
  let c = vec4<f32>(p.add);
  var a0 = vec4<f32>(s, s + 0.01, s + 0.02, s + 0.03);
  var a1 = a0 + 0.1;
  var a2 = a0 + 0.2;
  var a3 = a0 + 0.3;
#if WIDE
  var a4 = a0 + 0.4;
  var a5 = a0 + 0.5;
  var a6 = a0 + 0.6;
  var a7 = a0 + 0.7;
#endif
  for (var i = 0u; i < p.iters; i++) {
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
#if WIDE
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
#endif
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
#if WIDE
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
#endif
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
#if WIDE
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
#endif
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
#if WIDE
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
#endif
  }
  var t = a0 + a1 + a2 + a3;
#if WIDE
  t += a4 + a5 + a6 + a7;
#endif
  outBuf[idx] = t.x + t.y + t.z + t.w;
}
