// Opening the app's IndexedDB databases at their schema version, and store faults as errors that
// say what to do. An upgrade creates the stores a database lacks and refuses (changing nothing) a
// store of another shape; a database from a newer version, an upgrade blocked by another tab and a
// full disk (QuotaExceededError) each get their own message. IndexedDB commits a transaction whole
// or not at all, so every record is written in one transaction: a reload mid-write keeps the old one.

/** One object store: its name and key path (null: keys given on each put). */
export interface StoreSpec {
  name: string;
  keyPath: string | null;
}

/** A database of this app: name, schema version and stores. */
export interface DbSchema {
  name: string;
  version: number;
  stores: readonly StoreSpec[];
}

/** How to make room, said by every quota error. */
export const FREE_SPACE_FIX =
  'free space: delete pretrained models you no longer need (Pretrain tab, "Models pretrained in this browser", Delete) or saved runs (Runs tab, Delete), then try again';

/** Whether `e` (or an error it wraps) is the browser's storage quota error. */
export function isQuotaError(e: unknown): boolean {
  for (let x = e, depth = 0; x && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    if ((x as { name?: unknown }).name === 'QuotaExceededError') return true;
  }
  return false;
}

/** A store fault as an error naming what was being written, what is kept and the fix (the
 *  original error is its cause). */
export function storeFault(e: unknown, writing: string, kept: string): Error {
  const inner = e instanceof Error || e instanceof DOMException ? e : new Error(String(e));
  const message = isQuotaError(e)
    ? `the browser's storage for this site is full (QuotaExceededError) while ${writing}: nothing of it was stored, and ${kept}. To go on, ${FREE_SPACE_FIX}`
    : inner.name === 'DataCloneError'
      ? `IndexedDB refused ${writing} (${inner.name}: ${inner.message}): nothing of it was stored, and ${kept}. The value holds something that cannot be stored; this is a bug in InT Lab, please report it`
      : `IndexedDB refused ${writing} (${inner.name}: ${inner.message}): nothing of it was stored, and ${kept}. Use a normal (not private) window, or ${FREE_SPACE_FIX}`;
  const out = new Error(message, { cause: inner });
  if (isQuotaError(e)) out.name = 'QuotaExceededError';
  return out;
}

/** One request on `stores` of `schema`'s database in one transaction, resolved when the transaction
 *  has committed (a put that the disk refuses at commit rejects); the connection is closed afterwards. */
export async function committed<T>(schema: DbSchema, stores: string[], mode: IDBTransactionMode, f: (t: IDBTransaction) => IDBRequest<T>): Promise<T> {
  const db = await openSchemaDb(schema);
  try {
    return await new Promise<T>((resolve, reject) => {
      const t = db.transaction(stores, mode);
      let result: T;
      let req: IDBRequest<T>;
      try {
        req = f(t);
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

/** Abort `t` unless it has already ended (a failed request aborts its transaction). */
export function abortQuietly(t: IDBTransaction): void {
  try {
    t.abort();
  } catch {
    // already aborted or committed
  }
}

const keyText = (k: string | string[] | null) => (k === null ? 'explicit keys' : `key path ${JSON.stringify(k)}`);
const sameKey = (a: string | string[] | null, b: string | null) => JSON.stringify(a) === JSON.stringify(b);

const RESET_FIX = (name: string) =>
  `export what you want to keep (Results tab: Downloads, Run JSON), then delete the database "${name}" (browser settings: site data for this page, or DevTools > Application > IndexedDB) and reload`;

/** Open `schema` (see the file header). */
export function openSchemaDb(schema: DbSchema): Promise<IDBDatabase> {
  const { name, version } = schema;
  return new Promise<IDBDatabase>((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error(`IndexedDB is not available here, so "${name}" cannot be opened; use a normal (not private) browser window`));
    let settled = false;
    const fail = (e: Error) => {
      if (!settled) reject(e);
      settled = true;
    };
    let refused: string | null = null;
    const r = indexedDB.open(name, version);
    r.onupgradeneeded = () => {
      const db = r.result;
      const t = r.transaction!;
      for (const s of schema.stores) {
        if (!db.objectStoreNames.contains(s.name)) {
          db.createObjectStore(s.name, s.keyPath === null ? {} : { keyPath: s.keyPath });
          continue;
        }
        const have = t.objectStore(s.name).keyPath;
        if (!sameKey(have, s.keyPath)) {
          refused = `its store "${s.name}" has ${keyText(have)} where this version needs ${keyText(s.keyPath)}`;
          t.abort(); // the database keeps its old version and records
          return;
        }
      }
    };
    r.onsuccess = () => {
      const db = r.result;
      if (settled) return db.close(); // opened after a refusal (e.g. once a blocking tab closed)
      const missing = schema.stores.filter((s) => !db.objectStoreNames.contains(s.name) || !sameKey(db.transaction(s.name).objectStore(s.name).keyPath, s.keyPath));
      if (missing.length) {
        db.close();
        return fail(new Error(`IndexedDB "${name}" (version ${db.version}) lacks the store "${missing[0].name}" with ${keyText(missing[0].keyPath)} that this version of InT Lab needs; ${RESET_FIX(name)}`));
      }
      settled = true;
      resolve(db);
    };
    r.onerror = () => {
      const e = r.error;
      if (refused) fail(new Error(`IndexedDB "${name}" was written by an older version of InT Lab and cannot be upgraded: ${refused}. Nothing in it was changed; ${RESET_FIX(name)}`));
      else if (e?.name === 'VersionError') fail(new Error(`IndexedDB "${name}" was written by a newer version of InT Lab than this page (schema ${version}); reload the page to get the newest version, or ${RESET_FIX(name)}`));
      else fail(new Error(`IndexedDB "${name}" could not be opened (${e?.name}: ${e?.message}); private windows may block it. Use a normal window, or ${FREE_SPACE_FIX}`));
    };
    r.onblocked = () => fail(new Error(`IndexedDB "${name}" needs an upgrade to schema ${version}, but another tab of InT Lab still has it open; close the other InT Lab tabs and reload this one`));
  });
}
