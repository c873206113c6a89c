// Finished runs in IndexedDB (database "int-lab", store "runs", keyed by run id), so they
// survive a reload; beside each run its export files (store "exports": the PEFT adapters, SFT and
// RL data the worker wrote with src/int/exports.ts); plus run-JSON import with a clear error for a
// wrong file. The worker saves finished runs and their exports here; the page lists, deletes and
// imports runs and reads the exports for download.
import type { RunRecord } from './protocol';

const DB = 'int-lab';
const STORE = 'runs';
const EXPORTS = 'exports';

/** A run's export files by path inside its export folder ("sft/sft.jsonl", "rl/rl_prompts.parquet",
 *  "adapters/<arm>/adapter_model.safetensors", ...). */
export interface RunExports {
  id: string;
  files: Record<string, Uint8Array>;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error('IndexedDB is not available here, so runs cannot be stored; use a normal (not private) browser window'));
    const r = indexedDB.open(DB, 2);
    r.onupgradeneeded = () => {
      const db = r.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'id' });
      if (!db.objectStoreNames.contains(EXPORTS)) db.createObjectStore(EXPORTS, { keyPath: 'id' });
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(new Error(`IndexedDB "${DB}" could not be opened (${r.error?.message}); private windows may block it`));
  });
}

function tx<T>(stores: string[], mode: IDBTransactionMode, f: (t: IDBTransaction) => IDBRequest<T>): Promise<T> {
  return open().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const t = db.transaction(stores, mode);
        const req = f(t);
        let result: T;
        req.onsuccess = () => (result = req.result);
        t.oncomplete = () => (db.close(), resolve(result));
        t.onerror = t.onabort = () => (db.close(), reject(t.error ?? req.error ?? new Error('the IndexedDB transaction was aborted')));
      }),
  );
}

export const saveRun = (r: RunRecord) => tx([STORE], 'readwrite', (t) => t.objectStore(STORE).put(r)).then(() => undefined);
export const getRun = (id: string) => tx<RunRecord | undefined>([STORE], 'readonly', (t) => t.objectStore(STORE).get(id) as IDBRequest<RunRecord | undefined>);
/** Delete a run and its export files. */
export const deleteRun = (id: string) =>
  tx([STORE, EXPORTS], 'readwrite', (t) => {
    t.objectStore(EXPORTS).delete(id);
    return t.objectStore(STORE).delete(id);
  }).then(() => undefined);
export async function listRuns(): Promise<RunRecord[]> {
  const all = await tx<RunRecord[]>([STORE], 'readonly', (t) => t.objectStore(STORE).getAll() as IDBRequest<RunRecord[]>);
  return all.sort((a, b) => b.created.localeCompare(a.created));
}

/** Store (or replace) the export files of run `id`. */
export async function saveRunExports(id: string, files: Record<string, Uint8Array>): Promise<void> {
  try {
    await tx([EXPORTS], 'readwrite', (t) => t.objectStore(EXPORTS).put({ id, files } satisfies RunExports));
  } catch (e) {
    throw new Error(`the export files of run "${id}" could not be stored in IndexedDB (${(e as Error).message}); free some disk space or use a normal (not private) window`);
  }
}

/** The export files of run `id`, or null when none are stored (an imported run, or one finished
 *  before exports were kept). */
export async function getRunExports(id: string): Promise<Record<string, Uint8Array> | null> {
  const v = await tx<RunExports | undefined>([EXPORTS], 'readonly', (t) => t.objectStore(EXPORTS).get(id) as IDBRequest<RunExports | undefined>);
  return v?.files ?? null;
}

/** Parse an exported run JSON; throws saying what is wrong. */
export function parseRunJson(text: string, name = 'the file'): RunRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${name} is not JSON (${(e as Error).message}); pick a run file exported with "Export run JSON"`);
  }
  const r = v as Partial<RunRecord>;
  if (r?.format !== 'int-lab-run' || !r.results || !r.id) throw new Error(`${name} is not an InT Lab run export (no "format": "int-lab-run"); pick a file exported with "Export run JSON"`);
  return r as RunRecord;
}
