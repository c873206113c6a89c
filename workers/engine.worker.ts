// The engine's web worker: owns the GPUDevice and exposes the engine API to the page through
// comlink: init (adapter report), dataset checks, runExperiment with live events, pause/resume/cancel.
import * as Comlink from 'comlink';
import { Gpu, type AdapterReport } from '../src/gpu';
import type { ArmId } from '../src/int/arms';
import type { IntConfig } from '../src/int/config';
import { importDataset } from '../src/io/datasets/import';
import { RunControl, runBrowserExperiment } from '../src/ui/worker/browser-run';
import type { DatasetCheck, DatasetUpload, ModelChoice, RunEvents, RunRecord } from '../src/ui/worker/types';

let gpu: Gpu | null = null;
let control: RunControl | null = null;

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

  /** Run one experiment; events arrive through the Comlink.proxy'd callbacks. One run at a time. */
  async runExperiment(config: IntConfig, preset: string | null, arms: ArmId[], model: ModelChoice, dataset: DatasetUpload | null, events: RunEvents): Promise<RunRecord> {
    if (control) throw new Error('a run is already in progress; cancel it first');
    const c = new RunControl();
    control = c;
    try {
      return await runBrowserExperiment({ gpu: await device(), config, preset, arms, model, dataset, events, control: c });
    } finally {
      control = null;
    }
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
