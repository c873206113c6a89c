// The experiment of the kill -9 fault test (experiment-kill.test.ts), run in a child process:
// `tsx test/gpu/experiment-child.ts OUT [--resume]`. A tiny chains-smoke run (random-init model,
// two arms, the scripted verifier so that SFT and its checkpoint have rows); prints "done" at the end.
import { join } from 'node:path';
import { presetConfig } from '../../src/int/config';
import { runExperiment } from '../../src/int/experiment';
import { scriptedVerifier } from './experiment-fixtures';

/** The run's config, shared with the test's uninterrupted reference run. */
export const KILL_CONFIG = presetConfig('chains-smoke', {
  seed: 5,
  data: { maxTrainProblems: 3, maxTestProblems: 2 },
  rollouts: { k: 2 },
  propose: { maxAttempts: 3 },
  rl: { steps: 1 },
  eval: { samples: 2, ks: [1, 2] },
});
export const KILL_ARMS = ['base', 'int_rl'] as const;
/** A root without the embedded model: the seeded random-init stand-in. */
export const KILL_ROOT = join(new URL('.', import.meta.url).pathname, 'no-such-root');

async function main(): Promise<void> {
  const [out, flag] = process.argv.slice(2);
  if (!out) throw new Error('usage: tsx test/gpu/experiment-child.ts OUT [--resume]');
  const common = { out, root: KILL_ROOT, wrapEngine: scriptedVerifier };
  const run = flag === '--resume' ? await runExperiment({ ...common, resume: true }) : await runExperiment({ ...common, config: KILL_CONFIG, preset: 'chains-smoke', arms: [...KILL_ARMS] });
  console.log(`done ran=${run.ran.join(',')} skipped=${run.skipped.join(',')}`);
}

if (process.argv[1]?.endsWith('experiment-child.ts')) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : String(e));
      process.exit(1);
    },
  );
}
