// The Gpu's counters (dispatches, submits, readbacks, waits, writes) count exactly what was asked of the
// device, and the tiny benchmark's options parse or fail naming the fix.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Gpu, GpuCounts } from '../../src/gpu';
import { addForward } from '../../src/kernels/add';
import { parseTinyArgs } from '../../src/cli/bench/tiny';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await getTestGpu();
});

const since = (a: GpuCounts): GpuCounts => {
  const b = gpu.counts();
  return { dispatches: b.dispatches - a.dispatches, submits: b.submits - a.submits, readbacks: b.readbacks - a.readbacks, waits: b.waits - a.waits, writes: b.writes - a.writes };
};

describe('gpu counters', () => {
  it('count dispatches, uniform and tensor writes, one submit per flush, readbacks and their waits', async () => {
    await gpu.sync();
    const c0 = gpu.counts();
    const a = gpu.upload([1, 2, 3], [3]); // 1 write
    const b = gpu.upload([4, 5, 6], [3]); // 1 write
    const out = gpu.empty([3]);
    const out2 = gpu.empty([3]);
    addForward(gpu, out, a, b); // 1 dispatch + its params write
    addForward(gpu, out2, out, b); // 1 dispatch + its params write
    expect(since(c0)).toEqual({ dispatches: 2, submits: 0, readbacks: 0, waits: 0, writes: 4 });
    expect(Array.from(await gpu.readF32(out2))).toEqual([9, 12, 15]); // one submit, one readback, one wait
    expect(since(c0)).toEqual({ dispatches: 2, submits: 1, readbacks: 1, waits: 1, writes: 4 });
    gpu.flush(); // nothing recorded: no submit
    await gpu.sync(); // a wait, no submit
    expect(since(c0)).toEqual({ dispatches: 2, submits: 1, readbacks: 1, waits: 2, writes: 4 });
    expect(gpu.dispatches - c0.dispatches).toBe(2);
    [a, b, out, out2].forEach((t) => t.release());
  });

  it('bench tiny: options parse; a bad one names the usage', () => {
    expect(parseTinyArgs(['tiny'])).toEqual({ model: 'public/models/chains-critical', reps: 2, profile: true });
    expect(parseTinyArgs(['tiny', '--model', 'x/y', '--reps=3', '--no-profile'])).toEqual({ model: 'x/y', reps: 3, profile: false });
    expect(() => parseTinyArgs(['tiny', '--reps=0'])).toThrow(/--reps needs a positive integer/);
    expect(() => parseTinyArgs(['tiny', '--fast'])).toThrow(/unknown option '--fast'; usage: tiny \[--model DIR\]/);
    expect(() => parseTinyArgs(['tiny', '--model'])).toThrow(/--model needs a folder/);
  });
});
