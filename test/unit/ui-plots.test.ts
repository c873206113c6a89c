// The charts' pure parts: tick and value labels (never "-0"), one stable colour per arm, and the
// run's overall progress with its ETA across stages.
import { describe, expect, it } from 'vitest';
import { ARM_IDS } from '../../src/int/arms';
import { presetConfig } from '../../src/int/config';
import { stageNames } from '../../src/ui/views/run';
import { fmtValue, seriesLabel, tickLabels, yRange } from '../../src/ui/plots';
import { armColour } from '../../src/ui/published-data';
import { OverallProgress, stageWeights } from '../../src/ui/progress';
import { BROWSER_PRESET } from '../../src/ui/state';

describe('labels', () => {
  it('tick labels have the decimals the spacing needs and no "-0"', () => {
    expect(tickLabels([-0.0000001, -0, 0.5, 1], 0.5)).toEqual(['0.0', '0.0', '0.5', '1.0']);
    expect(tickLabels([-2e-17, 0.02, 0.04], 0.02)).toEqual(['0.00', '0.02', '0.04']);
    // a step of 0.25 keeps two decimals (not 0.3 / 0.8 for 0.25 / 0.75)
    expect(tickLabels([0, 0.25, 0.5, 0.75], 0.25)).toEqual(['0.00', '0.25', '0.50', '0.75']);
    expect(tickLabels([0, 20, 40], 20)).toEqual(['0', '20', '40']);
    expect(tickLabels([0, 5, 10], 5)).toEqual(['0', '5', '10']);
    expect(tickLabels([-0.001, 0, 0.001], 0.001)).toEqual(['-0.001', '0.000', '0.001']);
    expect(tickLabels([0, 1e-4, 2e-4], 1e-4)).toEqual(['0', '1.0e-4', '2.0e-4']);
    for (const l of tickLabels([-1e-12, -0, 1e-12], 0.1)) expect(l).not.toMatch(/^-0/);
  });

  it('values show 4 significant digits, never "-0"', () => {
    expect(fmtValue(-0)).toBe('0');
    expect(fmtValue(-1e-20)).toBe('-1.00e-20');
    expect(fmtValue(0.123456)).toBe('0.1235');
    expect(fmtValue(null)).toBe('–');
    expect(seriesLabel('int_rl')).toBe('+ InT + RL');
    expect(seriesLabel('loss')).toBe('loss');
  });
});

describe('arm palette', () => {
  it('gives every arm its own fixed colour', () => {
    const colours = ARM_IDS.map(armColour);
    expect(new Set(colours).size).toBe(ARM_IDS.length);
    for (const c of colours) expect(c).toMatch(/^#[0-9a-f]{6}$/);
    expect(colours).not.toContain(armColour('no_such_arm'));
    // stable: the published result, the run view and the results view all draw these
    expect(armColour('int_rl')).toBe('#d62728');
    expect(armColour('rl')).toBe('#1f77b4');
    expect(armColour('base')).toBe('#7f7f7f');
  });
});

describe('overall progress', () => {
  const stages = stageNames(['base', 'rl', 'int_rl']);
  const config = presetConfig(BROWSER_PRESET);

  it('weighs every stage by its cost from the config (no RL cost for an arm without RL)', () => {
    const w = stageWeights(stages, config);
    expect(Object.keys(w)).toEqual(stages);
    for (const s of stages) expect(w[s]).toBeGreaterThan(0);
    expect(w['rl/rl']).toBeGreaterThan(w['base/rl'] * 10);
    expect(w['base/sft']).toBeLessThan(w['int_rl/sft']);
    expect(w['base/eval']).toBe(w['int_rl/eval']);
    const none = stageWeights(stages, null);
    expect(none.rollouts).toBe(1);
    expect(none['load model']).toBeLessThan(1);
  });

  it('ETA = computing time x weight left / weight done; paused time and loaded stages do not count', () => {
    const p = new OverallProgress({ a: 1, b: 1, c: 2 });
    expect(p.fraction()).toBe(0);
    expect(p.eta(0)).toBeNaN();
    p.update('a', 0, 10, 1000);
    p.update('a', 5, 10, 11_000); // 10 s for half of a (weight 0.5 of 4)
    expect(p.fraction()).toBeCloseTo(0.125);
    expect(p.eta(11_000)).toBeCloseTo(10 * 3.5 / 0.5);
    p.complete('a', 21_000);
    p.pause(21_000);
    p.resume(31_000); // 10 s paused
    expect(p.elapsed(31_000)).toBeCloseTo(20);
    expect(p.eta(31_000)).toBeCloseTo(20 * 3 / 1);
    p.loaded('b');
    expect(p.fraction()).toBeCloseTo(0.5);
    expect(p.eta(31_000)).toBeCloseTo(20 * 2 / 1); // b took no time: only c is left
    p.complete('c', 41_000);
    expect(p.fraction()).toBe(1);
    expect(p.eta(41_000)).toBe(0);
    p.update('unknown stage', 1, 1, 50_000); // ignored
    expect(p.fraction()).toBe(1);
  });
});

describe('y range', () => {
  it('pads the data and puts a band around a single value', () => {
    expect(yRange(0, 0)).toEqual([-0.1, 0.1]);
    expect(yRange(2, 2)).toEqual([1.8, 2.2]);
    expect(yRange(0, 1)).toEqual([-0.05, 1.05]);
  });
});

describe('run view stage words', () => {
  it('names every stage in words, with its id and what it does on hover', async () => {
    const { stageWords } = await import('../../src/ui/views/run');
    expect(stageWords('sft-sets')).toEqual({ label: 'SFT data', title: 'sft-sets: the training rows of every SFT arm' });
    expect(stageWords('int_rl/rl')).toEqual({ label: 'InT + RL · RL', title: 'int_rl/rl: RL (GRPO) on the training problems' });
    expect(stageWords('base/eval').label).toBe('base · eval');
    // every stage of a run's list has its own words (no arm / part split of a plain name)
    expect(stageWords('load model').label).toBe('load model');
    expect(stageWords('something-new')).toEqual({ label: 'something-new', title: 'something-new' });
  });
});
