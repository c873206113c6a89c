// Hub downloads against a local HTTP server with the hub's URL layout (progress, cache hits,
// Range resume, missing files), the download caches, and the local folder sources.

import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubError, HubSource, hubFileUrl, type DownloadProgress } from '../../src/io/hub';
import { MemoryStore, NodeDirStore } from '../../src/io/cache';
import { BrowserFolderSource, ModelFileNotFoundError, NodeFolderSource } from '../../src/io/folder';
import { SafetensorsError } from '../../src/io/safetensors-format';
import { loadWeights } from '../../src/io/safetensors-read';
import { parseModelConfig } from '../../src/model/config';
import { buildParamTable, checkpointIgnore, expectedTensors } from '../../src/model/params';
import { loadTokenizer } from '../../src/io/tokenizer';

const FIX = new URL('../fixtures/models/', import.meta.url).pathname;

/** What the fake hub does; tests change it between requests. */
const hub = {
  repos: { 'test-org/tiny-llama': 'tiny-llama', 'test-org/tiny-sharded': 'tiny-llama-sharded', 'test-org/tiny-qwen2': 'tiny-qwen2' } as Record<string, string>,
  hidden: new Set<string>(),
  /** file -> bytes to send before dropping the connection (applies once). */
  cutOnce: new Map<string, number>(),
  /** The connection held open by cutOnce, until dropCut() ends it. */
  cutSocket: null as import('node:net').Socket | null,
  /** file -> status to answer once before serving normally. */
  failOnce: new Map<string, number>(),
  ignoreRange: false,
  status: new Map<string, number>(),
  log: [] as { path: string; range?: string; auth?: string }[],
};

let server: Server;
let endpoint = '';
let tmp = '';

beforeAll(async () => {
  tmp = mkdtempSync(`${tmpdir()}/int-lab-hub-test-`);
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    hub.log.push({ path, range: req.headers.range, auth: req.headers.authorization });
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(path);
    if (api) {
      const dir = hub.repos[api[1]];
      if (!dir) return void res.writeHead(404).end();
      const files = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: api[1], siblings: files.map((rfilename) => ({ rfilename })) }));
      return;
    }
    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const dir = m && hub.repos[m[1]];
    const file = m?.[3] ?? '';
    if (!m || !dir || hub.hidden.has(file)) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
    const forced = hub.status.get(file) ?? hub.failOnce.get(file);
    if (forced) {
      hub.failOnce.delete(file);
      return void res.writeHead(forced).end();
    }
    let body: Buffer;
    try {
      body = readFileSync(`${FIX}${dir}/${file}`);
    } catch {
      return void res.writeHead(404).end('Entry not found');
    }
    let start = 0;
    let status = 200;
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range && !hub.ignoreRange) {
      start = Number(range[1]);
      if (start >= body.length) return void res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      const end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
      headers['content-range'] = `bytes ${start}-${end}/${body.length}`;
      body = body.subarray(start, end + 1);
      status = 206;
    }
    headers['content-length'] = String(body.length);
    res.writeHead(status, headers);
    const cut = hub.cutOnce.get(file);
    if (cut !== undefined) {
      hub.cutOnce.delete(file);
      // the connection stays open after these bytes until the test drops it (hub.dropCut), once the
      // client has read them all: a drop on a timer raced the client's reads on a loaded machine
      res.write(body.subarray(0, cut));
      hub.cutSocket = res.socket;
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

const reset = () => {
  hub.hidden.clear();
  hub.cutOnce.clear();
  hub.failOnce.clear();
  hub.status.clear();
  hub.ignoreRange = false;
  hub.log = [];
};

function cacheDir(name: string): string {
  const d = `${tmp}/${name}`;
  mkdirSync(d, { recursive: true });
  return d;
}

async function loadModel(source: HubSource | NodeFolderSource) {
  const config = parseModelConfig(await source.json('config.json'), await source.json('generation_config.json'));
  const table = buildParamTable(config);
  const got = new Map<string, Float32Array>();
  await loadWeights(source, {
    dtype: 'f32',
    expected: expectedTensors(table),
    ignore: checkpointIgnore(config),
    onTensor: (name, _shape, data) => void got.set(name, data as Float32Array),
  });
  return got;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('HubSource', () => {
  it('builds hub URLs and validates repo ids', () => {
    expect(hubFileUrl('Qwen/Qwen3-0.6B', 'model.safetensors')).toBe('https://huggingface.co/Qwen/Qwen3-0.6B/resolve/main/model.safetensors');
    expect(hubFileUrl('a/b', 'sub dir/x.json', 'v1.0', 'http://h/')).toBe('http://h/a/b/resolve/v1.0/sub%20dir/x.json');
    expect(() => new HubSource('not-a-repo')).toThrow(/expected "owner\/name"/);
  });

  it('downloads a model with progress, then loads it from the cache without requests', async () => {
    reset();
    const dir = cacheDir('first');
    const events: DownloadProgress[] = [];
    const src = new HubSource('test-org/tiny-llama', { endpoint, cacheDir: dir, onProgress: (p) => events.push(p) });
    const weights = await loadModel(src);
    const local = await loadModel(new NodeFolderSource(`${FIX}tiny-llama`));
    expect(weights.size).toBe(local.size);
    for (const [k, v] of local) expect(weights.get(k)).toEqual(v);
    const st = events.filter((e) => e.file === 'model.safetensors');
    const size = readFileSync(`${FIX}tiny-llama/model.safetensors`).length;
    expect(st.at(-1)).toEqual({ file: 'model.safetensors', loaded: size, total: size, cached: false });
    expect(st.map((e) => e.loaded)).toEqual([...st.map((e) => e.loaded)].sort((a, b) => a - b));
    expect(hub.log.filter((r) => r.path.endsWith('/model.safetensors')).length).toBe(1);
    expect(existsSync(`${dir}/test-org/tiny-llama/main/model.safetensors`)).toBe(true);

    hub.log = [];
    const cachedEvents: DownloadProgress[] = [];
    const again = new HubSource('test-org/tiny-llama', { endpoint, cacheDir: dir, onProgress: (p) => cachedEvents.push(p) });
    const w2 = await loadModel(again);
    expect(w2.size).toBe(local.size);
    // every file is a cache hit, and so is the absence of the optional shard index
    expect(hub.log).toEqual([]);
    expect(cachedEvents.find((e) => e.file === 'model.safetensors')).toMatchObject({ cached: true, loaded: size });

    // offline: a fetch that always fails is never needed
    const offline = new HubSource('test-org/tiny-llama', { endpoint, cacheDir: dir, fetch: () => Promise.reject(new Error('offline')) });
    expect((await loadModel(offline)).size).toBe(local.size);
    // refresh: every file is fetched again, once
    const fresh = new HubSource('test-org/tiny-llama', { endpoint, cacheDir: dir, refresh: true });
    await loadModel(fresh);
    await fresh.open('config.json');
    expect(hub.log.filter((r) => r.path.endsWith('/config.json')).length).toBe(1);
    expect(hub.log.filter((r) => r.path.endsWith('/model.safetensors')).length).toBe(1);
  });

  it('resumes with a Range request after the connection drops mid-file', async () => {
    reset();
    const file = readFileSync(`${FIX}tiny-llama/model.safetensors`);
    hub.cutOnce.set('model.safetensors', 50_000);
    // drop the connection once the client has read the 50,000 bytes sent
    const onProgress = (p: DownloadProgress) => {
      if (p.loaded >= 50_000 && hub.cutSocket) {
        hub.cutSocket.destroy();
        hub.cutSocket = null;
      }
    };
    const src = new HubSource('test-org/tiny-llama', { endpoint, cacheDir: cacheDir('resume'), retryDelayMs: 1, onProgress });
    const f = await src.open('model.safetensors');
    expect(sameBytes(await f.slice(0, f.size), file)).toBe(true);
    const reqs = hub.log.filter((r) => r.path.endsWith('/model.safetensors'));
    expect(reqs.length).toBe(2);
    expect(reqs[0].range).toBeUndefined();
    expect(reqs[1].range).toBe('bytes=50000-');
  });

  it('continues a partial download left by an earlier session', async () => {
    reset();
    const file = readFileSync(`${FIX}tiny-llama/model.safetensors`);
    const dir = cacheDir('partial');
    mkdirSync(`${dir}/test-org/tiny-llama/main`, { recursive: true });
    writeFileSync(`${dir}/test-org/tiny-llama/main/model.safetensors.part`, file.subarray(0, 1234));
    const events: DownloadProgress[] = [];
    const src = new HubSource('test-org/tiny-llama', { endpoint, cacheDir: dir, onProgress: (p) => events.push(p) });
    const f = await src.open('model.safetensors');
    expect(sameBytes(await f.slice(0, f.size), file)).toBe(true);
    expect(hub.log.map((r) => r.range)).toEqual(['bytes=1234-']);
    expect(events[0]).toMatchObject({ loaded: 1234, total: file.length });
    expect(existsSync(`${dir}/test-org/tiny-llama/main/model.safetensors.part`)).toBe(false);
  });

  it('starts over when the server ignores Range, and retries server errors', async () => {
    reset();
    const file = readFileSync(`${FIX}tiny-llama/model.safetensors`);
    const dir = cacheDir('norange');
    mkdirSync(`${dir}/test-org/tiny-llama/main`, { recursive: true });
    writeFileSync(`${dir}/test-org/tiny-llama/main/model.safetensors.part`, Buffer.alloc(999, 7)); // garbage prefix
    hub.ignoreRange = true;
    hub.failOnce.set('model.safetensors', 503);
    const src = new HubSource('test-org/tiny-llama', { endpoint, cacheDir: dir, retryDelayMs: 1 });
    const f = await src.open('model.safetensors');
    expect(f.size).toBe(file.length);
    expect(sameBytes(await f.slice(0, f.size), file)).toBe(true);
    expect(hub.log.length).toBe(2);
  });

  it('names a missing shard (404) and the tensors it holds', async () => {
    reset();
    hub.hidden.add('model-00002-of-00002.safetensors');
    const src = new HubSource('test-org/tiny-sharded', { endpoint, cacheDir: cacheDir('missing') });
    let err: unknown;
    try {
      await loadModel(src);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SafetensorsError);
    expect((err as SafetensorsError).code).toBe('missing-shard');
    expect((err as Error).message).toMatch(/model-00002-of-00002\.safetensors \(holds model\.layers\.1\./);
    // the complete shard was downloaded and is kept; the shard reappears: loading completes
    hub.hidden.clear();
    const weights = await loadModel(src);
    expect(weights.has('lm_head.weight')).toBe(true);
  });

  it('explains 404, gated and failing downloads', async () => {
    reset();
    const src = new HubSource('test-org/tiny-llama', { endpoint, store: new MemoryStore(), retries: 1, retryDelayMs: 1, token: 'hf_x' });
    await expect(src.open('nope.json')).rejects.toBeInstanceOf(ModelFileNotFoundError);
    await expect(src.open('nope.json')).rejects.toThrow(/nope\.json not found in test-org\/tiny-llama@main: HTTP 404/);
    expect(hub.log[0].auth).toBe('Bearer hf_x');
    hub.status.set('config.json', 401);
    await expect(src.open('config.json')).rejects.toThrow(/gated or private.*access token/);
    hub.status.set('config.json', 500);
    const e = await src.open('config.json').catch((x) => x);
    expect(e).toBeInstanceOf(HubError);
    expect(e.message).toMatch(/failed after 2 attempts \(last: HTTP 500\)/);
    await expect(new HubSource('test-org/unknown', { endpoint, store: new MemoryStore() }).json('config.json')).rejects.toThrow(/not found/);
  });

  it('lists files through the hub API and serves the tokenizer', async () => {
    reset();
    const src = new HubSource('test-org/tiny-qwen2', { endpoint, store: new MemoryStore() });
    expect(await src.list()).toContain('tokenizer.json');
    const tok = await loadTokenizer(src);
    expect(tok.decode(tok.encode('hub tokenizer'))).toBe('hub tokenizer');
  });
});

describe('caches and folders', () => {
  it('NodeDirStore keeps partial entries apart until commit', async () => {
    const store = new NodeDirStore(cacheDir('store'));
    expect(await store.get('a/b/main/x.bin')).toBeNull();
    const sink = await store.append('a/b/main/x.bin');
    await sink.write(new Uint8Array([1, 2, 3]));
    await sink.close();
    expect(await store.partialSize('a/b/main/x.bin')).toBe(3);
    expect(await store.get('a/b/main/x.bin')).toBeNull();
    const more = await store.append('a/b/main/x.bin');
    await more.write(new Uint8Array([4]));
    await more.close();
    await store.commit('a/b/main/x.bin');
    const f = (await store.get('a/b/main/x.bin'))!;
    expect(Array.from(await f.slice(1, 4))).toEqual([2, 3, 4]);
    await expect(store.append('a/../../etc')).rejects.toThrow(/not a clean relative path/);
  });

  it('NodeFolderSource lists, opens and reports missing files', async () => {
    const src = new NodeFolderSource(`${FIX}tiny-llama-sharded`);
    expect(await src.list()).toContain('model.safetensors.index.json');
    const f = await src.open('config.json');
    const chunks: Uint8Array[] = [];
    for await (const c of f.stream() as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
    expect(Buffer.concat(chunks).length).toBe(f.size);
    await expect(src.open('tokenizer.model')).rejects.toBeInstanceOf(ModelFileNotFoundError);
    await expect(src.open('../tiny-llama/config.json')).rejects.toThrow(/not a file path inside/);
  });

  it('BrowserFolderSource from a webkitdirectory FileList loads weights and tokenizer', async () => {
    const names = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
    const files = names.map((n) => {
      const file = new File([readFileSync(`${FIX}tiny-qwen2/${n}`)], n);
      Object.defineProperty(file, 'webkitRelativePath', { value: `tiny-qwen2/${n}` });
      return file;
    });
    const src = BrowserFolderSource.fromFiles(files);
    expect(src.label).toBe('folder "tiny-qwen2"');
    expect(await src.list()).toEqual([...names].sort());
    const config = parseModelConfig(await src.json('config.json'));
    const table = buildParamTable(config);
    let n = 0;
    await loadWeights(src, { dtype: 'f16', expected: expectedTensors(table), onTensor: () => void n++ });
    expect(n).toBe(table.entries.length);
    await expect(src.open('model-00001-of-00002.safetensors')).rejects.toThrow(/pick the whole model folder/);
  });
});
