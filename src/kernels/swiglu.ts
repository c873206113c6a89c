// SwiGLU activation of the MLP: forward out = silu(gate) * up; backward gives dGate and dUp.
// All f32, elementwise over (N, F). Plain-TS reference in swiglu.ref.ts.

import { P, expectTensor, type Gpu, type Tensor } from '../gpu';
import { grid1D } from './grid';
import commonSrc from './swiglu_common.wgsl?raw';
import fwdBody from './swiglu.wgsl?raw';
import bwdBody from './swiglu_backward.wgsl?raw';

const WG = 256;
// The kernels: swiglu_common.wgsl + each body (no buildWgsl flags).
const fwdSrc = commonSrc + '\n' + fwdBody;
const bwdSrc = commonSrc + '\n' + bwdBody;

/** out = silu(gate) * up. gate, up, out: (N, F) f32 (any shape, all equal). */
export function swigluForward(gpu: Gpu, out: Tensor, gate: Tensor, up: Tensor): void {
  const k = 'swiglu.forward';
  expectTensor(k, 'gate', gate, 'f32');
  expectTensor(k, 'up', up, 'f32', gate.shape);
  expectTensor(k, 'out', out, 'f32', gate.shape);
  const g = grid1D(gpu, gate.size, WG);
  gpu.dispatch({ kernel: k, code: fwdSrc, outputs: [out], inputs: [gate, up], params: P().u32(gate.size).u32(g.rowStride), workgroups: g.workgroups, constants: { WG } });
}

/** dGate, dUp (overwritten) from dOut and the forward inputs gate, up. All (N, F) f32. */
export function swigluBackward(gpu: Gpu, dGate: Tensor, dUp: Tensor, dOut: Tensor, gate: Tensor, up: Tensor): void {
  const k = 'swiglu.backward';
  expectTensor(k, 'gate', gate, 'f32');
  expectTensor(k, 'up', up, 'f32', gate.shape);
  expectTensor(k, 'dOut', dOut, 'f32', gate.shape);
  expectTensor(k, 'dGate', dGate, 'f32', gate.shape);
  expectTensor(k, 'dUp', dUp, 'f32', gate.shape);
  if (dGate.buffer === dUp.buffer) throw new Error(`swiglu.backward: dGate and dUp must be different tensors (got ${dGate} twice)`);
  const g = grid1D(gpu, gate.size, WG);
  gpu.dispatch({
    kernel: k,
    code: bwdSrc,
    outputs: [dGate, dUp],
    inputs: [dOut, gate, up],
    params: P().u32(gate.size).u32(g.rowStride),
    workgroups: g.workgroups,
    constants: { WG },
  });
}
