// Register-tiled matmul without workgroup memory, for CPU adapters (lavapipe, SwiftShader): each
// thread keeps a TM x TN block in registers and reads its operands straight from the (cached)
// buffers. When BM == TM every thread of a workgroup shares the same rows, so A loads are uniform
// (one scalar load broadcast to all SIMD lanes) and only B loads vary per lane. No barriers: CPU
// drivers run a workgroup's lanes as coroutines, and live registers across a barrier are spilled.
// f16 B with F16_PAIRS: B is read as 32-bit pairs of halves, which halves the per-lane loads (the
// costly part on CPU drivers): pairs along N for plain B (N even), along K for B^T (K even; used
// with TM <= 8 only: the doubled loop body of larger blocks is no longer unrolled by the driver).
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
#if F16_PAIRS
  var bv2: array<vec4<f32>, ${TN4}>;             // B^T pairs: op(B) row k + 1
  let kStep = select(1u, 2u, TRANS_B);
#else
  let kStep = 1u;
#endif
  for (var k = 0u; k < p.K; k += kStep) {
    for (var j = 0u; j < TN / 4u; j++) {
      // thread tx owns the column quads tx, tx + TX, ...; indices are clamped (never stored)
      let n = n0 + (j * TX + tx) * 4u;
#if F16_PAIRS
      if (TRANS_B) {
        let w0 = unpack2x16float(bBuf[(bBase + min(n, lastN) * p.K + k) >> 1u]);
        let w1 = unpack2x16float(bBuf[(bBase + min(n + 1u, lastN) * p.K + k) >> 1u]);
        let w2 = unpack2x16float(bBuf[(bBase + min(n + 2u, lastN) * p.K + k) >> 1u]);
        let w3 = unpack2x16float(bBuf[(bBase + min(n + 3u, lastN) * p.K + k) >> 1u]);
        bv[j] = vec4<f32>(w0.x, w1.x, w2.x, w3.x);
        bv2[j] = vec4<f32>(w0.y, w1.y, w2.y, w3.y);
      } else {
        let row = bBase + k * p.N;
        bv[j] = vec4<f32>(unpack2x16float(bBuf[(row + min(n, p.N - 2u)) >> 1u]),
                          unpack2x16float(bBuf[(row + min(n + 2u, p.N - 2u)) >> 1u]));
      }
#else
      bv[j] = vec4<f32>(loadB(bBase, k, min(n, lastN)), loadB(bBase, k, min(n + 1u, lastN)),
                        loadB(bBase, k, min(n + 2u, lastN)), loadB(bBase, k, min(n + 3u, lastN)));
#endif
    }
    for (var i = 0u; i < TM; i++) {
      let row = min(m0 + i, lastM);
      let a = vec4<f32>(loadA(aBase, row, k));
      for (var j = 0u; j < TN / 4u; j++) {
        acc[i * (TN / 4u) + j] = fma(a, bv[j], acc[i * (TN / 4u) + j]);
      }
#if F16_PAIRS
      if (TRANS_B) {
        let a2 = vec4<f32>(loadA(aBase, row, k + 1u));
        for (var j = 0u; j < TN / 4u; j++) {
          acc[i * (TN / 4u) + j] = fma(a2, bv2[j], acc[i * (TN / 4u) + j]);
        }
      }
#endif
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
