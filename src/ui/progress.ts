// Overall progress of a run across all its stages, and its ETA. Each stage gets a weight: its
// expected cost in sampled (or trained) tokens from the config, the engine's dominant cost (equal
// weights by stage kind when the config is not known, e.g. for a resumed run). The ETA is the
// elapsed computing time scaled by the weight left over the weight done; stages loaded from a
// stored run count as done but not into the rate.
import { ARMS, type ArmId } from '../int/arms';
import type { IntConfig } from '../int/config';
import { resolveChainsConfig } from '../tasks/chains/config';

/** Problems of a split the config asks for (chains counts, capped; a dataset: its cap or 100). */
function problemsOf(c: IntConfig, split: 'train' | 'test'): number {
  const cap = split === 'train' ? c.data.maxTrainProblems : c.data.maxTestProblems;
  if (c.data.task !== 'chains') return cap ?? 100;
  try {
    const r = resolveChainsConfig({ ...c.data.chains, style: undefined });
    const n = r.tiers.reduce((a, t) => a + (r.counts[t.name]?.[split] ?? 0), 0);
    return cap === null ? n : Math.min(cap, n);
  } catch {
    return cap ?? 100;
  }
}

/** A stage's expected cost from the config (tokens sampled, or trained x 3 for forward +
 *  backward); without a config, 1 for every stage with real work. Always > 0. */
export function stageWeights(stages: readonly string[], c: IntConfig | null): Record<string, number> {
  const out: Record<string, number> = {};
  if (!c) {
    for (const s of stages) out[s] = /^(load model|filter|sft-sets)$/.test(s) ? 0.1 : 1;
    return out;
  }
  const T = problemsOf(c, 'train');
  const E = problemsOf(c, 'test');
  const r = c.rollouts;
  const attempts = T * r.k;
  const failures = Math.min(c.propose.maxAttempts ?? attempts, attempts);
  const proposals = failures * c.propose.perAttempt;
  const w: Record<string, number> = {
    pool: r.poolSamples > 0 ? T * r.poolSamples * r.sampling.maxNewTokens : 0,
    rollouts: attempts * r.sampling.maxNewTokens,
    propose: proposals * c.propose.sampling.maxNewTokens,
    continuations: c.continuation.enabled ? proposals * c.continuation.k * c.continuation.sampling.maxNewTokens : 0,
    reflect: failures * r.sampling.maxNewTokens,
    diagnostics: failures * r.sampling.maxNewTokens,
  };
  const sft = Math.max(T, proposals) * c.sft.epochs * r.sampling.maxNewTokens * 3;
  const rl = c.rl.steps * c.rl.promptsPerStep * c.rl.numGenerations * c.rl.maxCompletionLength * 2;
  const ev = E * c.eval.samples * c.eval.sampling.maxNewTokens;
  for (const s of stages) {
    const [arm, kind] = s.includes('/') ? s.split('/') : [null, s];
    const spec = arm ? ARMS[arm as ArmId] : undefined;
    let v = w[kind] ?? 0;
    if (spec && kind === 'sft') v = spec.sft === 'none' ? 0 : sft;
    if (spec && kind === 'rl') v = spec.rl === null ? 0 : rl;
    if (spec && kind === 'eval') v = ev;
    out[s] = v;
  }
  // stages with no modelled cost (load model, filter, sft-sets, skipped parts) still take a moment
  const total = Object.values(out).reduce((a, b) => a + b, 0) || stages.length;
  for (const s of stages) out[s] = Math.max(out[s], total * (s === 'load model' ? 0.02 : 0.002));
  return out;
}

/** The run's overall fraction done and ETA, fed by the stage events. Times in ms. */
export class OverallProgress {
  private frac = new Map<string, number>();
  private loadedSet = new Set<string>();
  private t0: number | null = null;
  private pausedMs = 0;
  private pausedAt: number | null = null;

  constructor(readonly weights: Readonly<Record<string, number>>) {}

  private start(now: number): void {
    if (this.t0 === null) this.t0 = now;
  }

  /** A stage computed `done` of `total` units. */
  update(name: string, done: number, total: number, now: number): void {
    if (!(name in this.weights)) return;
    this.start(now);
    this.frac.set(name, total > 0 ? Math.max(0, Math.min(1, done / total)) : 0);
  }

  complete(name: string, now: number): void {
    if (!(name in this.weights)) return;
    this.start(now);
    this.frac.set(name, 1);
  }

  /** A stage was loaded from the stored run (no compute time). */
  loaded(name: string): void {
    if (name in this.weights) this.loadedSet.add(name);
  }

  pause(now: number): void {
    if (this.pausedAt === null) this.pausedAt = now;
  }

  resume(now: number): void {
    if (this.pausedAt !== null) this.pausedMs += now - this.pausedAt;
    this.pausedAt = null;
  }

  /** Share of the whole run done, in [0, 1] (loaded stages count as done). */
  fraction(): number {
    let all = 0;
    let done = 0;
    for (const [s, w] of Object.entries(this.weights)) {
      all += w;
      done += w * (this.loadedSet.has(s) ? 1 : (this.frac.get(s) ?? 0));
    }
    return all > 0 ? done / all : 0;
  }

  /** Computing time so far (paused time left out), seconds. */
  elapsed(now: number): number {
    if (this.t0 === null) return 0;
    const paused = this.pausedMs + (this.pausedAt !== null ? now - this.pausedAt : 0);
    return Math.max(0, (now - this.t0 - paused) / 1000);
  }

  /** Seconds left: elapsed x (computed weight left / computed weight done); NaN until some is done. */
  eta(now: number): number {
    let done = 0;
    let left = 0;
    for (const [s, w] of Object.entries(this.weights)) {
      if (this.loadedSet.has(s)) continue;
      const f = this.frac.get(s) ?? 0;
      done += w * f;
      left += w * (1 - f);
    }
    if (left === 0) return 0;
    const t = this.elapsed(now);
    return done > 0 && t > 0 ? (t * left) / done : NaN;
  }
}
