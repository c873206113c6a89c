// Intervene yourself, the sampling: N continuations from each start of a failed attempt (the prefix
// alone, the prefix + the student's step, the prefix + the model's intervention) through the same
// Engine.generate and the pipeline's continuation sampling (config.continuation.sampling), graded
// with the task's grader on prefix + continuation, as the continuation check (int/stages.ts) does.
import type { Engine } from '../int/engine';
import { leakCheckFor } from '../int/filter';
import { referenceCompletion, stageSeed } from '../int/stages';
import type { Problem, Task } from '../tasks/task';
import { planContinueStarts, unknownCharacters } from './intervene-plan';
import type { AttemptProblem, ContinueEvents, ContinueRequest, ContinueResult, ContinueStart } from './protocol';

/** The problem `problemId` of a task (train or test split); throws naming the task when it is not there. */
export function findProblem(task: Task, problemId: string): Problem {
  for (const split of ['train', 'test'] as const) {
    const p = task.problems(split).find((x) => x.id === problemId);
    if (p) return p;
  }
  const n = task.problems('train').length + task.problems('test').length;
  throw new Error(
    `problem "${problemId}" is not in the task "${task.name}" built from this run's config (${n} problems): the attempt comes from another task or config; ` +
      'open it with the run it belongs to (and, for an uploaded dataset, upload that dataset again)',
  );
}

/** What the page shows of a problem. */
export function describeProblem(task: Task, p: Problem): AttemptProblem {
  return { id: p.id, tier: p.difficulty, statement: p.statement, reference: referenceCompletion(task, p), answer: p.answer, prompt: task.prompts.solve(p) };
}

/** Refuse a problem or step the model cannot read (a character model's alphabet lacks some of its
 *  characters: they would become <|unk|> and the continuations would mean nothing). */
function checkReadable(engine: Engine, label: string, prompt: string, step: string): void {
  if (engine.codec.kind !== 'char') return;
  const roundTrip = (s: string) => engine.codec.decode(engine.codec.completionIds(s, false));
  const inPrompt = unknownCharacters(prompt, roundTrip);
  if (inPrompt.length > 0) {
    throw new Error(
      `the loaded model (${label}) cannot read this problem: ${inPrompt.map((c) => JSON.stringify(c)).join(' ')} are outside its alphabet, so it cannot be graded on it; ` +
        'this attempt comes from a task the model was not made for: open it with the run that made it and its own model',
    );
  }
  const inStep = unknownCharacters(step, roundTrip);
  if (inStep.length > 0) {
    throw new Error(`your step has characters the model (${label}) does not know: ${inStep.map((c) => JSON.stringify(c)).join(' ')}; write it with the attempt's own symbols (e.g. * for times)`);
  }
}

export interface ContinueOptions {
  engine: Engine;
  /** What loaded the engine's model (its label, for messages and the result). */
  label: string;
  task: Task;
  req: ContinueRequest;
  events?: Partial<ContinueEvents>;
  /** Called before each start and after each batch; throws to cancel. */
  check?: () => void;
}

/** Sample and grade the continuations of every start of `req` (see the file header). */
export async function continueFromAttempt(o: ContinueOptions): Promise<ContinueResult> {
  const t0 = performance.now();
  const { engine, task, req } = o;
  const starts = planContinueStarts((s) => task.joinSteps(s), req);
  const p = findProblem(task, req.problemId);
  const problem = describeProblem(task, p);
  checkReadable(engine, o.label, problem.prompt + req.steps.join('\n'), req.step);
  const s = req.config.continuation.sampling;
  const sampling = { temperature: s.temperature, topP: s.topP, topK: s.topK, maxNewTokens: s.maxNewTokens };
  const verdict = await leakCheckFor(task)(req.step.trim(), p.answer);
  const out: ContinueStart[] = [];
  o.events?.progress?.(0, starts.length);
  for (const st of starts) {
    o.check?.();
    // Every start samples with the same seed (common random numbers): equal starts give equal continuations.
    const [gens] = await engine.generate([{ prompt: problem.prompt, prefix: st.text }], {
      n: req.n,
      ...sampling,
      seed: stageSeed(req.seed, 'intervene'),
      stop: [],
      onProgress: () => o.check?.(),
    });
    const continuations = [];
    for (const g of gens) {
      const grade = await task.grade(st.text + g.text, p);
      continuations.push({ text: g.text, correct: grade.correct, reason: grade.reason });
    }
    const done: ContinueStart = {
      kind: st.kind,
      steps: st.steps,
      location: st.location,
      step: st.step,
      samples: continuations.length,
      solved: continuations.filter((c) => c.correct).length,
      continuations,
    };
    out.push(done);
    o.events?.start?.(done);
    o.events?.progress?.(out.length, starts.length);
  }
  return { problem, model: o.label, sampling, seed: req.seed, starts: out, leak: verdict.leaks ? verdict.why : null, seconds: (performance.now() - t0) / 1000 };
}
