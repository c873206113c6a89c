// copyRows on Node + Dawn: row ranges and index maps against the reference (bit-exact), integer words, errors.
// A pure copy: no backward, so no gradient check.
import { beforeAll, describe, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { checkCopyRows, checkCopyRowsErrors, checkCopyRowsWords } from '../shared/checks/rows';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

describe('rows', () => {
  it('copies row ranges, scatters and gathers like the reference (NO_ROW skips / zeros)', () => checkCopyRows(gpu));
  it('moves u32 and i32 words bit for bit', () => checkCopyRowsWords(gpu));
  it('rejects bad tensors, index maps and ranges with the kernel name', () => checkCopyRowsErrors(gpu));
});
