// SwiGLU checks (forward, backward vs reference and finite differences, bad inputs), shared by the
// Node (Dawn) and browser (Chromium) test projects.
import type { Gpu, Tensor } from '../../../src/gpu';
import { swigluBackward, swigluForward } from '../../../src/kernels/swiglu';
import { swigluBackwardRef, swigluForwardRef } from '../../../src/kernels/swiglu.ref';
import { assertClose, dot, expectError, finiteDiff, randn, sampleCoords } from '../check';

const N = 37;
const F = 45;


export async function checkSwigluForward(gpu: Gpu): Promise<void> {
  const gate = randn(N * F, 11, 3); // wide range: exercises both branches of the stable sigmoid
  gate[0] = 90;
  gate[1] = -90;
  const up = randn(N * F, 12);
  const tg = gpu.upload(gate, [N, F]);
  const tu = gpu.upload(up, [N, F]);
  const out = gpu.empty([N, F]);
  swigluForward(gpu, out, tg, tu);
  assertClose(await gpu.readF32(out), swigluForwardRef(gate, up), { atol: 1e-6, rtol: 1e-5 }, 'swiglu.forward');
  [tg, tu, out].forEach((t) => t.release());
}

export async function checkSwigluBackward(gpu: Gpu): Promise<void> {
  const gate = randn(N * F, 13, 2);
  const up = randn(N * F, 14);
  const w = randn(N * F, 15);
  // Reference backward vs float64 central differences of the reference forward.
  const [rG, rU] = swigluBackwardRef(w, gate, up);
  assertClose(rG, finiteDiff((g) => dot(w, swigluForwardRef(g, up)), gate), { atol: 1e-7, rtol: 1e-6 }, 'ref dGate vs finite differences');
  assertClose(rU, finiteDiff((u) => dot(w, swigluForwardRef(gate, u)), up), { atol: 1e-7, rtol: 1e-6 }, 'ref dUp vs finite differences');
  // GPU backward vs reference.
  const tg = gpu.upload(gate, [N, F]);
  const tu = gpu.upload(up, [N, F]);
  const dOut = gpu.upload(w, [N, F]);
  const dG = gpu.empty([N, F]);
  const dU = gpu.empty([N, F]);
  swigluBackward(gpu, dG, dU, dOut, tg, tu);
  assertClose(await gpu.readF32(dG), rG, { atol: 1e-6, rtol: 1e-5 }, 'swiglu.backward dGate');
  assertClose(await gpu.readF32(dU), rU, { atol: 1e-6, rtol: 1e-5 }, 'swiglu.backward dUp');
  [tg, tu, dOut, dG, dU].forEach((t) => t.release());
}

/** Central differences of L = sum(w * out) taken directly on the GPU forward, at a few gate coordinates. */
export async function checkSwigluGpuFiniteDiff(gpu: Gpu): Promise<void> {
  const gate = randn(N * F, 16);
  const up = randn(N * F, 17);
  const w = randn(N * F, 18);
  const tg = gpu.upload(gate, [N, F]);
  const tu = gpu.upload(up, [N, F]);
  const out = gpu.empty([N, F]);
  const loss = async (t: Tensor, host: Float32Array): Promise<number> => {
    gpu.write(t, host);
    swigluForward(gpu, out, tg, tu);
    return dot(w, await gpu.readF32(out));
  };
  const [rG] = swigluBackwardRef(w, gate, up);
  const eps = 1e-2;
  for (const i of sampleCoords(N * F, 4, 19)) {
    const g = Float32Array.from(gate);
    g[i] = gate[i] + eps;
    const lp = await loss(tg, g);
    g[i] = gate[i] - eps;
    const lm = await loss(tg, g);
    assertClose([(lp - lm) / (2 * eps)], [rG[i]], { atol: 2e-3, rtol: 2e-2 }, `GPU finite difference dGate[${i}]`);
  }
  [tg, tu, out].forEach((t) => t.release());
}

export async function checkSwigluErrors(gpu: Gpu): Promise<void> {
  const a = gpu.zeros([4, 5]);
  const b = gpu.zeros([4, 6]);
  const h = gpu.zeros([4, 5], 'u32');
  expectError(() => swigluForward(gpu, gpu.empty([4, 5]), a, b), /swiglu.forward: up must have shape \[4, 5\]/, 'shape mismatch');
  expectError(() => swigluForward(gpu, gpu.empty([4, 5]), h, a), /swiglu.forward: gate must be f32/, 'dtype');
  expectError(() => swigluBackward(gpu, a, a, a, a, a), /swiglu.backward: dGate and dUp must be different/, 'aliased outputs');
  [a, b, h].forEach((t) => t.release());
}
