// Finished runs in IndexedDB (database "int-lab", store "runs", keyed by run id), so they
// survive a reload; plus run-JSON import with a clear error for a wrong file.
// The worker saves finished runs here; the page lists, deletes and imports them itself. A run is
// one record put in one transaction (a reload mid-write keeps the old one); a full disk is an
// error naming the fix.
import { abortQuietly, openSchemaDb, storeFault } from './idb-schema';
import type { RunRecord } from './protocol';

export const RUNS_DB = 'int-lab';
const STORE = 'runs';
/** Schema 2 has schema 1's one store; see idb-schema.ts for the upgrade. */
const SCHEMA = (name: string) => ({ name, version: 2, stores: [{ name: STORE, keyPath: 'id' }] });

/** One request in one transaction, resolved when the transaction has committed (a put that the
 *  disk refuses at commit rejects); the connection is closed afterwards. */
async function tx<T>(dbName: string, mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openSchemaDb(SCHEMA(dbName));
  try {
    return await new Promise<T>((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      let result: T;
      let req: IDBRequest<T>;
      try {
        req = f(t.objectStore(STORE));
        req.onsuccess = () => (result = req.result);
      } catch (e) {
        abortQuietly(t);
        return reject(e);
      }
      t.oncomplete = () => resolve(result);
      t.onerror = t.onabort = () => reject(t.error ?? req.error ?? new Error('the IndexedDB transaction was aborted'));
    });
  } finally {
    db.close();
  }
}

/** Store (or replace) a finished run, whole or not at all. */
export async function saveRun(r: RunRecord, dbName = RUNS_DB): Promise<void> {
  try {
    await tx(dbName, 'readwrite', (s) => s.put(r));
  } catch (e) {
    throw storeFault(e, `saving the finished run ${r.id}`, 'the runs saved before are unchanged');
  }
}
export const getRun = (id: string, dbName = RUNS_DB) => tx<RunRecord | undefined>(dbName, 'readonly', (s) => s.get(id) as IDBRequest<RunRecord | undefined>);
export const deleteRun = (id: string, dbName = RUNS_DB) => tx(dbName, 'readwrite', (s) => s.delete(id)).then(() => undefined);
export async function listRuns(dbName = RUNS_DB): Promise<RunRecord[]> {
  const all = await tx<RunRecord[]>(dbName, 'readonly', (s) => s.getAll() as IDBRequest<RunRecord[]>);
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
