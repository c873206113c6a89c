// Finished runs in IndexedDB (database "int-lab", store "runs", keyed by run id), so they
// survive a reload; beside each run its export files (store "exports": the PEFT adapters, SFT and
// RL data the worker wrote with src/int/exports.ts); plus run-JSON import with a clear error for a
// wrong file. The worker saves finished runs and their exports here; the page lists, deletes and
// imports runs and reads the exports for download. A run is one record put in one transaction (a
// reload mid-write keeps the old one); a full disk is an error naming the fix.
import { committed, storeFault } from './idb-schema';
import type { RunRecord } from './protocol';

export const RUNS_DB = 'int-lab';
const STORE = 'runs';
const EXPORTS = 'exports';
/** Schema 3: schema 1's runs store and the exports store (schema 2 had the runs store only); the
 *  upgrade in idb-schema.ts creates the missing store and keeps the records. */
const SCHEMA = (name: string) => ({ name, version: 3, stores: [{ name: STORE, keyPath: 'id' }, { name: EXPORTS, keyPath: 'id' }] });

/** A run's export files by path inside its export folder ("sft/sft.jsonl", "rl/rl_prompts.parquet",
 *  "adapters/<arm>/adapter_model.safetensors", ...). */
export interface RunExports {
  id: string;
  files: Record<string, Uint8Array>;
}

/** One request on `stores` in one committed transaction (idb-schema.ts). */
const tx = <T>(dbName: string, stores: string[], mode: IDBTransactionMode, f: (t: IDBTransaction) => IDBRequest<T>) => committed(SCHEMA(dbName), stores, mode, f);

/** Store (or replace) a finished run, whole or not at all. */
export async function saveRun(r: RunRecord, dbName = RUNS_DB): Promise<void> {
  try {
    await tx(dbName, [STORE], 'readwrite', (t) => t.objectStore(STORE).put(r));
  } catch (e) {
    throw storeFault(e, `saving the finished run ${r.id}`, 'the runs saved before are unchanged');
  }
}
export const getRun = (id: string, dbName = RUNS_DB) => tx<RunRecord | undefined>(dbName, [STORE], 'readonly', (t) => t.objectStore(STORE).get(id) as IDBRequest<RunRecord | undefined>);
/** Delete a run and its export files. */
export const deleteRun = (id: string, dbName = RUNS_DB) =>
  tx(dbName, [STORE, EXPORTS], 'readwrite', (t) => {
    t.objectStore(EXPORTS).delete(id);
    return t.objectStore(STORE).delete(id);
  }).then(() => undefined);
export async function listRuns(dbName = RUNS_DB): Promise<RunRecord[]> {
  const all = await tx<RunRecord[]>(dbName, [STORE], 'readonly', (t) => t.objectStore(STORE).getAll() as IDBRequest<RunRecord[]>);
  return all.sort((a, b) => b.created.localeCompare(a.created));
}

/** Store (or replace) the export files of run `id`. */
export async function saveRunExports(id: string, files: Record<string, Uint8Array>): Promise<void> {
  try {
    await tx(RUNS_DB, [EXPORTS], 'readwrite', (t) => t.objectStore(EXPORTS).put({ id, files } satisfies RunExports));
  } catch (e) {
    throw storeFault(e, `saving the export files of run ${id}`, 'the run itself and the other runs are unchanged');
  }
}

/** The export files of run `id`, or null when none are stored (an imported run, or one finished
 *  before exports were kept). */
export async function getRunExports(id: string): Promise<Record<string, Uint8Array> | null> {
  const v = await tx<RunExports | undefined>(RUNS_DB, [EXPORTS], 'readonly', (t) => t.objectStore(EXPORTS).get(id) as IDBRequest<RunExports | undefined>);
  return v?.files ?? null;
}

/** Parse an exported run JSON; throws saying what is wrong. */
export function parseRunJson(text: string, name = 'the file'): RunRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${name} is not JSON (${(e as Error).message}); pick a run file downloaded as "Run JSON"`);
  }
  const r = v as Partial<RunRecord>;
  if (r?.format !== 'int-lab-run' || !r.results || !r.id) throw new Error(`${name} is not an InT Lab run export (no "format": "int-lab-run"); pick a file downloaded as "Run JSON"`);
  return r as RunRecord;
}
