// `npm run pretrain` flags: numbers, the data mix, and clear errors for what does not parse.
import { describe, expect, it } from 'vitest';
import { parsePretrainArgs } from '../../src/cli/pretrain';
import { checkPretrainConfig, CRITICAL_DATA_RECIPE, PRETRAIN_DATA_RECIPE, PRETRAIN_RUN_DEFAULTS, resolvePretrainData } from '../../src/pretrain/config';
import { ConfigError } from '../../src/util/config-kit';

describe('parsePretrainArgs', () => {
  it('reads the verifier settings and the keep-best point', () => {
    const o = parsePretrainArgs(['--verdict-weight-ok', '5', '--verdict-weight-bad', '6', '--verdict-balance', '0.5', '--keep-best-after', '1', '--keep-best-margin', '1.5']);
    expect([o.verdictWeightOk, o.verdictWeightBad, o.verdictBalance, o.keepBestAfter, o.keepBestMargin]).toEqual([5, 6, 0.5, 1, 1.5]);
    expect(parsePretrainArgs(['--keep-best-by', 'own']).keepBestBy).toBe('own');
    expect(() => parsePretrainArgs(['--keep-best-by', 'best'])).toThrow(/--keep-best-by must be "probe" or "own", got "best"/);
  });

  it('reads the own-attempt settings', () => {
    const o = parsePretrainArgs(['--self-verify-from', '0.5', '--self-verify-every', '50', '--self-verify-problems', '32', '--self-verify-samples', '2', '--self-verify-share', '0.3', '--self-verify-ok-share', '0.1', '--no-self-verify-pairs', '--self-verify-calibrate', '1.5']);
    expect([o.selfVerifyFrom, o.selfVerifyEvery, o.selfVerifyProblems, o.selfVerifySamples, o.selfVerifyShare, o.selfVerifyOkShare, o.selfVerifyPairs, o.selfVerifyCalibrate]).toEqual([0.5, 50, 32, 2, 0.3, 0.1, false, 1.5]);
    expect(parsePretrainArgs(['--self-verify-pairs']).selfVerifyPairs).toBe(true);
  });

  it('sets kinds of the mix over the recipe, keeping the others', () => {
    const o = parsePretrainArgs(['--mix', 'verify=0.4,verifyOk=0.1']);
    expect(o.data!.mix).toEqual({ ...PRETRAIN_DATA_RECIPE.mix, verify: 0.4, verifyOk: 0.1 });
    expect(parsePretrainArgs([]).data!.mix).toEqual(PRETRAIN_DATA_RECIPE.mix);
  });

  it('says what is wrong with a flag', () => {
    expect(() => parsePretrainArgs(['--mix', 'verify'])).toThrow(/--mix takes kind=weight pairs/);
    expect(() => parsePretrainArgs(['--mix', 'verify=lots'])).toThrow(/--mix verify needs a number/);
    expect(() => parsePretrainArgs(['--verdict-balance'])).toThrow(/--verdict-balance needs a number/);
    expect(() => parsePretrainArgs(['--frobnicate'])).toThrow(/unknown option --frobnicate/);
  });
});

describe('checkPretrainConfig', () => {
  it('lists every bad and unknown field at once, each with its fix', () => {
    let err: unknown;
    try {
      checkPretrainConfig({ ...PRETRAIN_RUN_DEFAULTS, steps: 0, lossOn: 'all', hiden: 5 } as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems).toContain('hiden is not a field: did you mean hidden?');
    expect(problems.some((x) => x.startsWith('steps (0) must be an integer >= 1: use the default'))).toBe(true);
    expect(problems.some((x) => x.startsWith('lossOn ("all") must be one of "document", "completion"'))).toBe(true);
  });
  it('accepts the committed recipe and reports curriculum phases out of order', () => {
    expect(() => checkPretrainConfig({ ...PRETRAIN_RUN_DEFAULTS })).not.toThrow();
    expect(() => resolvePretrainData({ data: PRETRAIN_RUN_DEFAULTS.data, phases: [{ until: 0.5, data: {} }, { until: 0.4, data: {} }] })).toThrow(/phases\[1\]\.until \(0\.4\) must be in \(0\.5, 1\)/);
  });
});

describe('--recipe', () => {
  it('picks the critical recipe (data and curriculum) before the other flags adjust it', () => {
    const o = parsePretrainArgs(['--mix', 'verify=0.4', '--recipe', 'critical']);
    expect(o.data).toMatchObject({ habit: CRITICAL_DATA_RECIPE.habit, tierWeights: CRITICAL_DATA_RECIPE.tierWeights });
    expect(o.data!.mix!.verify).toBe(0.4);
    // a warm start from chains-tiny, without curriculum, at the recipe's own rate and budget, into its own folder
    expect(o.phases).toEqual([]);
    expect(o).toMatchObject({ initFrom: 'public/models/chains-tiny', out: 'public/models/chains-critical', lr: 1e-3, maxMinutes: 25 });
    expect(parsePretrainArgs(['--recipe', 'critical', '--lr', '5e-4', '--out', '/tmp/x', '--no-init'])).toMatchObject({ lr: 5e-4, out: '/tmp/x', initFrom: null });
    expect(parsePretrainArgs(['--init', 'some/dir']).initFrom).toBe('some/dir');
    expect(() => parsePretrainArgs(['--init', '--force'])).toThrow(/--init needs a model folder/);
    expect(parsePretrainArgs(['--force']).force).toBe(true);
    const tiny = parsePretrainArgs([]);
    expect(tiny.data).toEqual(PRETRAIN_DATA_RECIPE);
    expect(tiny.initFrom).toBeUndefined();
    expect(tiny.phases).toBeUndefined();
    expect(() => parsePretrainArgs(['--recipe', 'crit'])).toThrow(/--recipe must be one of "tiny", "critical", "critical-strict", got "crit"/);
  });

  it('critical-strict: the critical data without self-reflection documents, the loss on completions, a fixed step count', () => {
    const o = parsePretrainArgs(['--recipe', 'critical-strict']);
    expect(o.data).toMatchObject({ habit: CRITICAL_DATA_RECIPE.habit, tierWeights: CRITICAL_DATA_RECIPE.tierWeights });
    expect(o.data!.mix).toEqual({ ...CRITICAL_DATA_RECIPE.mix, reflect: 0 });
    expect(o).toMatchObject({ initFrom: 'public/models/chains-tiny', out: 'public/models/chains-critical-strict', lossOn: 'completion', steps: 1227, maxMinutes: 0, lr: 1e-3 });
    const { out: _out, initFrom: _init, ...run } = o;
    expect(() => checkPretrainConfig({ ...PRETRAIN_RUN_DEFAULTS, ...run } as typeof PRETRAIN_RUN_DEFAULTS)).not.toThrow();
  });
});
