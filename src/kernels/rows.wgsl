// Row copy with optional index maps: for r < rows, dst row d = dstIdx[r] (or dstRow0 + r) receives
// src row s = srcIdx[r] (or srcRow0 + r), `width` 4-byte words per row. d = NO_ROW skips the row;
// s = NO_ROW writes zeros. Rows sit dstStride / srcStride words apart, the copied words starting at
// dstCol0 / srcCol0 within each row (a column window; strides = width and columns 0 for whole rows). Moves f32 / u32 / i32 data bit-exactly (copied as u32 words).

override WG: u32 = 256u;
const NO_ROW: u32 = 0xffffffffu;

@group(0) @binding(0) var<storage, read_write> dst: array<u32>;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read> dstIdx: array<u32>; // (rows,) read when flags & 1
@group(0) @binding(3) var<storage, read> srcIdx: array<u32>; // (rows,) read when flags & 2
@group(0) @binding(4) var<uniform> p: Params;

struct Params { total: u32, width: u32, rowStride: u32, flags: u32, dstRow0: u32, srcRow0: u32, dstStride: u32, srcStride: u32, dstCol0: u32, srcCol0: u32 }

#if WIDE
// Wide rows: the row is the workgroup's (y + z * rowStride: uniform, no per-word division); each thread
// copies PER words WG apart, starting at column wid.x * WG * PER + lid. total = rows here.
override PER: u32 = 4u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y + wid.z * p.rowStride;
  if (r >= p.total) { return; }
  var d = p.dstRow0 + r;
  if ((p.flags & 1u) != 0u) { d = dstIdx[r]; }
  if (d == NO_ROW) { return; }
  var s = p.srcRow0 + r;
  if ((p.flags & 2u) != 0u) { s = srcIdx[r]; }
  let dBase = d * p.dstStride + p.dstCol0;
  let sBase = s * p.srcStride + p.srcCol0;
  let c0 = wid.x * WG * PER + lid;
  for (var k = 0u; k < PER; k++) {
    let c = c0 + k * WG;
    if (c < p.width) {
      var val = 0u;
      if (s != NO_ROW) { val = src[sBase + c]; }
      dst[dBase + c] = val;
    }
  }
}
#else
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.total) { return; }
  let r = i / p.width;
  let c = i % p.width;
  var d = p.dstRow0 + r;
  if ((p.flags & 1u) != 0u) { d = dstIdx[r]; }
  if (d == NO_ROW) { return; }
  var s = p.srcRow0 + r;
  if ((p.flags & 2u) != 0u) { s = srcIdx[r]; }
  var val = 0u;
  if (s != NO_ROW) { val = src[s * p.srcStride + p.srcCol0 + c]; }
  dst[d * p.dstStride + p.dstCol0 + c] = val;
}
#endif
