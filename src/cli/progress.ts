// Terminal progress for headless runs: one bar per stage with rate and ETA on a TTY (redrawn in
// place on stderr), plain timestamped lines when stderr is not a terminal (logs, CI). The reporter
// interface and the silent reporter live in src/util/progress.ts.

import type { ProgressReporter } from '../util/progress';

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

export interface TerminalProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Force bars (true) or plain lines (false). Default: stream.isTTY. */
  tty?: boolean;
  /** Plain mode: least seconds between two lines of one stage. Default 5. */
  lineEverySec?: number;
}

/** A reporter writing to stderr. */
export function terminalProgress(opts: TerminalProgressOptions = {}): ProgressReporter {
  const out = opts.stream ?? process.stderr;
  const tty = opts.tty ?? !!out.isTTY;
  const every = opts.lineEverySec ?? 5;
  return {
    note(text) {
      out.write(`${text}\n`);
    },
    start(stage) {
      const t0 = performance.now();
      let lastLine = -Infinity;
      let last = { done: 0, total: 0 };
      const line = (done: number, total: number) => {
        const el = (performance.now() - t0) / 1000;
        const frac = total > 0 ? Math.min(1, done / total) : 0;
        const eta = done > 0 ? (el / done) * (total - done) : NaN;
        return { el, frac, eta };
      };
      return {
        update(done, total) {
          last = { done, total };
          const { el, frac, eta } = line(done, total);
          if (tty) {
            const w = 24;
            const bar = '#'.repeat(Math.round(frac * w)).padEnd(w, '.');
            out.write(`\r${stage.padEnd(22)} [${bar}] ${done}/${total} ${fmtTime(el)} eta ${fmtTime(eta)}   `);
          } else if (el - lastLine >= every || done === total) {
            lastLine = el;
            out.write(`[${stage}] ${done}/${total} (${Math.round(frac * 100)}%) elapsed ${fmtTime(el)} eta ${fmtTime(eta)}\n`);
          }
        },
        finish(note) {
          const el = (performance.now() - t0) / 1000;
          const msg = `${stage.padEnd(22)} done in ${fmtTime(el)}${note ? ` (${note})` : ''}`;
          out.write(tty ? `\r${msg.padEnd(80)}\n` : `[${stage}] ${msg.trim().slice(stage.length).trim()}\n`);
          void last;
        },
      };
    },
  };
}
