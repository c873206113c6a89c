// The config-validation kit (src/util/config-kit.ts) and every resolver built on it: each check,
// unknown keys with "did you mean", nested prefixes, and every problem reported in one ConfigError.
import { describe, expect, it } from 'vitest';
import { resolveIntConfig, type IntConfigInput } from '../../src/int/config';
import { resolveImportConfig } from '../../src/tasks/math/import-config';
import { resolveLoraConfig, type LoraConfigInput } from '../../src/model/lora-config';
import { resolveChainsConfig } from '../../src/tasks/chains/config';
import { resolvePretrainConfig } from '../../src/tasks/chains/pretrain-data';
import { validateGrpoConfig, validateOptimConfig, validateSftConfig } from '../../src/train/config';
import {
  bool,
  camel,
  check,
  ConfigError,
  defined,
  didYouMean,
  inRange,
  inRangeOrNull,
  int,
  intOrNull,
  list,
  nested,
  num,
  oneOf,
  str,
  strOrNull,
  throwIfProblems,
  unknownKeys,
  type Problems,
} from '../../src/util/config-kit';
import { problemsOf } from '../shared/problems';


/** Run one check on a fresh problem list; returns the list. */
function run(f: (p: Problems) => unknown): Problems {
  const p: Problems = [];
  f(p);
  return p;
}

describe('field checks', () => {
  it('check / num: "name (value) must be rule: fix", values as written', () => {
    expect(run((p) => check(p, 'a', 'x', false, 'good', 'make it good'))).toEqual(['a ("x") must be good: make it good']);
    expect(run((p) => check(p, 'a', 1, true, 'good', 'fix'))).toEqual([]);
    expect(run((p) => num(p, 'n', NaN, () => true, 'a number', 'use 1'))).toEqual(['n (NaN) must be a number: use 1']);
    expect(run((p) => num(p, 'n', '3', () => true, 'a number', 'use 3'))).toEqual(['n ("3") must be a number: use 3']);
  });

  it('inRange: open and closed bounds, one-sided ranges, finite only', () => {
    const open = { min: 0, max: 1, minOpen: true, maxOpen: true };
    expect(run((p) => inRange(p, 'x', 0.5, open, 'f'))).toEqual([]);
    expect(run((p) => inRange(p, 'x', 0, open, 'use 0.5'))).toEqual(['x (0) must be in (0, 1): use 0.5']);
    expect(run((p) => inRange(p, 'x', 1, { min: 0, max: 1 }, 'f'))).toEqual([]);
    expect(run((p) => inRange(p, 'x', 1, { min: 0, max: 1, maxOpen: true }, 'f'))).toEqual(['x (1) must be in [0, 1): f']);
    expect(run((p) => inRange(p, 'x', Infinity, { min: 0 }, 'f'))).toEqual(['x (Infinity) must be a finite number >= 0: f']);
    expect(run((p) => inRange(p, 'x', 0, { min: 0, minOpen: true }, 'f'))).toEqual(['x (0) must be a finite number > 0: f']);
    expect(run((p) => inRangeOrNull(p, 'x', null, { min: 0 }, 'f'))).toEqual([]);
    expect(run((p) => inRangeOrNull(p, 'x', -1, { min: 0 }, 'f'))).toEqual(['x (-1) must be null or a finite number >= 0: f']);
  });

  it('int / intOrNull: safe integers >= min', () => {
    expect(run((p) => int(p, 'k', 2, 1, 'f'))).toEqual([]);
    expect(run((p) => int(p, 'k', 1.5, 1, 'use 2'))).toEqual(['k (1.5) must be an integer >= 1: use 2']);
    expect(run((p) => int(p, 'k', 0, 1, 'f'))).toHaveLength(1);
    expect(run((p) => int(p, 'k', 2 ** 60, 0, 'f'))).toHaveLength(1);
    expect(run((p) => intOrNull(p, 'k', null, 1, 'f'))).toEqual([]);
    expect(run((p) => intOrNull(p, 'k', 0, 1, 'use null'))).toEqual(['k (0) must be null or an integer >= 1: use null']);
  });

  it('oneOf, bool, str, strOrNull, list', () => {
    expect(run((p) => oneOf(p, 'm', 'b', ['a', 'b'] as const, 'f'))).toEqual([]);
    expect(run((p) => oneOf(p, 'm', 'c', ['a', 'b'] as const, 'use "a"'))).toEqual(['m ("c") must be one of "a", "b": use "a"']);
    expect(run((p) => bool(p, 'b', false))).toEqual([]);
    expect(run((p) => bool(p, 'b', 'yes'))).toEqual(['b ("yes") must be true or false']);
    expect(run((p) => str(p, 's', ' ', 'name it'))).toEqual(['s (" ") must be a non-empty string: name it']);
    expect(run((p) => str(p, 's', '', 'f', true))).toEqual([]);
    expect(run((p) => strOrNull(p, 's', null, 'f'))).toEqual([]);
    expect(run((p) => strOrNull(p, 's', 3, 'f'))).toEqual(['s (3) must be null or a non-empty string: f']);
    const isPos = (x: unknown) => typeof x === 'number' && x > 0;
    expect(run((p) => list(p, 'ks', [1, 2], isPos, 'numbers > 0', 'f'))).toEqual([]);
    expect(run((p) => list(p, 'ks', [], isPos, 'numbers > 0', 'use [1]'))).toEqual(['ks ([]) must be a non-empty list of numbers > 0: use [1]']);
    expect(run((p) => list(p, 'ks', [], isPos, 'numbers > 0', 'f', true))).toEqual([]);
    expect(run((p) => list(p, 'ks', [1, -1], isPos, 'numbers > 0', 'f'))).toHaveLength(1);
  });

  it('defined drops undefined keys only', () => {
    expect(defined({ a: 1, b: undefined, c: null, d: 0 })).toEqual({ a: 1, c: null, d: 0 });
  });
});

describe('unknown keys and "did you mean"', () => {
  const known = ['numGenerations', 'epsilonHigh', 'rank', 'alpha'];

  it('camelCase of snake_case / kebab-case spellings, then close edit distance', () => {
    expect(camel('num_generations')).toBe('numGenerations');
    expect(camel('epsilon-high')).toBe('epsilonHigh');
    expect(didYouMean('num_generations', known)).toBe('numGenerations');
    expect(didYouMean('NUMGENERATIONS', known)).toBe('numGenerations');
    expect(didYouMean('numGeneratons', known)).toBe('numGenerations');
    expect(didYouMean('alpah', known)).toBe('alpha');
    expect(didYouMean('r', known)).toBeUndefined();
    expect(didYouMean('zzzzzz', known)).toBeUndefined();
  });

  it('lists each unknown key with the suggestion, or the known fields; fixed hints win', () => {
    const p = run((q) => unknownKeys(q, 'rl.', { num_generations: 8, foo: 1, rank: 2, dropout: 0 }, known, { dropout: 'not supported; remove it' }));
    expect(p).toEqual([
      'rl.num_generations is not a field: did you mean rl.numGenerations?',
      `rl.foo is not a field; known fields: ${known.join(', ')}`,
      'rl.dropout is not a field: not supported; remove it',
    ]);
    expect(run((q) => unknownKeys(q, '', 5, known))).toEqual([]);
  });
});

describe('nested and ConfigError', () => {
  it('nested lifts a sub-resolver\'s problems under a prefix and returns undefined; other errors pass', () => {
    const p: Problems = [];
    expect(nested(p, 'sft.', () => 7)).toBe(7);
    expect(nested(p, 'sft.', () => throwIfProblems('SFT config', ['a (0) must be x: y', 'b (1) must be z: w']))).toBeUndefined();
    expect(p).toEqual(['sft.a (0) must be x: y', 'sft.b (1) must be z: w']);
    expect(() => nested(p, 'x.', () => { throw new TypeError('boom'); })).toThrow(TypeError);
  });

  it('ConfigError names what, counts the problems and lists each on its own line', () => {
    const e = new ConfigError('thing', ['a is bad: fix a', 'b is bad: fix b']);
    expect(e.message).toBe('invalid thing (2 problems):\n  - a is bad: fix a\n  - b is bad: fix b');
    expect(e.name).toBe('ConfigError');
    expect(() => throwIfProblems('thing', [])).not.toThrow();
  });
});

describe('every resolver reports all problems at once, each with its fix, and refuses unknown keys', () => {
  /** [resolver, input with two bad fields, the start of each expected problem] */
  const cases: [string, () => unknown, string[]][] = [
    ['optimiser', () => validateOptimConfig({ lr: 0, beta1: 2 }), ['lr (0)', 'beta1 (2)']],
    ['SFT', () => validateSftConfig({ epochs: 0, batch_size: 4 } as never), ['epochs (0)', 'batch_size is not a field: did you mean batchSize?']],
    ['GRPO', () => validateGrpoConfig({ topP: 2, lossTpye: 'dapo' } as never), ['topP (2)', 'lossTpye is not a field: did you mean lossType?']],
    ['LoRA', () => resolveLoraConfig({ rank: 0, alpha: -1 }), ['rank (0)', 'alpha (-1)']],
    ['chains', () => resolveChainsConfig({ testShare: 2, sed: 1 } as never), ['testShare (2)', 'sed is not a field: did you mean seed?']],
    ['pretrain data', () => resolvePretrainConfig({ copySlipShare: 2, slip: { maxStep: 3 } }), ['slip.maxStep (3)', 'copySlipShare (2)']],
    ['dataset import', () => resolveImportConfig({ testFraction: 1, duplicateIds: 'keep' as never }), ['testFraction (1)', 'duplicateIds ("keep")']],
    ['InT', () => resolveIntConfig({ seed: -1, lora: { rank: 0 } }), ['seed (-1)', 'lora.rank (0)']],
  ];
  for (const [name, f, starts] of cases) {
    it(name, () => {
      const p = problemsOf(f);
      expect(p).toHaveLength(starts.length);
      for (const s of starts) expect(p.some((m) => m.startsWith(s)), `${s} in ${p.join(' | ')}`).toBe(true);
      for (const m of p) expect(m).toMatch(/: \S/); // every line carries its fix
    });
  }
});

describe('LoRA: PEFT spellings and early validation', () => {
  it('r, lora_alpha, use_rslora and target_modules are PEFT\'s names of our fields', () => {
    const c = resolveLoraConfig({ r: 8, lora_alpha: 4, use_rslora: true, target_modules: ['q_proj', 'v_proj'] });
    expect(c).toMatchObject({ rank: 8, alpha: 4, rsLora: true, targetModules: ['q_proj', 'v_proj'] });
    expect(resolveLoraConfig({ target_modules: 'all-linear' }).targetModules).toHaveLength(7);
  });

  it('refuses both spellings of one field, patterns, and PEFT fields we do not have, each with a fix', () => {
    const p = problemsOf(() => resolveLoraConfig({ r: 8, rank: 4, target_modules: '.*proj', lora_dropout: 0.1, targets: ['q_proj'] } as unknown as LoraConfigInput));
    expect(p).toEqual([
      'lora_dropout is not a field: LoRA dropout is not supported (adapters train without dropout); remove it',
      'targets is not a field: did you mean targetModules?',
      "r is PEFT's spelling of rank, and both are given: keep one (rank)",
      'target_modules (".*proj"): a pattern is not supported; list the modules, e.g. targetModules: ["q_proj", "v_proj"], or use "all-linear"',
    ]);
  });

  it('resolveIntConfig validates lora before any stage runs and stores PEFT spellings under our names', () => {
    expect(problemsOf(() => resolveIntConfig({ lora: { rank: 0 } }))).toEqual(["lora.rank (0) must be an integer >= 1: use e.g. 8 or 16 (PEFT's r)"]);
    expect(problemsOf(() => resolveIntConfig({ lora: { targetModules: ['lm_head' as 'q_proj'] } }))[0]).toMatch(/^lora\.targetModules has "lm_head", not a linear module/);
    expect(resolveIntConfig({ lora: { r: 8, lora_alpha: 16 } }).lora).toEqual({ rank: 8, alpha: 16 });
    expect(resolveIntConfig({ lora: { rank: 4, alpha: 8 } }).lora).toEqual({ rank: 4, alpha: 8 });
    expect(resolveIntConfig({ lora: { seed: 5 } }).lora.seed).toBe(5);
    expect(resolveIntConfig().lora).toEqual({});
  });

  it('resolveIntConfig validates data.chains through the chains resolver, under its prefix', () => {
    const p = problemsOf(() => resolveIntConfig({ data: { chains: { testShare: 0, counts: { nope: { train: 1 } } } } } as IntConfigInput));
    expect(p.map((m) => m.slice(0, 25))).toEqual(['data.chains.testShare (0)', 'data.chains.counts has ti']);
    expect(problemsOf(() => resolveIntConfig({ data: { chains: { style: 'chat' } } }))[0]).toMatch(/^data\.chains\.style is not used .*set data\.style/);
  });
});
