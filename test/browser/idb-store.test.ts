// The IndexedDB stage store of browser runs (Chromium, Vitest browser mode): stage outputs, LoRA
// adapter bytes from a real LoraAdapter on WebGPU, the pending-run record with its model files and
// dataset bytes, listing newest first, atomic completion, and removal of everything of one run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { presetConfig } from '../../src/int/config';
import { randomBaseModel } from '../../src/int/model';
import { LoraAdapter } from '../../src/model/lora';
import { deletePendingRun, IdbStageStore, listPendingRuns, storedEntries } from '../../src/worker/idb-store';
import { getTestGpu } from '../shared/gpu-env';

const DB = `int-lab-pending-test-${Date.now()}`;
const config = presetConfig('chains-smoke', { seed: 5 });
let gpu: Gpu;

beforeAll(async () => {
  gpu = await getTestGpu();
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      const r = indexedDB.deleteDatabase(DB);
      r.onsuccess = r.onerror = r.onblocked = () => resolve();
    }),
);

describe('IndexedDB stage store', () => {
  it('round-trips stage outputs, adapter bytes and the pending record across opens', async () => {
    const bytes = new TextEncoder().encode('question,answer\n1+1,2\n');
    const store = await IdbStageStore.create({ config, preset: 'chains-smoke', arms: ['base', 'int_rl'], model: { kind: 'embedded', url: 'http://x/models/chains-tiny/' }, dataset: { name: 'tiny.csv', bytes } }, DB);
    expect(store.id).toMatch(/^run-/);
    expect(store.has('pool')).toBe(false);
    const pool = { outcomes: [{ problemId: 'p1', tier: 'easy', n: 2, c: 0 }], problemIds: ['p1', 'p2'] };
    const attempts = [{ id: 'p1#0', problemId: 'p1', tier: 'easy', text: 'a=1\nb=2', correct: false, reason: 'wrong answer' }];
    await store.complete('pool', pool, 1.23456);
    await store.complete('rollouts', attempts, 0.5);
    expect(store.has('pool')).toBe(true);

    // a real adapter's PEFT files, as the pipeline saves them
    const base = randomBaseModel(gpu, 0);
    const adapter = LoraAdapter.create(gpu, base.table, { ...config.lora, seed: 7 });
    const files = await adapter.save(base.baseName);
    await store.saveAdapter('int_rl/sft', files);

    const again = await IdbStageStore.open(store.id, DB);
    expect(again.completed).toEqual(['pool', 'rollouts']);
    expect(again.seconds).toEqual({ pool: 1.235, rollouts: 0.5 });
    expect(await again.load('pool')).toEqual(pool);
    expect(await again.load('rollouts')).toEqual(attempts);
    const back = await again.loadAdapter('int_rl/sft');
    expect(back.config).toBe(files.config);
    expect(Array.from(back.safetensors)).toEqual(Array.from(files.safetensors));
    const reloaded = await LoraAdapter.load(gpu, base.table, back.config, back.safetensors);
    expect(Array.from((await reloaded.save(base.baseName)).safetensors)).toEqual(Array.from(files.safetensors));
    for (const a of [adapter, reloaded]) a.release();
    base.decoder.weights.release();
    base.decoder.release();
    await expect(again.loadAdapter('int_rl/rl')).rejects.toThrow(/no LoRA adapter "int_rl\/rl"/);

    const rec = await again.record();
    expect(rec.config).toEqual(config);
    expect(rec.preset).toBe('chains-smoke');
    expect(rec.arms).toEqual(['base', 'int_rl']);
    expect(rec.model).toEqual({ kind: 'embedded', url: 'http://x/models/chains-tiny/' });
    expect(rec.dataset?.name).toBe('tiny.csv');
    expect(new TextDecoder().decode(rec.dataset!.bytes)).toBe('question,answer\n1+1,2\n');
    expect(rec.cannotResume).toBeNull();
    await deletePendingRun(store.id, DB);
  });

  it('keeps a local model folder (File objects) so that such a run can resume', async () => {
    const files = [new File(['{"model_type":"llama"}'], 'config.json'), new File([new Uint8Array([1, 2, 3])], 'model.safetensors')];
    const store = await IdbStageStore.create({ config, preset: null, arms: ['base'], model: { kind: 'folder', files }, dataset: null }, DB);
    const rec = await (await IdbStageStore.open(store.id, DB)).record();
    expect(rec.cannotResume).toBeNull();
    if (rec.model.kind !== 'folder') throw new Error(`expected a folder model, got ${rec.model.kind}`);
    expect(rec.model.files.map((f) => f.name)).toEqual(['config.json', 'model.safetensors']);
    expect(await rec.model.files[0].text()).toBe('{"model_type":"llama"}');
    expect(Array.from(new Uint8Array(await rec.model.files[1].arrayBuffer()))).toEqual([1, 2, 3]);
    const listed = (await listPendingRuns(DB)).find((r) => r.id === store.id);
    expect(listed?.model).toBe('local folder (2 files)');
    await store.discard();
  });

  it('lists pending runs newest first and removes one run without touching another', async () => {
    const a = await IdbStageStore.create({ config, preset: 'a', arms: ['base'], model: { kind: 'hub', id: 'org/m' }, dataset: null }, DB);
    await new Promise((r) => setTimeout(r, 5));
    const b = await IdbStageStore.create({ config, preset: 'b', arms: ['base', 'rl'], model: { kind: 'embedded', url: 'u' }, dataset: null }, DB);
    for (const s of [a, b]) {
      await s.complete('pool', { outcomes: [], problemIds: [] }, 0.1);
      await s.saveAdapter('rl/rl', { config: '{}', safetensors: new Uint8Array([9]) });
    }
    await b.complete('rollouts', [], 0.2);
    const list = await listPendingRuns(DB);
    expect(list.map((r) => r.id)).toEqual([b.id, a.id]);
    expect(list[0]).toMatchObject({ preset: 'b', arms: ['base', 'rl'], model: 'embedded', dataset: null, completed: ['pool', 'rollouts'], cannotResume: null });
    expect(list[1]).toMatchObject({ preset: 'a', model: 'hub org/m', completed: ['pool'] });

    await deletePendingRun(b.id, DB);
    expect((await listPendingRuns(DB)).map((r) => r.id)).toEqual([a.id]);
    expect(await storedEntries(b.id, DB)).toEqual({ stages: 0, adapters: 0 });
    expect(await storedEntries(a.id, DB)).toEqual({ stages: 1, adapters: 1 });
    await expect(IdbStageStore.open(b.id, DB)).rejects.toThrow(/no unfinished run/);
    expect(await (await IdbStageStore.open(a.id, DB)).load('pool')).toEqual({ outcomes: [], problemIds: [] });
    await a.discard();
    expect(await listPendingRuns(DB)).toEqual([]);
    expect(await storedEntries(a.id, DB)).toEqual({ stages: 0, adapters: 0 });
  });

  it('does not mark a stage complete when its output cannot be stored', async () => {
    const s = await IdbStageStore.create({ config, preset: null, arms: ['base'], model: { kind: 'embedded', url: 'u' }, dataset: null }, DB);
    await expect(s.complete('pool', { f: () => 1 }, 0.1)).rejects.toThrow(/IndexedDB refused saving stage "pool" of run run-.* \(DataCloneError: .*\): nothing of it was stored, and no stage of this run had completed yet\. .* a bug in InT Lab/);
    expect(s.has('pool')).toBe(false);
    expect((await IdbStageStore.open(s.id, DB)).completed).toEqual([]);
    expect(await storedEntries(s.id, DB)).toEqual({ stages: 0, adapters: 0 });
    await s.discard();
  });
});
