// Dispatch geometry helpers: spread a 1-D count of workgroups over x and y so that no axis
// exceeds maxComputeWorkgroupsPerDimension. Kernels recover the flat index as x + y * rowStride.

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
