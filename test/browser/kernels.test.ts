// Kernel checks in a real Chromium (Vitest browser mode, Playwright, system Chromium, SwiftShader adapter).
// A representative subset of the Node checks; the adapter is logged. No adapter is a failure, not a skip.
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { checkAddBackward, checkAddForward, checkDebugNonFinite } from '../shared/checks/add';
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
  it('debug mode', () => checkDebugNonFinite(gpu));
});
