// Shared helpers of the experiment tests: an Engine wrapper that answers compact verify prompts
// like a known verifier (sample 0 leaks the gold answer, sample 1 is the ideal log and
// intervention, later samples repeat sample 1), so a random-init model still feeds every
// downstream stage with real interventions; and small readers of the run folder.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine, GenRequest, Generation } from '../../src/int/engine';
import { formatInterventionBlock, type ChainsTask } from '../../src/tasks/chains';
import type { Problem, Task } from '../../src/tasks/task';

/** Prompts of the compact verifier end with this line. */
const VERIFY_MARK = '\nv:\n';

/** Parse the numbered attempt lines of a compact verify prompt ("K line r:V"). */
function promptSteps(prompt: string): string[] {
  const t = prompt.indexOf('\nt:\n');
  const body = prompt.slice(t + 4, prompt.length - VERIFY_MARK.length + 1);
  const lines = body.split('\n').filter(Boolean).map((l) => l.replace(/^\d+ /, '').replace(/ ?r:-?\d+$/, ''));
  while (lines.length && lines[lines.length - 1] === '') lines.pop(); // reference lines the attempt never reached
  return lines;
}

export function scriptedVerifier(engine: Engine, task: Task): Engine {
  const chains = task as ChainsTask;
  const byQuestion = new Map<string, Problem>();
  for (const p of [...task.problems('train'), ...task.problems('test')]) byQuestion.set(task.prompts.solve(p), p);
  const answer = (r: GenRequest, j: number): string | null => {
    if (!r.prompt.endsWith(VERIFY_MARK)) return null;
    const p = byQuestion.get(r.prompt.slice(0, r.prompt.indexOf('\n') + 1));
    if (!p) throw new Error(`scriptedVerifier: unknown problem in ${JSON.stringify(r.prompt.slice(0, 40))}`);
    const steps = promptSteps(r.prompt);
    const ideal = chains.compactVerification(p, steps);
    if (j !== 0) return ideal;
    const loc = chains.firstDivergentStep(steps, p) ?? 1;
    return `${loc} bad\n${formatInterventionBlock(`so the result is ${p.answer}`, loc)}`;
  };
  return {
    codec: engine.codec,
    maxPositions: engine.maxPositions,
    logprobs: (r, c) => engine.logprobs(r, c),
    async generate(reqs, opts) {
      const real = await engine.generate(reqs, opts);
      return real.map((gens, i): Generation[] =>
        gens.map((g, j) => {
          const text = answer(reqs[i], j);
          return text === null ? g : { text, finish: 'stop', tokens: text.length };
        }),
      );
    },
  };
}

export function readJson<T = any>(dir: string, file: string): T {
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;
}

export function readJsonl<T = any>(dir: string, file: string): T[] {
  return readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}
