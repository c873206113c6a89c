// createMathTask: a math dataset (e.g. IMO-AnswerBench) as a Task: chat-style prompt renderers
// for solving, verify-and-intervene, hint-guided solving and self-reflection; blank-line step
// splitting; hash-based train/test split; grading through gradeAnswer (grade.ts).

import type { Grade, Problem, PromptRenderers, Split, Task } from '../task';
import { assignSplit } from './import-config';
import { gradeAnswer, type GradeOptions } from './grade';

export interface MathTaskOptions {
  /** Dataset name; the task is called "math:<name>". Default 'dataset'. */
  name?: string;
  /** Fraction of problems in the test split, chosen by a hash of the id, in [0, 1). Default 0.2. */
  testFraction?: number;
  /** Seed of the split hash. Default 0. */
  seed?: number;
  /** Keep each problem's own `split` instead of re-assigning by hash. Default false. */
  keepSplits?: boolean;
  /** Passed to gradeAnswer (time limit per comparison, size limits). Default {}: grade.ts defaults. */
  grade?: GradeOptions;
}

export type ResolvedMathTaskOptions = Required<MathTaskOptions>;

export interface MathTask extends Task {
  options: ResolvedMathTaskOptions;
  grade(response: string, p: Problem): Promise<Grade>;
  /** All problems, both splits, in input order. */
  all(): Problem[];
  /** The problem with this id, or undefined. */
  byId(id: string): Problem | undefined;
  /** The first reference steps shown by hintSolve(p, fraction). */
  hintSteps(p: Problem, fraction: number): string[];
}

/** Split a solution or attempt into steps on blank lines; empty steps are dropped, line ends
 *  normalised to "\n", trailing whitespace of each step removed. */
export function splitSteps(text: string): string[] {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((s) => s.replace(/^\n+/, '').replace(/\s+$/, ''))
    .filter((s) => s.trim() !== '');
}

/** Join steps with one blank line between them (inverse of splitSteps for well-formed text). */
export function joinSteps(steps: string[]): string {
  return steps.join('\n\n');
}

/** How many reference steps a hint with `fraction` shows: floor(fraction * n). */
export function hintCount(p: Problem, fraction: number): number {
  if (!(typeof fraction === 'number' && fraction >= 0 && fraction <= 1)) {
    throw new Error(`hint fraction must be a number in [0, 1], got ${fraction}; e.g. 0.5 shows the first half of the reference steps`);
  }
  return Math.floor(fraction * splitSteps(p.reference).length);
}

export function hintSteps(p: Problem, fraction: number): string[] {
  return splitSteps(p.reference).slice(0, hintCount(p, fraction));
}

const numbered = (steps: string[]) => steps.map((s, i) => `Step ${i + 1}:\n${s}`).join('\n\n');

/** The reference block: the worked solution, or only the final answer when there is none. */
function referenceBlock(p: Problem): string {
  return p.reference.trim()
    ? `Reference solution:\n${p.reference.trim()}`
    : `Reference solution: none is available for this problem. Its correct final answer is: ${p.answer}`;
}

const SOLVE_RULES =
  'Reason step by step. Put a blank line between consecutive steps, so that each step is one '
  + 'paragraph. When you are done, write the final answer inside \\boxed{}.';

/** Chat-style renderers (the text of one user turn). */
export const mathRenderers: PromptRenderers = {
  solve(p) {
    return `Solve the following math problem. ${SOLVE_RULES}\n\nProblem:\n${p.statement}`;
  },

  verifyAndIntervene(p, steps) {
    return [
      'Below are a math problem, a reference solution, and a student\'s attempt at the problem. '
      + 'The attempt ends with a wrong final answer. It is split into numbered steps.',
      `Problem:\n${p.statement}`,
      referenceBlock(p),
      `Student's attempt:\n\n${numbered(steps)}`,
      'Your task:\n'
      + '1. Verification log: go through the attempt one step at a time and compare it with the '
      + 'reference solution. For each step say whether it is correct and justify the verdict briefly.\n'
      + '2. First critical error: name the earliest step that contains a factual or logical mistake '
      + 'which the attempt never recovers from, and explain what is wrong with it.\n'
      + '3. Intervention: write one new step that replaces that step (or an earlier one) and puts '
      + 'the attempt back on a correct path. Write it in the student\'s own voice, as the next '
      + 'paragraph of their solution, continuing from the steps before it. It must not state or '
      + 'hint at the final answer; it should only fix the direction of the reasoning.\n'
      + 'Before you finish, check that the intervention does not contain the final answer and '
      + 'that its location is not after the first critical error.',
      'End your reply with exactly one block of this form, where N is the number of the step the '
      + 'intervention replaces (1 to ' + steps.length + '):\n'
      + '<intervention>{"content": "...", "location": N}</intervention>\n'
      + 'The content is a JSON string: escape double quotes and backslashes (write \\\\frac for '
      + '\\frac) and write line breaks as \\n.',
    ].join('\n\n');
  },

  hintSolve(p, fraction) {
    const hint = hintSteps(p, fraction);
    if (hint.length === 0) return mathRenderers.solve(p);
    return [
      `Solve the following math problem. ${SOLVE_RULES}`,
      `Problem:\n${p.statement}`,
      'Here is the beginning of a correct solution. Continue from where it stops, without '
      + `repeating it.\n\nPartial solution:\n${joinSteps(hint)}`,
    ].join('\n\n');
  },

  selfReflect(p, steps) {
    return [
      'Below are a math problem, a reference solution, and a student\'s attempt that ends with a '
      + 'wrong final answer.',
      `Problem:\n${p.statement}`,
      referenceBlock(p),
      `Student's attempt:\n\n${joinSteps(steps)}`,
      'Use the reference solution to find where the attempt goes wrong, then write the whole '
      + 'solution again from the start, in the student\'s own style: keep the parts that were '
      + `right and repair the rest. ${SOLVE_RULES}`,
    ].join('\n\n');
  },
};

function checkOptions(o: ResolvedMathTaskOptions): void {
  if (!(Number.isFinite(o.testFraction) && o.testFraction >= 0 && o.testFraction < 1)) {
    throw new Error(`testFraction must be a number in [0, 1); got ${o.testFraction}. Use e.g. 0.2 to hold out 20% of problems.`);
  }
  if (!Number.isInteger(o.seed)) throw new Error(`seed must be an integer; got ${o.seed}.`);
  if (!o.name) throw new Error('name must be a non-empty string, e.g. "imo-answerbench".');
}

/** Build a math Task over imported problems. Splits are re-assigned by a hash of the id
 *  (testFraction, seed) unless keepSplits is set. Throws when ids repeat. */
export function createMathTask(problems: readonly Problem[], options: MathTaskOptions = {}): MathTask {
  const opts: ResolvedMathTaskOptions = {
    name: options.name ?? 'dataset',
    testFraction: options.testFraction ?? 0.2,
    seed: options.seed ?? 0,
    keepSplits: options.keepSplits ?? false,
    grade: options.grade ?? {},
  };
  checkOptions(opts);
  const byId = new Map<string, Problem>();
  const all: Problem[] = [];
  const dupes: string[] = [];
  for (const p of problems) {
    if (byId.has(p.id)) {
      dupes.push(p.id);
      continue;
    }
    const split: Split = opts.keepSplits ? p.split : assignSplit(p.id, opts.testFraction, opts.seed);
    const q = { ...p, split };
    byId.set(p.id, q);
    all.push(q);
  }
  if (dupes.length) {
    throw new Error(`problem ids must be unique within a task; repeated: ${dupes.slice(0, 5).join(', ')}${dupes.length > 5 ? ', ...' : ''}. Import with duplicateIds: 'skip' or 'rename'.`);
  }
  const bySplit: Record<Split, Problem[]> = { train: all.filter((p) => p.split === 'train'), test: all.filter((p) => p.split === 'test') };
  return {
    name: `math:${opts.name}`,
    options: opts,
    prompts: mathRenderers,
    problems(split: Split): Problem[] {
      if (split !== 'train' && split !== 'test') throw new Error(`split must be "train" or "test", got ${JSON.stringify(split)}`);
      return [...bySplit[split]];
    },
    all: () => [...all],
    byId: (id) => byId.get(id),
    splitSteps,
    joinSteps,
    hintSteps,
    async grade(response: string, p: Problem): Promise<Grade> {
      const g = await gradeAnswer(response, p.answer, opts.grade);
      return { correct: g.correct, extracted: g.extracted, reason: g.reason };
    },
  };
}
