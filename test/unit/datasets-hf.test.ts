// Hugging Face file URLs and the Parquet listing, against a local HTTP server on 127.0.0.1 that
// mimics the hub's URL layout (no internet).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchHfFile, hfResolveUrl, listHfParquetFiles, parseHfFileRef, selectParquetFiles,
} from '../../src/io/datasets/hf';
import { importDataset } from '../../src/tasks/math/import';
import { writeParquet } from '../../src/io/datasets/parquet';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/datasets/${name}`, import.meta.url));

let server: Server;
let base = '';
/** Files by "<repo>@<revision>/<path>". */
const files = new Map<string, Uint8Array>();
const GATED = 'org/gated';
const TOKEN = 'hf_test_token';
const seenAuth: (string | undefined)[] = [];

function shard(ids: number[]): Uint8Array {
  return writeParquet(ids.map((i) => ({
    problem_id: `q${i}`,
    prompt: [{ role: 'user', content: `What is ${i} + ${i}?` }],
    reward_model: { style: 'rule', ground_truth: String(2 * i) },
  })));
}

beforeAll(async () => {
  files.set('org/math@main/data/mini.jsonl', fixture('mini.jsonl'));
  files.set('org/math@v1.0/data/mini.jsonl', new TextEncoder().encode('{"question": "v1 only", "answer": "1"}\n'));
  files.set(`${GATED}@main/train.csv`, new TextEncoder().encode('question,answer\nWhat is 1+1?,2\n'));
  files.set('org/math@refs/convert/parquet/default/train/0000.parquet', shard([1, 2]));
  files.set('org/math@refs/convert/parquet/default/train/0001.parquet', shard([3]));
  files.set('org/math@refs/convert/parquet/default/test/0000.parquet', shard([9]));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    seenAuth.push(req.headers.authorization);
    if (url.pathname === '/parquet') {
      const dataset = url.searchParams.get('dataset') ?? '';
      const listing = [...files.keys()]
        .filter((k) => k.startsWith(`${dataset}@refs/convert/parquet/`))
        .map((k) => {
          const [config, split, filename] = k.slice(`${dataset}@refs/convert/parquet/`.length).split('/');
          return { dataset, config, split, filename, size: files.get(k)!.length, url: `${base}/datasets/${dataset}/resolve/refs%2Fconvert%2Fparquet/${config}/${split}/${filename}` };
        });
      res.writeHead(listing.length ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(listing.length ? { parquet_files: listing } : { error: 'no parquet' }));
      return;
    }
    const m = /^\/datasets\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const key = m ? `${m[1]}@${decodeURIComponent(m[2])}/${m[3].split('/').map(decodeURIComponent).join('/')}` : '';
    if (m && m[1] === GATED && req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end('unauthorized');
      return;
    }
    const body = files.get(key);
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('hub URLs', () => {
  it('builds resolve URLs and parses hf:// and blob URLs', () => {
    expect(hfResolveUrl('org/math', 'data/train file.jsonl')).toBe('https://huggingface.co/datasets/org/math/resolve/main/data/train%20file.jsonl');
    expect(hfResolveUrl('org/math', 'a.parquet', 'refs/convert/parquet', 'http://h:1/')).toBe('http://h:1/datasets/org/math/resolve/refs%2Fconvert%2Fparquet/a.parquet');
    expect(parseHfFileRef('hf://datasets/org/math@v1.0/data/x.csv')).toEqual({ repo: 'org/math', revision: 'v1.0', path: 'data/x.csv' });
    expect(parseHfFileRef('https://huggingface.co/datasets/org/math/blob/main/data/x.csv?download=true'))
      .toEqual({ repo: 'org/math', revision: 'main', path: 'data/x.csv' });
    expect(parseHfFileRef('https://example.com/x.csv')).toBeNull();
    expect(() => hfResolveUrl('not a repo', 'x')).toThrow(/owner\/name/);
  });
});

describe('fetching from a hub-shaped server', () => {
  it('downloads a file at a revision', async () => {
    const f = await fetchHfFile('org/math', 'data/mini.jsonl', { endpoint: base, revision: 'v1.0' });
    expect(new TextDecoder().decode(f.bytes)).toContain('v1 only');
    expect(f.name).toBe('mini.jsonl');
  });

  it('explains 404 and 401, and sends the token when given', async () => {
    await expect(fetchHfFile('org/math', 'nope.csv', { endpoint: base })).rejects.toThrow(/HTTP 404.*Check the repo id, the revision and the file path/);
    await expect(fetchHfFile(GATED, 'train.csv', { endpoint: base })).rejects.toThrow(/HTTP 401.*gated or private.*options\.token/);
    const ok = await fetchHfFile(GATED, 'train.csv', { endpoint: base, token: TOKEN });
    expect(new TextDecoder().decode(ok.bytes)).toMatch(/^question,answer/);
  });

  it('lists Parquet files and selects a config and split', async () => {
    const list = await listHfParquetFiles('org/math', { datasetsServer: base });
    expect(list).toHaveLength(3);
    expect(selectParquetFiles(list).map((f) => f.filename)).toEqual(['0000.parquet', '0001.parquet']);
    expect(selectParquetFiles(list, { split: 'test' })).toHaveLength(1);
    expect(() => selectParquetFiles(list, { split: 'validation' })).toThrow(/no split "validation"; splits: train, test/);
    await expect(listHfParquetFiles('org/none', { datasetsServer: base })).rejects.toThrow(/404/);
  });
});

describe('importDataset over HTTP', () => {
  it('imports every Parquet shard of a split, reading verl-style nested columns', async () => {
    const r = await importDataset({ hf: 'org/math' }, { hf: { endpoint: base, datasetsServer: base } });
    expect(r.stats.format).toBe('parquet');
    expect(r.errors).toEqual([]);
    expect(r.problems.map((p) => [p.id, p.statement, p.answer])).toEqual([
      ['q1', 'What is 1 + 1?', '2'],
      ['q2', 'What is 2 + 2?', '4'],
      ['q3', 'What is 3 + 3?', '6'],
    ]);
    expect(r.stats.mapping).toMatchObject({ id: 'problem_id', problem: 'prompt', answer: 'reward_model.ground_truth' });
  });

  it('imports a hub file URL (resolved through the endpoint) and a plain URL object', async () => {
    const viaHub = await importDataset({ url: `${base}/datasets/org/math/blob/main/data/mini.jsonl` }, { hf: { endpoint: base } });
    expect(viaHub.stats.format).toBe('jsonl');
    expect(viaHub.problems.map((p) => p.id)).toEqual(['p1', 'p2', 'p3', 'p7']);
    const viaUrl = await importDataset(new URL(`${base}/datasets/org/math/resolve/main/data/mini.jsonl`));
    expect(viaUrl.problems).toHaveLength(4);
    await expect(importDataset({ url: `${base}/datasets/org/math/resolve/main/missing.csv` })).rejects.toThrow(/404/);
  });

  it('sends the token to the hub only', async () => {
    seenAuth.length = 0;
    await importDataset({ hf: GATED, path: 'train.csv' }, { hf: { endpoint: base, token: TOKEN } });
    expect(seenAuth).toEqual([`Bearer ${TOKEN}`]);
    seenAuth.length = 0;
    await importDataset({ url: `${base}/datasets/org/math/resolve/main/data/mini.jsonl` }, { hf: { token: TOKEN } });
    expect(seenAuth).toEqual([undefined]);
  });
});
