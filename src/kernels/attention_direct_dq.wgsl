// Causal attention backward, dQ, for CPU adapters: no workgroup memory, no barriers. One invocation per
// packed query row rho = i * G + g keeps q, dOut and the dQ accumulator in registers (head-dim quads),
// walks the visible keys with workgroup-uniform bounds (key / value loads broadcast to all lanes),
// recomputes P = exp(s - lse) and dS = P * (dOut . v - Di), and accumulates dQ = scale * dS K.
// With VEC4 (D % 4 == 0) key / value rows are read as vec4 quads.

override WG: u32 = 16u;    // packed query rows per workgroup
const D: u32 = ${D}u;      // head dim (sizes the register arrays)
const D4: u32 = ${D4}u;    // head-dim quads: ceil(D / 4)

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

  let start = range[2u * b];
  let end = range[2u * b + 1u];
  let off = i32(end) - i32(p.Tq);
  let kEnd = min(i32(end), i32((min(r0 + WG, nRows) - 1u) / G) + off + 1);
  let jMax = min(i32(rc / G) + off, kEnd - 1);
  let kBase = (b * p.Hkv + hk) * p.S * D;

  var q: array<vec4<f32>, D4>;
  var g: array<vec4<f32>, D4>;
  for (var d = 0u; d < D; d++) {
    q[d / 4u][d % 4u] = qBuf[row * D + d] * p.scale;
    g[d / 4u][d % 4u] = dOut[row * D + d];
  }
  let st = stats[row];

  var acc: array<vec4<f32>, D4>;
  for (var j = i32(start); j < kEnd; j++) {
    let e = kBase + u32(j) * D;
    var kr: array<vec4<f32>, D4>;
    var s = 0.0;
    var dp = 0.0;
    for (var c = 0u; c < D4; c++) {
      kr[c] = kQuad(e, c);
      s += dot(q[c], kr[c]);
      dp += dot(g[c], vQuad(e, c));
    }
    let ds = select(0.0, exp(s - st.x) * (dp - st.y), j <= jMax);
    for (var c = 0u; c < D4; c++) { acc[c] = fma(vec4<f32>(ds), kr[c], acc[c]); }
  }

  if (rho < nRows) {
    for (var d = 0u; d < D; d++) { dQ[row * D + d] = acc[d / 4u][d % 4u] * p.scale; }
  }
}
