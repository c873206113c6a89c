// Diagnostics of the InT paper, as pure functions: (1) on never-solved problems, how many are
// solved at least once when continuing from the problem alone, the prefix, the prefix + original
// step, or the prefix + intervention (planned at equal samples per start); (2) location accuracy.

import { continuationStarts, type JoinSteps } from './splice';
import type { ProblemOutcome } from './stats';

/** Where continuations start (the completion text before sampling). */
export type StartCondition = 'problem_only' | 'prefix' | 'prefix_original' | 'prefix_intervention';

export const START_CONDITIONS: readonly StartCondition[] = Object.freeze(['problem_only', 'prefix', 'prefix_original', 'prefix_intervention']);

/** Continuations of one start (one attempt, or the bare problem) under one condition. */
export interface ContinuationRecord {
  problemId: string;
  /** The failed attempt the start was cut from (for problem_only: the intervention whose budget
   *  it matches; absent in records made before equal budgets). */
  attemptId?: string;
  /** The verifier sample of the intervention the start belongs to (absent in records made before
   *  it was recorded). */
  sample?: number;
  condition: StartCondition;
  samples: number;
  correct: number;
}

/** A kept intervention of a never-solved problem, with the steps of its attempt. */
export interface KeptStart {
  problemId: string;
  attemptId: string;
  /** Its verifier sample (carried into the planned starts). */
  sample?: number;
  location: number;
  content: string;
  steps: readonly string[];
}

/** One start to sample continuations from: the completion text after the solve prompt. */
export interface PlannedStart {
  problemId: string;
  /** The kept intervention the start belongs to (problem_only starts too: one per intervention). */
  attemptId: string;
  sample?: number;
  condition: StartCondition;
  prefix: string;
  samples: number;
}

/** The diagnostic starts at equal budgets: for every kept intervention, one start per condition
 *  (problem only, prefix, prefix + original step, prefix + intervention), each with
 *  `samplesPerStart` continuations. So every condition gets the same samples per start and per
 *  problem (a problem with m kept interventions gets m problem-only starts), and "solved at least
 *  once" compares like with like. */
export function planContinuationStarts(kept: readonly KeptStart[], join: JoinSteps, samplesPerStart: number): PlannedStart[] {
  if (!Number.isSafeInteger(samplesPerStart) || samplesPerStart < 1) throw new Error(`planContinuationStarts: samplesPerStart must be an integer >= 1, got ${samplesPerStart}`);
  const out: PlannedStart[] = [];
  for (const k of kept) {
    const st = continuationStarts(join, k.steps, k.location, k.content);
    const prefixes: Record<StartCondition, string> = { problem_only: st.problemOnly, prefix: st.prefix, prefix_original: st.prefixOriginal, prefix_intervention: st.prefixIntervention };
    for (const condition of START_CONDITIONS) {
      out.push({ problemId: k.problemId, attemptId: k.attemptId, ...(k.sample === undefined ? {} : { sample: k.sample }), condition, prefix: prefixes[condition], samples: samplesPerStart });
    }
  }
  return out;
}

export interface ConditionRow {
  condition: StartCondition;
  /** Records (starts) under this condition. */
  starts: number;
  /** Never-solved problems with at least one record under this condition. */
  problems: number;
  /** Of those, problems with at least one correct continuation (the paper's headline count). */
  solved: number;
  samples: number;
  correct: number;
  /** correct / samples (NaN with no samples). */
  sampleAccuracy: number;
}

export interface ContinuationTable {
  /** Size of the never-solved set the table is about. */
  neverSolved: number;
  rows: Record<StartCondition, ConditionRow>;
  /** Records of problems outside the never-solved set (not counted). */
  ignored: number;
}

/** Ids of problems with at most `maxCorrect` correct samples (default 0: never solved). */
export function neverSolvedProblems(outcomes: readonly ProblemOutcome[], maxCorrect = 0): string[] {
  return outcomes.filter((o) => o.c <= maxCorrect).map((o) => o.problemId);
}

function checkRecord(r: ContinuationRecord, i: number): void {
  if (!START_CONDITIONS.includes(r.condition)) {
    throw new Error(`continuation record ${i}: condition ${JSON.stringify(r.condition)} is not one of ${START_CONDITIONS.join(', ')}`);
  }
  if (!Number.isSafeInteger(r.samples) || r.samples < 0 || !Number.isSafeInteger(r.correct) || r.correct < 0 || r.correct > r.samples) {
    throw new Error(`continuation record ${i} (problem "${r.problemId}"): need integers 0 <= correct <= samples, got correct ${r.correct}, samples ${r.samples}`);
  }
}

/** The first diagnostic table. `neverSolved` is the set of problems the base model never
 *  solved; records of other problems are ignored (and counted). Without it, every problem that
 *  has a record is in the set. */
export function continuationTable(records: readonly ContinuationRecord[], neverSolved?: Iterable<string>): ContinuationTable {
  records.forEach(checkRecord);
  const set = new Set(neverSolved ?? records.map((r) => r.problemId));
  const seen = new Map<StartCondition, Set<string>>();
  const solved = new Map<StartCondition, Set<string>>();
  const rows = {} as Record<StartCondition, ConditionRow>;
  for (const c of START_CONDITIONS) {
    rows[c] = { condition: c, starts: 0, problems: 0, solved: 0, samples: 0, correct: 0, sampleAccuracy: NaN };
    seen.set(c, new Set());
    solved.set(c, new Set());
  }
  let ignored = 0;
  for (const r of records) {
    if (!set.has(r.problemId)) {
      ignored++;
      continue;
    }
    const row = rows[r.condition];
    row.starts++;
    row.samples += r.samples;
    row.correct += r.correct;
    seen.get(r.condition)!.add(r.problemId);
    if (r.correct > 0) solved.get(r.condition)!.add(r.problemId);
  }
  for (const c of START_CONDITIONS) {
    const row = rows[c];
    row.problems = seen.get(c)!.size;
    row.solved = solved.get(c)!.size;
    row.sampleAccuracy = row.samples > 0 ? row.correct / row.samples : NaN;
  }
  return { neverSolved: set.size, rows, ignored };
}

/** One start condition in results.json's diagnostics.continuation. */
export interface ContinuationSummaryRow {
  problems: number;
  solved: number;
  correct: number;
  samples: number;
  starts: number;
}

/** results.json's diagnostics.continuation: per start condition { problems, solved, correct,
 *  samples, starts } (a table stored before `starts` was counted reads 0 there). */
export function continuationSummary(t: ContinuationTable): Record<StartCondition, ContinuationSummaryRow> {
  const out = {} as Record<StartCondition, ContinuationSummaryRow>;
  for (const c of START_CONDITIONS) {
    const r = t.rows[c];
    out[c] = { problems: r.problems, solved: r.solved, correct: r.correct, samples: r.samples, starts: r.starts ?? 0 };
  }
  return out;
}

// ---------------------------------------------------------------- location accuracy

/** One proposed intervention against the ground truth. */
export interface LocationRecord {
  attemptId: string;
  problemId: string;
  tier?: string;
  /** Proposed location (null when the output did not parse). */
  proposed: number | null;
  /** True first divergent step (null when the attempt has none, i.e. it is correct). */
  truth: number | null;
}

export interface LocationCounts {
  total: number;
  /** Records with a proposed location. */
  proposed: number;
  /** Records with both a proposal and a true location (the denominator of `accuracy`). */
  scored: number;
  exact: number;
  /** Proposed before the true first error (allowed by the prompt: "no later than"). */
  early: number;
  /** Proposed after it (the intervention keeps the error in its prefix). */
  late: number;
  /** exact / scored (NaN when nothing is scored). */
  accuracy: number;
  /** (exact + early) / scored: the proposal is not after the first error. */
  notLate: number;
  /** Histogram of proposed - truth over scored records, keyed "-2", "0", "1", ... */
  offsets: Record<string, number>;
}

export interface LocationAccuracy extends LocationCounts {
  /** Per tier (records without a tier under "unknown"). */
  byTier: Record<string, LocationCounts>;
}

function locationCounts(records: readonly LocationRecord[]): LocationCounts {
  const c: LocationCounts = { total: records.length, proposed: 0, scored: 0, exact: 0, early: 0, late: 0, accuracy: NaN, notLate: NaN, offsets: {} };
  for (const r of records) {
    if (r.proposed !== null) c.proposed++;
    if (r.proposed === null || r.truth === null) continue;
    c.scored++;
    const d = r.proposed - r.truth;
    if (d === 0) c.exact++;
    else if (d < 0) c.early++;
    else c.late++;
    c.offsets[String(d)] = (c.offsets[String(d)] ?? 0) + 1;
  }
  if (c.scored > 0) {
    c.accuracy = c.exact / c.scored;
    c.notLate = (c.exact + c.early) / c.scored;
  }
  return c;
}

/** Location accuracy overall and per tier. */
export function locationAccuracy(records: readonly LocationRecord[]): LocationAccuracy {
  for (const [i, r] of records.entries()) {
    for (const [k, v] of [['proposed', r.proposed], ['truth', r.truth]] as const) {
      if (v !== null && (!Number.isSafeInteger(v) || v < 1)) throw new Error(`location record ${i} (attempt "${r.attemptId}"): ${k} must be null or an integer >= 1, got ${v}`);
    }
  }
  const tiers: Record<string, LocationRecord[]> = {};
  for (const r of records) (tiers[r.tier ?? 'unknown'] ??= []).push(r);
  const byTier: Record<string, LocationCounts> = {};
  for (const [t, rs] of Object.entries(tiers)) byTier[t] = locationCounts(rs);
  return { ...locationCounts(records), byTier };
}
