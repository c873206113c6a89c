// Faults of the browser stores on real IndexedDB (Chromium): a full disk (a real QuotaExceededError
// DOMException thrown by IDBObjectStore.put at a chosen write) while saving a stage, an adapter, a
// finished run or a pretrained model is an error naming what is kept and how to free space, and
// nothing stored before is lost; a reload during a write (the write's transaction aborted after its
// put) leaves the old record whole; a database of an older schema version is upgraded with its
// records, one whose store has another shape is refused with nothing changed, one held open by an
// older tab or from a newer version is refused; a pending run stored by another version is listed
// as one that cannot resume.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { presetConfig } from '../../src/int/config';
import { IdbStageStore, listPendingRuns, storedEntries } from '../../src/worker/idb-store';
import { openSchemaDb } from '../../src/worker/idb-schema';
import { listStoredModels, getStoredModel, saveStoredModel, type StoredModel } from '../../src/worker/models-db';
import type { RunRecord } from '../../src/worker/protocol';
import { getRun, listRuns, saveRun } from '../../src/worker/runs-db';

const tag = Date.now();
const used: string[] = [];
const dbName = (what: string) => {
  const n = `int-lab-${what}-test-${tag}`;
  used.push(n);
  return n;
};
const config = presetConfig('chains-smoke', { seed: 2 });
const FIX = /Pretrain tab, "Models pretrained in this browser", Delete\) or saved runs \(Runs tab, Delete\)/;

// ---------------------------------------------------------------- platform fault injectors

const realPut = IDBObjectStore.prototype.put;
let restore: (() => void) | null = null;
afterEach(() => {
  restore?.();
  restore = null;
});

/** The `at`-th IDBObjectStore.put from now (1-based) fails: 'quota' throws the browser's
 *  QuotaExceededError DOMException; 'reload' lets the put through and aborts its transaction, as a
 *  page closed mid-write never commits. Returns the number of puts seen so far. */
function failPut(at: number, how: 'quota' | 'reload'): () => number {
  let n = 0;
  IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
    n++;
    if (n === at) {
      if (how === 'quota') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      const req = realPut.apply(this, args);
      this.transaction.abort();
      return req;
    }
    return realPut.apply(this, args);
  };
  restore = () => (IDBObjectStore.prototype.put = realPut);
  return () => n;
}

/** Open `name` at `version` directly, with `upgrade` creating its (old) schema. */
function rawOpen(name: string, version: number, upgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(name, version);
    if (upgrade) r.onupgradeneeded = () => upgrade(r.result);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function rawPut(db: IDBDatabase, store: string, value: unknown, key?: IDBValidKey): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = db.transaction(store, 'readwrite');
    t.objectStore(store).put(value, key);
    t.oncomplete = () => resolve();
    t.onerror = t.onabort = () => reject(t.error);
  });
}

function rawGetAll(db: IDBDatabase, store: string): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const r = db.transaction(store).objectStore(store).getAll();
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

afterAll(async () => {
  for (const n of used) {
    await new Promise<void>((resolve) => {
      const r = indexedDB.deleteDatabase(n);
      r.onsuccess = r.onerror = r.onblocked = () => resolve();
    });
  }
});

/** The error `p` rejects with (fails when it resolves or rejects with a non-Error). */
async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(Error);
  return e as Error;
}

const runRecord = (id: string, created: string, note: string) => ({ format: 'int-lab-run', version: 1, id, created, note, results: { arms: {} } }) as unknown as RunRecord;
const model = (name: string, fill: number): StoredModel => ({
  name,
  files: { 'config.json': new TextEncoder().encode('{"model_type":"llama"}'), 'model.safetensors': new Uint8Array(4096).fill(fill) },
  created: `2026-12-0${fill}T00:00:00.000Z`,
  steps: 10 * fill,
  tokens: 100,
  minutes: 1,
  params: 1000,
  lastLoss: 2,
});

// ---------------------------------------------------------------- quota

describe('a full disk', () => {
  it('while saving a stage or an adapter: the completed stages are kept, the error names the fix, and the run goes on once there is room', async () => {
    const DB = dbName('pending-quota');
    const s = await IdbStageStore.create({ config, preset: null, arms: ['base'], model: { kind: 'embedded', url: 'u' }, dataset: null }, DB);
    await s.complete('pool', { problemIds: ['a'] }, 0.1);
    await s.complete('rollouts', [{ id: 'a#0' }], 0.2);
    failPut(1, 'quota');
    const err = await s.complete('propose', [{ big: 1 }], 0.3).then(() => null, (e: Error) => e);
    expect(err?.name).toBe('QuotaExceededError');
    expect(err?.message).toMatch(/storage for this site is full \(QuotaExceededError\) while saving stage "propose" of run run-.*: nothing of it was stored, and its 2 completed stages are kept \(last: rollouts\), so it resumes from there/);
    expect(err?.message).toMatch(FIX);
    failPut(1, 'quota');
    expect((await failure(s.saveAdapter('rl/rl', { config: '{}', safetensors: new Uint8Array([1]) }))).message).toMatch(/full \(QuotaExceededError\) while saving the trained weights "rl\/rl"[\s\S]*2 completed stages are kept/);
    restore!();
    expect(s.has('propose')).toBe(false);
    const again = await IdbStageStore.open(s.id, DB);
    expect(again.completed).toEqual(['pool', 'rollouts']);
    expect(await again.load('rollouts')).toEqual([{ id: 'a#0' }]);
    expect(await storedEntries(s.id, DB)).toEqual({ stages: 2, adapters: 0 });
    await again.complete('propose', [{ big: 1 }], 0.3); // room again: the run goes on
    expect((await IdbStageStore.open(s.id, DB)).completed).toEqual(['pool', 'rollouts', 'propose']);
    await again.discard();
  });

  it('while starting a run: refused with the fix, the other stored runs unchanged', async () => {
    const DB = dbName('pending-quota-start');
    const a = await IdbStageStore.create({ config, preset: 'a', arms: ['base'], model: { kind: 'embedded', url: 'u' }, dataset: null }, DB);
    failPut(1, 'quota');
    expect((await failure(IdbStageStore.create({ config, preset: 'b', arms: ['base'], model: { kind: 'hub', id: 'o/m' }, dataset: null }, DB))).message).toMatch(/full \(QuotaExceededError\) while storing the new run run-.*the runs already stored are unchanged/);
    restore!();
    expect((await listPendingRuns(DB)).map((r) => r.id)).toEqual([a.id]);
    await a.discard();
  });

  it('while saving a finished run: the runs saved before are unchanged', async () => {
    const DB = dbName('runs-quota');
    await saveRun(runRecord('r1', '2026-12-01', 'first'), DB);
    failPut(1, 'quota');
    const err = await saveRun(runRecord('r2', '2026-12-02', 'second'), DB).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/full \(QuotaExceededError\) while saving the finished run r2: nothing of it was stored, and the runs saved before are unchanged/);
    expect(err?.message).toMatch(FIX);
    failPut(1, 'quota');
    expect((await failure(saveRun(runRecord('r1', '2026-12-01', 'replaced'), DB))).message).toMatch(/QuotaExceededError/);
    restore!();
    expect((await listRuns(DB)).map((r) => [r.id, (r as unknown as { note: string }).note])).toEqual([['r1', 'first']]);
  });

  it('while storing a pretrained model: the models stored before are unchanged', async () => {
    const DB = dbName('models-quota');
    await saveStoredModel(model('m1', 1), DB);
    failPut(1, 'quota');
    const err = await saveStoredModel(model('m2', 2), DB).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/full \(QuotaExceededError\) while storing the model "m2": nothing of it was stored, and the models stored before are unchanged/);
    expect(err?.message).toMatch(FIX);
    restore!();
    expect((await listStoredModels(DB)).map((m) => m.name)).toEqual(['m1']);
    expect(Array.from((await getStoredModel('m1', DB))!.files['model.safetensors'].slice(0, 3))).toEqual([1, 1, 1]);
  });
});

// ---------------------------------------------------------------- a reload during a write

describe('a reload during a write', () => {
  it('keeps a stage store at its last completed stage: neither the output nor the mark of the interrupted one', async () => {
    const DB = dbName('pending-reload');
    const s = await IdbStageStore.create({ config, preset: null, arms: ['base'], model: { kind: 'embedded', url: 'u' }, dataset: null }, DB);
    await s.complete('pool', { problemIds: ['a'] }, 0.1);
    const puts = failPut(2, 'reload'); // the stage output is put, then the page goes before the mark
    const err = await s.complete('rollouts', [{ id: 'a#0' }], 0.2).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/saving stage "rollouts"[\s\S]*its 1 completed stage is kept \(last: pool\)/);
    expect(puts()).toBe(2);
    restore!();
    const again = await IdbStageStore.open(s.id, DB);
    expect(again.completed).toEqual(['pool']);
    expect(await storedEntries(s.id, DB)).toEqual({ stages: 1, adapters: 0 });
    expect((await failure(again.load('rollouts'))).message).toMatch(/holds no output/);
    await again.discard();
  });

  it('leaves the old finished run and the old model whole', async () => {
    const RUNS = dbName('runs-reload');
    await saveRun(runRecord('r1', '2026-12-01', 'old'), RUNS);
    failPut(1, 'reload');
    expect((await failure(saveRun(runRecord('r1', '2026-12-01', 'new'), RUNS))).message).toMatch(/saving the finished run r1/);
    restore!();
    expect((await getRun('r1', RUNS)) as unknown).toMatchObject({ id: 'r1', note: 'old' });

    const MODELS = dbName('models-reload');
    await saveStoredModel(model('m', 1), MODELS);
    failPut(1, 'reload');
    expect((await failure(saveStoredModel(model('m', 2), MODELS))).message).toMatch(/storing the model "m"/);
    restore!();
    const m = (await getStoredModel('m', MODELS))!;
    expect(m.steps).toBe(10);
    expect(m.files['model.safetensors'].every((b) => b === 1)).toBe(true);
  });
});

// ---------------------------------------------------------------- schema versions

describe('a database of another schema version', () => {
  it('of the older version 1 is upgraded with its records (pending runs, saved runs, models)', async () => {
    const PENDING = dbName('pending-v1');
    const v1 = await rawOpen(PENDING, 1, (db) => {
      db.createObjectStore('runs', { keyPath: 'id' });
      db.createObjectStore('inputs', { keyPath: 'id' });
      db.createObjectStore('stages');
      db.createObjectStore('adapters');
    });
    const meta = { format: 'int-lab-pending-run', version: 1, id: 'run-old', created: '2026-12-01T00:00:00Z', preset: null, config, arms: ['base'], completed: ['pool'], seconds: { pool: 1 }, cannotResume: null, modelLabel: 'embedded', datasetName: null };
    await rawPut(v1, 'runs', meta);
    await rawPut(v1, 'inputs', { id: 'run-old', model: { kind: 'embedded', url: 'u' }, dataset: null });
    await rawPut(v1, 'stages', { problemIds: ['x'] }, ['run-old', 'pool']);
    v1.close();
    const s = await IdbStageStore.open('run-old', PENDING);
    expect(s.completed).toEqual(['pool']);
    expect(await s.load('pool')).toEqual({ problemIds: ['x'] });
    expect((await s.record()).model).toEqual({ kind: 'embedded', url: 'u' });

    const RUNS = dbName('runs-v1');
    const r1 = await rawOpen(RUNS, 1, (db) => db.createObjectStore('runs', { keyPath: 'id' }));
    await rawPut(r1, 'runs', runRecord('r-old', '2026-12-01', 'kept'));
    r1.close();
    expect((await listRuns(RUNS)).map((r) => r.id)).toEqual(['r-old']);
    const runsAfter = await rawOpen(RUNS, 3);
    expect([...runsAfter.objectStoreNames].sort()).toEqual(['exports', 'runs']); // the exports store is added
    runsAfter.close();

    const MODELS = dbName('models-v1');
    const m1 = await rawOpen(MODELS, 1, (db) => db.createObjectStore('models', { keyPath: 'name' }));
    await rawPut(m1, 'models', model('m-old', 3));
    m1.close();
    expect((await listStoredModels(MODELS)).map((m) => m.name)).toEqual(['m-old']);
    const after = await rawOpen(MODELS, 2);
    expect(after.version).toBe(2);
    after.close();
  });

  it('whose store has another shape is refused with the fix, and nothing in it is changed', async () => {
    const MODELS = dbName('models-v1-other');
    const old = await rawOpen(MODELS, 1, (db) => db.createObjectStore('models', { keyPath: 'id' }));
    await rawPut(old, 'models', { id: 'legacy', bytes: 3 });
    old.close();
    expect((await failure(listStoredModels(MODELS))).message).toMatch(/IndexedDB "int-lab-models-v1-other-test-\d+" was written by an older version of InT Lab and cannot be upgraded: its store "models" has key path "id" where this version needs key path "name"\. Nothing in it was changed; export what you want to keep .* then delete the database/);
    const still = await rawOpen(MODELS, 1);
    expect(still.version).toBe(1);
    expect(await rawGetAll(still, 'models')).toEqual([{ id: 'legacy', bytes: 3 }]);
    still.close();

    const RUNS = dbName('runs-v1-missing');
    (await rawOpen(RUNS, 1, (db) => db.createObjectStore('other'))).close();
    expect(await listRuns(RUNS)).toEqual([]); // the missing store is created by the upgrade
  });

  it('held open at version 1 by another tab (an older page) is refused with the fix, then upgraded once that tab closes', async () => {
    const RUNS = dbName('runs-blocked');
    const other = await rawOpen(RUNS, 1, (db) => db.createObjectStore('runs', { keyPath: 'id' })); // never closes on versionchange
    await rawPut(other, 'runs', runRecord('r-tab', '2026-12-01', 'kept'));
    expect((await failure(listRuns(RUNS))).message).toMatch(/needs an upgrade to schema 3, but another tab of InT Lab still has it open; close the other InT Lab tabs and reload/);
    other.close();
    expect((await listRuns(RUNS)).map((r) => r.id)).toEqual(['r-tab']);
  });

  it('from a newer version is refused with the fix', async () => {
    const RUNS = dbName('runs-v9');
    (await rawOpen(RUNS, 9, (db) => db.createObjectStore('runs', { keyPath: 'id' }))).close();
    expect((await failure(listRuns(RUNS))).message).toMatch(/was written by a newer version of InT Lab than this page \(schema 3\); reload the page/);
    expect((await failure(openSchemaDb({ name: RUNS, version: 2, stores: [] }))).message).toMatch(/newer version/);
  });

  it('a pending run stored by another version is listed as one that cannot resume, and opening it says so', async () => {
    const PENDING = dbName('pending-oldmeta');
    const fresh = await IdbStageStore.create({ config, preset: null, arms: ['base'], model: { kind: 'embedded', url: 'u' }, dataset: null }, PENDING);
    const db = await rawOpen(PENDING, 2);
    await rawPut(db, 'runs', { format: 'int-lab-pending-run', version: 0, id: 'run-v0', created: '2026-11-01T00:00:00Z', stages: ['pool'] });
    db.close();
    const list = await listPendingRuns(PENDING);
    expect(list.map((r) => r.id)).toEqual([fresh.id, 'run-v0']);
    expect(list[1].cannotResume).toMatch(/stored by another version of InT Lab \(record format "int-lab-pending-run" version 0; this version reads version 1\) and cannot resume; discard it/);
    expect((await failure(IdbStageStore.open('run-v0', PENDING))).message).toMatch(/the unfinished run "run-v0" was stored by another version[\s\S]*discard it and start the run again/);
  });
});
