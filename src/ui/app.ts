// The single-page app: starts the engine worker, shows the WebGPU report (or the no-WebGPU page),
// and switches between the setup, run, rollouts, results, saved-runs and pretrain views; unfinished
// runs stored by the worker are listed above the setup view with Resume / Discard, and models
// pretrained in the browser become model choices in the setup view.
import * as Comlink from 'comlink';
import type { AdapterReport } from '../gpu';
import type { ArmId } from '../int/arms';
import { button, el } from './dom';
import { deleteStoredModel, listStoredModels, type StoredModelSummary } from '../worker/models-db';
import { deleteRun, listRuns, parseRunJson, saveRun } from '../worker/runs-db';
import { resolveSettings, settingsFromHash, settingsToHash, type Settings } from './state';
import { noWebgpuPage, webgpuReport } from './views/webgpu';
import { setupView } from './views/setup';
import { pendingRunsView, runView } from './views/run';
import { rolloutsView } from './views/rollouts';
import { resultsView } from './views/results';
import { pretrainView } from './views/pretrain';
import type { EngineApi, ModelChoice, PendingRunSummary, RunEvents, RunRecord } from '../worker/protocol';
import './style.css';

export interface AppOptions {
  /** Absolute URL of the embedded model folder. Default ./models/chains-tiny/ next to the page. */
  modelUrl?: string;
  /** Start the experiment at once (zero-setup start from a link: #...&autorun=1). */
  autorun?: boolean;
}

type Tab = 'setup' | 'run' | 'rollouts' | 'results' | 'runs' | 'pretrain';

export interface App {
  engine: Comlink.Remote<EngineApi>;
  settings: Settings;
  /** Resolves with the adapter report, or null when WebGPU is missing. */
  ready: Promise<AdapterReport | null>;
  show(tab: Tab): void;
  run(): Promise<RunRecord | null>;
  /** Continue a stored unfinished run (see pendingRuns()). */
  resume(runId: string): Promise<RunRecord | null>;
  /** Unfinished runs stored in this browser (re-read from the worker). */
  pendingRuns(): Promise<PendingRunSummary[]>;
  /** Models pretrained in this browser (re-read from IndexedDB; they are also model choices). */
  storedModels(): Promise<StoredModelSummary[]>;
  /** The run shown in the results view. */
  readonly current: RunRecord | null;
  dispose(): void;
}

export function mountApp(root: HTMLElement, opts: AppOptions = {}): App {
  const modelUrl = opts.modelUrl ?? new URL('./models/chains-tiny/', location.href).href;
  const { settings, problems } = settingsFromHash(location.hash);
  const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module' });
  const engine = Comlink.wrap<EngineApi>(worker);
  let report: AdapterReport | null = null;
  let current: RunRecord | null = null;
  let running = false;

  const header = el('header', {}, el('h1', { text: 'InT Lab' }), el('p', { text: 'Intervention Training in your browser: rollouts, self-proposed interventions, LoRA SFT and RL on WebGPU.' }));
  const status = el('p', { cls: 'status', text: 'Starting the engine…', attrs: { 'data-testid': 'status' } });
  const gpuBox = el('div');
  const nav = el('nav', { cls: 'tabs' });
  const panes: Record<Tab, HTMLElement> = { setup: el('div'), run: el('div'), rollouts: el('div'), results: el('div'), runs: el('div'), pretrain: el('div') };
  let stored: StoredModelSummary[] = [];
  let pending: PendingRunSummary[] = [];
  const pendingBox = el('div');
  const setupBox = el('div');
  panes.setup.append(pendingBox, setupBox);
  const tabButtons = {} as Record<Tab, HTMLButtonElement>;
  for (const t of Object.keys(panes) as Tab[]) {
    tabButtons[t] = button(t[0].toUpperCase() + t.slice(1), () => show(t), { 'data-tab': t });
    nav.append(tabButtons[t]);
  }
  root.replaceChildren(header, status, gpuBox, nav, ...Object.values(panes));
  panes.results.append(el('p', { text: 'No run yet: start one in the setup view, or open a saved / imported run under Runs.' }));
  panes.rollouts.append(el('p', { text: 'No run yet.' }));
  for (const p of problems) status.after(el('p', { cls: 'status error', text: p }));

  function show(tab: Tab): void {
    for (const [t, p] of Object.entries(panes)) p.hidden = t !== tab;
    for (const [t, b] of Object.entries(tabButtons)) b.classList.toggle('active', t === tab);
    if (tab === 'runs') void renderRuns();
  }
  show('setup');
  const changed = () => history.replaceState(null, '', settingsToHash(settings));

  function renderSetup(): void {
    setupBox.replaceChildren(setupView({ settings, report, storedModels: stored, checkDataset: (u) => engine.checkDataset(u), changed, run: () => void run() }));
  }

  const pretrain = pretrainView({
    start: (s, events) => engine.pretrain(s, Comlink.proxy(events)),
    cancel: () => void engine.cancel(),
    stop: () => void engine.stopPretrain(),
    remove: async (name) => {
      await deleteStoredModel(name);
      if (settings.model.kind === 'stored' && settings.model.name === name) settings.model = { kind: 'embedded' };
      await storedModels();
    },
    stored: () => void storedModels(),
  });
  panes.pretrain.append(pretrain.root);

  async function storedModels(): Promise<StoredModelSummary[]> {
    try {
      stored = await listStoredModels();
    } catch (e) {
      stored = [];
      status.className = 'status error';
      status.textContent = `pretrained models could not be listed: ${(e as Error).message}`;
    }
    pretrain.showModels(stored);
    if (report) renderSetup();
    return stored;
  }

  function showRun(r: RunRecord): void {
    current = r;
    panes.results.replaceChildren(resultsView(r));
    panes.rollouts.replaceChildren(rolloutsView(r));
  }

  async function renderRuns(): Promise<void> {
    const pane = panes.runs;
    const imp = el('input', { attrs: { type: 'file', accept: '.json,application/json' } });
    const err = el('p', { cls: 'status error', attrs: { role: 'alert' } });
    imp.addEventListener('change', async () => {
      const f = imp.files?.[0];
      if (!f) return;
      try {
        const r = parseRunJson(await f.text(), f.name);
        await saveRun(r);
        showRun(r);
        show('results');
      } catch (e) {
        err.textContent = (e as Error).message;
      }
    });
    const list = el('ul');
    try {
      for (const r of await listRuns()) {
        const arms = Object.keys(r.results.arms).length;
        list.append(
          el('li', { attrs: { 'data-testid': 'saved-run' } }, `${r.created} · ${r.preset ?? 'custom'} · seed ${r.config.seed} · ${arms} arms `, button('Open', () => (showRun(r), show('results'))), ' ', button('Delete', () => void deleteRun(r.id).then(renderRuns))),
        );
      }
    } catch (e) {
      err.textContent = (e as Error).message;
    }
    if (!list.firstChild) list.append(el('li', { text: 'no saved runs yet' }));
    pane.replaceChildren(el('h2', { text: 'Saved runs' }), list, el('p', {}, 'Import a run JSON: ', imp), err);
  }

  async function pendingRuns(): Promise<PendingRunSummary[]> {
    try {
      pending = await engine.listPendingRuns();
    } catch (e) {
      pending = [];
      pendingBox.replaceChildren(el('p', { cls: 'status error', text: `unfinished runs could not be listed: ${(e as Error).message}` }));
      return pending;
    }
    renderPending();
    return pending;
  }

  function renderPending(): void {
    pendingBox.replaceChildren(pendingRunsView(pending, { resume: (id) => void resume(id), discard: (id) => void discard(id) }, running));
  }

  async function discard(id: string): Promise<void> {
    try {
      await engine.discardPendingRun(id);
    } catch (e) {
      status.className = 'status error';
      status.textContent = (e as Error).message;
    }
    await pendingRuns();
  }

  /** Show the run view and drive one run (new or resumed) to its end. */
  async function drive(arms: readonly ArmId[], stored: readonly string[], start: (events: RunEvents) => Promise<RunRecord>): Promise<RunRecord | null> {
    running = true;
    renderPending();
    const view = runView(arms, { pause: () => void engine.pause(), resume: () => void engine.resume(), cancel: () => void engine.cancel() }, stored);
    panes.run.replaceChildren(view.root);
    show('run');
    const t0 = performance.now();
    try {
      const r = await start(Comlink.proxy(view.events));
      view.finish(`finished in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      showRun(r);
      try {
        await saveRun(r);
      } catch (e) {
        view.events.note(`not saved: ${(e as Error).message}`);
      }
      return r;
    } catch (e) {
      view.finish((e as Error).message, true);
      return null;
    } finally {
      running = false;
      await pendingRuns();
    }
  }

  async function run(): Promise<RunRecord | null> {
    if (running) return null;
    let config;
    try {
      config = resolveSettings(settings);
    } catch (e) {
      status.className = 'status error';
      status.textContent = (e as Error).message;
      return null;
    }
    const model: ModelChoice = settings.model.kind === 'embedded' ? { kind: 'embedded', url: modelUrl } : settings.model;
    return drive(settings.arms, [], (events) => engine.runExperiment(config, settings.preset, settings.arms, model, settings.dataset, events));
  }

  async function resume(runId: string): Promise<RunRecord | null> {
    if (running) return null;
    const p = pending.find((r) => r.id === runId) ?? (await pendingRuns()).find((r) => r.id === runId);
    if (!p) {
      status.className = 'status error';
      status.textContent = `no unfinished run "${runId}" is stored in this browser`;
      return null;
    }
    return drive(p.arms, p.completed, (events) => engine.resumeExperiment(runId, events));
  }

  const ready = (async () => {
    try {
      report = await engine.init();
      status.textContent = 'Ready. Press "Run experiment" for a browser-sized run on the embedded model and the procedural world.';
      gpuBox.replaceChildren(webgpuReport(report));
      renderSetup();
      show('setup');
      await pendingRuns();
      await storedModels();
      // Runs survive reloads: the newest saved run fills the results and rollouts views.
      listRuns()
        .then((rs) => !current && rs[0] && showRun(rs[0]))
        .catch(() => undefined);
      const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
      if (opts.autorun || hash.get('autorun') === '1') void run();
      return report;
    } catch (e) {
      status.textContent = '';
      gpuBox.replaceChildren(noWebgpuPage((e as Error).message));
      nav.hidden = true;
      show('runs'); // saved and imported runs can still be viewed without WebGPU
      return null;
    }
  })();

  return {
    engine,
    settings,
    ready,
    show,
    run,
    resume,
    pendingRuns,
    storedModels,
    dispose() {
      worker.terminate();
      root.replaceChildren();
    },
    get current() {
      return current;
    },
  };
}
