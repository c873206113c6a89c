// Register-tiled matmul staged through workgroup memory (the GPU kernel): each workgroup computes a
// BM x BN tile of out; per BK-deep slice of K it stages op(A) (BM x BK) and op(B) (BK x BN) into
// workgroup memory, then each of its (BM / TM) * (BN / TN) threads updates a TM x TN register block.
// Appended to matmul_common.wgsl. ${ACC} = TM * TN / 4 and ${TN4} = TN / 4 are filled in by buildWgsl.

var<workgroup> As: array<f32, BM * BK>;            // (BK, BM): op(A) slice, k-major
var<workgroup> Bs: array<vec4<f32>, BK * BN / 4u>; // (BK, BN / 4): op(B) slice in column quads

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
  let TX = BN / TN;          // threads across columns
  let TY = BM / TM;          // threads across rows
  let tx = l % TX;
  let ty = l / TX;
  let z = wid.z + p.batch0;
  let aBase = z * p.strideA;
  let bBase = z * p.strideB;
  let mt = (wid.x + p.tile0) * BM;
  let nt = wid.y * BN;
  var acc: array<vec4<f32>, ${ACC}>;  // (TM, TN / 4): rows ty + i * TY, column quads tx + j * TX
  var bv: array<vec4<f32>, ${TN4}>;
  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    // Stage the slices; consecutive threads read consecutive addresses of the stored layout.
    for (var e = l; e < BM * BK; e += WG) {
      var m = e / BK;
      var k = e % BK;
      if (TRANS_A) { m = e % BM; k = e / BM; }
      var v = 0.0;
      if (mt + m < p.M && k0 + k < p.K) { v = loadA(aBase, mt + m, k0 + k); }
      As[k * BM + m] = v;
    }
    for (var e = l; e < BK * BN; e += WG) {
      var n = e % BN;
      var k = e / BN;
      if (TRANS_B) { n = e / BK; k = e % BK; }
      var v = 0.0;
      if (nt + n < p.N && k0 + k < p.K) { v = loadB(bBase, k0 + k, nt + n); }
      Bs[k * (BN / 4u) + n / 4u][n % 4u] = v;
    }
    workgroupBarrier();
    for (var k = 0u; k < BK; k++) {
      for (var j = 0u; j < TN / 4u; j++) { bv[j] = Bs[k * (BN / 4u) + j * TX + tx]; }
      for (var i = 0u; i < TM; i++) {
        let a = vec4<f32>(As[k * BM + i * TY + ty]);
        for (var j = 0u; j < TN / 4u; j++) {
          acc[i * (TN / 4u) + j] = fma(a, bv[j], acc[i * (TN / 4u) + j]);
        }
      }
    }
    workgroupBarrier();
  }
  let oBase = z * p.strideO;
  for (var i = 0u; i < TM; i++) {
    let m = mt + i * TY + ty;
    if (m >= p.M) { break; }
    for (var j = 0u; j < TN / 4u; j++) {
      let n = nt + (j * TX + tx) * 4u;
      let v = acc[i * (TN / 4u) + j];
      for (var q = 0u; q < 4u; q++) {
        if (n + q < p.N) { storeOut(oBase + m * p.N + n + q, v[q]); }
      }
    }
  }
}
