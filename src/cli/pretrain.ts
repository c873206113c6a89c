// `npm run pretrain`: trains the embedded character-level chains model from scratch with the
// project's own Trainer (the storage-independent run is src/pretrain/run.ts), logs
// the loss curve to a CSV and writes a Hugging Face model folder on disk (periodically, so a
// cut-short run still leaves a usable checkpoint). Options: `npm run pretrain -- --help`.

import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NodeFolderSource } from '../io/folder';
import type { PretrainDataInput } from '../tasks/chains/pretrain-data';
import {
  PRETRAIN_RECIPES,
  PRETRAIN_RUN_DEFAULTS,
  runPretrain,
  type ModelFolderFiles,
  type PretrainRunOptions,
  type PretrainRunResult,
  type PretrainSink,
} from '../pretrain';

/** Everything a pretraining run depends on (see PretrainRunConfig for the training settings),
 *  plus where its files go on disk. Defaults: the committed chains-tiny recipe. */
export interface PretrainOptions extends PretrainRunOptions {
  /** Model folder written (config.json, generation_config.json, tokenizer files, model.safetensors). Default public/models/chains-tiny. */
  out: string;
  /** Loss curve CSV. Default <out>/loss.csv. */
  csv: string;
  /** Model folder to continue from (a warm start; its config.json gives the shape). Default none;
   *  the critical recipe's is public/models/chains-tiny. */
  initFrom: string | null;
  /** Replace a model already in `out` (refused without it: a trained model is never overwritten
   *  silently). Default false. */
  force: boolean;
}

/** Where each recipe's model folder goes by default. */
export const RECIPE_OUT: Readonly<Record<keyof typeof PRETRAIN_RECIPES, string>> = Object.freeze({
  tiny: 'public/models/chains-tiny',
  critical: 'public/models/chains-critical',
  'critical-strict': 'public/models/chains-critical-strict',
});

/** Shape fields of a run and the config.json keys that hold them. */
const SHAPE_KEYS = [
  ['hidden', 'hidden_size', '--hidden'],
  ['layers', 'num_hidden_layers', '--layers'],
  ['heads', 'num_attention_heads', '--heads'],
  ['kvHeads', 'num_key_value_heads', '--kv-heads'],
  ['intermediate', 'intermediate_size', '--intermediate'],
  ['maxPositions', 'max_position_embeddings', '--max-positions'],
] as const;

export const PRETRAIN_DEFAULTS: Readonly<Omit<PretrainOptions, 'log' | 'gpu' | 'csv' | 'onStep' | 'onProbe' | 'cancelled' | 'stopEarly' | 'init'>> = Object.freeze({
  out: RECIPE_OUT.tiny,
  initFrom: null,
  force: false,
  ...PRETRAIN_RUN_DEFAULTS,
});

export interface PretrainResult extends PretrainRunResult {
  out: string;
}

/** Write model folder files into `dir` (each written beside, then renamed into place). */
async function writeFolderFiles(dir: string, files: ModelFolderFiles): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, body] of Object.entries(files)) {
    const tmp = join(dir, `.${name}.tmp`);
    await writeFile(tmp, body);
    await rename(tmp, join(dir, name));
  }
}

/** The disk sink of a run: the model folder in `out`, the loss curve at `csv`, probe.csv in `out`. */
export function nodeFolderSink(out: string, csv: string): PretrainSink {
  let made: Promise<unknown> | null = null;
  const dir = () => (made ??= mkdir(out, { recursive: true }));
  return {
    label: out,
    saveModel: (files) => writeFolderFiles(out, files),
    async lossCsv(text) {
      await dir();
      await writeFile(csv, text);
    },
    async probeCsv(text) {
      await dir();
      await writeFile(join(out, 'probe.csv'), text);
    },
  };
}

/** Run a pretraining. Returns what it did; the model folder and CSV are written as it goes. */
export async function pretrain(input: Partial<PretrainOptions> = {}): Promise<PretrainResult> {
  const o: PretrainOptions = { ...PRETRAIN_DEFAULTS, csv: '', log: (l) => console.log(l), ...input };
  if (!o.csv) o.csv = join(o.out, 'loss.csv');
  if (o.initFrom) Object.assign(o, await initShape(resolve(o.initFrom), resolve(o.out), input), { init: new NodeFolderSource(resolve(o.initFrom)) });
  if (!o.force) await refuseOverwrite(o.out);
  const { out, csv, initFrom: _initFrom, force: _force, ...run } = o;
  const r = await runPretrain(run, nodeFolderSink(out, csv));
  return { ...r, out };
}

/** Refuse an output folder that already holds a model (its weights or config.json). */
async function refuseOverwrite(out: string): Promise<void> {
  for (const f of ['model.safetensors', 'config.json']) {
    const info = await stat(join(out, f)).catch(() => null);
    if (info) {
      throw new Error(`pretrain: ${out} already holds a model (${f}, ${info.size} bytes, written ${info.mtime.toISOString()}); pass --force to replace it, or --out a new folder`);
    }
  }
}

/** The shape of the folder a run continues from (its config.json), refusing flags that contradict
 *  it and an output folder that would overwrite it. */
async function initShape(dir: string, out: string, given: Partial<PretrainOptions>): Promise<Partial<PretrainOptions>> {
  if (dir === out) throw new Error(`pretrain: --out ${out} is the folder the run continues from (--init); pass another --out`);
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  } catch (e) {
    throw new Error(`pretrain: cannot read ${join(dir, 'config.json')} of the model to continue from (${(e as Error).message}); check --init, or pass --no-init to start from fresh weights`);
  }
  const shape: Partial<PretrainOptions> = {};
  const problems: string[] = [];
  for (const [field, key, flag] of SHAPE_KEYS) {
    const v = cfg[key];
    if (typeof v !== 'number') problems.push(`${key} is missing from ${dir}/config.json`);
    else if (given[field] !== undefined && given[field] !== v) problems.push(`${flag} ${given[field]} differs from ${key} ${v} of ${dir}: drop ${flag}`);
    else shape[field] = v;
  }
  if (problems.length > 0) throw new Error(`pretrain: the run cannot continue from ${dir}:\n  - ${problems.join('\n  - ')}`);
  return shape;
}

const HELP = `npm run pretrain -- [options]
  --out DIR            model folder (default ${PRETRAIN_DEFAULTS.out})
  --csv FILE           loss curve CSV (default <out>/loss.csv)
  --hidden N --layers N --heads N --kv-heads N --intermediate N --max-positions N
  --steps N            optimiser steps (default ${PRETRAIN_DEFAULTS.steps})
  --batch-tokens N     tokens per step (default ${PRETRAIN_DEFAULTS.batchTokens})
  --micro-batch-tokens N
  --lr X --warmup-steps N --min-lr-ratio X --weight-decay X
  --seed N             weight seed (default 0)
  --data-seed N        pretraining document seed (default: pretrain-data.ts default)
  --slip-scale X       slip model scale (default 1)
  --mix K=W,...        relative weight of document kinds over the recipe's (solve, verify, verifyOk,
                       continue, hint, reflect), e.g. --mix verify=0.4
  --save-every N       write the folder every N steps (default ${PRETRAIN_DEFAULTS.saveEvery})
  --probe-every N      score the probe (P(correct solve trace), P(ideal verify log) per tier on fresh
                       train-split problems) every N steps into <out>/probe.csv (default ${PRETRAIN_DEFAULTS.probeEvery}; 0 = never)
  --probe-per-tier N   probe documents per tier and kind (default ${PRETRAIN_DEFAULTS.probePerTier})
  --keep-best-after X  from run progress X on, keep the probed checkpoint whose verifier decisions on
                       the probe's train-split documents are best (default ${PRETRAIN_DEFAULTS.keepBestAfter}; 1 = the last)
  --keep-best-margin X with --keep-best-after: keep the latest probe within X standard errors of the best
                       (default ${PRETRAIN_DEFAULTS.keepBestMargin}; 0 = the best itself)
  --keep-best-by probe|own  judge checkpoints by the probe's injected-slip documents (default) or by
                       the verifier's decisions on each own-attempt round's documents (needs --self-verify-from)
  --self-verify-from X   from run progress X on, train on verify documents of the model's own attempts
                         (default ${PRETRAIN_DEFAULTS.selfVerifyFrom}: the second half; 1 = never)
  --self-verify-every N  steps between rounds of own attempts (default ${PRETRAIN_DEFAULTS.selfVerifyEvery})
  --self-verify-problems N  train-split problems per round (default ${PRETRAIN_DEFAULTS.selfVerifyProblems})
  --self-verify-samples N   attempts per problem (default ${PRETRAIN_DEFAULTS.selfVerifySamples})
  --self-verify-share X  share of documents from the latest round (default ${PRETRAIN_DEFAULTS.selfVerifyShare})
  --self-verify-ok-share X  share of right attempts made into all-ok documents (default ${PRETRAIN_DEFAULTS.selfVerifyOkShare})
  --self-verify-pairs  pair each failed own attempt with its problem's right solution (all ok); default off
  --no-self-verify-pairs  the default
  --self-verify-calibrate G  after each round, move the bad/ok verdict weight ratio toward the decision the
                         verifier gets wrong more often on its own attempts, by gain G (default ${PRETRAIN_DEFAULTS.selfVerifyCalibrate}; 0 = off)
  --recipe NAME        "tiny" (default: the committed chains-tiny recipe on TINY_LADDER) or "critical" (chains-tiny
                       continued for 25 min on TINY_LADDER + the critical-step tier with the one-digit
                       multiplication habit, MUL_AS_ADD_HABIT; lr 1e-3; out public/models/chains-critical)
                       or "critical-strict" (the same for 1,227 steps, the loss on completions only and no
                       self-reflection documents, so the right product is written only in the model's checks;
                       out public/models/chains-critical-strict)
  --init DIR           continue from this model folder's weights (its config.json gives the shape)
  --no-init            start from fresh weights (also for the critical recipe)
  --no-curriculum      train on the full recipe from the first step
  --loss-on WHAT       "document" (every token after <|bos|>, default) or "completion" 
  --verdict-weight-ok X   loss weight of each "ok" decision of the verifier (default ${PRETRAIN_DEFAULTS.verdictWeightOk}; 1 = none)
  --verdict-weight-bad X  loss weight of each "bad" decision (default ${PRETRAIN_DEFAULTS.verdictWeightBad}; 1 = none)
  --verdict-balance X  in [0, 1]: weigh "ok" and "bad" the same at every line of every problem length,
                       so a line's position does not predict its verdict (default ${PRETRAIN_DEFAULTS.verdictBalance} = off)
  --max-minutes X      time budget: stop and save after X minutes, lr schedule follows it (default 44; 0 = none)`;

/** Parse command-line flags into options; unknown flags are errors. */
export function parsePretrainArgs(argv: readonly string[]): Partial<PretrainOptions> {
  const o: Partial<PretrainOptions> = {};
  // --recipe picks the data and curriculum the other flags then adjust, wherever it stands
  const r = argv.indexOf('--recipe');
  const recipeName = r >= 0 ? argv[r + 1] : 'tiny';
  if (!Object.hasOwn(PRETRAIN_RECIPES, recipeName)) throw new Error(`--recipe must be one of ${Object.keys(PRETRAIN_RECIPES).map((n) => `"${n}"`).join(', ')}, got ${JSON.stringify(recipeName)}`);
  const recipe = PRETRAIN_RECIPES[recipeName as keyof typeof PRETRAIN_RECIPES];
  const data: PretrainDataInput = { ...recipe.data };
  if (recipeName !== 'tiny') {
    o.phases = recipe.phases.map((p) => ({ ...p }));
    Object.assign(o, recipe.run, { out: RECIPE_OUT[recipeName as keyof typeof PRETRAIN_RECIPES] });
  }
  if (recipe.init) o.initFrom = recipe.init;
  const num = (flag: string, v: string | undefined) => {
    const x = Number(v);
    if (v === undefined || !Number.isFinite(x)) throw new Error(`${flag} needs a number, got ${JSON.stringify(v)}`);
    return x;
  };
  const keys: Record<string, keyof PretrainOptions> = {
    '--hidden': 'hidden', '--layers': 'layers', '--heads': 'heads', '--kv-heads': 'kvHeads', '--intermediate': 'intermediate',
    '--max-positions': 'maxPositions', '--steps': 'steps', '--batch-tokens': 'batchTokens', '--micro-batch-tokens': 'microBatchTokens',
    '--lr': 'lr', '--warmup-steps': 'warmupSteps', '--min-lr-ratio': 'minLrRatio', '--weight-decay': 'weightDecay', '--seed': 'seed',
    '--save-every': 'saveEvery', '--max-minutes': 'maxMinutes', '--probe-every': 'probeEvery', '--probe-per-tier': 'probePerTier',
    '--verdict-weight-ok': 'verdictWeightOk', '--verdict-weight-bad': 'verdictWeightBad', '--verdict-balance': 'verdictBalance',
    '--keep-best-after': 'keepBestAfter', '--keep-best-margin': 'keepBestMargin', '--self-verify-from': 'selfVerifyFrom', '--self-verify-every': 'selfVerifyEvery',
    '--self-verify-problems': 'selfVerifyProblems', '--self-verify-samples': 'selfVerifySamples', '--self-verify-share': 'selfVerifyShare',
    '--self-verify-ok-share': 'selfVerifyOkShare', '--self-verify-calibrate': 'selfVerifyCalibrate',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') throw new Error(HELP);
    if (a === '--out') o.out = argv[++i];
    else if (a === '--recipe') i++;
    else if (a === '--csv') o.csv = argv[++i];
    else if (a === '--no-curriculum') o.phases = [];
    else if (a === '--init') {
      const v = argv[++i];
      if (!v || v.startsWith('--')) throw new Error(`--init needs a model folder, e.g. --init public/models/chains-tiny`);
      o.initFrom = v;
    }
    else if (a === '--no-init') o.initFrom = null;
    else if (a === '--force') o.force = true;
    else if (a === '--self-verify-pairs') o.selfVerifyPairs = true;
    else if (a === '--no-self-verify-pairs') o.selfVerifyPairs = false;
    else if (a === '--keep-best-by') {
      const v = argv[++i];
      if (v !== 'probe' && v !== 'own') throw new Error(`--keep-best-by must be "probe" or "own", got ${JSON.stringify(v)}`);
      o.keepBestBy = v;
    }
    else if (a === '--loss-on') {
      const v = argv[++i];
      if (v !== 'document' && v !== 'completion') throw new Error(`--loss-on must be "document" or "completion", got ${JSON.stringify(v)}`);
      o.lossOn = v;
    }
    else if (a === '--data-seed') data.seed = num(a, argv[++i]);
    else if (a === '--slip-scale') data.slip = { scale: num(a, argv[++i]) };
    else if (a === '--mix') {
      // kind=weight pairs over the recipe's mix; resolvePretrainConfig names unknown kinds.
      const mix: Record<string, number> = { ...(data.mix ?? {}) };
      const v = argv[++i] ?? '';
      for (const part of v.split(',')) {
        const [k, w] = part.split('=');
        if (!k || w === undefined) throw new Error(`--mix takes kind=weight pairs separated by commas (e.g. verify=0.4,solve=0.35), got ${JSON.stringify(v)}`);
        mix[k.trim()] = num(`--mix ${k.trim()}`, w);
      }
      data.mix = mix;
    }
    else if (keys[a]) (o as Record<string, number>)[keys[a]] = num(a, argv[++i]);
    else throw new Error(`unknown option ${a}\n${HELP}`);
  }
  o.data = data;
  return o;
}

async function main(): Promise<void> {
  let opts: Partial<PretrainOptions>;
  try {
    opts = parsePretrainArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  if (opts.out) opts.out = resolve(opts.out);
  const r = await pretrain(opts);
  console.log(
    `[pretrain] done: ${r.params} parameters, ${r.steps} steps, ${r.examples} documents, ${r.tokens} tokens in ${(r.seconds / 60).toFixed(1)} min; ` +
      `loss ${r.firstLoss.toFixed(3)} -> ${r.lastLoss.toFixed(3)}; folder ${r.out} holds step ${r.keptStep}` +
      (r.keptDecisions ? ` (decisions: ok ${r.keptDecisions.ok.toFixed(3)}, bad ${r.keptDecisions.bad.toFixed(3)}, balanced ${r.keptDecisions.balanced.toFixed(3)})` : '') +
      (r.ownRounds > 0 ? `; ${r.ownRounds} rounds of own attempts, ${r.ownDocuments} own-attempt documents trained on` : '') +
      ((opts.selfVerifyCalibrate ?? PRETRAIN_DEFAULTS.selfVerifyCalibrate) > 0 && r.ownRounds > 0 ? `; verdict weights at the end ok ${r.verdictWeights.ok.toFixed(2)}, bad ${r.verdictWeights.bad.toFixed(2)}` : ''),
  );
  process.exit(0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
