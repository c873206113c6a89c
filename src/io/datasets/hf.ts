// Hugging Face dataset files over plain fetch (browser and Node): file URLs of the form
// <endpoint>/datasets/<repo>/resolve/<revision>/<path>, and the datasets-server Parquet listing.

export interface HfOptions {
  /** Hub base URL. Default 'https://huggingface.co'. */
  endpoint?: string;
  /** Datasets-server base URL (Parquet listing). Default 'https://datasets-server.huggingface.co'. */
  datasetsServer?: string;
  /** Access token for gated or private datasets, sent as a Bearer token. Default none. */
  token?: string;
  /** fetch implementation. Default globalThis.fetch. */
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/** One Parquet file of a dataset, as listed by the datasets server. */
export interface HfParquetFile {
  dataset: string;
  config: string;
  split: string;
  url: string;
  filename: string;
  size: number;
}

export class HfError extends Error {
  override name = 'HfError';
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

export const HF_ENDPOINT = 'https://huggingface.co';
export const HF_DATASETS_SERVER = 'https://datasets-server.huggingface.co';

const REPO_RE = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

function checkRepo(repo: string): void {
  if (!REPO_RE.test(repo)) {
    throw new HfError(`"${repo}" is not a dataset repo id: expected "owner/name" (e.g. "openai/gsm8k").`);
  }
}

const trimSlash = (s: string) => s.replace(/\/+$/, '');

/** URL of one file of a dataset repo at a revision (branch, tag, commit or refs/convert/parquet). */
export function hfResolveUrl(repo: string, path: string, revision = 'main', endpoint = HF_ENDPOINT): string {
  checkRepo(repo);
  const cleanPath = path.replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/');
  if (!cleanPath) throw new HfError('file path inside the dataset repo is empty: give e.g. "data/train.jsonl".');
  return `${trimSlash(endpoint)}/datasets/${repo}/resolve/${encodeURIComponent(revision)}/${cleanPath}`;
}

/** A parsed dataset file reference. */
export interface HfFileRef {
  repo: string;
  revision: string;
  path: string;
}

/**
 * Recognise a dataset file reference: "hf://datasets/<repo>[@<rev>]/<path>", or a hub URL
 * "<endpoint>/datasets/<repo>/(resolve|blob)/<rev>/<path>". Returns null for anything else.
 */
export function parseHfFileRef(ref: string, endpoint = HF_ENDPOINT): HfFileRef | null {
  const hf = /^hf:\/\/datasets\/([^/@]+\/[^/@]+)(?:@([^/]+))?\/(.+)$/.exec(ref);
  if (hf) return { repo: hf[1], revision: decodeURIComponent(hf[2] ?? 'main'), path: hf[3] };
  const base = trimSlash(endpoint);
  if (!ref.startsWith(base + '/datasets/')) return null;
  const m = /^([^/]+\/[^/]+)\/(?:resolve|blob)\/([^/]+)\/(.+)$/.exec(ref.slice(base.length + '/datasets/'.length).split(/[?#]/)[0]);
  if (!m) return null;
  return { repo: m[1], revision: decodeURIComponent(m[2]), path: m[3].split('/').map(decodeURIComponent).join('/') };
}

function headers(opts: HfOptions): Record<string, string> {
  return opts.token ? { Authorization: `Bearer ${opts.token}` } : {};
}

/** GET a URL and explain failures in terms of what to change. */
export async function fetchBytes(url: string, opts: HfOptions = {}): Promise<Uint8Array> {
  const doFetch = opts.fetch ?? globalThis.fetch;
  if (!doFetch) throw new HfError('no fetch() available in this runtime: pass options.fetch.');
  let res: Response;
  try {
    res = await doFetch(url, { headers: headers(opts), signal: opts.signal });
  } catch (e) {
    throw new HfError(`could not fetch ${url}: ${(e as Error).message}. Check the URL and the network connection.`);
  }
  if (!res.ok) throw new HfError(explainStatus(url, res.status, res.statusText), res.status);
  return new Uint8Array(await res.arrayBuffer());
}

function explainStatus(url: string, status: number, statusText: string): string {
  const head = `GET ${url} failed with HTTP ${status}${statusText ? ' ' + statusText : ''}`;
  if (status === 401 || status === 403) return `${head}: the dataset is gated or private. Accept its terms on the hub and pass an access token (options.token).`;
  if (status === 404) return `${head}: not found. Check the repo id, the revision and the file path (names are case-sensitive).`;
  if (status === 429) return `${head}: rate limited. Wait a little and retry, or pass an access token.`;
  return head + '.';
}

/** Download one file of a dataset repo. */
export async function fetchHfFile(
  repo: string,
  path: string,
  options: HfOptions & { revision?: string } = {},
): Promise<{ bytes: Uint8Array; url: string; name: string }> {
  const url = hfResolveUrl(repo, path, options.revision ?? 'main', options.endpoint);
  const bytes = await fetchBytes(url, options);
  return { bytes, url, name: path.split('/').pop() ?? path };
}

/** List the Parquet files of a dataset (all configs and splits) through the datasets server. */
export async function listHfParquetFiles(repo: string, options: HfOptions = {}): Promise<HfParquetFile[]> {
  checkRepo(repo);
  const url = `${trimSlash(options.datasetsServer ?? HF_DATASETS_SERVER)}/parquet?dataset=${encodeURIComponent(repo)}`;
  const bytes = await fetchBytes(url, options);
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new HfError(`datasets server answered ${url} with something that is not JSON.`);
  }
  const files = (body as { parquet_files?: unknown }).parquet_files;
  if (!Array.isArray(files)) {
    const err = (body as { error?: unknown }).error;
    throw new HfError(`datasets server has no Parquet listing for "${repo}"${err ? `: ${String(err)}` : ''}. Give a file path instead.`);
  }
  return files.map((f: Record<string, unknown>) => ({
    dataset: String(f.dataset ?? repo),
    config: String(f.config ?? 'default'),
    split: String(f.split ?? 'train'),
    url: String(f.url),
    filename: String(f.filename ?? String(f.url).split('/').pop()),
    size: Number(f.size ?? 0),
  }));
}

/**
 * Pick the files of one config and split from a listing. Defaults: config 'default' when
 * present, else the first listed; split 'train' when present, else the first listed.
 */
export function selectParquetFiles(files: HfParquetFile[], want: { config?: string; split?: string } = {}): HfParquetFile[] {
  if (files.length === 0) throw new HfError('the dataset lists no Parquet files.');
  const configs = [...new Set(files.map((f) => f.config))];
  const config = want.config ?? (configs.includes('default') ? 'default' : configs[0]);
  if (!configs.includes(config)) throw new HfError(`dataset has no config "${config}"; configs: ${configs.join(', ')}.`);
  const inConfig = files.filter((f) => f.config === config);
  const splits = [...new Set(inConfig.map((f) => f.split))];
  const split = want.split ?? (splits.includes('train') ? 'train' : splits[0]);
  if (!splits.includes(split)) throw new HfError(`config "${config}" has no split "${split}"; splits: ${splits.join(', ')}.`);
  return inConfig.filter((f) => f.split === split).sort((a, b) => a.filename.localeCompare(b.filename));
}
