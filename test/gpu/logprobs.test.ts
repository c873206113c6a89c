// Chunked log-softmax log-probs / entropy / cross-entropy: forward and backward against the reference,
// finite differences, the full 151,936-word vocabulary and bad inputs (checks in test/shared/checks).
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import * as c from '../shared/checks/logprobs';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('logprobs', () => {
  it('forward matches the reference (ragged V, temperatures, ignored row, -inf masks)', () => c.checkLogprobsForward(gpu));
  it('reference backward matches float64 finite differences', () => c.checkLogprobsRefGradient(gpu));
  it('backward matches the reference (with and without the entropy term)', () => c.checkLogprobsBackward(gpu));
  it('backward matches finite differences of the GPU forward at a few coordinates', () => c.checkLogprobsGpuFiniteDiff(gpu));
  it('cross-entropy wrappers with an ignore id', () => c.checkCrossEntropy(gpu));
  it('handles the 151,936-word vocabulary', () => c.checkLogprobsBigVocab(gpu));
  it('rejects bad inputs naming the kernel', () => c.checkLogprobsBadInputs(gpu));
});
