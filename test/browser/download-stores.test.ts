// The browser stores behind the Models tab and the run downloads (Chromium, Vitest browser mode):
// the OPFS and Cache API download caches list complete and partial entries with their sizes and
// forget what is deleted; a run's export files are stored beside it in IndexedDB, read back
// byte-identical, and deleted with the run.
import { afterAll, describe, expect, it } from 'vitest';
import { CacheApiStore, OpfsStore, type BlobStore } from '../../src/io/cache';
import type { RunRecord } from '../../src/worker/protocol';
import { deleteRun, getRun, getRunExports, saveRun, saveRunExports } from '../../src/worker/runs-db';

const ROOT = `int-lab-hub-test-${Date.now()}`;
afterAll(async () => {
  await (await navigator.storage.getDirectory()).removeEntry(ROOT, { recursive: true }).catch(() => {});
  await caches.delete(ROOT);
});

async function fill(store: BlobStore): Promise<void> {
  const a = await store.append('o/m/main/config.json');
  await a.write(new Uint8Array(12).fill(1));
  await a.close();
  await store.commit('o/m/main/config.json');
  const b = await store.append('o/m/main/model.safetensors');
  await b.write(new Uint8Array(30).fill(2));
  await b.close();
}

describe('download cache listing in the browser', () => {
  it('OPFS lists the committed file and the partial one (which survives as bytes on disk)', async () => {
    const store = new OpfsStore(ROOT);
    await fill(store);
    expect(await store.list()).toEqual([
      { key: 'o/m/main/config.json', size: 12, complete: true },
      { key: 'o/m/main/model.safetensors', size: 30, complete: false },
    ]);
    // a fresh store object (as after a reload) sees the same partial bytes to resume from
    expect(await new OpfsStore(ROOT).partialSize('o/m/main/model.safetensors')).toBe(30);
    await store.delete('o/m/main/config.json');
    await store.delete('o/m/main/model.safetensors');
    expect(await store.list()).toEqual([]);
  });

  it('the Cache API store lists committed files and the partial one held in memory', async () => {
    const store = new CacheApiStore(ROOT);
    await fill(store);
    expect(await store.list()).toEqual([
      { key: 'o/m/main/config.json', size: 12, complete: true },
      { key: 'o/m/main/model.safetensors', size: 30, complete: false },
    ]);
    await store.delete('o/m/main/config.json');
    await store.delete('o/m/main/model.safetensors');
    expect(await store.list()).toEqual([]);
  });
});

describe('run export files in IndexedDB', () => {
  it('are stored beside the run, read back byte-identical and deleted with it', async () => {
    const id = `run-test-${Date.now()}`;
    const run = { format: 'int-lab-run', version: 1, id, created: new Date().toISOString(), results: { arms: {} } } as unknown as RunRecord;
    const weights = new Uint8Array(1000).map((_, i) => i % 251);
    await saveRun(run);
    expect(await getRunExports(id)).toBeNull();
    await saveRunExports(id, { 'adapters/int_rl/adapter_model.safetensors': weights, 'sft/sft.jsonl': new TextEncoder().encode('{}\n') });
    const back = await getRunExports(id);
    expect(Object.keys(back ?? {}).sort()).toEqual(['adapters/int_rl/adapter_model.safetensors', 'sft/sft.jsonl']);
    expect([...back!['adapters/int_rl/adapter_model.safetensors']]).toEqual([...weights]);
    await deleteRun(id);
    expect(await getRun(id)).toBeUndefined();
    expect(await getRunExports(id)).toBeNull();
  });
});
