// The run folder of a headless experiment (Node): stage outputs as JSON under stages/, run.json
// with the resolved config, the fingerprint of the run's inputs and the completed stages in order,
// LoRA checkpoints as PEFT files under checkpoints/<arm>/<sft|rl>/, and atomic writes, so an
// interrupted run resumes from its last completed stage. It is the pipeline's StageStore in Node.
// Opening a run revalidates its config; a resume checks the fingerprint and the checkpoints, and
// a stage whose file is gone is recomputed with every stage after it.

import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ARM_IDS } from './arms';
import { resolveIntConfig, type IntConfig } from './config';
import { EXPORT_FILES } from './exports';
import { fingerprintChanges, fingerprintRefusal, type RunFingerprint } from './fingerprint';
import { pipelineStages, type AdapterFiles, type StageStore } from './pipeline';
import { ST_ITEM_BYTES, type StDtype } from '../io/safetensors-format';
import { configHash, fingerprintRun, readJsonFile, writeAtomic } from './run-files';

export { writeAtomic } from './run-files';

export interface RunInfo {
  format: 'int-lab-experiment';
  version: 1;
  preset: string | null;
  arms: string[];
  config: IntConfig;
  /** What the run was made from (absent in runs started before fingerprints). */
  fingerprint?: RunFingerprint;
  /** Completed stages, in completion order. */
  completed: string[];
  /** Wall time per stage in seconds (of the run that computed it). */
  seconds: Record<string, number>;
}

/** Why safetensors bytes are not a whole file (header parses, every tensor's size matches its
 *  dtype and shape, the data ends where the file ends), or null when they are. `read(start, n)`
 *  gives n bytes from `start`. */
export function safetensorsProblem(read: (start: number, n: number) => Uint8Array, size: number): string | null {
  if (size < 8) return `it has ${size} bytes, fewer than the 8-byte header length`;
  const head = read(0, 8);
  const n = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true));
  if (n > size - 8) return `its header needs ${n} bytes but the file has ${size - 8} after the length field (cut short)`;
  let header: Record<string, { dtype?: string; shape?: number[]; data_offsets?: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(read(8, n)));
  } catch (e) {
    return `its header is not valid JSON (${(e as Error).message})`;
  }
  let end = 0;
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [b, e] = t?.data_offsets ?? [];
    if (!Number.isSafeInteger(b) || !Number.isSafeInteger(e) || b! > e!) return `tensor "${name}" has no valid data_offsets`;
    const item = ST_ITEM_BYTES[t.dtype as StDtype];
    const numel = (t.shape ?? []).reduce((x, y) => x * y, 1);
    if (item !== undefined && e! - b! !== numel * item) return `tensor "${name}" ${t.dtype}[${(t.shape ?? []).join(', ')}] needs ${numel * item} bytes but spans ${e! - b!}`;
    end = Math.max(end, e!);
  }
  if (8 + n + end !== size) return `its header describes ${8 + n + end} bytes but the file has ${size} (cut short?)`;
  return null;
}

/** safetensorsProblem of a file on disk (reads the header only). */
function fileSafetensorsProblem(file: string): string | null {
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  try {
    return safetensorsProblem((start, n) => {
      const buf = new Uint8Array(Math.max(0, Math.min(n, size - start)));
      readSync(fd, buf, 0, buf.length, start);
      return buf;
    }, size);
  } finally {
    closeSync(fd);
  }
}

/** Why a checkpoint's config text is not usable, or null. */
function jsonProblem(text: string): string | null {
  try {
    JSON.parse(text);
    return null;
  } catch (e) {
    return `it is not valid JSON (${(e as Error).message})`;
  }
}

export class RunStore implements StageStore {
  info: RunInfo;
  /** Where the store says what it did on its own (a stage recomputed because its file is gone). */
  note: (msg: string) => void = () => {};
  constructor(
    readonly dir: string,
    info: RunInfo,
  ) {
    this.info = info;
  }

  static runFile(dir: string): string {
    return join(dir, 'run.json');
  }

  /** A new run in `dir`; refuses a folder whose run completed a stage (a run.json whose run
   *  completed nothing, left by a start that failed, is replaced). */
  static create(dir: string, init: { preset: string | null; arms: string[]; config: IntConfig; fingerprint?: RunFingerprint }, note: (msg: string) => void = () => {}): RunStore {
    const f = RunStore.runFile(dir);
    if (existsSync(f)) {
      const old = readJsonFile<Partial<RunInfo>>(f, `Delete it if ${dir} holds nothing you need, or pick another --out folder`);
      const done = Array.isArray(old.completed) ? old.completed.length : 0;
      if (done > 0) {
        throw new Error(`${dir} already holds an experiment with ${done} completed stage${done === 1 ? '' : 's'} (run.json); resume it with --resume ${dir}, or pick another --out folder`);
      }
      note(`${dir} holds a run that completed no stage (an earlier start failed or was stopped); starting over in it`);
    }
    const { preset, arms, config, fingerprint } = init;
    const s = new RunStore(dir, { format: 'int-lab-experiment', version: 1, preset, arms, config, ...(fingerprint ? { fingerprint } : {}), completed: [], seconds: {} });
    s.note = note;
    s.flush();
    return s;
  }

  /** Open a run folder to resume it: run.json parsed, its config revalidated and checked against
   *  the hash recorded at the start. */
  static open(dir: string): RunStore {
    const f = RunStore.runFile(dir);
    if (!existsSync(f)) throw new Error(`${dir} has no run.json: it is not an experiment folder (start one with --out ${dir})`);
    const info = readJsonFile<RunInfo>(f, `The run's record is damaged: restore run.json, or start a new run folder (stages/ and checkpoints/ are not used without it)`);
    if (info?.format !== 'int-lab-experiment') throw new Error(`${f} is not an InT Lab experiment file`);
    if (info.version !== 1) throw new Error(`${f} has version ${JSON.stringify(info.version)}; this InT Lab reads version 1: resume it with the version that made it, or start a new run`);
    const bad = Array.isArray(info.arms) ? info.arms.filter((a) => !(ARM_IDS as readonly string[]).includes(a)) : ['(arms is not a list)'];
    if (bad.length) throw new Error(`${f} lists unknown arms ${bad.join(', ')}; known arms: ${ARM_IDS.join(', ')}. Restore run.json, or start a new run`);
    if (!Array.isArray(info.completed) || info.completed.some((s) => typeof s !== 'string')) throw new Error(`${f}: "completed" must be a list of stage names; restore run.json`);
    info.seconds ??= {};
    try {
      resolveIntConfig(info.config);
    } catch (e) {
      throw new Error(`${f} holds a config that is not valid, so the run cannot resume:\n${(e as Error).message}\nRestore the config the run started with, or start a new run folder with a valid config`);
    }
    if (info.fingerprint) {
      const changes = fingerprintChanges(info.fingerprint, { ...info.fingerprint, config: configHash(info.config) });
      if (changes.length) throw new Error(fingerprintRefusal(dir, changes));
    }
    return new RunStore(dir, info);
  }

  /** Refuse to resume when the model or dataset changed since the run started (fingerprint). */
  async checkInputs(root: string): Promise<void> {
    const was = this.info.fingerprint;
    if (!was) {
      this.note(`${RunStore.runFile(this.dir)} records no fingerprint (a run started before fingerprints): its model and dataset cannot be checked`);
      return;
    }
    const changes = fingerprintChanges(was, await fingerprintRun(this.info.config, root));
    if (changes.length) throw new Error(fingerprintRefusal(this.dir, changes));
  }

  /** Refuse to resume when a completed stage's checkpoint is cut short or damaged. */
  checkCheckpoints(): void {
    for (const name of this.info.completed) {
      if (!/\/(sft|rl)$/.test(name) || !existsSync(this.adapterDir(name))) continue;
      this.readAdapter(name, false);
    }
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  private stageFile(name: string): string {
    return this.path('stages', `${name}.json`);
  }

  /** How to recompute stage `name` (and what stays safe). */
  private rerun(name: string): string {
    const ckpt = /\/(sft|rl)$/.test(name) ? ` and ${this.adapterDir(name)}/` : '';
    return `Rerun that stage: delete ${this.stageFile(name)}${ckpt}, then continue with --resume ${this.dir} (it recomputes that stage and the ones after it; the stages before it are kept)`;
  }

  /** Is the stage complete? A stage listed as complete whose file is gone is recomputed, and so is
   *  every completed stage after it (their inputs may change). */
  has(name: string): boolean {
    const listed = this.info.completed.includes(name);
    if (listed && existsSync(this.stageFile(name))) return true;
    const order = pipelineStages(this.info.arms);
    const at = order.indexOf(name);
    const later = this.info.completed.filter((s) => s === name || (at >= 0 && order.indexOf(s) > at));
    if (later.length) {
      this.info.completed = this.info.completed.filter((s) => !later.includes(s));
      this.note(`${listed ? `${this.stageFile(name)} is gone` : `stage "${name}" is not complete`}: recomputing it${later.length > (listed ? 1 : 0) ? ` and the stages after it (${later.filter((s) => s !== name).join(', ')})` : ''}`);
      this.flush();
    }
    return false;
  }

  load<T>(name: string): T {
    return readJsonFile<T>(this.stageFile(name), `It holds stage "${name}" of ${this.dir}. ${this.rerun(name)}`);
  }

  /** Persist a stage's output, then mark it completed. */
  complete<T>(name: string, value: T, seconds: number): T {
    const safe = `Stage "${name}" was not saved; the ${this.info.completed.length} completed stages are safe in ${this.dir}: fix this, then continue with --resume ${this.dir}`;
    writeAtomic(this.stageFile(name), JSON.stringify(value), safe);
    if (!this.info.completed.includes(name)) this.info.completed.push(name);
    this.info.seconds[name] = Math.round(seconds * 1000) / 1000;
    this.flush(safe);
    return value;
  }

  /** Folder of a saved adapter: checkpoints/<arm>/<sft|rl> for the key "<arm>/<sft|rl>". */
  adapterDir(key: string): string {
    return this.path('checkpoints', ...key.split('/'));
  }

  /** Save a checkpoint: checked first (the config parses, the safetensors sizes match), then each
   *  file written beside its target and renamed over it. */
  saveAdapter(key: string, files: AdapterFiles): void {
    const w = files.safetensors;
    const cfgWhy = jsonProblem(files.config);
    const why = cfgWhy ?? safetensorsProblem((s, n) => w.subarray(s, s + n), w.byteLength);
    if (why) throw new Error(`the checkpoint of stage "${key}" came out malformed (${cfgWhy ? EXPORT_FILES.adapterConfig : EXPORT_FILES.adapterWeights}: ${why}); nothing was written`);
    const dir = this.adapterDir(key);
    const safe = `The checkpoint of stage "${key}" was not saved; the completed stages are safe in ${this.dir}: fix this, then continue with --resume ${this.dir}`;
    writeAtomic(join(dir, EXPORT_FILES.adapterConfig), files.config, safe);
    writeAtomic(join(dir, EXPORT_FILES.adapterWeights), files.safetensors, safe);
  }

  /** A saved checkpoint, checked (the config parses, the safetensors sizes match) before use. */
  loadAdapter(key: string): AdapterFiles {
    return this.readAdapter(key, true)!;
  }

  private readAdapter(key: string, want: boolean): AdapterFiles | null {
    const dir = this.adapterDir(key);
    const cfg = join(dir, EXPORT_FILES.adapterConfig);
    const weights = join(dir, EXPORT_FILES.adapterWeights);
    for (const f of [cfg, weights]) {
      if (!existsSync(f)) throw new Error(`${f} is missing: the checkpoint of stage "${key}" is incomplete. ${this.rerun(key)}`);
    }
    const config = readFileSync(cfg, 'utf8');
    const cfgWhy = jsonProblem(config);
    const why = cfgWhy ?? fileSafetensorsProblem(weights);
    if (why) {
      throw new Error(`${cfgWhy ? cfg : weights} is cut short or damaged (${why}): the checkpoint of stage "${key}" cannot be used and nothing was exported from it. ${this.rerun(key)}`);
    }
    return want ? { config, safetensors: new Uint8Array(readFileSync(weights)) } : null;
  }

  /** Remove run.json when no stage completed (a failed start must not block a fresh one). */
  discardIfEmpty(): void {
    if (this.info.completed.length > 0) return;
    try {
      unlinkSync(RunStore.runFile(this.dir));
    } catch {
      // already gone
    }
  }

  flush(after = ''): void {
    writeAtomic(RunStore.runFile(this.dir), JSON.stringify(this.info, null, 2), after);
  }
}
