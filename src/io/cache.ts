// Download cache for model files: a key-value store of possibly-partial files that supports
// appending (resume) and reading complete files by range. Node: a folder (default
// ~/.cache/int-lab/hub); browser: OPFS, else the Cache API, else memory.

import { blobFile, bytesFile, nodeFile, nodeFs, type ModelFile } from './folder';

/** Appends bytes to a partial entry. */
export interface BlobSink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * Keys are '/'-separated paths like `Qwen/Qwen3-0.6B/main/model.safetensors`. An entry is partial
 * until commit(); get() only returns committed entries.
 */
export interface BlobStore {
  readonly kind: 'node' | 'opfs' | 'cache-api' | 'memory';
  get(key: string): Promise<ModelFile | null>;
  /** Bytes already held for an uncommitted download (0 when none). */
  partialSize(key: string): Promise<number>;
  /** Open the partial entry for appending (created empty when absent). */
  append(key: string): Promise<BlobSink>;
  /** Drop the partial entry (start over). */
  resetPartial(key: string): Promise<void>;
  /** Mark the partial entry complete. */
  commit(key: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every entry held, complete or partial, with its size in bytes (for cache views). */
  list(): Promise<CacheEntry[]>;
}

/** One entry of a store: its key, the bytes held and whether the download was committed. */
export interface CacheEntry {
  key: string;
  size: number;
  complete: boolean;
}

const baseName = (key: string) => key.slice(key.lastIndexOf('/') + 1);

function checkKey(key: string): string[] {
  const parts = key.split('/');
  if (parts.some((p) => !p || p === '.' || p === '..')) throw new Error(`cache key "${key}" is not a clean relative path.`);
  return parts;
}

// ---------------------------------------------------------------------------------------------

/** Node: files under a root folder; partial downloads are `<file>.part`, renamed on commit. */
export class NodeDirStore implements BlobStore {
  readonly kind = 'node';
  constructor(readonly root: string) {}

  private path(key: string): string {
    return `${this.root}/${checkKey(key).join('/')}`;
  }

  async get(key: string): Promise<ModelFile | null> {
    try {
      return await nodeFile(this.path(key), baseName(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async partialSize(key: string): Promise<number> {
    const fs = await nodeFs();
    try {
      return (await fs.stat(`${this.path(key)}.part`)).size;
    } catch {
      return 0;
    }
  }

  async append(key: string): Promise<BlobSink> {
    const fs = await nodeFs();
    const p = this.path(key);
    await fs.mkdir(p.slice(0, p.lastIndexOf('/')), { recursive: true });
    const h = await fs.open(`${p}.part`, 'a');
    return {
      async write(chunk) {
        let done = 0;
        while (done < chunk.byteLength) done += (await h.write(chunk, done, chunk.byteLength - done)).bytesWritten;
      },
      async close() {
        await h.close();
      },
    };
  }

  async resetPartial(key: string): Promise<void> {
    const fs = await nodeFs();
    await fs.rm(`${this.path(key)}.part`, { force: true });
  }

  async commit(key: string): Promise<void> {
    const fs = await nodeFs();
    await fs.rename(`${this.path(key)}.part`, this.path(key));
  }

  async delete(key: string): Promise<void> {
    const fs = await nodeFs();
    await fs.rm(this.path(key), { force: true });
    await fs.rm(`${this.path(key)}.part`, { force: true });
  }

  async list(): Promise<CacheEntry[]> {
    const fs = await nodeFs();
    const out: CacheEntry[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      let names: string[];
      try {
        names = await fs.readdir(dir);
      } catch {
        return;
      }
      for (const n of names) {
        const st = await fs.stat(`${dir}/${n}`);
        if (st.isDirectory()) await walk(`${dir}/${n}`, `${prefix}${n}/`);
        else if (n.endsWith('.part')) out.push({ key: `${prefix}${n.slice(0, -5)}`, size: st.size, complete: false });
        else out.push({ key: `${prefix}${n}`, size: st.size, complete: true });
      }
    };
    await walk(this.root, '');
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }
}

/** Default Node cache folder: $INT_LAB_CACHE, else ~/.cache/int-lab/hub. */
export async function defaultNodeCacheDir(): Promise<string> {
  const envDir = typeof process !== 'undefined' ? process.env.INT_LAB_CACHE : undefined;
  if (envDir) return envDir;
  const spec = 'node:os';
  const os = (await import(/* @vite-ignore */ spec)) as typeof import('node:os');
  return `${os.homedir()}/.cache/int-lab/hub`;
}

// ---------------------------------------------------------------------------------------------

/** Memory (tests, or browsers without storage APIs). Nothing survives a reload. */
export class MemoryStore implements BlobStore {
  readonly kind = 'memory';
  private done = new Map<string, Uint8Array>();
  private partial = new Map<string, Uint8Array[]>();

  async get(key: string) {
    const b = this.done.get(key);
    return b ? bytesFile(baseName(key), b) : null;
  }
  async partialSize(key: string) {
    return (this.partial.get(key) ?? []).reduce((a, c) => a + c.byteLength, 0);
  }
  async append(key: string): Promise<BlobSink> {
    const list = this.partial.get(key) ?? [];
    this.partial.set(key, list);
    return {
      async write(chunk) {
        list.push(chunk.slice());
      },
      async close() {},
    };
  }
  async resetPartial(key: string) {
    this.partial.delete(key);
  }
  async commit(key: string) {
    const list = this.partial.get(key) ?? [];
    const out = new Uint8Array(list.reduce((a, c) => a + c.byteLength, 0));
    let o = 0;
    for (const c of list) {
      out.set(c, o);
      o += c.byteLength;
    }
    this.done.set(key, out);
    this.partial.delete(key);
  }
  async delete(key: string) {
    this.done.delete(key);
    this.partial.delete(key);
  }
  async list(): Promise<CacheEntry[]> {
    const done = [...this.done].map(([key, b]) => ({ key, size: b.byteLength, complete: true }));
    const part = [...this.partial].map(([key, l]) => ({ key, size: l.reduce((a, c) => a + c.byteLength, 0), complete: false }));
    return [...done, ...part].sort((a, b) => a.key.localeCompare(b.key));
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * Browser: Origin Private File System. The file is written in place; a sibling `<name>.complete`
 * marker records that the download finished. Files stay on disk (File slices are read lazily).
 */
export class OpfsStore implements BlobStore {
  readonly kind = 'opfs';
  constructor(private readonly rootName = 'int-lab-hub') {}

  private async dir(key: string, create: boolean): Promise<FileSystemDirectoryHandle | null> {
    const parts = checkKey(key).slice(0, -1);
    try {
      let d = await (await navigator.storage.getDirectory()).getDirectoryHandle(this.rootName, { create });
      for (const p of parts) d = await d.getDirectoryHandle(p, { create });
      return d;
    } catch (e) {
      if ((e as DOMException).name === 'NotFoundError') return null;
      throw e;
    }
  }

  private async file(key: string, name: string, create: boolean): Promise<FileSystemFileHandle | null> {
    const d = await this.dir(key, create);
    if (!d) return null;
    try {
      return await d.getFileHandle(name, { create });
    } catch (e) {
      if ((e as DOMException).name === 'NotFoundError') return null;
      throw e;
    }
  }

  async get(key: string) {
    const name = baseName(key);
    if (!(await this.file(key, `${name}.complete`, false))) return null;
    const h = await this.file(key, name, false);
    return h ? blobFile(name, await h.getFile()) : null;
  }

  async partialSize(key: string) {
    const name = baseName(key);
    if (await this.file(key, `${name}.complete`, false)) return 0;
    const h = await this.file(key, name, false);
    return h ? (await h.getFile()).size : 0;
  }

  async append(key: string): Promise<BlobSink> {
    const h = (await this.file(key, baseName(key), true))!;
    const size = (await h.getFile()).size;
    const w = await h.createWritable({ keepExistingData: true });
    await w.seek(size);
    return {
      async write(chunk) {
        await w.write(chunk as Uint8Array<ArrayBuffer>);
      },
      async close() {
        await w.close();
      },
    };
  }

  async resetPartial(key: string) {
    const d = await this.dir(key, false);
    await d?.removeEntry(baseName(key)).catch(() => {});
  }

  async commit(key: string) {
    await this.file(key, `${baseName(key)}.complete`, true);
  }

  async delete(key: string) {
    const d = await this.dir(key, false);
    await d?.removeEntry(`${baseName(key)}.complete`).catch(() => {});
    await d?.removeEntry(baseName(key)).catch(() => {});
  }

  async list(): Promise<CacheEntry[]> {
    const out: CacheEntry[] = [];
    const walk = async (d: FileSystemDirectoryHandle, prefix: string): Promise<void> => {
      const names = new Map<string, FileSystemHandle>();
      for await (const [n, h] of (d as unknown as AsyncIterable<[string, FileSystemHandle]>)) names.set(n, h);
      for (const [n, h] of names) {
        if (h.kind === 'directory') await walk(h as FileSystemDirectoryHandle, `${prefix}${n}/`);
        else if (!n.endsWith('.complete')) out.push({ key: `${prefix}${n}`, size: (await (h as FileSystemFileHandle).getFile()).size, complete: names.has(`${n}.complete`) });
      }
    };
    try {
      await walk(await (await navigator.storage.getDirectory()).getDirectoryHandle(this.rootName), '');
    } catch (e) {
      if ((e as DOMException).name !== 'NotFoundError') throw e;
    }
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }
}

/**
 * Browser fallback: the Cache API. A partial download is held in memory until commit, so a
 * reload restarts it (no cross-session resume).
 */
export class CacheApiStore implements BlobStore {
  readonly kind = 'cache-api';
  private partial = new MemoryStore();
  constructor(private readonly cacheName = 'int-lab-hub') {}

  private url(key: string) {
    return `https://int-lab.cache/${checkKey(key).map(encodeURIComponent).join('/')}`;
  }
  async get(key: string) {
    const res = await (await caches.open(this.cacheName)).match(this.url(key));
    return res ? blobFile(baseName(key), await res.blob()) : null;
  }
  partialSize(key: string) {
    return this.partial.partialSize(key);
  }
  append(key: string) {
    return this.partial.append(key);
  }
  resetPartial(key: string) {
    return this.partial.resetPartial(key);
  }
  async commit(key: string) {
    await this.partial.commit(key);
    const f = (await this.partial.get(key))!;
    const bytes = await f.slice(0, f.size);
    await (await caches.open(this.cacheName)).put(this.url(key), new Response(bytes as Uint8Array<ArrayBuffer>));
    await this.partial.delete(key);
  }
  async delete(key: string) {
    await this.partial.delete(key);
    await (await caches.open(this.cacheName)).delete(this.url(key));
  }
  async list(): Promise<CacheEntry[]> {
    const cache = await caches.open(this.cacheName);
    const out = await this.partial.list();
    const base = this.url('x').slice(0, -1);
    for (const req of await cache.keys()) {
      const res = await cache.match(req);
      const key = req.url.slice(base.length).split('/').map(decodeURIComponent).join('/');
      out.push({ key, size: res ? (await res.blob()).size : 0, complete: true });
    }
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }
}

/** The best store for this runtime: Node folder, OPFS, Cache API, or memory. */
export async function defaultStore(nodeCacheDir?: string): Promise<BlobStore> {
  const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';
  if (isNode) return new NodeDirStore(nodeCacheDir ?? (await defaultNodeCacheDir()));
  if (typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function') {
    try {
      await navigator.storage.getDirectory();
      return new OpfsStore();
    } catch {
      // OPFS unavailable (e.g. private mode): fall through.
    }
  }
  if (typeof caches !== 'undefined') return new CacheApiStore();
  return new MemoryStore();
}
