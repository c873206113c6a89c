// The engine's web worker: owns the GPUDevice and exposes the engine API to the page through
// comlink: init (adapter report), dataset checks, runExperiment with live events, pause/resume/cancel,
// and the unfinished runs kept in IndexedDB (list, resume, discard).
import * as Comlink from 'comlink';
import { Gpu, type AdapterReport } from '../src/gpu';
import type { ArmId } from '../src/int/arms';
import type { IntConfig } from '../src/int/config';
import { importDataset } from '../src/io/datasets/import';
import { saveRun } from '../src/ui/runs-db';
import { MemoryStageStore, RunControl, runBrowserExperiment } from '../src/ui/worker/browser-run';
import { deletePendingRun, IdbStageStore, listPendingRuns, newRunId } from '../src/ui/worker/idb-store';
import type { DatasetCheck, DatasetUpload, ModelChoice, PendingRun, PendingRunSummary, RunEvents, RunRecord } from '../src/ui/worker/types';

let gpu: Gpu | null = null;
let control: RunControl | null = null;
let activeRunId: string | null = null;

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

type RunInputs = Pick<PendingRun, 'config' | 'preset' | 'arms' | 'model' | 'dataset'>;

/** Take the run slot at once (so that cancel works while the store opens), then drive the run
 *  opened by `open`: the finished run is saved as a RunRecord and its stored stages removed. */
async function drive(open: () => Promise<{ store: IdbStageStore | MemoryStageStore; inputs: RunInputs }>, events: RunEvents): Promise<RunRecord> {
  if (control) throw new Error('a run is already in progress; cancel it first');
  const c = new RunControl();
  control = c;
  try {
    const { store, inputs } = await open();
    activeRunId = store.id;
    c.check();
    const record = await runBrowserExperiment({ gpu: await device(), store, ...inputs, events, control: c });
    if (store instanceof IdbStageStore) {
      try {
        await saveRun(record);
        await store.discard();
      } catch (e) {
        events.note(`the finished run could not be saved (${(e as Error).message}); its stages stay stored and it can be resumed to try again`);
      }
    }
    return record;
  } finally {
    control = null;
    activeRunId = null;
  }
}

const api = {
  /** Acquire the device (once) and return the adapter report. Throws the fix-it message when WebGPU is missing. */
  async init(): Promise<AdapterReport> {
    return (await device()).report;
  },

  /** Parse an uploaded dataset and report its row errors (nothing is kept). */
  async checkDataset(upload: DatasetUpload): Promise<DatasetCheck> {
    try {
      const r = await importDataset({ bytes: upload.bytes, name: upload.name });
      return { problems: r.problems.length, train: r.stats.train, test: r.stats.test, errors: r.errors, warnings: r.warnings, stats: r.stats, fatal: r.problems.length === 0 ? `${upload.name} gave no problems; see the row errors below and check its columns (question / answer)` : null };
    } catch (e) {
      return { problems: 0, train: 0, test: 0, errors: [], warnings: [], stats: null, fatal: (e as Error).message };
    }
  },

  /** Start an experiment; events arrive through the Comlink.proxy'd callbacks. One run at a time.
   *  The run is stored in IndexedDB as it goes (see listPendingRuns / resumeExperiment). */
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

  /** Continue a stored unfinished run: completed stages are loaded, the rest computed. */
  async resumeExperiment(runId: string, events: RunEvents): Promise<RunRecord> {
    return drive(async () => {
      const store = await IdbStageStore.open(runId);
      if (store.cannotResume) throw new Error(store.cannotResume);
      return { store, inputs: await store.record() };
    }, events);
  },

  /** Unfinished runs stored in this browser, newest first. */
  async listPendingRuns(): Promise<PendingRunSummary[]> {
    return listPendingRuns();
  },

  /** Forget an unfinished run and its stored stages and adapters. */
  async discardPendingRun(runId: string): Promise<void> {
    if (control && activeRunId === runId) throw new Error('that run is in progress; cancel it first');
    await deletePendingRun(runId);
  },

  /** Pause at the next stage boundary. */
  pause(): void {
    control?.pause();
  },
  resume(): void {
    control?.resume();
  },
  /** Stop the run at its next progress tick; runExperiment then rejects with "the run was cancelled". */
  cancel(): void {
    control?.cancel();
  },
};

export type EngineApi = typeof api;
Comlink.expose(api);
