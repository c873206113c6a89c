// Calibration of the critical-step tier from the model alone, before any training run: how often
// it solves critical problems (pass@1, pass@16, the share never solved in 16: the InT pool), how
// often it writes the habit's wrong value at the critical step from the true prefix, and how often
// it finishes from the true prefix + the correct critical step (the oracle continuation InT's
// interventions aim at), overall and by the habit's operand ranges. Part of `npm run model-report`.

import type { TextCodec } from '../model/codec';
import type { Decoder } from '../model/decoder';
import { sampleTextsOnly, strideSeeds } from '../model/sample-texts';
import { PAPER_SAMPLING, type Sampling } from '../model/sampling';
import { createChainsTask, gradeChains, solutionSteps, type ChainsConfigInput } from '../tasks/chains';
import { applyOp, programOf, runProgram } from '../tasks/chains/program';
import type { HabitSpec } from '../tasks/chains/habit';
import type { Problem } from '../tasks/task';

export interface CriticalReportOptions {
  /** World config; its tier with a `critical` step is measured. */
  chains: ChainsConfigInput;
  /** The habit the model was pretrained with (its rule names the wrong value; its ranges group
   *  the figures). Null: no habit figures. */
  habit: HabitSpec | null;
  /** Held-out critical problems (the first N of the test split). Default 64. */
  problems: number;
  /** Samples per problem for solving and per start for continuations. Default 16. */
  samples: number;
  /** Sampling: the paper's evaluation sampling (what an experiment's eval and pool use). */
  sampling: Sampling;
  maxNewTokens: number;
  batchPrompts: number;
  seed: number;
}

export const CRITICAL_REPORT_DEFAULTS: Readonly<Omit<CriticalReportOptions, 'chains' | 'habit'>> = Object.freeze({
  problems: 64,
  samples: 16,
  sampling: { ...PAPER_SAMPLING },
  maxNewTokens: 120,
  batchPrompts: 24,
  seed: 0,
});

/** Figures of one group of critical problems. */
export interface CriticalGroup {
  problems: number;
  /** Mean over problems of the solve success rate. */
  pass1: number;
  /** Share of problems solved at least once in `samples`. */
  passK: number;
  /** Share of problems never solved in `samples` (the InT pool's rule at this budget). */
  neverSolved: number;
  /** Share of continuations from the true prefix that write the habit's value at the critical step. */
  habitRate: number | null;
  /** Share of continuations from the true prefix alone that reach the right answer. */
  fromPrefix: number;
  /** Share of continuations from the true prefix + the correct critical step that reach the right answer. */
  oracle: number;
}

export interface CriticalReport {
  tier: string;
  samples: number;
  sampling: Sampling;
  overall: CriticalGroup;
  /** Per habit strength range, keyed "lo-hi". */
  byOperand: Record<string, CriticalGroup>;
}

interface Row {
  problem: Problem;
  operand: number;
  solved: number;
  habit: number;
  fromPrefix: number;
  oracle: number;
}

/** 1-based position of the tier's critical step in a problem (the step of the critical op). */
function criticalStep(p: Problem, op: string): number {
  const k = programOf(p).ops.findIndex((o) => o.kind === op);
  if (k < 0) throw new Error(`critical report: problem ${p.id} has no ${op} step; is its tier a critical-step tier?`);
  return k + 1;
}

const lines = (xs: readonly string[]) => xs.map((s) => `${s}\n`).join('');

function group(rows: readonly Row[], n: number, habit: boolean): CriticalGroup {
  const m = rows.length || 1;
  const mean = (f: (r: Row) => number) => rows.reduce((a, r) => a + f(r), 0) / m;
  return {
    problems: rows.length,
    pass1: mean((r) => r.solved / n),
    passK: mean((r) => (r.solved > 0 ? 1 : 0)),
    neverSolved: mean((r) => (r.solved === 0 ? 1 : 0)),
    habitRate: habit ? mean((r) => r.habit / n) : null,
    fromPrefix: mean((r) => r.fromPrefix / n),
    oracle: mean((r) => r.oracle / n),
  };
}

/** Measure the critical tier (see the file header). */
export async function criticalReport(model: Decoder, codec: TextCodec, opts: Pick<CriticalReportOptions, 'chains' | 'habit'> & Partial<CriticalReportOptions>): Promise<CriticalReport> {
  const o: CriticalReportOptions = { ...CRITICAL_REPORT_DEFAULTS, ...opts };
  const task = createChainsTask(o.chains);
  const tier = task.config.tiers.find((t) => t.critical);
  if (!tier) throw new Error('critical report: the chains config has no critical-step tier (a tier with `critical`); use CRITICAL_LADDER');
  const op = tier.critical!.op;
  const problems = task.problems('test').filter((p) => p.difficulty === tier.name).slice(0, o.problems);
  const sample = (prompts: string[], seed: number) =>
    sampleTextsOnly(model, codec, prompts, { groupSize: o.samples, maxNewTokens: o.maxNewTokens, sampling: o.sampling, batchPrompts: o.batchPrompts, order: 'by-length', seedOf: strideSeeds(seed) });
  const R = task.renderers.compact;
  const solves = await sample(problems.map((p) => R.solve(p)), o.seed);
  const steps = problems.map((p) => solutionSteps(p, 'compact'));
  const at = problems.map((p) => criticalStep(p, op));
  const prefixOnly = await sample(problems.map((p, i) => R.solve(p) + lines(steps[i].slice(0, at[i] - 1))), o.seed + 1);
  const oracle = await sample(problems.map((p, i) => R.solve(p) + lines(steps[i].slice(0, at[i]))), o.seed + 2);
  const rows: Row[] = problems.map((p, i) => {
    const prog = programOf(p);
    const k = at[i];
    const prev = k === 1 ? prog.start : runProgram(prog)[k - 2];
    const operand = prog.ops[k - 1].operand;
    const habitValue = o.habit ? applyOp(prev, { kind: o.habit.rule, operand }) : null;
    const count = (xs: string[], f: (t: string) => boolean) => xs.filter(f).length;
    const right = (t: string) => gradeChains(t, p).correct;
    const wroteHabit = (t: string) => habitValue !== null && new RegExp(`^\\s*${prev}\\D+${operand}=${habitValue}\\s*$`).test(t.split('\n')[0] ?? '');
    return { problem: p, operand, solved: count(solves[i], right), habit: count(prefixOnly[i], wroteHabit), fromPrefix: count(prefixOnly[i], right), oracle: count(oracle[i], right) };
  });
  const byOperand: Record<string, CriticalGroup> = {};
  for (const [lo, hi] of o.habit?.strength ?? []) byOperand[`${lo}-${hi}`] = group(rows.filter((r) => r.operand >= lo && r.operand <= hi), o.samples, true);
  return { tier: tier.name, samples: o.samples, sampling: o.sampling, overall: group(rows, o.samples, !!o.habit), byOperand };
}

/** Report lines for the terminal and the card. */
export function formatCriticalReport(r: CriticalReport): string[] {
  const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));
  const row = (name: string, g: CriticalGroup) =>
    `  ${name}: ${g.problems} problems, pass@1 ${f(g.pass1)}, pass@${r.samples} ${f(g.passK)}, never solved ${f(g.neverSolved)}, habit at the critical step ${f(g.habitRate)}, from the true prefix ${f(g.fromPrefix)}, from prefix + correct critical step (oracle) ${f(g.oracle)}`;
  return [
    `critical tier "${r.tier}" (${r.samples} samples per problem and per start, temperature ${r.sampling.temperature}, top-p ${r.sampling.topP}, top-k ${r.sampling.topK}):`,
    row('all', r.overall),
    ...Object.entries(r.byOperand).map(([k, g]) => row(`operand ${k}`, g)),
  ];
}
