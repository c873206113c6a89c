// results.md's "Reading" section and paired differences: the central comparison (InT + RL vs RL
// only) is stated from the paired interval of the difference, overall and per tier; pairedDiffs
// compares arms on the same problems.
import { describe, expect, it } from 'vitest';
import { PAIRED_COMPARISONS, pairedDiffs, pairedVerdict, resultsMarkdown, type ExperimentResults } from '../../src/int/report';
import type { ProblemOutcome } from '../../src/int/stats';
import { presetConfig } from '../../src/int/config';
import { START_CONDITIONS } from '../../src/int/diagnostics';

const iv = (estimate: number, lo: number, hi: number) => ({ estimate, lo, hi });

describe('pairedVerdict', () => {
  it('says higher / lower only when the paired interval excludes zero', () => {
    expect(pairedVerdict({ ci95: [0.5, 3] })).toBe('higher');
    expect(pairedVerdict({ ci95: [-3, -0.5] })).toBe('lower');
    expect(pairedVerdict({ ci95: [-1, 2] })).toBe('unresolved');
    expect(pairedVerdict({ ci95: [0, 2] })).toBe('unresolved');
    expect(pairedVerdict({ ci95: [NaN, NaN] })).toBe('n/a');
  });
});

describe('pairedDiffs', () => {
  const o = (problemId: string, tier: string, c: number, n = 4): ProblemOutcome => ({ problemId, tier, n, c });
  // int_rl gains exactly one sample of four on every hard problem and nothing on easy ones: the
  // paired difference is +25 points on hard with a zero-width interval, +12.5 overall.
  const rl = [o('e1', 'easy', 4), o('e2', 'easy', 1), o('h1', 'hard', 0), o('h2', 'hard', 2)];
  const int = [o('h2', 'hard', 3), o('e1', 'easy', 4), o('h1', 'hard', 1), o('e2', 'easy', 1)];
  const bs = { resamples: 200, seed: 3, level: 0.95 };
  it('pairs problems by id, per tier and overall, in percentage points', () => {
    const d = pairedDiffs({ rl: { eval: { outcomes: rl } }, int_rl: { eval: { outcomes: int } } }, bs);
    expect(d.map((x) => `${x.arm}-${x.versus}:${x.tier}`)).toEqual(['int_rl-rl:all', 'int_rl-rl:hard', 'int_rl-rl:easy']);
    expect(d[1]).toEqual({ arm: 'int_rl', versus: 'rl', tier: 'hard', diff: 25, ci95: [25, 25], problems: 2 });
    expect(d[2]).toEqual({ arm: 'int_rl', versus: 'rl', tier: 'easy', diff: 0, ci95: [0, 0], problems: 2 });
    expect(d[0].diff).toBe(12.5);
    expect(d[0].ci95[0]).toBeGreaterThanOrEqual(0);
    expect(d[0].ci95[1]).toBeLessThanOrEqual(25);
  });
  it('reports only the comparisons whose arms both ran', () => {
    expect(pairedDiffs({ rl: { eval: { outcomes: rl } } }, bs)).toEqual([]);
    expect(PAIRED_COMPARISONS[0]).toEqual(['int_rl', 'rl']);
  });
});

describe('resultsMarkdown', () => {
  const evalOf = (overall: ReturnType<typeof iv>, hard: ReturnType<typeof iv>) => ({
    overall: { problems: 8, passAt: { '1': overall } },
    tiers: { hard: { problems: 8, passAt: { '1': hard } } },
  });
  const arm = (label: string, e: ReturnType<typeof evalOf>) => ({ label, sftRows: 0, sftDropped: 0, sftSteps: 0, rlSteps: 2, eval: e });
  const results = {
    preset: 'chains-smoke',
    model: 'm',
    task: 't',
    seed: 0,
    config: presetConfig('chains-smoke'),
    problems: { train: 8, test: 8, pool: 8 },
    pipeline: {
      rollouts: { attempts: 16, correct: 4, failures: 12, problemsNeverSolved: 3 },
      proposals: { attempts: 8, outputs: 16 },
      filter: { byStatus: { kept: 2 } },
      afterContinuation: { byStatus: { kept: 2 } },
      continuation: null,
      reflections: { total: 0, correct: 0 },
      sftRows: { interventions: 2, reference: 8, self_reflection: 0 },
    },
    diagnostics: {
      neverSolved: 3,
      table: { rows: Object.fromEntries(START_CONDITIONS.map((c) => [c, { problems: 0, solved: 0, correct: 0, samples: 0 }])) },
      location: null,
    },
    arms: {
      base: arm('base', evalOf(iv(0.1, 0.0, 0.2), iv(0, 0, 0))),
      rl: arm('+ RL', evalOf(iv(0.3, 0.2, 0.4), iv(0.05, 0, 0.1))),
      int_rl: arm('InT + RL', evalOf(iv(0.35, 0.25, 0.45), iv(0.3, 0.2, 0.4))),
    },
    paired: [
      { arm: 'int_rl', versus: 'rl', tier: 'all', diff: 5, ci95: [-2, 12], problems: 8 },
      { arm: 'int_rl', versus: 'rl', tier: 'hard', diff: 25, ci95: [10, 40], problems: 8 },
    ],
    mechanism: {
      rl: { step: 1, groups: 4, zeroVariance: 3, share: 0.75, byTier: { hard: { groups: 4, zeroVariance: 3, share: 0.75 } } },
      int_rl: { step: 1, groups: 4, zeroVariance: 1, share: 0.25, byTier: { hard: { groups: 4, zeroVariance: 1, share: 0.25 } } },
    },
    metrics: [],
  } as unknown as ExperimentResults;

  it('states the central comparison per tier from the paired interval', () => {
    const md = resultsMarkdown(results);
    expect(md).toContain('## Reading');
    expect(md).toContain('- overall: InT + RL 35.0 [25.0, 45.0] vs RL only 30.0 [20.0, 40.0], difference +5.0 points [-2.0, +12.0] over 8 problems: the paired interval contains zero');
    expect(md).toContain('- hard: InT + RL 30.0 [20.0, 40.0] vs RL only 5.0 [0.0, 10.0], difference +25.0 points [+10.0, +40.0] over 8 problems: InT + RL is higher: the paired interval lies above zero');
    expect(md).toContain('| InT + RL | + RL | hard | +25.0 | [+10.0, +40.0] | 8 |');
    expect(md).toContain('- base model (no training): 10.0 [0.0, 20.0] overall.');
  });

  it('tabulates the zero-advantage share at RL step 1 per arm and tier', () => {
    const md = resultsMarkdown(results);
    expect(md).toContain('## Mechanism: prompt groups with zero advantage at RL step 1');
    expect(md).toContain('| + RL | 75.0% (3 / 4) | 75.0% (3 / 4) |');
    expect(md).toContain('| InT + RL | 25.0% (1 / 4) | 25.0% (1 / 4) |');
  });

  it('counts the problems dropped up front and the RL prompts an arm left out, and says nothing when there are none', () => {
    const arms = { ...results.arms, rl: { ...results.arms.rl, rlDropped: 2 }, int_rl: { ...results.arms.int_rl, rlDropped: 0 } };
    const md = resultsMarkdown({ ...results, arms, droppedProblems: { promptTooLong: 2, ids: ['p3', 'p9'] } });
    expect(md).toContain("held-out test; 4 samples per test problem. 2 problems were dropped up front: a prompt leaves the completion no room in the model's context (p3, p9).");
    expect(md).toContain('- RL prompts left out (prompt + rl.maxCompletionLength over the context): + RL 2\n');
    const quiet = resultsMarkdown({ ...results, droppedProblems: { promptTooLong: 0, ids: [] } });
    expect(quiet).not.toMatch(/dropped up front|RL prompts left out/);
    expect(resultsMarkdown(results)).not.toMatch(/dropped up front|RL prompts left out/);
  });

  it('says when the comparison cannot be made', () => {
    const { int_rl: _drop, ...arms } = results.arms as Record<string, unknown>;
    const md = resultsMarkdown({ ...results, arms } as unknown as ExperimentResults);
    expect(md).toContain('InT + RL and RL only were not both run');
  });
});
