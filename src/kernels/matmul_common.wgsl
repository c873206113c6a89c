// Shared prelude of the matmul kernels (matmul.wgsl, matmul_direct.wgsl, matmul_naive.wgsl):
// bindings, the parameter block, operand loads with the transposes, and the alpha/accumulate store.
#if F16
enable f16;
#endif

// Tile configuration (pipeline override constants; documented in MATMUL_TILES in matmul.ts).
override BM: u32 = 64u;  // output rows per workgroup
override BN: u32 = 64u;  // output columns per workgroup
override BK: u32 = 16u;  // K slice staged in workgroup memory per step (staged kernel only)
override TM: u32 = 4u;   // rows per thread (register block)
override TN: u32 = 4u;   // columns per thread (register block), a multiple of 4
override WG: u32 = 256u; // threads per workgroup = (BM / TM) * (BN / TN)
// op(A) = A^T: A is stored (K, M). op(B) = B^T: B is stored (N, K).
override TRANS_A: bool = false;
override TRANS_B: bool = false;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  strideA: u32,  // elements between batch items of A (M * K)
  strideB: u32,  // elements between batch items of B (K * N, or 0 when B is shared)
  strideO: u32,  // elements between batch items of out (M * N)
  batch0: u32,   // batch index of workgroup z = 0 (dispatches over more batches than one grid axis allows)
  tile0: u32,    // row-tile index of workgroup x = 0 (same, for very tall M)
  alpha: f32,
  accumulate: u32, // 1: out += alpha * op(A) op(B); 0: out = alpha * op(A) op(B)
}

@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>; // (batch, M, N)
@group(0) @binding(1) var<storage, read> aBuf: array<f32>;         // (batch, M, K) or (batch, K, M)
#if F16_PAIRS
@group(0) @binding(2) var<storage, read> bBuf: array<u32>;         // f16 B as pairs of halves (see loadB)
#elif F16
@group(0) @binding(2) var<storage, read> bBuf: array<f16>;         // (batch | 1, K, N) or (batch | 1, N, K)
#else
@group(0) @binding(2) var<storage, read> bBuf: array<f32>;         // (batch | 1, K, N) or (batch | 1, N, K)
#endif
@group(0) @binding(3) var<uniform> p: Params;

/** op(A)[m, k] of the batch item starting at `base`. */
fn loadA(base: u32, m: u32, k: u32) -> f32 {
  if (TRANS_A) { return aBuf[base + k * p.M + m]; }
  return aBuf[base + m * p.K + k];
}

/** op(B)[k, n] of the batch item starting at `base`, as f32. */
fn loadB(base: u32, k: u32, n: u32) -> f32 {
  var i = base + k * p.N + n;
  if (TRANS_B) { i = base + n * p.K + k; }
#if F16_PAIRS
  return unpack2x16float(bBuf[i >> 1u])[i & 1u];
#else
  return f32(bBuf[i]);
#endif
}

/** out[idx] = alpha * v, or out[idx] += alpha * v when accumulating. */
fn storeOut(idx: u32, v: f32) {
  var r = p.alpha * v;
  if (p.accumulate != 0u) { r += outBuf[idx]; }
  outBuf[idx] = r;
}
