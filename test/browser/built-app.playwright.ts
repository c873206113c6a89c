// Playwright script for the built app (run `npx vite build` first, then
// `npx tsx test/browser/built-app.playwright.ts [seconds]`): serves dist/ on 127.0.0.1, opens it in
// the system Chromium (SwiftShader WebGPU), runs the default preset through the UI, checks that the
// results table lists every arm, and saves screenshots under test/__screenshots__/. Then it starts a
// second run, reloads the page once the data stages (from 'rollouts' on) and one arm's SFT are
// complete, resumes the stored run and checks that the completed stages are loaded (not
// recomputed) and that the run finishes with every arm.
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { ARM_IDS, getArm } from '../../src/int/arms';

const DIST = join(import.meta.dirname, '../../dist');
const SHOTS = join(import.meta.dirname, '../__screenshots__');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm' };
/** The second run is reloaded once this stage is done (after the data stages and an arm's SFT). */
const RELOAD_AFTER = 'sft_ref_rl/sft';
const FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--no-sandbox', '--headless', '--disable-gpu-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

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

/** Wait until the run status no longer says running / starting. */
async function waitForEnd(page: Page, limitS: number): Promise<void> {
  await page.waitForFunction(() => !/^(running|starting)/.test(document.querySelector('[data-testid=run-status]')?.textContent ?? 'running'), undefined, { timeout: limitS * 1000, polling: 1000 });
}

/** The arm labels of the results table; throws unless they are every arm in table order. */
async function armRows(page: Page): Promise<string[]> {
  const rows = await page.$$eval('table.arms-table tbody tr', (trs) => trs.map((tr) => tr.firstElementChild?.textContent ?? ''));
  const want = ARM_IDS.map((a) => getArm(a).label);
  if (JSON.stringify(rows) !== JSON.stringify(want)) throw new Error(`results table arms ${JSON.stringify(rows)}, expected ${JSON.stringify(want)}`);
  return rows;
}

async function main(): Promise<void> {
  const limitS = Number(process.argv[2] ?? 300);
  const server = await serve(DIST);
  const port = (server.address() as { port: number }).port;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: FLAGS });
  const t0 = Date.now();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForSelector('#webgpu-report, #no-webgpu', { timeout: 60_000 });
    const adapter = await page.textContent('[data-testid=adapter]');
    if (!adapter?.toLowerCase().includes('swiftshader')) throw new Error(`expected the SwiftShader adapter, the page says ${adapter}`);
    await page.click('[data-testid=run]');
    await waitForEnd(page, limitS);
    const status = await page.textContent('[data-testid=run-status]');
    if (!status?.startsWith('finished')) throw new Error(`the run did not finish: ${status}`);
    const rows = await armRows(page);
    await page.click('[data-tab=rollouts]');
    const spliced = await page.$$eval('[data-testid=spliced]', (e) => e.length);
    await page.screenshot({ path: join(SHOTS, 'built-app-rollouts.png'), fullPage: true });
    await page.click('[data-tab=results]');
    await page.screenshot({ path: join(SHOTS, 'built-app-results.png'), fullPage: true });
    console.log(`ok: ${status}; ${rows.length} arms; ${spliced} spliced interventions shown; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    if ((await page.$$('[data-testid=resume-run]')).length !== 0) throw new Error('a finished run is still listed as unfinished');

    // ---- a second run, interrupted by a page reload once 'rollouts' and an SFT adapter (sft_ref_rl)
    // are stored, then resumed: its RL stage must start from the stored adapter
    const t1 = Date.now();
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
  } finally {
    await browser.close();
    server.close();
  }
}

main().then(
  () => console.log('e2e: 2 passed (full run; reload and resume), 0 failed'),
  (e) => {
    console.error(e);
    console.log('e2e: failed (see the error above)');
    process.exit(1);
  },
);
