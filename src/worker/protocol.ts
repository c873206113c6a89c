// The page <-> engine worker protocol (types only): EngineApi, what the worker exposes through
// comlink, and its messages: model choice, dataset upload, run events, the finished run record
// (what the UI shows, persists and exports), the stored unfinished runs, the in-browser pretraining.
import type { AdapterReport } from '../gpu';
import type { ArmId } from '../int/arms';
import type { IntConfig } from '../int/config';
import type { ExperimentResults } from '../int/report';
import type { Attempt, Proposal } from '../int/stages';
import type { FilterResult } from '../int/filter';
import type { RowError, ImportStats } from '../tasks/math/import';
import type { PretrainProbeInfo, PretrainRunConfig, PretrainStepInfo } from '../pretrain';
import type { StepMetrics } from '../train/metrics';
import type { StoredModelSummary } from './models-db';
import type { DownloadProgress } from '../io/hub';

/** What the engine worker exposes (engine.ts implements it, the worker entry engine.worker.ts
 *  exposes it, the page calls it through Comlink.wrap<EngineApi>). Event callbacks cross as
 *  Comlink.proxy(...). One job (an experiment run or a pretraining) at a time. */
export interface EngineApi {
  /** Acquire the device (once) and return the adapter report. Throws the fix-it message when WebGPU is missing. */
  init(): Promise<AdapterReport>;
  /** Parse an uploaded dataset and report its row errors (nothing is kept). */
  checkDataset(upload: DatasetUpload): Promise<DatasetCheck>;
  /** Start an experiment; events arrive through the Comlink.proxy'd callbacks. One run at a time.
   *  The run is stored in IndexedDB as it goes (see listPendingRuns / resumeExperiment). */
  runExperiment(config: IntConfig, preset: string | null, arms: ArmId[], model: ModelChoice, dataset: DatasetUpload | null, events: RunEvents): Promise<RunRecord>;
  /** Continue a stored unfinished run: completed stages are loaded, the rest computed. */
  resumeExperiment(runId: string, events: RunEvents): Promise<RunRecord>;
  /** Unfinished runs stored in this browser, newest first. */
  listPendingRuns(): Promise<PendingRunSummary[]>;
  /** Forget an unfinished run and its stored stages and adapters. */
  discardPendingRun(runId: string): Promise<void>;
  /** Pretrain the chains model from scratch on this device (settings left out take the CLI's
   *  defaults), with live step / probe events; the finished model folder (with loss.csv and
   *  probe.csv) is stored in IndexedDB under "pretrained-<time>" and becomes a model choice
   *  ({ kind: 'stored', name }). cancel() aborts it (nothing is stored); stopPretrain() ends it early
   *  and stores what it learnt so far. */
  pretrain(settings: PretrainSettings, events: PretrainEvents): Promise<StoredModelSummary>;
  /** End the pretraining in progress after its current step; it is saved and stored as usual. */
  stopPretrain(): void;
  /** When storing a finished pretraining failed (pretrain rejected naming "Save again"): store it
   *  again (after space was freed), or get it as a .tar to download; null when there is none. */
  saveUnsavedModel(): Promise<StoredModelSummary>;
  unsavedModelTar(): { name: string; tar: Uint8Array } | null;
  /** Pause at the next stage boundary. */
  pause(): void;
  resume(): void;
  /** Download a hub model's files (those the loader reads) into the download cache, with progress
   *  per file; files already cached are not fetched again. Resolves with the files held. */
  downloadModel(id: string, onProgress: (p: ModelDownloadProgress) => void): Promise<string[]>;
  /** The hub download cache: every file with its size, complete or partial. */
  modelCache(): Promise<ModelCacheListing>;
  /** Delete one model's cached files (null: every model); resolves with the entries removed. */
  clearModelCache(repo: string | null): Promise<number>;
  /** Stop the run at its next progress tick (runExperiment then rejects with "the run was cancelled"),
   *  the pretraining before its next step (pretrain rejects with "pretraining was cancelled"), or the
   *  continuation sampling before its next start (continueFrom rejects with "sampling was cancelled"). */
  cancel(): void;
  /** The problem a failed attempt belongs to (statement, reference solution, answer), from the task
   *  of the run's config; throws naming the problem when the task does not have it. */
  attemptProblem(config: IntConfig, dataset: DatasetUpload | null, problemId: string): Promise<AttemptProblem>;
  /** Intervene yourself: sample N continuations of a failed attempt from the prefix alone, the prefix
   *  + a replacement step, and the prefix + the model's own intervention (when given), with the
   *  pipeline's continuation sampling (config.continuation.sampling) and graded by the task's grader.
   *  Each start is reported as it finishes; cancel() stops before the next. A job like the others: it
   *  refuses to start while a run or a pretraining is in progress. Bad input throws naming the fix. */
  continueFrom(req: ContinueRequest, events: ContinueEvents): Promise<ContinueResult>;
}

/** Where the base model comes from. */
/** The embedded default model: its folder next to the page and its name. chains-critical-strict is
 *  chains-tiny with the one-digit multiplication habit held wherever it writes a solution as its own
 *  (public/models/chains-critical-strict/README.md), so the default browser run on the critical-step
 *  tier shows the failures InT is for; it is the model of the published run (PUBLISHED_RUN). */
export const EMBEDDED_MODEL = Object.freeze({ name: 'chains-critical-strict', path: 'models/chains-critical-strict/' });

/** The published run the page opens on: its folder next to the page (results.json, published.json,
 *  seeds.json, interventions.jsonl.gz, attempts.json) and its preset. Its model is EMBEDDED_MODEL, so
 *  "Intervene yourself" continues its attempts with the model that wrote them. */
export const PUBLISHED_RUN = Object.freeze({ preset: 'chains-critical-strict', path: 'results/chains-critical-strict/' });

export type ModelChoice =
  | { kind: 'embedded'; url: string }
  | { kind: 'hub'; id: string }
  | { kind: 'folder'; files: File[] }
  /** A model pretrained in this browser and kept in IndexedDB (src/worker/models-db.ts). */
  | { kind: 'stored'; name: string };

/** An uploaded math dataset (file bytes, parsed in the worker). */
export interface DatasetUpload {
  name: string;
  bytes: Uint8Array;
}

export interface DatasetCheck {
  problems: number;
  /** The imported problems' ids in file order: the setup splits them by data.testFraction and
   *  data.splitSeed (assignSplit) exactly as the run will. */
  ids: string[];
  errors: RowError[];
  warnings: RowError[];
  stats: ImportStats | null;
  /** File-level failure (unknown format, no usable column...). */
  fatal: string | null;
}

/** Progress of one file of a hub model download (HubSource's onProgress) and its model. */
export type ModelDownloadProgress = DownloadProgress & { repo: string };

/** A file in the hub download cache. */
export interface CachedModelFile {
  repo: string;
  revision: string;
  file: string;
  bytes: number;
  /** False for a download cut short (it resumes from these bytes where the store allows). */
  complete: boolean;
}

export interface ModelCacheListing {
  /** The store: 'opfs' (partial files survive a reload), 'cache-api' or 'memory'. */
  kind: string;
  files: CachedModelFile[];
}

/** Callbacks the page passes through Comlink.proxy. */
export interface RunEvents {
  /** A hub model file is downloading (or was read from the cache) while the model loads. */
  download?(p: ModelDownloadProgress): void;
  note(text: string): void;
  stage(name: string, done: number, total: number): void;
  stageDone(name: string, seconds: number): void;
  /** A stage was already complete in the stored run and was loaded, not recomputed. */
  stageLoaded(name: string): void;
  metric(arm: string, stage: 'sft' | 'rl', m: StepMetrics): void;
  /** An arm finished its held-out evaluation: pass@1 estimate and 95% interval. */
  armDone(arm: string, pass1: { estimate: number; lo: number; hi: number } | null): void;
  /** The run has stopped at a stage boundary after a pause request (after stage `after`; '' before
   *  the first); it waits for resume or cancel. */
  paused(after: string): void;
}

/** A finished run, as stored in IndexedDB and exported as run JSON. */
export interface RunRecord {
  format: 'int-lab-run';
  version: 1;
  id: string;
  created: string;
  preset: string | null;
  config: IntConfig;
  results: ExperimentResults;
  attempts: Attempt[];
  proposals: Proposal[];
  filtered: FilterResult;
  /** Steps per attempt (the task's splitter), keyed by attempt id. */
  steps: Record<string, string[]>;
  seconds: Record<string, number>;
  files: { md: string; csv: string; jsonl: string };
}

/** An unfinished run kept in IndexedDB (database "int-lab-pending") so that it can resume after a
 *  reload: what it was started with and its completed stages (their outputs sit beside it). */
export interface PendingRun {
  format: 'int-lab-pending-run';
  version: 1;
  id: string;
  created: string;
  preset: string | null;
  config: IntConfig;
  arms: ArmId[];
  /** A 'folder' choice keeps its File objects (IndexedDB stores them) unless they could not be stored. */
  model: ModelChoice;
  dataset: DatasetUpload | null;
  /** Completed stages in completion order, and the seconds each took when it was computed. */
  completed: string[];
  seconds: Record<string, number>;
  /** Why this run cannot resume (null when it can). */
  cannotResume: string | null;
}

/** What the page lists of a pending run (no file bytes). */
export interface PendingRunSummary {
  id: string;
  created: string;
  preset: string | null;
  arms: ArmId[];
  /** "embedded", "hub <id>" or "local folder (n files)". */
  model: string;
  dataset: string | null;
  completed: string[];
  cannotResume: string | null;
}

/** Settings of an in-browser pretraining; left-out fields take PRETRAIN_RUN_DEFAULTS. */
export type PretrainSettings = Partial<PretrainRunConfig>;

/** Callbacks of an in-browser pretraining, passed through Comlink.proxy. */
export interface PretrainEvents {
  log(line: string): void;
  step(s: PretrainStepInfo): void;
  probe(p: PretrainProbeInfo): void;
}

// ---------------------------------------------------------------- intervene yourself

/** Continuations per start: the allowed range and the default. */
export const CONTINUE_SAMPLES = Object.freeze({ min: 1, max: 64, default: 16 });

/** A failed attempt one can intervene on (from a run record or the published run's attempts.json). */
export interface InterveneAttempt {
  /** "<problemId>#<k>". */
  attemptId: string;
  problemId: string;
  tier: string;
  /** The attempt split into steps by the task (the lines a student picks from). */
  steps: string[];
  /** The grader's reason the attempt failed ("mismatch: 2 vs 1"). */
  reason: string;
  /** The model's own intervention: the one kept by the filter, else its first parsed proposal, with
   *  the filter's verdict on it ('kept', 'leaks_answer', ...); null when no proposal parsed. */
  intervention: { location: number; content: string; status: string; detail: string } | null;
  /** The true first wrong step, where the task knows it (chains); else null. */
  truth: number | null;
  /** The pipeline's own continuation check of the kept intervention, when the run made one. */
  checked: { samples: number; correct: number } | null;
  /** How many of the problem's rollouts wrote this same attempt (distinctAttempts); absent: one. */
  copies?: number;
}

/** What the page shows of a problem. */
export interface AttemptProblem {
  id: string;
  tier: string;
  statement: string;
  /** The reference solution (the task's full solution where it writes one). */
  reference: string;
  answer: string;
  /** The solve prompt the model continues after. */
  prompt: string;
}

/** Which start a block of continuations comes from. */
export type ContinueStartKind = 'prefix' | 'yours' | 'model';

export interface ContinueRequest {
  /** The run's config: its task (data) and the continuation sampling (continuation.sampling). */
  config: IntConfig;
  /** The uploaded dataset of a math run (null for the chains world). */
  dataset: DatasetUpload | null;
  model: ModelChoice;
  problemId: string;
  /** The attempt's steps. */
  steps: string[];
  /** The 1-based step the replacement takes the place of. */
  location: number;
  /** The replacement line (one line, not empty). */
  step: string;
  /** The model's own intervention to compare with (null: no third start). */
  intervention: { location: number; content: string } | null;
  /** Continuations per start, CONTINUE_SAMPLES.min..max. */
  n: number;
  /** Seed of the sampling: same seed, same continuations; every start uses it. */
  seed: number;
}

/** One continuation and its grade. */
export interface Continuation {
  /** The sampled text after the start. */
  text: string;
  correct: boolean;
  /** The grader's reason ("match", "mismatch: 3 vs 4", "no answer found"). */
  reason: string;
}

export interface ContinueStart {
  kind: ContinueStartKind;
  /** The steps the model continues after (prefix, then the step of this start if any). */
  steps: string[];
  /** Location of the step this start replaces (the prefix is steps 1..location-1). */
  location: number;
  /** The step placed after the prefix (null for the prefix alone). */
  step: string | null;
  samples: number;
  solved: number;
  continuations: Continuation[];
}

export interface ContinueResult {
  problem: AttemptProblem;
  /** The model that sampled (its label). */
  model: string;
  /** The sampling used (the pipeline's continuation settings). */
  sampling: { temperature: number; topP: number; topK: number; maxNewTokens: number };
  seed: number;
  starts: ContinueStart[];
  /** When the replacement step gives the answer away, why (the pipeline's leak filter would reject it); else null. */
  leak: string | null;
  seconds: number;
}

/** Callbacks of continueFrom, passed through Comlink.proxy. */
export interface ContinueEvents {
  /** Starts finished and the total. */
  progress(done: number, total: number): void;
  /** One start's continuations, as soon as they are graded. */
  start(s: ContinueStart): void;
}
