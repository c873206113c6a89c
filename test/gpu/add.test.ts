// Residual add: forward against the reference, backward against the reference and finite differences.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { addBackward, addForward } from '../../src/kernels/add';
import { addBackwardRef, addForwardRef } from '../../src/kernels/add.ref';
import { assertClose, dot, finiteDiff, randn } from '../shared/check';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('add', () => {
  it('forward matches the reference at a ragged size', async () => {
    const n = 1000 + 37;
    const a = randn(n, 1);
    const b = randn(n, 2);
    const ta = gpu.upload(a, [n]);
    const tb = gpu.upload(b, [n]);
    const out = gpu.empty([n]);
    addForward(gpu, out, ta, tb);
    assertClose(await gpu.readF32(out), addForwardRef(a, b), { atol: 1e-6 }, 'add.forward');
    [ta, tb, out].forEach((t) => t.release());
  });

  it('backward matches the reference and finite differences', async () => {
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
  });

  it('rejects mismatched shapes with the kernel name', () => {
    const a = gpu.zeros([4]);
    const b = gpu.zeros([5]);
    expect(() => addForward(gpu, gpu.empty([4]), a, b)).toThrow(/add.forward: b must have shape \[4\]/);
  });

  it('debug mode names the kernel that produced a non-finite value', async () => {
    const a = gpu.upload([1, Infinity, 2], [3]);
    const b = gpu.upload([1, -Infinity, 2], [3]);
    const out = gpu.empty([3]);
    gpu.debug = true;
    try {
      addForward(gpu, out, a, b);
      await expect(gpu.sync()).rejects.toThrow(/kernel 'add.forward' wrote a non-finite value/);
    } finally {
      gpu.debug = false;
    }
  });
});
