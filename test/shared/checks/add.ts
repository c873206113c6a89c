// Residual-add checks, shared by the Node (Dawn) and browser (Chromium) test projects.
import type { Gpu } from '../../../src/gpu';
import { addBackward, addForward } from '../../../src/kernels/add';
import { addBackwardRef, addForwardRef } from '../../../src/kernels/add.ref';
import { assertClose, dot, finiteDiff, randn } from '../check';

export async function checkAddForward(gpu: Gpu): Promise<void> {
  const n = 1000 + 37;
  const a = randn(n, 1);
  const b = randn(n, 2);
  const ta = gpu.upload(a, [n]);
  const tb = gpu.upload(b, [n]);
  const out = gpu.empty([n]);
  addForward(gpu, out, ta, tb);
  assertClose(await gpu.readF32(out), addForwardRef(a, b), { atol: 1e-6 }, 'add.forward');
  [ta, tb, out].forEach((t) => t.release());
}

export async function checkAddBackward(gpu: Gpu): Promise<void> {
  const n = 333;
  const a = randn(n, 3);
  const b = randn(n, 4);
  const w = randn(n, 5);
  const dA = gpu.zeros([n]);
  const dB = gpu.zeros([n]);
  const dOut = gpu.upload(w, [n]);
  addBackward(gpu, dA, dB, dOut);
  const [rA, rB] = addBackwardRef(w);
  assertClose(await gpu.readF32(dA), rA, {}, 'dA');
  assertClose(await gpu.readF32(dB), rB, {}, 'dB');
  const fdA = finiteDiff((x) => dot(w, addForwardRef(x, b)), a);
  assertClose(rA, fdA, { atol: 1e-6 }, 'dA vs finite differences');
  [dA, dB, dOut].forEach((t) => t.release());
}

export async function checkAddErrors(gpu: Gpu): Promise<void> {
  const a = gpu.zeros([4]);
  const b = gpu.zeros([5]);
  let msg = '';
  try {
    addForward(gpu, gpu.empty([4]), a, b);
  } catch (e) {
    msg = (e as Error).message;
  }
  if (!/add.forward: b must have shape \[4\]/.test(msg)) throw new Error(`expected a shape error naming add.forward, got: ${msg || 'no error'}`);
}

export async function checkDebugNonFinite(gpu: Gpu): Promise<void> {
  const a = gpu.upload([1, Infinity, 2], [3]);
  const b = gpu.upload([1, -Infinity, 2], [3]);
  const out = gpu.empty([3]);
  gpu.debug = true;
  let msg = '';
  try {
    addForward(gpu, out, a, b);
    await gpu.sync();
  } catch (e) {
    msg = (e as Error).message;
  } finally {
    gpu.debug = false;
  }
  if (!/kernel 'add.forward' wrote a non-finite value/.test(msg)) throw new Error(`debug mode did not name the kernel: ${msg || 'no error'}`);
}
