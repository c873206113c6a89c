// Causal attention backward, dQ, for CPU adapters: no workgroup memory, no barriers. One invocation per
// packed query row rho = i * G + g keeps q, dOut and the dQ accumulator in registers (head-dim quads),
// walks the visible keys with workgroup-uniform bounds (key / value loads broadcast to all lanes),
// recomputes P = exp(s - lse) and dS = P * (dOut . v - Di), and accumulates dQ = scale * dS K.
// With VEC4 (D % 4 == 0) key / value rows are read as vec4 quads.
// Appended to attention_direct_common.wgsl (WG, D, D4, kQuad / vQuad, slotOf, queryRow, keySpan).

@group(0) @binding(0) var<storage, read_write> dQ: array<f32>;  // (B, Hq, Tq, D)
@group(0) @binding(1) var<storage, read> qBuf: array<f32>;      // (B, Hq, Tq, D)
#if VEC4
@group(0) @binding(2) var<storage, read> kBuf: array<vec4<f32>>; // (B, Hkv, S, D / 4)
@group(0) @binding(3) var<storage, read> vBuf: array<vec4<f32>>; // (B, Hkv, S, D / 4)
#else
@group(0) @binding(2) var<storage, read> kBuf: array<f32>;       // (B, Hkv, S, D)
@group(0) @binding(3) var<storage, read> vBuf: array<f32>;       // (B, Hkv, S, D)
#endif
@group(0) @binding(4) var<storage, read> dOut: array<f32>;      // (B, Hq, Tq, D)
@group(0) @binding(5) var<storage, read> stats: array<vec2<f32>>; // (B, Hq, Tq): lse, Di
@group(0) @binding(6) var<storage, read> range: array<u32>;     // (B, 2): first key, key end
@group(0) @binding(7) var<uniform> p: Params;

// tiles: workgroups per (batch, kv head); groupsX: workgroups along x (flat index = x + y * groupsX).
struct Params { B: u32, Hq: u32, Hkv: u32, Tq: u32, S: u32, scale: f32, tiles: u32, groupsX: u32 }

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let slot = slotOf(wid);
  if (slot.b >= p.B) { return; } // padding workgroups of the x / y split
  let r = queryRow(slot, lid);

  let start = range[2u * slot.b];
  let span = keySpan(r, range[2u * slot.b + 1u]);
  let kBase = kvOffset(slot, 0u);

  var q: array<vec4<f32>, D4>;
  var g: array<vec4<f32>, D4>;
  for (var d = 0u; d < D; d++) {
    q[d / 4u][d % 4u] = qBuf[r.row * D + d] * p.scale;
    g[d / 4u][d % 4u] = dOut[r.row * D + d];
  }
  let st = stats[r.row];

  var acc: array<vec4<f32>, D4>;
  for (var j = i32(start); j < span.kEnd; j++) {
    let e = kBase + u32(j) * D;
    var kr: array<vec4<f32>, D4>;
    var s = 0.0;
    var dp = 0.0;
    for (var c = 0u; c < D4; c++) {
      kr[c] = kQuad(e, c);
      s += dot(q[c], kr[c]);
      dp += dot(g[c], vQuad(e, c));
    }
    let ds = select(0.0, exp(s - st.x) * (dp - st.y), j <= span.jMax);
    for (var c = 0u; c < D4; c++) { acc[c] = fma(vec4<f32>(ds), kr[c], acc[c]); }
  }

  if (r.rho < r.nRows) {
    for (var d = 0u; d < D; d++) { dQ[r.row * D + d] = acc[d / 4u][d % 4u] * p.scale; }
  }
}
