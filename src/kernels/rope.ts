// Rotary position embedding (Hugging Face rotate-half layout, Llama / Qwen): pairs (i, i + D/2) of each
// head are rotated by pos * invFreq[i]. invFreq is uploaded by the caller: ropeInvFreq(theta, D) for
// the default, or a CPU-computed llama3 / linear / yarn variant. Plain-TS reference in rope.ref.ts.
// Not in place: WebGPU cannot bind one buffer as both read-only and read-write, so out !== x.

import { P, expectTensor, type Gpu, type Tensor } from '../gpu';
import { grid1D } from './grid';
import src from './rope.wgsl?raw';

const WG = 256;

export interface RopeOptions {
  /** Multiplies cos and sin (yarn's attention_factor, etc.). Default 1. */
  attentionScaling?: number;
}

/**
 * Default inverse frequencies, as Hugging Face computes them in float32:
 * invFreq[i] = 1 / theta^((2i) / D) for i < D/2. theta: rope_theta (e.g. 1e6 for Qwen3); D: head_dim (even).
 */
export function ropeInvFreq(theta: number, D: number): Float32Array {
  if (!(theta > 0) || !Number.isFinite(theta)) throw new Error(`ropeInvFreq: theta must be a positive number (the model's rope_theta), got ${theta}`);
  if (!Number.isInteger(D) || D <= 0 || D % 2) throw new Error(`ropeInvFreq: head dim D must be a positive even integer, got ${D}`);
  const out = new Float32Array(D / 2);
  for (let i = 0; i < D / 2; i++) out[i] = 1 / theta ** Math.fround((2 * i) / D);
  return out;
}

function run(kernel: string, sinSign: number, gpu: Gpu, out: Tensor, x: Tensor, positions: Tensor, invFreq: Tensor, opts: RopeOptions, names: [string, string]): void {
  const [outName, xName] = names;
  expectTensor(kernel, xName, x, 'f32', [-1, -1, -1]);
  const [N, H, D] = x.shape;
  if (D % 2) throw new Error(`${kernel}: head dim D must be even for the rotate-half layout, got ${xName} ${x}`);
  expectTensor(kernel, outName, out, 'f32', [N, H, D]);
  expectTensor(kernel, 'positions', positions, 'u32', [N]);
  expectTensor(kernel, 'invFreq', invFreq, 'f32', [D / 2]);
  if (out.buffer === x.buffer) {
    throw new Error(`${kernel}: ${outName} and ${xName} must be different tensors (WebGPU cannot bind one buffer as both read-only and read-write); write into a separate tensor`);
  }
  const scaling = opts.attentionScaling ?? 1;
  if (!Number.isFinite(scaling)) throw new Error(`${kernel}: attentionScaling must be a finite number, got ${scaling}`);
  const half = D / 2;
  const total = N * H * half;
  const g = grid1D(gpu, total, WG);
  gpu.dispatch({
    kernel,
    code: src,
    outputs: [out],
    inputs: [x, positions, invFreq],
    params: P().u32(total).u32(H).u32(half).u32(g.rowStride).f32(scaling).f32(sinSign),
    workgroups: g.workgroups,
    constants: { WG },
  });
}

/**
 * out = RoPE(x). out, x: (N, H, D) f32, token-major (distinct tensors); positions: (N,) u32;
 * invFreq: (D/2,) f32 (see ropeInvFreq).
 */
export function ropeForward(gpu: Gpu, out: Tensor, x: Tensor, positions: Tensor, invFreq: Tensor, opts: RopeOptions = {}): void {
  run('rope.forward', 1, gpu, out, x, positions, invFreq, opts, ['out', 'x']);
}

/** dX = RoPE^T(dOut) (rotation by the negated angle, same scaling). dX, dOut: (N, H, D) f32, distinct. */
export function ropeBackward(gpu: Gpu, dX: Tensor, dOut: Tensor, positions: Tensor, invFreq: Tensor, opts: RopeOptions = {}): void {
  run('rope.backward', -1, gpu, dX, dOut, positions, invFreq, opts, ['dX', 'dOut']);
}
