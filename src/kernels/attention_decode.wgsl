// One-token decode attention over a KV cache, split over the cache (flash-decoding). Workgroup
// (tile, chunk, kv head hk, batch b): invocation g is query head hk * G + g (one row per head sharing the
// kv head), walking the keys of chunk c, [c * chunkLen, (c + 1) * chunkLen) within the slot's window
// [start, end), with an online softmax in registers (query and output as head-dim quads). All keys of the
// window are visible to the one query (it sits at position end - 1). Key / value loads have the same
// address in every invocation (one broadcast load on CPU drivers, one cache line on GPUs).
// SPLIT: the chunk's running max m, sum l and unnormalised output go to partial buffers that
// attention_decode_combine.wgsl merges; else (one chunk) out = o / l and lse = m + log l directly.
// KT (f16 with F16, else f32) is the cache's element type; q, out and all arithmetic are f32.
#if F16
enable f16;
alias KT = f16;
#else
alias KT = f32;
#endif

override WG: u32 = 8u;     // query heads per workgroup (rows of a tile)
const D: u32 = ${D}u;      // head dim (sizes the register arrays)
const D4: u32 = ${D4}u;    // head-dim quads: ceil(D / 4)
const NEG: f32 = -1e30;    // running max before any key (finite on purpose: no inf arithmetic)

@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>;  // SPLIT: (B, Hq, chunks, D) unnormalised; else (B, Hq, D)
@group(0) @binding(1) var<storage, read_write> statBuf: array<f32>; // SPLIT: (B, Hq, chunks, 2) m, l; else lse (B, Hq)
@group(0) @binding(2) var<storage, read> qBuf: array<f32>;          // (B, Hq, D)
#if VEC4
@group(0) @binding(3) var<storage, read> kBuf: array<vec4<KT>>;     // (B, Hkv, S, D / 4)
@group(0) @binding(4) var<storage, read> vBuf: array<vec4<KT>>;     // (B, Hkv, S, D / 4)
#else
@group(0) @binding(3) var<storage, read> kBuf: array<KT>;           // (B, Hkv, S, D)
@group(0) @binding(4) var<storage, read> vBuf: array<KT>;           // (B, Hkv, S, D)
#endif
@group(0) @binding(5) var<storage, read> kvLens: array<u32>;        // (B,) read when flags & 1
@group(0) @binding(6) var<storage, read> keyStart: array<u32>;      // (B,) read when flags & 2
@group(0) @binding(7) var<uniform> p: Params;

// tiles: workgroups per (b, hk, chunk) covering the G heads; groupsX: workgroups along x (flat = x + y * groupsX).
struct Params { B: u32, Hq: u32, Hkv: u32, Tk: u32, S: u32, flags: u32, scale: f32, chunks: u32, chunkLen: u32, tiles: u32, groupsX: u32 }

// Quad c (head dims 4c..4c+3) of the cache row starting at element e, as f32. Without VEC4 the dims past D
// repeat the row's last element; the zero-padded query quad and the never-stored output padding make that harmless.
#if VEC4
fn kQuad(e: u32, c: u32) -> vec4<f32> { return vec4<f32>(kBuf[e / 4u + c]); }
fn vQuad(e: u32, c: u32) -> vec4<f32> { return vec4<f32>(vBuf[e / 4u + c]); }
#else
fn quadIdx(e: u32, c: u32) -> vec4<u32> {
  let d = 4u * c;
  return vec4<u32>(e + d, e + min(d + 1u, D - 1u), e + min(d + 2u, D - 1u), e + min(d + 3u, D - 1u));
}
fn kQuad(e: u32, c: u32) -> vec4<f32> { let i = quadIdx(e, c); return vec4<f32>(f32(kBuf[i.x]), f32(kBuf[i.y]), f32(kBuf[i.z]), f32(kBuf[i.w])); }
fn vQuad(e: u32, c: u32) -> vec4<f32> { let i = quadIdx(e, c); return vec4<f32>(f32(vBuf[i.x]), f32(vBuf[i.y]), f32(vBuf[i.z]), f32(vBuf[i.w])); }
#endif

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let flat = wid.x + wid.y * p.groupsX;
  let tile = flat % p.tiles;
  let chunk = (flat / p.tiles) % p.chunks;
  let hk = (flat / p.tiles / p.chunks) % p.Hkv;
  let b = flat / p.tiles / p.chunks / p.Hkv;
  if (b >= p.B) { return; } // padding workgroups of the x / y split
  let G = p.Hq / p.Hkv;
  let g = tile * WG + lid;
  let h = hk * G + min(g, G - 1u); // rows past G compute a copy of the last head, never stored
  let row = b * p.Hq + h;

  // Key window [start, end) of slot b, cut to this chunk.
  var end = p.Tk;
  if ((p.flags & 1u) != 0u) { end = min(kvLens[b], p.Tk); }
  var start = 0u;
  if ((p.flags & 2u) != 0u) { start = min(keyStart[b], end); }
  let lo = max(start, chunk * p.chunkLen);
  let hi = min(end, (chunk + 1u) * p.chunkLen);
  let kBase = (b * p.Hkv + hk) * p.S * D;

  var q: array<vec4<f32>, D4>;
  for (var d = 0u; d < D; d++) { q[d / 4u][d % 4u] = qBuf[row * D + d] * p.scale; }
  var o: array<vec4<f32>, D4>;
  var m = NEG;
  var l = 0.0;
  for (var j = lo; j < hi; j++) {
    let e = kBase + j * D;
    var s = 0.0;
    for (var c = 0u; c < D4; c++) { s += dot(q[c], kQuad(e, c)); }
    // One exp per key: either the running max stays (alpha = 1, pj = e^(s - m)) or s is the new max (alpha = e^(m - s), pj = 1).
    let x = exp(-abs(s - m));
    let grow = s > m;
    let alpha = select(1.0, x, grow);
    let pj = select(x, 1.0, grow);
    m = max(m, s);
    l = l * alpha + pj;
    for (var c = 0u; c < D4; c++) { o[c] = fma(vec4<f32>(pj), vQuad(e, c), o[c] * alpha); }
  }
  if (g >= G) { return; }

#if SPLIT
  let pr = row * p.chunks + chunk;
  for (var d = 0u; d < D; d++) { outBuf[pr * D + d] = o[d / 4u][d % 4u]; }
  statBuf[2u * pr] = m;
  statBuf[2u * pr + 1u] = l;
#else
  var inv = 0.0;
  if (l > 0.0) { inv = 1.0 / l; }
  for (var d = 0u; d < D; d++) { outBuf[row * D + d] = o[d / 4u][d % 4u] * inv; }
  // A slot with no visible key stores lse = 0 (finite, so debug checks stay quiet); out is 0.
  statBuf[row] = select(0.0, m + log(l), l > 0.0);
#endif
}
