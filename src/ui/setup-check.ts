// Every problem of the setup at once, each with its fix and the field it belongs to: fields that
// did not parse, the config validators' problems, the model choice, the arms, and an uploaded
// dataset's splits. Run is blocked while the list is not empty; the setup view shows each problem
// beside its field and all of them beside the Run button.
import { ConfigError } from '../util/config-kit';
import { DEFAULT_IMPORT_CONFIG } from '../tasks/math/import-config';
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
export function setupProblems(s: Settings): SetupProblem[] {
  const out: SetupProblem[] = [];
  for (const [path, { text, error }] of Object.entries(s.invalid)) out.push({ path, message: `${path} ("${text}"): ${error}` });
  if (s.arms.length === 0) out.push({ path: 'arms', message: 'no arm is selected: tick at least one under Arms (e.g. "+ InT + RL" and "+ RL" to compare them)' });
  if (s.model.kind === 'hub') {
    const bad = checkHubId(s.model.id);
    if (bad) out.push({ path: 'model', message: `model: ${bad}` });
  }
  if (s.model.kind === 'folder' && s.model.files.length === 0) out.push({ path: 'model', message: 'model: no folder is picked: choose the folder with config.json, model.safetensors and tokenizer.json, or pick another model' });
  let task: string | null = null;
  try {
    task = resolveSettings(s).data.task;
  } catch (e) {
    // the model field's own check (above) already says what is wrong with a typed hub id
    const modelSaid = out.some((q) => q.path === 'model');
    if (e instanceof ConfigError) {
      for (const line of e.problems) if (!(modelSaid && fieldOfProblem(line) === 'model')) out.push({ path: fieldOfProblem(line), message: line });
    } else out.push({ path: 'preset', message: (e as Error).message });
    task = (s.overrides.data?.task as string | undefined) ?? null;
  }
  if (task === 'math') out.push(...datasetProblems(s));
  return out;
}

/** A math task needs an uploaded file whose splits both hold problems (the run uses the split
 *  the worker's check reported: DEFAULT_IMPORT_CONFIG's held-out share, by a hash of each id). */
function datasetProblems(s: Settings): SetupProblem[] {
  if (!s.dataset) return [{ path: 'data.dataset', message: 'data.task is "math" but no dataset file is uploaded in this page (files do not travel in links): upload it under Task, or switch the task to the chains world' }];
  const sp = s.datasetSplit;
  if (!sp) return [];
  const share = `${Math.round(DEFAULT_IMPORT_CONFIG.testFraction * 100)}%`;
  const rows = sp.train + sp.test;
  const out: SetupProblem[] = [];
  if (sp.test === 0) {
    out.push({ path: 'data.dataset', message: `${s.dataset.name} gives 0 test problems: the run holds out about ${share} of the ${rows} problems (picked by a hash of each id) and none fell there; upload a file with more rows (from ${rowsForTest()} rows on, an empty test split is under 5% likely)` });
  }
  if (sp.train === 0 && s.arms.some((a) => a !== 'base')) {
    out.push({ path: 'data.dataset', message: `${s.dataset.name} gives 0 training problems (all ${rows} are held out): upload a file with more rows, or run the base arm only` });
  }
  return out;
}

/** Rows from which an empty test split is under 5% likely: (1 - share)^n < 0.05. */
function rowsForTest(): number {
  return Math.ceil(Math.log(0.05) / Math.log(1 - DEFAULT_IMPORT_CONFIG.testFraction));
}

/** The split the run will use, capped by data.maxTrainProblems / maxTestProblems, as a sentence. */
export function splitSentence(split: { train: number; test: number }, caps: { train: number | null; test: number | null }): string {
  const share = `${Math.round(DEFAULT_IMPORT_CONFIG.testFraction * 100)}%`;
  const use = (n: number, cap: number | null) => (cap !== null && cap < n ? `${cap} of ${n}` : String(n));
  const capped = (caps.train !== null && caps.train < split.train) || (caps.test !== null && caps.test < split.test);
  return `Split: ${split.train} train / ${split.test} test problems (about ${share} held out, picked by a hash of each problem id); the run uses ${use(split.train, caps.train)} train and ${use(split.test, caps.test)} test problems${capped ? ' (data.maxTrainProblems / maxTestProblems cap them: raise them under Advanced > Data and problems)' : ''}.`;
}
