// The headless InT experiment (Node + Dawn): data stages (pool, rollouts, propose, filter,
// continuation check, self-reflection, diagnostics, SFT sets), then per arm LoRA SFT -> GRPO ->
// held-out evaluation, every stage persisted in the run folder so that --resume skips it; at the
// end results.json / results.md / metrics.csv / interventions.jsonl / exports/ are written.

import { readFileSync } from 'node:fs';
import { Gpu } from '../gpu';
import { LoraAdapter } from '../model/lora';
import { createChainsTask } from '../tasks/chains/task';
import { createMathTask } from '../tasks/math/task';
import type { Problem, Task } from '../tasks/task';
import { importDataset } from '../io/datasets/import';
import type { ProgressReporter } from '../cli/progress';
import { silentProgress } from '../cli/progress';
import { ARM_IDS, getArm, type ArmId, type ArmSpec } from './arms';
import type { IntConfig } from './config';
import { DecoderEngine, type Engine } from './engine';
import { exportAdapter, exportRlPrompts, exportSftSet, type ExportSink } from './exports';
import type { ContinuationOutcome, FilterResult } from './filter';
import { resolveBaseModel, type BaseModel } from './model';
import { buildReport, type ArmResult, type ExperimentResults } from './report';
import { RunStore, writeAtomic } from './run-store';
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
  type Attempt,
  type ContinuationCheck,
  type Diagnostics,
  type PoolResult,
  type Proposal,
  type Reflection,
  type SftSets,
  type StageContext,
} from './stages';
import { armRlConfig, armSftConfig, evaluate, trainRl, trainSft, type EvalResult, type TrainLog } from './train-arm';

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

function take(ps: Problem[], n: number | null): Problem[] {
  return n === null ? ps : ps.slice(0, n);
}

class Stopped extends Error {}

/** Run (or resume) an experiment; see the file header. */
export async function runExperiment(opts: ExperimentOptions): Promise<ExperimentRun> {
  const store = opts.resume ? RunStore.open(opts.out) : RunStore.create(opts.out, opts.preset ?? null, [...(opts.arms ?? ARM_IDS)], opts.config!);
  if (!opts.resume && !opts.config) throw new Error('runExperiment: a new run needs a config (presetConfig(name))');
  const config = store.info.config;
  const arms: ArmSpec[] = store.info.arms.map(getArm);
  const progress = opts.progress ?? silentProgress;
  const ran: string[] = [];
  const skipped: string[] = [];
  const gpu = opts.gpu ?? (await Gpu.create());

  const task = await taskOf(config, opts.root ?? process.cwd());
  const train = take(task.problems('train'), config.data.maxTrainProblems);
  const test = take(task.problems('test'), config.data.maxTestProblems);
  const byId = new Map([...train, ...test].map((p) => [p.id, p]));
  const base: BaseModel = await resolveBaseModel(gpu, config.model, { root: opts.root ?? process.cwd(), seed: config.seed });
  progress.note(`model: ${base.label}; task: ${task.name}; ${train.length} train / ${test.length} test problems; arms: ${arms.map((a) => a.id).join(', ')}`);
  const baseEngine = new DecoderEngine(gpu, base.decoder, base.codec);
  const engine = opts.wrapEngine ? opts.wrapEngine(baseEngine, task) : baseEngine;

  /** Run one stage unless it is complete; persist its JSON output. */
  async function stage<T>(name: string, f: (ctx: StageContext) => Promise<T>): Promise<T> {
    if (store.has(name)) {
      skipped.push(name);
      progress.note(`[${name}] already complete, loaded from ${store.dir}`);
      return store.load<T>(name);
    }
    const bar = progress.start(name);
    const t0 = performance.now();
    const value = await f({ engine, task, config, progress: (d, t) => bar.update(d, t) });
    store.complete(name, value, (performance.now() - t0) / 1000);
    bar.finish();
    ran.push(name);
    if (opts.stopAfter === name) throw new Stopped(name);
    return value;
  }

  try {
    const pool = await stage<PoolResult>('pool', (ctx) => selectPool(ctx, train));
    const poolSet = new Set(pool.problemIds);
    const poolProblems = train.filter((p) => poolSet.has(p.id));
    const attempts = await stage<Attempt[]>('rollouts', (ctx) => sampleAttempts(ctx, poolProblems));
    const failures = pickFailures(attempts, task, byId, config.propose.maxAttempts);
    const proposals = await stage<Proposal[]>('propose', (ctx) => proposeInterventions(ctx, failures, byId));
    const filtered = await stage<FilterResult>('filter', (ctx) => filterProposals(ctx, proposals, byId));
    const checked = await stage<ContinuationCheck>('continuations', async (ctx) =>
      config.continuation.enabled ? checkContinuations(ctx, proposals, filtered, byId) : { outcomes: [], result: filtered },
    );
    const wantsReflect = arms.some((a) => a.sft === 'self_reflection');
    const reflections = await stage<Reflection[]>('reflect', async (ctx) => (wantsReflect ? reflectAttempts(ctx, failures, byId) : []));
    const diagnostics = await stage<Diagnostics>('diagnostics', (ctx) => runDiagnostics(ctx, attempts, proposals, filtered, byId));
    const sets = await stage<SftSets>('sft-sets', async () => {
      const s = buildSftSets(task, proposals, checked.result.kept, reflections, byId);
      const sink = nodeSink(store.path('exports'));
      await exportSftSet(sink, 'sft', s.interventions);
      await exportRlPrompts(sink, 'rl', train, task.prompts, { dataSource: task.name });
      return s;
    });

    const armResults: Record<string, ArmResult> = {};
    for (const arm of arms) armResults[arm.id] = await runArm(arm);

    const results = buildReport({ config, preset: store.info.preset, model: base.label, task: task.name, train: train.length, test: test.length, pool, attempts, proposals, filtered, checked, reflections, diagnostics, sets, arms: armResults });
    writeOutputs(results, proposals, checked);
    return { results, ran, skipped, stoppedAfter: null };

    async function runArm(arm: ArmSpec): Promise<ArmResult> {
      const ckpt = (what: string) => store.path('checkpoints', arm.id, what);
      const examples = arm.sft === 'none' ? [] : sets[arm.sft];
      const adapterFrom = async (dir: string | null): Promise<LoraAdapter> => {
        if (dir === null) return LoraAdapter.create(gpu, base.table, { ...config.lora, seed: config.seed });
        return LoraAdapter.load(gpu, base.table, readFileSync(`${dir}/adapter_config.json`, 'utf8'), new Uint8Array(readFileSync(`${dir}/adapter_model.safetensors`)));
      };
      const withAdapter = async <T>(from: string | null, saveTo: string | null, f: () => Promise<T>): Promise<T> => {
        const adapter = await adapterFrom(from);
        base.decoder.adapter = adapter;
        try {
          const v = await f();
          if (saveTo) await exportAdapter(nodeSink(saveTo), '', adapter, base.baseName);
          return v;
        } finally {
          base.decoder.adapter = null;
          adapter.release();
        }
      };
      const trained = arm.sft !== 'none' || arm.rl !== null;
      const sftLog = await stage<TrainLog>(`${arm.id}/sft`, async (ctx) => {
        if (examples.length === 0 || arm.sft === 'none') return { steps: [], rows: 0, dropped: 0 };
        return withAdapter(null, ckpt('sft'), () => trainSft(base.decoder, base.codec, examples, armSftConfig(config), (_m, d, t) => ctx.progress?.(d, t)));
      });
      const afterSft = sftLog.rows > 0 ? ckpt('sft') : null;
      const rlLog = await stage<TrainLog>(`${arm.id}/rl`, async (ctx) => {
        if (!arm.rl) return { steps: [], rows: 0, dropped: 0 };
        return withAdapter(afterSft, ckpt('rl'), () => trainRl(base.decoder, base.codec, task, arm, train, armRlConfig(config), config.hint.fraction, (_m, d, t) => ctx.progress?.(d, t)));
      });
      const finalDir = arm.rl ? ckpt('rl') : afterSft;
      const ev = await stage<EvalResult>(`${arm.id}/eval`, async (ctx) => {
        const run = () => evaluate(new DecoderEngine(gpu, base.decoder, base.codec), task, test, config.eval, config.seed, ctx.progress);
        return trained && finalDir ? withAdapter(finalDir, null, run) : run();
      });
      if (trained && finalDir) {
        const sink = nodeSink(store.path('exports', 'adapters', arm.id));
        for (const f of ['adapter_config.json', 'adapter_model.safetensors']) await sink.writeFile(f, new Uint8Array(readFileSync(`${finalDir}/${f}`)));
      }
      return { id: arm.id, label: arm.label, sft: sftLog, rl: rlLog, eval: ev };
    }
  } catch (e) {
    if (e instanceof Stopped) return { results: null, ran, skipped, stoppedAfter: e.message };
    throw e;
  } finally {
    base.decoder.adapter = null;
    base.decoder.weights.release();
    base.decoder.release();
    if (!opts.gpu) gpu.destroy();
  }

  function writeOutputs(results: ExperimentResults, proposals: Proposal[], checked: ContinuationCheck): void {
    const r = buildReport.files(results, proposals, checked);
    writeAtomic(store.path('results.json'), r.json);
    writeAtomic(store.path('results.md'), r.md);
    writeAtomic(store.path('metrics.csv'), r.csv);
    writeAtomic(store.path('interventions.jsonl'), r.jsonl);
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
