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
   *  or the pretraining before its next step (pretrain rejects with "pretraining was cancelled"). */
  cancel(): void;
}

/** Where the base model comes from. */
/** The embedded default model: its folder next to the page and its name. chains-critical is chains-tiny
 *  with the one-digit multiplication habit (public/models/chains-critical/README.md), so the default
 *  browser run on the critical-step tier shows the failures InT is for. */
export const EMBEDDED_MODEL = Object.freeze({ name: 'chains-critical', path: 'models/chains-critical/' });

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
  train: number;
  test: number;
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
