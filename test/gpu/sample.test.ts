// GPU sampling: reference agreement with the same Philox noise, greedy, seeds, distributions (chi-square),
// top-k / top-p support, the 151,936-word vocabulary and bad inputs (checks in test/shared/checks).
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import * as c from '../shared/checks/sample';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('sample', () => {
  it('Philox4x32-10 matches its known-answer vectors', () => c.checkPhilox(gpu));
  it('GPU ids and log-probs equal the reference with the same noise (all modes)', () => c.checkSampleMatchesRef(gpu));
  it('ties at the top-k threshold keep the lowest ids; rows with fewer logits than k keep all', () => c.checkSampleTies(gpu));
  it('temperature 0 is argmax with lowest-id ties', () => c.checkSampleGreedy(gpu));
  it('a fixed seed reproduces; other seeds and steps differ', () => c.checkSampleSeeds(gpu));
  it('row0 offsets the noise rows: a chunk of rows draws what one call over all rows draws', () => c.checkSampleRow0(gpu));
  it('frequencies match the target distribution; top-k / top-p stay in their support', () => c.checkSampleDistribution(gpu));
  it('handles the 151,936-word vocabulary', () => c.checkSampleBigVocab(gpu));
  it('rejects bad inputs naming the kernel', () => c.checkSampleBadInputs(gpu));
});
