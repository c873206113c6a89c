// Global gradient L2 norm over a list of f32 tensors, computed on the GPU into a (1,) tensor (per-workgroup
// partial sums, then one final reduce; no atomics), and the clip factor for adamwStep's gradScaleTensor.
// Plain-TS reference in gradnorm.ref.ts.

import { P, buildWgsl, expectTensor, type Gpu, type Tensor } from '../gpu';
import { checkReduceWg, grid1D, reduceWg } from './grid';
import src from './gradnorm.wgsl?raw';

/** Elements per partial-sum workgroup. */
const CHUNK = 4096;

let codes: { partial: string; final: string; clip: string } | null = null;
function code() {
  if (!codes) codes = { partial: buildWgsl(src, { PARTIAL: true }), final: buildWgsl(src, { FINAL: true }), clip: buildWgsl(src, { CLIP: true }) };
  return codes;
}

/**
 * out (1,) = sqrt(sum over all grads of x^2), overflow-safe (scaled sums). Non-finite gradients are reported
 * in the norm itself: NaN when any element is NaN, otherwise +Inf when any element is +-Inf.
 */
export function gradNorm(gpu: Gpu, out: Tensor, grads: Tensor[], opts: { workgroupSize?: number } = {}): void {
  const k = 'gradnorm';
  // threads per chunk: 256 on GPUs, 8 on CPU adapters (reduceWg: a barrier switches every thread there)
  const WG = opts.workgroupSize === undefined ? reduceWg(gpu) : checkReduceWg(k, opts.workgroupSize);
  expectTensor(k, 'out', out, 'f32', [1]);
  if (grads.length === 0) throw new Error(`${k}: no gradient tensors given; pass at least one`);
  grads.forEach((g, i) => expectTensor(k, `grads[${i}]`, g, 'f32'));
  const counts = grads.map((g) => Math.ceil(g.size / CHUNK));
  const total = Math.max(1, counts.reduce((a, b) => a + b, 0));
  const partials = gpu.zeros([total, 4], 'f32', 'gradnorm.partials'); // (P, 4); empty tensors leave zeros
  let offset = 0;
  grads.forEach((g, i) => {
    if (counts[i] === 0) return;
    const grid = grid1D(gpu, counts[i], 1);
    gpu.dispatch({
      kernel: `${k}.partial`,
      code: code().partial,
      outputs: [partials],
      inputs: [g],
      params: P().u32(g.size).u32(offset).u32(grid.rowStride).f32(0).f32(0),
      workgroups: grid.workgroups,
      constants: { WG, CHUNK },
    });
    offset += counts[i];
  });
  gpu.dispatch({ kernel: `${k}.final`, code: code().final, outputs: [out], inputs: [partials], params: P().u32(total).u32(0).u32(0).f32(0).f32(0), workgroups: [1], constants: { WG, CHUNK } });
  partials.release();
}

/**
 * scale (1,) = min(1, maxNorm / (normScale * norm + 1e-6)): the factor that clips the gradients (times
 * normScale) to norm maxNorm; NaN when norm is NaN or Inf, which makes adamwStep skip the step.
 * With gradients accumulated as sums over micro-batches, pass normScale = 1 / micro-batches and give
 * adamwStep gradScale = normScale and gradScaleTensor = scale.
 */
export function clipScale(gpu: Gpu, scale: Tensor, norm: Tensor, maxNorm: number, opts: { normScale?: number } = {}): void {
  const k = 'gradnorm.clipScale';
  expectTensor(k, 'scale', scale, 'f32', [1]);
  expectTensor(k, 'norm', norm, 'f32', [1]);
  const normScale = opts.normScale ?? 1;
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new Error(`${k}: maxNorm must be a finite number > 0, got ${maxNorm}`);
  if (!(normScale > 0) || !Number.isFinite(normScale)) throw new Error(`${k}: normScale must be a finite number > 0, got ${normScale}`);
  gpu.dispatch({ kernel: k, code: code().clip, outputs: [scale], inputs: [norm], params: P().u32(1).u32(0).u32(0).f32(maxNorm).f32(normScale), workgroups: [1], constants: {} });
}
