// The single-page app: opens on the published result (a run computed with the command-line runner,
// read from public/results/), starts the engine worker, shows the WebGPU report (or the no-WebGPU
// page), and switches between the published, setup, run, rollouts, results, saved-runs and pretrain
// views; unfinished runs stored by the worker are listed above the setup view with Resume / Discard
// (the page opens on the setup view when there are some), and models pretrained in the browser
// become model choices in the setup view.
import * as Comlink from 'comlink';
import type { AdapterReport } from '../gpu';
import type { ArmId } from '../int/arms';
import type { IntConfig } from '../int/config';
import { button, el } from './dom';
import { deleteStoredModel, listStoredModels, type StoredModelSummary } from '../worker/models-db';
import { getRunExports, listRuns, saveRun } from '../worker/runs-db';
import { defaultSettings, resolveSettings, settingsFromHash, settingsToHash, type Settings } from './state';
import { noWebgpuPage, webgpuReport } from './views/webgpu';
import { setupView } from './views/setup';
import { setupProblems } from './setup-check';
import { pendingRunsView, runView, stageNames } from './views/run';
import { focusOf, rolloutsView } from './views/rollouts';
import { pipelineDiagram, type NodeId } from './views/pipeline';
import { interveneView } from './views/intervene';
import { resultsView } from './views/results';
import { pretrainView, type PretrainView } from './views/pretrain';
import { renderSavedRuns } from './views/saved-runs';
import { publishedPane } from './views/published';
import { runDownloads } from './views/run-downloads';
import { modelCacheView, type ModelCacheView } from './views/model-cache';
import { KNOWN_MODELS } from './views/models';
import { EMBEDDED_MODEL, PUBLISHED_RUN, type EngineApi, type ModelChoice, type PendingRunSummary, type RunEvents, type RunRecord } from '../worker/protocol';
import './style.css';

export interface AppOptions {
  /** Absolute URL of the embedded model folder. Default EMBEDDED_MODEL.path next to the page. */
  modelUrl?: string;
  /** Start the experiment at once (zero-setup start from a link: #...&autorun=1). */
  autorun?: boolean;
  /** URL of the published run's folder (results.json, published.json). Default
   *  PUBLISHED_RUN.path next to the page. */
  publishedUrl?: string;
}

type Tab = 'published' | 'setup' | 'run' | 'rollouts' | 'intervene' | 'results' | 'runs' | 'models' | 'pretrain';
const TAB_LABELS: Partial<Record<Tab, string>> = { published: 'Published result', intervene: 'Intervene yourself' };

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
  const modelUrl = opts.modelUrl ?? new URL(`./${EMBEDDED_MODEL.path}`, location.href).href;
  const publishedUrl = opts.publishedUrl ?? new URL(`./${PUBLISHED_RUN.path}`, location.href).href;
  const { settings, problems } = settingsFromHash(location.hash);
  const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module' });
  const engine = Comlink.wrap<EngineApi>(worker);
  let report: AdapterReport | null = null;
  let current: RunRecord | null = null;
  let stored: StoredModelSummary[] = [];

  const shell = buildShell(root, problems, (t) => show(t));
  const models = modelCacheView({
    download: (id, onProgress) => engine.downloadModel(id, Comlink.proxy(onProgress)),
    list: () => engine.modelCache(),
    clear: (repo) => engine.clearModelCache(repo),
    suggestions: KNOWN_MODELS.map((m) => m.id),
  });
  shell.panes.models.append(models.root);
  const intervene = interveneView({
    publishedUrl,
    modelUrl,
    dataset: () => settings.dataset,
    attemptProblem: (c, ds, id) => engine.attemptProblem(c, ds, id),
    continueFrom: (req, events) => engine.continueFrom(req, Comlink.proxy(events)),
    cancel: () => void engine.cancel(),
  });
  shell.panes.intervene.append(intervene.root);
  /** An intervention card's "Try your own step": that attempt in Intervene yourself. */
  function tryStep(attemptId: string, from: 'published' | 'run'): void {
    show('intervene');
    void intervene.open(attemptId, from);
  }
  function show(tab: Tab): void {
    showTab(shell, tab);
    if (tab === 'intervene') intervene.activate();
    if (tab === 'runs') void renderSavedRuns(shell.panes.runs, (r) => (showRun(r), show('results')));
    if (tab === 'models') void models.refresh();
  }
  /** The run shown in the results and rollouts views. */
  function showRun(r: RunRecord): void {
    current = r;
    shell.panes.results.replaceChildren(resultsView(r, listRuns), runDownloads(r, getRunExports));
    shell.panes.rollouts.replaceChildren(rolloutsView(r, { openResults: () => show('results'), tryStep: (id) => tryStep(id, 'run') }));
    intervene.setRun(r);
  }
  /** A pipeline step's data: the interventions or attempts of the shown run, or its results. */
  function openStep(node: NodeId): void {
    const to = focusOf(node);
    if (to !== 'results' && current) shell.panes.rollouts.replaceChildren(rolloutsView(current, { openResults: () => show('results'), focus: to, tryStep: (id) => tryStep(id, 'run') }));
    show(to === 'results' ? 'results' : 'rollouts');
  }

  show('published');
  const changed = () => history.replaceState(null, '', settingsToHash(settings));
  const runner = createRunner({ engine, settings, modelUrl, shell, show, showRun, openStep, models, report: () => report });

  function renderSetup(): void {
    shell.setupBox.replaceChildren(setupView({ settings, report, storedModels: stored, checkDataset: (u) => engine.checkDataset(u), changed, run: () => void runner.run() }));
  }

  /** "Re-run in this browser" on the published view: the browser preset with the published seed. */
  shell.panes.published.append(
    publishedPane(publishedUrl, (seed) => {
      if (!report) return showError(shell.status, 'Running in this page needs WebGPU (see above); the published result and saved runs can still be read.');
      Object.assign(settings, defaultSettings(), { seed });
      changed();
      renderSetup();
      show('setup');
    }, (id) => tryStep(id, 'published')),
  );

  const pretrain = mountPretrain(shell.panes.pretrain, engine, settings, () => storedModels());

  async function storedModels(): Promise<StoredModelSummary[]> {
    try {
      stored = await listStoredModels();
    } catch (e) {
      stored = [];
      showError(shell.status, `pretrained models could not be listed: ${(e as Error).message}`);
    }
    pretrain.showModels(stored);
    if (report) renderSetup();
    return stored;
  }

  const ready = boot(engine, shell, {
    setReport: (r) => (report = r),
    renderSetup,
    show,
    pendingRuns: runner.pendingRuns,
    storedModels,
    current: () => current,
    showRun,
    autorun: opts.autorun ?? false,
    run: () => void runner.run(),
  });

  return {
    engine,
    settings,
    ready,
    show,
    run: runner.run,
    resume: runner.resume,
    pendingRuns: runner.pendingRuns,
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

/** The page's fixed parts: header, status line, WebGPU box, tab bar and one pane per tab. */
interface Shell {
  status: HTMLParagraphElement;
  gpuBox: HTMLDivElement;
  nav: HTMLElement;
  panes: Record<Tab, HTMLElement>;
  tabButtons: Record<Tab, HTMLButtonElement>;
  /** Top of the setup pane: the unfinished runs. */
  pendingBox: HTMLDivElement;
  /** Below it: the setup view. */
  setupBox: HTMLDivElement;
}

/** Build the page into `root`; `problems` (from the URL hash) show under the status line. */
function buildShell(root: HTMLElement, problems: readonly string[], onTab: (t: Tab) => void): Shell {
  const header = el('header', {}, el('h1', { text: 'InT Lab' }), el('p', { text: 'Intervention Training in your browser: rollouts, self-proposed interventions, LoRA SFT and RL on WebGPU.' }));
  const status = el('p', { cls: 'status', text: 'Starting the engine…', attrs: { 'data-testid': 'status' } });
  const gpuBox = el('div');
  const nav = el('nav', { cls: 'tabs', attrs: { role: 'tablist', 'aria-label': 'Views' } });
  const panes: Record<Tab, HTMLElement> = { published: el('div'), setup: el('div'), run: el('div'), rollouts: el('div'), intervene: el('div'), results: el('div'), runs: el('div'), models: el('div'), pretrain: el('div') };
  const pendingBox = el('div');
  const setupBox = el('div');
  panes.setup.append(pendingBox, setupBox);
  const tabButtons = {} as Record<Tab, HTMLButtonElement>;
  const tabs = Object.keys(panes) as Tab[];
  for (const t of tabs) {
    tabButtons[t] = button(TAB_LABELS[t] ?? t[0].toUpperCase() + t.slice(1), () => onTab(t), { 'data-tab': t, role: 'tab', id: `tab-${t}`, 'aria-controls': `pane-${t}`, 'aria-selected': 'false', tabindex: '-1' });
    nav.append(tabButtons[t]);
    Object.assign(panes[t], { id: `pane-${t}` });
    panes[t].setAttribute('role', 'tabpanel');
    panes[t].setAttribute('aria-labelledby', `tab-${t}`);
  }
  // Arrow keys move between tabs, Home / End to the first / last (the WAI-ARIA tabs pattern)
  nav.addEventListener('keydown', (e) => {
    const at = tabs.findIndex((t) => tabButtons[t] === document.activeElement);
    if (at < 0) return;
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const t = tabs[(to + tabs.length) % tabs.length];
    tabButtons[t].focus();
    onTab(t);
  });
  root.replaceChildren(header, status, gpuBox, nav, ...Object.values(panes));
  panes.results.append(el('p', { text: 'No run yet: start one in the setup view, or open a saved / imported run under Runs.' }));
  panes.rollouts.append(el('p', { text: 'No run yet.' }));
  panes.run.append(el('p', { text: 'No run yet: "Run experiment" under Setup starts one; its stages, progress and curves show here as it runs.' }));
  for (const p of problems) status.after(el('p', { cls: 'status error', text: p }));
  return { status, gpuBox, nav, panes, tabButtons, pendingBox, setupBox };
}

/** Show one pane and mark its tab button. */
function showTab(shell: Shell, tab: Tab): void {
  for (const [t, p] of Object.entries(shell.panes)) p.hidden = t !== tab;
  for (const [t, b] of Object.entries(shell.tabButtons)) {
    b.classList.toggle('active', t === tab);
    b.setAttribute('aria-selected', String(t === tab));
    b.tabIndex = t === tab ? 0 : -1;
  }
}

function setStatus(status: HTMLElement, message: string): void {
  status.className = 'status';
  status.removeAttribute('role');
  status.textContent = message;
}

function showError(status: HTMLElement, message: string): void {
  status.className = 'status error';
  status.setAttribute('role', 'alert');
  status.textContent = message;
}

/** The pretrain view in its pane, wired to the engine; `refresh` re-reads the stored models. */
function mountPretrain(pane: HTMLElement, engine: Comlink.Remote<EngineApi>, settings: Settings, refresh: () => Promise<unknown>): PretrainView {
  const view = pretrainView({
    start: (s, events) => engine.pretrain(s, Comlink.proxy(events)),
    cancel: () => void engine.cancel(),
    stop: () => void engine.stopPretrain(),
    remove: async (name) => {
      await deleteStoredModel(name);
      if (settings.model.kind === 'stored' && settings.model.name === name) settings.model = { kind: 'embedded' };
      await refresh();
    },
    stored: () => void refresh(),
    saveAgain: () => engine.saveUnsavedModel(),
    unsavedTar: () => engine.unsavedModelTar(),
  });
  pane.append(view.root);
  return view;
}

interface RunnerDeps {
  engine: Comlink.Remote<EngineApi>;
  settings: Settings;
  modelUrl: string;
  shell: Shell;
  show(tab: Tab): void;
  showRun(r: RunRecord): void;
  openStep(node: NodeId): void;
  /** Shows a run's hub model download (also in the status line). */
  models: ModelCacheView;
  /** The adapter's report once the engine started (null before, or without WebGPU). */
  report(): AdapterReport | null;
}

/** Starting, resuming and discarding runs; one at a time. */
interface Runner {
  run(): Promise<RunRecord | null>;
  resume(runId: string): Promise<RunRecord | null>;
  pendingRuns(): Promise<PendingRunSummary[]>;
}

function createRunner(d: RunnerDeps): Runner {
  const { engine, settings, shell } = d;
  let running = false;
  let pending: PendingRunSummary[] = [];

  async function pendingRuns(): Promise<PendingRunSummary[]> {
    try {
      pending = await engine.listPendingRuns();
    } catch (e) {
      pending = [];
      shell.pendingBox.replaceChildren(el('p', { cls: 'status error', text: `unfinished runs could not be listed: ${(e as Error).message}` }));
      return pending;
    }
    renderPending();
    return pending;
  }

  function renderPending(): void {
    shell.pendingBox.replaceChildren(pendingRunsView(pending, { resume: (id) => void resume(id), discard: (id) => void discard(id) }, running));
  }

  async function discard(id: string): Promise<void> {
    try {
      await engine.discardPendingRun(id);
    } catch (e) {
      showError(shell.status, (e as Error).message);
    }
    await pendingRuns();
  }

  /** Show the run view and drive one run (new or resumed) to its end. */
  async function drive(arms: readonly ArmId[], stored: readonly string[], start: (events: RunEvents) => Promise<RunRecord>, config: IntConfig | null = null): Promise<RunRecord | null> {
    running = true;
    renderPending();
    const view = runView(arms, { pause: () => void engine.pause(), resume: () => void engine.resume(), cancel: () => void engine.cancel() }, stored, config);
    // the pipeline diagram lights up from the same stage events as the run view's bars
    const diagram = pipelineDiagram({ stages: stageNames(arms), arms, open: d.openStep });
    let downloading = false;
    const events: RunEvents = {
      ...view.events,
      stage: (n, done, total) => (view.events.stage(n, done, total), diagram.events.stage(n, done, total)),
      stageDone: (n, s) => {
        view.events.stageDone(n, s);
        diagram.events.stageDone(n, s);
        if (downloading && n === 'load model') setStatus(shell.status, 'A run is in progress: the Run tab shows its stages (the model is downloaded and cached).');
      },
      stageLoaded: (n) => (view.events.stageLoaded(n), diagram.events.stageLoaded(n)),
      // a hub model's download shows in the status line (and the Models tab) until the model is loaded
      download: (p) => ((downloading = true), setStatus(shell.status, `Downloading the model: ${d.models.progress(p)}`)),
    };
    shell.panes.run.replaceChildren(diagram.root, view.root);
    d.show('run');
    setStatus(shell.status, 'A run is in progress: the Run tab shows its stages.');
    const t0 = performance.now();
    try {
      const r = await start(Comlink.proxy(events));
      const took = `finished in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
      view.finish(took);
      diagram.finish(r.results);
      setStatus(shell.status, `The run ${took}: the Results and Rollouts tabs show it.`);
      d.showRun(r);
      try {
        await saveRun(r);
      } catch (e) {
        events.note(`not saved: ${(e as Error).message}`);
      }
      return r;
    } catch (e) {
      view.finish((e as Error).message, true);
      showError(shell.status, `The run stopped: ${(e as Error).message}`);
      return null;
    } finally {
      running = false;
      await pendingRuns();
    }
  }

  async function run(): Promise<RunRecord | null> {
    if (running) return null;
    const report = d.report();
    const problems = setupProblems(settings, report && { shaderF16: report.features.shaderF16 });
    if (problems.length > 0) {
      showError(shell.status, `Run is blocked (see Setup): ${problems.map((p) => p.message).join('; ')}`);
      d.show('setup');
      return null;
    }
    let config;
    try {
      config = resolveSettings(settings);
    } catch (e) {
      showError(shell.status, (e as Error).message);
      return null;
    }
    const model: ModelChoice = settings.model.kind === 'embedded' ? { kind: 'embedded', url: d.modelUrl } : settings.model;
    return drive(settings.arms, [], (events) => engine.runExperiment(config, settings.preset, settings.arms, model, settings.dataset, events), config);
  }

  async function resume(runId: string): Promise<RunRecord | null> {
    if (running) return null;
    const p = pending.find((r) => r.id === runId) ?? (await pendingRuns()).find((r) => r.id === runId);
    if (!p) {
      showError(shell.status, `no unfinished run "${runId}" is stored in this browser`);
      return null;
    }
    return drive(p.arms, p.completed, (events) => engine.resumeExperiment(runId, events));
  }

  return { run, resume, pendingRuns };
}

interface BootHooks {
  setReport(report: AdapterReport): void;
  renderSetup(): void;
  show(tab: Tab): void;
  pendingRuns(): Promise<readonly unknown[]>;
  storedModels(): Promise<unknown>;
  current(): RunRecord | null;
  showRun(r: RunRecord): void;
  /** Start the experiment at once (also when the hash says autorun=1). */
  autorun: boolean;
  run(): void;
}

/** Start the engine: the WebGPU report and the setup view (shown when an unfinished run waits there;
 *  else the page stays on the published result), or the no-WebGPU page with the published result and
 *  the saved runs. Resolves with the report, or null when WebGPU is missing. */
async function boot(engine: Comlink.Remote<EngineApi>, shell: Shell, h: BootHooks): Promise<AdapterReport | null> {
  try {
    const report = await engine.init();
    h.setReport(report);
    shell.status.textContent = 'Ready. Under Setup, "Run experiment" starts a browser-sized run on the embedded model and the procedural world.';
    shell.gpuBox.replaceChildren(webgpuReport(report));
    h.renderSetup();
    if ((await h.pendingRuns()).length > 0) h.show('setup');
    await h.storedModels();
    // Runs survive reloads: the newest saved run fills the results and rollouts views.
    listRuns()
      .then((rs) => !h.current() && rs[0] && h.showRun(rs[0]))
      .catch(() => undefined);
    const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
    if (h.autorun || hash.get('autorun') === '1') h.run();
    return report;
  } catch (e) {
    shell.status.textContent = '';
    shell.gpuBox.replaceChildren(noWebgpuPage((e as Error).message));
    // the published result and saved or imported runs can still be read without WebGPU
    for (const [t, b] of Object.entries(shell.tabButtons)) b.hidden = t !== 'published' && t !== 'runs';
    return null;
  }
}
