// Shared prelude of the tiled attention kernels (attention{,_dq,_dkv}.wgsl; attention.ts prepends it): tile
// shape, head-dim columns per thread, workgroup -> (batch, kv head, first row), row offsets and, for the
// query-row kernels (QUERY_ROWS: forward, dQ), the query rows' key bounds and the key / value tile load.

override ROWS: u32 = 16u;  // rows per workgroup: packed query rows (forward, dQ) or keys (dK / dV)
override LANES: u32 = 16u; // threads per row = inner tile length (keys per tile; queries per tile for dK / dV)
override D: u32 = 64u;     // head dim
const DPT: u32 = ${DPT}u;  // head-dim columns per thread: ceil(D / LANES); thread `lane` owns d = lane + c * LANES

/** Workgroup wid's tile: batch b = wid.z, kv head hk = wid.y (shared by G = Hq / Hkv query heads, whose
 *  nRows = Tq * G packed query rows the forward and dQ cover) and its first row row0 = wid.x * ROWS.
 *  Uniform over the workgroup: the loop bounds around the barriers derive from it. */
struct Tile { b: u32, hk: u32, G: u32, nRows: u32, row0: u32 }
fn tileOf(wid: vec3<u32>) -> Tile {
  let G = p.Hq / p.Hkv;
  return Tile(wid.z, wid.y, G, p.Tq * G, wid.x * ROWS);
}

/** Element offset of query row i of head h in batch b in a (B, Hq, Tq, D) tensor. */
fn qOffset(b: u32, h: u32, i: u32) -> u32 { return ((b * p.Hq + h) * p.Tq + i) * D; }

/** Element offset of key / value row j of (batch b, kv head hk) in a (B, Hkv, S, D) tensor. */
fn kvOffset(b: u32, hk: u32, j: u32) -> u32 { return ((b * p.Hkv + hk) * p.S + j) * D; }

#if QUERY_ROWS
/** Element offset of packed query row rho = i * G + g (query i of head hk * G + g) of tile t. */
fn packedOffset(t: Tile, rho: u32) -> u32 { return qOffset(t.b, t.hk * t.G + rho % t.G, rho / t.G); }

/** Keys any row of tile t sees in the key window [start, end) are [start, keyEnd(t, end)); query i sits at
 *  qPos = i + end - Tq. Uniform over the workgroup. */
fn keyEnd(t: Tile, end: u32) -> i32 {
  let off = i32(end) - i32(p.Tq);
  let lastQuery = (min(t.row0 + ROWS, t.nRows) - 1u) / t.G;
  return min(i32(end), i32(lastQuery) + off + 1);
}

/** Tile row r's packed query row rho = row0 + r (padding when ok is false: rho >= nRows) and the last key
 *  it sees, qPos, for the key window [start, end). */
struct QueryRow { rho: u32, ok: bool, qPos: i32 }
fn queryRow(t: Tile, r: u32, end: u32) -> QueryRow {
  let rho = t.row0 + r;
  return QueryRow(rho, rho < t.nRows, i32(rho / t.G) + (i32(end) - i32(p.Tq)));
}

/** Stage keys / values k0 .. k0 + LANES - 1 of the rows at kBase into ks (rows padded to D + 1) and vs
 *  (row stride vStride); keys at or past `end` are zeros. The barrier after it is the caller's. */
fn loadKvTile(tid: u32, k0: u32, end: u32, kBase: u32, vStride: u32) {
  for (var e = tid; e < LANES * D; e += ROWS * LANES) {
    let j = e / D;
    let d = e % D;
    let kj = k0 + j;
    var kx = 0.0;
    var vx = 0.0;
    if (kj < end) {
      let idx = kBase + kj * D + d;
      kx = kBuf[idx];
      vx = vBuf[idx];
    }
    ks[j * (D + 1u) + d] = kx;
    vs[j * vStride + d] = vx;
  }
}
#endif
