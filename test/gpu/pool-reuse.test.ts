// Buffers released before a submit: a storage buffer goes to the next tensor of its size class at once
// (recorded work runs in order, so the new owner's kernels cannot clobber what the old owner's
// recorded kernels read), which keeps a long recorded pass from holding every temporary; host writes
// never land on such a buffer before the old owner's work (upload takes a fresh buffer, write submits first).
import { beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { copyRows } from '../../src/kernels/rows';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

const N = 1 << 18; // 1 MiB of f32
const values = (k: number) => Float32Array.from({ length: N }, (_, i) => k * 1000 + (i % 997));

describe('buffers released before a submit', () => {
  it('are reused by the next tensors of their size: 20 recorded temporaries in a row hold about one', async () => {
    await gpu.sync();
    gpu.pool.resetPeak();
    const base = gpu.poolStats().inUse;
    const src = gpu.upload(values(1), [N], 'f32', 'src');
    const out = gpu.zeros([N], 'f32', 'out');
    for (let i = 0; i < 20; i++) {
      const t = gpu.empty([N], 'f32', `tmp${i}`);
      copyRows(gpu, t, src, { rows: N, width: 1 });
      copyRows(gpu, out, t, { rows: N, width: 1 });
      t.release();
    }
    const peak = gpu.poolStats().peak - base;
    expect(await gpu.readF32(out)).toEqual(values(1));
    expect(peak, `peak ${peak} bytes over the 2 tensors that live`).toBeLessThanOrEqual(4 * 4 * N);
    [src, out].forEach((t) => t.release());
    await gpu.sync();
  });

  it('never take host data before the old owner\'s recorded work has read the old data', async () => {
    await gpu.sync(); // nothing pending: the buffers below are this test's own
    const a = gpu.upload(values(2), [N], 'f32', 'a');
    const b = gpu.empty([N], 'f32', 'b');
    copyRows(gpu, b, a, { rows: N, width: 1 }); // recorded, not submitted
    a.release();
    // an upload of the same size gets a fresh buffer (its data lands at once)
    const c = gpu.upload(values(3), [N], 'f32', 'c');
    // a tensor that takes a's buffer and is then written from the host: write() submits the copy first
    const d = gpu.empty([N], 'f32', 'd');
    gpu.write(d, values(4));
    expect(await gpu.readF32(b)).toEqual(values(2));
    expect(await gpu.readF32(c)).toEqual(values(3));
    expect(await gpu.readF32(d)).toEqual(values(4));
    [b, c, d].forEach((t) => t.release());
  });
});
