// The InT experiment inside the browser worker: the same stage functions as the headless run
// (src/int/stages.ts, train-arm.ts, report.ts), kept in memory instead of a run folder; the
// LoRA adapter of an arm stays on the GPU from SFT through RL to evaluation.
import type { Gpu } from '../../gpu';
import { getArm, type ArmId } from '../../int/arms';
import type { IntConfig } from '../../int/config';
import { DecoderEngine } from '../../int/engine';
import { loadBaseModel, randomBaseModel, type BaseModel } from '../../int/model';
import { buildReport, type ArmResult } from '../../int/report';
import {
  buildSftSets,
  checkContinuations,
  filterProposals,
  pickFailures,
  proposeInterventions,
  reflectAttempts,
  runDiagnostics,
  sampleAttempts,
  selectPool,
  type StageContext,
} from '../../int/stages';
import { armRlConfig, armSftConfig, evaluate, trainRl, trainSft, type TrainLog } from '../../int/train-arm';
import { importDataset } from '../../io/datasets/import';
import { BrowserFolderSource, ModelFileNotFoundError } from '../../io/folder';
import { HubSource } from '../../io/hub';
import { LoraAdapter } from '../../model/lora';
import { createChainsTask } from '../../tasks/chains/task';
import { createMathTask } from '../../tasks/math/task';
import type { Problem, Task } from '../../tasks/task';
import type { DatasetUpload, ModelChoice, RunEvents, RunRecord } from './types';
import { UrlFolderSource } from './url-source';

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
  /** Waits while paused (between stages), then throws when cancelled. */
  async gate(): Promise<void> {
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
export async function loadModel(gpu: Gpu, choice: ModelChoice, seed: number): Promise<BaseModel> {
  if (choice.kind === 'hub') return loadBaseModel(gpu, new HubSource(choice.id), choice.id);
  if (choice.kind === 'folder') return loadBaseModel(gpu, BrowserFolderSource.fromFiles(choice.files), 'local folder');
  try {
    return await loadBaseModel(gpu, new UrlFolderSource(choice.url), 'models/chains-tiny');
  } catch (e) {
    if (e instanceof ModelFileNotFoundError) return randomBaseModel(gpu, seed);
    throw e;
  }
}

/** The task of a config: the chains world, or the uploaded dataset. */
export async function browserTask(config: IntConfig, dataset: DatasetUpload | null): Promise<Task> {
  const d = config.data;
  if (d.task === 'chains') return createChainsTask({ ...d.chains, style: d.style });
  if (!dataset) throw new Error('data.task is "math" but no dataset file was uploaded; upload a JSONL / CSV / Parquet file in the setup view');
  const { problems, errors } = await importDataset({ bytes: dataset.bytes, name: dataset.name });
  if (problems.length === 0) throw new Error(`${dataset.name} gave no problems (${errors.length} row errors); check its columns`);
  return createMathTask(problems, { name: dataset.name, seed: 0 });
}

const take = (ps: Problem[], n: number | null) => (n === null ? ps : ps.slice(0, n));

export interface BrowserRunOptions {
  gpu: Gpu;
  config: IntConfig;
  preset: string | null;
  arms: ArmId[];
  model: ModelChoice;
  dataset: DatasetUpload | null;
  events: RunEvents;
  control: RunControl;
}

/** Run every stage and arm; returns the run record. */
export async function runBrowserExperiment(o: BrowserRunOptions): Promise<RunRecord> {
  const { gpu, config, events, control } = o;
  const seconds: Record<string, number> = {};
  const task = await browserTask(config, o.dataset);
  const train = take(task.problems('train'), config.data.maxTrainProblems);
  const test = take(task.problems('test'), config.data.maxTestProblems);
  const byId = new Map([...train, ...test].map((p) => [p.id, p]));
  events.stage('load model', 0, 1);
  const base = await loadModel(gpu, o.model, config.seed);
  events.stageDone('load model', 0);
  events.note(`model: ${base.label}; task: ${task.name}; ${train.length} train / ${test.length} test problems`);
  const engine = new DecoderEngine(gpu, base.decoder, base.codec);
  const ctxOf = (name: string): StageContext => ({
    engine,
    task,
    config,
    progress: (d, t) => {
      control.check();
      events.stage(name, d, t);
    },
  });
  async function stage<T>(name: string, f: (ctx: StageContext) => Promise<T> | T): Promise<T> {
    await control.gate();
    events.stage(name, 0, 1);
    const t0 = performance.now();
    const v = await f(ctxOf(name));
    seconds[name] = (performance.now() - t0) / 1000;
    events.stageDone(name, seconds[name]);
    return v;
  }
  try {
    const pool = await stage('pool', (c) => selectPool(c, train));
    const poolSet = new Set(pool.problemIds);
    const attempts = await stage('rollouts', (c) => sampleAttempts(c, train.filter((p) => poolSet.has(p.id))));
    const failures = pickFailures(attempts, task, byId, config.propose.maxAttempts);
    const proposals = await stage('propose', (c) => proposeInterventions(c, failures, byId));
    const filtered = await stage('filter', (c) => filterProposals(c, proposals, byId));
    const checked = await stage('continuations', (c) => (config.continuation.enabled ? checkContinuations(c, proposals, filtered, byId) : { outcomes: [], result: filtered }));
    const arms = o.arms.map(getArm);
    const reflections = await stage('reflect', (c) => (arms.some((a) => a.sft === 'self_reflection') ? reflectAttempts(c, failures, byId) : []));
    const diagnostics = await stage('diagnostics', (c) => runDiagnostics(c, attempts, proposals, filtered, byId));
    const sets = await stage('sft-sets', () => buildSftSets(task, proposals, checked.result.kept, reflections, byId));

    const armResults: Record<string, ArmResult> = {};
    for (const arm of arms) {
      const adapter = LoraAdapter.create(gpu, base.table, { ...config.lora, seed: config.seed });
      base.decoder.adapter = adapter;
      try {
        const examples = arm.sft === 'none' ? [] : sets[arm.sft];
        const empty: TrainLog = { steps: [], rows: 0, dropped: 0 };
        const sft = await stage(`${arm.id}/sft`, (c) =>
          examples.length === 0 ? empty : trainSft(base.decoder, base.codec, examples, armSftConfig(config), (m, d, t) => (events.metric(arm.id, 'sft', m), c.progress?.(d, t))),
        );
        const rl = await stage(`${arm.id}/rl`, (c) =>
          arm.rl ? trainRl(base.decoder, base.codec, task, arm, train, armRlConfig(config), config.hint.fraction, (m, d, t) => (events.metric(arm.id, 'rl', m), c.progress?.(d, t))) : empty,
        );
        const trained = sft.rows > 0 || arm.rl !== null;
        if (!trained) base.decoder.adapter = null;
        const ev = await stage(`${arm.id}/eval`, (c) => evaluate(new DecoderEngine(gpu, base.decoder, base.codec), task, test, config.eval, config.seed, c.progress));
        armResults[arm.id] = { id: arm.id, label: arm.label, sft, rl, eval: ev };
        events.armDone(arm.id, ev.summary.overall.passAt['1'] ?? null);
      } finally {
        base.decoder.adapter = null;
        adapter.release();
      }
    }
    const results = buildReport({ config, preset: o.preset, model: base.label, task: task.name, train: train.length, test: test.length, pool, attempts, proposals, filtered, checked, reflections, diagnostics, sets, arms: armResults });
    const files = buildReport.files(results, proposals, checked);
    const steps: Record<string, string[]> = {};
    for (const a of attempts) steps[a.id] = task.splitSteps(a.text);
    const created = new Date().toISOString();
    return { format: 'int-lab-run', version: 1, id: `run-${created.replace(/[:.]/g, '-')}`, created, preset: o.preset, config, results, attempts, proposals, filtered, steps, seconds, files: { md: files.md, csv: files.csv, jsonl: files.jsonl } };
  } finally {
    base.decoder.adapter = null;
    base.decoder.weights.release();
    base.decoder.release();
  }
}
