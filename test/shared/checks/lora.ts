// LoRA side-path checks (forward accumulation into y, backward vs reference and finite differences,
// accumulate / null dX, bad inputs), shared by the Node (Dawn) and browser (Chromium) test projects.
import type { Gpu, Tensor } from '../../../src/gpu';
import { loraBackward, loraForward } from '../../../src/kernels/lora';
import { loraBackwardRef, loraForwardRef, type LoraDims } from '../../../src/kernels/lora.ref';
import { assertClose, dot, expectError, finiteDiff, randn, sampleCoords } from '../check';

const DIMS: LoraDims = { N: 37, inF: 45, outF: 29, r: 8 };
const SCALE = 2; // lora_alpha / r, e.g. 16 / 8


function data(d: LoraDims, seed: number) {
  return {
    x: randn(d.N * d.inF, seed),
    A: randn(d.r * d.inF, seed + 1, 0.3),
    B: randn(d.outF * d.r, seed + 2, 0.3),
    y0: randn(d.N * d.outF, seed + 3),
    dY: randn(d.N * d.outF, seed + 4),
  };
}

async function forwardCase(gpu: Gpu, d: LoraDims, seed: number): Promise<void> {
  const { x, A, B, y0 } = data(d, seed);
  const tx = gpu.upload(x, [d.N, d.inF]);
  const tA = gpu.upload(A, [d.r, d.inF]);
  const tB = gpu.upload(B, [d.outF, d.r]);
  const y = gpu.upload(y0, [d.N, d.outF]);
  const h = gpu.empty([d.N, d.r]);
  loraForward(gpu, y, h, tx, tA, tB, SCALE);
  const ref = loraForwardRef(x, A, B, SCALE, d);
  const what = `lora.forward N=${d.N} in=${d.inF} out=${d.outF} r=${d.r}`;
  assertClose(await gpu.readF32(h), ref.h, { atol: 2e-5, rtol: 1e-4 }, `${what} h`);
  assertClose(await gpu.readF32(y), ref.delta.map((v, i) => v + y0[i]), { atol: 2e-5, rtol: 1e-4 }, `${what} y`);
  [tx, tA, tB, y, h].forEach((t) => t.release());
}

export async function checkLoraForward(gpu: Gpu): Promise<void> {
  await forwardCase(gpu, DIMS, 1);
  await forwardCase(gpu, { N: 5, inF: 70, outF: 33, r: 16 }, 2);
}

export async function checkLoraRefGrad(): Promise<void> {
  const d: LoraDims = { N: 3, inF: 5, outF: 4, r: 2 };
  const { x, A, B, dY } = data(d, 10);
  const g = loraBackwardRef(dY, x, A, B, SCALE, d);
  const L = (xx: ArrayLike<number>, aa: ArrayLike<number>, bb: ArrayLike<number>) => dot(dY, loraForwardRef(xx, aa, bb, SCALE, d).delta);
  const tol = { atol: 1e-7, rtol: 1e-6 };
  assertClose(g.dX, finiteDiff((v) => L(v, A, B), x), tol, 'ref dX vs finite differences');
  assertClose(g.dA, finiteDiff((v) => L(x, v, B), A), tol, 'ref dA vs finite differences');
  assertClose(g.dB, finiteDiff((v) => L(x, A, v), B), tol, 'ref dB vs finite differences');
}

/** Overwrite of dirty dA/dB, dX accumulated into existing values, then accumulate=true and dX = null. */
export async function checkLoraBackward(gpu: Gpu): Promise<void> {
  const d = DIMS;
  const { x, A, B, dY } = data(d, 20);
  const dX0 = randn(d.N * d.inF, 25);
  const tx = gpu.upload(x, [d.N, d.inF]);
  const tA = gpu.upload(A, [d.r, d.inF]);
  const tB = gpu.upload(B, [d.outF, d.r]);
  const y = gpu.zeros([d.N, d.outF]);
  const h = gpu.empty([d.N, d.r]);
  const tdY = gpu.upload(dY, [d.N, d.outF]);
  const dX = gpu.upload(dX0, [d.N, d.inF]);
  const dA = gpu.upload(randn(d.r * d.inF, 26), [d.r, d.inF]);
  const dB = gpu.upload(randn(d.outF * d.r, 27), [d.outF, d.r]);
  loraForward(gpu, y, h, tx, tA, tB, SCALE);
  loraBackward(gpu, dX, dA, dB, tdY, tx, h, tA, tB, SCALE);
  const ref = loraBackwardRef(dY, x, A, B, SCALE, d);
  const tol = { atol: 5e-5, rtol: 1e-4 };
  assertClose(await gpu.readF32(dX), ref.dX.map((v, i) => v + dX0[i]), tol, 'lora.backward dX (accumulated into y-path gradient)');
  assertClose(await gpu.readF32(dA), ref.dA, tol, 'lora.backward dA');
  assertClose(await gpu.readF32(dB), ref.dB, tol, 'lora.backward dB');
  loraBackward(gpu, null, dA, dB, tdY, tx, h, tA, tB, SCALE, { accumulate: true });
  assertClose(await gpu.readF32(dA), ref.dA.map((v) => 2 * v), tol, 'lora.backward dA accumulated');
  assertClose(await gpu.readF32(dB), ref.dB.map((v) => 2 * v), tol, 'lora.backward dB accumulated');
  assertClose(await gpu.readF32(dX), ref.dX.map((v, i) => v + dX0[i]), tol, 'lora.backward dX untouched when null');
  [tx, tA, tB, y, h, tdY, dX, dA, dB].forEach((t) => t.release());
}

/** Central differences of L = sum(w * y) on the GPU forward, at a few coordinates of A and B. */
export async function checkLoraGpuFiniteDiff(gpu: Gpu): Promise<void> {
  const d = DIMS;
  const { x, A, B, dY: w } = data(d, 30);
  const tx = gpu.upload(x, [d.N, d.inF]);
  const tA = gpu.upload(A, [d.r, d.inF]);
  const tB = gpu.upload(B, [d.outF, d.r]);
  const y = gpu.empty([d.N, d.outF]);
  const h = gpu.empty([d.N, d.r]);
  const loss = async (t: Tensor, host: Float32Array): Promise<number> => {
    gpu.write(t, host);
    gpu.clear(y);
    loraForward(gpu, y, h, tx, tA, tB, SCALE);
    return dot(w, await gpu.readF32(y));
  };
  const ref = loraBackwardRef(w, x, A, B, SCALE, d);
  const eps = 1e-2;
  for (const [name, t, host, g] of [
    ['dA', tA, A, ref.dA],
    ['dB', tB, B, ref.dB],
  ] as const) {
    for (const i of sampleCoords(host.length, 3, 31)) {
      const p = Float32Array.from(host);
      p[i] = host[i] + eps;
      const lp = await loss(t, p);
      p[i] = host[i] - eps;
      const lm = await loss(t, p);
      gpu.write(t, host);
      assertClose([(lp - lm) / (2 * eps)], [g[i]], { atol: 5e-3, rtol: 2e-2 }, `GPU finite difference ${name}[${i}]`);
    }
  }
  [tx, tA, tB, y, h].forEach((t) => t.release());
}

export async function checkLoraErrors(gpu: Gpu): Promise<void> {
  const x = gpu.zeros([4, 6]);
  const A = gpu.zeros([2, 6]);
  const B = gpu.zeros([5, 2]);
  const y = gpu.zeros([4, 5]);
  const h = gpu.zeros([4, 2]);
  expectError(() => loraForward(gpu, y, h, x, gpu.zeros([2, 7]), B, 1), /lora.forward: A must have shape \[\*, 6\]/, 'A shape');
  expectError(() => loraForward(gpu, y, h, x, A, gpu.zeros([5, 3]), 1), /lora.forward: B must have shape \[\*, 2\]/, 'B shape');
  expectError(() => loraForward(gpu, gpu.zeros([4, 6]), h, x, A, B, 1), /lora.forward: y must have shape \[4, 5\]/, 'y shape');
  expectError(() => loraForward(gpu, y, gpu.zeros([4, 3]), x, A, B, 1), /lora.forward: h must have shape \[4, 2\]/, 'h shape');
  expectError(() => loraForward(gpu, y, h, x, A, gpu.zeros([5, 2], 'f16'), 1), /lora.forward: B must be f32/, 'B dtype');
  expectError(() => loraForward(gpu, y, h, x, A, B, NaN), /lora.forward: scale must be a finite number/, 'scale');
  expectError(() => loraBackward(gpu, x, A, B, gpu.zeros([4, 6]), x, h, A, B, 1), /lora.backward: dY must have shape \[4, 5\]/, 'dY shape');
  [x, A, B, y, h].forEach((t) => t.release());
}
