// Causal attention on Node + Dawn: forward (ragged, GQA, decode offset, masks, small tiles), backward vs the
// reference and finite differences, and bad-input errors.
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import {
  checkAttentionBackward,
  checkAttentionDecode,
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
  it('forward matches the reference (Tq=Tk ragged, D 24/40/64/128, GQA 1/2/7, many tiles)', () => checkAttentionForward(gpu));
  it('decode with a KV cache offset (Tq < Tk, cache capacity > Tk) matches the reference', () => checkAttentionDecode(gpu));
  it('kvLens / keyStart masks: matches the reference, fully masked rows are exactly zero, no NaN', () => checkAttentionMasks(gpu));
  it('reference backward matches float64 finite differences', () => checkAttentionRefGrad());
  it('GPU backward matches the reference (dQ, dK, dV; GQA sums; offset)', () => checkAttentionBackward(gpu));
  it('small tiles (16 KiB workgroup memory) give the same forward and backward', () => checkAttentionSmallTiles(gpu));
  it('GPU forward finite differences agree with the GPU backward', () => checkAttentionGpuFiniteDiff(gpu));
  it('rejects bad inputs with errors naming attention and the limit', () => checkAttentionErrors(gpu));
});
