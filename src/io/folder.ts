// Where model files come from: the ModelSource interface (HF folder layout: config.json,
// model.safetensors, tokenizer.json, ...) and its local implementations: a Node folder path, a
// browser folder (directory handle, <input webkitdirectory> FileList, or drag-and-drop entries) and
// files held in memory (a model pretrained in the browser and kept in IndexedDB).

/** One file of a model, readable by byte range or as a stream, never required to fit in one buffer. */
export interface ModelFile {
  readonly name: string;
  readonly size: number;
  /** Bytes [start, end) as a fresh Uint8Array. */
  slice(start: number, end: number): Promise<Uint8Array>;
  /** Bytes from `start` (default 0) to the end. */
  stream(start?: number): ReadableStream<Uint8Array>;
}

export interface OpenOptions {
  /**
   * The file may legitimately be absent (an index probe, generation_config.json): remote sources
   * may remember its absence so a cached model loads offline.
   */
  optional?: boolean;
}

export interface ModelSource {
  /** Human-readable origin for error messages (a path, a hub id). */
  readonly label: string;
  /** File names relative to the model root ('/'-separated), when the source can enumerate them. */
  list?(): Promise<string[]>;
  /** Open a file; throws ModelFileNotFoundError when it does not exist. */
  open(file: string, opts?: OpenOptions): Promise<ModelFile>;
  /** Read and parse a JSON file. */
  json<T = unknown>(file: string, opts?: OpenOptions): Promise<T>;
}

export class ModelFileNotFoundError extends Error {
  override name = 'ModelFileNotFoundError';
  constructor(
    readonly file: string,
    readonly source: string,
    detail = '',
  ) {
    super(`${file} not found in ${source}${detail ? `: ${detail}` : ''}.`);
  }
}

/** Whole file as bytes (small files: JSON, tokenizer). */
export async function readAll(f: ModelFile): Promise<Uint8Array> {
  return f.slice(0, f.size);
}

/** Parse a file as JSON with an error naming the file and the source. */
export async function parseJsonFile<T>(f: ModelFile, label: string): Promise<T> {
  const text = new TextDecoder().decode(await readAll(f));
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${f.name} in ${label} is not valid JSON (${(e as Error).message}); re-download or fix the file.`);
  }
}

/** Does the source have this file? Uses list() when available, else tries to open it. */
export async function hasFile(source: ModelSource, file: string): Promise<boolean> {
  if (source.list) return (await source.list()).includes(file);
  try {
    await source.open(file);
    return true;
  } catch (e) {
    if (e instanceof ModelFileNotFoundError) return false;
    throw e;
  }
}

/** A Blob (or File) as a ModelFile: slices stay on disk in browsers until read. */
export function blobFile(name: string, blob: Blob): ModelFile {
  return {
    name,
    size: blob.size,
    async slice(start, end) {
      return new Uint8Array(await blob.slice(start, end).arrayBuffer());
    },
    stream(start = 0) {
      return blob.slice(start).stream() as ReadableStream<Uint8Array>;
    },
  };
}

/** In-memory bytes as a ModelFile. */
export function bytesFile(name: string, bytes: Uint8Array): ModelFile {
  return {
    name,
    size: bytes.byteLength,
    async slice(start, end) {
      return bytes.slice(start, end);
    },
    stream(start = 0) {
      let pos = start;
      return new ReadableStream<Uint8Array>({
        pull(ctrl) {
          if (pos >= bytes.byteLength) return ctrl.close();
          const end = Math.min(pos + (1 << 20), bytes.byteLength);
          ctrl.enqueue(bytes.slice(pos, end));
          pos = end;
        },
      });
    },
  };
}

/** A model folder held in memory as file name -> bytes (works in Node and browsers). */
export class MemoryFolderSource implements ModelSource {
  private readonly files = new Map<string, Uint8Array>();

  constructor(
    files: Record<string, Uint8Array>,
    readonly label = 'the in-memory model folder',
  ) {
    for (const [path, bytes] of Object.entries(files)) this.files.set(cleanRel(path), bytes);
  }

  async list(): Promise<string[]> {
    return [...this.files.keys()].sort();
  }

  async open(file: string): Promise<ModelFile> {
    const rel = cleanRel(file);
    const bytes = this.files.get(rel);
    if (!bytes) throw new ModelFileNotFoundError(rel, this.label);
    return bytesFile(rel, bytes);
  }

  async json<T = unknown>(file: string): Promise<T> {
    return parseJsonFile<T>(await this.open(file), this.label);
  }
}

// ---------------------------------------------------------------------------------------------
// Node: files on disk. node:fs is imported lazily (and through a variable) so browser bundles skip it.

type FsPromises = typeof import('node:fs/promises');
let fsp: Promise<FsPromises> | undefined;
export function nodeFs(): Promise<FsPromises> {
  const spec = 'node:fs/promises';
  fsp ??= import(/* @vite-ignore */ spec) as Promise<FsPromises>;
  return fsp;
}

const NODE_CHUNK = 1 << 20;

/** A file on disk as a ModelFile (reads by position; nothing is loaded whole). */
export async function nodeFile(path: string, name = path): Promise<ModelFile> {
  const fs = await nodeFs();
  const st = await fs.stat(path);
  const size = st.size;
  return {
    name,
    size,
    async slice(start, end) {
      end = Math.min(end, size);
      const out = new Uint8Array(Math.max(0, end - start));
      if (out.byteLength === 0) return out;
      const h = await fs.open(path, 'r');
      try {
        let done = 0;
        while (done < out.byteLength) {
          const { bytesRead } = await h.read(out, done, out.byteLength - done, start + done);
          if (bytesRead === 0) throw new Error(`${path}: file shrank while reading (wanted bytes ${start}-${end}).`);
          done += bytesRead;
        }
      } finally {
        await h.close();
      }
      return out;
    },
    stream(start = 0) {
      let handle: Awaited<ReturnType<FsPromises['open']>> | undefined;
      let pos = start;
      return new ReadableStream<Uint8Array>({
        async pull(ctrl) {
          handle ??= await fs.open(path, 'r');
          const buf = new Uint8Array(NODE_CHUNK);
          const { bytesRead } = await handle.read(buf, 0, NODE_CHUNK, pos);
          if (bytesRead === 0) {
            await handle.close();
            handle = undefined;
            ctrl.close();
            return;
          }
          pos += bytesRead;
          ctrl.enqueue(bytesRead === NODE_CHUNK ? buf : buf.slice(0, bytesRead));
        },
        async cancel() {
          await handle?.close();
          handle = undefined;
        },
      });
    },
  };
}

function cleanRel(file: string): string {
  const parts = file.replace(/\\/g, '/').split('/').filter((p) => p && p !== '.');
  if (parts.length === 0 || parts.includes('..')) throw new Error(`"${file}" is not a file path inside the model folder.`);
  return parts.join('/');
}

/** A model folder on disk (Node). */
export class NodeFolderSource implements ModelSource {
  readonly label: string;
  constructor(readonly root: string) {
    this.label = root;
  }

  async list(): Promise<string[]> {
    const fs = await nodeFs();
    const out: string[] = [];
    const walk = async (rel: string) => {
      const dir = rel ? `${this.root}/${rel}` : this.root;
      for (const d of await fs.readdir(dir, { withFileTypes: true })) {
        const r = rel ? `${rel}/${d.name}` : d.name;
        if (d.isDirectory()) await walk(r);
        else if (d.isFile()) out.push(r);
      }
    };
    try {
      await walk('');
    } catch (e) {
      throw new Error(`cannot list model folder ${this.root}: ${(e as Error).message}`);
    }
    return out.sort();
  }

  async open(file: string): Promise<ModelFile> {
    const rel = cleanRel(file);
    try {
      return await nodeFile(`${this.root}/${rel}`, rel);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ModelFileNotFoundError(rel, this.label);
      throw e;
    }
  }

  async json<T = unknown>(file: string): Promise<T> {
    return parseJsonFile<T>(await this.open(file), this.label);
  }
}

// ---------------------------------------------------------------------------------------------
// Browser folders.

/** A file with its path relative to the model root (drag-and-drop entries carry no webkitRelativePath). */
export interface RelFile {
  path: string;
  file: Blob;
}

/** Minimal view of FileSystemDirectoryHandle iteration (not in every TS DOM lib). */
interface DirHandleLike {
  kind: 'directory';
  name: string;
  values(): AsyncIterable<{ kind: 'file' | 'directory'; name: string }>;
}

/** A model folder picked in the browser: holds Blobs (disk-backed Files), reads them by slice. */
export class BrowserFolderSource implements ModelSource {
  private readonly files = new Map<string, Blob>();

  constructor(
    files: Iterable<RelFile>,
    readonly label = 'the selected folder',
  ) {
    for (const { path, file } of files) this.files.set(cleanRel(path), file);
  }

  /**
   * From a FileList / File[] (e.g. `<input type="file" webkitdirectory>`): the leading folder name of
   * `webkitRelativePath` is dropped so `my-model/config.json` becomes `config.json`.
   */
  static fromFiles(files: ArrayLike<File> | Iterable<File>, label?: string): BrowserFolderSource {
    const list = Array.from(files as ArrayLike<File>);
    const rels = list.map((f) => {
      const rp = (f as File & { webkitRelativePath?: string }).webkitRelativePath;
      return { path: rp ? rp.split('/').slice(1).join('/') || f.name : f.name, file: f as Blob };
    });
    const top = list[0] && (list[0] as File & { webkitRelativePath?: string }).webkitRelativePath?.split('/')[0];
    return new BrowserFolderSource(rels, label ?? (top ? `folder "${top}"` : 'the selected files'));
  }

  /** From a File System Access API directory handle (showDirectoryPicker / OPFS). */
  static async fromDirectoryHandle(handle: FileSystemDirectoryHandle): Promise<BrowserFolderSource> {
    const out: RelFile[] = [];
    const walk = async (dir: DirHandleLike, prefix: string) => {
      for await (const entry of dir.values()) {
        if (entry.kind === 'file') out.push({ path: prefix + entry.name, file: await (entry as unknown as FileSystemFileHandle).getFile() });
        else await walk(entry as unknown as DirHandleLike, `${prefix}${entry.name}/`);
      }
    };
    await walk(handle as unknown as DirHandleLike, '');
    return new BrowserFolderSource(out, `folder "${handle.name}"`);
  }

  /**
   * From a drop event's DataTransfer: walks dropped directories. A single dropped folder becomes the
   * root (its name is not part of the paths).
   */
  static async fromDataTransfer(dt: DataTransfer): Promise<BrowserFolderSource> {
    const entries = Array.from(dt.items)
      .map((i) => i.webkitGetAsEntry())
      .filter((e): e is FileSystemEntry => e !== null);
    const out: RelFile[] = [];
    const readDir = (dir: FileSystemDirectoryEntry) =>
      new Promise<FileSystemEntry[]>((resolve, reject) => {
        const reader = dir.createReader();
        const all: FileSystemEntry[] = [];
        const next = () =>
          reader.readEntries((batch) => {
            if (batch.length === 0) resolve(all);
            else {
              all.push(...batch);
              next();
            }
          }, reject);
        next();
      });
    const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
      if (entry.isFile) {
        const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
        out.push({ path: prefix + entry.name, file });
      } else if (entry.isDirectory) {
        for (const child of await readDir(entry as FileSystemDirectoryEntry)) await walk(child, `${prefix}${entry.name}/`);
      }
    };
    const single = entries.length === 1 && entries[0].isDirectory ? (entries[0] as FileSystemDirectoryEntry) : undefined;
    if (single) for (const child of await readDir(single)) await walk(child, '');
    else for (const e of entries) await walk(e, '');
    return new BrowserFolderSource(out, single ? `folder "${single.name}"` : 'the dropped files');
  }

  async list(): Promise<string[]> {
    return [...this.files.keys()].sort();
  }

  async open(file: string): Promise<ModelFile> {
    const rel = cleanRel(file);
    const blob = this.files.get(rel);
    if (!blob) throw new ModelFileNotFoundError(rel, this.label, 'pick the whole model folder (config.json, *.safetensors, tokenizer files)');
    return blobFile(rel, blob);
  }

  async json<T = unknown>(file: string): Promise<T> {
    return parseJsonFile<T>(await this.open(file), this.label);
  }
}
