// Shared part of the SwiGLU kernels (swiglu.wgsl, swiglu_backward.wgsl), prepended by swiglu.ts: the
// elementwise grid's workgroup size and parameters, and the logistic function.

override WG: u32 = 256u;

struct Params { n: u32, rowStride: u32 } // n: elements; rowStride: threads per grid row (see grid1D)

// Overflow-free logistic: exp() only ever sees a non-positive argument.
fn sigmoid(g: f32) -> f32 {
  let e = exp(-abs(g));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), g >= 0.0);
}
