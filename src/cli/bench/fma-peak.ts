// FMA ceilings for the kernels benchmark, against which matmul GFLOP/s are read as a share of peak:
// (a) measured on the adapter: fma_peak.wgsl, independent register-only FMA chains (no memory traffic
//     but one store per invocation), timed with the suite's interleaved timer;
// (b) nominal for the host CPU: cores x f32 FMA lanes per cycle x 2 x clock, each factor with its source.

import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { P, buildWgsl, type Gpu, type Tensor } from '../../gpu';
import fmaSrc from './fma_peak.wgsl?raw';

export interface FmaPeakVariant {
  /** Independent vec4 chains per invocation. */
  chains: number;
  workgroups: number;
  workgroup_size: number;
  iters: number;
  flops: number;
  ms: number | null;
  gflops: number | null;
  /** flops / (process CPU seconds / cores) over a separate timed batch: the rate the adapter would give with
   *  every core to itself (the driver's threads run in this process); steadier than wall time under load. */
  cpu_gflops: number | null;
  error?: string;
}

export interface FmaPeak {
  /** Best variant's GFLOP/s (the adapter's measured FMA ceiling), or null when every variant failed. */
  gflops: number | null;
  variants: FmaPeakVariant[];
  /** Best variant's cpu_gflops (see FmaPeakVariant). */
  cpu_gflops: number | null;
  /** The stored sums were finite (the chains really ran and stayed in range). */
  finite: boolean;
}

/** The suite's interleaved timer (kernels.ts measureInterleaved), handed in so this file imports nothing from it. */
type Measure<C> = (gpu: Gpu, calls: Record<string, () => void>, cfg: C) => Promise<{ timings: Record<string, { ms: number }>; errors: Record<string, string> }>;

const WG = 64;
const WORKGROUPS = 64; // 4096 invocations: many workgroups for every CPU thread of the driver
export const FMA_PROBE_ITERS = 2048;
const ITERS = FMA_PROBE_ITERS;

/** One dispatch of the probe with `chains` vec4 chains per invocation, to time beside other work. */
export interface FmaProbe {
  chains: number;
  flops: number;
  call: () => void;
  /** (invocations) one sum per invocation: finite when the chains stayed in range. */
  out: Tensor;
  release: () => void;
}

export function fmaProbe(gpu: Gpu, chains: 4 | 8): FmaProbe {
  const out = gpu.empty([WORKGROUPS * WG], 'f32', 'bench.fmaProbe');
  const code = buildWgsl(fmaSrc, { WIDE: chains === 8 });
  const params = P().u32(ITERS).f32(0.999).f32(1e-3);
  return {
    chains,
    flops: WORKGROUPS * WG * ITERS * 4 * chains * 4 * 2,
    call: () => gpu.dispatch({ kernel: 'bench.fmaPeak', code, constants: { WG }, outputs: [out], inputs: [], params, workgroups: [WORKGROUPS] }),
    out,
    release: () => out.release(),
  };
}

/** Measure the adapter's FMA ceiling: 4 and 8 vec4 chains per invocation, interleaved; the best counts. */
export async function measureFmaPeak<C>(gpu: Gpu, cfg: C, measure: Measure<C>, log: (m: string) => void): Promise<FmaPeak> {
  const probes = ([4, 8] as const).map((chains) => fmaProbe(gpu, chains));
  const variants: FmaPeakVariant[] = probes.map((pr) => ({ chains: pr.chains, workgroups: WORKGROUPS, workgroup_size: WG, iters: ITERS, flops: pr.flops, ms: null, gflops: null, cpu_gflops: null }));
  const calls: Record<string, () => void> = Object.fromEntries(probes.map((pr) => [String(pr.chains), pr.call]));
  try {
    const { timings, errors } = await measure(gpu, calls, cfg);
    for (const v of variants) {
      const t = timings[String(v.chains)];
      if (t) {
        v.ms = Number(t.ms.toFixed(3));
        v.gflops = Number((v.flops / t.ms / 1e6).toFixed(2));
      } else v.error = errors[String(v.chains)] ?? 'not timed';
    }
    const cores = cpus().length;
    for (const v of variants) {
      if (v.ms === null) continue;
      const reps = Math.max(1, Math.ceil(200 / v.ms)); // ~200 ms of work per variant
      const c0 = process.cpuUsage();
      await gpu.time(() => {
        for (let i = 0; i < reps; i++) calls[String(v.chains)]();
      });
      const c = process.cpuUsage(c0);
      const cpuS = (c.user + c.system) / 1e6;
      v.cpu_gflops = cpuS > 0 ? Number(((reps * v.flops * cores) / cpuS / 1e9).toFixed(2)) : null;
    }
    let finite = true;
    for (const pr of probes) finite &&= (await gpu.readF32(pr.out)).every((x) => Number.isFinite(x));
    const rates = variants.map((v) => v.gflops).filter((g): g is number => g !== null);
    const best = rates.length ? Math.max(...rates) : null;
    const cpuRates = variants.map((v) => v.cpu_gflops).filter((g): g is number => g !== null);
    const cpuBest = cpuRates.length ? Math.max(...cpuRates) : null;
    log(`fma peak (adapter, register-only FMA chains): ${variants.map((v) => `${v.chains} vec4 chains ${v.gflops ?? v.error} GFLOP/s (per CPU time x ${cores} cores: ${v.cpu_gflops ?? '-'})`).join(', ')}; best ${best ?? '-'} wall, ${cpuBest ?? '-'} per CPU time${finite ? '' : ' (NON-FINITE sums: probe broken)'}`);
    return { gflops: best, cpu_gflops: cpuBest, variants, finite };
  } finally {
    for (const pr of probes) pr.release();
  }
}

export interface NominalPeak {
  /** cores x lanes x 2 x clock, or null when a factor is unknown. */
  gflops: number | null;
  cores: number;
  cores_source: string;
  /** f32 FMA lanes per core per cycle (FMA pipes x vector width). */
  fma_lanes_per_cycle: number | null;
  lanes_source: string;
  clock_ghz: number | null;
  clock_source: string;
  cpu: string;
  note: string;
}

function cpuinfoField(text: string, key: string): string | null {
  const m = new RegExp(`^${key}\\s*:\\s*(.*)$`, 'm').exec(text);
  return m ? m[1].trim() : null;
}

function readCpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return ''; // not Linux: every factor but the core count stays unknown
  }
}

/** The host CPU's nominal f32 FMA peak from /proc/cpuinfo text (Linux); unknown factors give null with the reason. */
export function nominalFmaPeak(info: string = readCpuinfo(), cores: number = cpus().length): NominalPeak {
  const vendor = cpuinfoField(info, 'vendor_id') ?? '?';
  const family = Number(cpuinfoField(info, 'cpu family') ?? NaN);
  const model = Number(cpuinfoField(info, 'model') ?? NaN);
  const flags = new Set((cpuinfoField(info, 'flags') ?? '').split(/\s+/));
  const mhz = Number(cpuinfoField(info, 'cpu MHz') ?? NaN);
  const hypervisor = flags.has('hypervisor');
  // FMA pipes x f32 lanes per pipe, by microarchitecture (vendor documentation; not in cpuinfo).
  let lanes: number | null = null;
  let lanesSource = `unknown for ${vendor} family ${family} model ${model}`;
  if (vendor === 'AuthenticAMD' && family === 25 && flags.has('avx512f')) {
    lanes = 16;
    lanesSource = 'AMD family 25 with AVX-512 = Zen 4: 2 FMA pipes x 256 bits (512-bit ops take both halves) = 16 f32 lanes/cycle';
  } else if (vendor === 'AuthenticAMD' && family === 25) {
    lanes = 16;
    lanesSource = 'AMD family 25 = Zen 3: 2 FMA pipes x 256 bits = 16 f32 lanes/cycle';
  } else if (flags.has('fma') && flags.has('avx2')) {
    lanes = 16;
    lanesSource = 'ASSUMED 2 FMA pipes x 256 bits (AVX2 + FMA; microarchitecture not in the table)';
  }
  const clock = Number.isFinite(mhz) && mhz > 0 ? mhz / 1000 : null;
  const clockSource = clock === null
    ? 'unknown: /proc/cpuinfo has no cpu MHz'
    : `/proc/cpuinfo cpu MHz ${mhz}${hypervisor ? ' (a virtual machine: this is the TSC rate the hypervisor reports, not a measured core clock; boost clocks may be higher)' : ''}`;
  const gflops = lanes !== null && clock !== null ? Number((cores * lanes * 2 * clock).toFixed(1)) : null;
  return {
    gflops,
    cores,
    cores_source: 'os.cpus().length (online CPUs this process sees; lscpu agrees on a 1-thread-per-core VM)',
    fma_lanes_per_cycle: lanes,
    lanes_source: lanesSource,
    clock_ghz: clock,
    clock_source: clockSource,
    cpu: `${cpuinfoField(info, 'model name') ?? '?'} (${vendor} family ${family} model ${model})`,
    note: 'f32 FMA peak = cores x lanes x 2 flops x clock; AVX-512 does not raise it on a 2 x 256-bit FMA core',
  };
}
