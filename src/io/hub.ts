// Hugging Face hub model repos as a ModelSource: files fetched from
// <endpoint>/<repo>/resolve/<revision>/<file>, resumable (HTTP Range on retry), with progress,
// and cached in a BlobStore (Node folder / OPFS / Cache API) so a second load reads locally; the
// commit a revision resolves to, for run fingerprints.

import { defaultStore, type BlobStore } from './cache';
import { ModelFileNotFoundError, parseJsonFile, type ModelFile, type ModelSource, type OpenOptions } from './folder';

export const HUB_ENDPOINT = 'https://huggingface.co';

/** The hub a HubSource asks when none is given: $HF_ENDPOINT in Node (the Hugging Face tools'
 *  variable, for a mirror or a local server), else HUB_ENDPOINT. */
export function defaultHubEndpoint(): string {
  const env = typeof process !== 'undefined' ? process.env?.HF_ENDPOINT : undefined;
  return env || HUB_ENDPOINT;
}

export interface DownloadProgress {
  file: string;
  /** Bytes of this file present locally (including bytes from an earlier partial download). */
  loaded: number;
  /** File size when the server told it. */
  total?: number;
  /** True when the file came from the cache without a request. */
  cached: boolean;
}

export interface HubOptions {
  /** Hub base URL. Default defaultHubEndpoint() ($HF_ENDPOINT, else 'https://huggingface.co'). */
  endpoint?: string;
  /** Branch, tag or commit. Default 'main'. A cached 'main' is reused until `refresh`. */
  revision?: string;
  /** Access token for gated/private repos (sent as a Bearer token). */
  token?: string;
  /** Cache store. Default: defaultStore() (Node folder / OPFS / Cache API). */
  store?: BlobStore;
  /** Node cache folder for the default store. Default $INT_LAB_CACHE or ~/.cache/int-lab/hub. */
  cacheDir?: string;
  /** Re-download each file once per HubSource even when a cached copy exists. Default false. */
  refresh?: boolean;
  /** Retries after a failed or interrupted request (each resumes from the bytes held). Default 4. */
  retries?: number;
  /** Delay before retry k is retryDelayMs * 2^k. Default 500. */
  retryDelayMs?: number;
  onProgress?(p: DownloadProgress): void;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

export class HubError extends Error {
  override name = 'HubError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const REPO_RE = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

/** URL of one file of a model repo. */
export function hubFileUrl(repo: string, file: string, revision = 'main', endpoint = HUB_ENDPOINT): string {
  if (!REPO_RE.test(repo)) throw new HubError(`"${repo}" is not a model repo id: expected "owner/name", e.g. "Qwen/Qwen3-0.6B".`);
  const path = file.split('/').map(encodeURIComponent).join('/');
  return `${endpoint.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/${path}`;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason ?? new Error('aborted'));
    });
  });

/** Parse `Content-Range: bytes a-b/N` -> { start: a, total: N }. */
function contentRange(h: string | null): { start: number; total?: number } | undefined {
  const m = h && /^bytes\s+(\d+)-\d+\/(\d+|\*)$/.exec(h.trim());
  if (!m) return undefined;
  return { start: Number(m[1]), total: m[2] === '*' ? undefined : Number(m[2]) };
}

/** Size announced by a `416` reply: `Content-Range: bytes * /N`. */
function unsatisfiedTotal(h: string | null): number | undefined {
  const m = h && /^bytes\s+\*\/(\d+)$/.exec(h.trim());
  return m ? Number(m[1]) : undefined;
}

/** A model repository on the hub (or any server with the same URL layout). */
export class HubSource implements ModelSource {
  readonly label: string;
  readonly revision: string;
  readonly endpoint: string;
  private storePromise?: Promise<BlobStore>;
  private inflight = new Map<string, Promise<ModelFile>>();
  private refreshed = new Set<string>();

  constructor(
    readonly repo: string,
    readonly opts: HubOptions = {},
  ) {
    this.revision = opts.revision ?? 'main';
    this.endpoint = opts.endpoint ?? defaultHubEndpoint();
    hubFileUrl(repo, 'config.json', this.revision, this.endpoint); // validates the id early
    this.label = `${repo}@${this.revision}`;
  }

  url(file: string): string {
    return hubFileUrl(this.repo, file, this.revision, this.endpoint);
  }

  private store(): Promise<BlobStore> {
    this.storePromise ??= this.opts.store ? Promise.resolve(this.opts.store) : defaultStore(this.opts.cacheDir);
    return this.storePromise;
  }

  private key(file: string): string {
    return `${this.repo}/${this.revision}/${file}`;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.opts.token ? { Authorization: `Bearer ${this.opts.token}`, ...extra } : extra;
  }

  /** The hub's record of this revision (`api/models/<repo>/revision/<rev>`). */
  private async revisionInfo(): Promise<{ sha?: unknown; siblings?: { rfilename: string }[] }> {
    const f = this.opts.fetch ?? fetch;
    const url = `${this.endpoint.replace(/\/+$/, '')}/api/models/${this.repo}/revision/${encodeURIComponent(this.revision)}`;
    const res = await f(url, { headers: this.headers(), signal: this.opts.signal });
    if (!res.ok) {
      await res.body?.cancel();
      throw new HubError(`cannot read ${this.label}: HTTP ${res.status} from ${url}.`, res.status);
    }
    return (await res.json()) as { sha?: unknown; siblings?: { rfilename: string }[] };
  }

  /** File names in the repo at this revision (hub API `api/models/<repo>/revision/<rev>`). */
  async list(): Promise<string[]> {
    return ((await this.revisionInfo()).siblings ?? []).map((s) => s.rfilename).sort();
  }

  /** The commit this revision resolves to on the hub now (its `sha`), or null with the reason
   *  when the hub cannot say (offline, no such field). Files already in the cache may be older:
   *  a cached 'main' is reused until `refresh`. */
  async commit(): Promise<{ commit: string | null; why?: string }> {
    try {
      const sha = (await this.revisionInfo()).sha;
      return typeof sha === 'string' && sha ? { commit: sha } : { commit: null, why: 'the hub gave no commit for it' };
    } catch (e) {
      return { commit: null, why: (e as Error).message };
    }
  }

  /**
   * Open a file, downloading it into the cache first unless a complete copy is there. The absence
   * of an optional file (HTTP 404) is cached too, so a cached model loads without the network.
   */
  open(file: string, opts: OpenOptions = {}): Promise<ModelFile> {
    let p = this.inflight.get(file);
    if (!p) {
      p = this.fetchFile(file, opts.optional ?? false).finally(() => this.inflight.delete(file));
      this.inflight.set(file, p);
    }
    return p;
  }

  async json<T = unknown>(file: string, opts?: OpenOptions): Promise<T> {
    return parseJsonFile<T>(await this.open(file, opts), this.label);
  }

  /** Download several files (e.g. the whole model) ahead of use. */
  async download(files: string[]): Promise<void> {
    for (const f of files) await this.open(f);
  }

  private async fetchFile(file: string, optional: boolean): Promise<ModelFile> {
    const store = await this.store();
    const key = this.key(file);
    const absentKey = `${key}.absent`;
    if (this.opts.refresh && !this.refreshed.has(file)) {
      this.refreshed.add(file);
      await store.delete(key);
      await store.delete(absentKey);
    } else {
      const hit = await store.get(key);
      if (hit) {
        this.opts.onProgress?.({ file, loaded: hit.size, total: hit.size, cached: true });
        return hit;
      }
      if (optional && (await store.get(absentKey))) throw new ModelFileNotFoundError(file, this.label, 'absent on the hub (cached answer)');
    }
    try {
      await this.downloadTo(store, key, file);
    } catch (e) {
      if (optional && e instanceof ModelFileNotFoundError) {
        await (await store.append(absentKey)).close();
        await store.commit(absentKey);
      }
      throw e;
    }
    const done = await store.get(key);
    if (!done) throw new HubError(`${file}: downloaded but the cache (${store.kind}) did not keep it.`);
    return done;
  }

  /** Fetch `file` into the store's partial entry, resuming with Range after failures, then commit. */
  private async downloadTo(store: BlobStore, key: string, file: string): Promise<void> {
    const f = this.opts.fetch ?? fetch;
    const url = this.url(file);
    const retries = this.opts.retries ?? 4;
    const delay = this.opts.retryDelayMs ?? 500;
    const signal = this.opts.signal;
    let failures = 0;
    const fail = async (why: string) => {
      if (++failures > retries) {
        throw new HubError(`${file}: download from ${url} failed after ${failures} attempts (last: ${why}). Check the connection and try again; the bytes received so far are kept.`);
      }
      await sleep(delay * 2 ** (failures - 1), signal);
    };
    for (;;) {
      if (signal?.aborted) throw new HubError(`${file}: download aborted.`);
      const have = await store.partialSize(key);
      let res: Response;
      try {
        res = await f(url, { headers: this.headers(have > 0 ? { Range: `bytes=${have}-` } : {}), signal, redirect: 'follow' });
      } catch (e) {
        if (signal?.aborted) throw new HubError(`${file}: download aborted.`);
        await fail((e as Error).message);
        continue;
      }
      if (res.status === 404) {
        await res.body?.cancel();
        throw new ModelFileNotFoundError(file, this.label, `HTTP 404 from ${url}`);
      }
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel();
        throw new HubError(
          `${file}: HTTP ${res.status} from ${url}: the repo is gated or private. Accept its license on the hub and pass an access token.`,
          res.status,
        );
      }
      if (res.status === 416 && have > 0) {
        const total = unsatisfiedTotal(res.headers.get('content-range'));
        await res.body?.cancel();
        if (total === have) break; // the partial file is already complete
        await store.resetPartial(key);
        await fail(`HTTP 416 for a resume at byte ${have}`);
        continue;
      }
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        if (res.status >= 500 || res.status === 429) {
          await fail(`HTTP ${res.status}`);
          continue;
        }
        throw new HubError(`${file}: HTTP ${res.status} ${res.statusText} from ${url}.`, res.status);
      }
      let total: number | undefined;
      if (res.status === 206) {
        const cr = contentRange(res.headers.get('content-range'));
        if (!cr || cr.start !== have) {
          await res.body.cancel();
          await store.resetPartial(key);
          await fail(`server resumed at the wrong offset (${res.headers.get('content-range')})`);
          continue;
        }
        total = cr.total;
      } else {
        if (have > 0) await store.resetPartial(key); // server ignored Range: start over
        const len = res.headers.get('content-length');
        total = len !== null && !res.headers.get('content-encoding') ? Number(len) : undefined;
      }
      let loaded = await store.partialSize(key);
      const startLoaded = loaded;
      this.opts.onProgress?.({ file, loaded, total, cached: false });
      const sink = await store.append(key);
      const reader = res.body.getReader();
      let broken: string | undefined;
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          await sink.write(value);
          loaded += value.byteLength;
          this.opts.onProgress?.({ file, loaded, total, cached: false });
        }
      } catch (e) {
        if (signal?.aborted) {
          await sink.close();
          throw new HubError(`${file}: download aborted.`);
        }
        broken = (e as Error).message || String(e);
      }
      await sink.close();
      if (loaded > startLoaded) failures = 0; // progress made: the retry budget starts again
      if (broken !== undefined) {
        await fail(`connection lost after ${loaded} bytes: ${broken}`);
        continue;
      }
      if (total !== undefined && loaded !== total) {
        if (loaded > total) await store.resetPartial(key);
        await fail(`got ${loaded} of ${total} bytes`);
        continue;
      }
      break;
    }
    await store.commit(key);
  }
}

/** The files of a hub model that the loader reads (model/load.ts, io/tokenizer.ts), [name, optional];
 *  the weights follow from the shard index when there is one. */
const LOADER_FILES: readonly [string, boolean][] = [
  ['config.json', false],
  ['generation_config.json', true],
  ['tokenizer.json', false],
  ['tokenizer_config.json', true],
];
const SHARD_INDEX = 'model.safetensors.index.json';

/** Open, through `src` (its cache, downloading what is missing), every file of the model that the
 *  loader reads: the config and tokenizer files, then the shard index and its shards or the single
 *  model.safetensors; `visit` gets each file present. Returns their names in that order. */
export async function openLoaderFiles(src: HubSource, visit: (name: string, file: ModelFile) => Promise<void> = async () => {}): Promise<string[]> {
  const got: string[] = [];
  const open = async (name: string, optional: boolean): Promise<boolean> => {
    let file: ModelFile;
    try {
      file = await src.open(name, { optional });
    } catch (e) {
      if (optional && e instanceof ModelFileNotFoundError) return false;
      throw e;
    }
    await visit(name, file);
    got.push(name);
    return true;
  };
  for (const [name, optional] of LOADER_FILES) await open(name, optional);
  if (await open(SHARD_INDEX, true)) {
    const index = await src.json<{ weight_map?: Record<string, string> }>(SHARD_INDEX);
    const shards = [...new Set(Object.values(index.weight_map ?? {}))].sort();
    if (shards.length === 0) throw new Error(`${src.label}: ${SHARD_INDEX} lists no weight shards (no weight_map); the model cannot be loaded`);
    for (const shard of shards) await open(shard, false);
  } else await open('model.safetensors', false);
  return got;
}
