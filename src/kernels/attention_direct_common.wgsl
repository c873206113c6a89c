// Shared prelude of the direct attention kernels (attention_direct{,_dq,_dkv}.wgsl; attention.ts prepends it):
// sizes, workgroup -> (batch, kv head, tile), row offsets, query rows and key bounds, and the quad loads of the
// two buffers the inner loop walks, ${QA}Buf / ${QB}Buf (k, v for the forward and dQ; q, g = dOut for dK / dV).

override WG: u32 = 16u;    // rows per workgroup: packed query rows (forward, dQ) or keys (dK / dV)
const D: u32 = ${D}u;      // head dim (sizes the register arrays)
const D4: u32 = ${D4}u;    // head-dim quads: ceil(D / 4)

/** Element indices of quad c (head dims 4c..4c+3) of the row that starts at element e. Dims past D
 *  repeat the row's last element: their partners (the zero-padded register quads, the accumulators'
 *  padding that is never stored) make them harmless. */
fn quadIdx(e: u32, c: u32) -> vec4<u32> {
  let d = 4u * c;
  return vec4<u32>(e + d, e + min(d + 1u, D - 1u), e + min(d + 2u, D - 1u), e + min(d + 3u, D - 1u));
}

// Quad c of the walked row that starts at element e: one vec4 load with VEC4 (D % 4 == 0), else four.
#if VEC4
fn ${QA}Quad(e: u32, c: u32) -> vec4<f32> { return ${QA}Buf[e / 4u + c]; }
fn ${QB}Quad(e: u32, c: u32) -> vec4<f32> { return ${QB}Buf[e / 4u + c]; }
#else
fn ${QA}Quad(e: u32, c: u32) -> vec4<f32> { let i = quadIdx(e, c); return vec4<f32>(${QA}Buf[i.x], ${QA}Buf[i.y], ${QA}Buf[i.z], ${QA}Buf[i.w]); }
fn ${QB}Quad(e: u32, c: u32) -> vec4<f32> { let i = quadIdx(e, c); return vec4<f32>(${QB}Buf[i.x], ${QB}Buf[i.y], ${QB}Buf[i.z], ${QB}Buf[i.w]); }
#endif

/** Workgroup wid of the x / y grid (flat index x + y * groupsX, `tiles` workgroups per (batch, kv head)):
 *  its tile, kv head hk and batch b. b >= B marks the padding workgroups of the split. */
struct Slot { tile: u32, hk: u32, b: u32 }
fn slotOf(wid: vec3<u32>) -> Slot {
  let flat = wid.x + wid.y * p.groupsX;
  return Slot(flat % p.tiles, (flat / p.tiles) % p.Hkv, flat / p.tiles / p.Hkv);
}

/** Element offset of key / value row j of the workgroup's (batch, kv head) in a (B, Hkv, S, D) tensor. */
fn kvOffset(s: Slot, j: u32) -> u32 { return ((s.b * p.Hkv + s.hk) * p.S + j) * D; }

/** Forward and dQ: invocation lid's packed query row rho = r0 + lid (query i = rho / G of head hk * G + rho % G).
 *  Rows past the end (rho >= nRows) compute a copy of the last row rc, never stored; row is the flat
 *  (b, h, i) index of query row rc. */
struct QueryRow { G: u32, nRows: u32, r0: u32, rho: u32, rc: u32, row: u32 }
fn queryRow(s: Slot, lid: u32) -> QueryRow {
  let G = p.Hq / p.Hkv;
  let nRows = p.Tq * G;
  let r0 = s.tile * WG;
  let rho = r0 + lid;
  let rc = min(rho, nRows - 1u);
  return QueryRow(G, nRows, r0, rho, rc, (s.b * p.Hq + s.hk * G + rc % G) * p.Tq + rc / G);
}

/** Keys of query row r's workgroup in the key window [start, end), where query i sits at qPos = i + end - Tq
 *  and sees keys start <= j <= qPos: keys any row of the workgroup sees are [start, kEnd), this row's last is jMax. */
struct KeySpan { kEnd: i32, jMax: i32 }
fn keySpan(r: QueryRow, end: u32) -> KeySpan {
  let off = i32(end) - i32(p.Tq);
  let kEnd = min(i32(end), i32((min(r.r0 + WG, r.nRows) - 1u) / r.G) + off + 1);
  return KeySpan(kEnd, min(i32(r.rc / r.G) + off, kEnd - 1));
}
