// Dispatch geometry helpers: spread a 1-D count of workgroups over x and y so that no axis
// exceeds maxComputeWorkgroupsPerDimension (kernels recover the flat index as x + y * rowStride),
// and the workgroup size of a row reduction, which differs between GPUs and CPU adapters.

import type { Gpu } from '../gpu';

export interface Grid1D {
  workgroups: [number, number, number];
  /** Threads per grid row (x workgroups * workgroup size): pass to the kernel as rowStride. */
  rowStride: number;
}

/** Cover `n` threads with workgroups of `wg` threads. */
export function grid1D(gpu: Gpu, n: number, wg: number): Grid1D {
  const groups = Math.ceil(n / wg);
  const max = gpu.limits.maxComputeWorkgroupsPerDimension ?? 65535;
  if (groups <= max) return { workgroups: [groups, 1, 1], rowStride: groups * wg };
  const y = Math.ceil(groups / max);
  const x = Math.ceil(groups / y);
  return { workgroups: [x, y, 1], rowStride: x * wg };
}

/** Software (CPU) adapters: Mesa lavapipe/llvmpipe, SwiftShader. */
export function isCpuAdapter(gpu: Gpu): boolean {
  const r = gpu.report;
  return /llvmpipe|lavapipe|swiftshader|software/i.test([r.vendor, r.architecture, r.device, r.description].join(' '));
}

/** Threads of a workgroup that reduces one row (a tree sum over workgroup memory): 256 on GPUs; 8 (one
 *  SIMD batch) on CPU adapters, whose drivers run a workgroup's threads as coroutines switched at every
 *  barrier, so that 256 threads over a 56-word vocabulary spend ~30x the arithmetic in switches. */
export function reduceWg(gpu: Gpu): number {
  return isCpuAdapter(gpu) ? 8 : 256;
}

/** Check a forced reduction workgroup size (tests): a power of two in [1, 256]. */
export function checkReduceWg(kernel: string, wg: number): number {
  if (!Number.isInteger(wg) || wg < 1 || wg > 256 || (wg & (wg - 1)) !== 0) throw new Error(`${kernel}: workgroupSize must be a power of two in [1, 256], got ${wg}`);
  return wg;
}
