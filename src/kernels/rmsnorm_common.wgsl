// Shared part of the RMSNorm row kernels (rmsnorm.wgsl, rmsnorm_backward.wgsl), prepended by rmsnorm.ts
// after weight_type.wgsl: one workgroup per row and the workgroup sum over the row's columns.

override WG: u32 = 256u;  // threads per row, a power of two

var<workgroup> red: array<f32, WG>;

/** Sum of v over the workgroup's threads (lid: local index), in a fixed tree order. Holds barriers: call
 *  it from workgroup-uniform control flow. */
fn rowSum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  return red[0];
}
