// The critical tier of chains-critical runs split by the operand of the critical step (the habit's
// visible feature: times 2-3 are solved now and then, times 4-9 almost never): per arm pass@1 and
// the paired InT + RL - RL (and InT + RL - SFT on reference + RL) difference per operand group,
// for each run folder given and pooled over them (per problem averaged over the runs).
// Usage: npx tsx --import ./scripts/register-raw.mjs scripts/critical-by-operand.ts RUN_DIR [RUN_DIR ...]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IntConfig } from '../src/int/config';
import { bootstrapMean, type ProblemOutcome } from '../src/int/stats';
import { createChainsTask, programOf } from '../src/tasks/chains';

const ARMS = ['base', 'rl', 'sft_ref_rl', 'int_rl'] as const;
const GROUPS: [string, number, number][] = [['2-3', 2, 3], ['4-9', 4, 9]];
const dirs = process.argv.slice(2);
if (dirs.length === 0) throw new Error('give one or more run folders (each with run.json and stages/<arm>/eval.json)');

/** problem id -> operand of its critical step, for the critical tier of a run's chains config. */
function operands(config: IntConfig): Map<string, number> {
  const task = createChainsTask(config.data.chains);
  const tier = task.config.tiers.find((t) => t.critical);
  if (!tier) throw new Error('the run has no critical-step tier');
  const out = new Map<string, number>();
  for (const p of task.problems('test')) {
    if (p.difficulty !== tier.name) continue;
    const op = programOf(p).ops.find((o) => o.kind === tier.critical!.op);
    if (op) out.set(p.id, op.operand);
  }
  return out;
}

// per arm, per problem: pass rates of each run
const rates = new Map<string, Map<string, number[]>>();
let opOf = new Map<string, number>();
for (const dir of dirs) {
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { config: IntConfig };
  opOf = operands(run.config);
  for (const arm of ARMS) {
    const ev = JSON.parse(readFileSync(join(dir, 'stages', arm, 'eval.json'), 'utf8')) as { outcomes: ProblemOutcome[] };
    const m = rates.get(arm) ?? new Map<string, number[]>();
    for (const o of ev.outcomes) if (opOf.has(o.problemId)) m.set(o.problemId, [...(m.get(o.problemId) ?? []), o.c / o.n]);
    rates.set(arm, m);
  }
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const pct = (x: number) => (100 * x).toFixed(1);
const signed = (x: number) => (x >= 0 ? '+' : '') + (100 * x).toFixed(1);
console.log(`runs: ${dirs.join(', ')}`);
console.log('| operand | problems | ' + ARMS.join(' | ') + ' | InT + RL - RL [95%] | InT + RL - SFT-ref + RL [95%] |');
console.log('|---|---|' + ARMS.map(() => '---|').join('') + '---|---|');
for (const [name, lo, hi] of GROUPS) {
  const ids = [...opOf].filter(([, k]) => k >= lo && k <= hi).map(([id]) => id);
  const per = (arm: string) => ids.map((id) => mean(rates.get(arm)!.get(id)!));
  const diff = (a: string, b: string) => {
    const [x, y] = [per(a), per(b)];
    const d = bootstrapMean(x.map((v, i) => v - y[i]), { resamples: 2000, seed: 0 });
    return `${signed(d.estimate)} [${signed(d.lo)}, ${signed(d.hi)}]`;
  };
  console.log(`| ${name} | ${ids.length} | ${ARMS.map((a) => pct(mean(per(a)))).join(' | ')} | ${diff('int_rl', 'rl')} | ${diff('int_rl', 'sft_ref_rl')} |`);
}
