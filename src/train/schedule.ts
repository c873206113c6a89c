// Learning-rate schedules: constant or cosine with a floor, each optionally after a linear
// warm-up given as a fraction of the steps or a step count. Steps are 0-based optimiser steps.

import type { OptimConfig } from './config';

export type ScheduleConfig = Pick<OptimConfig, 'lr' | 'schedule' | 'minLrRatio' | 'warmupRatio' | 'warmupSteps'>;

/** Warm-up length in steps: warmupSteps when > 0, else ceil(warmupRatio x totalSteps); never
 *  more than totalSteps. */
export function warmupStepsOf(cfg: ScheduleConfig, totalSteps: number): number {
  const w = cfg.warmupSteps > 0 ? cfg.warmupSteps : Math.ceil(cfg.warmupRatio * totalSteps);
  return Math.min(w, totalSteps);
}

/** Learning rate of 0-based optimiser step `step` out of `totalSteps`.
 *  Warm-up (steps 0..W-1): lr x (step + 1) / (W + 1), rising linearly, never 0, so no step is wasted.
 *  Then with p = (step - W) / (totalSteps - W) in [0, 1):
 *    constant: lr;
 *    cosine:   lr x (f + (1 - f) x (1 + cos(pi p)) / 2), f = minLrRatio; starts at lr, ends
 *              just above f x lr at the last step. Steps past the end stay at f x lr. */
export function learningRate(step: number, totalSteps: number, cfg: ScheduleConfig): number {
  if (!Number.isSafeInteger(totalSteps) || totalSteps < 1) {
    throw new Error(`learningRate: totalSteps (${totalSteps}) must be an integer >= 1; pass the number of optimiser steps of the run`);
  }
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new Error(`learningRate: step (${step}) must be an integer >= 0 (steps are 0-based)`);
  }
  const W = warmupStepsOf(cfg, totalSteps);
  if (step < W) return (cfg.lr * (step + 1)) / (W + 1);
  if (cfg.schedule === 'constant') return cfg.lr;
  if (cfg.schedule !== 'cosine') throw new Error(`learningRate: unknown schedule ${JSON.stringify(cfg.schedule)}; use "constant" or "cosine"`);
  const f = cfg.minLrRatio;
  const p = Math.min(1, (step - W) / Math.max(1, totalSteps - W));
  return cfg.lr * (f + ((1 - f) * (1 + Math.cos(Math.PI * p))) / 2);
}

/** The whole schedule, one entry per step (for plots and checks). */
export function scheduleTable(totalSteps: number, cfg: ScheduleConfig): Float64Array {
  const out = new Float64Array(totalSteps);
  for (let s = 0; s < totalSteps; s++) out[s] = learningRate(s, totalSteps, cfg);
  return out;
}
