// `npm run experiment -- --preset NAME [--seed N] [--out DIR] [--arms a,b] [--resume DIR]
// [--stop-after STAGE] [--model PATH|HUB_ID] [--dataset PATH|HUB_ID]`: the headless InT experiment.

import { parseArgs } from 'node:util';
import { parseArms } from '../int/arms';
import { getPreset, presetConfig, presetNames, type IntConfigInput } from '../int/config';
import { runExperiment } from '../int/experiment';
import { terminalProgress } from './progress';

const USAGE = `usage: npm run experiment -- --preset NAME [--seed N] [--out DIR] [--arms a,b,...] [--stop-after STAGE] [--model PATH|HUB_ID] [--dataset PATH|HUB_ID]
       npm run experiment -- --resume DIR [--stop-after STAGE]
presets: ${presetNames().join(', ')}`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      preset: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      arms: { type: 'string' },
      resume: { type: 'string' },
      'stop-after': { type: 'string' },
      model: { type: 'string' },
      dataset: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void console.log(USAGE);
  const progress = terminalProgress();
  const t0 = performance.now();
  let run;
  if (values.resume) {
    if (values.preset || values.seed || values.arms || values.model || values.dataset) {
      throw new Error('--resume DIR continues the run with its stored config; drop --preset / --seed / --arms / --model / --dataset');
    }
    run = await runExperiment({ out: values.resume, resume: true, stopAfter: values['stop-after'], progress });
  } else {
    if (!values.preset) throw new Error(`--preset is required\n${USAGE}`);
    getPreset(values.preset);
    const over: IntConfigInput = {};
    if (values.seed !== undefined) {
      const seed = Number(values.seed);
      if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed must be an integer >= 0, got ${values.seed}`);
      over.seed = seed;
    }
    if (values.model) over.model = values.model;
    if (values.dataset) over.data = { dataset: values.dataset };
    const config = presetConfig(values.preset, over);
    const arms = parseArms(values.arms ?? 'all').map((a) => a.id);
    const out = values.out ?? `runs/${values.preset}-seed${config.seed}`;
    run = await runExperiment({ out, config, preset: values.preset, arms, stopAfter: values['stop-after'], progress });
    values.resume = out;
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (run.stoppedAfter) progress.note(`stopped after stage "${run.stoppedAfter}" (${secs}s); continue with: npm run experiment -- --resume ${values.resume}`);
  else progress.note(`done in ${secs}s: ${values.resume}/results.md`);
}

main().catch((e: unknown) => {
  console.error(`experiment: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
