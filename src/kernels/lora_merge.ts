// LoRA merge: W (out, in) += scale * B (out, r) A (r, in) in place, so sampling can skip the side path;
// a negative scale unmerges. W is f32 or f16 (summed in f32, rounded once). Plain-TS reference in
// lora_merge.ref.ts. No backward: merged weights are only sampled from, never trained through.

import { P, buildWgsl, expectTensor, type Gpu, type Tensor } from '../gpu';
import { grid1D } from './grid';
import weightTypeSrc from './weight_type.wgsl?raw';
import mergeSrc from './lora_merge.wgsl?raw';

const WG = 256;

/**
 * W += scale * B A, in place. W: (out, in) f32 or f16 (f16 needs shader-f16); A: (r, in) f32;
 * B: (out, r) f32; scale: lora_alpha / r (or alpha / sqrt(r) for rsLoRA), negated to unmerge.
 */
export function loraMerge(gpu: Gpu, W: Tensor, A: Tensor, B: Tensor, scale: number): void {
  const k = 'lora.merge';
  expectTensor(k, 'W', W, ['f32', 'f16']);
  if (W.shape.length !== 2) throw new Error(`${k}: W must be (out_features, in_features), got ${W}`);
  if (W.dtype === 'f16' && !gpu.f16) throw new Error(`${k}: W is f16 but this adapter has no shader-f16; upload the weights as f32`);
  const [outF, inF] = W.shape;
  expectTensor(k, 'A', A, 'f32', [-1, inF]);
  const r = A.shape[0];
  expectTensor(k, 'B', B, 'f32', [outF, r]);
  if (!Number.isFinite(scale)) throw new Error(`${k}: scale must be a finite number (lora_alpha / r), got ${scale}`);
  const g = grid1D(gpu, outF * inF, WG);
  gpu.dispatch({
    kernel: k,
    code: buildWgsl(weightTypeSrc + '\n' + mergeSrc, { F16: W.dtype === 'f16' }),
    outputs: [W],
    inputs: [A, B],
    params: P().u32(outF).u32(inF).u32(r).u32(g.rowStride).f32(scale),
    workgroups: g.workgroups,
    constants: { WG },
  });
}
