// Naive matmul: one thread per output element, a plain loop over K (benchmark baseline and
// cross-check of the tiled kernels; same semantics). Appended to matmul_common.wgsl.
// Grid: x over columns (16 per workgroup), y over rows (16 per workgroup, offset by tile0), z over batch.

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let n = wid.x * 16u + lid.x;
  let m = (wid.y + p.tile0) * 16u + lid.y;
  if (m >= p.M || n >= p.N) { return; }
  let z = wid.z + p.batch0;
  let aBase = z * p.strideA;
  let bBase = z * p.strideB;
  var s = 0.0;
  for (var k = 0u; k < p.K; k++) { s = fma(loadA(aBase, m, k), loadB(bBase, k, n), s); }
  storeOut(z * p.strideO + m * p.N + n, s);
}
