// RMSNorm checks (forward, backward vs reference and finite differences, f16 weights, accumulation,
// bad inputs), shared by the Node (Dawn) and browser (Chromium) test projects.
import { roundToHalf, type Gpu, type Tensor } from '../../../src/gpu';
import { rmsnormBackward, rmsnormForward, type RmsnormLayout } from '../../../src/kernels/rmsnorm';
import { rmsnormBackwardRef, rmsnormForwardRef } from '../../../src/kernels/rmsnorm.ref';
import { assertClose, dot, expectError, finiteDiff, needF16, randn, sampleCoords } from '../check';

const EPS = 1e-6;
/** Both row layouts run on every adapter (the default picks one per adapter). */
const LAYOUTS: RmsnormLayout[] = ['workgroup', 'thread'];


function weights(C: number, seed: number, half: boolean): Float32Array {
  const w = randn(C, seed, 0.5).map((v) => 1 + v);
  return half ? w.map(roundToHalf) : w;
}

async function forwardCase(gpu: Gpu, N: number, C: number, half: boolean, seed: number, layout?: RmsnormLayout): Promise<void> {
  const x = randn(N * C, seed, 2);
  const w = weights(C, seed + 1, half);
  const tx = gpu.upload(x, [N, C]);
  const tw = gpu.upload(w, [C], half ? 'f16' : 'f32');
  const out = gpu.empty([N, C]);
  const rstd = gpu.empty([N]);
  rmsnormForward(gpu, out, rstd, tx, tw, EPS, { layout });
  const ref = rmsnormForwardRef(x, w, N, C, EPS);
  const what = `rmsnorm.forward N=${N} C=${C}${half ? ' f16 weight' : ''} (${layout ?? 'default'} layout)`;
  assertClose(await gpu.readF32(out), ref.out, { atol: 1e-5, rtol: 1e-5 }, `${what} out`);
  assertClose(await gpu.readF32(rstd), ref.rstd, { atol: 1e-6, rtol: 1e-5 }, `${what} rstd`);
  [tx, tw, out, rstd].forEach((t) => t.release());
}

/** Ragged shapes: C below, between and above the row workgroup size; per-head rows (C = head_dim 24). */
export async function checkRmsnormForward(gpu: Gpu): Promise<void> {
  for (const layout of LAYOUTS) {
    await forwardCase(gpu, 37, 45, false, 1, layout);
    await forwardCase(gpu, 7, 300, false, 2, layout);
    await forwardCase(gpu, 37 * 3, 24, false, 3, layout);
  }
  // Many rows over the thread layout's 16-row workgroups, and the layout this adapter picks by default.
  await forwardCase(gpu, 1000, 96, false, 4, 'thread');
  await forwardCase(gpu, 37, 45, false, 5);
}

export async function checkRmsnormRefGrad(): Promise<void> {
  const N = 4;
  const C = 9;
  const x = Float64Array.from(randn(N * C, 4));
  const w = Float64Array.from(weights(C, 5, false));
  const dy = randn(N * C, 6);
  const { dX, dWeight } = rmsnormBackwardRef(dy, x, w, N, C, EPS);
  assertClose(dX, finiteDiff((xx) => dot(dy, rmsnormForwardRef(xx, w, N, C, EPS).out), x), { atol: 1e-7, rtol: 1e-6 }, 'ref dX vs finite differences');
  assertClose(dWeight, finiteDiff((ww) => dot(dy, rmsnormForwardRef(x, ww, N, C, EPS).out), w), { atol: 1e-7, rtol: 1e-6 }, 'ref dWeight vs finite differences');
}

async function backwardCase(gpu: Gpu, N: number, C: number, half: boolean, seed: number, layout?: RmsnormLayout): Promise<void> {
  const x = randn(N * C, seed);
  const w = weights(C, seed + 1, half);
  const dy = randn(N * C, seed + 2);
  const tx = gpu.upload(x, [N, C]);
  const tw = gpu.upload(w, [C], half ? 'f16' : 'f32');
  const out = gpu.empty([N, C]);
  const rstd = gpu.empty([N]);
  const dOut = gpu.upload(dy, [N, C]);
  const dX = gpu.empty([N, C]);
  const dW = gpu.empty([C]);
  rmsnormForward(gpu, out, rstd, tx, tw, EPS, { layout });
  rmsnormBackward(gpu, dX, dW, dOut, tx, tw, rstd, { layout });
  const ref = rmsnormBackwardRef(dy, x, w, N, C, EPS);
  const what = `rmsnorm.backward N=${N} C=${C}${half ? ' f16 weight' : ''} (${layout ?? 'default'} layout)`;
  const gX = await gpu.readF32(dX);
  const gW = await gpu.readF32(dW);
  assertClose(gX, ref.dX, { atol: 1e-5, rtol: 1e-4 }, `${what} dX`);
  assertClose(gW, ref.dWeight, { atol: 1e-4, rtol: 1e-4 }, `${what} dWeight`);
  // Accumulating variants add onto what is there, and a null dWeight leaves it alone.
  rmsnormBackward(gpu, dX, dW, dOut, tx, tw, rstd, { accumulateDW: true, accumulateDX: true, layout });
  assertClose(await gpu.readF32(dX), ref.dX.map((v) => 2 * v), { atol: 2e-5, rtol: 1e-4 }, `${what} dX accumulated`);
  assertClose(await gpu.readF32(dW), ref.dWeight.map((v) => 2 * v), { atol: 2e-4, rtol: 1e-4 }, `${what} dWeight accumulated`);
  rmsnormBackward(gpu, dX, null, dOut, tx, tw, rstd, { layout });
  assertClose(await gpu.readF32(dX), ref.dX, { atol: 1e-5, rtol: 1e-4 }, `${what} dX overwritten`);
  assertClose(await gpu.readF32(dW), ref.dWeight.map((v) => 2 * v), { atol: 2e-4, rtol: 1e-4 }, `${what} dWeight untouched when null`);
  [tx, tw, out, rstd, dOut, dX, dW].forEach((t) => t.release());
}

/** GPU backward vs reference; N=300 spreads dWeight over several row chunks. */
export async function checkRmsnormBackward(gpu: Gpu): Promise<void> {
  for (const layout of LAYOUTS) {
    await backwardCase(gpu, 37, 45, false, 10, layout);
    await backwardCase(gpu, 300, 45, false, 20, layout);
    await backwardCase(gpu, 5, 300, false, 30, layout);
  }
  await backwardCase(gpu, 37, 45, false, 40);
}

/** f16 weights against a reference with f16-rounded weights; needs an adapter with shader-f16. */
export async function checkRmsnormF16(gpu: Gpu): Promise<void> {
  needF16(gpu, 'checkRmsnormF16');
  for (const layout of LAYOUTS) {
    await forwardCase(gpu, 37, 45, true, 40, layout);
    await backwardCase(gpu, 37, 45, true, 50, layout);
  }
}

/** Central differences of L = sum(w * out) on the GPU forward, at a few x coordinates. */
export async function checkRmsnormGpuFiniteDiff(gpu: Gpu): Promise<void> {
  for (const layout of LAYOUTS) await gpuFiniteDiff(gpu, layout);
}

async function gpuFiniteDiff(gpu: Gpu, layout: RmsnormLayout): Promise<void> {
  const N = 6;
  const C = 45;
  const x = randn(N * C, 60);
  const w = weights(C, 61, false);
  const dy = randn(N * C, 62);
  const tx = gpu.upload(x, [N, C]);
  const tw = gpu.upload(w, [C]);
  const out = gpu.empty([N, C]);
  const rstd = gpu.empty([N]);
  const loss = async (t: Tensor, host: Float32Array): Promise<number> => {
    gpu.write(t, host);
    rmsnormForward(gpu, out, rstd, tx, tw, EPS, { layout });
    return dot(dy, await gpu.readF32(out));
  };
  const { dX } = rmsnormBackwardRef(dy, x, w, N, C, EPS);
  const eps = 1e-2;
  for (const i of sampleCoords(N * C, 4, 63)) {
    const h = Float32Array.from(x);
    h[i] = x[i] + eps;
    const lp = await loss(tx, h);
    h[i] = x[i] - eps;
    const lm = await loss(tx, h);
    assertClose([(lp - lm) / (2 * eps)], [dX[i]], { atol: 5e-3, rtol: 3e-2 }, `GPU finite difference dX[${i}] (${layout} layout)`);
  }
  [tx, tw, out, rstd].forEach((t) => t.release());
}

export async function checkRmsnormErrors(gpu: Gpu): Promise<void> {
  const x = gpu.zeros([4, 5]);
  const w = gpu.zeros([6]);
  const w5 = gpu.zeros([5]);
  const out = gpu.empty([4, 5]);
  const rstd = gpu.empty([4]);
  expectError(() => rmsnormForward(gpu, out, rstd, x, w, EPS), /rmsnorm.forward: weight must have shape \[5\]/, 'weight shape');
  expectError(() => rmsnormForward(gpu, out, gpu.empty([5]), x, w5, EPS), /rmsnorm.forward: rstd must have shape \[4\]/, 'rstd shape');
  expectError(() => rmsnormForward(gpu, out, rstd, x, w5, 0), /rmsnorm.forward: eps must be a positive/, 'eps');
  expectError(() => rmsnormForward(gpu, x, rstd, x, w5, EPS), /rmsnorm.forward: out and x must be different/, 'aliasing');
  expectError(() => rmsnormBackward(gpu, out, null, out, x, w5, gpu.empty([4], 'u32')), /rmsnorm.backward: rstd must be f32/, 'rstd dtype');
  expectError(() => rmsnormBackward(gpu, out, w, x, x, w5, rstd), /rmsnorm.backward: dWeight must have shape \[5\]/, 'dWeight shape');
  [x, w, w5, out, rstd].forEach((t) => t.release());
}
