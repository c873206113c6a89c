// Where does RL's gain on the habit's never-solved problems come from? The chains-critical preset's
// base and RL arms, with RL trained on critical problems of one operand group only and evaluated on
// the full critical test tier (times 2-9). Trained on times 2-3 only, a gain on times 4-9 is
// transfer of the habit's one shared fix; trained on times 4-9 only, it is RL learning from its own
// rare successes there (sampling at temperature 1 leaks the right product now and then).
// Usage: npx tsx --import ./scripts/register-raw.mjs scripts/critical-transfer.ts --train 2-3|4-9 --seed N --out DIR
// Prints pass@1 of base and RL per operand group of the test tier with the paired RL - base difference.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { presetConfig } from '../src/int/config';
import { runExperiment } from '../src/int/experiment';
import { bootstrapMean, type ProblemOutcome } from '../src/int/stats';
import { CRITICAL_LADDER, createChainsTask, programOf } from '../src/tasks/chains';

function arg(name: string): string {
  const i = process.argv.indexOf(name);
  if (i < 0 || !process.argv[i + 1]) throw new Error(`give ${name} (usage: --train 2-3|4-9 --seed N --out DIR)`);
  return process.argv[i + 1];
}
const train = arg('--train');
if (train !== '2-3' && train !== '4-9') throw new Error(`--train must be 2-3 or 4-9, got ${train}`);
const [lo, hi] = train.split('-').map(Number);
const seed = Number(arg('--seed'));
const out = arg('--out');

const critical = CRITICAL_LADDER.find((t) => t.critical)!;
const tiers = [...CRITICAL_LADDER, { ...critical, name: 'criticaltrain', critical: { ...critical.critical!, operands: [lo, hi] as [number, number] } }];
const config = presetConfig('chains-critical', {
  seed,
  data: {
    chains: {
      tiers,
      counts: { easy: { train: 0, test: 16 }, medium: { train: 0, test: 16 }, hard: { train: 0, test: 0 }, critical: { train: 0, test: 64 }, criticaltrain: { train: 192, test: 0 } },
    },
  },
  continuation: { enabled: false },
});
const started = Date.now();
await runExperiment({ out, config, preset: 'chains-critical', arms: ['base', 'rl'], progress: undefined });
const minutes = (Date.now() - started) / 60000;

const task = createChainsTask(config.data.chains);
const opOf = new Map<string, number>();
for (const p of task.problems('test')) {
  if (p.difficulty !== 'critical') continue;
  const op = programOf(p).ops.find((o) => o.kind === critical.critical!.op);
  if (op) opOf.set(p.id, op.operand);
}
const rate = (arm: string) => {
  const ev = JSON.parse(readFileSync(join(out, 'stages', arm, 'eval.json'), 'utf8')) as { outcomes: ProblemOutcome[] };
  return new Map(ev.outcomes.map((o) => [o.problemId, o.c / o.n]));
};
const [base, rl] = [rate('base'), rate('rl')];
const pct = (x: number) => (100 * x).toFixed(1);
const signed = (x: number) => (x >= 0 ? '+' : '') + (100 * x).toFixed(1);
console.log(`RL trained on critical problems times ${train} only; seed ${seed}; ${minutes.toFixed(1)} min`);
console.log('| test operand | problems | base | RL | RL - base [95%] |');
console.log('|---|---|---|---|---|');
for (const [name, a, b] of [['2-3', 2, 3], ['4-9', 4, 9]] as const) {
  const ids = [...opOf].filter(([, k]) => k >= a && k <= b).map(([id]) => id);
  const x = ids.map((id) => base.get(id)!);
  const y = ids.map((id) => rl.get(id)!);
  const d = bootstrapMean(y.map((v, i) => v - x[i]), { resamples: 2000, seed: 0 });
  const mean = (v: number[]) => v.reduce((s, t) => s + t, 0) / v.length;
  console.log(`| ${name} | ${ids.length} | ${pct(mean(x))} | ${pct(mean(y))} | ${signed(d.estimate)} [${signed(d.lo)}, ${signed(d.hi)}] |`);
}
