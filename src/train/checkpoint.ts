// Training checkpoints: trained weights (PEFT LoRA files, or all weights), AdamW moments, counters, RNG
// state, config and metrics, as safetensors + JSON in a folder of a CheckpointStore: a directory in
// Node, OPFS or IndexedDB in the browser, or memory. A checkpoint counts once its state file is written.

import { isNode } from '../gpu';
import { loadSafetensors } from '../io/safetensors-read';
import { writeSafetensors } from '../io/safetensors-write';
import type { GrpoConfig, SftConfig } from './config';
import type { StepMetrics } from './metrics';
import type { OptimState } from './optimizer';

/** Files in folders, addressed by 'folder/file' paths. */
export interface CheckpointStore {
  /** Write (or replace) a whole file; parent folders are created. */
  write(path: string, data: Uint8Array): Promise<void>;
  /** Read a whole file; throws an Error naming the path when it does not exist. */
  read(path: string): Promise<Uint8Array>;
  exists(path: string): Promise<boolean>;
  /** Remove a folder and everything in it (no error when it does not exist). */
  remove(folder: string): Promise<void>;
  /** Where it stores, for messages. */
  readonly where: string;
}

/** The JSON part of a checkpoint (trainer_state.json). */
export interface TrainerStateJson {
  /** Optimiser steps attempted (applied or skipped). */
  step: number;
  skippedSteps: number;
  /** State of the trainer's seeded generator (rollout seeds). */
  rngState: number;
  totalSteps: number;
  config: SftConfig | GrpoConfig;
  history: StepMetrics[];
}

/** A whole checkpoint in host memory. */
export interface TrainerSnapshot {
  mode: 'lora' | 'full';
  /** Trained tensors by name (PEFT keys for LoRA, HF keys for all weights). */
  weights: Map<string, { shape: number[]; data: Float32Array }>;
  optim: OptimState;
  /** adapter_config.json contents (LoRA mode). */
  peftConfig: Record<string, unknown> | null;
  state: TrainerStateJson;
}

export const CHECKPOINT_FORMAT = 'int-lab-checkpoint';
export const CHECKPOINT_VERSION = 1;
/** File naming the latest complete checkpoint folder. */
export const LATEST_FILE = 'LATEST';
export const FILES = {
  state: 'trainer_state.json',
  optimizer: 'optimizer.safetensors',
  adapterConfig: 'adapter_config.json',
  adapterWeights: 'adapter_model.safetensors',
  fullWeights: 'model.safetensors',
} as const;

const enc = new TextEncoder();
const dec = new TextDecoder();

function checkName(name: string): void {
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name === '.' || name === '..') {
    throw new Error(`checkpoint name ${JSON.stringify(name)} must be one folder name of letters, digits, '.', '_' or '-' (e.g. step-000010)`);
  }
}

/** Write a checkpoint into folder `name` of the store: tensors first, trainer_state.json last, then LATEST. */
export async function saveCheckpoint(store: CheckpointStore, name: string, s: TrainerSnapshot): Promise<void> {
  checkName(name);
  // A half-written folder of the same name must never look complete: drop its state file first.
  await store.remove(name);
  const weights = [...s.weights].map(([n, w]) => ({ name: n, shape: w.shape, dtype: 'F32' as const, data: w.data }));
  if (s.mode === 'lora') {
    if (!s.peftConfig) throw new Error('saveCheckpoint: a LoRA checkpoint needs the adapter config');
    await store.write(`${name}/${FILES.adapterConfig}`, enc.encode(JSON.stringify(s.peftConfig, null, 2)));
    await store.write(`${name}/${FILES.adapterWeights}`, writeSafetensors(weights));
  } else {
    await store.write(`${name}/${FILES.fullWeights}`, writeSafetensors(weights, { format: 'pt' }));
  }
  const moments = [];
  for (const [n, w] of s.weights) {
    const m = s.optim.m.get(n);
    const v = s.optim.v.get(n);
    if (!m || !v) throw new Error(`saveCheckpoint: no optimiser moments for '${n}'`);
    moments.push({ name: `${n}.exp_avg`, shape: w.shape, dtype: 'F32' as const, data: m }, { name: `${n}.exp_avg_sq`, shape: w.shape, dtype: 'F32' as const, data: v });
  }
  await store.write(`${name}/${FILES.optimizer}`, writeSafetensors(moments, { t: String(s.optim.t) }));
  const state = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, mode: s.mode, optimizerT: s.optim.t, ...s.state };
  await store.write(`${name}/${FILES.state}`, enc.encode(JSON.stringify(state, null, 1)));
  await store.write(LATEST_FILE, enc.encode(name));
}

async function readTensors(bytes: Uint8Array, label: string): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  await loadSafetensors(bytes, { dtype: 'f32', label, onTensor: (n, shape, data) => void out.set(n, { shape, data: data as Float32Array }) });
  return out;
}

/** Read checkpoint `name` (default: the one LATEST names). */
export async function loadCheckpoint(store: CheckpointStore, name?: string): Promise<{ name: string; snapshot: TrainerSnapshot }> {
  if (name === undefined) {
    if (!(await store.exists(LATEST_FILE))) throw new Error(`loadCheckpoint: no checkpoint in ${store.where} (no ${LATEST_FILE} file); save one first or pass a name`);
    name = dec.decode(await store.read(LATEST_FILE)).trim();
  }
  checkName(name);
  const statePath = `${name}/${FILES.state}`;
  if (!(await store.exists(statePath))) throw new Error(`loadCheckpoint: ${store.where}/${name} is not a complete checkpoint (no ${FILES.state}); load an earlier one`);
  const raw = JSON.parse(dec.decode(await store.read(statePath))) as Record<string, unknown>;
  if (raw.format !== CHECKPOINT_FORMAT) throw new Error(`loadCheckpoint: ${statePath} is not an InT Lab checkpoint (format ${JSON.stringify(raw.format)})`);
  if (raw.version !== CHECKPOINT_VERSION) throw new Error(`loadCheckpoint: ${statePath} has version ${raw.version}; this build reads version ${CHECKPOINT_VERSION}`);
  const mode = raw.mode as 'lora' | 'full';
  if (mode !== 'lora' && mode !== 'full') throw new Error(`loadCheckpoint: ${statePath} has mode ${JSON.stringify(raw.mode)}; expected "lora" or "full"`);
  const wFile = mode === 'lora' ? FILES.adapterWeights : FILES.fullWeights;
  const weights = await readTensors(await store.read(`${name}/${wFile}`), wFile);
  const peftConfig = mode === 'lora' ? (JSON.parse(dec.decode(await store.read(`${name}/${FILES.adapterConfig}`))) as Record<string, unknown>) : null;
  const moments = await readTensors(await store.read(`${name}/${FILES.optimizer}`), FILES.optimizer);
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const n of weights.keys()) {
    const a = moments.get(`${n}.exp_avg`);
    const b = moments.get(`${n}.exp_avg_sq`);
    if (!a || !b) throw new Error(`loadCheckpoint: ${FILES.optimizer} lacks the moments of '${n}'`);
    m.set(n, a.data);
    v.set(n, b.data);
  }
  const num = (k: string) => {
    const x = raw[k];
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) throw new Error(`loadCheckpoint: ${statePath} field ${k} must be an integer >= 0, got ${JSON.stringify(x)}`);
    return x;
  };
  const state: TrainerStateJson = {
    step: num('step'),
    skippedSteps: num('skippedSteps'),
    rngState: num('rngState'),
    totalSteps: num('totalSteps'),
    config: raw.config as SftConfig | GrpoConfig,
    history: (raw.history as StepMetrics[]) ?? [],
  };
  return { name, snapshot: { mode, weights, optim: { t: num('optimizerT'), m, v }, peftConfig, state } };
}

// ------------------------------------------------------------------------------------------ stores

function splitPath(path: string): string[] {
  const parts = path.split('/').filter((p) => p.length > 0);
  if (!parts.length || parts.some((p) => p === '.' || p === '..')) throw new Error(`checkpoint path ${JSON.stringify(path)} must be 'folder/file' without '.' or '..'`);
  return parts;
}

/** Files in a Map (tests, or a session that needs no persistence). */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly files = new Map<string, Uint8Array>();
  readonly where = 'memory';
  async write(path: string, data: Uint8Array): Promise<void> {
    this.files.set(splitPath(path).join('/'), data.slice());
  }
  async read(path: string): Promise<Uint8Array> {
    const d = this.files.get(splitPath(path).join('/'));
    if (!d) throw new Error(`checkpoint file ${path} does not exist in memory`);
    return d.slice();
  }
  async exists(path: string): Promise<boolean> {
    return this.files.has(splitPath(path).join('/'));
  }
  async remove(folder: string): Promise<void> {
    const pre = splitPath(folder).join('/') + '/';
    for (const k of [...this.files.keys()]) if (k.startsWith(pre)) this.files.delete(k);
  }
}

/** A directory on disk (Node). Files are written to a temporary name and renamed into place. */
export class NodeCheckpointStore implements CheckpointStore {
  constructor(readonly root: string) {}
  get where(): string {
    return this.root;
  }
  private async fs() {
    // Imported through variables so browser bundles skip them.
    const specs = ['node:fs/promises', 'node:path'];
    const [fs, path] = (await Promise.all(specs.map((s) => import(/* @vite-ignore */ s)))) as [typeof import('node:fs/promises'), typeof import('node:path')];
    return { fs, join: (p: string) => path.join(this.root, ...splitPath(p)), dirname: path.dirname };
  }
  async write(p: string, data: Uint8Array): Promise<void> {
    const { fs, join, dirname } = await this.fs();
    const file = join(p);
    await fs.mkdir(dirname(file), { recursive: true });
    await fs.writeFile(`${file}.partial`, data);
    await fs.rename(`${file}.partial`, file);
  }
  async read(p: string): Promise<Uint8Array> {
    const { fs, join } = await this.fs();
    try {
      return new Uint8Array(await fs.readFile(join(p)));
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') throw new Error(`checkpoint file ${join(p)} does not exist`);
      throw e;
    }
  }
  async exists(p: string): Promise<boolean> {
    const { fs, join } = await this.fs();
    return fs.access(join(p)).then(() => true, () => false);
  }
  async remove(folder: string): Promise<void> {
    const { fs, join } = await this.fs();
    await fs.rm(join(folder), { recursive: true, force: true });
  }
}

/** The origin private file system (browser; main thread or worker). */
export class OpfsCheckpointStore implements CheckpointStore {
  constructor(readonly rootName = 'int-lab-checkpoints') {}
  get where(): string {
    return `OPFS:/${this.rootName}`;
  }
  private async dir(parts: string[], create: boolean): Promise<FileSystemDirectoryHandle> {
    let d = await (await navigator.storage.getDirectory()).getDirectoryHandle(this.rootName, { create: true });
    for (const p of parts) d = await d.getDirectoryHandle(p, { create });
    return d;
  }
  async write(path: string, data: Uint8Array): Promise<void> {
    const parts = splitPath(path);
    const d = await this.dir(parts.slice(0, -1), true);
    const w = await (await d.getFileHandle(parts[parts.length - 1], { create: true })).createWritable();
    await w.write(data as Uint8Array<ArrayBuffer>);
    await w.close();
  }
  async read(path: string): Promise<Uint8Array> {
    const parts = splitPath(path);
    try {
      const d = await this.dir(parts.slice(0, -1), false);
      const f = await (await d.getFileHandle(parts[parts.length - 1])).getFile();
      return new Uint8Array(await f.arrayBuffer());
    } catch (e) {
      if ((e as DOMException).name === 'NotFoundError') throw new Error(`checkpoint file ${this.where}/${path} does not exist`);
      throw e;
    }
  }
  async exists(path: string): Promise<boolean> {
    return this.read(path).then(() => true, () => false);
  }
  async remove(folder: string): Promise<void> {
    const parts = splitPath(folder);
    try {
      const d = await this.dir(parts.slice(0, -1), false);
      await d.removeEntry(parts[parts.length - 1], { recursive: true });
    } catch (e) {
      if ((e as DOMException).name !== 'NotFoundError') throw e;
    }
  }
}

/** IndexedDB (browsers without OPFS): one object store of path -> bytes. */
export class IndexedDbCheckpointStore implements CheckpointStore {
  private db: Promise<IDBDatabase> | null = null;
  constructor(readonly dbName = 'int-lab-checkpoints') {}
  get where(): string {
    return `IndexedDB:${this.dbName}`;
  }
  private open(): Promise<IDBDatabase> {
    if (!this.db) {
      this.db = new Promise((resolve, reject) => {
        const req = indexedDB.open(this.dbName, 1);
        req.onupgradeneeded = () => req.result.createObjectStore('files');
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(new Error(`IndexedDB ${this.dbName}: ${req.error?.message ?? 'could not open'}`));
      });
    }
    return this.db;
  }
  private async run<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const db = await this.open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction('files', mode);
      const req = f(tx.objectStore('files'));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(new Error(`IndexedDB ${this.dbName}: ${tx.error?.message ?? 'transaction failed'}`));
    });
  }
  async write(path: string, data: Uint8Array): Promise<void> {
    await this.run('readwrite', (s) => s.put(data.slice(), splitPath(path).join('/')));
  }
  async read(path: string): Promise<Uint8Array> {
    const d = await this.run<Uint8Array | undefined>('readonly', (s) => s.get(splitPath(path).join('/')));
    if (!d) throw new Error(`checkpoint file ${this.where}/${path} does not exist`);
    return d;
  }
  async exists(path: string): Promise<boolean> {
    return (await this.run('readonly', (s) => s.count(splitPath(path).join('/')))) > 0;
  }
  async remove(folder: string): Promise<void> {
    const pre = splitPath(folder).join('/') + '/';
    await this.run('readwrite', (s) => s.delete(IDBKeyRange.bound(pre, pre + '\uffff')));
  }
}

/** The default store of the runtime: a directory in Node (default ./checkpoints), OPFS in a browser
 *  that has it, else IndexedDB. */
export function defaultCheckpointStore(where?: string): CheckpointStore {
  if (isNode()) return new NodeCheckpointStore(where ?? 'checkpoints');
  if (typeof navigator !== 'undefined' && navigator.storage && typeof navigator.storage.getDirectory === 'function') return new OpfsCheckpointStore(where);
  if (typeof indexedDB !== 'undefined') return new IndexedDbCheckpointStore(where);
  throw new Error('defaultCheckpointStore: this runtime has no file system, OPFS or IndexedDB; use MemoryCheckpointStore');
}
