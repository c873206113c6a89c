// The InT experiment inside the browser worker: the same stage pipeline as the headless run
// (src/int/pipeline.ts) over a StageStore (IndexedDB, see idb-store.ts, so a reload can resume),
// with pause / resume / cancel (RunControl), model loading and the uploaded dataset's task. As in
// the headless run, problems whose prompts leave the completion no room in the model's context are
// dropped before the first stage (src/int/prompt-fit.ts) and listed in the run's events.
import type { Gpu } from '../gpu';
import { getArm, type ArmId } from '../int/arms';
import { mathSplitOf, type IntConfig } from '../int/config';
import { loadBaseModel, randomBaseModel, type BaseModel } from '../int/model';
import { droppedProblems, fitProblems, promptRoom } from '../int/prompt-fit';
import { problemsOf, runPipeline, type AdapterFiles, type PipelineHooks, type StageStore } from '../int/pipeline';
import { buildReport } from '../int/report';
import { problemTexts } from '../int/stages';
import { importDataset } from '../tasks/math/import';
import { BrowserFolderSource, MemoryFolderSource, ModelFileNotFoundError } from '../io/folder';
import { HubSource } from '../io/hub';
import { createChainsTask } from '../tasks/chains/task';
import { createMathTask } from '../tasks/math/task';
import type { Task } from '../tasks/task';
import { getStoredModel } from './models-db';
import { EMBEDDED_MODEL, type DatasetUpload, type ModelChoice, type RunEvents, type RunRecord } from './protocol';
import { UrlFolderSource } from './url-source';
import { writeRunExports } from './run-exports';
import { throttleProgress } from './model-cache';
import type { ExportSink } from '../int/exports';
import type { DownloadProgress } from '../io/hub';

/** Pause / cancel switches checked by the running experiment. */
export class RunControl {
  paused = false;
  cancelled = false;
  private wake: (() => void) | null = null;
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    this.wake?.();
    this.wake = null;
  }
  cancel(): void {
    this.cancelled = true;
    this.resume();
  }
  /** Throws when cancelled (called from progress callbacks inside a stage). */
  check(): void {
    if (this.cancelled) throw new RunCancelled();
  }
  /** Waits while paused (between stages), then throws when cancelled; `onPause` is told once when
   *  the run has actually stopped at the boundary. */
  async gate(onPause?: () => void): Promise<void> {
    if (this.paused && !this.cancelled) onPause?.();
    while (this.paused && !this.cancelled) await new Promise<void>((r) => (this.wake = r));
    this.check();
  }
}

export class RunCancelled extends Error {
  constructor() {
    super('the run was cancelled');
  }
}

/** Load the chosen model; the embedded one falls back to the seeded random stand-in when absent. */
export async function loadModel(gpu: Gpu, choice: ModelChoice, seed: number, onDownload?: (p: DownloadProgress) => void, dtype: IntConfig['modelDtype'] = 'auto'): Promise<BaseModel> {
  if (choice.kind === 'hub') return loadBaseModel(gpu, new HubSource(choice.id, { onProgress: onDownload }), choice.id, dtype).catch((e) => rethrowAs(`Cannot load the hub model ${choice.id}`, e));
  if (choice.kind === 'folder') {
    if (choice.files.length === 0) throw new Error('No local model folder was picked: choose the folder (config.json, *.safetensors, tokenizer.json) under "a local model folder" in the setup view.');
    return loadBaseModel(gpu, BrowserFolderSource.fromFiles(choice.files), 'local folder', dtype).catch((e) => rethrowAs('Cannot load the local model folder', e));
  }
  if (choice.kind === 'stored') {
    const m = await getStoredModel(choice.name);
    if (!m) throw new Error(`no model "${choice.name}" is stored in this browser (it was deleted, or the site data was cleared); pick another model in the setup view or pretrain one again`);
    return loadBaseModel(gpu, new MemoryFolderSource(m.files, `stored model "${choice.name}"`), choice.name, dtype);
  }
  try {
    return await loadBaseModel(gpu, new UrlFolderSource(choice.url), `models/${EMBEDDED_MODEL.name}`, dtype);
  } catch (e) {
    if (e instanceof ModelFileNotFoundError) return randomBaseModel(gpu, seed);
    throw e;
  }
}

/** Rethrow a model loading error with what was being loaded in front (the name is kept). */
function rethrowAs(what: string, e: unknown): never {
  const inner = e instanceof Error ? e : new Error(String(e));
  const out = new Error(`${what}: ${inner.message}`, { cause: inner });
  out.name = inner.name;
  throw out;
}

/** The task of a config: the chains world, or the uploaded dataset. */
export async function browserTask(config: IntConfig, dataset: DatasetUpload | null): Promise<Task> {
  const d = config.data;
  if (d.task === 'chains') return createChainsTask({ ...d.chains, style: d.style });
  if (!dataset) throw new Error('data.task is "math" but no dataset file was uploaded; upload a JSONL / CSV / Parquet file in the setup view');
  const { problems, errors } = await importDataset({ bytes: dataset.bytes, name: dataset.name }, { strict: d.strict === true });
  if (problems.length === 0) throw new Error(`${dataset.name} gave no problems (${errors.length} row errors); check its columns`);
  return createMathTask(problems, { name: dataset.name, ...mathSplitOf(d) });
}

/** An in-memory StageStore: the fallback when IndexedDB is unavailable (the run cannot resume). */
export class MemoryStageStore implements StageStore {
  readonly stages = new Map<string, unknown>();
  readonly adapters = new Map<string, AdapterFiles>();
  readonly seconds: Record<string, number> = {};
  constructor(readonly id: string) {}
  has(name: string): boolean {
    return this.stages.has(name);
  }
  load<T>(name: string): T {
    return this.stages.get(name) as T;
  }
  complete(name: string, value: unknown, seconds: number): void {
    this.stages.set(name, value);
    this.seconds[name] = Math.round(seconds * 1000) / 1000;
  }
  saveAdapter(key: string, files: AdapterFiles): void {
    this.adapters.set(key, files);
  }
  loadAdapter(key: string): AdapterFiles {
    const f = this.adapters.get(key);
    if (!f) throw new Error(`no LoRA adapter "${key}" was saved in this run`);
    return f;
  }
}

export interface BrowserRunOptions {
  gpu: Gpu;
  /** Where stages go (IndexedDB, so a reload can resume); its id becomes the run record's id. */
  store: StageStore & { readonly id: string; readonly seconds: Readonly<Record<string, number>> };
  config: IntConfig;
  preset: string | null;
  arms: ArmId[];
  model: ModelChoice;
  dataset: DatasetUpload | null;
  events: RunEvents;
  control: RunControl;
  /** Where the run's export files go (writeRunExports), once the run is complete. */
  exports?: ExportSink;
}

/** Run (or continue) every stage and arm through the store; returns the run record. */
export async function runBrowserExperiment(o: BrowserRunOptions): Promise<RunRecord> {
  const { gpu, config, events } = o;
  const dataset = await browserTask(config, o.dataset);
  problemsOf(dataset, config); // a split with no problems fails before the model loads
  events.stage('load model', 0, 1);
  const t0 = performance.now();
  const model = o.model;
  const base = await loadModel(gpu, model, config.seed, model.kind === 'hub' && events.download ? throttleProgress((p) => void Promise.resolve(events.download?.({ repo: model.id, ...p })).catch(() => undefined)) : undefined, config.modelDtype);
  events.stageDone('load model', (performance.now() - t0) / 1000);
  try {
    return await runLoaded(o, dataset, base);
  } finally {
    base.decoder.adapter = null;
    base.decoder.weights.release();
    base.decoder.release();
  }
}

/** The run once the model is loaded (the caller releases it). */
async function runLoaded(o: BrowserRunOptions, dataset: Task, base: BaseModel): Promise<RunRecord> {
  const { gpu, config, events, control } = o;
  // problems whose prompts leave no room for a completion are dropped (and listed) up front
  const room = promptRoom(config, base.decoder.config.maxPositions);
  const { task, dropped } = fitProblems(dataset, base.codec, room, config.data.strict === true, (line) => events.note(line));
  const { train, test } = problemsOf(task, config);
  events.note(`model: ${base.label} (${base.decoder.weights.dtype} weights); task: ${task.name}; ${train.length} train / ${test.length} test problems`);
  let current = '';
  const hooks: PipelineHooks = {
    gate: () => control.gate(() => events.paused(current)),
    stageStart: (name) => events.stage(name, 0, 1),
    progress: (name, d, t) => {
      control.check();
      events.stage(name, d, t);
    },
    stageDone: (name, seconds) => {
      current = name;
      events.stageDone(name, seconds);
    },
    stageLoaded: (name) => {
      events.stageLoaded(name);
      events.note(`[${name}] already complete, loaded from the stored run`);
    },
    metric: (arm, stage, m) => events.metric(arm, stage, m),
    armDone: (a) => events.armDone(a.id, a.eval.summary.overall.passAt['1'] ?? null),
    note: (line) => events.note(line),
  };
  const run = await runPipeline({ gpu, config, preset: o.preset, arms: o.arms.map(getArm), task, base, store: o.store, hooks, droppedProblems: droppedProblems(dropped) });
  if (!run.results || !run.data) throw new Error('the run stopped before its report');
  const { results, data } = run;
  if (o.exports) {
    // the run is complete: a failure here costs the downloads, not the run
    await writeRunExports(o.exports, { store: o.store, config, results, sets: data.sets, train, task }).catch((e: Error) =>
      events.note(`the export files (adapters, SFT and RL data) could not be written: ${e.message}; the run's report is kept`),
    );
  }
  const files = buildReport.files(results, data.proposals, data.checked, { problems: problemTexts(task, [...train, ...test]), diagnostics: data.diagnostics });
  const steps: Record<string, string[]> = {};
  for (const a of data.attempts) steps[a.id] = task.splitSteps(a.text);
  const created = new Date().toISOString();
  return {
    format: 'int-lab-run',
    version: 1,
    id: o.store.id,
    created,
    preset: o.preset,
    config,
    results,
    attempts: data.attempts,
    proposals: data.proposals,
    filtered: data.filtered,
    steps,
    seconds: { ...o.store.seconds },
    files: { md: files.md, csv: files.csv, jsonl: files.jsonl },
  };
}
