// The experiment CLI's flags: --seeds and --scale (parsing, errors, what scaling grows and keeps),
// --strict, unknown flags and unknown --stop-after stages refused with the list of valid ones, and
// --dataset refused on a preset that does not read a dataset.
import { describe, expect, it } from 'vitest';
import { EXPERIMENT_FLAGS, parseExperimentArgs, parseScale, parseSeeds } from '../../src/cli/experiment';
import { presetConfig } from '../../src/int/config';
import { scaleConfig } from '../../src/int/scale';

describe('--seeds', () => {
  it('reads distinct integers and a default folder', () => {
    expect(parseSeeds('1,2, 3')).toEqual([1, 2, 3]);
    const p = parseExperimentArgs(['--preset', 'chains-smoke', '--seeds', '1,2']);
    expect(p).toMatchObject({ kind: 'run', seeds: [1, 2], scale: 1, out: 'runs/chains-smoke-seeds-1-2' });
    expect(parseExperimentArgs(['--preset', 'chains-smoke', '--seeds', '4', '--out', '/tmp/x'])).toMatchObject({ seeds: [4], out: '/tmp/x' });
    expect(parseExperimentArgs(['--preset', 'chains-smoke'])).toMatchObject({ seeds: null, out: 'runs/chains-smoke-seed0' });
  });

  it('says what is wrong', () => {
    expect(() => parseSeeds('1,,2')).toThrow(/--seeds takes integers >= 0, got ""/);
    expect(() => parseSeeds('1,x')).toThrow(/got "x"/);
    expect(() => parseSeeds('-1')).toThrow(/integers >= 0/);
    expect(() => parseSeeds('1.5')).toThrow(/integers >= 0/);
    expect(() => parseSeeds('2,3,2')).toThrow(/seed 2 twice/);
    expect(() => parseExperimentArgs(['--preset', 'chains-smoke', '--seed', '1', '--seeds', '1,2'])).toThrow(/exclude each other/);
    expect(() => parseExperimentArgs(['--resume', 'runs/x', '--seeds', '1,2'])).toThrow(/drop --seeds/);
  });
});

describe('--scale', () => {
  it('reads a positive number and refuses anything else', () => {
    expect(parseScale('4')).toBe(4);
    expect(parseScale('0.5')).toBe(0.5);
    for (const bad of ['0', '-2', 'x', '', 'Infinity']) expect(() => parseScale(bad)).toThrow(/--scale must be a positive number/);
    expect(() => parseExperimentArgs(['--preset', 'chains-smoke', '--scale', 'big'])).toThrow(/--scale must be a positive number/);
    expect(() => parseExperimentArgs(['--resume', 'runs/x', '--scale', '2'])).toThrow(/drop --scale/);
  });

  it('F = 1 changes nothing', () => {
    const c = presetConfig('chains-quick');
    expect(scaleConfig(c, 1)).toBe(c);
    expect(parseExperimentArgs(['--preset', 'chains-quick', '--scale', '1'])).toMatchObject({ config: c, scale: 1 });
  });

  it('grows counts of problems, samples and steps; keeps rates, epochs, lengths and shapes', () => {
    const c = presetConfig('chains-quick');
    const s = scaleConfig(c, 3);
    expect(s.data.chains.counts).toEqual({ easy: { train: 96, test: 48 }, medium: { train: 96, test: 48 }, hard: { train: 96, test: 48 } });
    expect([s.rollouts.k, s.continuation.k, s.rl.steps, s.eval.samples]).toEqual([3 * c.rollouts.k, 3 * c.continuation.k, 3 * c.rl.steps, 3 * c.eval.samples]);
    expect(s.sft).toEqual(c.sft);
    expect({ ...s.rl, steps: c.rl.steps }).toEqual(c.rl);
    expect([s.rollouts.poolSamples, s.propose.perAttempt, s.continuation.minCorrect, s.eval.ks]).toEqual([c.rollouts.poolSamples, c.propose.perAttempt, c.continuation.minCorrect, c.eval.ks]);
    expect([s.rollouts.sampling, s.propose.sampling, s.eval.sampling, s.lora]).toEqual([c.rollouts.sampling, c.propose.sampling, c.eval.sampling, c.lora]);
    const smoke = scaleConfig(presetConfig('chains-smoke'), 2);
    expect([smoke.data.maxTrainProblems, smoke.data.maxTestProblems, smoke.propose.maxAttempts]).toEqual([16, 16, 16]);
    expect(smoke.data.chains.counts?.medium).toEqual({ train: 0, test: 0 }); // an empty tier stays empty
    expect(parseExperimentArgs(['--preset', 'chains-smoke', '--scale', '2'])).toMatchObject({ config: smoke, out: 'runs/chains-smoke-x2-seed0' });
  });
});

describe('flags', () => {
  it('refuses unknown flags and stray arguments with the list of valid ones', () => {
    for (const argv of [['--preset', 'chains-smoke', '--seedz', '1'], ['--preset', 'chains-smoke', 'extra']]) {
      expect(() => parseExperimentArgs(argv)).toThrow(new RegExp(`valid flags: ${EXPERIMENT_FLAGS.join(', ')}`.replace(/-/g, '\\-')));
    }
    expect(EXPERIMENT_FLAGS).toContain('--seeds');
    expect(EXPERIMENT_FLAGS).toContain('--scale');
    expect(() => parseExperimentArgs([])).toThrow(/--preset is required/);
    expect(() => parseExperimentArgs(['--preset', 'nope'])).toThrow(/known presets/);
    expect(parseExperimentArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseExperimentArgs(['--resume', 'runs/x', '--stop-after', 'pool'])).toEqual({ kind: 'resume', out: 'runs/x', stopAfter: 'pool', force: false });
    // --force (replace another run's exports) goes with a new run and with a resume
    expect(parseExperimentArgs(['--resume', 'runs/x', '--force'])).toMatchObject({ kind: 'resume', force: true });
    expect(parseExperimentArgs(['--preset', 'chains-smoke', '--force'])).toMatchObject({ kind: 'run', force: true });
    expect(parseExperimentArgs(['--preset', 'chains-smoke'])).toMatchObject({ kind: 'run', force: false });
  });

  it('--strict sets data.strict (refuse a dataset with skipped rows); not with --resume', () => {
    const plain = parseExperimentArgs(['--preset', 'hf-math', '--dataset', 'x.csv']);
    expect(plain.kind === 'run' && plain.config.data).toMatchObject({ dataset: 'x.csv', strict: false });
    const strict = parseExperimentArgs(['--preset', 'hf-math', '--dataset', 'x.csv', '--strict']);
    expect(strict.kind === 'run' && strict.config.data).toMatchObject({ dataset: 'x.csv', strict: true });
    const noDataset = parseExperimentArgs(['--preset', 'hf-math', '--strict']);
    expect(noDataset.kind === 'run' && noDataset.config.data).toMatchObject({ dataset: 'imo-answerbench', strict: true });
    expect(() => parseExperimentArgs(['--resume', 'runs/x', '--strict'])).toThrow(/drop --strict/);
  });
});

describe('options checked before any work', () => {
  it('--stop-after takes a stage of the run; a typo is refused with the list', () => {
    expect(() => parseExperimentArgs(['--preset', 'chains-smoke', '--stop-after', 'rollout'])).toThrow(
      /--stop-after "rollout" is not a stage of this run; its stages: pool, rollouts, propose, filter, continuations, reflect, diagnostics, sft-sets, base\/sft, base\/rl, base\/eval, rl\/sft/,
    );
    expect(() => parseExperimentArgs(['--preset', 'chains-smoke', '--arms', 'base,rl', '--stop-after', 'int_rl/sft'])).toThrow(/its stages: .*rl\/eval$/);
    expect(() => parseExperimentArgs(['--resume', 'runs/x', '--stop-after', 'rollout'])).toThrow(/"rollout" is not a stage/);
    expect(parseExperimentArgs(['--preset', 'chains-smoke', '--arms', 'base,rl', '--stop-after', 'rl/sft'])).toMatchObject({ stopAfter: 'rl/sft' });
    expect(parseExperimentArgs(['--resume', 'runs/x', '--stop-after', 'int_rl/eval'])).toMatchObject({ stopAfter: 'int_rl/eval' });
  });

  it('--dataset with a chains preset is refused with the fix', () => {
    expect(() => parseExperimentArgs(['--preset', 'chains-smoke', '--dataset', 'data.csv'])).toThrow(
      /--dataset applies to math presets only: preset "chains-smoke" generates its own chains problems .*Drop --dataset, or pick a math preset \(hf-math\)/,
    );
    expect(parseExperimentArgs(['--preset', 'hf-math', '--dataset', 'data.csv'])).toMatchObject({ config: { data: { dataset: 'data.csv' } } });
  });
});
