// Every problem of the setup at once, each with its fix and the field it belongs to: fields that
// did not parse, the config validators' problems, the model choice, the arms, and an uploaded
// dataset's splits. Run is blocked while the list is not empty; the setup view shows each problem
// beside its field and all of them beside the Run button. An uploaded dataset's split is computed
// here from its ids (data.testFraction, data.splitSeed), as the run will split it.
import { ConfigError } from '../util/config-kit';
import { mathSplitOf, type IntConfig } from '../int/config';
import { assignSplit } from '../tasks/math/import-config';
import { fieldOfProblem } from './config-help';
import { checkHubId } from './fields';
import { resolveSettings, type Settings } from './state';

export interface SetupProblem {
  /** The field it belongs to ('seed', 'lora.rank', 'model', 'arms', 'data.dataset', ...), or null. */
  path: string | null;
  /** What is wrong and how to fix it. */
  message: string;
}

/** The problems of `s` (empty: it can run). */
export function setupProblems(s: Settings, adapter?: { shaderF16: boolean } | null): SetupProblem[] {
  const out: SetupProblem[] = [];
  for (const [path, { text, error }] of Object.entries(s.invalid)) out.push({ path, message: `${path} ("${text}"): ${error}` });
  if (s.arms.length === 0) out.push({ path: 'arms', message: 'no arm is selected: tick at least one under Arms (e.g. "+ InT + RL" and "+ RL" to compare them)' });
  if (s.model.kind === 'hub') {
    const bad = checkHubId(s.model.id);
    if (bad) out.push({ path: 'model', message: `model: ${bad}` });
  }
  if (s.model.kind === 'folder' && s.model.files.length === 0) out.push({ path: 'model', message: 'model: no folder is picked: choose the folder with config.json, model.safetensors and tokenizer.json, or pick another model' });
  let config: IntConfig | null = null;
  try {
    config = resolveSettings(s);
  } catch (e) {
    // the model field's own check (above) already says what is wrong with a typed hub id
    const modelSaid = out.some((q) => q.path === 'model');
    if (e instanceof ConfigError) {
      for (const line of e.problems) if (!(modelSaid && fieldOfProblem(line) === 'model')) out.push({ path: fieldOfProblem(line), message: line });
    } else out.push({ path: 'preset', message: (e as Error).message });
  }
  if (config?.modelDtype === 'f16' && adapter && !adapter.shaderF16) {
    out.push({ path: 'modelDtype', message: 'modelDtype "f16": this browser\'s WebGPU adapter has no shader-f16, so weights cannot be stored in f16 here: use "auto" (f32 on this adapter) or "f32"' });
  }
  const task = config?.data.task ?? (s.overrides.data?.task as string | undefined) ?? null;
  if (task === 'math') out.push(...datasetProblems(s, config));
  return out;
}

/** Fewest problems a split may hold: with fewer test problems one problem moves pass@1 by more
 *  than 25 points, and SFT / RL on fewer training problems learns nothing worth measuring. */
export const MIN_SPLIT_PROBLEMS = 4;

/** Problems per split of `ids` under a test share and split seed (assignSplit, as the run splits). */
export function splitCounts(ids: readonly string[], split: { testFraction: number; seed: number }): { train: number; test: number } {
  let test = 0;
  for (const id of ids) if (assignSplit(id, split.testFraction, split.seed) === 'test') test++;
  return { train: ids.length - test, test };
}

/** The data.testFraction (a multiple of 0.05 in [0.05, 0.95]) nearest to `now` whose split of `ids`
 *  holds at least `minTest` test and `minTrain` training problems, with that split; null when none does. */
export function fractionFor(ids: readonly string[], seed: number, now: number, minTest: number, minTrain: number): { testFraction: number; train: number; test: number } | null {
  let best: { testFraction: number; train: number; test: number } | null = null;
  for (let k = 1; k < 20; k++) {
    const f = k / 20;
    const c = splitCounts(ids, { testFraction: f, seed });
    if (c.test < minTest || c.train < minTrain) continue;
    if (!best || Math.abs(f - now) < Math.abs(best.testFraction - now)) best = { testFraction: f, ...c };
  }
  return best;
}

/** A math task needs an uploaded file whose splits (data.testFraction of its problems held out
 *  by a hash of (data.splitSeed, id)) hold enough problems to mean something: at least
 *  MIN_SPLIT_PROBLEMS test problems, and as many training problems when an arm trains. */
function datasetProblems(s: Settings, config: IntConfig | null): SetupProblem[] {
  if (!s.dataset) return [{ path: 'data.dataset', message: 'data.task is "math" but no dataset file is uploaded in this page (files do not travel in links): upload it under Task, or switch the task to the chains world' }];
  if (!s.datasetIds || !config) return [];
  const ids = s.datasetIds;
  const split = mathSplitOf(config.data);
  const { train, test } = splitCounts(ids, split);
  const min = MIN_SPLIT_PROBLEMS;
  const trains = s.arms.some((a) => a !== 'base');
  const minTrain = trains ? min : 0;
  const name = s.dataset.name;
  const now = `data.testFraction ${split.testFraction} holds out ${test} of its ${ids.length} problems and leaves ${train} to train on`;
  const fix = () => {
    const f = fractionFor(ids, split.seed, split.testFraction, min, minTrain);
    if (f) return `set data.testFraction to ${f.testFraction} (beside the upload: it gives ${f.train} train / ${f.test} test problems), or upload a file with more rows`;
    return `upload a file with at least ${min + minTrain} problems (it has ${ids.length})${trains ? ', or run the base arm only (it needs test problems alone)' : ''}`;
  };
  const out: SetupProblem[] = [];
  if (test < min) {
    const why = test === 0 ? 'there is nothing to evaluate on' : `pass@1 on ${test} problem${test === 1 ? '' : 's'} moves in steps of ${Math.round(100 / test)} points and its interval spans almost everything`;
    out.push({ path: 'data.testFraction', message: `${name}: the test split is ${test === 0 ? 'empty' : 'too small'} (${now}; at least ${min} are needed: ${why}): ${fix()}` });
  } else if (train < minTrain) {
    const why = train === 0 ? 'the training arms have nothing to learn from' : `SFT and RL on ${train} problem${train === 1 ? '' : 's'} teach the model nothing worth measuring`;
    out.push({ path: 'data.testFraction', message: `${name}: the training split is ${train === 0 ? 'empty' : 'too small'} (${now}; at least ${min} are needed: ${why}): ${fix()}` });
  }
  for (const [key, have, need] of [['maxTestProblems', test, min], ['maxTrainProblems', train, minTrain]] as const) {
    const cap = config.data[key];
    if (cap !== null && cap < need && have > cap) {
      out.push({ path: `data.${key}`, message: `data.${key} (${cap}) caps the run at ${cap} of the ${have} ${key === 'maxTestProblems' ? 'test' : 'training'} problems, under the ${need} a meaningful measurement needs: raise it to ${Math.min(have, need)} or more (Advanced > Data and problems), or set it to null for all` });
    }
  }
  return out;
}

/** The split the run will use, capped by data.maxTrainProblems / maxTestProblems, as a sentence. */
export function splitSentence(split: { train: number; test: number }, caps: { train: number | null; test: number | null }, how: { testFraction: number; seed: number }): string {
  const use = (n: number, cap: number | null) => (cap !== null && cap < n ? `${cap} of ${n}` : String(n));
  const capped = (caps.train !== null && caps.train < split.train) || (caps.test !== null && caps.test < split.test);
  return `Split: ${split.train} train / ${split.test} test problems (data.testFraction ${how.testFraction}: about ${Math.round(how.testFraction * 100)}% held out, picked by a hash of each problem id with data.splitSeed ${how.seed}); the run uses ${use(split.train, caps.train)} train and ${use(split.test, caps.test)} test problems${capped ? ' (data.maxTrainProblems / maxTestProblems cap them: raise them under Advanced > Data and problems)' : ''}.`;
}
