// The setup view's pure parts: every config field has help from the config's own doc comments and
// lands in the Basic section or one Advanced group; field texts parse or say why not; the setup's
// problems name their field and their fix (invalid input blocks Run, never keeps an old value).
import { describe, expect, it } from 'vitest';
import { presetNames } from '../../src/int/config';
import { CONFIG_FIELDS, configField, fieldOfProblem, humanKey, parseInterfaces, UNEDITABLE } from '../../src/ui/config-help';
import { checkHubId, formatValue, parseValue } from '../../src/ui/fields';
import { setupProblems, splitCounts, splitSentence } from '../../src/ui/setup-check';
import { defaultSettings } from '../../src/ui/state';
import { getAt, groupOf, setAt, valueTrees } from '../../src/ui/views/config-editor';

/** Leaf paths of a value tree (arrays and the chains tiers / counts are leaves). */
function leaves(o: unknown, prefix = ''): string[] {
  if (o === null || typeof o !== 'object' || Array.isArray(o) || prefix === 'data.chains.counts') return [prefix];
  return Object.entries(o).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

/** Ids as the importer makes them for a file without an id column: "<name>-00001", ... */
const ids = (name: string, n: number) => Array.from({ length: n }, (_, i) => `${name}-${String(i + 1).padStart(5, '0')}`);

describe('config help', () => {
  it('every editable config field has help text from its doc comment', () => {
    expect(CONFIG_FIELDS.length).toBeGreaterThan(80);
    const missing = CONFIG_FIELDS.filter((f) => f.help.trim().length < 8).map((f) => f.path);
    expect(missing, `config fields without a doc comment: ${missing.join(', ')}`).toEqual([]);
    expect(configField('lora.rank')?.help).toMatch(/Rank r .*Default 16/);
    expect(configField('rl.lossType')?.kind).toEqual({ kind: 'choice', options: ['grpo', 'dr_grpo', 'dapo'] });
    expect(configField('propose.maxAttempts')?.kind).toEqual({ kind: 'number', nullable: true });
    expect(configField('data.chains.tiers')?.kind.kind).toBe('json');
  });

  it('the field list covers every leaf of every preset\'s config, and each field exists there', () => {
    const paths = new Set(CONFIG_FIELDS.map((f) => f.path));
    for (const name of presetNames()) {
      const tree = valueTrees(name).preset;
      const unknown = leaves(tree).filter((p) => !paths.has(p) && !(p in UNEDITABLE));
      expect(unknown, `${name}: config keys with no field (and so no help): ${unknown.join(', ')}`).toEqual([]);
      const absent = CONFIG_FIELDS.filter((f) => getAt(tree, f.path) === undefined).map((f) => f.path);
      expect(absent, `${name}: fields not in the config`).toEqual([]);
    }
  });

  it('a field without a doc comment is found (so the coverage test above can fail)', () => {
    const src = 'export interface X {\n  /** A thing. Default 1. */\n  a: number;\n  b: number | null;\n  /** Two\n   *  lines. */\n  c: \'p\' | \'q\';\n}\n';
    const x = parseInterfaces(src).get('X')!;
    expect([...x.fields.keys()]).toEqual(['a', 'b', 'c']);
    expect(x.fields.get('a')!.doc).toBe('A thing. Default 1.');
    expect(x.fields.get('b')!.doc).toBe('');
    expect(x.fields.get('c')!.doc).toBe('Two lines.');
  });

  it('every field is in the Basic section or exactly one Advanced group', () => {
    const lost = CONFIG_FIELDS.filter((f) => groupOf(f.path) === null).map((f) => f.path);
    expect(lost).toEqual([]);
    expect(groupOf('seed')).toBe('basic');
    expect(groupOf('lora.rank')).toBe('finetune');
    expect(groupOf('hint.fraction')).toBe('rl');
    expect(groupOf('rl.optim.lr')).toBe('rl');
  });

  it('maps validator lines to their field (longest path first)', () => {
    expect(fieldOfProblem('lora.rank (0) must be an integer >= 1: use e.g. 8 or 16 (PEFT\'s r)')).toBe('lora.rank');
    expect(fieldOfProblem('sft.optim.lr (2) must be in (0, 1): use 1e-6')).toBe('sft.optim.lr');
    expect(fieldOfProblem('data.chains.tiers.easy.steps = [4, 2] has min > max: swap them')).toBe('data.chains.tiers');
    expect(fieldOfProblem('rollouts.poolMaxCorrect (3) must be < rollouts.poolSamples (2)')).toBe('rollouts.poolMaxCorrect');
    expect(fieldOfProblem('something else')).toBeNull();
    expect(humanKey('maxNewTokens')).toBe('max new tokens');
  });
});

describe('field parsing', () => {
  const num = { kind: 'number', nullable: false } as const;
  it('reads numbers, nullable numbers, lists and JSON, and says what is wrong otherwise', () => {
    expect(parseValue(num, ' 8 ')).toEqual({ ok: true, value: 8 });
    expect(parseValue(num, '1e-4')).toEqual({ ok: true, value: 1e-4 });
    expect(parseValue(num, 'eight', '16')).toEqual({ ok: false, error: '"eight" is not a number: type digits, e.g. 16' });
    expect(parseValue(num, '', '16')).toEqual({ ok: false, error: 'empty: type a number, e.g. 16' });
    expect(parseValue({ kind: 'number', nullable: true }, '')).toEqual({ ok: true, value: null });
    expect(parseValue({ kind: 'numbers' }, '1, 8')).toEqual({ ok: true, value: [1, 8] });
    expect(parseValue({ kind: 'numbers' }, '[1 x]')).toEqual({ ok: false, error: '"x" is not a number: list numbers separated by commas' });
    expect(parseValue({ kind: 'strings' }, '"q_proj", v_proj')).toEqual({ ok: true, value: ['q_proj', 'v_proj'] });
    const j = parseValue({ kind: 'json' }, '{"a": ');
    expect(j.ok).toBe(false);
    expect(!j.ok && j.error).toMatch(/^not valid JSON \(.*\): keep the shape of the default$/);
    expect(formatValue({ kind: 'numbers' }, [1, 8])).toBe('1, 8');
    expect(formatValue({ kind: 'number', nullable: true }, null)).toBe('');
  });

  it('accepts any Hugging Face id of the form owner/name', () => {
    expect(checkHubId('Qwen/Qwen3-0.6B')).toBeNull();
    expect(checkHubId('HuggingFaceTB/SmolLM2-135M-Instruct')).toBeNull();
    expect(checkHubId('qwen')).toMatch(/not a Hugging Face model id: type owner\/name/);
    expect(checkHubId(' ')).toMatch(/empty/);
  });

  it('setAt deletes a value and the objects it leaves empty', () => {
    const o: Record<string, unknown> = {};
    setAt(o, 'a.b.c', 1);
    setAt(o, 'a.d', 2);
    expect(o).toEqual({ a: { b: { c: 1 }, d: 2 } });
    setAt(o, 'a.b.c', undefined);
    expect(o).toEqual({ a: { d: 2 } });
    setAt(o, 'a.d', undefined);
    expect(o).toEqual({});
  });
});

describe('setup problems', () => {
  it('the default settings have none', () => {
    expect(setupProblems(defaultSettings())).toEqual([]);
  });

  it('modelDtype "f16" is refused on an adapter without shader-f16, with the values that work', () => {
    const s = defaultSettings();
    s.overrides = { modelDtype: 'f16' };
    expect(setupProblems(s, { shaderF16: false })).toEqual([{ path: 'modelDtype', message: expect.stringMatching(/no shader-f16.*use "auto" \(f32 on this adapter\) or "f32"/) }]);
    expect(setupProblems(s, { shaderF16: true })).toEqual([]);
    expect(setupProblems(s)).toEqual([]); // before the adapter is known the load itself refuses
    s.overrides = { modelDtype: 'auto' };
    expect(setupProblems(s, { shaderF16: false })).toEqual([]);
  });

  it('LoRA rank 0 and a negative seed are listed with their field and fix', () => {
    const s = defaultSettings();
    s.overrides = { lora: { rank: 0 } };
    s.seed = -5;
    const p = setupProblems(s);
    expect(p.map((q) => q.path).sort()).toEqual(['lora.rank', 'seed']);
    expect(p.find((q) => q.path === 'lora.rank')!.message).toMatch(/^lora\.rank \(0\) must be .*: use e\.g\. 8/);
    expect(p.find((q) => q.path === 'seed')!.message).toMatch(/^seed \(-5\) must be/);
  });

  it('a text that did not parse blocks Run, whatever older value the override holds', () => {
    const s = defaultSettings();
    s.overrides = { rollouts: { k: 3 } };
    s.invalid['rollouts.k'] = { text: 'three', error: '"three" is not a number: type digits, e.g. 2' };
    expect(setupProblems(s)).toEqual([{ path: 'rollouts.k', message: 'rollouts.k ("three"): "three" is not a number: type digits, e.g. 2' }]);
  });

  it('no arms, a bad hub id and an empty folder are problems', () => {
    const s = defaultSettings();
    s.arms = [];
    s.model = { kind: 'hub', id: 'not an id' };
    expect(setupProblems(s).map((q) => q.path)).toEqual(['arms', 'model']);
    s.model = { kind: 'hub', id: '' };
    expect(setupProblems(s)).toEqual([{ path: 'arms', message: expect.any(String) }, { path: 'model', message: 'model: the Hugging Face model id is empty: type one such as Qwen/Qwen3-0.6B' }]);
    s.model = { kind: 'folder', files: [] };
    expect(setupProblems(s).map((q) => q.path)).toEqual(['arms', 'model']);
  });

  it('a math task needs an uploaded file whose test split is not empty', () => {
    const s = defaultSettings();
    s.overrides = { data: { task: 'math', style: 'chat', dataset: 'small.csv' } };
    expect(setupProblems(s)).toEqual([{ path: 'data.dataset', message: expect.stringMatching(/no dataset file is uploaded/) }]);
    s.dataset = { name: 'small.csv', bytes: new Uint8Array(0) };
    // "small-0000N" all hash into the training split at the default 0.2 (seed 0)
    s.datasetIds = ids('small', 4);
    expect(splitCounts(s.datasetIds, { testFraction: 0.2, seed: 0 })).toEqual({ train: 4, test: 0 });
    const p = setupProblems(s);
    expect(p).toHaveLength(1);
    expect(p[0].path).toBe('data.testFraction');
    expect(p[0].message).toMatch(/^small\.csv: the test split is empty \(data\.testFraction 0\.2 holds out 0 of its 4 problems and leaves 4 to train on; at least 4 are needed: there is nothing to evaluate on\): upload a file with at least 8 problems \(it has 4\), or run the base arm only/);
    // the base arm alone needs test problems only: 0.95 puts all four there
    s.arms = ['base'];
    expect(setupProblems(s)[0].message).toMatch(/: set data\.testFraction to 0\.95 \(beside the upload: it gives 0 train \/ 4 test problems\)/);
    s.overrides.data!.testFraction = 0.95;
    expect(setupProblems(s)).toEqual([]);
  });

  it('an uploaded file whose split is too small says which data.testFraction fixes it, and the split follows data.splitSeed', () => {
    const s = defaultSettings();
    s.overrides = { data: { task: 'math', style: 'chat', dataset: 'twelve.csv' } };
    s.dataset = { name: 'twelve.csv', bytes: new Uint8Array(0) };
    s.datasetIds = ids('twelve', 12);
    expect(splitCounts(s.datasetIds, { testFraction: 0.2, seed: 0 })).toEqual({ train: 9, test: 3 });
    const [p, ...more] = setupProblems(s);
    expect(more).toEqual([]);
    expect(p.message).toBe('twelve.csv: the test split is too small (data.testFraction 0.2 holds out 3 of its 12 problems and leaves 9 to train on; at least 4 are needed: pass@1 on 3 problems moves in steps of 33 points and its interval spans almost everything): set data.testFraction to 0.25 (beside the upload: it gives 8 train / 4 test problems), or upload a file with more rows');
    s.overrides.data!.testFraction = 0.25;
    expect(setupProblems(s)).toEqual([]);
    // a large share starves the training arms
    s.overrides.data!.testFraction = 0.9;
    const [t] = setupProblems(s);
    expect(t.path).toBe('data.testFraction');
    expect(t.message).toMatch(/^twelve\.csv: the training split is too small \(data\.testFraction 0\.9 holds out 10 of its 12 problems and leaves 2 to train on; .*SFT and RL on 2 problems teach the model nothing worth measuring\): set data\.testFraction to 0\.7 \(beside the upload: it gives 4 train \/ 8 test problems\)/);
    // another split seed, another partition of the same ids
    expect(splitCounts(s.datasetIds, { testFraction: 0.2, seed: 1 })).toEqual({ train: 11, test: 1 });
    s.overrides.data = { task: 'math', style: 'chat', dataset: 'twelve.csv', testFraction: 0.25, splitSeed: 1 };
    expect(setupProblems(s).map((q) => q.message)).toEqual([expect.stringMatching(/holds out 3 of its 12 problems.*set data\.testFraction to 0\.35/)]);
    // a cap below the minimum is its own problem, on its own field
    s.overrides.data = { task: 'math', style: 'chat', dataset: 'twelve.csv', testFraction: 0.25, maxTestProblems: 2 };
    expect(setupProblems(s)).toEqual([{ path: 'data.maxTestProblems', message: expect.stringMatching(/^data\.maxTestProblems \(2\) caps the run at 2 of the 4 test problems, under the 4 .*raise it to 4 or more/) }]);
  });

  it('data.testFraction and data.splitSeed are validated with their fix and shown in words', () => {
    const s = defaultSettings();
    s.overrides = { data: { testFraction: 1, splitSeed: 0.5 } };
    const p = setupProblems(s);
    expect(p.map((q) => q.path)).toEqual(['data.testFraction', 'data.splitSeed']);
    expect(p[0].message).toMatch(/^data\.testFraction \(1\) must be .*use e\.g\. 0\.2 to hold out 20% of the problems/);
    expect(configField('data.testFraction')?.help).toMatch(/share of the dataset's problems held out as the test split.*Default 0\.2\./);
    expect(groupOf('data.testFraction')).toBe('basic');
    const how = { testFraction: 0.2, seed: 0 };
    expect(splitSentence({ train: 30, test: 8 }, { train: 4, test: 4 }, how)).toMatch(/^Split: 30 train \/ 8 test problems \(data\.testFraction 0\.2: about 20% held out, .*data\.splitSeed 0\); the run uses 4 of 30 train and 4 of 8 test problems \(data\.maxTrainProblems/);
    expect(splitSentence({ train: 3, test: 1 }, { train: 4, test: 4 }, how)).toMatch(/the run uses 3 train and 1 test problems\.$/);
  });
});
