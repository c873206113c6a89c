// End-to-end check of the app in Chromium (SwiftShader WebGPU): it loads, reports the adapter,
// opens on the published result (headline, forest plot, no console errors), shows the setup defaults, reports a bad dataset, turns a good one into a
// math config with the split the user chooses (a split too small blocks Run, naming the data.testFraction that fixes it), reports a model folder with a missing shard in the page (the error stays,
// also in the page status line), confirms a pause at a stage boundary,
// runs the browser-smoke preset through the UI (embedded model, procedural world, the preset's arms) and
// shows each of them in the results table, with the run's headline.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import { ARM_IDS, getArm } from '../../src/int/arms';
import { mountApp, type App } from '../../src/ui/app';
import { listRuns } from '../../src/worker/runs-db';
import configUrl from '../fixtures/models/tiny-llama-sharded/config.json?url';
import genUrl from '../fixtures/models/tiny-llama-sharded/generation_config.json?url';
import indexUrl from '../fixtures/models/tiny-llama-sharded/model.safetensors.index.json?url';
import shard1Url from '../fixtures/models/tiny-llama-sharded/model-00001-of-00002.safetensors?url';
import tokenizerUrl from '../fixtures/models/tiny-llama-sharded/tokenizer.json?url';
import tokConfigUrl from '../fixtures/models/tiny-llama-sharded/tokenizer_config.json?url';
import { until } from '../shared/until';

let app: App;
let root: HTMLElement;
const consoleErrors: string[] = [];

beforeAll(async () => {
  await page.viewport(1280, 1000);
  root = document.createElement('div');
  document.body.append(root);
  const logError = console.error.bind(console);
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => (consoleErrors.push(a.map(String).join(' ')), logError(...a)));
  window.addEventListener('error', (e) => consoleErrors.push(`uncaught: ${e.message}`));
  window.addEventListener('unhandledrejection', (e) => consoleErrors.push(`unhandled: ${String(e.reason)}`));
  app = mountApp(root, { modelUrl: new URL('/models/chains-critical-strict/', location.origin).href, publishedUrl: new URL('/results/chains-critical-strict/', location.origin).href });
  await app.ready;
});

afterAll(() => app?.dispose());

describe('InT Lab app', () => {
  it('shows the WebGPU report of the SwiftShader adapter', () => {
    const adapter = root.querySelector('[data-testid=adapter]')?.textContent ?? '';
    console.log(adapter);
    expect(root.querySelector('#no-webgpu')).toBeNull();
    expect(adapter.toLowerCase()).toContain('swiftshader');
  });

  it('opens on the published result: its headline and a forest-plot row, no console errors', async () => {
    const headline = await until('the published headline', () => root.querySelector('[data-testid=published-headline]'), 30_000);
    console.log(headline.textContent);
    expect(root.querySelector('[data-tab=published]')?.classList.contains('active')).toBe(true);
    expect(headline.textContent).toMatch(/InT \+ RL .*RL only/);
    expect(root.querySelector('[data-testid=forest-row][data-arm=int_rl][data-versus=rl]')).not.toBeNull();
    expect(root.querySelectorAll('[data-testid=pass-bar]').length).toBeGreaterThan(0);
    expect(consoleErrors).toEqual([]);
    await page.screenshot({ path: '__screenshots__/app-e2e-published.png', element: root });
    app.show('setup');
  });

  it('has ARIA tabs: one selected tab in the tab order, its panel shown, arrow keys / Home / End move between tabs', async () => {
    app.show('setup');
    const nav = root.querySelector('[role=tablist]')!;
    const tabs = [...nav.querySelectorAll<HTMLButtonElement>('[role=tab]')];
    expect(tabs.length).toBeGreaterThan(5);
    const state = () => tabs.filter((t) => t.getAttribute('aria-selected') === 'true').map((t) => t.dataset.tab);
    expect(state()).toEqual(['setup']);
    for (const t of tabs) {
      const panel = root.querySelector(`#${t.getAttribute('aria-controls')}`) as HTMLElement;
      expect(panel.getAttribute('role')).toBe('tabpanel');
      expect(panel.hidden).toBe(t.dataset.tab !== 'setup');
      expect(t.tabIndex).toBe(t.dataset.tab === 'setup' ? 0 : -1);
    }
    const setup = tabs.findIndex((t) => t.dataset.tab === 'setup');
    tabs[setup].focus();
    await userEvent.keyboard('{ArrowRight}');
    expect(state()).toEqual([tabs[setup + 1].dataset.tab]);
    expect(document.activeElement).toBe(tabs[setup + 1]);
    await userEvent.keyboard('{End}');
    expect(state()).toEqual([tabs[tabs.length - 1].dataset.tab]);
    await userEvent.keyboard('{ArrowRight}');
    expect(state()).toEqual([tabs[0].dataset.tab]);
    await userEvent.keyboard('{End}{Home}{ArrowLeft}');
    expect(state()).toEqual([tabs[tabs.length - 1].dataset.tab]);
    app.show('setup');
  });

  it('renders the setup view with every setting, its default, the preset\'s value and its help', () => {
    const k = root.querySelector<HTMLInputElement>('input[data-path="propose.perAttempt"]');
    expect(k?.value).toBe('2');
    expect(k?.parentElement?.querySelector('.default')?.textContent).toBe('default 4 · preset 2');
    expect(k?.closest('.field')?.querySelector('.help')?.textContent).toBe('Verifier outputs (interventions) sampled per failed attempt. Default 4 (the paper).');
    const r = root.querySelector<HTMLInputElement>('input[data-path="rollouts.k"]');
    expect(r?.parentElement?.querySelector('.default')?.textContent).toBe('default 4'); // the preset keeps the default
    expect(root.querySelectorAll('.config-editor input').length).toBeGreaterThan(40);
    expect(root.querySelector<HTMLSelectElement>('[data-testid=preset]')?.value).toBe('browser-smoke');
    expect(root.querySelectorAll('#setup fieldset input[type=checkbox][value]').length).toBe(ARM_IDS.length);
  });

  it('shows a bad dataset file as a clear in-page error', async () => {
    const input = root.querySelector<HTMLInputElement>('[data-testid=dataset-file]')!;
    const dt = new DataTransfer();
    dt.items.add(new File(['colour,size\nred,3\nblue,4\n'], 'bad.csv', { type: 'text/csv' }));
    input.files = dt.files;
    input.dispatchEvent(new Event('change'));
    const alert = await until('the dataset error', () => root.querySelector('[data-testid=dataset-report] [role=alert]'), 30_000);
    console.log(alert.textContent);
    expect(alert.textContent).toContain('Cannot use bad.csv');
    expect(app.settings.dataset).toBeNull();
  });

  it('turns a dataset upload into a runnable math config with the split the user chooses; a split too small blocks Run with its fix', async () => {
    const csv = (rows: number) => 'question,answer\n' + Array.from({ length: rows }, (_, i) => `What is ${i + 1} + ${i + 1}?,${2 * (i + 1)}`).join('\n') + '\n';
    const split = () => root.querySelector('[data-testid=dataset-split]')?.textContent ?? '';
    const upload = async (name: string, rows: number) => {
      const input = root.querySelector<HTMLInputElement>('[data-testid=dataset-file]')!;
      const dt = new DataTransfer();
      dt.items.add(new File([csv(rows)], name, { type: 'text/csv' }));
      input.files = dt.files;
      input.dispatchEvent(new Event('change'));
      return until(`the split of ${name}`, () => split().includes('Split') && root.querySelector('[data-testid=dataset-report]')?.textContent?.startsWith(name) ? split() : null, 30_000);
    };
    const run = () => root.querySelector<HTMLButtonElement>('[data-testid=run]')!;
    const problems = () => root.querySelector('[data-testid=run-problems]')?.textContent ?? '';
    // "small-0000N" ids all hash into the train split (4 rows, 20% held out): no share of 4 rows gives 4 + 4
    const small = await upload('small.csv', 4);
    expect(small).toMatch(/^Split: 4 train \/ 0 test problems \(data\.testFraction 0\.2/);
    expect(app.settings.overrides.data).toMatchObject({ task: 'math', style: 'chat', dataset: 'small.csv' });
    expect(root.querySelector<HTMLInputElement>('#setup input[name=task][value=math]')?.checked).toBe(true);
    expect(run().disabled).toBe(true);
    expect(problems()).toMatch(/small\.csv: the test split is empty .*: upload a file with at least 8 problems \(it has 4\)/);
    // "twelve-0000N": 9 train / 3 test at 0.2; the problem names the share that fixes it, typed beside the upload
    const twelve = await upload('twelve.csv', 12);
    expect(twelve).toMatch(/^Split: 9 train \/ 3 test problems/);
    expect(run().disabled).toBe(true);
    expect(problems()).toMatch(/twelve\.csv: the test split is too small .*set data\.testFraction to 0\.25 \(beside the upload: it gives 8 train \/ 4 test problems\)/);
    const share = root.querySelector<HTMLInputElement>('#setup [data-testid=dataset-split-fields] input[data-path="data.testFraction"]')!;
    expect(share.closest('.field')?.querySelector('.field-error')?.textContent).toMatch(/test split is too small/);
    share.value = '0.25';
    share.dispatchEvent(new Event('change'));
    expect(split()).toMatch(/^Split: 8 train \/ 4 test problems \(data\.testFraction 0\.25/);
    expect(app.settings.overrides.data).toMatchObject({ testFraction: 0.25 });
    expect(run().disabled).toBe(false);
    expect(problems()).toMatch(/^Ready/);
    // back to the chains world for the runs below
    root.querySelector<HTMLInputElement>('#setup input[name=task][value=chains]')!.click();
    // the chosen share stays for the next upload; the chains world does not read it
    expect(app.settings.overrides.data).toEqual({ testFraction: 0.25 });
    expect(run().disabled).toBe(false);
  });

  it('shows a model folder with a missing shard as a clear in-page error naming the shard', async () => {
    // The sharded fixture folder without model-00002-of-00002.safetensors, as a folder picker gives it.
    const parts: Array<[string, string]> = [
      ['config.json', configUrl],
      ['generation_config.json', genUrl],
      ['model.safetensors.index.json', indexUrl],
      ['model-00001-of-00002.safetensors', shard1Url],
      ['tokenizer.json', tokenizerUrl],
      ['tokenizer_config.json', tokConfigUrl],
    ];
    const dt = new DataTransfer();
    for (const [name, url] of parts) {
      const res = await fetch(url);
      expect(res.ok, `fixture ${name}`).toBe(true);
      dt.items.add(new File([await res.arrayBuffer()], name));
    }
    root.querySelector<HTMLInputElement>('#setup input[name=model][value=folder]')!.click();
    const pick = await until('the folder picker', () => root.querySelector<HTMLInputElement>('#setup input[type=file][webkitdirectory]'), 5_000);
    pick.files = dt.files;
    pick.dispatchEvent(new Event('change'));
    expect(app.settings.model).toMatchObject({ kind: 'folder' });
    (root.querySelector('[data-testid=run]') as HTMLButtonElement).click();
    const status = await until('the model load error', () => {
      const s = root.querySelector('#run [data-testid=run-status]');
      return s && /^(running|starting|cancelling)/.test(s.textContent ?? '') ? null : s;
    }, 60_000);
    console.log(status.textContent);
    expect(status.className).toContain('error');
    expect(status.getAttribute('role')).toBe('alert');
    const text = status.textContent ?? '';
    expect(text).toMatch(/^Cannot load the local model folder: /);
    expect(text).toContain('model-00002-of-00002.safetensors');
    expect(text).toMatch(/missing/i);
    expect(text).not.toContain('model-00001-of-00002.safetensors (');
    expect(text).toMatch(/pick the complete model folder/);
    expect(root.querySelector('.stage[data-stage="load model"]')?.classList.contains('done')).toBe(false);
    // The error stays: late progress events do not replace it, and the page's status line says it too.
    await new Promise((r) => setTimeout(r, 500));
    expect(status.textContent).toBe(text);
    const top = root.querySelector('[data-testid=status]')!;
    expect(top.textContent).toMatch(/^The run stopped: Cannot load the local model folder/);
    expect(top.getAttribute('role')).toBe('alert');
    // Nothing was computed, so the failed run is not kept as an unfinished run.
    expect(await app.pendingRuns()).toEqual([]);
    // back to the embedded model for the runs below
    app.show('setup');
    root.querySelector<HTMLInputElement>('#setup input[name=model][value=embedded]')!.click();
    expect(app.settings.model).toEqual({ kind: 'embedded' });
  });

  it('pauses a run at a stage boundary and says so, then cancels it from the run view', async () => {
    (root.querySelector('[data-testid=run]') as HTMLButtonElement).click();
    await until('the run view', () => root.querySelector('#run [data-testid=run-status]'), 10_000);
    expect(root.querySelector('[data-testid=status]')?.textContent).toMatch(/^A run is in progress/);
    [...root.querySelectorAll<HTMLButtonElement>('#run button')].find((b) => b.textContent === 'Pause')!.click();
    const paused = await until('the pause to be confirmed', () => {
      const s = root.querySelector('[data-testid=run-status]')?.textContent ?? '';
      return s.startsWith('paused') ? s : null;
    }, 60_000);
    expect(paused).toMatch(/^paused (after .+|before the first stage): the completed stages are kept; Resume continues, Cancel stops$/);
    const cancel = [...root.querySelectorAll<HTMLButtonElement>('#run button')].find((b) => b.textContent === 'Cancel')!;
    cancel.click();
    const status = await until('the cancelled status', () => {
      const s = root.querySelector('[data-testid=run-status]')?.textContent ?? '';
      return /cancelled$|finished/.test(s) && !s.startsWith('cancelling') ? s : null;
    }, 60_000);
    expect(status).toBe('the run was cancelled');
    expect(root.querySelector('[data-testid=run-status]')?.className).toContain('error');
    expect(await app.pendingRuns()).toEqual([]);
  });

  it('runs the browser-smoke preset end to end (4 + 4 problems, 1 RL step) and shows each of its arms', async () => {
    // the flow, at the smallest size that keeps every stage (the built-app check runs the default's size)
    app.settings.overrides = { data: { chains: { counts: { critical: { train: 4, test: 4 } } }, maxTrainProblems: 4, maxTestProblems: 4 }, rl: { steps: 1 } };
    const t0 = performance.now();
    (root.querySelector('[data-testid=run]') as HTMLButtonElement).click();
    const status = await until('the run to end', () => {
      const s = root.querySelector('[data-testid=run-status]')?.textContent ?? '';
      return /^finished|cancelled|rror|failed/.test(s) || (s && !/^(running|starting)/.test(s)) ? s : null;
    }, 240_000);
    console.log(`run: ${status} (${((performance.now() - t0) / 1000).toFixed(1)} s in the test)`);
    expect(status).toMatch(/^finished/);
    expect(root.querySelector('[data-testid=status]')?.textContent).toMatch(/^The run finished in [\d.]+ s: the Results and Rollouts tabs show it\.$/);
    expect(root.querySelectorAll('.stage.done').length).toBe(root.querySelectorAll('.stage').length);
    const rows = [...root.querySelectorAll('table.arms-table tbody tr')].map((tr) => tr.firstElementChild?.textContent);
    expect(rows).toEqual(app.settings.arms.map((a) => getArm(a).label));
    expect(app.settings.arms).toEqual(['base', 'rl', 'int_rl', 'int_sft']);
    // the result first: the run's headline and its credit-assignment sentence
    expect(root.querySelector('[data-testid=results-headline]')?.textContent).toMatch(/InT \+ RL .*RL only/);
    expect(root.querySelector('[data-testid=results-mechanism-sentence]')?.textContent).toMatch(/^Credit assignment, measured/);
    expect(app.current?.results.arms).toBeTruthy();
    // every arm keeps its per-problem outcomes on the 4 test problems (what a comparison of two runs resamples)
    expect(Object.values(app.current!.results.arms).map((a) => a.outcomes?.map((o) => o.n))).toEqual(app.settings.arms.map(() => [4, 4, 4, 4]));
    const spliced = root.querySelectorAll('#rollouts [data-testid=spliced]').length;
    const kept = app.current!.filtered.kept.length;
    console.log(`interventions: ${kept} kept, ${spliced} spliced diffs shown`);
    // The preset's medium / hard problems give the embedded model failures to verify; its parsed
    // interventions are spliced into their attempts in the rollouts view.
    expect(app.current!.results.pipeline.rollouts.failures).toBeGreaterThan(0);
    expect(spliced).toBeGreaterThan(0);
    const id = app.current!.id;
    for (let i = 0; i < 50 && !(await listRuns()).some((r) => r.id === id); i++) await new Promise((r) => setTimeout(r, 100));
    expect((await listRuns()).map((r) => r.id)).toContain(id);
    app.show('results');
    await page.screenshot({ path: '__screenshots__/app-e2e-results.png', element: root });
    app.show('rollouts');
    await page.screenshot({ path: '__screenshots__/app-e2e-rollouts.png', element: root });
  });
});
