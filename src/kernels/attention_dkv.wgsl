// Causal attention backward, dK and dV: one workgroup owns ROWS keys of one (batch, kv head) with LANES
// threads per key, walks every query head of the group and the query tiles (LANES rows) that can see its
// keys, recomputes P and dS, and accumulates dV = P^T dOut and dK = scale * dS^T Q in registers.
// Appended to attention_tiled_common.wgsl (ROWS = keys per workgroup, LANES = queries per tile, D, DPT, tileOf).

@group(0) @binding(0) var<storage, read_write> dK: array<f32>; // (B, Hkv, S, D)
@group(0) @binding(1) var<storage, read_write> dV: array<f32>; // (B, Hkv, S, D)
@group(0) @binding(2) var<storage, read> qBuf: array<f32>;     // (B, Hq, Tq, D)
@group(0) @binding(3) var<storage, read> kBuf: array<f32>;     // (B, Hkv, S, D)
@group(0) @binding(4) var<storage, read> vBuf: array<f32>;     // (B, Hkv, S, D)
@group(0) @binding(5) var<storage, read> dOut: array<f32>;     // (B, Hq, Tq, D)
@group(0) @binding(6) var<storage, read> stats: array<f32>;    // (B, Hq, Tq, 2): lse, Di
@group(0) @binding(7) var<storage, read> range: array<u32>;    // (B, 2): first key, key end
@group(0) @binding(8) var<uniform> p: Params;

struct Params { Hq: u32, Hkv: u32, Tq: u32, S: u32, scale: f32 }

var<workgroup> ks: array<f32, ROWS * D>;          // owned keys
var<workgroup> vs: array<f32, ROWS * D>;          // owned values
var<workgroup> qs: array<f32, LANES * (D + 1u)>;  // query tile (padded rows)
var<workgroup> dos: array<f32, LANES * (D + 1u)>; // dOut tile (padded rows)
var<workgroup> ps: array<f32, ROWS * LANES>;      // P of the tile, [key][query]
var<workgroup> dss: array<f32, ROWS * LANES>;     // dS of the tile, [key][query]
var<workgroup> lseS: array<f32, LANES>;
var<workgroup> diS: array<f32, LANES>;

@compute @workgroup_size(ROWS * LANES)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let WG = ROWS * LANES;
  let QS = D + 1u;
  let t = tileOf(wid);
  let k0 = t.row0;
  let r = tid / LANES;
  let lane = tid % LANES;

  let start = range[2u * t.b];
  let end = range[2u * t.b + 1u];
  let off = i32(end) - i32(p.Tq);
  let kj = k0 + r;
  let keyOk = kj >= start && kj < end;
  // First query that can see key k0 (qPos = i + off >= k0); none when the tile lies outside [start, end).
  var iLo = u32(max(i32(k0) - off, 0));
  if (k0 + ROWS <= start || k0 >= end) { iLo = p.Tq; }

  let kBase = kvOffset(t.b, t.hk, 0u);
  for (var e = tid; e < ROWS * D; e += WG) {
    let j = k0 + e / D;
    var kx = 0.0;
    var vx = 0.0;
    if (j < end) {
      kx = kBuf[kBase + j * D + e % D];
      vx = vBuf[kBase + j * D + e % D];
    }
    ks[e] = kx;
    vs[e] = vx;
  }

  var dk: array<f32, DPT>;
  var dv: array<f32, DPT>;
  for (var g = 0u; g < t.G; g++) {
    let sBase = (t.b * p.Hq + t.hk * t.G + g) * p.Tq; // first query row of head hk * G + g
    let qBase = sBase * D;
    for (var i0 = iLo; i0 < p.Tq; i0 += LANES) {
      for (var e = tid; e < LANES * D; e += WG) {
        let c = e / D;
        let d = e % D;
        let qi = i0 + c;
        var x = 0.0;
        var y = 0.0;
        if (qi < p.Tq) {
          x = qBuf[qBase + qi * D + d];
          y = dOut[qBase + qi * D + d];
        }
        qs[c * QS + d] = x;
        dos[c * QS + d] = y;
      }
      if (tid < LANES) {
        let qi = i0 + tid;
        var a = 0.0;
        var z = 0.0;
        if (qi < p.Tq) {
          a = stats[2u * (sBase + qi)];
          z = stats[2u * (sBase + qi) + 1u];
        }
        lseS[tid] = a;
        diS[tid] = z;
      }
      workgroupBarrier();

      // Thread (r, lane): key k0 + r against query i0 + lane.
      let qi = i0 + lane;
      var pr = 0.0;
      var ds = 0.0;
      if (keyOk && qi < p.Tq && i32(kj) <= i32(qi) + off) {
        var s = 0.0;
        var dp = 0.0;
        for (var d = 0u; d < D; d++) {
          s += qs[lane * QS + d] * ks[r * D + d];
          dp += dos[lane * QS + d] * vs[r * D + d];
        }
        pr = exp(s * p.scale - lseS[lane]);
        ds = pr * (dp - diS[lane]);
      }
      ps[r * LANES + lane] = pr;
      dss[r * LANES + lane] = ds;
      workgroupBarrier();

      for (var c2 = 0u; c2 < LANES; c2++) {
        let pc = ps[r * LANES + c2];
        let dc = dss[r * LANES + c2];
        for (var c = 0u; c < DPT; c++) {
          let d = lane + c * LANES;
          if (d < D) {
            dv[c] += pc * dos[c2 * QS + d];
            dk[c] += dc * qs[c2 * QS + d];
          }
        }
      }
      workgroupBarrier();
    }
  }

  if (kj < p.S) {
    let base = kBase + kj * D;
    for (var c = 0u; c < DPT; c++) {
      let d = lane + c * LANES;
      if (d < D) {
        dK[base + d] = dk[c] * p.scale;
        dV[base + d] = dv[c];
      }
    }
  }
}
