// `npm run experiment -- --preset NAME [--seed N | --seeds a,b,c] [--scale F] [--out DIR] [--arms a,b]
// [--stop-after STAGE] [--model PATH|HUB_ID] [--dataset PATH|HUB_ID] [--strict] [--force]` or `-- --resume DIR`: the
// headless InT experiment, one seed or several (DIR/seed-<s>/, then DIR/seeds.json and seeds.md).

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ARM_IDS, parseArms, type ArmId } from '../int/arms';
import { getPreset, presetConfig, presetNames, type IntConfig, type IntConfigInput } from '../int/config';
import { checkStopAfter, runExperiment, runSeeds, runStages, SEEDS_FILES } from '../int/experiment';
import { DATA_STAGE_NAMES, pipelineStages } from '../int/pipeline';
import { errnoOf, fsError } from '../int/run-files';
import { checkScale, scaleConfig, SCALED_FIELDS, UNSCALED_FIELDS } from '../int/scale';
import { terminalProgress } from './progress';

const OPTIONS = {
  preset: { type: 'string' },
  seed: { type: 'string' },
  seeds: { type: 'string' },
  scale: { type: 'string' },
  out: { type: 'string' },
  arms: { type: 'string' },
  resume: { type: 'string' },
  'stop-after': { type: 'string' },
  model: { type: 'string' },
  dataset: { type: 'string' },
  strict: { type: 'boolean' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The flags the experiment CLI takes. */
export const EXPERIMENT_FLAGS: readonly string[] = Object.keys(OPTIONS).map((k) => `--${k}`);

export const USAGE = `usage: npm run experiment -- --preset NAME [--seed N | --seeds a,b,c] [--scale F] [--out DIR] [--arms a,b,...]
                             [--stop-after STAGE] [--model PATH|HUB_ID] [--dataset PATH|HUB_ID] [--strict] [--force]
       npm run experiment -- --resume DIR [--stop-after STAGE] [--force]
presets: ${presetNames().join(', ')}
--strict       refuse a math dataset with any skipped row (data.strict); without it the good rows are used and
               the skipped ones are printed with their line numbers and reasons (problems whose prompt leaves
               no room in the model's context are skipped, or refused, the same way)
--force        replace files in DIR/exports that another run exported (or that were changed after export);
               without it such files are never replaced and the run stops before any work, naming them
--seeds a,b,c  one run per seed into DIR/seed-<s>/ (each a complete experiment folder), then DIR/seeds.json and
               DIR/seeds.md: each seed's pass@1 per arm and tier, its paired InT + RL - RL per tier, and the paired
               differences pooled over the seeds. Running the same command again (or --resume DIR) skips finished
               seeds and resumes the unfinished one. Default DIR: runs/<preset>-seeds-<a>-<b>-...
--stop-after STAGE  stop after this stage is computed (continue later with --resume DIR); stages:
               ${DATA_STAGE_NAMES.join(', ')},
               then per arm <arm>/sft, <arm>/rl, <arm>/eval
--scale F      multiply the preset's budgets by F > 0 (for GPU runs; 1 changes nothing; rounded, at least 1):
                 ${SCALED_FIELDS.join('\n                 ')}
               and keep:
                 ${UNSCALED_FIELDS.join('\n                 ')}`;

/** What the command line asks for. */
export type ExperimentPlan =
  | { kind: 'help' }
  | { kind: 'resume'; out: string; stopAfter?: string; force: boolean }
  | { kind: 'run'; preset: string; config: IntConfig; arms: ArmId[]; out: string; seeds: number[] | null; scale: number; stopAfter?: string; force: boolean };

/** A seed: an integer >= 0. */
function seedOf(v: string, flag: string): number {
  const s = Number(v.trim());
  if (v.trim() === '' || !Number.isSafeInteger(s) || s < 0) throw new Error(`${flag} takes integers >= 0, got ${JSON.stringify(v)}`);
  return s;
}

/** --seeds a,b,c: distinct integers >= 0. */
export function parseSeeds(v: string): number[] {
  const seeds = v.split(',').map((x) => seedOf(x, '--seeds'));
  const dup = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (dup !== undefined) throw new Error(`--seeds lists seed ${dup} twice; list each seed once (e.g. --seeds 1,2,3)`);
  return seeds;
}

/** --scale F: a positive number. */
export function parseScale(v: string): number {
  return checkScale(v.trim() === '' ? NaN : Number(v));
}

/** Parse the experiment CLI's arguments (no files touched; presets resolved and validated).
 *  Unknown flags and stray arguments are refused with the list of valid flags. */
export function parseExperimentArgs(argv: readonly string[]): ExperimentPlan {
  let values: { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };
  try {
    values = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`${msg.split('\n')[0]}; valid flags: ${EXPERIMENT_FLAGS.join(', ')}`);
  }
  if (values.help) return { kind: 'help' };
  const stopAfter = values['stop-after'];
  const force = values.force === true;
  if (values.resume !== undefined) {
    const extra = (['preset', 'seed', 'seeds', 'scale', 'arms', 'model', 'dataset', 'out', 'strict'] as const).filter((k) => values[k] !== undefined);
    if (extra.length) throw new Error(`--resume DIR continues the run with its stored config; drop ${extra.map((k) => `--${k}`).join(' / ')}`);
    // every stage of every arm here; the run's own arms are checked when its folder is read
    checkStopAfter(stopAfter, pipelineStages(ARM_IDS));
    return { kind: 'resume', out: values.resume, stopAfter, force };
  }
  if (!values.preset) throw new Error(`--preset is required\n${USAGE}`);
  getPreset(values.preset);
  if (values.dataset !== undefined && presetConfig(values.preset).data.task !== 'math') {
    const math = presetNames().filter((n) => presetConfig(n).data.task === 'math');
    throw new Error(
      `--dataset applies to math presets only: preset "${values.preset}" generates its own chains problems (data.task "chains"). ` +
        `Drop --dataset, or pick a math preset (${math.join(', ')})`,
    );
  }
  if (values.seed !== undefined && values.seeds !== undefined) throw new Error('--seed and --seeds exclude each other: use --seeds a,b,c for several seeds');
  const over: IntConfigInput = {};
  if (values.seed !== undefined) over.seed = seedOf(values.seed, '--seed');
  if (values.model) over.model = values.model;
  if (values.dataset) over.data = { dataset: values.dataset };
  if (values.strict) over.data = { ...over.data, strict: true };
  const seeds = values.seeds !== undefined ? parseSeeds(values.seeds) : null;
  const scale = values.scale !== undefined ? parseScale(values.scale) : 1;
  const config = scaleConfig(presetConfig(values.preset, over), scale);
  const arms = parseArms(values.arms ?? 'all').map((a) => a.id);
  checkStopAfter(stopAfter, runStages(arms, config));
  const tag = scale === 1 ? '' : `-x${scale}`;
  const out = values.out ?? (seeds ? `runs/${values.preset}${tag}-seeds-${seeds.join('-')}` : `runs/${values.preset}${tag}-seed${config.seed}`);
  return { kind: 'run', preset: values.preset, config, arms, out, seeds, scale, stopAfter, force };
}

async function main(): Promise<void> {
  const plan = parseExperimentArgs(process.argv.slice(2));
  if (plan.kind === 'help') return void console.log(USAGE);
  const progress = terminalProgress();
  const t0 = performance.now();
  const secs = () => ((performance.now() - t0) / 1000).toFixed(1);
  const seedsDir = plan.kind === 'resume' ? existsSync(join(plan.out, SEEDS_FILES.plan)) : plan.seeds !== null;
  if (seedsDir) {
    const run =
      plan.kind === 'resume'
        ? await runSeeds({ out: plan.out, resume: true, stopAfter: plan.stopAfter, force: plan.force, progress })
        : await runSeeds({ out: plan.out, config: plan.config, preset: plan.preset, arms: plan.arms, seeds: plan.seeds!, stopAfter: plan.stopAfter, force: plan.force, progress });
    const s = run.stoppedAfter;
    if (s) progress.note(`stopped after stage "${s.stage}" of seed ${s.seed} (${secs()}s); continue with: npm run experiment -- --resume ${plan.out}`);
    else progress.note(`done in ${secs()}s (${run.ran.length} seeds run, ${run.skipped.length} already finished): ${plan.out}/${SEEDS_FILES.md}`);
    return;
  }
  const run =
    plan.kind === 'resume'
      ? await runExperiment({ out: plan.out, resume: true, stopAfter: plan.stopAfter, force: plan.force, progress })
      : await runExperiment({ out: plan.out, config: plan.config, preset: plan.preset, arms: plan.arms, stopAfter: plan.stopAfter, force: plan.force, progress });
  if (run.stoppedAfter) progress.note(`stopped after stage "${run.stoppedAfter}" (${secs()}s); continue with: npm run experiment -- --resume ${plan.out}`);
  else progress.note(`done in ${secs()}s: ${plan.out}/results.md`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    // a file-system error that no stage worded: name the file and the fix
    const path = (e as { path?: unknown } | null)?.path;
    if (errnoOf(e) && typeof path === 'string' && /^[A-Z]+: /.test((e as Error).message)) {
      const verbs: Record<string, string> = { open: 'opening', read: 'reading', write: 'writing', mkdir: 'creating', rename: 'renaming', unlink: 'removing', stat: 'checking' };
      const syscall = String((e as { syscall?: unknown }).syscall ?? '');
      e = fsError(e, verbs[syscall] ?? 'accessing', path, 'Completed stages are kept in the run folder: fix this, then continue with --resume DIR');
    }
    console.error(`experiment: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
