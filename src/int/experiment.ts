// The headless InT experiment (Node + Dawn): the stage pipeline (pipeline.ts) over the run folder
// (run-store.ts), so that --resume skips completed stages, writing results.json / results.md /
// metrics.csv / interventions.jsonl; and runSeeds: one run per seed, then seeds.json / seeds.md.
// Before any work a run is checked (openRun): the stop stage exists, the output folder can be
// made, no other process holds the run (run.lock), and a resumed run's config, inputs
// (fingerprint) and checkpoints are unchanged and whole. A start that fails before any stage
// completes leaves nothing that blocks a fresh start. Exports (exports/) of another run, or changed
// after export, are never replaced without `force` (ExportFolder). Problems whose prompts leave no room in the
// model's context are dropped and reported before the first stage (prompt-fit.ts).

import { join } from 'node:path';
import { Gpu } from '../gpu';
import { createChainsTask } from '../tasks/chains/task';
import { createMathTask } from '../tasks/math/task';
import type { Task } from '../tasks/task';
import { importDataset, importReport } from '../tasks/math/import';
import { silentProgress, type ProgressReporter, type StageProgress } from '../util/progress';
import { ARM_IDS, getArm, type ArmId, type ArmSpec } from './arms';
import { mathSplitOf, resolveIntConfig, type IntConfig } from './config';
import type { Engine } from './engine';
import type { ContinuationOutcome } from './filter';
import { resolveBaseModel, type BaseModel } from './model';
import { pipelineStages, problemsOf, runPipeline } from './pipeline';
import { droppedProblems, fitProblems, promptRoom } from './prompt-fit';
import { buildReport, type ExperimentResults } from './report';
import { problemTexts } from './stages';
import { datasetFileOf, ExportFolder, fingerprintRun, makeDirs, readJsonFile, runIdOf, RunLock } from './run-files';
import { RunStore, writeAtomic } from './run-store';
import { seedsMarkdown, summarizeSeeds, type SeedRun, type SeedsSummary } from './seeds';
import type { EvalResult } from './train-arm';

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
  /** Replace exported files of another run (or changed after export) in `out`/exports. */
  force?: boolean;
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

/** The task of a config (chains world, or a math dataset imported from a file / hub). What the
 *  import did (counts, the first skipped rows with their lines and reasons) goes to `note`;
 *  with data.strict any skipped row refuses the dataset. */
export async function taskOf(config: IntConfig, root = process.cwd(), note: (line: string) => void = () => {}): Promise<Task> {
  const d = config.data;
  if (d.task === 'chains') return createChainsTask({ ...d.chains, style: d.style });
  const file = datasetFileOf(config, root);
  if (!file && !/^[\w.-]+\/[\w.-]+$/.test(d.dataset!)) {
    throw new Error(`data.dataset ${JSON.stringify(d.dataset)} is neither a file (JSONL / CSV / Parquet) nor a hub dataset id "owner/name"`);
  }
  const imported = await importDataset(file ? { path: file } : { hf: d.dataset! }, { strict: d.strict === true });
  for (const line of importReport(imported)) note(line);
  const { problems, errors } = imported;
  if (problems.length === 0) throw new Error(`data.dataset ${JSON.stringify(d.dataset)} gave no problems (${errors.length} row errors); check its columns`);
  // The split is a hash of (data.splitSeed, id) against data.testFraction: fixed before any
  // training, never tuned on test.
  return createMathTask(problems, { name: d.dataset!, ...mathSplitOf(d) });
}

/** The stages a run of `arms` under `config` computes, in order (config.arms narrows the arms). */
export function runStages(arms: readonly string[], config: IntConfig): string[] {
  return pipelineStages(config.arms ? arms.filter((a) => config.arms!.includes(a as ArmId)) : arms);
}

/** Refuse a stop stage that the run does not have, or that a resumed run already completed. */
export function checkStopAfter(stopAfter: string | undefined, stages: readonly string[], completed: readonly string[] = [], dir = ''): void {
  if (stopAfter === undefined) return;
  if (!stages.includes(stopAfter)) throw new Error(`--stop-after "${stopAfter}" is not a stage of this run; its stages: ${stages.join(', ')}`);
  if (completed.includes(stopAfter)) {
    const left = stages.filter((s) => !completed.includes(s));
    throw new Error(
      `stage "${stopAfter}" is already complete in ${dir}, so the run would not stop there; ` +
        (left.length ? `--stop-after takes a stage still to compute: ${left.join(', ')}` : 'every stage is complete: drop --stop-after'),
    );
  }
}

/** A run folder opened for work, its lock held; `created`: a new run. */
export interface OpenedRun {
  store: RunStore;
  lock: RunLock;
  created: boolean;
  /** `out`/exports, checked. */
  exports: ExportFolder;
}

const EXPORTS_DIR = 'exports';

/** Every check before work (see the file header), then the run folder created or opened with its
 *  lock held; the caller releases the lock. */
export async function openRun(opts: ExperimentOptions, note: (msg: string) => void = () => {}): Promise<OpenedRun> {
  const root = opts.root ?? process.cwd();
  const out = opts.out;
  if (!opts.resume) {
    if (!opts.config) throw new Error('runExperiment: a new run needs a config (presetConfig(name))');
    const arms = [...(opts.arms ?? ARM_IDS)].map((a) => getArm(a).id);
    const config = opts.config;
    resolveIntConfig(config); // a library caller's config is checked as the CLI's is
    checkStopAfter(opts.stopAfter, runStages(arms, config));
    makeDirs(out, 'output folder');
    const lock = RunLock.acquire(out, note);
    try {
      const fingerprint = await fingerprintRun(config, root);
      const exports = new ExportFolder(join(out, EXPORTS_DIR), runIdOf(fingerprint, config), opts.force === true, note);
      exports.check(false);
      return { store: RunStore.create(out, { preset: opts.preset ?? null, arms, config, fingerprint }, note), lock, created: true, exports };
    } catch (e) {
      lock.release();
      throw e;
    }
  }
  RunStore.open(out); // refuses a folder without a valid run before taking its lock
  const lock = RunLock.acquire(out, note);
  try {
    const store = RunStore.open(out);
    store.note = note;
    checkStopAfter(opts.stopAfter, runStages(store.info.arms, store.info.config), store.info.completed, out);
    await store.checkInputs(root);
    store.checkCheckpoints();
    const exports = new ExportFolder(store.path(EXPORTS_DIR), runIdOf(store.info.fingerprint, store.info.config), opts.force === true, note);
    exports.check(true);
    return { store, lock, created: false, exports };
  } catch (e) {
    lock.release();
    throw e;
  }
}

/** Run (or resume) an experiment; see the file header. */
export async function runExperiment(opts: ExperimentOptions): Promise<ExperimentRun> {
  const progress = opts.progress ?? silentProgress;
  const { store, lock, created, exports } = await openRun(opts, (msg) => progress.note(msg));
  const config = store.info.config;
  const arms: ArmSpec[] = store.info.arms.map(getArm);
  const root = opts.root ?? process.cwd();
  let gpu: Gpu | null = opts.gpu ?? null;
  let base: BaseModel | null = null;
  try {
    gpu ??= await Gpu.create();
    const dataset = await taskOf(config, root, (line) => progress.note(line));
    base = await resolveBaseModel(gpu, config.model, { root, seed: config.seed, dtype: config.modelDtype });
    // problems whose prompts leave no room for a completion are dropped (and reported) up front
    const room = promptRoom(config, base.decoder.config.maxPositions);
    const { task, dropped } = fitProblems(dataset, base.codec, room, config.data.strict === true, (line) => progress.note(line));
    const { train, test } = problemsOf(task, config);
    progress.note(`model: ${base.label} (${base.decoder.weights.dtype} weights); task: ${task.name}; ${train.length} train / ${test.length} test problems; arms: ${arms.map((a) => a.id).join(', ')}`);
    const bars = new Map<string, StageProgress>();
    const run = await runPipeline({
      gpu,
      config,
      preset: store.info.preset,
      arms,
      task,
      base,
      store,
      exports: { writeFile: (path, data) => exports.write(path, data) },
      stopAfter: opts.stopAfter,
      wrapEngine: opts.wrapEngine,
      droppedProblems: droppedProblems(dropped),
      hooks: {
        stageStart: (name) => bars.set(name, progress.start(name)),
        progress: (name, d, t) => bars.get(name)?.update(d, t),
        stageDone: (name) => {
          bars.get(name)?.finish();
          bars.delete(name);
        },
        stageLoaded: (name) => progress.note(`[${name}] already complete, loaded from ${store.dir}`),
        note: (line) => progress.note(line),
      },
    });
    if (run.results && run.data) {
      const r = buildReport.files(run.results, run.data.proposals, run.data.checked, { problems: problemTexts(task, [...train, ...test]), diagnostics: run.data.diagnostics });
      writeAtomic(store.path('results.json'), r.json);
      writeAtomic(store.path('results.md'), r.md);
      writeAtomic(store.path('metrics.csv'), r.csv);
      writeAtomic(store.path('interventions.jsonl'), r.jsonl);
    }
    return { results: run.results, ran: run.ran, skipped: run.skipped, stoppedAfter: run.stoppedAfter };
  } catch (e) {
    if (created) store.discardIfEmpty();
    throw e;
  } finally {
    if (base) {
      base.decoder.adapter = null;
      base.decoder.weights.release();
      base.decoder.release();
    }
    if (!opts.gpu) gpu?.destroy();
    lock.release();
  }
}

export type { ContinuationOutcome };

// ---------------------------------------------------------------- several seeds

/** The plan of a seeds folder (seeds-plan.json): what every seed-<s>/ run is made from. */
export interface SeedsPlan {
  format: 'int-lab-seeds-plan';
  preset: string | null;
  arms: string[];
  seeds: number[];
  /** The config of every run, its seed replaced by the run's. */
  config: IntConfig;
}

export interface SeedsOptions extends Omit<ExperimentOptions, 'config' | 'arms'> {
  /** A new seeds run: the config (its seed is replaced per run), the seeds and arms. */
  config?: IntConfig;
  seeds?: number[];
  arms?: ArmId[];
}

export interface SeedsRun {
  /** seeds.json's object; null when stopped early. */
  summary: SeedsSummary | null;
  /** Seeds computed (or continued) by this call, and seeds already finished. */
  ran: number[];
  skipped: number[];
  /** The seed and stage a stopAfter stopped at. */
  stoppedAfter: { seed: number; stage: string } | null;
}

/** File names of a seeds folder. */
export const SEEDS_FILES = { plan: 'seeds-plan.json', json: 'seeds.json', md: 'seeds.md', dir: (seed: number) => `seed-${seed}` } as const;

/** Read (resume) or write (new) the seeds plan; a new plan must equal a stored one, unless no seed
 *  of the stored plan has started (its start failed): then it is replaced. */
async function seedsPlan(o: SeedsOptions, note: (msg: string) => void): Promise<SeedsPlan> {
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const file = join(o.out, SEEDS_FILES.plan);
  const stored = existsSync(file) ? readJsonFile<SeedsPlan>(file, `Restore it, or start the seeds in a new --out folder`) : null;
  if (o.resume) {
    if (!stored) throw new Error(`${o.out} has no ${SEEDS_FILES.plan}: it is not a seeds folder (start one with --seeds a,b,c --out ${o.out})`);
    if (stored.format !== 'int-lab-seeds-plan' || !Array.isArray(stored.seeds) || !Array.isArray(stored.arms)) throw new Error(`${file} is not an InT Lab seeds plan; restore it, or start a new --out folder`);
    try {
      resolveIntConfig(stored.config);
    } catch (e) {
      throw new Error(`${file} holds a config that is not valid, so the seeds cannot resume:\n${(e as Error).message}\nRestore the config the seeds started with, or start a new --out folder`);
    }
    checkStopAfter(o.stopAfter, runStages(stored.arms, stored.config));
    return stored;
  }
  if (!o.config || !o.seeds?.length) throw new Error('runSeeds: a new seeds run needs a config and at least one seed');
  if (new Set(o.seeds).size !== o.seeds.length) throw new Error(`runSeeds: seeds ${o.seeds.join(',')} repeat a seed; list each once`);
  const plan: SeedsPlan = { format: 'int-lab-seeds-plan', preset: o.preset ?? null, arms: [...(o.arms ?? ARM_IDS)], seeds: [...o.seeds], config: o.config };
  if (stored && JSON.stringify(stored) !== JSON.stringify(plan)) {
    const started = (Array.isArray(stored.seeds) ? stored.seeds : []).filter((s) => existsSync(RunStore.runFile(join(o.out, SEEDS_FILES.dir(s)))));
    if (started.length) {
      throw new Error(`${o.out} holds a seeds run with another preset, seeds, arms or config (${SEEDS_FILES.plan}); continue it with --resume ${o.out}, or pick another --out folder`);
    }
    note(`${file} is from a seeds run none of whose seeds started; replacing it`);
  }
  checkStopAfter(o.stopAfter, runStages(plan.arms, plan.config));
  if (!stored || JSON.stringify(stored) !== JSON.stringify(plan)) {
    makeDirs(o.out, 'output folder');
    writeAtomic(file, JSON.stringify(plan, null, 2) + '\n');
  }
  return plan;
}

/** Run (or continue) one experiment per seed into OUT/seed-<s>/ (a finished seed, one with
 *  results.json, is skipped; an unfinished one resumes), then write OUT/seeds.json and
 *  OUT/seeds.md (summarizeSeeds). One GPU device serves every seed. */
export async function runSeeds(o: SeedsOptions): Promise<SeedsRun> {
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const progress = o.progress ?? silentProgress;
  const plan = await seedsPlan(o, (msg) => progress.note(msg));
  const gpu = o.gpu ?? (await Gpu.create());
  const out: SeedsRun = { summary: null, ran: [], skipped: [], stoppedAfter: null };
  try {
    for (const seed of plan.seeds) {
      const dir = join(o.out, SEEDS_FILES.dir(seed));
      if (existsSync(join(dir, 'results.json'))) {
        progress.note(`[seed ${seed}] already finished: ${dir}`);
        out.skipped.push(seed);
        continue;
      }
      const config = { ...plan.config, seed };
      const resume = existsSync(RunStore.runFile(dir));
      if (resume && JSON.stringify(RunStore.open(dir).info.config) !== JSON.stringify(config)) {
        throw new Error(`${dir} holds a run whose config differs from ${SEEDS_FILES.plan} with seed ${seed}; move it away to recompute that seed`);
      }
      progress.note(`[seed ${seed}] ${resume ? 'resuming' : 'starting'} ${dir}`);
      const common = { out: dir, stopAfter: o.stopAfter, force: o.force, root: o.root, gpu, progress, wrapEngine: o.wrapEngine };
      const run = resume ? await runExperiment({ ...common, resume: true }) : await runExperiment({ ...common, config, preset: plan.preset, arms: plan.arms as ArmId[] });
      out.ran.push(seed);
      if (run.stoppedAfter) {
        out.stoppedAfter = { seed, stage: run.stoppedAfter };
        return out;
      }
    }
  } finally {
    if (!o.gpu) gpu.destroy();
  }
  const runs: SeedRun[] = plan.seeds.map((seed) => {
    const dir = SEEDS_FILES.dir(seed);
    const results = readJsonFile<ExperimentResults>(join(o.out, dir, 'results.json'), `Delete it to recompute seed ${seed}'s results (--resume ${o.out})`);
    const store = RunStore.open(join(o.out, dir));
    const outcomes = Object.fromEntries(Object.keys(results.arms).map((arm) => [arm, store.load<EvalResult>(`${arm}/eval`).outcomes]));
    return { seed, dir, results, outcomes };
  });
  out.summary = summarizeSeeds(runs, plan.preset, plan.config.eval.bootstrap);
  const labels = Object.fromEntries(runs.flatMap((r) => Object.entries(r.results.arms).map(([id, a]) => [id, a.label])));
  writeAtomic(join(o.out, SEEDS_FILES.json), JSON.stringify(out.summary, null, 2) + '\n');
  writeAtomic(join(o.out, SEEDS_FILES.md), seedsMarkdown(out.summary, labels));
  return out;
}
