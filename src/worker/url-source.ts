// A model folder served over HTTP (the embedded model under ./models/chains-critical-strict/ of the static
// app): each file is fetched whole once and kept in memory; a 404 (or an HTML fallback page) is
// ModelFileNotFoundError.
import { bytesFile, ModelFileNotFoundError, parseJsonFile, type ModelFile, type ModelSource } from '../io/folder';

export class UrlFolderSource implements ModelSource {
  readonly label: string;
  private files = new Map<string, Promise<ModelFile>>();

  /** `base` is an absolute URL of the folder, ending in '/'. */
  constructor(readonly base: string) {
    this.label = base;
  }

  open(file: string): Promise<ModelFile> {
    let f = this.files.get(file);
    if (!f) {
      f = (async () => {
        const url = new URL(file, this.base).href;
        const r = await fetch(url);
        // Dev servers and SPA hosts answer a missing file with index.html and status 200.
        const html = (r.headers.get('content-type') ?? '').startsWith('text/html') && !file.endsWith('.html');
        if (r.status === 404 || (r.ok && html)) throw new ModelFileNotFoundError(file, this.label);
        if (!r.ok) throw new Error(`fetching ${url} failed: HTTP ${r.status}; check that the app's models/ folder is deployed`);
        return bytesFile(file, new Uint8Array(await r.arrayBuffer()));
      })();
      this.files.set(file, f);
      f.catch(() => this.files.delete(file));
    }
    return f;
  }

  async json<T = unknown>(file: string): Promise<T> {
    return parseJsonFile<T>(await this.open(file), this.label);
  }
}
