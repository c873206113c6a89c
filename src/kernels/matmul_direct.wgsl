// Register-tiled matmul without workgroup memory, for CPU adapters (lavapipe, SwiftShader): each
// thread keeps a TM x TN block in registers and reads its operands straight from the (cached)
// buffers. When BM == TM every thread of a workgroup shares the same rows, so A loads are uniform
// (one scalar load broadcast to all SIMD lanes) and only B loads vary per lane. No barriers: CPU
// drivers run a workgroup's lanes as coroutines, and live registers across a barrier are spilled.
// Appended to matmul_common.wgsl. ${ACC} = TM * TN / 4 and ${TN4} = TN / 4 are filled in by buildWgsl.

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
  let TX = BN / TN;                              // threads across the columns of the tile
  let tx = l % TX;
  let ty = select(l / TX, 0u, BM == TM);         // BM == TM: rows are the same for all threads
  let z = wid.z + p.batch0;
  let aBase = z * p.strideA;
  let bBase = z * p.strideB;
  let m0 = (wid.x + p.tile0) * BM + ty * TM;
  let n0 = wid.y * BN;
  var acc: array<vec4<f32>, ${ACC}>;             // (TM, TN / 4)
  var bv: array<vec4<f32>, ${TN4}>;
  let lastM = p.M - 1u;
  let lastN = p.N - 1u;
  for (var k = 0u; k < p.K; k++) {
    for (var j = 0u; j < TN / 4u; j++) {
      // thread tx owns the column quads tx, tx + TX, ...; indices are clamped (never stored)
      let n = n0 + (j * TX + tx) * 4u;
      bv[j] = vec4<f32>(loadB(bBase, k, min(n, lastN)), loadB(bBase, k, min(n + 1u, lastN)),
                        loadB(bBase, k, min(n + 2u, lastN)), loadB(bBase, k, min(n + 3u, lastN)));
    }
    for (var i = 0u; i < TM; i++) {
      let a = vec4<f32>(loadA(aBase, min(m0 + i, lastM), k));
      for (var j = 0u; j < TN / 4u; j++) {
        acc[i * (TN / 4u) + j] = fma(a, bv[j], acc[i * (TN / 4u) + j]);
      }
    }
  }
  let oBase = z * p.strideO;
  for (var i = 0u; i < TM; i++) {
    let m = m0 + i;
    if (m >= p.M) { break; }
    for (var j = 0u; j < TN / 4u; j++) {
      let n = n0 + (j * TX + tx) * 4u;
      let v = acc[i * (TN / 4u) + j];
      for (var q = 0u; q < 4u; q++) {
        if (n + q < p.N) { storeOut(oBase + m * p.N + n + q, v[q]); }
      }
    }
  }
}
