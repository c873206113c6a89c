// What a run was made from, so that a resumed run can check that nothing changed since it started:
// the sha256 of the resolved config and the sha256 and size of every model file (a hub model's as
// downloaded, with the commit its revision resolved to) and of the dataset file. Storage-independent:
// a store computes the hashes (run-files.ts in Node); this file compares two fingerprints and words
// what changed.

/** sha256 (hex) and size in bytes of one file. */
export interface FileHash {
  sha256: string;
  size: number;
}

/** A model or a dataset as the run saw it. */
export type SourcePrint =
  /** Local files: a model folder (`files` by name inside it) or a dataset file (`files` holds its
   *  base name). Compared by content: the same files under another path are the same source. */
  | { kind: 'files'; path: string; files: Record<string, FileHash> }
  /** Fetched by hub id. A model also records the revision asked for, the commit it resolved to
   *  (null when the hub could not say) and the sha256 and size of every file the loader reads, as
   *  the download cache holds them; a hub dataset, and runs started before these were recorded,
   *  hold the id alone. */
  | { kind: 'hub'; id: string; revision?: string; commit?: string | null; files?: Record<string, FileHash> }
  /** The seeded random-init stand-in, used because the embedded model folder `missing` was not there. */
  | { kind: 'random'; missing: string }
  /** Problems generated from the config (the chains world): the config hash covers them. */
  | { kind: 'generated' };

export interface RunFingerprint {
  /** sha256 of the resolved config as canonical JSON (canonicalJson). */
  config: string;
  model: SourcePrint;
  dataset: SourcePrint;
}

/** JSON with object keys sorted at every level, so equal values give equal text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x === undefined ? null : x)).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** What identifies a run's inputs regardless of where they lie: the fingerprint as canonical JSON
 *  without paths (the same files under another path are the same run). Exports record its hash. */
export function runIdentity(fp: RunFingerprint): string {
  const strip = (p: SourcePrint) => (p.kind === 'files' ? { kind: p.kind, files: p.files } : p);
  return canonicalJson({ config: fp.config, model: strip(fp.model), dataset: strip(fp.dataset) });
}

const short = (h: string) => h.slice(0, 12);

/** A file of a source as written in messages: the source path itself for a single file. */
const fileLabel = (path: string, name: string) => (path === name || path.endsWith(`/${name}`) ? path : `${path}/${name}`);

function describe(p: SourcePrint): string {
  switch (p.kind) {
    case 'files':
      return p.path;
    case 'hub':
      return `hub id ${p.id}`;
    case 'random':
      return `the random-init stand-in (${p.missing} was missing)`;
    case 'generated':
      return 'problems generated from the config';
  }
}

/** What differs between two sets of file hashes; `label` names a file, `place` the folder. */
function fileChanges(what: string, was: Record<string, FileHash>, now: Record<string, FileHash>, label: (name: string) => string, place: string): string[] {
  const out: string[] = [];
  for (const [name, h] of Object.entries(was)) {
    const n = now[name];
    const file = label(name);
    if (!n) out.push(`${what} file ${file} is gone (it had ${h.size} bytes, sha256 ${short(h.sha256)}...)`);
    else if (n.sha256 !== h.sha256 || n.size !== h.size) {
      out.push(`${what} file ${file} was replaced (${h.size} -> ${n.size} bytes, sha256 ${short(h.sha256)}... -> ${short(n.sha256)}...)`);
    }
  }
  for (const name of Object.keys(now)) if (!was[name]) out.push(`${what} ${place} has a new file ${name}`);
  return out;
}

function sourceChanges(what: 'model' | 'dataset', was: SourcePrint, now: SourcePrint): string[] {
  if (was.kind === 'files' && now.kind === 'hub') return [`the ${what} ${was.path} is no longer there`];
  if (was.kind !== now.kind || (was.kind === 'hub' && now.kind === 'hub' && was.id !== now.id)) {
    return [`the ${what} was ${describe(was)} and is now ${describe(now)}`];
  }
  if (was.kind === 'hub' && now.kind === 'hub') {
    const at = `${now.id}@${now.revision ?? was.revision ?? 'main'}`;
    const out: string[] = [];
    if (was.commit && now.commit && was.commit !== now.commit) {
      out.push(`the hub ${what} ${at} now resolves to commit ${short(now.commit)}... (the run started from commit ${short(was.commit)}...): the remote ${what} changed`);
    }
    if (was.files && now.files) out.push(...fileChanges(what, was.files, now.files, (name) => `${at}/${name}`, `repo ${at}`));
    return out;
  }
  if (was.kind !== 'files' || now.kind !== 'files') return [];
  return fileChanges(what, was.files, now.files, (name) => fileLabel(now.path, name), `folder ${now.path}`);
}

/** What differs between the fingerprint a run started with and the current one (empty: nothing). */
export function fingerprintChanges(was: RunFingerprint, now: RunFingerprint): string[] {
  const out: string[] = [];
  if (was.config !== now.config) out.push(`the config in run.json was edited after the run started (sha256 ${short(was.config)}... -> ${short(now.config)}...)`);
  out.push(...sourceChanges('model', was.model, now.model), ...sourceChanges('dataset', was.dataset, now.dataset));
  return out;
}

/** The refusal of a resume whose inputs changed: what changed, why it matters, and the fix. */
export function fingerprintRefusal(dir: string, changes: readonly string[]): string {
  return (
    `cannot resume ${dir}: what the run was made from changed since it started:\n` +
    changes.map((c) => `  - ${c}\n`).join('') +
    `its completed stages were computed from the original files and config, so continuing would mix two experiments. ` +
    `Put the original files (and run.json's config) back and resume again, or start a new run folder (--out NEW_DIR) with the current ones.`
  );
}
