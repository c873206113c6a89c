// File handling of the Node run folder (run-store.ts): folders created one level at a time after a
// check of the nearest existing ancestor (so an output folder that cannot exist fails at once),
// atomic writes checked for their size, JSON reads and file-system errors that name the file and
// the fix, the run lock (one process per run folder; a stale lock is taken over), the
// fingerprint of a run's inputs (sha256 of the config, the model files and the dataset file), and
// the export folder, whose files are never replaced without --force when another run wrote them.

import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { IntConfig } from './config';
import { asExportManifest, EXPORT_FILES, exportConflict, exportRefusal, type ExportManifest } from './exports';
import { canonicalJson, runIdentity, type FileHash, type RunFingerprint, type SourcePrint } from './fingerprint';
import { modelSourceOf } from './model';
import { HubSource, openLoaderFiles } from '../io/hub';

/** Where the "imo-answerbench" dataset name points, relative to the project root. */
export const IMO_ANSWERBENCH_FILE = 'shared/data/imo-answerbench/answerbench_v2.csv';

// ---------------------------------------------------------------- errors

/** A Node file-system error's code ("ENOSPC"), or undefined. */
export function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const FS_FIXES: Record<string, string> = {
  ENOSPC: 'the disk is full: free some space',
  EDQUOT: 'the disk quota is used up: free some space',
  EACCES: 'permission denied: make the folder writable for this user, or pick another folder',
  EPERM: 'the operation is not permitted there: make the folder writable for this user, or pick another folder',
  EROFS: 'the file system is read-only: pick a folder on a writable disk',
  EEXIST: 'something already exists under that name (a file where a folder is needed?): move it away, or pick another folder',
  ENOTDIR: 'a part of the path is a file, not a folder: move that file away, or pick another folder',
  EISDIR: 'a folder is in the way where a file is written: move it away',
  ENOENT: 'the file or its folder does not exist',
  EMFILE: 'too many open files: raise the limit (ulimit -n) or close other programs',
  EIO: 'the disk reported an input/output error: check the disk',
};

/** An Error naming the file, what was being done, the cause in words and its fix; `after` is
 *  appended (what is safe, how to continue). Errors that are not errno errors pass through. */
export function fsError(e: unknown, doing: string, file: string, after = ''): Error {
  const code = errnoOf(e);
  if (!code) return e instanceof Error ? e : new Error(String(e));
  const fix = FS_FIXES[code] ?? (e as Error).message;
  const err = new Error(`${code} while ${doing} ${file}: ${fix}${after ? `. ${after}` : ''}`);
  (err as Error & { code?: string }).code = code;
  return err;
}

/** Read and parse a JSON file; a missing or malformed file is refused naming the file, with `fix`. */
export function readJsonFile<T>(file: string, fix: string): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw fsError(e, 'reading', file, fix);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    const why = text.trim() === '' ? 'it is empty' : `${(e as Error).message}; ${text.length} characters`;
    throw new Error(`${file} is not valid JSON (${why}: cut short by an interrupted write or a full disk?). ${fix}`);
  }
}

// ---------------------------------------------------------------- folders and writes

/** Create `dir` and its missing parents one level at a time, after checking that the nearest
 *  existing ancestor is a folder (recursive mkdir can spin forever under /proc). Refuses with the
 *  folder named and the fix; `what` names the folder's role ("output folder"). */
export function makeDirs(dir: string, what = 'folder'): void {
  const abs = resolve(dir);
  const missing: string[] = [];
  let p = abs;
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      const code = errnoOf(e);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fsError(e, `checking the ${what}`, p);
      const up = dirname(p);
      if (up === p) throw new Error(`cannot create the ${what} ${dir}: its root ${p} does not exist`);
      missing.unshift(p);
      p = up;
      continue;
    }
    if (!st.isDirectory()) throw new Error(`cannot create the ${what} ${dir}: ${p} is a file, not a folder; move it away or pick another folder`);
    break;
  }
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (e) {
      const code = errnoOf(e);
      if (code === 'EEXIST' && statSync(m).isDirectory()) continue; // made meanwhile
      if (code === 'ENOENT') throw new Error(`cannot create the ${what} ${dir}: ${dirname(m)} accepts no new folders (a special file system such as /proc?); pick another folder`);
      throw fsError(e, `creating the ${what}`, m);
    }
  }
}

/** Write a file atomically (a temporary file beside it, its size checked, then renamed over the
 *  target); parent folders are created. An error names the file; `after` says what is safe. */
export function writeAtomic(path: string, data: string | Uint8Array, after = ''): void {
  const tmp = `${path}.partial`;
  makeDirs(dirname(path));
  const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  try {
    writeFileSync(tmp, data);
    const size = statSync(tmp).size;
    if (size !== bytes) throw new Error(`${tmp} holds ${size} bytes after writing ${bytes} (a full disk?)${after ? `. ${after}` : ''}`);
    renameSync(tmp, path);
  } catch (e) {
    try {
      if (existsSync(tmp)) unlinkSync(tmp);
    } catch {
      // the temporary file stays; the target is untouched either way
    }
    throw fsError(e, 'writing', path, after);
  }
}

// ---------------------------------------------------------------- lock

/** What run.lock holds. */
export interface LockInfo {
  pid: number;
  host: string;
  /** When the holder took the lock (ISO time). */
  started: string;
}

/** Is process `pid` alive on this machine? */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoOf(e) === 'EPERM';
  }
}

/** One process per run folder: `dir`/run.lock holds the holder's pid, host and start time. A lock
 *  whose process is gone is taken over (said through `note`); a live one is refused. */
export class RunLock {
  private constructor(
    readonly file: string,
    readonly info: LockInfo,
  ) {}

  static file(dir: string): string {
    return join(dir, 'run.lock');
  }

  static acquire(dir: string, note: (msg: string) => void = () => {}): RunLock {
    const file = RunLock.file(dir);
    const info: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd: number;
      try {
        fd = openSync(file, 'wx');
      } catch (e) {
        if (errnoOf(e) !== 'EEXIST') throw fsError(e, 'creating the run lock', file);
        const held = RunLock.read(file);
        if (held && (held.host !== info.host || pidAlive(held.pid))) {
          const where = held.host === info.host ? `process ${held.pid}` : `process ${held.pid} on host ${held.host}`;
          throw new Error(
            `${dir} is in use by ${where} (since ${held.started}): one process per run folder. Wait for it to finish or stop it ` +
              `(kill ${held.pid}); if no experiment runs there, delete ${file}`,
          );
        }
        note(held ? `taking over the stale lock ${file} of process ${held.pid} (started ${held.started}), which is no longer running` : `replacing the unreadable lock ${file}`);
        try {
          unlinkSync(file);
        } catch (u) {
          if (errnoOf(u) !== 'ENOENT') throw fsError(u, 'removing the stale lock', file);
        }
        continue;
      }
      try {
        writeSync(fd, JSON.stringify(info) + '\n');
      } finally {
        closeSync(fd);
      }
      return new RunLock(file, info);
    }
    throw new Error(`${file} was taken by another process while this one replaced a stale lock; retry when that process has finished`);
  }

  /** The lock's holder, or null when the file is unreadable or malformed. */
  static read(file: string): LockInfo | null {
    try {
      const v = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
      return Number.isSafeInteger(v?.pid) && typeof v.host === 'string' ? v : null;
    } catch {
      return null;
    }
  }

  /** Remove the lock if it is still this one's. */
  release(): void {
    const held = RunLock.read(this.file);
    if (held && held.pid === this.info.pid && held.started === this.info.started) {
      try {
        unlinkSync(this.file);
      } catch {
        // already gone
      }
    }
  }
}

// ---------------------------------------------------------------- fingerprint

/** sha256 and size of a file, streamed. */
export async function hashFile(file: string): Promise<FileHash> {
  const h = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(file)) {
      h.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (e) {
    throw fsError(e, 'hashing', file);
  }
  return { sha256: h.digest('hex'), size };
}

/** sha256 of a config as canonical JSON. */
export function configHash(config: unknown): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}

/** Files of a model folder that the loader may read. */
const MODEL_FILE = /^(config|generation_config|tokenizer|tokenizer_config|special_tokens_map)\.json$|^tokenizer\.model$|^chat_template\.(json|jinja)$|\.safetensors(\.index\.json)?$/;

async function folderPrint(dir: string): Promise<SourcePrint> {
  const files: Record<string, FileHash> = {};
  for (const name of readdirSync(dir).filter((n) => MODEL_FILE.test(n)).sort()) files[name] = await hashFile(join(dir, name));
  return { kind: 'files', path: dir, files };
}

/** sha256 and size of a stream (a hub file from the download cache); `label` names it in errors. */
async function hashStream(stream: ReadableStream<Uint8Array>, label: string): Promise<FileHash> {
  const h = createHash('sha256');
  let size = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      h.update(value);
      size += value.byteLength;
    }
  } catch (e) {
    throw fsError(e, 'hashing', label);
  }
  return { sha256: h.digest('hex'), size };
}

/** A hub model as the loader will read it (see SourcePrint 'hub'): its files are opened through the
 *  same source and cache as the loader's (downloaded now when missing) and hashed. */
async function hubPrint(id: string): Promise<SourcePrint> {
  const src = new HubSource(id);
  const { commit } = await src.commit();
  const files: Record<string, FileHash> = {};
  await openLoaderFiles(src, async (name, file) => {
    files[name] = await hashStream(file.stream(), `${src.label}/${name}`);
  });
  return { kind: 'hub', id, revision: src.revision, commit, files };
}

/** The dataset file a math config reads (null for a hub id or the chains world). */
export function datasetFileOf(config: IntConfig, root: string): string | null {
  if (config.data.task !== 'math' || !config.data.dataset) return null;
  const name = config.data.dataset === 'imo-answerbench' ? join(root, IMO_ANSWERBENCH_FILE) : config.data.dataset;
  return existsSync(name) ? name : null;
}

/** The fingerprint of a run of `config` made now: hashes of the config, the model files and the
 *  dataset file. */
export async function fingerprintRun(config: IntConfig, root: string): Promise<RunFingerprint> {
  const m = await modelSourceOf(config.model, root);
  const model: SourcePrint = 'dir' in m ? await folderPrint(m.dir) : 'hub' in m ? await hubPrint(m.hub) : { kind: 'random', missing: m.random };
  let dataset: SourcePrint = { kind: 'generated' };
  if (config.data.task === 'math') {
    const file = datasetFileOf(config, root);
    dataset = file ? { kind: 'files', path: file, files: { [basename(file)]: await hashFile(file) } } : { kind: 'hub', id: config.data.dataset ?? '' };
  }
  return { config: configHash(config), model, dataset };
}

// ---------------------------------------------------------------- exports

/** The id a run's exports record: the sha256 of runIdentity(fingerprint), or of the config for a
 *  run started before fingerprints. */
export function runIdOf(fingerprint: RunFingerprint | undefined, config: IntConfig): string {
  return fingerprint ? createHash('sha256').update(runIdentity(fingerprint)).digest('hex') : configHash(config);
}

function bytesHash(data: string | Uint8Array): FileHash {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  return { sha256: createHash('sha256').update(buf).digest('hex'), size: buf.byteLength };
}

function fileHashSync(file: string): FileHash {
  try {
    return bytesHash(readFileSync(file));
  } catch (e) {
    throw fsError(e, 'reading', file);
  }
}

/** Files under `dir` as '/'-separated relative paths (the manifest and .partial files left out). */
function filesUnder(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesUnder(join(dir, e.name), rel));
    else if (rel !== EXPORT_FILES.manifest && !rel.endsWith('.partial')) out.push(rel);
  }
  return out;
}

/** A run's export folder in Node (exports/ of the run folder): exports.json records the run that
 *  wrote it and each file's hash; a file of another run, one changed after export, or one no
 *  manifest accounts for is never replaced unless `force`. */
export class ExportFolder {
  constructor(
    readonly dir: string,
    /** runIdOf(the run's fingerprint). */
    readonly run: string,
    readonly force = false,
    readonly note: (msg: string) => void = () => {},
  ) {}

  get manifestFile(): string {
    return join(this.dir, EXPORT_FILES.manifest);
  }

  /** The manifest, or null when there is none or it does not parse (then no file is accounted for). */
  manifest(): ExportManifest | null {
    if (!existsSync(this.manifestFile)) return null;
    try {
      return asExportManifest(JSON.parse(readFileSync(this.manifestFile, 'utf8')));
    } catch {
      return null;
    }
  }

  private saveManifest(m: ExportManifest): void {
    writeAtomic(this.manifestFile, JSON.stringify(m, null, 2) + '\n');
  }

  /** Before any work: refuse a folder holding exports this run would replace (see the class);
   *  with `force` they are removed, said through `note`. `resumed`: a folder without a manifest
   *  holds this run's own exports (a run started before exports.json) and is adopted. */
  check(resumed: boolean): void {
    const files = filesUnder(this.dir);
    if (files.length === 0) return;
    const m = this.manifest();
    if (!m && resumed && !existsSync(this.manifestFile)) {
      this.note(`${this.dir} has no ${EXPORT_FILES.manifest} (a run started before it): its ${files.length} files are taken as this run's exports`);
      this.saveManifest({ format: 'int-lab-exports', run: this.run, files: Object.fromEntries(files.map((f) => [f, { ...fileHashSync(join(this.dir, f)), run: this.run }])) });
      return;
    }
    const conflicts = files.flatMap((f) => {
      const why = exportConflict(f, this.run, m, fileHashSync(join(this.dir, f)), null);
      return why ? [{ f, why }] : [];
    });
    if (conflicts.length === 0) return;
    const list = conflicts.slice(0, 5).map((c) => `  - ${join(this.dir, c.f)}: ${c.why}\n`).join('') + (conflicts.length > 5 ? `  ... and ${conflicts.length - 5} more\n` : '');
    if (!this.force) {
      throw new Error(
        `${this.dir} holds ${conflicts.length} exported file${conflicts.length === 1 ? '' : 's'} that this run would replace:\n${list}` +
          `Move ${this.dir} away (or pick another --out folder), or pass --force to replace them`,
      );
    }
    this.note(`--force: removing ${conflicts.length} exported file${conflicts.length === 1 ? '' : 's'} of ${this.dir} that this run replaces:\n${list.trimEnd()}`);
    for (const c of conflicts) {
      try {
        unlinkSync(join(this.dir, c.f));
      } catch (e) {
        throw fsError(e, 'removing', join(this.dir, c.f));
      }
    }
    const kept = Object.entries(m?.files ?? {}).filter(([f]) => !conflicts.some((c) => c.f === f));
    this.saveManifest({ format: 'int-lab-exports', run: this.run, files: Object.fromEntries(kept.map(([f, x]) => [f, { ...x, run: x.run ?? m!.run }])) });
  }

  /** Write one export (path inside the folder): refused as in check() unless `force`, then written
   *  atomically and recorded in the manifest. */
  write(path: string, data: string | Uint8Array): void {
    const file = join(this.dir, path);
    const next = bytesHash(data);
    const m = this.manifest();
    const why = exportConflict(path, this.run, m, existsSync(file) ? fileHashSync(file) : null, next);
    if (why && !this.force) throw new Error(exportRefusal(file, why));
    if (why) this.note(`--force: replacing ${file} (${why})`);
    writeAtomic(file, data);
    // the files of earlier writers keep their run; unlisted files now count as this run's
    const files = Object.fromEntries(Object.entries(m?.files ?? {}).map(([f, x]) => [f, { ...x, run: x.run ?? m!.run }]));
    files[path] = { ...next, run: this.run };
    this.saveManifest({ format: 'int-lab-exports', run: this.run, files });
  }
}
