// What the bench suites share: the host's CPU count and load at the start and end of a run (with a note
// when it was busy), the measured model's shapes; seeded random token ids and the median (stats.ts, re-exported).
import { cpus, loadavg } from 'node:os';
import type { ModelConfig } from '../../model/config';

export { median, randomIds } from './stats';

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The host's CPUs and 1-minute load at `loadStart` and now; `busy` is a note when the load exceeded the CPUs. */
export function hostLoad(loadStart: number): { host: { cpus: number; loadavg_1m_start: number; loadavg_1m_end: number }; busy: string | null } {
  const host = { cpus: cpus().length, loadavg_1m_start: round2(loadStart), loadavg_1m_end: round2(loadavg()[0]) };
  const busy =
    Math.max(host.loadavg_1m_start, host.loadavg_1m_end) > host.cpus
      ? `the host was busy (1-minute load average ${host.loadavg_1m_start} at the start, ${host.loadavg_1m_end} at the end, ${host.cpus} CPUs): on a CPU adapter other processes slow every number down`
      : null;
  return { host, busy };
}

/** The benchmarked model's shapes as the suites' JSON states them. */
export function modelShapes(c: ModelConfig, quick: boolean) {
  return {
    shapes: quick ? 'tiny Qwen2 (quick)' : 'Qwen2.5-0.5B layer shapes, random weights',
    layers: c.numLayers,
    hidden: c.hiddenSize,
    intermediate: c.intermediateSize,
    heads: c.numHeads,
    kv_heads: c.numKvHeads,
    head_dim: c.headDim,
  };
}
