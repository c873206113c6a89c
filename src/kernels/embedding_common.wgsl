// Shared part of the per-element embedding kernels (embedding.wgsl, embedding_backward.wgsl), prepended by
// embedding.ts (after weight_type.wgsl for the forward): one thread per element of an (N, C) grid.

override WG: u32 = 256u;

/** Thread gid's element of the (N, C) grid (x / y split, see grid1D): flat index i = n * C + c, token n,
 *  column c. Threads with i >= total are padding. */
struct Elem { i: u32, n: u32, c: u32 }
fn elementOf(gid: vec3<u32>) -> Elem {
  let i = gid.x + gid.y * p.rowStride;
  let n = i / p.C;
  return Elem(i, n, i - n * p.C);
}
