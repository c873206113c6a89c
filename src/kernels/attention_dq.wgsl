// Causal attention backward, dQ: one workgroup owns ROWS packed query rows (rho = i * G + g: query i of
// head hk * G + g) of one (batch, kv head) with LANES threads per row, walks the visible keys in tiles of
// LANES, recomputes P = exp(s - lse) and dS = P * (dOut . v - Di), and accumulates dQ = scale * dS K in registers.

override ROWS: u32 = 16u;  // packed query rows per workgroup
override LANES: u32 = 16u; // keys per tile = threads per query row
override D: u32 = 64u;
const DPT: u32 = ${DPT}u;  // ceil(D / LANES): thread `lane` owns d = lane + c * LANES

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

/** Element offset of query row i of head h in batch b in a (B, Hq, Tq, D) tensor. */
fn qOffset(b: u32, h: u32, i: u32) -> u32 { return ((b * p.Hq + h) * p.Tq + i) * D; }

@compute @workgroup_size(ROWS * LANES)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let WG = ROWS * LANES;
  let KS = D + 1u;
  let b = wid.z;
  let hk = wid.y;
  let G = p.Hq / p.Hkv;
  let nRows = p.Tq * G;
  let q0 = wid.x * ROWS;
  let r = tid / LANES;
  let lane = tid % LANES;

  let start = range[2u * b];
  let end = range[2u * b + 1u];
  let off = i32(end) - i32(p.Tq);
  let rho = q0 + r;
  let rowOk = rho < nRows;
  let qPos = i32(rho / G) + off;
  let lastQuery = (min(q0 + ROWS, nRows) - 1u) / G;
  let kEnd = min(i32(end), i32(lastQuery) + off + 1);

  let kBase = (b * p.Hkv + hk) * p.S * D;
  for (var e = tid; e < ROWS * D; e += WG) {
    let re = q0 + e / D;
    var x = 0.0;
    var g = 0.0;
    if (re < nRows) {
      let idx = qOffset(b, hk * G + re % G, re / G) + e % D;
      x = qBuf[idx] * p.scale;
      g = dOut[idx];
    }
    qs[e] = x;
    dos[e] = g;
  }
  let row = qOffset(b, hk * G + rho % G, rho / G) / D;
  var lse = 0.0;
  var di = 0.0;
  if (rowOk) {
    lse = stats[2u * row];
    di = stats[2u * row + 1u];
  }

  var acc: array<f32, DPT>;
  var k0 = i32(start);
  loop {
    if (k0 >= kEnd) { break; }
    for (var e = tid; e < LANES * D; e += WG) {
      let j = e / D;
      let d = e % D;
      let kj = u32(k0) + j;
      var kx = 0.0;
      var vx = 0.0;
      if (kj < end) {
        let idx = kBase + kj * D + d;
        kx = kBuf[idx];
        vx = vBuf[idx];
      }
      ks[j * KS + d] = kx;
      vs[j * KS + d] = vx;
    }
    workgroupBarrier();

    let kj = k0 + i32(lane);
    var ds = 0.0;
    if (rowOk && kj <= qPos) {
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

  if (rowOk) {
    let base = row * D;
    for (var c = 0u; c < DPT; c++) {
      let d = lane + c * LANES;
      if (d < D) { dQ[base + d] = acc[c] * p.scale; }
    }
  }
}
