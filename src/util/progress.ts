// Progress reporting for long runs: the reporter interface the pipeline calls and a silent reporter.
// Printers live with their front end (the terminal one in src/cli/progress.ts). Imports nothing.

export interface StageProgress {
  update(done: number, total: number): void;
  finish(note?: string): void;
}

export interface ProgressReporter {
  start(stage: string): StageProgress;
  /** A one-off line (resumed stages, notes). */
  note(text: string): void;
}

/** A reporter that prints nothing (tests, library use). */
export const silentProgress: ProgressReporter = {
  note() {},
  start() {
    return { update() {}, finish() {} };
  },
};
