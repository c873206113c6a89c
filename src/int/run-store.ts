// The run folder of a headless experiment (Node): stage outputs as JSON under stages/, run.json
// with the resolved config and the completed stages in order, LoRA checkpoints as PEFT files under
// checkpoints/<arm>/<sft|rl>/, and atomic writes, so an interrupted run resumes from its last
// completed stage. It is the pipeline's StageStore in Node.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { IntConfig } from './config';
import { EXPORT_FILES } from './exports';
import type { AdapterFiles, StageStore } from './pipeline';

export interface RunInfo {
  format: 'int-lab-experiment';
  version: 1;
  preset: string | null;
  arms: string[];
  config: IntConfig;
  /** Completed stages, in completion order. */
  completed: string[];
  /** Wall time per stage in seconds (of the run that computed it). */
  seconds: Record<string, number>;
}

/** Write a file atomically (temporary name, then rename); parent folders are created. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.partial`, data);
  renameSync(`${path}.partial`, path);
}

export class RunStore implements StageStore {
  info: RunInfo;
  constructor(
    readonly dir: string,
    info: RunInfo,
  ) {
    this.info = info;
  }

  static runFile(dir: string): string {
    return join(dir, 'run.json');
  }

  /** A new run in `dir`; refuses a folder that already holds a run. */
  static create(dir: string, preset: string | null, arms: string[], config: IntConfig): RunStore {
    if (existsSync(RunStore.runFile(dir))) {
      throw new Error(`${dir} already holds an experiment (run.json); resume it with --resume ${dir}, or pick another --out folder`);
    }
    const s = new RunStore(dir, { format: 'int-lab-experiment', version: 1, preset, arms, config, completed: [], seconds: {} });
    s.flush();
    return s;
  }

  /** Open a run folder to resume it. */
  static open(dir: string): RunStore {
    const f = RunStore.runFile(dir);
    if (!existsSync(f)) throw new Error(`${dir} has no run.json: it is not an experiment folder (start one with --out ${dir})`);
    const info = JSON.parse(readFileSync(f, 'utf8')) as RunInfo;
    if (info.format !== 'int-lab-experiment') throw new Error(`${f} is not an InT Lab experiment file`);
    return new RunStore(dir, info);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  private stageFile(name: string): string {
    return this.path('stages', `${name}.json`);
  }

  has(name: string): boolean {
    return this.info.completed.includes(name) && existsSync(this.stageFile(name));
  }

  load<T>(name: string): T {
    return JSON.parse(readFileSync(this.stageFile(name), 'utf8')) as T;
  }

  /** Persist a stage's output, then mark it completed. */
  complete<T>(name: string, value: T, seconds: number): T {
    writeAtomic(this.stageFile(name), JSON.stringify(value));
    if (!this.info.completed.includes(name)) this.info.completed.push(name);
    this.info.seconds[name] = Math.round(seconds * 1000) / 1000;
    this.flush();
    return value;
  }

  /** Folder of a saved adapter: checkpoints/<arm>/<sft|rl> for the key "<arm>/<sft|rl>". */
  adapterDir(key: string): string {
    return this.path('checkpoints', ...key.split('/'));
  }

  saveAdapter(key: string, files: AdapterFiles): void {
    const dir = this.adapterDir(key);
    writeAtomic(join(dir, EXPORT_FILES.adapterConfig), files.config);
    writeAtomic(join(dir, EXPORT_FILES.adapterWeights), files.safetensors);
  }

  loadAdapter(key: string): AdapterFiles {
    const dir = this.adapterDir(key);
    const cfg = join(dir, EXPORT_FILES.adapterConfig);
    const weights = join(dir, EXPORT_FILES.adapterWeights);
    if (!existsSync(cfg) || !existsSync(weights)) {
      throw new Error(`${dir} lacks ${EXPORT_FILES.adapterConfig} or ${EXPORT_FILES.adapterWeights}: the run folder is incomplete; delete stages/${key}.json (and its entry in run.json) to recompute that stage`);
    }
    return { config: readFileSync(cfg, 'utf8'), safetensors: new Uint8Array(readFileSync(weights)) };
  }

  flush(): void {
    writeAtomic(RunStore.runFile(this.dir), JSON.stringify(this.info, null, 2));
  }
}
