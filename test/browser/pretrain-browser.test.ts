// Pretraining inside the browser (Chromium, SwiftShader WebGPU): the storage-independent run on a
// tiny shape fills an in-memory sink (model folder, loss.csv) that loads back through an in-memory
// folder source and generates; stored in IndexedDB it is a run's model choice; the engine worker
// runs one job at a time, stops early and cancels; the Pretrain view shows settings and progress.
import * as Comlink from 'comlink';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { loadBaseModel } from '../../src/int/model';
import { MemoryFolderSource } from '../../src/io/folder';
import { generate } from '../../src/model/generate';
import { CSV_HEADER, MemoryPretrainSink, PRETRAIN_RUN_DEFAULTS, runPretrain, type PretrainRunConfig, type PretrainStepInfo } from '../../src/pretrain';
import { deleteStoredModel, getStoredModel, listStoredModels, modelFolderTar, saveStoredModel } from '../../src/worker/models-db';
import { pretrainView } from '../../src/ui/views/pretrain';
import { loadModel } from '../../src/worker/browser-run';
import type { EngineApi, PretrainEvents } from '../../src/worker/protocol';
import { getTestGpu } from '../shared/gpu-env';
import { until } from '../shared/until';

/** A tiny shape: 1 layer, width 32, ~512-token steps, no probe, no time budget, small own-attempt rounds. */
const TINY: Partial<PretrainRunConfig> = {
  hidden: 32,
  layers: 1,
  heads: 2,
  kvHeads: 1,
  intermediate: 64,
  maxPositions: 1024,
  microBatchTokens: 1024,
  batchTokens: 512,
  steps: 3,
  lr: 1e-2,
  warmupSteps: 0,
  probeEvery: 0,
  saveEvery: 0,
  maxMinutes: 0,
  // The recipe's own-attempt round (from half-way) on 2 problems x 1 attempt, so the app's path samples too.
  selfVerifyProblems: 2,
  selfVerifySamples: 1,
};

let gpu: Gpu;
const testModel = `test-pretrained-${Date.now()}`;
beforeAll(async () => {
  gpu = await getTestGpu();
});
afterAll(async () => {
  await deleteStoredModel(testModel).catch(() => undefined);
});


describe('pretraining in the browser', () => {
  it('trains a few steps into an in-memory folder that loads back, generates, and is a stored model choice', async () => {
    const t0 = performance.now();
    const sink = new MemoryPretrainSink();
    const steps: PretrainStepInfo[] = [];
    const r = await runPretrain({ ...TINY, gpu, log: () => {}, onStep: (s) => steps.push(s) }, sink);
    console.log(`[pretrain-browser] 3 steps in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${r.tokens} tokens`);
    expect(r.steps).toBe(3);
    expect(r.ownRounds).toBe(1); // the recipe samples its own attempts from half-way
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    steps.forEach((s) => expect(Number.isFinite(s.loss) && s.tokensPerSecond > 0).toBe(true));
    expect(steps[2].progress).toBe(1);

    const files = sink.files();
    expect(Object.keys(files).sort()).toEqual(['config.json', 'generation_config.json', 'loss.csv', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const [head, ...rows] = new TextDecoder().decode(files['loss.csv']).trim().split('\n');
    expect(head).toBe(CSV_HEADER);
    expect(rows.map((row) => Number(row.split(',')[0]))).toEqual([1, 2, 3]);
    expect(rows.map((row) => Number(row.split(',')[4]))).toEqual(steps.map((s) => Number(s.loss.toFixed(5))));
    expect(Number(rows[2].split(',')[3])).toBe(r.tokens);

    // Back through the same path a run's model takes: an in-memory folder source.
    const base = await loadBaseModel(gpu, new MemoryFolderSource(files, 'the test folder'), 'test');
    try {
      expect(base.decoder.config.hiddenSize).toBe(32);
      expect(base.codec.kind).toBe('char');
      const [s] = await generate(base.decoder, [base.codec.promptIds('q:12 +3 *4')], { maxNewTokens: 4, seed: 1, eosIds: [] });
      expect(s.tokens.length).toBe(4);
    } finally {
      base.decoder.weights.release();
      base.decoder.release();
    }

    // Stored in IndexedDB, it is what a run loads for { kind: 'stored', name }.
    await saveStoredModel({ name: testModel, files, created: new Date().toISOString(), steps: r.steps, tokens: r.tokens, minutes: r.seconds / 60, params: r.params, lastLoss: r.lastLoss });
    const listed = (await listStoredModels()).find((m) => m.name === testModel);
    expect(listed).toMatchObject({ steps: 3, tokens: r.tokens, params: r.params });
    expect(listed?.bytes).toBe(Object.values(files).reduce((n, b) => n + b.byteLength, 0));
    const back = await getStoredModel(testModel);
    expect(Array.from(back!.files['model.safetensors'])).toEqual(Array.from(files['model.safetensors']));
    const run = await loadModel(gpu, { kind: 'stored', name: testModel }, 0);
    try {
      expect(run.randomInit).toBe(false);
      expect(run.label).toBe(testModel);
      expect(run.decoder.config.numLayers).toBe(1);
    } finally {
      run.decoder.weights.release();
      run.decoder.release();
    }
    await expect(loadModel(gpu, { kind: 'stored', name: 'no-such-model' }, 0)).rejects.toThrow(/no model "no-such-model" is stored/);

    // The download: a tar whose first entry is "<name>/config.json" with the file's bytes.
    const tar = modelFolderTar({ name: testModel, files });
    const text = (a: number, b: number) => new TextDecoder().decode(tar.subarray(a, b)).replace(/\0.*$/s, '');
    expect(text(0, 100)).toBe(`${testModel}/config.json`);
    expect(parseInt(text(124, 136), 8)).toBe(files['config.json'].byteLength);
    expect(text(257, 262)).toBe('ustar');
    expect(Array.from(tar.subarray(512, 512 + files['config.json'].byteLength))).toEqual(Array.from(files['config.json']));
  });

  it('stops early (saving) and cancels (rejecting) on request', async () => {
    const stopped = new MemoryPretrainSink();
    const r = await runPretrain({ ...TINY, steps: 50, gpu, log: () => {}, stopEarly: () => true }, stopped);
    expect(r.steps).toBe(1);
    expect(stopped.files()['model.safetensors']?.byteLength).toBeGreaterThan(0);
    const cancelled = new MemoryPretrainSink();
    let n = 0;
    await expect(runPretrain({ ...TINY, gpu, log: () => {}, onStep: () => n++, cancelled: () => n >= 1 }, cancelled)).rejects.toThrow(/pretraining was cancelled at step 1/);
    expect(cancelled.model).toEqual({});
  });

  it('runs in the engine worker one job at a time and stores the model in IndexedDB', async () => {
    const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module' });
    const engine = Comlink.wrap<EngineApi>(worker);
    try {
      await engine.init();
      const seen: PretrainStepInfo[] = [];
      const logs: string[] = [];
      const events: PretrainEvents = { log: (l) => logs.push(l), step: (s) => seen.push(s), probe: () => {} };
      const job = engine.pretrain({ ...TINY, steps: 200 }, Comlink.proxy(events));
      await until('the first pretraining step', () => seen.length > 0, 60_000);
      await expect(engine.pretrain(TINY, Comlink.proxy(events))).rejects.toThrow(/a pretraining is already in progress/);
      await engine.stopPretrain();
      const m = await job;
      expect(m.name).toMatch(/^pretrained-\d{4}-/);
      expect(m.steps).toBeGreaterThanOrEqual(1);
      expect(m.steps).toBeLessThan(200);
      expect(logs.some((l) => l.includes('stopped early'))).toBe(true);
      const stored = await getStoredModel(m.name);
      expect(Object.keys(stored!.files)).toContain('model.safetensors');
      expect(new TextDecoder().decode(stored!.files['loss.csv']).trim().split('\n')).toHaveLength(m.steps + 1);
      await deleteStoredModel(m.name);
      // a model saved at once leaves nothing unsaved behind
      expect(await engine.unsavedModelTar()).toBeNull();
      await expect(engine.saveUnsavedModel()).rejects.toThrow(/no unsaved pretrained model/);

      // Cancel: the job rejects and nothing is stored.
      const before = (await listStoredModels()).length;
      seen.length = 0;
      const cancelled = engine.pretrain({ ...TINY, steps: 200 }, Comlink.proxy(events));
      await until('a step of the second pretraining', () => seen.length > 0, 60_000);
      await engine.cancel();
      await expect(cancelled).rejects.toThrow(/pretraining was cancelled/);
      expect((await listStoredModels()).length).toBe(before);
    } finally {
      worker.terminate();
    }
  });
});

describe('Pretrain view', () => {
  it('shows the settings with their defaults, sends the changed ones, and shows progress and the stored model', async () => {
    let sent: unknown = null;
    let storedName = '';
    const view = pretrainView({
      async start(settings, events) {
        sent = settings;
        events.step({ step: 1, steps: 5, loss: 3.9876, lr: 1e-3, gradNorm: 1, examples: 4, tokens: 800, elapsed: 2, tokensPerSecond: 400, progress: 0.2, skipped: null });
        events.log('[pretrain] step 1/5');
        return { name: 'pretrained-x', created: '', steps: 5, tokens: 4000, minutes: 0.2, params: 1234, lastLoss: 3.1, bytes: 100 };
      },
      cancel: () => {},
      stop: () => {},
      remove: async () => {},
      stored: (m) => (storedName = m.name),
      saveAgain: async () => ({ name: 'unused', created: '', steps: 0, tokens: 0, minutes: 0, params: 0, lastLoss: 0, bytes: 0 }),
      unsavedTar: async () => null,
    });
    document.body.append(view.root);
    try {
      const input = (k: string) => view.root.querySelector<HTMLInputElement>(`input[data-pretrain=${k}]`)!;
      expect(input('maxMinutes').value).toBe(String(PRETRAIN_RUN_DEFAULTS.maxMinutes));
      expect(input('hidden').parentElement?.querySelector('.default')?.textContent).toBe(`default ${PRETRAIN_RUN_DEFAULTS.hidden}`);
      for (const k of ['steps', 'layers', 'lr', 'seed']) expect(input(k)).not.toBeNull();
      const status = view.root.querySelector('[data-testid=pretrain-status]')!;
      const cancel = view.root.querySelector<HTMLButtonElement>('[data-testid=pretrain-cancel]')!;
      expect(cancel.disabled).toBe(true);

      input('steps').value = '2.5';
      view.root.querySelector<HTMLButtonElement>('[data-testid=pretrain-start]')!.click();
      expect(status.textContent).toMatch(/optimiser steps: "2.5" is not a whole number/);

      input('steps').value = '5';
      input('hidden').value = '32';
      view.root.querySelector<HTMLButtonElement>('[data-testid=pretrain-start]')!.click();
      await until('the finished status', () => storedName, 5_000);
      expect(sent).toEqual({ steps: 5, hidden: 32 });
      expect(status.textContent).toContain('stored as pretrained-x');
      expect(view.root.querySelector('.plot')).not.toBeNull();
      view.showModels([{ name: 'pretrained-x', created: '', steps: 5, tokens: 4000, minutes: 0.2, params: 1234, lastLoss: 3.1, bytes: 100 }]);
      expect(view.root.querySelectorAll('[data-testid=stored-model]')).toHaveLength(1);
    } finally {
      view.root.remove();
    }
  });
});

describe('Pretrain view, when the store refuses the finished model', () => {
  it('keeps the error and offers "Save again" (stores it, then says so) and "Download it"', async () => {
    let saved = 0;
    let asked = 0;
    const stored: string[] = [];
    const model = { name: 'pretrained-y', created: '', steps: 5, tokens: 4000, minutes: 0.2, params: 1234, lastLoss: 3.1, bytes: 100 };
    const view = pretrainView({
      start: async () => {
        throw new Error('IndexedDB has no room left (QuotaExceededError). The trained model pretrained-y is kept in this tab: free space, then "Save again", or "Download it" as a .tar.');
      },
      cancel: () => {},
      stop: () => {},
      remove: async () => {},
      stored: (m) => stored.push(m.name),
      saveAgain: async () => (saved++, model),
      unsavedTar: async () => (asked++, { name: 'pretrained-y', tar: new Uint8Array(1024) }),
    });
    document.body.append(view.root);
    try {
      view.root.querySelector<HTMLButtonElement>('[data-testid=pretrain-start]')!.click();
      const again = await until('the Save again button', () => view.root.querySelector<HTMLButtonElement>('[data-testid=pretrain-save-again]'), 5_000);
      const status = view.root.querySelector('[data-testid=pretrain-status]')!;
      expect(status.textContent).toMatch(/QuotaExceededError.*kept in this tab/);
      view.root.querySelector<HTMLButtonElement>('[data-testid=pretrain-download-unsaved]')!.click();
      await until('the tar asked for', () => asked === 1, 5_000);
      again.click();
      await until('the model stored', () => stored.length === 1, 5_000);
      expect(saved).toBe(1);
      expect(stored).toEqual(['pretrained-y']);
      expect(status.textContent).toContain('stored as pretrained-y');
      expect(view.root.querySelector('[data-testid=pretrain-save-again]')).toBeNull();
    } finally {
      view.root.remove();
    }
  });
});
