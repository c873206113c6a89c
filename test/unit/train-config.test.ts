// Training configs: documented defaults (the InT paper's values), derived defaults, and
// validation messages that list every bad field with its fix.
import { describe, expect, it } from 'vitest';
import {
  DAPO_EPSILON_HIGH,
  drGrpoNormaliser,
  LR_PRESETS,
  validateGrpoConfig,
  validateOptimConfig,
  validateSftConfig,
  type GrpoConfigInput,
} from '../../src/train/config';
import { ConfigError } from '../../src/util/config-kit';
import { problemsOf } from '../shared/problems';


describe('defaults', () => {
  it('SFT: the paper (lr 1e-6, 4 epochs, cosine to 0.1, warm-up 10%, effective batch 64)', () => {
    const c = validateSftConfig();
    expect(c).toMatchObject({ kind: 'sft', epochs: 4, batchSize: 64 });
    expect(c.optim).toEqual({
      lr: 1e-6, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1,
      schedule: 'cosine', minLrRatio: 0.1, warmupRatio: 0.1, warmupSteps: 0,
    });
  });

  it('GRPO: the paper (G 8, 32 prompts, 400 steps, temperature 1, no KL, no std scaling, constant lr 1e-6)', () => {
    const c = validateGrpoConfig();
    expect(c).toMatchObject({
      kind: 'grpo', lossType: 'grpo', numGenerations: 8, promptsPerStep: 32, steps: 400, temperature: 1,
      topP: 1, topK: 0, passesPerBatch: 1, epsilonLow: 0.2, epsilonHigh: 0.2, beta: 0, entropyCoef: 0,
      scaleRewards: 'none', maskTruncatedCompletions: false,
    });
    expect(c.optim).toMatchObject({ lr: 1e-6, schedule: 'constant', warmupRatio: 0, maxGradNorm: 1, weightDecay: 0 });
  });

  it('epsilonHigh follows the loss type unless given; dr_grpo normalises by maxCompletionLength unless told', () => {
    expect(validateGrpoConfig({ lossType: 'dapo' }).epsilonHigh).toBe(DAPO_EPSILON_HIGH);
    expect(validateGrpoConfig({ lossType: 'dapo' }).epsilonLow).toBe(0.2);
    expect(validateGrpoConfig({ epsilonLow: 0.1 }).epsilonHigh).toBe(0.1);
    expect(validateGrpoConfig({ lossType: 'dapo', epsilonHigh: 0.3 }).epsilonHigh).toBe(0.3);
    expect(drGrpoNormaliser(validateGrpoConfig({ lossType: 'dr_grpo', maxCompletionLength: 300 }))).toBe(300);
    expect(drGrpoNormaliser(validateGrpoConfig({ lossType: 'dr_grpo', constantNormaliser: 128 }))).toBe(128);
  });

  it('overrides keep the other defaults; undefined fields fall back to defaults; LoRA presets are documented', () => {
    const c = validateSftConfig({ epochs: 2, optim: { lr: LR_PRESETS.loraSmallSft }, seed: undefined });
    expect(c.epochs).toBe(2);
    expect(c.seed).toBe(0);
    expect(c.optim.lr).toBe(2e-4);
    expect(c.optim.schedule).toBe('cosine');
    expect(LR_PRESETS).toEqual({ paperFullFinetune: 1e-6, loraSmallSft: 2e-4, loraSmallRl: 1e-4, loraTinySft: 2e-3, loraTinyRl: 1e-3 });
    expect(validateOptimConfig({ lr: undefined }).lr).toBe(1e-6);
  });
});

describe('validation messages', () => {
  it('epsilonHigh below epsilonLow names both values and the fix', () => {
    const p = problemsOf(() => validateGrpoConfig({ lossType: 'dapo', epsilonLow: 0.2, epsilonHigh: 0.1 }));
    expect(p).toEqual([
      "epsilonHigh (0.1) must be >= epsilonLow (0.2): set epsilonHigh to 0.28 (DAPO's value) or lower epsilonLow",
    ]);
  });

  it('lists every bad field at once, each with a fix, nested optimiser fields prefixed', () => {
    const bad = {
      lossType: 'ppo', numGenerations: 1, temperature: 0, topP: 1.5, passesPerBatch: 0, beta: -1,
      scaleRewards: 'std', optim: { lr: 0, beta2: 1, schedule: 'linear', warmupSteps: 2.5 },
    } as unknown as GrpoConfigInput;
    let err: unknown;
    try {
      validateGrpoConfig(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const p = (err as ConfigError).problems;
    expect(p).toHaveLength(11);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^invalid GRPO config \(11 problems\):/);
    expect(msg).toContain('lossType ("ppo") must be one of "grpo", "dr_grpo", "dapo"');
    expect(msg).toContain('numGenerations (1) must be an integer >= 2: a group of one sample always has advantage 0 and learns nothing; use 8 (the paper)');
    expect(msg).toContain('temperature (0) must be in (0, 10]: use 1.0');
    expect(msg).toContain('topP (1.5) must be in (0, 1]');
    expect(msg).toContain('passesPerBatch (0) must be an integer >= 1');
    expect(msg).toContain('beta (-1) must be a finite number >= 0: use 0 (InT uses no KL)');
    expect(msg).toContain('scaleRewards ("std") must be one of "none", "group", "batch"');
    expect(msg).toContain('optim.lr (0) must be in (0, 1): use 1e-6 for a full fine-tune (the paper) or 2e-4 / 1e-4 for LoRA SFT / RL on a small model');
    expect(msg).toContain('optim.beta2 (1) must be in [0, 1): use 0.999');
    expect(msg).toContain('optim.schedule ("linear") must be one of "constant", "cosine"');
    expect(msg).toContain('optim.warmupSteps (2.5) must be an integer >= 0');
    for (const line of p) expect(line).toMatch(/: |did you mean|true or false/);
  });

  it('unknown fields are reported, with the camelCase name for snake_case spellings', () => {
    const p = problemsOf(() => validateGrpoConfig({ epsilon_high: 0.28, num_generations: 8, foo: 1 } as unknown as GrpoConfigInput));
    expect(p).toContain('epsilon_high is not a field: did you mean epsilonHigh?');
    expect(p).toContain('num_generations is not a field: did you mean numGenerations?');
    expect(p.find((x) => x.startsWith('foo is not a field; known fields:'))).toBeDefined();
    const q = problemsOf(() => validateSftConfig({ optim: { max_grad_norm: 1 } } as never));
    expect(q).toEqual(['optim.max_grad_norm is not a field: did you mean optim.maxGradNorm?']);
  });

  it('SFT and optimiser configs report their own fields', () => {
    const p = problemsOf(() => validateSftConfig({ epochs: 0, batchSize: 1.5, shuffle: 'yes' as never, optim: { minLrRatio: 2, warmupRatio: 1 } }));
    expect(p).toEqual([
      'epochs (0) must be an integer >= 1: use 4 (the paper)',
      'batchSize (1.5) must be an integer >= 1: use 64 (the paper) or fewer for a small SFT set',
      'shuffle ("yes") must be true or false',
      'optim.minLrRatio (2) must be in [0, 1]: use 0.1 (cosine to 0.1 of lr, the paper) or 0 to decay to zero',
      "optim.warmupRatio (1) must be in [0, 1): use 0.1 (10% of the steps, the paper's SFT) or 0 for none",
    ]);
    const o = problemsOf(() => validateOptimConfig({ eps: 0, maxGradNorm: Infinity, weightDecay: NaN }));
    expect(o).toHaveLength(3);
    expect(o[0]).toBe('eps (0) must be in (0, 1): use 1e-8');
    expect(() => validateOptimConfig({ maxGradNorm: 0 })).not.toThrow();
  });

  it('a config of the wrong kind is refused with the right validator named', () => {
    expect(problemsOf(() => validateSftConfig({ kind: 'grpo' } as never))[0]).toMatch(/use validateGrpoConfig for RL/);
    expect(problemsOf(() => validateGrpoConfig({ kind: 'sft' } as never))[0]).toMatch(/use validateSftConfig for SFT/);
  });
});
