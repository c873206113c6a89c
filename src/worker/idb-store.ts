// Unfinished browser runs in IndexedDB (database "int-lab-pending"): per run id a small record
// (config, arms, completed stages), its inputs (model choice, uploaded dataset bytes), its stage
// outputs and its LoRA adapters (PEFT bytes). IdbStageStore is the pipeline's StageStore in the
// worker, so that a reloaded page can resume a run from its last completed stage. Each write is one
// transaction (a stage's output with its completion mark): a reload mid-write keeps the old state,
// and a full disk is an error saying that the completed stages are kept and how to free space.
import type { AdapterFiles, StageStore } from '../int/pipeline';
import { abortQuietly, openSchemaDb, storeFault, type DbSchema } from './idb-schema';
import type { DatasetUpload, ModelChoice, PendingRun, PendingRunSummary } from './protocol';

/** Default database name (tests pass their own). */
export const PENDING_DB = 'int-lab-pending';
const RUNS = 'runs'; // RunMeta, key: id
const INPUTS = 'inputs'; // RunInputs, key: id
const STAGES = 'stages'; // stage output, key: [id, stage name]
const ADAPTERS = 'adapters'; // AdapterFiles, key: [id, "<arm>/<sft|rl>"]
/** Schema 2 has schema 1's stores; its upgrade creates missing ones and refuses a store of another shape. */
const SCHEMA_VERSION = 2;
const schemaOf = (name: string): DbSchema => ({
  name,
  version: SCHEMA_VERSION,
  stores: [
    { name: RUNS, keyPath: 'id' },
    { name: INPUTS, keyPath: 'id' },
    { name: STAGES, keyPath: null },
    { name: ADAPTERS, keyPath: null },
  ],
});
/** The pending-run record format this version reads. */
const META_VERSION = 1;

/** The light part of a pending run (listed without touching file bytes). */
type RunMeta = Omit<PendingRun, 'model' | 'dataset'> & { modelLabel: string; datasetName: string | null };
interface RunInputs {
  id: string;
  model: ModelChoice;
  dataset: DatasetUpload | null;
}

/** What a new pending run is started with. */
export type PendingRunInit = Pick<PendingRun, 'preset' | 'config' | 'arms' | 'model' | 'dataset'>;

const dbs = new Map<string, Promise<IDBDatabase>>();

function openDb(name: string): Promise<IDBDatabase> {
  let p = dbs.get(name);
  if (!p) {
    p = openSchemaDb(schemaOf(name)).then(
      (db) => {
        db.onversionchange = () => {
          db.close();
          dbs.delete(name);
        };
        return db;
      },
      (e: Error) => {
        dbs.delete(name);
        throw e;
      },
    );
    dbs.set(name, p);
  }
  return p;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/** Resolves when the transaction has committed; rejects when it fails or aborts. */
function committed(t: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    t.oncomplete = () => resolve();
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/** Run `f` (requests only) in a read-write transaction over `stores` and wait for the commit; a
 *  request that throws (a value that cannot be cloned) aborts the whole transaction. */
async function writeTx(db: IDBDatabase, stores: string[], f: (t: IDBTransaction) => void): Promise<void> {
  const t = db.transaction(stores, 'readwrite');
  const done = committed(t);
  try {
    f(t);
  } catch (e) {
    void done.catch(() => undefined);
    abortQuietly(t);
    throw e;
  }
  await done;
}

/** Every key of one run in a [id, name] keyed store. */
const runRange = (id: string) => IDBKeyRange.bound([id], [id, []]);

/** A fresh run id: "run-<ISO time>-<random>". */
export function newRunId(created = new Date().toISOString()): string {
  return `run-${created.replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 6)}`;
}

function modelLabel(m: ModelChoice): string {
  if (m.kind === 'embedded') return 'embedded';
  if (m.kind === 'hub') return `hub ${m.id}`;
  if (m.kind === 'stored') return `stored ${m.name}`;
  return `local folder (${m.files.length} files)`;
}

export class IdbStageStore implements StageStore {
  private constructor(
    private readonly db: IDBDatabase,
    private meta: RunMeta,
  ) {}

  get id(): string {
    return this.meta.id;
  }
  get completed(): readonly string[] {
    return this.meta.completed;
  }
  get seconds(): Readonly<Record<string, number>> {
    return this.meta.seconds;
  }
  get cannotResume(): string | null {
    return this.meta.cannotResume;
  }

  /** Start a pending run. A local model folder whose files IndexedDB refuses is left out, and the
   *  run is marked as one that cannot resume (it still runs now). */
  static async create(init: PendingRunInit, dbName = PENDING_DB): Promise<IdbStageStore> {
    const db = await openDb(dbName);
    const created = new Date().toISOString();
    const meta: RunMeta = {
      format: 'int-lab-pending-run',
      version: 1,
      id: newRunId(created),
      created,
      preset: init.preset,
      config: init.config,
      arms: [...init.arms],
      completed: [],
      seconds: {},
      cannotResume: null,
      modelLabel: modelLabel(init.model),
      datasetName: init.dataset?.name ?? null,
    };
    const write = (m: RunMeta, inputs: RunInputs) =>
      writeTx(db, [RUNS, INPUTS], (t) => {
        t.objectStore(RUNS).put(m);
        t.objectStore(INPUTS).put(inputs);
      });
    const kept = 'the runs already stored are unchanged';
    try {
      await write(meta, { id: meta.id, model: init.model, dataset: init.dataset });
    } catch (e) {
      if (init.model.kind !== 'folder') throw storeFault(e, `storing the new run ${meta.id}`, kept);
      meta.cannotResume = `the local model folder could not be stored in the browser (${(e as Error).message}), so this run cannot resume after a reload; start it again instead`;
      await write(meta, { id: meta.id, model: { kind: 'folder', files: [] }, dataset: init.dataset }).catch((e2) => {
        throw storeFault(e2, `storing the new run ${meta.id}`, kept);
      });
    }
    return new IdbStageStore(db, meta);
  }

  /** Open a stored pending run by id. */
  static async open(id: string, dbName = PENDING_DB): Promise<IdbStageStore> {
    const db = await openDb(dbName);
    const meta = await request(db.transaction(RUNS).objectStore(RUNS).get(id) as IDBRequest<RunMeta | undefined>);
    if (!meta) throw new Error(`no unfinished run "${id}" is stored in this browser (it finished, was discarded, or the site data was cleared)`);
    const old = metaProblem(meta);
    if (old) throw new Error(`the unfinished run "${id}" ${old}; discard it and start the run again`);
    return new IdbStageStore(db, meta);
  }

  /** The whole pending record, with the model choice and the dataset bytes. */
  async record(): Promise<PendingRun> {
    const inputs = await request(this.db.transaction(INPUTS).objectStore(INPUTS).get(this.id) as IDBRequest<RunInputs | undefined>);
    if (!inputs) throw new Error(`the stored run "${this.id}" lacks its inputs (model choice, dataset); discard it and start a new run`);
    const { modelLabel: _m, datasetName: _d, ...rest } = this.meta;
    return { ...rest, model: inputs.model, dataset: inputs.dataset };
  }

  has(name: string): boolean {
    return this.meta.completed.includes(name);
  }

  async load<T>(name: string): Promise<T> {
    const v = await request(this.db.transaction(STAGES).objectStore(STAGES).get([this.id, name]));
    if (v === undefined) throw new Error(`the stored run "${this.id}" lists stage "${name}" as complete but holds no output for it; discard the run and start again`);
    return v as T;
  }

  /** Store a stage's output and add it to the completed stages, in one transaction. */
  async complete(name: string, value: unknown, seconds: number): Promise<void> {
    const next: RunMeta = {
      ...this.meta,
      completed: this.meta.completed.includes(name) ? this.meta.completed : [...this.meta.completed, name],
      seconds: { ...this.meta.seconds, [name]: Math.round(seconds * 1000) / 1000 },
    };
    try {
      await writeTx(this.db, [RUNS, STAGES], (t) => {
        t.objectStore(STAGES).put(value, [this.id, name]);
        t.objectStore(RUNS).put(next);
      });
    } catch (e) {
      throw storeFault(e, `saving stage "${name}" of run ${this.id}`, this.keptText());
    }
    this.meta = next;
  }

  async saveAdapter(key: string, files: AdapterFiles): Promise<void> {
    try {
      await writeTx(this.db, [ADAPTERS], (t) => t.objectStore(ADAPTERS).put({ config: files.config, safetensors: files.safetensors }, [this.id, key]));
    } catch (e) {
      throw storeFault(e, `saving the trained weights "${key}" of run ${this.id}`, this.keptText());
    }
  }

  /** What a failed write keeps, and how to go on. */
  private keptText(): string {
    const n = this.meta.completed.length;
    return n === 0
      ? 'no stage of this run had completed yet'
      : `its ${n} completed stage${n === 1 ? ' is' : 's are'} kept (last: ${this.meta.completed[n - 1]}), so it resumes from there (Setup tab, unfinished runs)`;
  }

  async loadAdapter(key: string): Promise<AdapterFiles> {
    const v = await request(this.db.transaction(ADAPTERS).objectStore(ADAPTERS).get([this.id, key]) as IDBRequest<AdapterFiles | undefined>);
    if (!v) throw new Error(`the stored run "${this.id}" has no LoRA adapter "${key}"; discard the run and start again`);
    return v;
  }

  /** Remove the run and everything stored with it. */
  discard(): Promise<void> {
    return removeRun(this.db, this.id);
  }
}

async function removeRun(db: IDBDatabase, id: string): Promise<void> {
  await writeTx(db, [RUNS, INPUTS, STAGES, ADAPTERS], (t) => {
    t.objectStore(RUNS).delete(id);
    t.objectStore(INPUTS).delete(id);
    t.objectStore(STAGES).delete(runRange(id));
    t.objectStore(ADAPTERS).delete(runRange(id));
  });
}

/** Why a stored pending record cannot be read by this version (null when it can). */
function metaProblem(m: Partial<RunMeta>): string | null {
  if (m.format !== 'int-lab-pending-run' || m.version !== META_VERSION || !Array.isArray(m.completed) || !Array.isArray(m.arms)) {
    return `was stored by another version of InT Lab (record format ${JSON.stringify(m.format)} version ${JSON.stringify(m.version)}; this version reads version ${META_VERSION}) and cannot resume`;
  }
  return null;
}

function summary(m: RunMeta): PendingRunSummary {
  const old = metaProblem(m);
  if (old) {
    const created = typeof m.created === 'string' ? m.created : '';
    return { id: m.id, created, preset: null, arms: [], model: 'unknown', dataset: null, completed: [], cannotResume: `this run ${old}; discard it and start the run again` };
  }
  return { id: m.id, created: m.created, preset: m.preset, arms: [...m.arms], model: m.modelLabel, dataset: m.datasetName, completed: [...m.completed], cannotResume: m.cannotResume };
}

/** Pending runs, newest first (no file bytes are read). */
export async function listPendingRuns(dbName = PENDING_DB): Promise<PendingRunSummary[]> {
  const db = await openDb(dbName);
  const all = await request(db.transaction(RUNS).objectStore(RUNS).getAll() as IDBRequest<RunMeta[]>);
  return all.map(summary).sort((a, b) => b.created.localeCompare(a.created));
}

/** Remove a pending run and its stage outputs and adapters (no error when it is not there). */
export async function deletePendingRun(id: string, dbName = PENDING_DB): Promise<void> {
  return removeRun(await openDb(dbName), id);
}

/** Count of stored stage outputs and adapters of a run (tests check that nothing is left behind). */
export async function storedEntries(id: string, dbName = PENDING_DB): Promise<{ stages: number; adapters: number }> {
  const db = await openDb(dbName);
  const t = db.transaction([STAGES, ADAPTERS]);
  const [stages, adapters] = await Promise.all([request(t.objectStore(STAGES).count(runRange(id))), request(t.objectStore(ADAPTERS).count(runRange(id)))]);
  return { stages, adapters };
}
