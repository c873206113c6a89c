// What a pretraining run takes besides its settings (log, device, live callbacks, stop switches)
// and what it reports: per step, per probe, and at the end.
import type { Gpu } from '../gpu';
import type { ModelSource } from '../io/folder';
import type { ModelConfig } from '../model/config';
import type { DecisionFigures } from '../tasks/chains/pretrain-probe';
import type { PretrainRunConfig } from './config';

/** What one optimiser step reports (onStep). */
export interface PretrainStepInfo {
  step: number;
  /** Planned steps (the run may end earlier on its time budget). */
  steps: number;
  loss: number;
  lr: number;
  gradNorm: number | null;
  /** Documents drawn so far and tokens trained on so far. */
  examples: number;
  tokens: number;
  /** Seconds since training began. */
  elapsed: number;
  tokensPerSecond: number;
  /** Run progress in [0, 1]: the larger of step and time-budget progress. */
  progress: number;
  /** Why the optimiser skipped this step (non-finite gradients), else null. */
  skipped: string | null;
}

/** What one probe reports (onProbe): P(right completion) and nats per token by group. */
export interface PretrainProbeInfo {
  step: number;
  elapsed: number;
  tokens: number;
  groups: Record<string, { p: number; nll: number }>;
  /** The verifier's decisions on the decision probe's documents. */
  decisions: DecisionFigures;
  /** The log line of this probe. */
  line: string;
}

/** Everything a pretraining run takes besides its settings: log, device, live callbacks, stop switches. */
export interface PretrainRunOptions extends PretrainRunConfig {
  /** Log line sink. Default console.log. */
  log: (line: string) => void;
  /** Use this Gpu instead of creating one. */
  gpu?: Gpu;
  /** Continue from this model folder's weights instead of fresh ones (a warm start: the run's
   *  shape fields must match its config.json; the lr schedule, data and probes are the run's own).
   *  Default none (weights initialised from `seed`). */
  init?: ModelSource | null;
  /** Called after every optimiser step. */
  onStep?: (s: PretrainStepInfo) => void;
  /** Called after every probe. */
  onProbe?: (p: PretrainProbeInfo) => void;
  /** Checked before every step and before the final save: true aborts the run (it rejects with
   *  PretrainCancelled; nothing more is written). */
  cancelled?: () => boolean;
  /** Checked after every step: true ends training early like the time budget (probe, final save). */
  stopEarly?: () => boolean;
}

export interface PretrainRunResult {
  config: ModelConfig;
  params: number;
  steps: number;
  examples: number;
  tokens: number;
  seconds: number;
  /** Mean loss of the first and last 5% of steps (at least one step each). */
  firstLoss: number;
  lastLoss: number;
  /** The step whose weights the model folder holds (keepBestAfter), and its decision figures from
   *  the source keepBestBy names (null when that source never ran). */
  keptStep: number;
  keptDecisions: DecisionFigures | null;
  /** Rounds of own attempts sampled and own-attempt documents trained on (selfVerifyFrom). */
  ownRounds: number;
  ownDocuments: number;
  /** The verdict weights in force at the end (selfVerifyCalibrate moves them; else the configured ones). */
  verdictWeights: { ok: number; bad: number };
}

export class PretrainCancelled extends Error {
  constructor(step: number) {
    super(`pretraining was cancelled at step ${step}`);
  }
}

