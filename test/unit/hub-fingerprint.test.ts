// A hub model in the run fingerprint, against a local HTTP server with the hub's URL layout (the
// tiny-llama fixture as repo test-org/tiny-llama, $HF_ENDPOINT pointing at it, a fresh download
// cache): the revision, the commit it resolves to and the hash of every file the loader reads are
// recorded; --resume refuses a remote model that moved to another commit, or whose files changed
// under a fresh cache, naming what changed; an unreachable hub still checks the cached files.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presetConfig } from '../../src/int/config';
import { openRun } from '../../src/int/experiment';
import { fingerprintChanges, type SourcePrint } from '../../src/int/fingerprint';
import { fingerprintRun } from '../../src/int/run-files';

const FIX = join(__dirname, '../fixtures');
const REPO = 'test-org/tiny-llama';

/** What the fake hub serves; tests change it. */
const hub = { dir: join(FIX, 'models/tiny-llama'), commit: 'c1'.repeat(20) as string | null, apiDown: false, requests: [] as string[] };

let server: Server;
const saved = { endpoint: process.env.HF_ENDPOINT, cache: process.env.INT_LAB_CACHE };
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'int-hub-print-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    hub.requests.push(path);
    if (path === `/api/models/${REPO}/revision/main`) {
      if (hub.apiDown) return void res.writeHead(503).end();
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: REPO, ...(hub.commit ? { sha: hub.commit } : {}), siblings: [] }));
    }
    const m = new RegExp(`^/${REPO}/resolve/main/(.+)$`).exec(path);
    let body: Buffer;
    try {
      if (!m) throw new Error('no such repo');
      body = readFileSync(join(hub.dir, m[1]));
    } catch {
      return void res.writeHead(404).end('Entry not found');
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.env.HF_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  for (const [k, v] of [['HF_ENDPOINT', saved.endpoint], ['INT_LAB_CACHE', saved.cache]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const config = presetConfig('hf-math', { model: REPO, data: { dataset: join(FIX, 'datasets/mini.jsonl') } });
const reset = () => {
  hub.dir = join(FIX, 'models/tiny-llama');
  hub.commit = 'c1'.repeat(20);
  hub.apiDown = false;
  process.env.INT_LAB_CACHE = tmp();
};

describe('hub model fingerprint', () => {
  it('records the revision, the commit and the hash of every file the loader reads', async () => {
    reset();
    const fp = await fingerprintRun(config, tmp());
    const model = fp.model as Extract<SourcePrint, { kind: 'hub' }>;
    expect(model).toMatchObject({ kind: 'hub', id: REPO, revision: 'main', commit: 'c1'.repeat(20) });
    expect(Object.keys(model.files!)).toEqual(['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors']);
    for (const [name, h] of Object.entries(model.files!)) expect(h.sha256, name).toBe(sha(join(hub.dir, name)));
    // the loader then reads the same files from the cache: a second print asks the hub for the commit only
    hub.requests = [];
    expect(await fingerprintRun(config, tmp())).toEqual(fp);
    expect(hub.requests.filter((p) => p.includes('/resolve/'))).toEqual([]);
  });

  it('a sharded repo records its index and every shard', async () => {
    reset();
    hub.dir = join(FIX, 'models/tiny-llama-sharded');
    const model = (await fingerprintRun(config, tmp())).model as Extract<SourcePrint, { kind: 'hub' }>;
    expect(Object.keys(model.files!)).toContain('model.safetensors.index.json');
    expect(Object.keys(model.files!).filter((f) => /^model-\d+-of-\d+\.safetensors$/.test(f))).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  });

  it('--resume refuses a remote model that moved to another commit, and one whose files changed', async () => {
    reset();
    const root = tmp();
    const out = join(tmp(), 'run');
    const run = await openRun({ out, config, arms: ['base'], root });
    run.store.complete('pool', {}, 0);
    run.lock.release();
    const resume = () => openRun({ out, resume: true, root });
    (await resume()).lock.release();

    // the hub's main moved on; the cache still holds the files the run started from
    hub.commit = 'c2'.repeat(20);
    await expect(resume()).rejects.toThrow(
      /cannot resume .*:\n {2}- the hub model test-org\/tiny-llama@main now resolves to commit c2c2c2c2c2c2\.\.\. \(the run started from commit c1c1c1c1c1c1\.\.\.\): the remote model changed\n[\s\S]*start a new run folder/,
    );

    // a fresh cache downloads the new weights: the file is named too
    const changed = tmp();
    cpSync(join(FIX, 'models/tiny-llama'), changed, { recursive: true });
    const w = readFileSync(join(changed, 'model.safetensors'));
    w[w.length - 1] ^= 0xff;
    writeFileSync(join(changed, 'model.safetensors'), w);
    hub.dir = changed;
    process.env.INT_LAB_CACHE = tmp();
    await expect(resume()).rejects.toThrow(/model file test-org\/tiny-llama@main\/model\.safetensors was replaced \(\d+ -> \d+ bytes, sha256 [0-9a-f]{12}\.\.\. -> [0-9a-f]{12}\.\.\.\)/);
  });

  it('without an answer from the hub the cached files are still compared', async () => {
    reset();
    const root = tmp();
    const out = join(tmp(), 'run');
    const run = await openRun({ out, config, arms: ['base'], root });
    run.lock.release();
    hub.apiDown = true;
    const now = await fingerprintRun(config, root);
    expect((now.model as Extract<SourcePrint, { kind: 'hub' }>).commit).toBeNull();
    expect(fingerprintChanges(run.store.info.fingerprint!, now)).toEqual([]);
    const files = { ...(now.model as Extract<SourcePrint, { kind: 'hub' }>).files! };
    files['tokenizer.json'] = { sha256: '0'.repeat(64), size: 1 };
    expect(fingerprintChanges(run.store.info.fingerprint!, { ...now, model: { ...now.model, files } as SourcePrint })).toEqual([
      expect.stringMatching(/^model file test-org\/tiny-llama@main\/tokenizer\.json was replaced/),
    ]);
  });

  it('a run recorded before hub files were hashed compares the id alone', () => {
    const was = { config: 'x', model: { kind: 'hub', id: REPO } as SourcePrint, dataset: { kind: 'generated' } as SourcePrint };
    const now = { ...was, model: { kind: 'hub', id: REPO, revision: 'main', commit: 'c9'.repeat(20), files: {} } as SourcePrint };
    expect(fingerprintChanges(was, now)).toEqual([]);
    expect(fingerprintChanges(was, { ...now, model: { kind: 'hub', id: 'other/model' } })).toEqual([expect.stringMatching(/the model was hub id test-org\/tiny-llama and is now hub id other\/model/)]);
  });
});
