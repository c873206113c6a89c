// One InT experiment as a storage-agnostic pipeline: the data stages (pool, rollouts, propose,
// filter, continuations, reflect, diagnostics, sft-sets), then per arm SFT -> RL -> held-out eval
// (LoRA or full fine-tune, policy.ts), each stage skipped when the StageStore already holds it. The Node run folder (run-store.ts)
// and the browser's IndexedDB (worker/idb-store.ts) implement the store; hooks report progress.

import type { Gpu } from '../gpu';
import type { Problem, Task } from '../tasks/task';
import type { StepMetrics } from '../train/metrics';
import type { ArmSpec } from './arms';
import type { IntConfig } from './config';
import { DecoderEngine, type Engine } from './engine';
import { withPolicy, type AdapterFiles } from './policy';
import { EXPORT_FILES, exportRlPrompts, exportSftSet, type ExportSink } from './exports';
import type { FilterResult } from './filter';
import type { DroppedProblems } from './prompt-fit';
import type { BaseModel } from './model';
import { buildReport, type ArmResult, type ExperimentResults, type PipelineData } from './report';
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

export type MaybePromise<T> = T | Promise<T>;

export type { AdapterFiles } from './policy';

/** Where completed stages live. Stage names: the data stages and "<arm>/sft|rl|eval"; adapter keys:
 *  "<arm>/sft" and "<arm>/rl" (the adapter, or a full fine-tune's weights, after that stage).
 *  Values are plain JSON. */
export interface StageStore {
  has(name: string): MaybePromise<boolean>;
  load<T>(name: string): MaybePromise<T>;
  /** Persist a stage's output and mark it completed (atomically: both or neither). */
  complete(name: string, value: unknown, seconds: number): MaybePromise<unknown>;
  saveAdapter(key: string, files: AdapterFiles): MaybePromise<void>;
  /** The saved adapter of `key`; throws saying so when it is missing. */
  loadAdapter(key: string): MaybePromise<AdapterFiles>;
}

/** What the pipeline reports while it runs. Every hook is optional. */
export interface PipelineHooks {
  /** Called before every stage (computed or loaded); waits while paused, throws to cancel. */
  gate?(): Promise<void>;
  /** A stage starts computing. */
  stageStart?(name: string): void;
  /** Progress of the computing stage (units done, units total); may throw to cancel. */
  progress?(name: string, done: number, total: number): void;
  /** A stage was computed and stored. */
  stageDone?(name: string, seconds: number): void;
  /** A stage was already complete and was loaded from the store. */
  stageLoaded?(name: string): void;
  /** One optimiser step of an arm's SFT or RL. */
  metric?(arm: string, stage: 'sft' | 'rl', m: StepMetrics): void;
  /** An arm has its held-out evaluation (computed or loaded). */
  armDone?(arm: ArmResult): void;
  /** A line for the person running it (e.g. the problems an arm's RL leaves out, and the fix). */
  note?(line: string): void;
}

export interface PipelineOptions {
  gpu: Gpu;
  config: IntConfig;
  preset: string | null;
  /** Arms in table order (those that config.arms does not list are skipped). */
  arms: readonly ArmSpec[];
  task: Task;
  /** The loaded base model (the caller releases it). */
  base: BaseModel;
  store: StageStore;
  hooks?: PipelineHooks;
  /** Where exports go: sft/ and rl/ when sft-sets is computed, adapters/<arm>/ per trained arm. */
  exports?: ExportSink | null;
  /** Stop after this stage is computed (a later call continues from the store). */
  stopAfter?: string;
  /** Wraps the data stages' engine (tests script a verifier through it). */
  wrapEngine?: (engine: Engine, task: Task) => Engine;
  /** The problems the caller dropped up front (prompt-fit.ts), for results.json. */
  droppedProblems?: DroppedProblems;
}

export type { PipelineData };

export interface PipelineRun {
  /** null when stopped early. */
  results: ExperimentResults | null;
  data: PipelineData | null;
  /** Stages computed by this call, in order. */
  ran: string[];
  /** Completed stages loaded from the store, in order. */
  skipped: string[];
  stoppedAfter: string | null;
}

/** The data stages, in order (each arm then adds "<arm>/sft", "<arm>/rl", "<arm>/eval"). */
export const DATA_STAGE_NAMES = ['pool', 'rollouts', 'propose', 'filter', 'continuations', 'reflect', 'diagnostics', 'sft-sets'] as const;

/** Every stage of a run over `arms`, in order. */
export function pipelineStages(arms: readonly string[]): string[] {
  return [...DATA_STAGE_NAMES, ...arms.flatMap((a) => [`${a}/sft`, `${a}/rl`, `${a}/eval`])];
}

/** Training and test problems of a config (data.maxTrainProblems / maxTestProblems). */
export function problemsOf(task: Task, config: IntConfig): { train: Problem[]; test: Problem[] } {
  const take = (ps: Problem[], n: number | null) => (n === null ? ps : ps.slice(0, n));
  const train = take(task.problems('train'), config.data.maxTrainProblems);
  const test = take(task.problems('test'), config.data.maxTestProblems);
  for (const [split, list] of [['train', train], ['test', test]] as const) {
    if (list.length === 0) {
      throw new Error(
        `the task "${task.name}" has no ${split} problems (${train.length} train, ${test.length} test), so the experiment cannot ` +
          `${split === 'train' ? 'sample rollouts or train' : 'evaluate on held-out problems'}: use a larger dataset (a split is drawn ` +
          `by a hash of each problem id, about 20% test), or for the chains world give counts.<tier>.${split} > 0`,
      );
    }
  }
  return { train, test };
}

class Stopped extends Error {}

const EMPTY_LOG: TrainLog = { steps: [], rows: 0, dropped: 0 };

/** Run (or continue) every stage; see the file header. */
export async function runPipeline(o: PipelineOptions): Promise<PipelineRun> {
  const { gpu, config, task, base, store } = o;
  const hooks = o.hooks ?? {};
  const ran: string[] = [];
  const skipped: string[] = [];
  const { train, test } = problemsOf(task, config);
  const byId = new Map([...train, ...test].map((p) => [p.id, p]));
  const baseEngine = new DecoderEngine(gpu, base.decoder, base.codec);
  const engine = o.wrapEngine ? o.wrapEngine(baseEngine, task) : baseEngine;
  const arms = config.arms ? o.arms.filter((a) => config.arms!.includes(a.id)) : o.arms;

  /** Run one stage unless it is complete; store its JSON output. */
  async function stage<T>(name: string, f: (ctx: StageContext) => Promise<T> | T): Promise<T> {
    await hooks.gate?.();
    if (await store.has(name)) {
      const v = await store.load<T>(name);
      skipped.push(name);
      hooks.stageLoaded?.(name);
      return v;
    }
    hooks.stageStart?.(name);
    const t0 = performance.now();
    const value = await f({ engine, task, config, progress: (d, t) => hooks.progress?.(name, d, t) });
    const seconds = (performance.now() - t0) / 1000;
    await store.complete(name, value, seconds);
    hooks.stageDone?.(name, seconds);
    ran.push(name);
    if (o.stopAfter === name) throw new Stopped(name);
    return value;
  }

  try {
    const pool = await stage<PoolResult>('pool', (ctx) => selectPool(ctx, train));
    const poolSet = new Set(pool.problemIds);
    const attempts = await stage<Attempt[]>('rollouts', (ctx) => sampleAttempts(ctx, train.filter((p) => poolSet.has(p.id))));
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
      const s = buildSftSets(task, proposals, checked.result.kept, reflections, byId, filtered.kept);
      if (o.exports) {
        await exportSftSet(o.exports, 'sft', s.interventions);
        await exportRlPrompts(o.exports, 'rl', train, task.prompts, { dataSource: task.name });
      }
      return s;
    });

    const armResults: Record<string, ArmResult> = {};
    for (const arm of arms) {
      armResults[arm.id] = await runArm(arm);
      hooks.armDone?.(armResults[arm.id]);
    }
    const data: PipelineData = { pool, attempts, proposals, filtered, checked, reflections, diagnostics, sets };
    const results = buildReport({ config, preset: o.preset, model: base.label, modelDtype: base.decoder.weights.dtype, task: task.name, train: train.length, test: test.length, ...data, arms: armResults, droppedProblems: o.droppedProblems });
    return { results, data, ran, skipped, stoppedAfter: null };

    /** SFT (adapter saved as "<arm>/sft"), RL (saved as "<arm>/rl"), then held-out evaluation. */
    async function runArm(arm: ArmSpec): Promise<ArmResult> {
      const key = (what: 'sft' | 'rl') => `${arm.id}/${what}`;
      const examples = arm.sft === 'none' ? [] : (sets[arm.sft] ?? []);
      const policy = { gpu, base, config, loadFiles: (k: string) => store.loadAdapter(k), saveFiles: (k: string, f: AdapterFiles) => store.saveAdapter(k, f) };
      const trained = arm.sft !== 'none' || arm.rl !== null;
      const sftLog = await stage<TrainLog>(key('sft'), async (ctx) => {
        if (examples.length === 0 || arm.sft === 'none') return EMPTY_LOG;
        return withPolicy(policy, null, key('sft'), (model) => trainSft(model, base.codec, examples, armSftConfig(config), (m, d, t) => (hooks.metric?.(arm.id, 'sft', m), ctx.progress?.(d, t))));
      });
      const afterSft = sftLog.rows > 0 ? key('sft') : null;
      const rlLog = await stage<TrainLog>(key('rl'), async (ctx) => {
        if (!arm.rl) return EMPTY_LOG;
        return withPolicy(policy, afterSft, key('rl'), (model) =>
          trainRl(model, base.codec, task, arm, train, armRlConfig(config), config.hint.fraction, (m, d, t) => (hooks.metric?.(arm.id, 'rl', m), ctx.progress?.(d, t)), hooks.note),
        );
      });
      const finalKey = arm.rl ? key('rl') : afterSft;
      const ev = await stage<EvalResult>(`${arm.id}/eval`, async (ctx) => {
        const run = (model = base.decoder) => evaluate(new DecoderEngine(gpu, model, base.codec), task, test, config.eval, config.seed, ctx.progress);
        return trained && finalKey ? withPolicy(policy, finalKey, null, run) : run();
      });
      if (trained && finalKey && o.exports) {
        const files = await store.loadAdapter(finalKey);
        // LoRA: the PEFT adapter; full fine-tune: every weight (F32, HF keys) as models/<arm>/model.safetensors.
        if (config.finetune === 'full') await o.exports.writeFile(`models/${arm.id}/model.safetensors`, files.safetensors);
        else {
          await o.exports.writeFile(`adapters/${arm.id}/${EXPORT_FILES.adapterConfig}`, files.config);
          await o.exports.writeFile(`adapters/${arm.id}/${EXPORT_FILES.adapterWeights}`, files.safetensors);
        }
      }
      return { id: arm.id, label: arm.label, sft: sftLog, rl: rlLog, eval: ev };
    }
  } catch (e) {
    if (e instanceof Stopped) return { results: null, data: null, ran, skipped, stoppedAfter: e.message };
    throw e;
  } finally {
    base.decoder.adapter = null;
  }
}
