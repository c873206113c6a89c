// Learning-rate schedules: constant, cosine with a floor, linear warm-up by fraction or steps.
import { describe, expect, it } from 'vitest';
import { SFT_OPTIM_DEFAULTS, validateOptimConfig } from '../../src/train/config';
import { learningRate, scheduleTable, warmupStepsOf, type ScheduleConfig } from '../../src/train/schedule';

const base: ScheduleConfig = { lr: 1e-3, schedule: 'constant', minLrRatio: 0.1, warmupRatio: 0, warmupSteps: 0 };

describe('schedules', () => {
  it('constant stays at lr on every step', () => {
    const t = scheduleTable(50, base);
    expect(t.length).toBe(50);
    for (const x of t) expect(x).toBe(1e-3);
  });

  it('cosine starts at lr, decreases monotonically, passes the midpoint halfway and ends just above the floor', () => {
    const cfg = { ...base, schedule: 'cosine' as const };
    const t = scheduleTable(101, cfg);
    expect(t[0]).toBe(1e-3);
    for (let s = 1; s < t.length; s++) expect(t[s]).toBeLessThan(t[s - 1]);
    // p = 50/101 is just under a half: lr x (0.1 + 0.9 x (1 + cos(pi p)) / 2)
    expect(t[50]).toBeCloseTo(1e-3 * (0.1 + 0.45 * (1 + Math.cos((Math.PI * 50) / 101))), 15);
    expect(t[100]).toBeGreaterThan(1e-4);
    expect(t[100]).toBeLessThan(1e-4 * 1.01);
    // Past the end: the floor.
    expect(learningRate(101, 101, cfg)).toBeCloseTo(1e-4, 15);
    expect(learningRate(500, 101, cfg)).toBeCloseTo(1e-4, 15);
    // Floor 0 decays towards zero but the last step still trains.
    const z = scheduleTable(10, { ...cfg, minLrRatio: 0 });
    expect(z[9]).toBeGreaterThan(0);
    expect(z[9]).toBeLessThan(0.03 * 1e-3);
  });

  it('warm-up by fraction: ceil(ratio x steps) linear steps up to lr, then the schedule', () => {
    const cfg = { ...base, schedule: 'cosine' as const, warmupRatio: 0.1 };
    expect(warmupStepsOf(cfg, 95)).toBe(10);
    const t = scheduleTable(95, cfg);
    for (let s = 0; s < 10; s++) expect(t[s]).toBeCloseTo((1e-3 * (s + 1)) / 11, 15);
    expect(t[0]).toBeGreaterThan(0);
    for (let s = 1; s <= 10; s++) expect(t[s]).toBeGreaterThan(t[s - 1]);
    expect(t[10]).toBe(1e-3); // peak right after warm-up
    for (let s = 11; s < 95; s++) expect(t[s]).toBeLessThan(t[s - 1]);
    expect(t[94]).toBeLessThan(1e-4 * 1.01);
  });

  it('warm-up by steps overrides the fraction and combines with constant', () => {
    const cfg = { ...base, warmupRatio: 0.5, warmupSteps: 3 };
    expect(warmupStepsOf(cfg, 100)).toBe(3);
    expect(Array.from(scheduleTable(6, cfg))).toEqual([0.25e-3, 0.5e-3, 0.75e-3, 1e-3, 1e-3, 1e-3]);
    expect(warmupStepsOf({ ...cfg, warmupSteps: 50 }, 20)).toBe(20); // never longer than the run
  });

  it("the paper's SFT preset: 10% warm-up, cosine to 0.1 of lr", () => {
    const cfg = validateOptimConfig({}, SFT_OPTIM_DEFAULTS);
    const t = scheduleTable(140, cfg);
    expect(Math.max(...t)).toBe(1e-6);
    expect(t.indexOf(1e-6)).toBe(14);
    expect(t[139] / 1e-6).toBeCloseTo(0.1, 3);
  });

  it('bad step arguments throw with the fix', () => {
    expect(() => learningRate(0, 0, base)).toThrow(/totalSteps \(0\) must be an integer >= 1/);
    expect(() => learningRate(-1, 10, base)).toThrow(/0-based/);
    expect(() => learningRate(0, 10, { ...base, schedule: 'step' as never })).toThrow(/"constant" or "cosine"/);
  });
});
