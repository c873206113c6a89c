// Residual add: forward out = a + b; backward passes dOut to both branches (dA += dOut, dB += dOut).
// Plain-TS reference in add.ref.ts.

import { P, expectTensor, type Gpu, type Tensor } from '../gpu';
import { grid1D } from './grid';
import addSrc from './add.wgsl?raw';
import accSrc from './add_acc.wgsl?raw';

const WG = 256;

/** out = a + b. All f32, same element count. */
export function addForward(gpu: Gpu, out: Tensor, a: Tensor, b: Tensor): void {
  const k = 'add.forward';
  expectTensor(k, 'a', a, 'f32');
  expectTensor(k, 'b', b, 'f32', a.shape);
  expectTensor(k, 'out', out, 'f32', a.shape);
  const g = grid1D(gpu, a.size, WG);
  gpu.dispatch({ kernel: k, code: addSrc, outputs: [out], inputs: [a, b], params: P().u32(a.size).u32(g.rowStride), workgroups: g.workgroups, constants: { WG } });
}

/** dst += src (elementwise). Used as the residual backward: dA += dOut and dB += dOut. */
export function addAccumulate(gpu: Gpu, dst: Tensor, src: Tensor): void {
  const k = 'add.accumulate';
  expectTensor(k, 'src', src, 'f32');
  expectTensor(k, 'dst', dst, 'f32', src.shape);
  const g = grid1D(gpu, src.size, WG);
  gpu.dispatch({ kernel: k, code: accSrc, outputs: [dst], inputs: [src], params: P().u32(src.size).u32(g.rowStride), workgroups: g.workgroups, constants: { WG } });
}

/** Residual backward: both branches receive dOut (accumulated into dA and dB). */
export function addBackward(gpu: Gpu, dA: Tensor, dB: Tensor, dOut: Tensor): void {
  addAccumulate(gpu, dA, dOut);
  addAccumulate(gpu, dB, dOut);
}
