// Causal attention forward (online softmax, flash-attention style). One workgroup: ROWS packed query rows
// of one (batch, kv head) x LANES threads per row. Packed row rho = i * G + g is query i of query head
// hk * G + g, so the G heads sharing a kv head share each key / value tile. The workgroup walks the visible
// keys in tiles of LANES held in workgroup memory, keeping a running max m, sum l and output accumulator
// per row in registers.
// Appended to attention_tiled_common.wgsl (ROWS, LANES, D, DPT, tileOf, queryRow, keyEnd, loadKvTile).

const NEG: f32 = -1e30;    // masked score (finite on purpose: no inf arithmetic)

@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>; // (B, Hq, Tq, D)
@group(0) @binding(1) var<storage, read_write> lseBuf: array<f32>; // (B, Hq, Tq)
@group(0) @binding(2) var<storage, read> qBuf: array<f32>;         // (B, Hq, Tq, D)
@group(0) @binding(3) var<storage, read> kBuf: array<f32>;         // (B, Hkv, S, D)
@group(0) @binding(4) var<storage, read> vBuf: array<f32>;         // (B, Hkv, S, D)
@group(0) @binding(5) var<storage, read> kvLens: array<u32>;       // (B,) read when flags & 1
@group(0) @binding(6) var<storage, read> keyStart: array<u32>;     // (B,) read when flags & 2
@group(0) @binding(7) var<uniform> p: Params;

struct Params { Hq: u32, Hkv: u32, Tq: u32, Tk: u32, S: u32, flags: u32, scale: f32 }

var<workgroup> qs: array<f32, ROWS * D>;         // query tile, pre-scaled
var<workgroup> ks: array<f32, LANES * (D + 1u)>; // key tile (rows padded by one against bank conflicts)
var<workgroup> vs: array<f32, LANES * D>;        // value tile
var<workgroup> ss: array<f32, ROWS * LANES>;     // scores of the tile
var<workgroup> ps: array<f32, ROWS * LANES>;     // probabilities of the tile (relative to the running max)

@compute @workgroup_size(ROWS * LANES)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let WG = ROWS * LANES;
  let KS = D + 1u;
  let t = tileOf(wid);
  let r = tid / LANES;
  let lane = tid % LANES;

  // Key window of batch b: [start, end).
  var end = p.Tk;
  if ((p.flags & 1u) != 0u) { end = min(kvLens[t.b], p.Tk); }
  var start = 0u;
  if ((p.flags & 2u) != 0u) { start = min(keyStart[t.b], end); }
  let qr = queryRow(t, r, end);
  let kEnd = keyEnd(t, end);

  let kBase = kvOffset(t.b, t.hk, 0u);
  for (var e = tid; e < ROWS * D; e += WG) {
    let re = t.row0 + e / D;
    var x = 0.0;
    if (re < t.nRows) { x = qBuf[packedOffset(t, re) + e % D] * p.scale; }
    qs[e] = x;
  }

  var m = NEG;
  var l = 0.0;
  var o: array<f32, DPT>;
  var k0 = i32(start);
  loop {
    if (k0 >= kEnd) { break; }
    loadKvTile(tid, u32(k0), end, kBase, D);
    workgroupBarrier();

    // Thread (r, lane) scores key k0 + lane against query row r.
    let kj = k0 + i32(lane);
    var s = NEG;
    if (qr.ok && kj <= qr.qPos) {
      var acc = 0.0;
      for (var d = 0u; d < D; d++) { acc += qs[r * D + d] * ks[lane * KS + d]; }
      s = acc;
    }
    ss[r * LANES + lane] = s;
    workgroupBarrier();

    // Row max of the tile; each lane turns its own score into p = exp(s - mNew) (0 when masked).
    var mt = NEG;
    for (var j = 0u; j < LANES; j++) { mt = max(mt, ss[r * LANES + j]); }
    let mNew = max(m, mt);
    var pj = 0.0;
    if (s > 0.5 * NEG) { pj = exp(s - mNew); }
    ps[r * LANES + lane] = pj;
    workgroupBarrier();

    // Every lane of row r rescales and folds the tile into its own columns of the output.
    let alpha = exp(m - mNew);
    l *= alpha;
    for (var c = 0u; c < DPT; c++) { o[c] *= alpha; }
    for (var j = 0u; j < LANES; j++) {
      let pv = ps[r * LANES + j];
      l += pv;
      for (var c = 0u; c < DPT; c++) {
        let d = lane + c * LANES;
        if (d < D) { o[c] += pv * vs[j * D + d]; }
      }
    }
    m = mNew;
    workgroupBarrier();
    k0 += i32(LANES);
  }

  if (qr.ok) {
    let row = packedOffset(t, qr.rho) / D;
    var inv = 0.0;
    if (l > 0.0) { inv = 1.0 / l; }
    for (var c = 0u; c < DPT; c++) {
      let d = lane + c * LANES;
      if (d < D) { outBuf[row * D + d] = o[c] * inv; }
    }
    // A row with no visible key stores lse = 0 (finite, so debug checks stay quiet); out is 0.
    if (lane == 0u) { lseBuf[row] = select(0.0, m + log(l), l > 0.0); }
  }
}
