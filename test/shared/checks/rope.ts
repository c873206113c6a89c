// RoPE checks (forward at D=64 and D=24 with long positions, attention scaling, backward vs reference and
// finite differences, bad inputs), shared by the Node (Dawn) and browser (Chromium) test projects.
import type { Gpu, Tensor } from '../../../src/gpu';
import { ropeBackward, ropeForward, ropeInvFreq } from '../../../src/kernels/rope';
import { ropeBackwardRef, ropeForwardRef } from '../../../src/kernels/rope.ref';
import { assertClose, dot, expectError, finiteDiff, randn, rng, sampleCoords } from '../check';

const N = 37;
const H = 3;
/** WGSL only bounds cos/sin to 2^-11 absolute error on [-pi, pi] (SwiftShader uses that freedom; lavapipe is
 *  exact to f32); an output mixes two inputs whose magnitudes sum to < ~4 here, so 2^-11 * 4 bounds the error.
 *  A wrong pairing, sign or frequency gives O(1) errors, far above this. */
const TRIG_TOL = { atol: 2 ** -11 * 4, rtol: 1e-5 };


/** Positions 0, 1 and random ones up to 40000 (angles up to 4e4 rad exercise the range reduction). */
function positionsFor(n: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => (i < 2 ? i : Math.floor(r() * 40000)));
}

export async function checkRopeInvFreq(): Promise<void> {
  const f = ropeInvFreq(10000, 8);
  assertClose(f, [1, 0.1, 0.01, 0.001], { atol: 0, rtol: 1e-6 }, 'ropeInvFreq(1e4, 8)');
  expectError(() => ropeInvFreq(10000, 7), /ropeInvFreq: head dim D must be a positive even integer/, 'odd D');
}

async function forwardCase(gpu: Gpu, D: number, theta: number, scaling: number, seed: number): Promise<void> {
  const x = randn(N * H * D, seed);
  const pos = positionsFor(N, seed + 1);
  const inv = ropeInvFreq(theta, D);
  const tx = gpu.upload(x, [N, H, D]);
  const tp = gpu.upload(pos, [N], 'u32');
  const ti = gpu.upload(inv, [D / 2]);
  const out = gpu.empty([N, H, D]);
  ropeForward(gpu, out, tx, tp, ti, scaling === 1 ? {} : { attentionScaling: scaling });
  assertClose(await gpu.readF32(out), ropeForwardRef(x, pos, inv, H, D, scaling), TRIG_TOL, `rope.forward D=${D} theta=${theta} scaling=${scaling}`);
  [tx, tp, ti, out].forEach((t) => t.release());
}

export async function checkRopeForward(gpu: Gpu): Promise<void> {
  await forwardCase(gpu, 64, 1e6, 1, 1);
  await forwardCase(gpu, 24, 1e4, 1, 2);
  await forwardCase(gpu, 24, 5e5, 1.25, 3);
}

/** The backward is the transpose: <RoPE(x), y> = <x, RoPE^T(y)>; also float64 finite differences. */
export async function checkRopeRefGrad(): Promise<void> {
  const n = 3;
  const h = 2;
  const D = 6;
  const pos = [0, 7, 123];
  const inv = ropeInvFreq(1e4, D);
  const x = Float64Array.from(randn(n * h * D, 4));
  const w = randn(n * h * D, 5);
  const g = ropeBackwardRef(w, pos, inv, h, D, 1.1);
  assertClose(g, finiteDiff((xx) => dot(w, ropeForwardRef(xx, pos, inv, h, D, 1.1)), x), { atol: 1e-8, rtol: 1e-7 }, 'ref dX vs finite differences');
}

export async function checkRopeBackward(gpu: Gpu): Promise<void> {
  for (const [D, scaling, seed] of [
    [64, 1, 10],
    [24, 0.8, 20],
  ] as const) {
    const dy = randn(N * H * D, seed);
    const pos = positionsFor(N, seed + 1);
    const inv = ropeInvFreq(1e6, D);
    const dOut = gpu.upload(dy, [N, H, D]);
    const tp = gpu.upload(pos, [N], 'u32');
    const ti = gpu.upload(inv, [D / 2]);
    const dX = gpu.empty([N, H, D]);
    ropeBackward(gpu, dX, dOut, tp, ti, { attentionScaling: scaling });
    assertClose(await gpu.readF32(dX), ropeBackwardRef(dy, pos, inv, H, D, scaling), TRIG_TOL, `rope.backward D=${D}`);
    [dOut, tp, ti, dX].forEach((t) => t.release());
  }
}

/** Central differences of L = sum(w * out) on the GPU forward, at a few x coordinates. */
export async function checkRopeGpuFiniteDiff(gpu: Gpu): Promise<void> {
  const D = 24;
  const x = randn(N * H * D, 30);
  const w = randn(N * H * D, 31);
  const pos = positionsFor(N, 32);
  const inv = ropeInvFreq(1e4, D);
  const tx = gpu.upload(x, [N, H, D]);
  const tp = gpu.upload(pos, [N], 'u32');
  const ti = gpu.upload(inv, [D / 2]);
  const out = gpu.empty([N, H, D]);
  const loss = async (t: Tensor, host: Float32Array): Promise<number> => {
    gpu.write(t, host);
    ropeForward(gpu, out, tx, tp, ti);
    return dot(w, await gpu.readF32(out));
  };
  const ref = ropeBackwardRef(w, pos, inv, H, D);
  const eps = 1e-2;
  for (const i of sampleCoords(N * H * D, 4, 33)) {
    const hst = Float32Array.from(x);
    hst[i] = x[i] + eps;
    const lp = await loss(tx, hst);
    hst[i] = x[i] - eps;
    const lm = await loss(tx, hst);
    assertClose([(lp - lm) / (2 * eps)], [ref[i]], { atol: 2e-3, rtol: 1e-2 }, `GPU finite difference dX[${i}]`);
  }
  [tx, tp, ti, out].forEach((t) => t.release());
}

export async function checkRopeErrors(gpu: Gpu): Promise<void> {
  const x = gpu.zeros([4, 2, 8]);
  const out = gpu.empty([4, 2, 8]);
  const pos = gpu.zeros([4], 'u32');
  const inv = gpu.zeros([4]);
  expectError(() => ropeForward(gpu, x, x, pos, inv), /rope.forward: out and x must be different tensors/, 'in place');
  expectError(() => ropeForward(gpu, out, x, gpu.zeros([4], 'f32'), inv), /rope.forward: positions must be u32/, 'positions dtype');
  expectError(() => ropeForward(gpu, out, x, pos, gpu.zeros([8])), /rope.forward: invFreq must have shape \[4\]/, 'invFreq shape');
  expectError(() => ropeForward(gpu, gpu.empty([4, 7]), gpu.zeros([4, 7]), pos, inv), /rope.forward: x must have shape \[\*, \*, \*\]/, 'rank');
  expectError(() => ropeForward(gpu, gpu.empty([4, 2, 7]), gpu.zeros([4, 2, 7]), pos, inv), /rope.forward: head dim D must be even/, 'odd D');
  expectError(() => ropeBackward(gpu, out, x, pos, inv, { attentionScaling: NaN }), /rope.backward: attentionScaling must be a finite number/, 'scaling');
  [x, out, pos, inv].forEach((t) => t.release());
}
