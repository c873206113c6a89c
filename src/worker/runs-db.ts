// Finished runs in IndexedDB (database "int-lab", store "runs", keyed by run id), so they
// survive a reload; plus run-JSON import with a clear error for a wrong file.
// The worker saves finished runs here; the page lists, deletes and imports them itself.
import type { RunRecord } from './protocol';

const DB = 'int-lab';
const STORE = 'runs';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: 'id' });
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(new Error(`IndexedDB "${DB}" could not be opened (${r.error?.message}); private windows may block it`));
  });
}

function tx<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return open().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const req = f(db.transaction(STORE, mode).objectStore(STORE));
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      }),
  );
}

export const saveRun = (r: RunRecord) => tx('readwrite', (s) => s.put(r)).then(() => undefined);
export const getRun = (id: string) => tx<RunRecord | undefined>('readonly', (s) => s.get(id) as IDBRequest<RunRecord | undefined>);
export const deleteRun = (id: string) => tx('readwrite', (s) => s.delete(id)).then(() => undefined);
export async function listRuns(): Promise<RunRecord[]> {
  const all = await tx<RunRecord[]>('readonly', (s) => s.getAll() as IDBRequest<RunRecord[]>);
  return all.sort((a, b) => b.created.localeCompare(a.created));
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
