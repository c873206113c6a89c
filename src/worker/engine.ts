// What the engine worker does: owns the GPUDevice and implements EngineApi (src/worker/protocol.ts):
// adapter report, dataset checks, experiment runs with live events and pause/resume/cancel, the
// unfinished runs kept in IndexedDB, pretraining a model from scratch, and sampling continuations
// of a failed attempt ("intervene yourself", intervene.ts); one job at a time.
// src/worker may import gpu, model, train, int, pretrain, io, tasks and util; never ui (the page
// imports src/worker, not the reverse). The worker entry (engine.worker.ts) only exposes this.
import { Gpu, type AdapterReport } from '../gpu';
import type { ArmId } from '../int/arms';
import type { IntConfig } from '../int/config';
import { DecoderEngine } from '../int/engine';
import type { BaseModel } from '../int/model';
import type { Task } from '../tasks/task';
import { importDataset } from '../tasks/math/import';
import { MemoryPretrainSink, runPretrain } from '../pretrain';
import { modelFolderTar, pretrainedModelName, saveStoredModel, summarizeModel, type StoredModel, type StoredModelSummary } from './models-db';
import { saveRun, saveRunExports } from './runs-db';
import { memorySink } from '../int/exports';
import { clearModelCache, downloadHubModel, listModelCache } from './model-cache';
import { browserTask, loadModel, MemoryStageStore, RunControl, runBrowserExperiment } from './browser-run';
import { continueFromAttempt, describeProblem, findProblem } from './intervene';
import { checkContinueRequest } from './intervene-plan';
import { deletePendingRun, IdbStageStore, listPendingRuns, newRunId } from './idb-store';
import type {
  AttemptProblem,
  ContinueEvents,
  ContinueRequest,
  ContinueResult,
  DatasetCheck,
  DatasetUpload,
  EngineApi,
  ModelChoice,
  PendingRun,
  PendingRunSummary,
  PretrainEvents,
  PretrainSettings,
  RunEvents,
  RunRecord,
} from './protocol';

let gpu: Gpu | null = null;
/** The job in progress (an experiment run or a pretraining) and its switches; null when idle. */
type Job = 'run' | 'pretrain' | 'intervene';
const JOB_NAMES: Record<Job, string> = { run: 'an experiment run', pretrain: 'a pretraining', intervene: 'continuation sampling' };
let job: Job | null = null;
let control: RunControl | null = null;
let activeRunId: string | null = null;
/** Set by stopPretrain: the pretraining ends at its next step and is saved. */
let stopRequested = false;
/** A pretrained model the store refused (a full disk): kept until it is saved again or the tab closes. */
let unsaved: StoredModel | null = null;

function claimJob(kind: Job): RunControl {
  if (job) throw new Error(`${JOB_NAMES[job]} is already in progress; wait for it or cancel it first`);
  // a run or a pretraining needs the GPU memory the continuation model holds
  if (kind !== 'intervene') releaseLoaded();
  job = kind;
  control = new RunControl();
  return control;
}

async function device(): Promise<Gpu> {
  if (!gpu) {
    gpu = await Gpu.create();
    void gpu.lost.then((info) => {
      console.error(`GPU device lost: ${info.reason} ${info.message}`);
      gpu = null;
    });
  }
  return gpu;
}

/** The model and task of the last continueFrom, kept for the next (a student samples many times). */
let loaded: { key: string; base: BaseModel } | null = null;
let taskCache: { key: string; task: Task } | null = null;

function releaseLoaded(): void {
  if (!loaded) return;
  loaded.base.decoder.adapter = null;
  loaded.base.decoder.weights.release();
  loaded.base.decoder.release();
  loaded = null;
}

function modelKey(m: ModelChoice): string {
  if (m.kind === 'embedded') return `embedded ${m.url}`;
  if (m.kind === 'hub') return `hub ${m.id}`;
  if (m.kind === 'stored') return `stored ${m.name}`;
  return `folder ${m.files.map((f) => `${f.name}:${f.size}:${f.lastModified}`).join(',')}`;
}

async function modelFor(choice: ModelChoice, seed: number, dtype: IntConfig['modelDtype']): Promise<BaseModel> {
  const key = `${modelKey(choice)} ${dtype}`;
  if (loaded?.key !== key) {
    releaseLoaded();
    loaded = { key, base: await loadModel(await device(), choice, seed, undefined, dtype) };
  }
  return loaded.base;
}

async function taskFor(config: IntConfig, dataset: DatasetUpload | null): Promise<Task> {
  const key = JSON.stringify([config.data, dataset ? [dataset.name, dataset.bytes.byteLength] : null]);
  if (taskCache?.key !== key) taskCache = { key, task: await browserTask(config, dataset) };
  return taskCache.task;
}

class SamplingCancelled extends Error {
  constructor() {
    super('sampling was cancelled');
  }
}

type RunInputs = Pick<PendingRun, 'config' | 'preset' | 'arms' | 'model' | 'dataset'>;

/** Take the run slot at once (so that cancel works while the store opens), then drive the run
 *  opened by `open`: the finished run is saved as a RunRecord and its stored stages removed. */
async function drive(open: () => Promise<{ store: IdbStageStore | MemoryStageStore; inputs: RunInputs }>, events: RunEvents): Promise<RunRecord> {
  const c = claimJob('run');
  let opened: IdbStageStore | MemoryStageStore | null = null;
  try {
    const { store, inputs } = await open();
    opened = store;
    activeRunId = store.id;
    c.check();
    const exports = memorySink();
    const record = await runBrowserExperiment({ gpu: await device(), store, ...inputs, events, control: c, exports });
    try {
      await saveRunExports(record.id, Object.fromEntries(exports.files));
    } catch (e) {
      events.note(`${(e as Error).message}; the adapter, SFT and RL files cannot be downloaded for this run`);
    }
    if (store instanceof IdbStageStore) {
      try {
        await saveRun(record);
        await store.discard();
      } catch (e) {
        events.note(`the finished run could not be saved (${(e as Error).message}); its stages stay stored and it can be resumed to try again`);
      }
    }
    return record;
  } catch (e) {
    // A run that ends (error or cancel) before completing any stage has computed nothing: keeping
    // it would only list a run that cannot get further (e.g. a model folder missing a shard).
    if (opened instanceof IdbStageStore && opened.completed.length === 0) {
      await opened.discard().catch(() => {});
    }
    throw e;
  } finally {
    job = null;
    control = null;
    activeRunId = null;
  }
}

/** The engine worker's API, exposed through comlink by the worker entry (engine.worker.ts). */
export const engineApi: EngineApi = {
  async init(): Promise<AdapterReport> {
    return (await device()).report;
  },

  async checkDataset(upload: DatasetUpload): Promise<DatasetCheck> {
    try {
      const r = await importDataset({ bytes: upload.bytes, name: upload.name });
      return { problems: r.problems.length, ids: r.problems.map((p) => p.id), errors: r.errors, warnings: r.warnings, stats: r.stats, fatal: r.problems.length === 0 ? `${upload.name} gave no problems; see the row errors below and check its columns (question / answer)` : null };
    } catch (e) {
      return { problems: 0, ids: [], errors: [], warnings: [], stats: null, fatal: (e as Error).message };
    }
  },

  async runExperiment(config: IntConfig, preset: string | null, arms: ArmId[], model: ModelChoice, dataset: DatasetUpload | null, events: RunEvents): Promise<RunRecord> {
    const inputs: RunInputs = { config, preset, arms, model, dataset };
    return drive(async () => {
      try {
        const store = await IdbStageStore.create(inputs);
        if (store.cannotResume) events.note(store.cannotResume);
        return { store, inputs };
      } catch (e) {
        events.note(`${(e as Error).message}; this run is kept in memory only and cannot resume after a reload`);
        return { store: new MemoryStageStore(newRunId()), inputs };
      }
    }, events);
  },

  async resumeExperiment(runId: string, events: RunEvents): Promise<RunRecord> {
    return drive(async () => {
      const store = await IdbStageStore.open(runId);
      if (store.cannotResume) throw new Error(store.cannotResume);
      return { store, inputs: await store.record() };
    }, events);
  },

  async listPendingRuns(): Promise<PendingRunSummary[]> {
    return listPendingRuns();
  },

  async discardPendingRun(runId: string): Promise<void> {
    if (control && activeRunId === runId) throw new Error('that run is in progress; cancel it first');
    await deletePendingRun(runId);
  },

  async pretrain(settings: PretrainSettings, events: PretrainEvents): Promise<StoredModelSummary> {
    const c = claimJob('pretrain');
    stopRequested = false;
    try {
      const sink = new MemoryPretrainSink('the browser model folder');
      const r = await runPretrain(
        {
          ...settings,
          gpu: await device(),
          log: (line) => events.log(line),
          onStep: (s) => events.step(s),
          onProbe: (p) => events.probe(p),
          cancelled: () => c.cancelled,
          stopEarly: () => stopRequested,
        },
        sink,
      );
      const created = new Date().toISOString();
      const model: StoredModel = {
        name: pretrainedModelName(created),
        files: sink.files(),
        created,
        steps: r.steps,
        tokens: r.tokens,
        minutes: r.seconds / 60,
        params: r.params,
        lastLoss: r.lastLoss,
      };
      try {
        await saveStoredModel(model);
      } catch (e) {
        unsaved = model;
        throw new Error(`${(e as Error).message} The trained model ${model.name} is kept in this tab: free space, then "Save again", or "Download it" as a .tar.`, { cause: e });
      }
      unsaved = null;
      return summarizeModel(model);
    } finally {
      job = null;
      control = null;
      stopRequested = false;
    }
  },

  async saveUnsavedModel(): Promise<StoredModelSummary> {
    if (!unsaved) throw new Error('there is no unsaved pretrained model in this tab (it was saved, or the tab was reloaded)');
    await saveStoredModel(unsaved);
    const m = summarizeModel(unsaved);
    unsaved = null;
    return m;
  },

  unsavedModelTar(): { name: string; tar: Uint8Array } | null {
    return unsaved ? { name: unsaved.name, tar: modelFolderTar(unsaved) } : null;
  },

  stopPretrain(): void {
    if (job === 'pretrain') stopRequested = true;
  },

  downloadModel(id, onProgress) {
    return downloadHubModel(id, onProgress);
  },
  modelCache() {
    return listModelCache();
  },
  clearModelCache(repo) {
    return clearModelCache(repo);
  },

  pause(): void {
    control?.pause();
  },
  resume(): void {
    control?.resume();
  },
  cancel(): void {
    control?.cancel();
  },

  async attemptProblem(config: IntConfig, dataset: DatasetUpload | null, problemId: string): Promise<AttemptProblem> {
    const task = await taskFor(config, dataset);
    return describeProblem(task, findProblem(task, problemId));
  },

  async continueFrom(req: ContinueRequest, events: ContinueEvents): Promise<ContinueResult> {
    checkContinueRequest(req);
    const c = claimJob('intervene');
    const check = () => {
      if (c.cancelled) throw new SamplingCancelled();
    };
    try {
      const task = await taskFor(req.config, req.dataset);
      const base = await modelFor(req.model, req.seed, req.config.modelDtype ?? 'auto');
      check();
      const engine = new DecoderEngine(await device(), base.decoder, base.codec);
      return await continueFromAttempt({ engine, label: base.label, task, req, events, check });
    } finally {
      job = null;
      control = null;
    }
  },
};

