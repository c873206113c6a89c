// Playwright script for the built app (run `npx vite build` first, then
// `npx tsx test/browser/built-app.playwright.ts [seconds]`): serves dist/ on 127.0.0.1; first opens it
// in a Chromium with WebGPU switched off and checks the page explains what to use and still shows the
// published result (headline, forest plot, the pipeline with every step done, and one intervention
// with its problem, reference, attempt, located step and continuation counts; no console errors); then opens it in the system
// Chromium (SwiftShader WebGPU), checks that invalid input blocks Run with its problems listed by the button (E2E_SETUP_ONLY=1
// stops after that check), intervenes on a published failed attempt ("Intervene yourself": an empty step blocks Sample, the
// model's fix returns continuation counts for every start, a cancel stops the sampling), runs the default preset through
// the UI, checks that the results table lists every arm, and saves screenshots under
// test/__screenshots__/. Then it starts a second run, reloads the page once the data stages (from 'rollouts' on) and one arm's SFT are
// complete, resumes the stored run and checks that the completed stages are loaded (not
// recomputed) and that the run finishes with every arm. After the first run its downloads are
// fetched and parsed (run JSON, metrics CSV, results.md, interventions / SFT JSONL, the SFT and RL
// Parquet files, each arm's PEFT adapter), and the saved runs list their headline numbers and take an
// imported run JSON back (E2E_FIRST_RUN_ONLY=1 stops here). Last, the same preset and seed run headless
// in Node (Dawn on lavapipe) through the same pipeline, and the two results tables must agree
// within AGREEMENT (see there).
import http from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { getArm } from '../../src/int/arms';
import { runExperiment } from '../../src/int/experiment';
import type { ExperimentResults } from '../../src/int/report';
import { defaultSettings, resolveSettings, settingsToHash } from '../../src/ui/state';
import type { IntConfigInput } from '../../src/int/config';
import { Gpu } from '../../src/gpu';

/** How far a browser run (SwiftShader) and a Node run (lavapipe) of the same preset and seed may
 *  differ. Sampling is seeded (Philox) and identical on both, but the adapters round differently
 *  (other kernel variants, other reduction orders), so a token whose two best candidates are within
 *  rounding can flip and the trajectories part. Problem counts must be equal; rollout successes may
 *  differ by a few samples, and so may the interventions kept by the filter; each arm's held-out
 *  pass@1 (2 samples x 4 problems here, steps of 0.125) by at most two samples. */
const AGREEMENT = { rolloutCorrect: 3, kept: 2, pass1: 0.25 };

/** Compare two results tables; returns the disagreements (empty when they agree). */
function disagreements(node: ExperimentResults, web: ExperimentResults): string[] {
  const out: string[] = [];
  for (const k of ['train', 'test', 'pool'] as const) {
    if (node.problems[k] !== web.problems[k]) out.push(`problems.${k}: node ${node.problems[k]}, browser ${web.problems[k]}`);
  }
  if (node.pipeline.rollouts.attempts !== web.pipeline.rollouts.attempts) out.push(`rollout attempts: node ${node.pipeline.rollouts.attempts}, browser ${web.pipeline.rollouts.attempts}`);
  const dc = Math.abs(node.pipeline.rollouts.correct - web.pipeline.rollouts.correct);
  if (dc > AGREEMENT.rolloutCorrect) out.push(`rollouts correct: node ${node.pipeline.rollouts.correct}, browser ${web.pipeline.rollouts.correct} (more than ${AGREEMENT.rolloutCorrect} apart)`);
  const [nk, wk] = [node.pipeline.filter.byStatus.kept, web.pipeline.filter.byStatus.kept];
  if (Math.abs(nk - wk) > AGREEMENT.kept) out.push(`interventions kept: node ${nk}, browser ${wk} (more than ${AGREEMENT.kept} apart)`);
  for (const id of new Set([...Object.keys(node.arms), ...Object.keys(web.arms)])) {
    const a = node.arms[id]?.eval.overall.passAt['1']?.estimate;
    const b = web.arms[id]?.eval.overall.passAt['1']?.estimate;
    if (a === undefined || b === undefined) out.push(`${id}: pass@1 missing (node ${a}, browser ${b})`);
    else if (Math.abs(a - b) > AGREEMENT.pass1 + 1e-9) out.push(`${id} pass@1: node ${a.toFixed(3)}, browser ${b.toFixed(3)} (more than ${AGREEMENT.pass1} apart)`);
  }
  return out;
}

/** The newest finished run stored in the page's IndexedDB ("int-lab" / "runs"). */
async function newestStoredRun(page: Page): Promise<{ results: ExperimentResults; config: unknown }> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const r = indexedDB.open('int-lab');
        r.onerror = () => reject(new Error(String(r.error)));
        r.onsuccess = () => {
          const q = r.result.transaction('runs', 'readonly').objectStore('runs').getAll();
          q.onerror = () => reject(new Error(String(q.error)));
          q.onsuccess = () => {
            const all = (q.result as { created: string; results: ExperimentResults; config: unknown }[]).sort((x, y) => y.created.localeCompare(x.created));
            if (all.length === 0) reject(new Error('no finished run is stored in IndexedDB'));
            else resolve({ results: all[0].results, config: all[0].config });
          };
        };
      }),
  ) as Promise<{ results: ExperimentResults; config: unknown }>;
}

const ROOT = join(import.meta.dirname, '../..');
const DIST = join(ROOT, 'dist');
const SHOTS = join(import.meta.dirname, '../__screenshots__');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm' };
/** The second run is reloaded once this stage is done (after the data stages and an arm's SFT). */
const RELOAD_AFTER = 'int_rl/sft';
/** The second (reloaded, resumed) run's overrides, carried by the link: 4 + 4 problems, 1 RL step. */
const SECOND_RUN_OVERRIDES: IntConfigInput = { data: { chains: { counts: { critical: { train: 4, test: 4 } } }, maxTrainProblems: 4, maxTestProblems: 4 }, rl: { steps: 1 } };
const FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--no-sandbox', '--headless', '--disable-gpu-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

/** A Chromium without WebGPU: no --enable-unsafe-webgpu / Vulkan, and the WebGPU feature switched off. */
const NO_WEBGPU_FLAGS = ['--disable-features=WebGPU', '--no-sandbox', '--headless', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** What a page sees of WebGPU, in the page itself and in a worker: 'no navigator.gpu', 'no adapter'
 *  or 'adapter'. (Written without named inner functions: the evaluated code must not need helpers.) */
const PROBE = `(async (nav) => (!nav.gpu ? 'no navigator.gpu' : (await nav.gpu.requestAdapter()) ? 'adapter' : 'no adapter'))`;
async function webgpuSeen(page: Page): Promise<{ page: string; worker: string }> {
  return page.evaluate(async (probe) => {
    const src = `${probe}(navigator).then((r) => postMessage(r), (e) => postMessage('error: ' + e));`;
    const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
    const w = new Worker(url);
    try {
      const worker = await new Promise<string>((resolve, reject) => {
        w.onmessage = (e) => resolve(String(e.data));
        w.onerror = (e) => reject(new Error(`the probe worker failed: ${e.message}`));
      });
      const inPage = (await (0, eval)(probe)(navigator)) as string;
      return { page: inPage, worker };
    } finally {
      w.terminate();
      URL.revokeObjectURL(url);
    }
  }, PROBE);
}

/** Open the app in a Chromium without WebGPU: the page must show #no-webgpu with the browsers and
 *  flags that work, and nothing may reach the console as an error (page, engine worker) or go uncaught. */
async function checkNoWebgpu(url: string): Promise<string> {
  const t0 = Date.now();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: NO_WEBGPU_FLAGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console error${m.worker() ? ' (worker)' : ''}: ${m.text()}${m.location().url ? ` (${m.location().url})` : ''}`);
    });
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
    await page.goto(url);
    const seen = await webgpuSeen(page);
    if (seen.page === 'adapter' || seen.worker === 'adapter') throw new Error(`the no-WebGPU Chromium still has a WebGPU adapter (page: ${seen.page}, worker: ${seen.worker})`);
    await page.waitForSelector('#no-webgpu', { timeout: 15_000 });
    const text = ((await page.textContent('#no-webgpu')) ?? '').replace(/\s+/g, ' ');
    for (const want of ['WebGPU is not available', 'Chrome', 'Edge', 'Safari', 'Firefox', '--enable-unsafe-webgpu', 'chrome://flags/#enable-unsafe-webgpu']) {
      if (!text.includes(want)) throw new Error(`#no-webgpu should mention "${want}": "${text}"`);
    }
    if (await page.$('#webgpu-report')) throw new Error('the page shows a WebGPU report although there is no adapter');
    // the published result is read and drawn without WebGPU, before anything runs
    const headline = (await (await page.waitForSelector('[data-testid=published-headline]', { timeout: 15_000 })).textContent()) ?? '';
    if (!/InT \+ RL .*RL only/.test(headline)) throw new Error(`the published headline does not state InT + RL against RL only: "${headline}"`);
    const forest = await page.$$eval('[data-testid=forest-row]', (rs) => rs.length);
    if (forest === 0) throw new Error('the published view draws no forest-plot row');
    if (await page.isVisible('[data-testid=run]')) throw new Error('the page offers "Run experiment" although there is no WebGPU');
    const mechanism = await checkPublishedMechanism(page);
    await page.waitForTimeout(500); // let late errors (worker, IndexedDB) arrive
    if (errors.length > 0) throw new Error(`the no-WebGPU page logged errors:\n${errors.join('\n')}`);
    await page.screenshot({ path: join(SHOTS, 'built-app-no-webgpu.png'), fullPage: true });
    return `ok: without WebGPU (page: ${seen.page}, worker: ${seen.worker}) the page shows #no-webgpu with the browsers and flags and the published result (${forest} forest rows; ${mechanism}), no console errors; ${((Date.now() - t0) / 1000).toFixed(1)} s`;
  } finally {
    await browser.close();
  }
}

/** Invalid input blocks Run: LoRA rank 0 and a step count that does not parse are listed beside
 *  the Run button (in view with it) and beside their fields, the button is disabled and a click
 *  starts nothing; fixing both frees Run again. The setup tab does not scroll sideways at 390 px. */
async function checkInvalidInputBlocksRun(page: Page): Promise<string> {
  await page.click('[data-tab=setup]');
  await page.evaluate(() => document.querySelectorAll('details.group').forEach((d) => ((d as HTMLDetailsElement).open = true)));
  await page.fill('[data-path="lora.rank"]', '0');
  await page.press('[data-path="lora.rank"]', 'Tab');
  await page.fill('[data-path="rollouts.k"]', 'two');
  await page.press('[data-path="rollouts.k"]', 'Tab');
  const run = page.locator('[data-testid=run]');
  if (!(await run.isDisabled())) throw new Error('Run is enabled although lora.rank is 0 and rollouts.k does not parse');
  const listed = (await page.textContent('[data-testid=run-problems]')) ?? '';
  for (const want of ['Run is blocked by 2 problems', 'lora.rank (0) must be', 'use e.g. 8', 'rollouts.k ("two"): "two" is not a number']) {
    if (!listed.includes(want)) throw new Error(`the problems beside Run should say "${want}": "${listed}"`);
  }
  const beside = (await page.textContent('[data-error-for="lora.rank"]')) ?? '';
  if (!beside.includes('lora.rank (0) must be')) throw new Error(`the LoRA rank field should show its problem: "${beside}"`);
  // scrolled to the field, the Run button and its problem list are still in view, one under the other
  await page.locator('[data-path="lora.rank"]').scrollIntoViewIfNeeded();
  const [btn, list] = [await run.boundingBox(), await page.locator('[data-testid=run-problems]').boundingBox()];
  const vh = page.viewportSize()!.height;
  if (!btn || !list || btn.y < 0 || list.y + Math.min(list.height, 80) > vh || list.y - (btn.y + btn.height) > 60) {
    throw new Error(`the problem list is not in view right under the Run button (button ${JSON.stringify(btn)}, list ${JSON.stringify(list)}, viewport height ${vh})`);
  }
  // a problem leads to its field: its group opens and the input has the focus
  await page.evaluate(() => document.querySelectorAll('details.group').forEach((d) => ((d as HTMLDetailsElement).open = false)));
  await page.click('[data-testid=run-problems] li:has-text("lora.rank")');
  const focused = await page.evaluate(() => document.activeElement?.getAttribute('data-path'));
  if (focused !== 'lora.rank') throw new Error(`clicking the lora.rank problem should focus its field, the focus is on ${focused}`);
  await run.click({ force: true });
  await page.waitForTimeout(500);
  if (await page.$('#run [data-testid=run-status]')) throw new Error('a run started although the setup is invalid');
  // back to the preset's own values
  const preset = resolveSettings(defaultSettings());
  await page.fill('[data-path="lora.rank"]', String(preset.lora.rank));
  await page.press('[data-path="lora.rank"]', 'Tab');
  await page.fill('[data-path="rollouts.k"]', String(preset.rollouts.k));
  await page.press('[data-path="rollouts.k"]', 'Tab');
  if (await run.isDisabled()) throw new Error(`Run stays disabled after the fields were fixed: ${await page.textContent('[data-testid=run-problems]')}`);
  const ready = (await page.textContent('[data-testid=run-problems]')) ?? '';
  if (!ready.startsWith('Ready')) throw new Error(`after the fix the setup should say it is ready: "${ready}"`);
  const hash = await page.evaluate(() => location.hash);
  if (hash.includes('cfg=')) throw new Error(`fields set back to the preset's values should leave no override in the link: ${hash}`);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  const sw = await page.evaluate(() => document.documentElement.scrollWidth);
  await page.setViewportSize({ width: 1280, height: 1000 });
  if (sw > 390) throw new Error(`the setup tab scrolls sideways at 390 px (scrollWidth ${sw})`);
  return `ok: lora.rank 0 and rollouts.k "two" block Run with both problems listed under the button (in view) and beside the fields, a problem leads to its field; fixed, Run is free again; no sideways scroll at 390 px`;
}

/** The published view's pipeline: nine steps, all done; its "intervene" step opens the kept
 *  interventions, and the first one shows the problem, the reference, the attempt with the located
 *  step, the verifier's check in words and the continuation counts from each start. */
async function checkPublishedMechanism(page: Page): Promise<string> {
  const nodes = await page.$$eval('#published [data-testid=pipeline-node]', (ls) => ls.map((l) => `${l.getAttribute('data-node')}:${l.classList.contains('done') ? 'done' : 'not done'}`));
  const want = ['rollouts', 'failures', 'verify', 'locate', 'intervene', 'filter', 'sft', 'rl', 'eval'].map((n) => `${n}:done`);
  if (JSON.stringify(nodes) !== JSON.stringify(want)) throw new Error(`the published pipeline shows ${JSON.stringify(nodes)}, expected every step done: ${JSON.stringify(want)}`);
  await page.click('#published [data-testid=pipeline] button[data-node=intervene]');
  const card = await page.waitForSelector('#published [data-testid=intervention][open]', { timeout: 15_000 });
  const text = async (sel: string) => ((await card.$(sel)) ? ((await (await card.$(sel))!.textContent()) ?? '').trim() : '');
  const got = {
    problem: await text('[data-testid=iv-problem]'),
    reference: await text('[data-testid=iv-reference]'),
    attempt: await text('[data-testid=iv-attempt]'),
    located: await text('[data-testid=iv-attempt] [data-testid=located-step]'),
    log: await text('[data-testid=verifier-log]'),
    continuations: await card.$$eval('[data-testid=continuations] tbody tr', (rs) => rs.map((r) => Array.from((r as HTMLTableRowElement).cells, (c) => c.textContent ?? '').join(': '))),
  };
  for (const [k, v] of Object.entries(got)) if (v.length === 0) throw new Error(`the first published intervention shows no ${k}: ${JSON.stringify(got)}`);
  if (!/line \d+: wrote .*the reference says .*: (right|wrong)/.test(got.log)) throw new Error(`the verifier's check is not in plain words: "${got.log}"`);
  if (/\br:\d|not_selected|\(kept\)/.test(await card.innerText())) throw new Error('the intervention card shows internal ids or raw verifier tokens (outside its "as the model wrote it" box)');
  const starts = got.continuations.join(' | ');
  for (const s of ['prefix', 'prefix + original step', 'prefix + intervention']) if (!got.continuations.some((r) => r.startsWith(`${s}: `) && /: \d+ \/ \d+ solved$/.test(r))) throw new Error(`no "${s}" continuation count in "${starts}"`);
  // its "Try your own step" opens that attempt in Intervene yourself
  const attemptId = (await card.getAttribute('data-attempt')) ?? '';
  await (await card.$('[data-testid=iv-try]'))!.click();
  await page.waitForFunction((id) => (document.querySelector('[data-testid=intervene-attempt]') as HTMLSelectElement | null)?.value === id, attemptId, { timeout: 15_000 });
  if (!(await page.isVisible('[data-testid=intervene]'))) throw new Error('"Try your own step" did not show the Intervene yourself tab');
  return `pipeline of 9 steps done; the first kept intervention shows its problem, reference, attempt, located step "${got.located}" and continuations ${starts}; "Try your own step" opens ${attemptId} in Intervene yourself`;
}

/** A static file server for dist/ (404 for missing files, like a plain static host). */
function serve(dir: string): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    const p = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, p.endsWith('/') ? `${p}index.html` : p);
    try {
      const data = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(data);
    } catch {
      res.writeHead(404);
      res.end('not found');
    }
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

/** "Intervene yourself" on the published run: an empty step blocks Sample and says why; the model's
 *  fix with a small N (SwiftShader is slow) returns solved / samples for the prefix, your step and the
 *  model's intervention; a cancelled sampling says so and frees the button. */
async function checkIntervene(page: Page): Promise<string> {
  const t0 = Date.now();
  const n = 2;
  await page.click('[data-tab=intervene]');
  const statement = (await (await page.waitForSelector('[data-testid=intervene-statement]', { timeout: 60_000 })).textContent()) ?? '';
  await page.fill('[data-testid=intervene-step]', '');
  if (!(await page.isDisabled('[data-testid=intervene-sample]'))) throw new Error('Sample is enabled with an empty step');
  const why = (await page.textContent('[data-testid=intervene-problems]')) ?? '';
  if (!why.includes('your step is empty')) throw new Error(`an empty step should be named beside Sample, the page says "${why}"`);
  await page.click('[data-testid=intervene-use-model]');
  await page.fill('[data-testid=intervene-n]', String(n));
  await page.click('[data-testid=intervene-sample]');
  await page.waitForSelector('[data-testid=intervene-reading], [data-testid=intervene-status].error', { timeout: 240_000 });
  const status = (await page.textContent('[data-testid=intervene-status]')) ?? '';
  if (!status.startsWith('Done')) throw new Error(`intervene yourself did not sample: ${status}`);
  const rows = await page.$$eval('[data-testid=intervene-count]', (rs) => rs.map((r) => ({ kind: r.getAttribute('data-kind'), solved: Number(r.getAttribute('data-solved')), samples: Number(r.getAttribute('data-samples')) })));
  if (JSON.stringify(rows.map((r) => r.kind)) !== JSON.stringify(['prefix', 'yours', 'model'])) throw new Error(`expected counts for prefix, yours and model, got ${JSON.stringify(rows)}`);
  for (const r of rows) if (r.samples !== n || !(r.solved >= 0 && r.solved <= r.samples)) throw new Error(`bad counts ${JSON.stringify(r)} for N = ${n}`);
  // your step is the model's fix: the same start with the same seed gives the same count
  if (rows[1].solved !== rows[2].solved) throw new Error(`your step equals the model's fix but the counts differ: ${JSON.stringify(rows)}`);
  await page.screenshot({ path: join(SHOTS, 'built-app-intervene.png'), fullPage: true });
  // a cancel stops before the next start (N = 32: the first start takes a while)
  await page.fill('[data-testid=intervene-n]', '32');
  await page.click('[data-testid=intervene-sample]');
  await page.click('[data-testid=intervene-cancel]');
  await page.waitForSelector('[data-testid=intervene-status].error', { timeout: 240_000 });
  const cancelled = (await page.textContent('[data-testid=intervene-status]')) ?? '';
  if (!cancelled.includes('sampling was cancelled')) throw new Error(`a cancelled sampling should say so, the page says "${cancelled}"`);
  if (await page.isDisabled('[data-testid=intervene-sample]')) throw new Error('Sample stays disabled after a cancel');
  return `ok: intervene yourself on "${statement}": ${rows.map((r) => `${r.kind} ${r.solved}/${r.samples}`).join(', ')}; an empty step blocks Sample; cancel stops it; ${((Date.now() - t0) / 1000).toFixed(1)} s`;
}

/** Wait until the run status no longer says running / starting. */
async function waitForEnd(page: Page, limitS: number): Promise<void> {
  await page.waitForFunction(() => !/^(running|starting)/.test(document.querySelector('[data-testid=run-status]')?.textContent ?? 'running'), undefined, { timeout: limitS * 1000, polling: 1000 });
}

/** Click a download button and return the bytes it offers (named by `what` in errors). */
async function fetchDownload(page: Page, selector: string, what: string): Promise<Uint8Array> {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.click(selector)]);
  const path = await dl.path();
  const bytes = new Uint8Array(await readFile(path));
  if (bytes.byteLength === 0) throw new Error(`the ${what} download (${dl.suggestedFilename()}) is empty`);
  return bytes;
}

/** Every line of a JSONL download parses as a JSON object; returns them. */
function jsonlLines(bytes: Uint8Array, what: string): Record<string, unknown>[] {
  const lines = new TextDecoder().decode(bytes).split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error(`the ${what} download has no lines`);
  return lines.map((l, i) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`the ${what} download: line ${i + 1} is not JSON (${(e as Error).message}): ${l.slice(0, 80)}`);
    }
  });
}

/** The results view's downloads of a finished run: each is non-empty and parses (run JSON, JSONL
 *  lines, Parquet magic at both ends, PEFT adapter with LoRA keys in its safetensors header).
 *  Returns the run JSON's path for the import check and a summary. */
async function checkDownloads(page: Page, dir: string): Promise<{ runJson: string; summary: string }> {
  await page.click('[data-tab=results]');
  await page.waitForSelector('[data-testid=run-exports] button', { timeout: 15_000 });
  const runJson = await fetchDownload(page, '[data-testid=download-run-json]', 'run JSON');
  const run = JSON.parse(new TextDecoder().decode(runJson)) as { format?: string; id?: string };
  if (run.format !== 'int-lab-run') throw new Error(`the run JSON download has format ${run.format}`);
  if ((await fetchDownload(page, '[data-testid=download-metrics-csv]', 'metrics CSV')).byteLength < 10) throw new Error('the metrics CSV download is nearly empty');
  await fetchDownload(page, '[data-testid=download-results-md]', 'results.md');
  const verdicts = jsonlLines(await fetchDownload(page, '[data-testid=download-interventions]', 'interventions JSONL'), 'interventions JSONL').length;
  const sft = jsonlLines(await fetchDownload(page, '[data-testid=download-sft-jsonl]', 'SFT JSONL'), 'SFT JSONL');
  if (!sft.every((r) => Array.isArray(r.prompt) && Array.isArray(r.completion))) throw new Error('the SFT JSONL rows are not TRL prompt/completion rows');
  for (const [sel, what] of [['[data-testid=download-sft-parquet]', 'SFT Parquet'], ['[data-testid=download-rl-parquet]', 'RL Parquet']]) {
    const b = await fetchDownload(page, sel, what);
    const magic = (o: number) => new TextDecoder().decode(b.subarray(o, o + 4));
    if (magic(0) !== 'PAR1' || magic(b.byteLength - 4) !== 'PAR1') throw new Error(`the ${what} download does not start and end with PAR1 (${b.byteLength} bytes)`);
  }
  const arms = await page.$$eval('[data-testid=download-adapter-weights]', (bs) => bs.map((b) => b.getAttribute('data-arm') ?? ''));
  if (!arms.includes('int_rl')) throw new Error(`no PEFT adapter download for int_rl (arms with one: ${arms.join(', ') || 'none'})`);
  const w = await fetchDownload(page, '[data-testid=download-adapter-weights][data-arm=int_rl]', 'int_rl adapter_model.safetensors');
  const n = Number(new DataView(w.buffer, w.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(w.subarray(8, 8 + n))) as Record<string, unknown>;
  const keys = Object.keys(header).filter((k) => k !== '__metadata__');
  const lora = keys.filter((k) => /^base_model\.model\..*\.lora_[AB]\.weight$/.test(k));
  if (lora.length === 0 || lora.length !== keys.length) throw new Error(`the int_rl adapter's safetensors header should hold only PEFT LoRA keys: ${keys.slice(0, 4).join(', ')}`);
  const cfg = JSON.parse(new TextDecoder().decode(await fetchDownload(page, '[data-testid=download-adapter-config][data-arm=int_rl]', 'int_rl adapter_config.json'))) as { peft_type?: string };
  if (cfg.peft_type !== 'LORA') throw new Error(`adapter_config.json has peft_type ${cfg.peft_type}`);
  const path = join(dir, `${run.id}.json`);
  await writeFile(path, runJson);
  return { runJson: path, summary: `downloads parse: ${verdicts} intervention verdicts, ${sft.length} SFT rows, Parquet magic, ${arms.length} PEFT adapters (int_rl: ${lora.length} LoRA tensors)` };
}

/** The arm labels of the results table; throws unless they are the default settings' arms (the
 *  browser preset's) in table order. */
async function armRows(page: Page): Promise<string[]> {
  const rows = await page.$$eval('table.arms-table tbody tr', (trs) => trs.map((tr) => tr.firstElementChild?.textContent ?? ''));
  const want = defaultSettings().arms.map((a) => getArm(a).label);
  if (JSON.stringify(rows) !== JSON.stringify(want)) throw new Error(`results table arms ${JSON.stringify(rows)}, expected ${JSON.stringify(want)}`);
  return rows;
}

async function main(): Promise<void> {
  const limitS = Number(process.argv[2] ?? 600);
  const server = await serve(DIST);
  const port = (server.address() as { port: number }).port;
  try {
    console.log(await checkNoWebgpu(`http://127.0.0.1:${port}/`));
  } catch (e) {
    server.close();
    throw e;
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  let t0 = Date.now();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForSelector('#webgpu-report, #no-webgpu', { timeout: 60_000 });
    const adapter = await page.textContent('[data-testid=adapter]');
    if (!adapter?.toLowerCase().includes('swiftshader')) throw new Error(`expected the SwiftShader adapter, the page says ${adapter}`);
    console.log(await checkInvalidInputBlocksRun(page));
    if (process.env.E2E_SETUP_ONLY === '1') return;
    console.log(await checkIntervene(page));
    t0 = Date.now();
    await page.click('[data-tab=setup]'); // the page opens on the published result
    await page.click('[data-testid=run]');
    await waitForEnd(page, limitS);
    const status = await page.textContent('[data-testid=run-status]');
    if (!status?.startsWith('finished')) throw new Error(`the run did not finish: ${status}`);
    const rows = await armRows(page);
    await page.click('[data-tab=rollouts]');
    const spliced = await page.$$eval('[data-testid=spliced]', (e) => e.length);
    if (spliced === 0) throw new Error('the rollouts view shows no spliced intervention after the browser-smoke run');
    await page.screenshot({ path: join(SHOTS, 'built-app-rollouts.png'), fullPage: true });
    await page.click('[data-tab=results]');
    await page.screenshot({ path: join(SHOTS, 'built-app-results.png'), fullPage: true });
    console.log(`ok: ${status}; ${rows.length} arms; ${spliced} spliced interventions shown; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const dlDir = await mkdtemp(join(tmpdir(), 'int-e2e-downloads-'));
    const t4 = Date.now();
    const downloads = await checkDownloads(page, dlDir);
    console.log(`ok: ${downloads.summary}; ${((Date.now() - t4) / 1000).toFixed(1)} s`);
    await page.click('[data-tab=runs]');
    await page.waitForSelector('[data-testid=saved-run]', { timeout: 10_000 });
    const headlines = await page.$$eval('[data-testid=saved-run]', (trs) => trs.map((tr) => [...tr.children].slice(1, 4).map((td) => td.textContent ?? '')));
    if (headlines.length !== 1) throw new Error(`expected 1 saved run after the first run, the Runs view lists ${headlines.length}`);
    for (const h of headlines) if (!/^\d+\.\d%$/.test(h[0]) || !/^\d+\.\d%$/.test(h[1]) || !/pts \[/.test(h[2])) throw new Error(`the saved run lacks its headline numbers (InT + RL, RL, paired difference): ${JSON.stringify(h)}`);
    // the run's JSON, imported, replaces its stored copy (same id) and opens in the results view
    await page.setInputFiles('[data-testid=import-run]', downloads.runJson);
    await page.waitForSelector('#results table.arms-table', { state: 'visible', timeout: 10_000 });
    await armRows(page);
    await page.click('[data-tab=runs]');
    await page.waitForSelector('[data-testid=saved-run]', { timeout: 10_000 });
    if ((await page.$$('[data-testid=saved-run]')).length !== 1) throw new Error('importing a stored run JSON should replace that run, not add one');
    await rm(dlDir, { recursive: true, force: true });
    console.log(`ok: the saved run lists its headline numbers (${headlines[0].join(' / ')}); its imported run JSON opens in the results view`);
    if (process.env.E2E_FIRST_RUN_ONLY === '1') return void console.log('E2E_FIRST_RUN_ONLY=1: the reload / resume and Node checks are skipped');
    const web = await newestStoredRun(page);
    if ((await page.$$('[data-testid=resume-run]')).length !== 0) throw new Error('a finished run is still listed as unfinished');

    // ---- a second run, from a link that carries a smaller config (the first run already covered the
    // default's size), interrupted by a page reload once 'rollouts' and an SFT adapter (int_rl) are
    // stored, then resumed: its RL stage must start from the stored adapter
    const t1 = Date.now();
    const small = defaultSettings();
    small.overrides = SECOND_RUN_OVERRIDES;
    await page.goto(`http://127.0.0.1:${port}/${settingsToHash(small)}`);
    await page.reload();
    await page.waitForSelector('#webgpu-report', { timeout: 60_000 });
    await page.click('[data-tab=setup]');
    await page.click('[data-testid=run]');
    await page.waitForSelector(`.stage.done[data-stage="${RELOAD_AFTER}"]`, { timeout: limitS * 1000 });
    await page.reload();
    await page.waitForSelector('[data-testid=resume-run]', { timeout: 60_000 });
    const pending = await page.$$('[data-testid=pending-run]');
    if (pending.length !== 1) throw new Error(`expected 1 unfinished run after the reload, the page lists ${pending.length}`);
    const listed = (await page.textContent('[data-testid=pending-completed]')) ?? '';
    const stored = listed.replace(/^.*stages: /, '').split(', ');
    for (const st of ['pool', 'rollouts', RELOAD_AFTER]) if (!stored.includes(st)) throw new Error(`the unfinished run should list ${st} as completed: "${listed}"`);
    const t2 = Date.now();
    await page.click('[data-testid=resume-run]');
    await waitForEnd(page, limitS);
    const status2 = await page.textContent('[data-testid=run-status]');
    if (!status2?.startsWith('finished')) throw new Error(`the resumed run did not finish: ${status2}`);
    const stageText = await page.$$eval('.stage', (rs) => rs.map((r) => [r.getAttribute('data-stage') ?? '', r.querySelector('.eta')?.textContent ?? ''] as [string, string]));
    const loaded = stageText.filter(([, t]) => t.startsWith('loaded')).map(([n]) => n);
    if (JSON.stringify(loaded) !== JSON.stringify(stored)) throw new Error(`stages loaded on resume ${JSON.stringify(loaded)}, expected the stored ones ${JSON.stringify(stored)}`);
    const notDone = stageText.filter(([n, t]) => !loaded.includes(n) && !t.startsWith('done in')).map(([n, t]) => `${n}: ${t}`);
    if (notDone.length > 0) throw new Error(`stages not finished after the resumed run: ${notDone.join('; ')}`);
    const rows2 = await armRows(page);
    if ((await page.$$('[data-testid=resume-run]')).length !== 0) throw new Error('the resumed run is still listed as unfinished after it finished');
    await page.click('[data-tab=runs]');
    await page.waitForSelector('[data-testid=saved-run]', { timeout: 10_000 });
    const saved = (await page.$$('[data-testid=saved-run]')).length;
    if (saved !== 2) throw new Error(`expected 2 saved runs (the full one and the resumed one), the Runs view lists ${saved}`);
    await page.click('[data-tab=run]');
    await page.screenshot({ path: join(SHOTS, 'built-app-resumed.png'), fullPage: true });
    console.log(`ok: resumed run ${status2}; ${loaded.length} stored stages loaded (${loaded[0]} … ${loaded[loaded.length - 1]}); ${rows2.length} arms; ${((t2 - t1) / 1000).toFixed(1)} s until the reload was resumed, ${((Date.now() - t2) / 1000).toFixed(1)} s resumed; ${((Date.now() - t0) / 1000).toFixed(1)} s in all`);

    // ---- the same preset and seed in Node, through the same pipeline, on Dawn
    const settings = defaultSettings();
    const config = resolveSettings(settings);
    if (JSON.stringify(config) !== JSON.stringify(web.config)) throw new Error('the browser run used another config than the default settings resolve to in Node');
    const t3 = Date.now();
    const out = await mkdtemp(join(tmpdir(), 'int-e2e-node-'));
    const gpu = await Gpu.create();
    try {
      const node = await runExperiment({ out, config, preset: settings.preset, arms: settings.arms, root: ROOT, gpu });
      if (!node.results) throw new Error('the Node run stopped early');
      const bad = disagreements(node.results, web.results);
      const summary = Object.keys(node.results.arms).map((id) => `${id} ${node.results!.arms[id].eval.overall.passAt['1']?.estimate.toFixed(3)}/${web.results.arms[id].eval.overall.passAt['1']?.estimate.toFixed(3)}`).join(', ');
      if (bad.length > 0) throw new Error(`Node and browser results disagree beyond the stated tolerance: ${bad.join('; ')}`);
      console.log(`ok: Node (${gpu.describe()}) and browser agree: rollouts correct ${node.results.pipeline.rollouts.correct}/${web.results.pipeline.rollouts.correct}; interventions kept ${node.results.pipeline.filter.byStatus.kept}/${web.results.pipeline.filter.byStatus.kept}; pass@1 node/browser ${summary}; Node run ${((Date.now() - t3) / 1000).toFixed(1)} s`);
    } finally {
      gpu.destroy();
      await rm(out, { recursive: true, force: true });
    }
  } finally {
    await browser.close();
    server.close();
  }
}

main().then(
  () =>
    console.log(
      process.env.E2E_SETUP_ONLY === '1'
        ? 'e2e: 2 passed (no-WebGPU page; invalid input blocks Run), the rest skipped (E2E_SETUP_ONLY=1)'
        : process.env.E2E_FIRST_RUN_ONLY === '1'
          ? 'e2e: 4 passed (no-WebGPU page; invalid input blocks Run; intervene yourself; full run with its downloads, saved run and import), the rest skipped (E2E_FIRST_RUN_ONLY=1)'
          : 'e2e: 7 passed (no-WebGPU page; invalid input blocks Run; intervene yourself; full run; downloads parse, saved run and import; reload and resume; Node and browser agree), 0 failed',
    ),
  (e) => {
    console.error(e);
    console.log('e2e: failed (see the error above)');
    process.exit(1);
  },
);
