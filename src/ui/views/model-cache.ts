// The Models tab: download any Hugging Face model id ahead of a run with progress per file and in
// total (bytes, percent, ETA), and the download cache listed by model with file sizes and a clear
// button per model and for all. A download cut short (a reload) resumes: complete files are read
// from the cache, and in OPFS a partial file continues from the bytes held.
import { fmtBytes } from '../../model/memory';
import type { CachedModelFile, ModelCacheListing, ModelDownloadProgress } from '../../worker/protocol';
import { button, el, table } from '../dom';
import { describeDownload, DownloadTracker, fmtEta, fmtProgress, type DownloadSnapshot } from '../download-progress';

export interface ModelCacheDeps {
  download(id: string, onProgress: (p: ModelDownloadProgress) => void): Promise<string[]>;
  list(): Promise<ModelCacheListing>;
  clear(repo: string | null): Promise<number>;
  /** Model ids offered in the input's list. */
  suggestions: readonly string[];
}

export interface ModelCacheView {
  root: HTMLElement;
  /** Show a download's progress (also a run's model download); returns its one-line summary. */
  progress(p: ModelDownloadProgress): string;
  /** Re-read the cache listing. */
  refresh(): Promise<void>;
}

/** Cached files grouped by model: files, bytes held, and whether every file is complete. */
export function cacheByModel(files: readonly CachedModelFile[]): { repo: string; files: CachedModelFile[]; bytes: number; complete: boolean }[] {
  const m = new Map<string, CachedModelFile[]>();
  for (const f of files) m.set(f.repo, [...(m.get(f.repo) ?? []), f]);
  return [...m].sort(([a], [b]) => a.localeCompare(b)).map(([repo, fs]) => ({ repo, files: fs, bytes: fs.reduce((n, f) => n + f.bytes, 0), complete: fs.every((f) => f.complete) }));
}

const STORE_NOTE: Record<string, string> = {
  opfs: 'Files are kept in this browser (Origin Private File System). A download cut short, by a reload or a lost connection, continues where it stopped.',
  'cache-api': 'Files are kept in the browser cache (Cache API). A reload during a download keeps the files already complete; the file in progress starts again.',
  memory: 'This browser offers no persistent storage here (private window?): downloads last until the page is closed.',
};

export function modelCacheView(d: ModelCacheDeps): ModelCacheView {
  const listId = 'hub-model-ids';
  const input = el('input', { attrs: { type: 'text', list: listId, placeholder: 'owner/name, e.g. Qwen/Qwen3-0.6B', 'aria-label': 'Hugging Face model id', 'data-testid': 'models-hub-id', size: '32' } });
  const ids = el('datalist', { attrs: { id: listId } }, ...d.suggestions.map((id) => el('option', { attrs: { value: id } })));
  const err = el('p', { cls: 'status error', attrs: { role: 'alert' } });
  const total = el('progress', { attrs: { max: '1', value: '0', 'data-testid': 'download-total' } });
  const totalText = el('span', { cls: 'note', attrs: { 'data-testid': 'download-text' } });
  const filesBox = el('div');
  const progressBox = el('div', { cls: 'download-progress', attrs: { hidden: '' } }, el('div', { cls: 'download-total' }, total, totalText), filesBox);
  const note = el('p', { cls: 'note' });
  const cacheBox = el('div', { attrs: { 'data-testid': 'model-cache' } });
  let tracker: DownloadTracker | null = null;
  let busy = false;

  const go = button('Download', () => void start(), { 'data-testid': 'models-hub-download' });
  input.addEventListener('keydown', (e) => e.key === 'Enter' && void start());

  function draw(s: DownloadSnapshot): void {
    progressBox.hidden = false;
    total.max = Math.max(s.total, 1);
    total.value = s.loaded;
    totalText.textContent = ` ${describeDownload(s)}`;
    const rows = s.files.map((f) => [f.file, fmtProgress(f.loaded, f.total), f.cached ? 'in the cache' : f.done ? 'done' : `ETA ${fmtEta(f.eta)}`]);
    const t = table(['file', 'held', ''], rows, 'report download-files');
    t.querySelectorAll('tbody tr').forEach((tr, i) => {
      const f = s.files[i];
      const bar = el('progress', { attrs: { max: String(Math.max(f.total ?? f.loaded, 1)), value: String(f.loaded) } });
      tr.children[1].prepend(bar, ' ');
    });
    filesBox.replaceChildren(t);
  }

  function progress(p: ModelDownloadProgress): string {
    if (!tracker || tracker.repo !== p.repo) tracker = new DownloadTracker(p.repo);
    tracker.update(p, performance.now());
    const s = tracker.snapshot(performance.now());
    draw(s);
    return describeDownload(s);
  }

  async function start(): Promise<void> {
    const id = input.value.trim();
    err.textContent = '';
    if (busy) return;
    if (!/^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/.test(id)) {
      err.textContent = `"${id}" is not a Hugging Face model id: type it as owner/name, e.g. Qwen/Qwen3-0.6B`;
      return;
    }
    busy = true;
    go.disabled = true;
    tracker = new DownloadTracker(id);
    totalText.textContent = ` ${id}: asking the hub…`;
    progressBox.hidden = false;
    filesBox.replaceChildren();
    try {
      const got = await d.download(id, (p) => void progress(p));
      const s = tracker?.snapshot(performance.now());
      totalText.textContent = ` ${id}: ${got.length} files${s ? `, ${fmtBytes(s.loaded)}` : ''}, all in the cache; a run on this model now loads it from here.`;
    } catch (e) {
      err.textContent = `${id} could not be downloaded: ${(e as Error).message}`;
    } finally {
      busy = false;
      go.disabled = false;
      await refresh();
    }
  }

  async function clear(repo: string | null): Promise<void> {
    err.textContent = '';
    try {
      await d.clear(repo);
    } catch (e) {
      err.textContent = `the cache could not be cleared: ${(e as Error).message}`;
    }
    await refresh();
  }

  async function refresh(): Promise<void> {
    let listing: ModelCacheListing;
    try {
      listing = await d.list();
    } catch (e) {
      cacheBox.replaceChildren(el('p', { cls: 'status error', text: `the download cache could not be read: ${(e as Error).message}` }));
      return;
    }
    note.textContent = STORE_NOTE[listing.kind] ?? '';
    const models = cacheByModel(listing.files);
    if (models.length === 0) {
      cacheBox.replaceChildren(el('p', { text: 'No hub model is downloaded yet.' }));
      return;
    }
    const all = models.reduce((n, m) => n + m.bytes, 0);
    const t = table(['model', 'files', 'size', 'state', ''], models.map((m) => [m.repo, String(m.files.length), fmtBytes(m.bytes), m.complete ? 'files complete' : 'partial: Continue resumes it', '']), 'report model-cache');
    t.querySelectorAll('tbody tr').forEach((tr, i) => {
      const m = models[i];
      tr.setAttribute('data-testid', 'cached-model');
      const files = el('details', {}, el('summary', { text: 'files' }), table(['file', 'revision', 'size', 'state'], m.files.map((f) => [f.file, f.revision, fmtBytes(f.bytes), f.complete ? 'complete' : 'partial'])));
      tr.children[1].append(' ', files);
      if (!m.complete) tr.lastElementChild!.append(button('Continue', () => ((input.value = m.repo), void start()), { 'data-testid': 'continue-download', 'aria-label': `Continue downloading ${m.repo}` }), ' ');
      tr.lastElementChild!.append(button('Clear', () => void clear(m.repo), { 'data-testid': 'clear-model', 'aria-label': `Clear the cached files of ${m.repo}` }));
    });
    cacheBox.replaceChildren(t, el('p', {}, `${fmtBytes(all)} in all `, button('Clear all', () => void clear(null), { 'data-testid': 'clear-all-models' })));
  }

  const root = el(
    'section',
    { cls: 'model-cache-view' },
    el('h2', { text: 'Models' }),
    el('p', { text: 'Download a Hugging Face model before a run (any model id with config.json, tokenizer.json and safetensors weights). A run downloads its model too and shows the same progress in the status line.' }),
    el('p', { cls: 'hub-form' }, input, ids, ' ', go),
    err,
    progressBox,
    el('h3', { text: 'Downloaded models' }),
    note,
    cacheBox,
  );
  return { root, progress, refresh };
}
