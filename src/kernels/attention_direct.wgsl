// Causal attention forward for CPU adapters (lavapipe, SwiftShader): no workgroup memory, no barriers.
// One invocation per packed query row rho = i * G + g (query i of head hk * G + g) keeps its pre-scaled
// query and output accumulator in registers (head-dim quads) and walks the keys with an online softmax.
// The key loop bounds depend only on the workgroup, so every key / value load has the same address in all
// invocations (one scalar load broadcast to the SIMD lanes on CPU drivers); the causal mask is a select.
// With VEC4 (D % 4 == 0) key / value rows are read as vec4 quads: a quarter of the loads.
// Appended to attention_direct_common.wgsl (WG, D, D4, kQuad / vQuad, slotOf, queryRow, keySpan).

const NEG: f32 = -1e30;    // masked score (finite on purpose: no inf arithmetic)

@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>; // (B, Hq, Tq, D)
@group(0) @binding(1) var<storage, read_write> lseBuf: array<f32>; // (B, Hq, Tq)
@group(0) @binding(2) var<storage, read> qBuf: array<f32>;         // (B, Hq, Tq, D)
#if VEC4
@group(0) @binding(3) var<storage, read> kBuf: array<vec4<f32>>;   // (B, Hkv, S, D / 4)
@group(0) @binding(4) var<storage, read> vBuf: array<vec4<f32>>;   // (B, Hkv, S, D / 4)
#else
@group(0) @binding(3) var<storage, read> kBuf: array<f32>;         // (B, Hkv, S, D)
@group(0) @binding(4) var<storage, read> vBuf: array<f32>;         // (B, Hkv, S, D)
#endif
@group(0) @binding(5) var<storage, read> kvLens: array<u32>;       // (B,) read when flags & 1
@group(0) @binding(6) var<storage, read> keyStart: array<u32>;     // (B,) read when flags & 2
@group(0) @binding(7) var<uniform> p: Params;

// tiles: workgroups per (batch, kv head); groupsX: workgroups along x (flat index = x + y * groupsX).
struct Params { B: u32, Hq: u32, Hkv: u32, Tq: u32, Tk: u32, S: u32, flags: u32, scale: f32, tiles: u32, groupsX: u32 }

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let slot = slotOf(wid);
  if (slot.b >= p.B) { return; } // padding workgroups of the x / y split
  let r = queryRow(slot, lid);

  // Key window [start, end) of batch b.
  var end = p.Tk;
  if ((p.flags & 1u) != 0u) { end = min(kvLens[slot.b], p.Tk); }
  var start = 0u;
  if ((p.flags & 2u) != 0u) { start = min(keyStart[slot.b], end); }
  let span = keySpan(r, end);
  let kBase = kvOffset(slot, 0u);

  var q: array<vec4<f32>, D4>;
  for (var d = 0u; d < D; d++) { q[d / 4u][d % 4u] = qBuf[r.row * D + d] * p.scale; }
  var o: array<vec4<f32>, D4>;
  var m = NEG;
  var l = 0.0;
  for (var j = i32(start); j < span.kEnd; j++) {
    let e = kBase + u32(j) * D;
    var s = 0.0;
    for (var c = 0u; c < D4; c++) { s += dot(q[c], kQuad(e, c)); }
    // One exp per key: either the running max stays (alpha = 1, pj = e^(s - m)) or s is the new max
    // (alpha = e^(m - s), pj = 1). Masked keys: s = NEG, pj = 0, alpha = 1.
    let vis = j <= span.jMax;
    let sv = select(NEG, s, vis);
    let x = exp(-abs(sv - m));
    let grow = sv > m;
    let alpha = select(1.0, x, grow);
    let pj = select(0.0, select(x, 1.0, grow), vis);
    m = max(m, sv);
    l = l * alpha + pj;
    for (var c = 0u; c < D4; c++) { o[c] = fma(vec4<f32>(pj), vQuad(e, c), o[c] * alpha); }
  }

  if (r.rho < r.nRows) {
    var inv = 0.0;
    if (l > 0.0) { inv = 1.0 / l; }
    for (var d = 0u; d < D; d++) { outBuf[r.row * D + d] = o[d / 4u][d % 4u] * inv; }
    // A row with no visible key stores lse = 0 (finite, so debug checks stay quiet); out is 0.
    lseBuf[r.row] = select(0.0, m + log(l), l > 0.0);
  }
}
