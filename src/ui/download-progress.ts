// Download progress of a hub model as the page shows it (WebLLM-style): per file and in total the
// bytes held, the percent and an ETA from the measured rate. Pure: the caller passes the clock.
import { fmtBytes } from '../model/memory';
import type { ModelDownloadProgress } from '../worker/protocol';

/** "1:05:09", "3:07", "0:42"; "--" when unknown (no rate yet, or nothing known to remain). */
export function fmtEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** "12.0 MiB of 942.3 MiB (1%)", or "12.0 MiB" when the size is not known. */
export function fmtProgress(loaded: number, total: number | undefined): string {
  if (total === undefined || total <= 0) return fmtBytes(loaded);
  return `${fmtBytes(loaded)} of ${fmtBytes(total)} (${Math.floor((100 * Math.min(loaded, total)) / total)}%)`;
}

export interface FileProgress {
  file: string;
  loaded: number;
  total?: number;
  /** Read from the cache without a request. */
  cached: boolean;
  done: boolean;
  /** Seconds left at the current rate (NaN when unknown). */
  eta: number;
}

export interface DownloadSnapshot {
  repo: string;
  files: FileProgress[];
  /** Bytes held over the files seen so far, and their sizes (files of unknown size count what they hold). */
  loaded: number;
  total: number;
  /** True while a file of unknown size is downloading (the total can still grow). */
  totalUnknown: boolean;
  /** Bytes fetched over the network per second since the first byte (NaN before). */
  rate: number;
  eta: number;
}

/** Collects the progress events of one model download. */
export class DownloadTracker {
  private files = new Map<string, { p: ModelDownloadProgress; first: number }>();
  private t0: number | null = null;
  constructor(readonly repo: string) {}

  update(p: ModelDownloadProgress, now: number): void {
    const was = this.files.get(p.file);
    // bytes held before this session's first event of the file (a resumed partial download) are not counted in the rate
    this.files.set(p.file, { p, first: was?.first ?? p.loaded });
    if (!p.cached && this.t0 === null) this.t0 = now;
  }

  snapshot(now: number): DownloadSnapshot {
    let fetched = 0;
    let loaded = 0;
    let total = 0;
    let totalUnknown = false;
    for (const { p, first } of this.files.values()) {
      if (!p.cached) fetched += Math.max(0, p.loaded - first);
      loaded += p.loaded;
      total += p.total ?? p.loaded;
      if (p.total === undefined && !p.cached) totalUnknown = true;
    }
    const secs = this.t0 === null ? 0 : (now - this.t0) / 1000;
    const rate = secs > 0.2 && fetched > 0 ? fetched / secs : NaN;
    const left = (p: ModelDownloadProgress) => (p.total === undefined ? NaN : Math.max(0, p.total - p.loaded));
    const files = [...this.files.values()].map(({ p }) => {
      const done = p.cached || (p.total !== undefined && p.loaded >= p.total);
      return { file: p.file, loaded: p.loaded, total: p.total, cached: p.cached, done, eta: done ? 0 : left(p) / rate };
    });
    return { repo: this.repo, files, loaded, total, totalUnknown, rate, eta: totalUnknown ? NaN : Math.max(0, total - loaded) / rate };
  }
}

/** One line for a status bar: "Qwen/Qwen3-0.6B: 120.0 MiB of 1.40 GiB (8%), 12.0 MiB/s, ETA 1:49". */
export function describeDownload(s: DownloadSnapshot): string {
  const size = s.totalUnknown ? `${fmtBytes(s.loaded)} so far` : fmtProgress(s.loaded, s.total);
  const rate = Number.isFinite(s.rate) ? `, ${fmtBytes(s.rate)}/s` : '';
  const n = s.files.length;
  const done = s.files.filter((f) => f.done).length;
  return `${s.repo}: ${size} (${done} of ${n} files done)${rate}, ETA ${fmtEta(s.eta)}`;
}
