// Causal attention on Node + Dawn, both kernel variants ('tiled' for GPUs, 'direct' for CPU adapters):
// forward (ragged, GQA, decode offset, masks, small tiles), backward vs the reference and finite
// differences, the direct variant's split grid and default choice, and bad-input errors.
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import type { AttnVariant } from '../../src/kernels/attention';
import { isCpuAdapter } from '../../src/kernels/matmul';
import {
  checkAttentionBackward,
  checkAttentionDecode,
  checkAttentionDefaultVariant,
  checkAttentionDirectLargeGrid,
  checkAttentionErrors,
  checkAttentionForward,
  checkAttentionGpuFiniteDiff,
  checkAttentionMasks,
  checkAttentionRefGrad,
  checkAttentionSmallTiles,
} from '../shared/checks/attention';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('attention', () => {
  it('reference backward matches float64 finite differences', () => checkAttentionRefGrad());
  for (const variant of ['tiled', 'direct'] as AttnVariant[]) {
    describe(variant, () => {
      it('forward matches the reference (ragged, D 6/24/40/64/128, GQA 1/2/7, many tiles)', () => checkAttentionForward(gpu, variant));
      it('decode with a KV cache offset (Tq < Tk, cache capacity > Tk) matches the reference', () => checkAttentionDecode(gpu, variant));
      it('kvLens / keyStart masks: matches the reference, fully masked rows are exactly zero, no NaN', () => checkAttentionMasks(gpu, variant));
      it('GPU backward matches the reference (dQ, dK, dV; GQA sums; offset; D 6/24/40/64/128)', () => checkAttentionBackward(gpu, variant));
      it('a 16 KiB workgroup-memory cap gives the same forward and backward', () => checkAttentionSmallTiles(gpu, variant));
      it('GPU forward finite differences agree with the GPU backward', () => checkAttentionGpuFiniteDiff(gpu, variant));
    });
  }
  it('direct: more than 65535 workgroups (x / y split with padding) matches the reference', () => checkAttentionDirectLargeGrid(gpu));
  it('picks direct on CPU adapters and tiled on GPUs unless told otherwise', () => checkAttentionDefaultVariant(gpu, isCpuAdapter(gpu)));
  it('rejects bad inputs with errors naming attention and the limit', () => checkAttentionErrors(gpu));
});
