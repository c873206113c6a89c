// The headless InT experiment (Node + Dawn): the stage pipeline (pipeline.ts: data stages, then
// per arm LoRA SFT -> GRPO -> held-out evaluation) over the run folder (run-store.ts), so that
// --resume skips completed stages; exports/ is written as stages complete, and at the end
// results.json / results.md / metrics.csv / interventions.jsonl.

import { Gpu } from '../gpu';
import { createChainsTask } from '../tasks/chains/task';
import { createMathTask } from '../tasks/math/task';
import type { Task } from '../tasks/task';
import { importDataset } from '../tasks/math/import';
import { silentProgress, type ProgressReporter, type StageProgress } from '../util/progress';
import { ARM_IDS, getArm, type ArmId, type ArmSpec } from './arms';
import type { IntConfig } from './config';
import type { Engine } from './engine';
import type { ExportSink } from './exports';
import type { ContinuationOutcome } from './filter';
import { resolveBaseModel, type BaseModel } from './model';
import { problemsOf, runPipeline } from './pipeline';
import { buildReport, type ExperimentResults } from './report';
import { RunStore, writeAtomic } from './run-store';

export interface ExperimentOptions {
  /** Run folder (results, stage outputs, checkpoints, exports). */
  out: string;
  /** Resolved config (ignored when resuming: the run folder's config is used). */
  config?: IntConfig;
  preset?: string | null;
  /** Arms to run (default all, in table order). */
  arms?: ArmId[];
  /** Continue the run in `out`, skipping its completed stages. */
  resume?: boolean;
  /** Stop after this stage completes (the run can be resumed later). */
  stopAfter?: string;
  /** Project root (where public/models/ lives). Default process.cwd(). */
  root?: string;
  gpu?: Gpu;
  progress?: ProgressReporter;
  /** Wraps the data stages' engine (tests script a verifier through it). */
  wrapEngine?: (engine: Engine, task: Task) => Engine;
}

export interface ExperimentRun {
  results: ExperimentResults | null;
  /** Stages computed by this call, in order. */
  ran: string[];
  /** Completed stages loaded from the run folder. */
  skipped: string[];
  stoppedAfter: string | null;
}

/** The task of a config (chains world, or a math dataset imported from a file / hub). */
export async function taskOf(config: IntConfig, root = process.cwd()): Promise<Task> {
  const d = config.data;
  if (d.task === 'chains') return createChainsTask({ ...d.chains, style: d.style });
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  let name = d.dataset!;
  if (name === 'imo-answerbench') name = join(root, IMO_ANSWERBENCH_FILE);
  const local = existsSync(name);
  if (!local && !/^[\w.-]+\/[\w.-]+$/.test(name)) {
    throw new Error(`data.dataset ${JSON.stringify(d.dataset)} is neither a file (JSONL / CSV / Parquet) nor a hub dataset id "owner/name"`);
  }
  const { problems, errors } = await importDataset(local ? { path: name } : { hf: name });
  if (problems.length === 0) throw new Error(`data.dataset ${JSON.stringify(d.dataset)} gave no problems (${errors.length} row errors); check its columns`);
  // The split is fixed by the dataset's seed-0 hash (never tuned on test).
  return createMathTask(problems, { name: d.dataset!, seed: 0 });
}

/** Where the "imo-answerbench" dataset name points, relative to the project root. */
export const IMO_ANSWERBENCH_FILE = 'shared/data/imo-answerbench/answerbench_v2.csv';

/** Run (or resume) an experiment; see the file header. */
export async function runExperiment(opts: ExperimentOptions): Promise<ExperimentRun> {
  if (!opts.resume && !opts.config) throw new Error('runExperiment: a new run needs a config (presetConfig(name))');
  const store = opts.resume ? RunStore.open(opts.out) : RunStore.create(opts.out, opts.preset ?? null, [...(opts.arms ?? ARM_IDS)], opts.config!);
  const config = store.info.config;
  const arms: ArmSpec[] = store.info.arms.map(getArm);
  const progress = opts.progress ?? silentProgress;
  const gpu = opts.gpu ?? (await Gpu.create());
  const root = opts.root ?? process.cwd();
  let base: BaseModel | null = null;
  try {
    const task = await taskOf(config, root);
    const { train, test } = problemsOf(task, config);
    base = await resolveBaseModel(gpu, config.model, { root, seed: config.seed });
    progress.note(`model: ${base.label}; task: ${task.name}; ${train.length} train / ${test.length} test problems; arms: ${arms.map((a) => a.id).join(', ')}`);
    const bars = new Map<string, StageProgress>();
    const run = await runPipeline({
      gpu,
      config,
      preset: store.info.preset,
      arms,
      task,
      base,
      store,
      exports: nodeSink(store.path('exports')),
      stopAfter: opts.stopAfter,
      wrapEngine: opts.wrapEngine,
      hooks: {
        stageStart: (name) => bars.set(name, progress.start(name)),
        progress: (name, d, t) => bars.get(name)?.update(d, t),
        stageDone: (name) => {
          bars.get(name)?.finish();
          bars.delete(name);
        },
        stageLoaded: (name) => progress.note(`[${name}] already complete, loaded from ${store.dir}`),
      },
    });
    if (run.results && run.data) {
      const r = buildReport.files(run.results, run.data.proposals, run.data.checked);
      writeAtomic(store.path('results.json'), r.json);
      writeAtomic(store.path('results.md'), r.md);
      writeAtomic(store.path('metrics.csv'), r.csv);
      writeAtomic(store.path('interventions.jsonl'), r.jsonl);
    }
    return { results: run.results, ran: run.ran, skipped: run.skipped, stoppedAfter: run.stoppedAfter };
  } finally {
    if (base) {
      base.decoder.adapter = null;
      base.decoder.weights.release();
      base.decoder.release();
    }
    if (!opts.gpu) gpu.destroy();
  }
}

/** An ExportSink writing under a folder. */
export function nodeSink(dir: string): ExportSink {
  return {
    writeFile(path, data) {
      writeAtomic(path ? `${dir}/${path}` : dir, data);
    },
  };
}

export type { ContinuationOutcome };
