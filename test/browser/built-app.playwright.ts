// Playwright script for the built app (run `npx vite build` first, then
// `npx tsx test/browser/built-app.playwright.ts [seconds]`): serves dist/ on 127.0.0.1, opens it in
// the system Chromium (SwiftShader WebGPU), runs the default preset through the UI, checks that the
// results table lists every arm, and saves screenshots under test/__screenshots__/.
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import { ARM_IDS, getArm } from '../../src/int/arms';

const DIST = join(import.meta.dirname, '../../dist');
const SHOTS = join(import.meta.dirname, '../__screenshots__');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm' };
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
    await page.waitForFunction(() => !/^(running|starting)/.test(document.querySelector('[data-testid=run-status]')?.textContent ?? 'running'), undefined, { timeout: limitS * 1000, polling: 1000 });
    const status = await page.textContent('[data-testid=run-status]');
    if (!status?.startsWith('finished')) throw new Error(`the run did not finish: ${status}`);
    const rows = await page.$$eval('table.arms-table tbody tr', (trs) => trs.map((tr) => tr.firstElementChild?.textContent ?? ''));
    const want = ARM_IDS.map((a) => getArm(a).label);
    if (JSON.stringify(rows) !== JSON.stringify(want)) throw new Error(`results table arms ${JSON.stringify(rows)}, expected ${JSON.stringify(want)}`);
    await page.click('[data-tab=rollouts]');
    const spliced = await page.$$eval('[data-testid=spliced]', (e) => e.length);
    await page.screenshot({ path: join(SHOTS, 'built-app-rollouts.png'), fullPage: true });
    await page.click('[data-tab=results]');
    await page.screenshot({ path: join(SHOTS, 'built-app-results.png'), fullPage: true });
    console.log(`ok: ${status}; ${rows.length} arms; ${spliced} spliced interventions shown; ${((Date.now() - t0) / 1000).toFixed(1)} s in all`);
  } finally {
    await browser.close();
    server.close();
  }
}

main().then(
  () => console.log('e2e: 1 passed, 0 failed'),
  (e) => {
    console.error(e);
    console.log('e2e: 0 passed, 1 failed');
    process.exit(1);
  },
);
