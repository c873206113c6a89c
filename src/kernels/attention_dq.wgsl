// Causal attention backward, dQ: one workgroup owns ROWS packed query rows (rho = i * G + g: query i of
// head hk * G + g) of one (batch, kv head) with LANES threads per row, walks the visible keys in tiles of
// LANES, recomputes P = exp(s - lse) and dS = P * (dOut . v - Di), and accumulates dQ = scale * dS K in registers.
// Appended to attention_tiled_common.wgsl (ROWS, LANES, D, DPT, tileOf, queryRow, keyEnd, loadKvTile).

@group(0) @binding(0) var<storage, read_write> dQ: array<f32>; // (B, Hq, Tq, D)
@group(0) @binding(1) var<storage, read> qBuf: array<f32>;     // (B, Hq, Tq, D)
@group(0) @binding(2) var<storage, read> kBuf: array<f32>;     // (B, Hkv, S, D)
@group(0) @binding(3) var<storage, read> vBuf: array<f32>;     // (B, Hkv, S, D)
@group(0) @binding(4) var<storage, read> dOut: array<f32>;     // (B, Hq, Tq, D)
@group(0) @binding(5) var<storage, read> stats: array<f32>;    // (B, Hq, Tq, 2): lse, Di
@group(0) @binding(6) var<storage, read> range: array<u32>;    // (B, 2): first key, key end
@group(0) @binding(7) var<uniform> p: Params;

struct Params { Hq: u32, Hkv: u32, Tq: u32, S: u32, scale: f32 }

var<workgroup> qs: array<f32, ROWS * D>;          // query tile, pre-scaled
var<workgroup> dos: array<f32, ROWS * D>;         // dOut tile
var<workgroup> ks: array<f32, LANES * (D + 1u)>;  // key tile (padded rows)
var<workgroup> vs: array<f32, LANES * (D + 1u)>;  // value tile (padded rows)
var<workgroup> dss: array<f32, ROWS * LANES>;     // dS of the tile

@compute @workgroup_size(ROWS * LANES)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let WG = ROWS * LANES;
  let KS = D + 1u;
  let t = tileOf(wid);
  let r = tid / LANES;
  let lane = tid % LANES;

  let start = range[2u * t.b];
  let end = range[2u * t.b + 1u];
  let qr = queryRow(t, r, end);
  let kEnd = keyEnd(t, end);

  let kBase = kvOffset(t.b, t.hk, 0u);
  for (var e = tid; e < ROWS * D; e += WG) {
    let re = t.row0 + e / D;
    var x = 0.0;
    var g = 0.0;
    if (re < t.nRows) {
      let idx = packedOffset(t, re) + e % D;
      x = qBuf[idx] * p.scale;
      g = dOut[idx];
    }
    qs[e] = x;
    dos[e] = g;
  }
  let row = packedOffset(t, qr.rho) / D;
  var lse = 0.0;
  var di = 0.0;
  if (qr.ok) {
    lse = stats[2u * row];
    di = stats[2u * row + 1u];
  }

  var acc: array<f32, DPT>;
  var k0 = i32(start);
  loop {
    if (k0 >= kEnd) { break; }
    loadKvTile(tid, u32(k0), end, kBase, KS);
    workgroupBarrier();

    let kj = k0 + i32(lane);
    var ds = 0.0;
    if (qr.ok && kj <= qr.qPos) {
      var s = 0.0;
      var dp = 0.0;
      for (var d = 0u; d < D; d++) {
        s += qs[r * D + d] * ks[lane * KS + d];
        dp += dos[r * D + d] * vs[lane * KS + d];
      }
      ds = exp(s - lse) * (dp - di);
    }
    dss[r * LANES + lane] = ds;
    workgroupBarrier();

    for (var j = 0u; j < LANES; j++) {
      let g = dss[r * LANES + j];
      for (var c = 0u; c < DPT; c++) {
        let d = lane + c * LANES;
        if (d < D) { acc[c] += g * ks[j * KS + d]; }
      }
    }
    workgroupBarrier();
    k0 += i32(LANES);
  }

  if (qr.ok) {
    let base = row * D;
    for (var c = 0u; c < DPT; c++) {
      let d = lane + c * LANES;
      if (d < D) { dQ[base + d] = acc[c] * p.scale; }
    }
  }
}
