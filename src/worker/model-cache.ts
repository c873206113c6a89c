// The hub download cache seen from the worker (the HubSource's default store: OPFS, else the Cache
// API): its files by model with their sizes, clearing one model or all, and downloading a hub model
// ahead of a run (the files the loader reads) with per-file progress. A download cut short (a
// reload) resumes: complete files are read from the cache, and an OPFS partial file continues with
// a Range request from the bytes held (HubSource.downloadTo).
import { defaultStore, type BlobStore } from '../io/cache';
import { HubSource, openLoaderFiles, type DownloadProgress } from '../io/hub';
import type { CachedModelFile, ModelCacheListing, ModelDownloadProgress } from './protocol';

let storePromise: Promise<BlobStore> | null = null;
/** The store HubSource uses by default (tests pass their own to each function). */
const defaultCache = () => (storePromise ??= defaultStore());

/** "Qwen/Qwen3-0.6B/main/model.safetensors" -> its repo, revision and file; null for other keys. */
export function parseCacheKey(key: string): Pick<CachedModelFile, 'repo' | 'revision' | 'file'> | null {
  const parts = key.split('/');
  if (parts.length < 4) return null;
  return { repo: `${parts[0]}/${parts[1]}`, revision: parts[2], file: parts.slice(3).join('/') };
}

/** Every file in the hub cache. Cached answers "this optional file is absent" are left out. */
export async function listModelCache(store?: BlobStore): Promise<ModelCacheListing> {
  const s = store ?? (await defaultCache());
  const files: CachedModelFile[] = [];
  for (const e of await s.list()) {
    const k = parseCacheKey(e.key);
    if (k && !k.file.endsWith('.absent')) files.push({ ...k, bytes: e.size, complete: e.complete });
  }
  return { kind: s.kind, files };
}

/** Remove a model's cached files (every revision, partial downloads included), or all with null. */
export async function clearModelCache(repo: string | null, store?: BlobStore): Promise<number> {
  const s = store ?? (await defaultCache());
  let n = 0;
  for (const e of await s.list()) {
    if (repo !== null && parseCacheKey(e.key)?.repo !== repo) continue;
    await s.delete(e.key);
    n++;
  }
  return n;
}

/** Forward progress at most every `ms` per file (always the first, the last and cache hits), so
 *  that a fast download does not flood the page with messages. */
export function throttleProgress(f: (p: DownloadProgress) => void, ms = 150, now = () => performance.now()): (p: DownloadProgress) => void {
  const last = new Map<string, number>();
  return (p) => {
    const t = now();
    const done = p.cached || (p.total !== undefined && p.loaded >= p.total);
    const prev = last.get(p.file);
    if (!done && prev !== undefined && t - prev < ms) return;
    last.set(p.file, t);
    f(p);
  };
}

/** Download a hub model into the cache (files already there are not fetched again). */
export async function downloadHubModel(id: string, onProgress: (p: ModelDownloadProgress) => void, opts: { store?: BlobStore; endpoint?: string; throttleMs?: number } = {}): Promise<string[]> {
  const repo = id.trim();
  const store = opts.store ?? (await defaultCache());
  const src = new HubSource(repo, { store, endpoint: opts.endpoint, onProgress: throttleProgress((p) => onProgress({ repo, ...p }), opts.throttleMs) });
  return openLoaderFiles(src);
}
