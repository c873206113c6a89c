// The training step loop: SFT steps and GRPO-family steps (rl.ts) over micro-batches packed under a
// token budget, gradients accumulated on the GPU, AdamW with global-norm clipping, schedules, TRL-named
// metrics, skipped (never NaN-writing) steps, and checkpoint save / resume (checkpoint.ts).

import { weightParts, type Gpu, type Weight } from '../gpu';
import type { Decoder } from '../model/decoder';
import { NO_ROW, type TokenBatch } from '../model/layout';
import { loadCheckpoint, saveCheckpoint, type CheckpointStore, type TrainerSnapshot } from './checkpoint';
import type { GrpoConfig, SftConfig } from './config';
import { aggregateMicroBatches, stepMetrics, type CompletionStats, type MicroPart, type StepMetrics } from './metrics';
import { packMicroBatches } from './microbatch';
import { objectiveFor, type ObjectiveConfig, type ObjectiveStats, type TrainSequence } from './objectives';
import { AdamW, type OptimParam } from './optimizer';
import type { AdvantageResult } from './advantages';
import { learningRate } from './schedule';
import { uniformStep } from '../util/random';

/** One SFT row: the loss covers the completion, conditioned on the prompt. */
export interface SftExample {
  /** Prompt ids (at least one, e.g. BOS). */
  prompt: readonly number[];
  /** Completion ids: the tokens trained on. */
  completion: readonly number[];
  /** Loss weight of each completion token (finite, >= 0). Default: all 1. The step's loss is the
   *  weighted mean of the completion NLL over the whole batch (TrainSequence.weight). */
  weights?: readonly number[];
}

/** A row to train on: prompt + completion ids, and the objective's view of its completion tokens. */
export interface TrainRow {
  prompt: readonly number[];
  completion: readonly number[];
  seq: TrainSequence;
}

export interface TrainerOptions {
  /** SFT or GRPO-family config (validateSftConfig / validateGrpoConfig); its `optim` drives AdamW. */
  config: SftConfig | GrpoConfig;
  /** Optimiser steps of the whole run, for warm-up and cosine decay. Default: steps x passesPerBatch
   *  (GRPO); SFT needs it when it has a warm-up or a cosine schedule (see sftTotalSteps). */
  totalSteps?: number;
  /** Called after the backward passes of a step, before the update (inspect or edit gradients). */
  onGradients?: (params: readonly OptimParam[]) => void | Promise<void>;
  /** Called with each step's metrics. */
  onStep?: (m: StepMetrics) => void;
  /** Consecutive steps skipped for a non-finite log-prob or gradient after which training stops
   *  with NonFiniteTrainingError, naming the first kernel and tensor that wrote a non-finite value
   *  (the step's forward pass is re-run in the Gpu's debug mode to find it). A step or two can be a
   *  transient overflow and are skipped; a run that keeps producing them has diverged or its weights
   *  are broken. Default 3 (0: never stop). */
  maxNonFiniteSteps?: number;
}

/** Training kept producing non-finite values (see TrainerOptions.maxNonFiniteSteps). */
export class NonFiniteTrainingError extends Error {
  override name = 'NonFiniteTrainingError';
  constructor(
    readonly steps: number,
    readonly reason: string,
    readonly located: string,
  ) {
    super(
      `training stopped: ${steps} consecutive steps produced non-finite values (the last: ${reason}). ${located}. ` +
        'Lower the learning rate, or check the model weights and the data that step trained on; the completed stages and checkpoints are kept',
    );
  }
}

/** What one optimiser step did. */
export interface StepResult {
  metrics: StepMetrics;
  /** The update was not applied (bad input, non-finite loss or gradient); see `reason`. */
  skipped: boolean;
  reason?: string;
  /** Micro-batches the effective batch was split into (0 when nothing ran). */
  microBatches: number;
  /** Global gradient norm before clipping, as measured (NaN / Inf for a non-finite gradient; the
   *  metrics report null for a skipped step); null when no update was attempted. */
  gradNorm: number | null;
}

/** Extra inputs of a step's metrics (RL: reward and completion statistics). */
export interface StepExtras {
  rewards?: AdvantageResult;
  completions?: CompletionStats;
  /** Start of the step (performance.now()), when work before runStep (generation) should count in tokens/s. */
  t0?: number;
  /** Skip the step without running the model (e.g. a non-finite reward), with this reason. */
  skip?: string;
}

/** Optimiser steps of an SFT run: ceil(rows / batchSize) x epochs. */
export function sftTotalSteps(rows: number, cfg: Pick<SftConfig, 'batchSize' | 'epochs'>): number {
  return Math.max(1, Math.ceil(rows / cfg.batchSize) * cfg.epochs);
}

function zeroStats(sequences: number): ObjectiveStats {
  return { tokens: 0, sequences, clip_ratio_low: 0, clip_ratio_high: 0, clip_ratio_region: 0, kl: null, entropy: null, nll: 0 };
}

export class Trainer {
  readonly gpu: Gpu;
  readonly config: SftConfig | GrpoConfig;
  readonly optimizer: AdamW;
  readonly mode: 'lora' | 'full';
  readonly totalSteps: number;
  /** Optimiser steps attempted so far (applied or skipped); the next step's 0-based schedule index. */
  step = 0;
  /** Steps whose update was not applied. */
  skippedSteps = 0;
  /** Consecutive steps skipped for non-finite values so far. */
  private nonFiniteRun = 0;
  /** State of the seeded generator behind the rollout seeds (saved in checkpoints). */
  rngState: number;
  /** Metrics of every step so far. */
  readonly history: StepMetrics[] = [];

  constructor(
    readonly model: Decoder,
    readonly opts: TrainerOptions,
  ) {
    this.gpu = model.gpu;
    this.config = opts.config;
    if (!this.config || (this.config.kind !== 'sft' && this.config.kind !== 'grpo')) {
      throw new Error('Trainer: config must be a validated SFT or GRPO config (validateSftConfig / validateGrpoConfig)');
    }
    if (model.adapter && model.trainBase) throw new Error('Trainer: the model has both a LoRA adapter and full fine-tune gradients; use one (detach the adapter or build the Decoder without trainBase)');
    if (model.adapter?.isMerged) throw new Error('Trainer: the LoRA adapter is merged into the weights; unmerge() it before training');
    this.mode = model.adapter ? 'lora' : 'full';
    const params: OptimParam[] = model.adapter
      ? model.adapter.parameters()
      : [...model.grads].flatMap(([name, grad]) => optimParts(name, model.weights.byName.get(name)!, grad));
    this.optimizer = new AdamW(this.gpu, params, this.config.optim);
    this.totalSteps = this.resolveTotalSteps(opts.totalSteps);
    this.rngState = this.config.seed >>> 0;
  }

  private resolveTotalSteps(given: number | undefined): number {
    const c = this.config;
    if (given !== undefined) {
      if (!Number.isSafeInteger(given) || given < 1) throw new Error(`Trainer: totalSteps must be an integer >= 1, got ${given}`);
      return given;
    }
    if (c.kind === 'grpo') return c.steps * c.passesPerBatch;
    const o = c.optim;
    if (o.schedule === 'cosine' || o.warmupRatio > 0 || o.warmupSteps > 0) {
      throw new Error('Trainer: an SFT run with a warm-up or a cosine schedule needs totalSteps; pass totalSteps: sftTotalSteps(rows, config)');
    }
    return 1;
  }

  /** Trainable parameters with their gradients. */
  get params(): readonly OptimParam[] {
    return this.optimizer.params;
  }

  /** Learning rate of the next step. */
  get learningRate(): number {
    return learningRate(this.step, this.totalSteps, this.config.optim);
  }

  /** Next seed of the seeded generator (rollout sampling). */
  nextSeed(): number {
    const [v, s] = uniformStep(this.rngState);
    this.rngState = s;
    return v;
  }

  /** One SFT step on these examples (the effective batch): masked NLL of the completions. */
  async sftStep(examples: readonly SftExample[]): Promise<StepResult> {
    const t0 = performance.now();
    const rows = examples.map((e, i) => {
      const row = this.makeRow(e.prompt, e.completion, `example ${i}`);
      if (e.weights !== undefined) row.seq.weight = lossWeights(e.weights, e.completion.length, `example ${i}`);
      return row;
    });
    return this.runStep(rows, this.config, { t0 });
  }

  /** Validate one prompt + completion and make its row (mask 1 on every completion token). */
  makeRow(prompt: readonly number[], completion: readonly number[], what: string): TrainRow {
    const c = this.model.config;
    if (!prompt || !completion || typeof prompt.length !== 'number' || typeof completion.length !== 'number') {
      throw new Error(`${what}: prompt and completion must be arrays of token ids`);
    }
    prompt = Array.from(prompt);
    completion = Array.from(completion);
    if (prompt.length === 0) throw new Error(`${what}: the prompt is empty; give it at least one token (e.g. BOS ${c.bosId ?? ''}) so the first completion token has a context`);
    const L = prompt.length + completion.length;
    if (L > c.maxPositions) {
      throw new Error(`${what} is ${L} tokens long (prompt ${prompt.length} + completion ${completion.length}), over the model's context of ${c.maxPositions} tokens (max_position_embeddings): shorten or drop it`);
    }
    for (const [part, ids] of [['prompt', prompt], ['completion', completion]] as const) {
      ids.forEach((id, t) => {
        if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) throw new Error(`${what}: ${part} token ${t} is ${id}, outside the vocabulary [0, ${c.vocabSize})`);
      });
    }
    const C = completion.length;
    return { prompt, completion, seq: { logp: new Float32Array(C), mask: new Uint8Array(C).fill(1) } };
  }

  /** Right-padded (B, T) batch of rows: inputs ids[0..L-2], targets ids[1..L-1]; the prompt's own
   *  next tokens are NO_ROW (no log-prob is read there, so the head skips those rows). */
  static rowsBatch(rows: readonly TrainRow[]): TokenBatch {
    const lens = rows.map((r) => r.prompt.length + r.completion.length - 1);
    const B = rows.length;
    const T = Math.max(1, ...lens);
    const ids = new Uint32Array(B * T);
    const targets = new Uint32Array(B * T);
    rows.forEach((r, b) => {
      const all = [...r.prompt, ...r.completion];
      for (let t = 0; t < lens[b]; t++) {
        ids[b * T + t] = all[t];
        targets[b * T + t] = t < r.prompt.length - 1 ? NO_ROW : all[t + 1];
      }
    });
    return { B, T, ids, targets, lengths: lens };
  }

  /** Per-token log-probs (and entropies) of the rows' completions without gradients (e.g. reference
   *  log-probs with the adapter off). Results in micro-batches under the config's token budget. */
  async scoreRows(rows: readonly TrainRow[], temperature = 1): Promise<{ logp: Float32Array[]; entropy: Float32Array[] }> {
    const logp: Float32Array[] = new Array(rows.length);
    const entropy: Float32Array[] = new Array(rows.length);
    for (const mb of this.pack(rows)) {
      const part = mb.map((i) => rows[i]);
      const batch = Trainer.rowsBatch(part);
      const pass = this.model.forward(batch, { temperature });
      try {
        const lp = await this.gpu.readF32(pass.logp);
        const en = await this.gpu.readF32(pass.entropy);
        part.forEach((r, b) => {
          const o = b * batch.T + r.prompt.length - 1;
          logp[mb[b]] = lp.slice(o, o + r.completion.length);
          entropy[mb[b]] = en.slice(o, o + r.completion.length);
        });
      } finally {
        pass.release();
      }
    }
    return { logp, entropy };
  }

  private pack(rows: readonly TrainRow[]): number[][] {
    const lengths = rows.map((r) => r.prompt.length + r.completion.length);
    return packMicroBatches(lengths, this.config.microBatchTokens).map((m) => m.indices);
  }

  /** Re-run the forward pass of the first micro-batch of `rows` in the Gpu's debug mode and say
   *  which kernel first wrote a non-finite value (or that the forward pass is finite). */
  private async locateNonFinite(rows: readonly TrainRow[], temperature: number): Promise<string> {
    const [first] = this.pack(rows);
    if (!first) return 'No rows to re-run';
    const was = this.gpu.debug;
    this.gpu.debug = true;
    try {
      const pass = this.model.forward(Trainer.rowsBatch(first.map((i) => rows[i])), { train: true, temperature });
      try {
        await this.gpu.sync();
      } catch (e) {
        return `Re-run in debug mode: ${(e as Error).message.replace(/^debug: /, '')}`;
      } finally {
        pass.release();
      }
      return 'Re-run in debug mode, the forward pass wrote only finite values: the non-finite values came from the backward pass or the gradients';
    } finally {
      this.gpu.debug = was;
    }
  }

  /**
   * One optimiser step on rows forming the effective batch: zero the gradients, then per micro-batch
   * forward, objective (with effective-batch totals), backward; then clip + AdamW. A skipped
   * micro-batch (non-finite log-probs, empty batch) or a non-finite gradient norm skips the update.
   */
  async runStep(rows: readonly TrainRow[], cfg: ObjectiveConfig, extra: StepExtras = {}): Promise<StepResult> {
    const t0 = extra.t0 ?? performance.now();
    // The log-probs are taken at the temperature the rollouts were sampled at (the GRPO config's own
    // field, so importance ratios compare like with like); SFT trains the plain distribution.
    const temperature = cfg.kind === 'grpo' ? cfg.temperature : 1;
    const lr = this.learningRate;
    const objective = objectiveFor(cfg);
    const seqs = rows.map((r) => r.seq);
    const parts: MicroPart[] = [];
    let tokens = 0;
    let microBatches = 0;
    let gradNorm: number | null = null;
    let reason: string | undefined;
    this.optimizer.zeroGrad();

    const skip =
      extra.skip ??
      (rows.length === 0 ? 'empty batch: no sequences to train on' : rows.every((r) => r.completion.length === 0) ? 'no completion tokens: every completion is empty' : undefined);
    if (skip !== undefined) {
      parts.push({ loss: 0, stats: zeroStats(rows.length), skip: true, reason: skip });
    } else {
      const ctx = objective.context(seqs, cfg);
      const wantEntropy = cfg.kind === 'grpo' && cfg.entropyCoef > 0;
      for (const mb of this.pack(rows)) {
        const part = mb.map((i) => rows[i]);
        const batch = Trainer.rowsBatch(part);
        const pass = this.model.forward(batch, { train: true, temperature });
        microBatches++;
        let used = false;
        try {
          const lp = await this.gpu.readF32(pass.logp);
          const en = await this.gpu.readF32(pass.entropy);
          const offs = part.map((r, b) => b * batch.T + r.prompt.length - 1);
          part.forEach((r, b) => {
            r.seq.logp = lp.slice(offs[b], offs[b] + r.completion.length);
            r.seq.entropy = en.slice(offs[b], offs[b] + r.completion.length);
          });
          const res = objective.compute(part.map((r) => r.seq), cfg, ctx);
          parts.push(res);
          if (res.skip) break;
          const N = batch.B * batch.T;
          const dLogp = new Float32Array(N);
          const dEnt = wantEntropy && res.dEntropy ? new Float32Array(N) : null;
          part.forEach((r, b) => {
            dLogp.set(res.dLogp[b], offs[b]);
            if (dEnt) dEnt.set(res.dEntropy![b], offs[b]);
          });
          tokens += part.reduce((n, r) => n + r.prompt.length + r.completion.length - 1, 0);
          used = true;
          this.model.backward(pass, dLogp, dEnt);
        } finally {
          if (!used) pass.release();
        }
      }
    }

    const agg = aggregateMicroBatches(parts);
    let nonFinite = false;
    if (agg.skip) {
      reason = agg.reasons.join('; ');
      nonFinite = agg.reasons.some((x) => x.includes('non-finite log-prob'));
    } else {
      await this.opts.onGradients?.(this.params);
      const r = await this.optimizer.step(lr);
      gradNorm = r.gradNorm;
      if (!r.applied) {
        reason = `gradient norm is ${r.gradNorm}: a gradient is NaN or infinite; the update was not applied`;
        nonFinite = true;
      }
    }
    this.nonFiniteRun = nonFinite ? this.nonFiniteRun + 1 : 0;
    const maxRun = this.opts.maxNonFiniteSteps ?? 3;
    if (nonFinite && maxRun > 0 && this.nonFiniteRun >= maxRun) {
      throw new NonFiniteTrainingError(this.nonFiniteRun, reason!, await this.locateNonFinite(rows, temperature));
    }
    const skipped = reason !== undefined;
    this.step++;
    if (skipped) this.skippedSteps++;
    const secs = (performance.now() - t0) / 1000;
    const metrics = stepMetrics({
      step: this.step,
      objective: skipped && !agg.skip ? { ...agg, skip: true } : agg,
      rewards: extra.rewards,
      completions: extra.completions,
      gradNorm: skipped ? null : gradNorm,
      learningRate: lr,
      tokensPerSecond: tokens > 0 && secs > 0 ? tokens / secs : null,
      skippedSteps: this.skippedSteps,
    });
    this.history.push(metrics);
    this.opts.onStep?.(metrics);
    return { metrics, skipped, microBatches, gradNorm, ...(reason !== undefined ? { reason } : {}) };
  }

  /** Everything a checkpoint holds, read back to the host. */
  async snapshot(): Promise<TrainerSnapshot> {
    const weights = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const p of this.params) weights.set(p.name, { shape: [...p.value.shape], data: await this.gpu.readF32(p.value) });
    const optim = await this.optimizer.exportState();
    return {
      mode: this.mode,
      weights: joinBlocks(weights),
      optim: { t: optim.t, m: joinBlockData(optim.m), v: joinBlockData(optim.v) },
      peftConfig: this.model.adapter?.peftConfig() ?? null,
      state: {
        step: this.step,
        skippedSteps: this.skippedSteps,
        rngState: this.rngState,
        totalSteps: this.totalSteps,
        config: this.config,
        history: this.history.map((m) => ({ ...m })),
      },
    };
  }

  /** Put a snapshot back: trained weights, optimiser moments, counters, RNG state and metrics. */
  restore(s: TrainerSnapshot): void {
    if (s.mode !== this.mode) throw new Error(`Trainer.restore: the checkpoint is a ${s.mode} checkpoint but this trainer trains ${this.mode === 'lora' ? 'a LoRA adapter' : 'all weights'}`);
    const data = splitBlocks(new Map([...s.weights].map(([k, w]) => [k, w.data])), this.params);
    for (const p of this.params) {
      const w = data.get(p.name);
      if (!w) throw new Error(`Trainer.restore: the checkpoint has no tensor '${p.name}'; it belongs to another model or adapter layout`);
      if (w.length !== p.value.size) throw new Error(`Trainer.restore: '${p.name}' has ${w.length} values in the checkpoint, ${p.value.size} here`);
    }
    for (const p of this.params) this.gpu.write(p.value, data.get(p.name)!);
    this.optimizer.importState({ t: s.optim.t, m: splitBlocks(s.optim.m, this.params), v: splitBlocks(s.optim.v, this.params) });
    this.step = s.state.step;
    this.skippedSteps = s.state.skippedSteps;
    this.rngState = s.state.rngState >>> 0;
    this.history.length = 0;
    this.history.push(...s.state.history.map((m) => ({ ...m })));
  }

  /** Save a checkpoint named `name` (default step-NNNNNN) into the store; returns the name. Use a new
   *  name per save: the checkpoint LATEST names stays loadable while another one is written. */
  async save(store: CheckpointStore, name = `step-${String(this.step).padStart(6, '0')}`): Promise<string> {
    await saveCheckpoint(store, name, await this.snapshot());
    return name;
  }

  /** Resume from a checkpoint (default: the latest complete one in the store). */
  async resume(store: CheckpointStore, name?: string): Promise<string> {
    const { name: got, snapshot } = await loadCheckpoint(store, name);
    this.restore(snapshot);
    return got;
  }

  release(): void {
    this.optimizer.release();
  }
}

/** Validated per-token loss weights of an SFT example. */
function lossWeights(w: readonly number[], n: number, what: string): Float32Array {
  if (!w || typeof w.length !== 'number' || w.length !== n) {
    throw new Error(`${what}: weights has ${w?.length} entries but the completion has ${n} tokens; give one loss weight per completion token (or leave weights out for all 1)`);
  }
  const out = new Float32Array(n);
  for (let t = 0; t < n; t++) {
    if (!(Number.isFinite(w[t]) && w[t] >= 0)) throw new Error(`${what}: weights[${t}] is ${w[t]}; loss weights must be finite numbers >= 0`);
    out[t] = w[t];
  }
  return out;
}

/** A full fine-tune weight as optimiser parameters: itself, or one per row block (AdamW is elementwise) named
 *  `${name}#${i}`. Checkpoints join the blocks back into the HF tensor (joinBlocks / splitBlocks), so they do
 *  not depend on the binding limit. */
function optimParts(name: string, value: Weight, grad: Weight): OptimParam[] {
  const vs = weightParts(value);
  const gs = weightParts(grad);
  if (vs.length !== gs.length) throw new Error(`Trainer: '${name}' has ${vs.length} row block(s) but its gradient ${gs.length}`);
  return vs.map((v, i) => ({ name: vs.length > 1 ? `${name}#${i}` : name, value: v, grad: gs[i] }));
}

/** `name#i`: block i of a row-blocked weight's parameters. */
const BLOCK_NAME = /^(.*)#(\d+)$/;

/** Values by name with each row-blocked weight's blocks (`name#0`, `name#1`, ... in row order) joined into `name`. */
function joinBlockData(m: Map<string, Float32Array>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const parts = new Map<string, Float32Array[]>();
  for (const [k, v] of m) {
    const b = BLOCK_NAME.exec(k);
    if (!b) out.set(k, v);
    else (parts.get(b[1]) ?? parts.set(b[1], []).get(b[1])!)[Number(b[2])] = v;
  }
  for (const [k, vs] of parts) {
    const whole = new Float32Array(vs.reduce((n, v) => n + v.length, 0));
    let o = 0;
    for (const v of vs) (whole.set(v, o), (o += v.length));
    out.set(k, whole);
  }
  return out;
}

/** joinBlockData for snapshot tensors: the joined shape stacks the blocks' rows. */
function joinBlocks(m: Map<string, { shape: number[]; data: Float32Array }>): Map<string, { shape: number[]; data: Float32Array }> {
  const data = joinBlockData(new Map([...m].map(([k, w]) => [k, w.data])));
  const shapes = new Map<string, number[]>();
  for (const [k, w] of m) {
    const b = BLOCK_NAME.exec(k);
    const name = b ? b[1] : k;
    const s = shapes.get(name);
    shapes.set(name, s && b ? [s[0] + w.shape[0], ...w.shape.slice(1)] : [...w.shape]);
  }
  return new Map([...data].map(([k, d]) => [k, { shape: shapes.get(k)!, data: d }]));
}

/** The inverse for these parameters: each `name#i` parameter gets its slice of `name` (sliced by the blocks'
 *  sizes, so a checkpoint saved under another binding limit restores too); other names pass through. */
function splitBlocks(m: Map<string, Float32Array>, params: readonly OptimParam[]): Map<string, Float32Array> {
  const out = new Map(m);
  const offsets = new Map<string, number>();
  for (const p of params) {
    const b = BLOCK_NAME.exec(p.name);
    const whole = b && m.get(b[1]);
    if (!b || !whole) continue;
    const o = offsets.get(b[1]) ?? 0;
    out.set(p.name, whole.subarray(o, o + p.value.size));
    offsets.set(b[1], o + p.value.size);
  }
  for (const [name, n] of offsets) {
    if (n !== m.get(name)!.length) throw new Error(`Trainer.restore: '${name}' has ${m.get(name)!.length} values in the checkpoint, ${n} here`);
  }
  return out;
}
