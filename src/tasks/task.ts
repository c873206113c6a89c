// The Task interface every problem source implements (procedural world, math datasets).
// InT needs: problems with a reference solution and gold answer, prompt renderers for each
// use, a step splitter, and a grader that says whether a final answer is right and why.

/** Which split a problem belongs to. Train and test never overlap. */
export type Split = 'train' | 'test';

export interface Problem {
  /** Stable id, unique within a task (e.g. "chains-train-00042", "imo-bench-algebra-001"). */
  id: string;
  /** The problem statement shown to the model. */
  statement: string;
  /** Reference solution (may be a terse sketch); empty string when the dataset has none. */
  reference: string;
  /** Gold final answer, as a string (LaTeX allowed for math). */
  answer: string;
  /** Difficulty tier name, e.g. "easy" | "medium" | "hard", or a dataset category. */
  difficulty: string;
  split: Split;
  /** Free-form extra fields (category, source, the generating program...). */
  meta?: Record<string, unknown>;
}

/** Result of grading one response against one problem. */
export interface Grade {
  correct: boolean;
  /** The final answer pulled out of the response, or null when none was found. */
  extracted: string | null;
  /** Short human-readable reason: "match", "no answer found", "mismatch: 12 vs 13", ... */
  reason: string;
}

/** The renderers produce the text a model is conditioned on for each use. */
export interface PromptRenderers {
  /** Plain solve prompt. */
  solve(p: Problem): string;
  /** Verify a failed attempt against the reference and propose one intervention.
   *  `steps` is the attempt split by `splitSteps`; they are numbered 1..n in the prompt. */
  verifyAndIntervene(p: Problem, steps: string[]): string;
  /** Solve with a partial reference solution (first `fraction` of its steps) as a hint. */
  hintSolve(p: Problem, fraction: number): string;
  /** Rewrite a failed attempt in full using the reference (self-reflection baseline). */
  selfReflect(p: Problem, steps: string[]): string;
}

/** A verifier that reads an attempt one step at a time: the caller feeds the header, then check
 *  line 1 + lineEnd; the model writes a verdict line; while the verdict passes the step, the
 *  caller feeds the next check line; the first verdict that does not pass goes on to the fix
 *  and the intervention block. The check of step K thus sits next to step K, and the verifier
 *  never sees later steps before judging earlier ones (see runStepwiseVerify in src/int). */
export interface StepwiseVerify {
  /** The prompt before any check line. */
  header(p: Problem): string;
  /** The check lines of an attempt, in order (without newline). */
  lines(p: Problem, steps: string[]): string[];
  /** What follows a check line before its verdict (e.g. " "). */
  lineEnd: string;
  /** Whether a verdict (the text written after a check line, up to its newline) passes the step. */
  passes(verdict: string): boolean;
}

export interface Task {
  /** Task name, e.g. "chains" or "math:imo-answerbench". */
  name: string;
  /** Problems of one split. */
  problems(split: Split): Problem[];
  /** Render styles: "compact" for character-level tiny models, "chat" for chat models. */
  prompts: PromptRenderers;
  /** Split a solution / attempt into steps (the unit interventions replace). */
  splitSteps(text: string): string[];
  /** Join steps back into a solution text (inverse of splitSteps for well-formed input). */
  joinSteps(steps: string[]): string;
  /** Grade a model response. May be async (symbolic equivalence runs with a time limit). */
  grade(response: string, p: Problem): Grade | Promise<Grade>;
  /** When present, verification uses this stepwise protocol instead of one verifyAndIntervene
   *  prompt (the compact chains format). */
  stepwiseVerify?: StepwiseVerify;
}
