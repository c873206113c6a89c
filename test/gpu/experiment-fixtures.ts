// Shared helpers of the experiment tests: an Engine wrapper that answers the compact stepwise
// verifier like a known verifier (right "ok" verdicts; at the first wrong line sample 0 leaks the
// gold answer, later samples write the ideal verdict and intervention), so a random-init model still feeds every
// downstream stage with real interventions; and small readers of the run folder.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine, GenRequest, Generation } from '../../src/int/engine';
import { formatInterventionBlock } from '../../src/tasks/chains';
import type { Problem, Task } from '../../src/tasks/task';
import { checkedLines, idealVerdict } from '../shared/compact-log';

/** The compact verifier's header ends with this line; the check lines come as the prefix. */
const VERIFY_MARK = '\nv:\n';

export function scriptedVerifier(engine: Engine, task: Task): Engine {
  const byQuestion = new Map<string, Problem>();
  for (const p of [...task.problems('train'), ...task.problems('test')]) byQuestion.set(task.prompts.solve(p), p);
  const answer = (r: GenRequest, j: number): string | null => {
    if (!r.prompt.endsWith(VERIFY_MARK) || !r.prefix) return null;
    const p = byQuestion.get(r.prompt.slice(0, r.prompt.indexOf('\n') + 1));
    if (!p) throw new Error(`scriptedVerifier: unknown problem in ${JSON.stringify(r.prompt.slice(0, 40))}`);
    const ideal = idealVerdict(p, r.prefix);
    if (ideal === 'ok\n' || j !== 0) return ideal;
    return `bad\n${formatInterventionBlock(`so the result is ${p.answer}`, checkedLines(r.prefix).length)}`;
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
