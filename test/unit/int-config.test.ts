// The InT config: the paper's values as defaults, nested merging, validation listing every bad
// field with a fix, and the preset registry.
import { describe, expect, it } from 'vitest';
import {
  getPreset,
  INT_PRESETS,
  mathSplitOf,
  mergeConfig,
  presetConfig,
  presetNames,
  registerPreset,
  resolveIntConfig,
  type DataConfig,
  type IntConfig,
  type IntConfigInput,
} from '../../src/int/config';
import type { Task } from '../../src/tasks/task';
import { browserTask } from '../../src/worker/browser-run';
import { splitCounts } from '../../src/ui/setup-check';
import { ConfigError } from '../../src/util/config-kit';
import { createChainsTask } from '../../src/tasks/chains';
import { problemsOf as problemsOfCall } from '../shared/problems';

const problemsOf = (input: IntConfigInput): string[] => problemsOfCall(() => resolveIntConfig(input));

describe('defaults are the paper\'s values', () => {
  const c = resolveIntConfig();

  it('rollouts, proposals, continuation check', () => {
    expect(c.rollouts).toMatchObject({ k: 4, sampling: { temperature: 0.7, topP: 0.8, topK: 20 }, poolSamples: 64, poolMaxCorrect: 0 });
    expect(c.propose.perAttempt).toBe(4);
    expect(c.filter).toMatchObject({ keep: 'first', allowAppend: false, allowEmpty: false });
    expect(c.continuation).toMatchObject({ enabled: false, k: 32, minCorrect: 1 });
  });

  it('SFT: lr 1e-6, 4 epochs, cosine to 0.1, warm-up 10%, effective batch 64', () => {
    expect(c.sft).toMatchObject({ kind: 'sft', epochs: 4, batchSize: 64 });
    expect(c.sft.optim).toMatchObject({ lr: 1e-6, schedule: 'cosine', minLrRatio: 0.1, warmupRatio: 0.1 });
  });

  it('RL: GRPO, 8 samples x 32 prompts, lr 1e-6, 400 steps, temperature 1, reward - group mean, no KL', () => {
    expect(c.rl).toMatchObject({ kind: 'grpo', lossType: 'grpo', numGenerations: 8, promptsPerStep: 32, steps: 400, temperature: 1, scaleRewards: 'none', beta: 0, entropyCoef: 0 });
    expect(c.rl.optim.lr).toBe(1e-6);
  });

  it('eval: 128 samples at 0.7 / 0.8 / 20 with a 16k budget; bootstrap 1000', () => {
    expect(c.eval).toMatchObject({ samples: 128, sampling: { temperature: 0.7, topP: 0.8, topK: 20, maxNewTokens: 16384 }, ks: [1, 8] });
    expect(c.eval.bootstrap).toEqual({ resamples: 1000, seed: 0, level: 0.95 });
  });

  it('resolved configs do not share state with the defaults or each other', () => {
    const a = resolveIntConfig();
    a.rollouts.sampling.temperature = 9;
    a.eval.ks.push(64);
    a.data.chains.seed = 5;
    const b = resolveIntConfig();
    expect(b.rollouts.sampling.temperature).toBe(0.7);
    expect(b.eval.ks).toEqual([1, 8]);
    expect(b.data.chains).toEqual({});
  });
});

describe('overrides and validation', () => {
  it('merges nested sections field by field; arrays are replaced', () => {
    const c = resolveIntConfig({ rollouts: { sampling: { temperature: 1.2 } }, eval: { ks: [1] }, sft: { optim: { lr: 2e-4 } } });
    expect(c.rollouts.sampling).toEqual({ temperature: 1.2, topP: 0.8, topK: 20, maxNewTokens: 1024 });
    expect(c.eval.ks).toEqual([1]);
    expect(c.sft.optim).toMatchObject({ lr: 2e-4, schedule: 'cosine' });
    expect(mergeConfig({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] }, d: undefined })).toEqual({ a: { b: 1, c: [3] } });
  });

  it('refuses a sampling temperature above 10 (near-uniform sampling: a typo) and the RL temperature likewise', () => {
    const p = problemsOf({ eval: { sampling: { temperature: 1e9 } }, rl: { temperature: 11 } });
    expect(p.find((m) => m.startsWith('eval.sampling.temperature'))).toMatch(/\(0, 10\].*use 0\.7/);
    expect(p.some((m) => m.startsWith('rl.temperature'))).toBe(true);
    expect(resolveIntConfig({ eval: { sampling: { temperature: 10 } } }).eval.sampling.temperature).toBe(10);
  });

  it('lists every bad field with its fix, SFT / RL ones under their prefix', () => {
    const p = problemsOf({
      rollouts: { k: 0, sampling: { topP: 1.5 } },
      eval: { samples: 4, ks: [1, 8] },
      sft: { epochs: 0 },
      rl: { numGenerations: 1 },
      hint: { fraction: 2 },
    });
    expect(p).toHaveLength(6);
    expect(p.find((m) => m.startsWith('rollouts.k'))).toMatch(/use 4/);
    expect(p.find((m) => m.startsWith('rollouts.sampling.topP'))).toMatch(/\(0, 1\]/);
    expect(p.find((m) => m.startsWith('eval.ks'))).toMatch(/k > eval.samples/);
    expect(p.find((m) => m.startsWith('sft.epochs'))).toBeDefined();
    expect(p.find((m) => m.startsWith('rl.numGenerations'))).toBeDefined();
    expect(p.find((m) => m.startsWith('hint.fraction'))).toMatch(/\[0, 1\]/);
  });

  it('arms and finetune: defaults, valid values and fix-it messages', () => {
    const c = resolveIntConfig();
    expect(c.arms).toBeNull();
    expect(c.finetune).toBe('lora');
    expect(resolveIntConfig({ finetune: 'full', arms: ['rl', 'int_sft'] })).toMatchObject({ finetune: 'full', arms: ['rl', 'int_sft'] });
    const p = problemsOf({ finetune: 'qlora', arms: ['rl', 'int_rll'] } as unknown as IntConfigInput);
    expect(p).toHaveLength(2);
    expect(p.find((m) => m.startsWith('finetune'))).toMatch(/"lora", "full".*use "lora"/);
    expect(c.modelDtype).toBe('auto');
    expect(resolveIntConfig({ modelDtype: 'f32' }).modelDtype).toBe('f32');
    expect(problemsOf({ modelDtype: 'bf16' } as unknown as IntConfigInput).find((m) => m.startsWith('modelDtype'))).toMatch(/"auto", "f16", "f32".*use "auto"/);
    expect(p.find((m) => m.startsWith('arms'))).toMatch(/int_sft_with_suffix.*use null for every arm/);
    expect(problemsOf({ arms: [] })[0]).toMatch(/^arms .*non-empty/);
  });

  it('flags unknown fields and task inconsistencies', () => {
    expect(problemsOf({ rollout: { k: 2 } } as IntConfigInput)[0]).toMatch(/rollout is not a field/);
    expect(problemsOf({ rollouts: { K: 2 } } as IntConfigInput)[0]).toMatch(/rollouts.K is not a field/);
    const math = problemsOf({ data: { task: 'math' } });
    expect(math.some((m) => m.startsWith('data.style'))).toBe(true);
    expect(math.some((m) => m.startsWith('data.dataset'))).toBe(true);
    expect(problemsOf({ data: { strict: 'yes' } } as unknown as IntConfigInput)[0]).toMatch(/^data\.strict .*true or false/);
    expect(problemsOf({ continuation: { k: 4, minCorrect: 5 } })[0]).toMatch(/minCorrect/);
    expect(problemsOf({ rollouts: { poolSamples: 4, poolMaxCorrect: 4 } })[0]).toMatch(/poolMaxCorrect/);
  });
});

describe('the split of a math dataset', () => {
  const csv = 'question,answer\n' + Array.from({ length: 40 }, (_, i) => `What is ${i} + 1?,${i + 1}`).join('\n') + '\n';
  const upload = { name: 'forty.csv', bytes: new TextEncoder().encode(csv) };
  const math = (data: IntConfigInput['data']) => resolveIntConfig({ data: { task: 'math', style: 'chat', dataset: 'forty.csv', ...data } });
  const sizes = (t: Task) => [t.problems('train').length, t.problems('test').length];

  it('data.testFraction and data.splitSeed choose the run\'s split, the same one the setup predicts', async () => {
    expect(resolveIntConfig().data).toMatchObject({ testFraction: 0.2, splitSeed: 0 });
    const ids = Array.from({ length: 40 }, (_, i) => `forty-${String(i + 1).padStart(5, '0')}`);
    for (const [testFraction, splitSeed] of [[0.2, 0], [0.5, 0], [0.5, 3]] as const) {
      const want = splitCounts(ids, { testFraction, seed: splitSeed });
      expect(sizes(await browserTask(math({ testFraction, splitSeed }), upload))).toEqual([want.train, want.test]);
    }
    expect(sizes(await browserTask(math({ testFraction: 0.5 }), upload))).toEqual([20, 20]);
    const a = (await browserTask(math({ testFraction: 0.5 }), upload)).problems('test').map((p) => p.id);
    const b = (await browserTask(math({ testFraction: 0.5, splitSeed: 3 }), upload)).problems('test').map((p) => p.id);
    expect(a).not.toEqual(b);
  });

  it('a config saved before the fields existed splits as the defaults do; bad values name their fix', async () => {
    const old = structuredClone(math({})) as IntConfig;
    delete (old.data as Partial<DataConfig>).testFraction;
    delete (old.data as Partial<DataConfig>).splitSeed;
    expect(mathSplitOf(old.data)).toEqual({ testFraction: 0.2, seed: 0 });
    expect(sizes(await browserTask(old, upload))).toEqual(sizes(await browserTask(math({}), upload)));
    expect(problemsOf({ data: { testFraction: 0, splitSeed: -1 } })).toEqual([
      expect.stringMatching(/^data\.testFraction \(0\) must be in \(0, 1\): use e\.g\. 0\.2 to hold out 20% of the problems$/),
      expect.stringMatching(/^data\.splitSeed \(-1\) must be an integer >= 0: use 0/),
    ]);
  });
});

describe('presets', () => {
  it('has the four named presets, each valid', () => {
    expect(presetNames()).toEqual(expect.arrayContaining(['chains-smoke', 'chains-quick', 'chains-full', 'hf-math']));
    for (const name of Object.keys(INT_PRESETS)) expect(() => presetConfig(name)).not.toThrow();
  });

  it('chains-smoke is tiny: 8 train problems, K = 2, a few RL steps', () => {
    const c = presetConfig('chains-smoke');
    expect(c.rollouts.k).toBe(2);
    expect(c.data.maxTrainProblems).toBe(8);
    expect(c.rl.steps).toBeLessThanOrEqual(4);
    expect(c.filter).toMatchObject({ allowAppend: true, allowEmpty: true });
    expect(createChainsTask(c.data.chains).problems('train')).toHaveLength(8);
  });

  it('hf-math is a math run with a hub model', () => {
    const c = presetConfig('hf-math');
    expect(c.data).toMatchObject({ task: 'math', style: 'chat', dataset: 'imo-answerbench' });
    expect(typeof c.model).toBe('string');
  });

  it('overrides apply on top of a preset', () => {
    const c = presetConfig('chains-smoke', { rollouts: { k: 3 }, rl: { steps: 1 } });
    expect(c.rollouts.k).toBe(3);
    expect(c.rl.steps).toBe(1);
    expect(c.rl.numGenerations).toBe(2); // from the preset
  });

  it('registry: unknown names, duplicates and invalid presets are refused', () => {
    expect(() => getPreset('nope')).toThrow(/known presets: .*chains-smoke/);
    expect(() => registerPreset({ name: 'chains-smoke', description: '', config: {} })).toThrow(/already exists/);
    expect(() => registerPreset({ name: 'bad-one', description: '', config: { rollouts: { k: -1 } } })).toThrow(ConfigError);
    expect(() => registerPreset({ name: 'Bad Name', description: '', config: {} })).toThrow(/lowercase/);
    registerPreset({ name: 'test-extra', description: 'extra', config: { seed: 7 } });
    expect(presetConfig('test-extra').seed).toBe(7);
  });
});
