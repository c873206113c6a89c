// The failed attempts of a CLI run folder, for the app's "Intervene yourself" view: every failed
// rollout (one per problem and text) with its steps, the grader's reason, the model's own intervention (kept by the filter, else
// its first parsed proposal with the filter's verdict) and the continuation check of a kept one.
// Written next to the published results.json (whose config rebuilds the task and grades).
// Usage: npx tsx --import ./scripts/register-raw.mjs scripts/published-attempts.ts RUN_DIR [OUT_JSON]
//   default OUT_JSON: public/results/chains-critical-strict/attempts.json
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContinuationCheck, Attempt, Proposal } from '../src/int/stages';
import type { FilterResult } from '../src/int/filter';
import { distinctAttempts, failedAttemptsOf } from '../src/worker/intervene-plan';

const [dir, out = 'public/results/chains-critical-strict/attempts.json'] = process.argv.slice(2);
if (!dir) throw new Error('give a run folder (with run.json and stages/rollouts.json, propose.json, filter.json, continuations.json)');
const read = <T>(name: string): T => JSON.parse(readFileSync(join(dir, 'stages', name), 'utf8')) as T;
const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { preset: string | null; config: { seed: number } };
const checked = read<ContinuationCheck>('continuations.json');
const all = failedAttemptsOf({
  attempts: read<Attempt[]>('rollouts.json'),
  proposals: read<Proposal[]>('propose.json'),
  filtered: read<FilterResult>('filter.json'),
  checks: checked.outcomes,
});
const attempts = distinctAttempts(all);
const file = {
  format: 'int-lab-failed-attempts',
  version: 1,
  about: `failed rollouts of the ${run.preset ?? 'custom'} run, seed ${run.config.seed} (the results.json beside this file), from its stages rollouts, propose, filter and continuations; one per problem and text (copies: how many rollouts wrote it)`,
  attempts,
};
writeFileSync(out, JSON.stringify(file) + '\n');
console.log(`${all.length} failed attempts, ${attempts.length} distinct (${attempts.filter((a) => a.intervention?.status === 'kept').length} with a kept intervention) -> ${out}`);
