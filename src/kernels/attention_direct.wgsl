// Causal attention forward for CPU adapters (lavapipe, SwiftShader): no workgroup memory, no barriers.
// One invocation per packed query row rho = i * G + g (query i of head hk * G + g) keeps its pre-scaled
// query and output accumulator in registers (head-dim quads) and walks the keys with an online softmax.
// The key loop bounds depend only on the workgroup, so every key / value load has the same address in all
// invocations (one scalar load broadcast to the SIMD lanes on CPU drivers); the causal mask is a select.
// With VEC4 (D % 4 == 0) key / value rows are read as vec4 quads: a quarter of the loads.

override WG: u32 = 16u;    // packed query rows per workgroup
const D: u32 = ${D}u;      // head dim (sizes the register arrays)
const D4: u32 = ${D4}u;    // head-dim quads: ceil(D / 4)
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

/** Quad c (head dims 4c..4c+3) of the key / value row that starts at element e. Without VEC4, dims past D
 *  repeat the row's last element: their partners (the zero-padded q / dOut quads, the accumulators'
 *  padding that is never stored) make them harmless. */
fn kQuad(e: u32, c: u32) -> vec4<f32> {
#if VEC4
  return kBuf[e / 4u + c];
#else
  let d = 4u * c;
  return vec4<f32>(kBuf[e + d], kBuf[e + min(d + 1u, D - 1u)], kBuf[e + min(d + 2u, D - 1u)], kBuf[e + min(d + 3u, D - 1u)]);
#endif
}
fn vQuad(e: u32, c: u32) -> vec4<f32> {
#if VEC4
  return vBuf[e / 4u + c];
#else
  let d = 4u * c;
  return vec4<f32>(vBuf[e + d], vBuf[e + min(d + 1u, D - 1u)], vBuf[e + min(d + 2u, D - 1u)], vBuf[e + min(d + 3u, D - 1u)]);
#endif
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let flat = wid.x + wid.y * p.groupsX;
  let tile = flat % p.tiles;
  let hk = (flat / p.tiles) % p.Hkv;
  let b = flat / p.tiles / p.Hkv;
  if (b >= p.B) { return; } // padding workgroups of the x / y split

  let G = p.Hq / p.Hkv;
  let nRows = p.Tq * G;
  let r0 = tile * WG;
  let rho = r0 + lid;
  let rc = min(rho, nRows - 1u); // rows past the end compute a copy of the last row, never stored
  let row = (b * p.Hq + hk * G + rc % G) * p.Tq + rc / G;

  // Key window [start, end); query i sits at qPos = i + end - Tq and sees keys start <= j <= qPos.
  var end = p.Tk;
  if ((p.flags & 1u) != 0u) { end = min(kvLens[b], p.Tk); }
  var start = 0u;
  if ((p.flags & 2u) != 0u) { start = min(keyStart[b], end); }
  let off = i32(end) - i32(p.Tq);
  // Keys any row of the workgroup sees: [start, kEnd); this row's last key: jMax.
  let kEnd = min(i32(end), i32((min(r0 + WG, nRows) - 1u) / G) + off + 1);
  let jMax = min(i32(rc / G) + off, kEnd - 1);
  let kBase = (b * p.Hkv + hk) * p.S * D;

  var q: array<vec4<f32>, D4>;
  for (var d = 0u; d < D; d++) { q[d / 4u][d % 4u] = qBuf[row * D + d] * p.scale; }
  var o: array<vec4<f32>, D4>;
  var m = NEG;
  var l = 0.0;
  for (var j = i32(start); j < kEnd; j++) {
    let e = kBase + u32(j) * D;
    var s = 0.0;
    for (var c = 0u; c < D4; c++) { s += dot(q[c], kQuad(e, c)); }
    // One exp per key: either the running max stays (alpha = 1, pj = e^(s - m)) or s is the new max
    // (alpha = e^(m - s), pj = 1). Masked keys: s = NEG, pj = 0, alpha = 1.
    let vis = j <= jMax;
    let sv = select(NEG, s, vis);
    let x = exp(-abs(sv - m));
    let grow = sv > m;
    let alpha = select(1.0, x, grow);
    let pj = select(0.0, select(x, 1.0, grow), vis);
    m = max(m, sv);
    l = l * alpha + pj;
    for (var c = 0u; c < D4; c++) { o[c] = fma(vec4<f32>(pj), vQuad(e, c), o[c] * alpha); }
  }

  if (rho < nRows) {
    var inv = 0.0;
    if (l > 0.0) { inv = 1.0 / l; }
    for (var d = 0u; d < D; d++) { outBuf[row * D + d] = o[d / 4u][d % 4u] * inv; }
    // A row with no visible key stores lse = 0 (finite, so debug checks stay quiet); out is 0.
    lseBuf[row] = select(0.0, m + log(l), l > 0.0);
  }
}
