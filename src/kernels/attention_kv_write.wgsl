// KV-cache write: for r < rows, cache row dstIdx[r] of K and of V receives row srcIdx[r] (or r) of the new
// keys / values (f32), stored as the cache's element type KT (f16 with F16: round to nearest even).
// One invocation per (row, head dim) writes both caches.
#if F16
enable f16;
alias KT = f16;
#else
alias KT = f32;
#endif

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> kCache: array<KT>; // (slots, Hkv, capacity, D)
@group(0) @binding(1) var<storage, read_write> vCache: array<KT>; // (slots, Hkv, capacity, D)
@group(0) @binding(2) var<storage, read> kNew: array<f32>;        // (n, D)
@group(0) @binding(3) var<storage, read> vNew: array<f32>;        // (n, D)
@group(0) @binding(4) var<storage, read> dstIdx: array<u32>;      // (rows,)
@group(0) @binding(5) var<storage, read> srcIdx: array<u32>;      // (rows,) read when flags & 1
@group(0) @binding(6) var<uniform> p: Params;

struct Params { rows: u32, D: u32, rowStride: u32, flags: u32 }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowStride;
  if (i >= p.rows * p.D) { return; }
  let r = i / p.D;
  let d = i % p.D;
  var s = r;
  if ((p.flags & 1u) != 0u) { s = srcIdx[r]; }
  let dst = dstIdx[r] * p.D + d;
  kCache[dst] = KT(kNew[s * p.D + d]);
  vCache[dst] = KT(vNew[s * p.D + d]);
}
