// Model downloads as the Models tab shows them: byte / percent / ETA formatting and the progress
// tracker (pure), the worker's progress throttle and cache listing / clearing, and a whole hub
// model downloaded from a local server with the hub's URL layout, resumed from a partial file.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, NodeDirStore } from '../../src/io/cache';
import type { DownloadProgress } from '../../src/io/hub';
import { describeDownload, DownloadTracker, fmtEta, fmtProgress } from '../../src/ui/download-progress';
import { cacheByModel } from '../../src/ui/views/model-cache';
import { clearModelCache, downloadHubModel, listModelCache, parseCacheKey, throttleProgress } from '../../src/worker/model-cache';
import type { ModelDownloadProgress } from '../../src/worker/protocol';

const FIX = new URL('../fixtures/models/tiny-llama/', import.meta.url).pathname;
const p = (file: string, loaded: number, total?: number, cached = false): ModelDownloadProgress => ({ repo: 'o/m', file, loaded, total, cached });

describe('download progress (pure)', () => {
  it('formats ETAs and byte progress', () => {
    expect(fmtEta(0)).toBe('0:00');
    expect(fmtEta(42.4)).toBe('0:42');
    expect(fmtEta(187)).toBe('3:07');
    expect(fmtEta(3909)).toBe('1:05:09');
    expect(fmtEta(NaN)).toBe('--');
    expect(fmtEta(Infinity)).toBe('--');
    expect(fmtProgress(512, 2048)).toBe('512 B of 2.0 KiB (25%)');
    expect(fmtProgress(3 * 2 ** 20, undefined)).toBe('3.0 MiB');
    expect(fmtProgress(10, 10)).toBe('10 B of 10 B (100%)');
  });

  it('sums files, measures the rate on fetched bytes only and gives per-file and total ETAs', () => {
    const t = new DownloadTracker('o/m');
    t.update(p('config.json', 700, 700, true), 0); // from the cache: no rate, no time
    t.update(p('model.safetensors', 1000, 11000), 1000); // resumed at byte 1000
    t.update(p('model.safetensors', 3000, 11000), 3000); // 2000 bytes in 2 s
    const s = t.snapshot(3000);
    expect(s.loaded).toBe(3700);
    expect(s.total).toBe(11700);
    expect(s.rate).toBeCloseTo(1000, 6);
    expect(s.eta).toBeCloseTo(8, 6);
    expect(s.files.map((f) => [f.file, f.done, f.cached])).toEqual([
      ['config.json', true, true],
      ['model.safetensors', false, false],
    ]);
    expect(s.files[1].eta).toBeCloseTo(8, 6);
    expect(describeDownload(s)).toBe('o/m: 3.6 KiB of 11.4 KiB (31%) (1 of 2 files done), 1000 B/s, ETA 0:08');
  });

  it('has no ETA while a file of unknown size downloads, nor before any rate is measured', () => {
    const t = new DownloadTracker('o/m');
    t.update(p('a.bin', 0, 100), 0);
    expect(Number.isNaN(t.snapshot(0).eta)).toBe(true);
    t.update(p('b.bin', 50), 1000);
    const s = t.snapshot(2000);
    expect(s.totalUnknown).toBe(true);
    expect(Number.isNaN(s.eta)).toBe(true);
    expect(describeDownload(s)).toMatch(/^o\/m: 50 B so far .*ETA --$/);
  });

  it('groups cached files by model', () => {
    const g = cacheByModel([
      { repo: 'b/y', revision: 'main', file: 'config.json', bytes: 5, complete: true },
      { repo: 'a/x', revision: 'main', file: 'config.json', bytes: 7, complete: true },
      { repo: 'a/x', revision: 'main', file: 'model.safetensors', bytes: 100, complete: false },
    ]);
    expect(g.map((m) => [m.repo, m.files.length, m.bytes, m.complete])).toEqual([
      ['a/x', 2, 107, false],
      ['b/y', 1, 5, true],
    ]);
  });
});

describe('the worker side of the download cache', () => {
  it('throttles progress per file but always passes the first, the last and cache hits', () => {
    let now = 0;
    const got: DownloadProgress[] = [];
    const f = throttleProgress((x) => got.push(x), 100, () => now);
    const e = (loaded: number, cached = false) => ({ file: 'w', loaded, total: 50, cached });
    f(e(0));
    now = 10;
    f(e(10));
    now = 20;
    f(e(20));
    now = 120;
    f(e(30));
    now = 121;
    f(e(50));
    f({ file: 'c', loaded: 5, total: 5, cached: true });
    expect(got.map((x) => `${x.file}:${x.loaded}`)).toEqual(['w:0', 'w:30', 'w:50', 'c:5']);
  });

  it('parses cache keys', () => {
    expect(parseCacheKey('Qwen/Qwen3-0.6B/main/model.safetensors')).toEqual({ repo: 'Qwen/Qwen3-0.6B', revision: 'main', file: 'model.safetensors' });
    expect(parseCacheKey('o/m/main/sub/dir/f.json')?.file).toBe('sub/dir/f.json');
    expect(parseCacheKey('stray.json')).toBeNull();
  });

  it('lists complete and partial entries with sizes in the Node folder and memory stores', async () => {
    const dir = mkdtempSync(`${tmpdir()}/int-lab-cache-list-`);
    try {
      for (const store of [new NodeDirStore(dir), new MemoryStore()]) {
        const a = await store.append('o/m/main/config.json');
        await a.write(new Uint8Array(12));
        await a.close();
        await store.commit('o/m/main/config.json');
        const b = await store.append('o/m/main/model.safetensors');
        await b.write(new Uint8Array(30));
        await b.close();
        expect(await store.list(), store.kind).toEqual([
          { key: 'o/m/main/config.json', size: 12, complete: true },
          { key: 'o/m/main/model.safetensors', size: 30, complete: false },
        ]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a hub model download from a local server', () => {
  let server: Server;
  let endpoint = '';
  const ranges: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const m = /^\/o\/m\/resolve\/main\/(.+)$/.exec(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      let body: Buffer;
      try {
        body = readFileSync(`${FIX}${m?.[1] ?? 'none'}`);
      } catch {
        return void res.writeHead(404).end('Entry not found');
      }
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (range) {
        ranges.push(`${m![1]}:${range[1]}`);
        const start = Number(range[1]);
        res.writeHead(206, { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, 'content-length': String(body.length - start) }).end(body.subarray(start));
      } else res.writeHead(200, { 'content-length': String(body.length) }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('downloads the files the loader reads, resumes a partial file with a Range request, and lists and clears them', async () => {
    const store = new MemoryStore();
    const weights = readFileSync(`${FIX}model.safetensors`);
    // a download cut short: config.json complete, the weights' first 4096 bytes held
    const c = await store.append('o/m/main/config.json');
    await c.write(readFileSync(`${FIX}config.json`));
    await c.close();
    await store.commit('o/m/main/config.json');
    const w = await store.append('o/m/main/model.safetensors');
    await w.write(weights.subarray(0, 4096));
    await w.close();

    const tracker = new DownloadTracker('o/m');
    let clock = 0;
    const got = await downloadHubModel('o/m', (x) => tracker.update(x, (clock += 10)), { store, endpoint, throttleMs: 0 });
    expect(got).toEqual(['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors']);
    expect(ranges).toEqual(['model.safetensors:4096']);
    const s = tracker.snapshot(clock);
    const sizes = got.map((f) => readFileSync(`${FIX}${f}`).length);
    expect(s.loaded).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(s.total).toBe(s.loaded);
    expect(s.files.every((f) => f.done)).toBe(true);
    expect(s.files.find((f) => f.file === 'config.json')?.cached).toBe(true);
    expect((await (await store.get('o/m/main/model.safetensors'))!.slice(0, weights.length)).every((b, i) => b === weights[i])).toBe(true);

    const listing = await listModelCache(store);
    expect(listing.kind).toBe('memory');
    expect(listing.files.map((f) => [f.file, f.bytes, f.complete]).sort()).toEqual(got.map((f, i) => [f, sizes[i], true]).sort());
    expect(await clearModelCache('other/model', store)).toBe(0);
    // the five files and the cached answer that model.safetensors.index.json is absent
    expect(await clearModelCache('o/m', store)).toBe(6);
    expect((await store.list()).length).toBe(0);
    expect((await listModelCache(store)).files).toEqual([]);
  });
});
