// Messages between the page and the engine worker: model choice, dataset upload, run events and
// the finished run record (what the UI shows, persists and exports).
import type { IntConfig } from '../../int/config';
import type { ExperimentResults } from '../../int/report';
import type { Attempt, Proposal } from '../../int/stages';
import type { FilterResult } from '../../int/filter';
import type { RowError, ImportStats } from '../../io/datasets/import';
import type { StepMetrics } from '../../train/metrics';

/** Where the base model comes from. */
export type ModelChoice =
  | { kind: 'embedded'; url: string }
  | { kind: 'hub'; id: string }
  | { kind: 'folder'; files: File[] };

/** An uploaded math dataset (file bytes, parsed in the worker). */
export interface DatasetUpload {
  name: string;
  bytes: Uint8Array;
}

export interface DatasetCheck {
  problems: number;
  train: number;
  test: number;
  errors: RowError[];
  warnings: RowError[];
  stats: ImportStats | null;
  /** File-level failure (unknown format, no usable column...). */
  fatal: string | null;
}

/** Callbacks the page passes through Comlink.proxy. */
export interface RunEvents {
  note(text: string): void;
  stage(name: string, done: number, total: number): void;
  stageDone(name: string, seconds: number): void;
  metric(arm: string, stage: 'sft' | 'rl', m: StepMetrics): void;
  /** An arm finished its held-out evaluation: pass@1 estimate and 95% interval. */
  armDone(arm: string, pass1: { estimate: number; lo: number; hi: number } | null): void;
}

/** A finished run, as stored in IndexedDB and exported as run JSON. */
export interface RunRecord {
  format: 'int-lab-run';
  version: 1;
  id: string;
  created: string;
  preset: string | null;
  config: IntConfig;
  results: ExperimentResults;
  attempts: Attempt[];
  proposals: Proposal[];
  filtered: FilterResult;
  /** Steps per attempt (the task's splitter), keyed by attempt id. */
  steps: Record<string, string[]>;
  seconds: Record<string, number>;
  files: { md: string; csv: string; jsonl: string };
}
