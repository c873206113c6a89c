// Kernel checks in a real Chromium (Vitest browser mode, Playwright, system Chromium, SwiftShader adapter).
// A representative subset of the Node checks; the adapter is logged. No adapter is a failure, not a skip;
// a check the adapter cannot run (f16 without shader-f16) is reported as skipped with its reason.
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { checkAddBackward, checkAddForward, checkDebugNonFinite } from '../shared/checks/add';
import { checkEmbeddingBackward, checkEmbeddingF16, checkEmbeddingForward } from '../shared/checks/embedding';
import { checkLoraBackward, checkLoraForward } from '../shared/checks/lora';
import { checkLoraMerge, checkLoraMergeF16, checkLoraMergeF16Refusal } from '../shared/checks/lora_merge';
import { checkCopyRows, checkCopyRowsWords } from '../shared/checks/rows';
import { checkCopyRowsColumns, checkEmbeddingRowBlocks, checkLinearRowBlocks } from '../shared/checks/rowblocks';
import { checkRmsnormBackward, checkRmsnormF16, checkRmsnormForward } from '../shared/checks/rmsnorm';
import { checkRopeBackward, checkRopeForward } from '../shared/checks/rope';
import { checkSwigluBackward, checkSwigluForward } from '../shared/checks/swiglu';
import { checkAttentionBackward, checkAttentionDecode, checkAttentionForward } from '../shared/checks/attention';
import { checkDecodeF16, checkDecodeF32 } from '../shared/checks/attention-decode';
import { checkLogprobsBackward, checkLogprobsForward } from '../shared/checks/logprobs';
import { checkLinear, checkMatmulDecode, checkMatmulEdges, checkMatmulF16 } from '../shared/checks/matmul';
import { checkSampleGreedy, checkSampleMatchesRef, checkSampleSeeds, checkSampleTies } from '../shared/checks/sample';
import { checkAdamwMatchesRef } from '../shared/checks/adamw';
import { checkGradNormMatchesRef } from '../shared/checks/gradnorm';
import { HAS_F16, NO_F16 } from '../shared/check';
import { checkF16Refusals } from '../shared/checks/f16-refusal';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('kernels in Chromium', () => {
  it('runs on a browser WebGPU adapter', () => {
    if (gpu.report.runtime !== 'browser') throw new Error(`expected the browser's navigator.gpu, got ${gpu.report.runtime}`);
  });
  it('add forward', () => checkAddForward(gpu));
  it('add backward', () => checkAddBackward(gpu));
  it('debug mode names the kernel', () => checkDebugNonFinite(gpu));
  it('embedding forward', () => checkEmbeddingForward(gpu));
  it('embedding backward', () => checkEmbeddingBackward(gpu));
  it('embedding over row blocks (gather and scatter)', () => checkEmbeddingRowBlocks(gpu));
  it('lm_head linear over vocabulary row blocks', () => checkLinearRowBlocks(gpu));
  it('copyRows column windows', () => checkCopyRowsColumns(gpu));
  it('embedding f16 table', (ctx) => {
    ctx.skip(!gpu.f16, NO_F16);
    return checkEmbeddingF16(gpu);
  });
  it('without shader-f16, f16 weights are refused with the kernel named', (ctx) => {
    ctx.skip(gpu.f16, HAS_F16);
    checkF16Refusals(gpu);
  });
  it('rmsnorm forward', () => checkRmsnormForward(gpu));
  it('rmsnorm backward', () => checkRmsnormBackward(gpu));
  it('rmsnorm f16 weight', (ctx) => {
    ctx.skip(!gpu.f16, NO_F16);
    return checkRmsnormF16(gpu);
  });
  it('rope forward', () => checkRopeForward(gpu));
  it('rope backward', () => checkRopeBackward(gpu));
  it('swiglu forward', () => checkSwigluForward(gpu));
  it('swiglu backward', () => checkSwigluBackward(gpu));
  it('lora forward (on matmul)', () => checkLoraForward(gpu));
  it('lora backward (on matmul)', () => checkLoraBackward(gpu));
  it('lora merge / unmerge', () => checkLoraMerge(gpu));
  it('lora merge f16 weights', (ctx) => {
    ctx.skip(!gpu.f16, NO_F16);
    return checkLoraMergeF16(gpu);
  });
  it('lora merge: without shader-f16, f16 weights are refused', (ctx) => {
    ctx.skip(gpu.f16, HAS_F16);
    checkLoraMergeF16Refusal(gpu);
  });
  it('copyRows: ranges, scatter, gather', () => checkCopyRows(gpu));
  it('copyRows: integer words bit for bit', () => checkCopyRowsWords(gpu));
  it('matmul: transposes, batches, ragged edges', () => checkMatmulEdges(gpu));
  it('matmul: decode shapes', () => checkMatmulDecode(gpu));
  it('matmul: f16 weights', (ctx) => {
    ctx.skip(!gpu.f16, NO_F16);
    return checkMatmulF16(gpu);
  });
  it('linear forward and backward', () => checkLinear(gpu));
  it('attention forward', () => checkAttentionForward(gpu));
  it('attention decode with offset', () => checkAttentionDecode(gpu));
  it('attention backward', () => checkAttentionBackward(gpu));
  it('split decode attention, f32 cache', () => checkDecodeF32(gpu));
  it('split decode attention, f16 cache', (ctx) => {
    ctx.skip(!gpu.f16, NO_F16);
    return checkDecodeF16(gpu);
  });
  it('log-probs forward', () => checkLogprobsForward(gpu));
  it('log-probs backward', () => checkLogprobsBackward(gpu));
  it('sampling equals the reference', () => checkSampleMatchesRef(gpu));
  it('sampling ties keep the lowest ids', () => checkSampleTies(gpu));
  it('greedy sampling', () => checkSampleGreedy(gpu));
  it('seeded sampling reproduces', () => checkSampleSeeds(gpu));
  it('AdamW', () => checkAdamwMatchesRef(gpu));
  it('global grad norm', () => checkGradNormMatchesRef(gpu));
});
