// The kernels benchmark's nominal CPU FMA peak: cores x lanes x 2 x clock from /proc/cpuinfo text, each
// unknown factor reported as unknown rather than guessed; and its matmul shape options.
import { describe, expect, it } from 'vitest';
import { nominalFmaPeak } from '../../src/cli/bench/fma-peak';
import { parseKernelArgs } from '../../src/cli/bench/kernels';

const cpuinfo = (vendor: string, family: number, flags: string, mhz?: number) =>
  [`vendor_id\t: ${vendor}`, `cpu family\t: ${family}`, 'model\t\t: 17', 'model name\t: Test CPU', ...(mhz ? [`cpu MHz\t\t: ${mhz}`] : []), `flags\t\t: fpu ${flags}`].join('\n') + '\n';

describe('nominalFmaPeak', () => {
  it('Zen 4 under a hypervisor: 2 cores x 16 lanes x 2 x 2.596 GHz, the clock flagged as the TSC rate', () => {
    const p = nominalFmaPeak(cpuinfo('AuthenticAMD', 25, 'fma avx2 avx512f hypervisor', 2596.134), 2);
    expect(p.fma_lanes_per_cycle).toBe(16);
    expect(p.clock_ghz).toBeCloseTo(2.596134, 6);
    expect(p.gflops).toBeCloseTo(2 * 16 * 2 * 2.596134, 1);
    expect(p.clock_source).toMatch(/TSC/);
    expect(p.lanes_source).toMatch(/Zen 4/);
  });
  it('an unlisted AVX2 + FMA CPU is marked as an assumption; no clock or no FMA gives no peak', () => {
    expect(nominalFmaPeak(cpuinfo('GenuineIntel', 6, 'fma avx2', 3000), 4).lanes_source).toMatch(/ASSUMED/);
    const noClock = nominalFmaPeak(cpuinfo('GenuineIntel', 6, 'fma avx2'), 4);
    expect(noClock.gflops).toBeNull();
    expect(noClock.clock_source).toMatch(/unknown/);
    const noFma = nominalFmaPeak(cpuinfo('GenuineIntel', 6, 'sse4_2 avx', 3000), 4);
    expect(noFma.fma_lanes_per_cycle).toBeNull();
    expect(noFma.gflops).toBeNull();
    expect(nominalFmaPeak('', 2).gflops).toBeNull();
  });
});

describe('parseKernelArgs: peak and shape options', () => {
  it('peak on by default, --no-peak turns it off; --shapes picks the model shapes; a bad value names the usage', () => {
    expect(parseKernelArgs([]).peak).toBe(true);
    expect(parseKernelArgs(['--no-peak']).peak).toBe(false);
    expect(parseKernelArgs([]).shapes).toBe('default');
    expect(parseKernelArgs(['--shapes=model']).shapes).toBe('model');
    expect(() => parseKernelArgs(['--shapes=huge'])).toThrow(/--shapes=default\|model/);
  });
});
