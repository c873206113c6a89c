// results.md's "Reading" section: the central comparison (InT + RL vs RL only) is stated from the
// 95% intervals alone, overall and per tier.
import { describe, expect, it } from 'vitest';
import { compareIntervals, resultsMarkdown, type ExperimentResults } from '../../src/int/report';
import { presetConfig } from '../../src/int/config';
import { START_CONDITIONS } from '../../src/int/diagnostics';

const iv = (estimate: number, lo: number, hi: number) => ({ estimate, lo, hi });

describe('compareIntervals', () => {
  it('says higher / lower only when the intervals are apart', () => {
    expect(compareIntervals(iv(0.6, 0.5, 0.7), iv(0.3, 0.2, 0.4))).toBe('higher');
    expect(compareIntervals(iv(0.3, 0.2, 0.4), iv(0.6, 0.5, 0.7))).toBe('lower');
    expect(compareIntervals(iv(0.5, 0.3, 0.6), iv(0.4, 0.2, 0.5))).toBe('overlap');
    expect(compareIntervals(iv(0.5, 0.4, 0.6), undefined)).toBe('n/a');
    expect(compareIntervals(iv(NaN, NaN, NaN), iv(0.4, 0.2, 0.5))).toBe('n/a');
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
    metrics: [],
  } as unknown as ExperimentResults;

  it('states the central comparison per tier from the intervals', () => {
    const md = resultsMarkdown(results);
    expect(md).toContain('## Reading');
    expect(md).toMatch(/- overall: InT \+ RL 35\.0 \[25\.0, 45\.0\] vs RL only 30\.0 \[20\.0, 40\.0\]: the 95% intervals overlap/);
    expect(md).toMatch(/- hard: InT \+ RL 30\.0 \[20\.0, 40\.0\] vs RL only 5\.0 \[0\.0, 10\.0\]: InT \+ RL is higher and the 95% intervals do not overlap/);
    expect(md).toContain('- base model (no training): 10.0 [0.0, 20.0] overall.');
  });

  it('says when the comparison cannot be made', () => {
    const { int_rl: _drop, ...arms } = results.arms as Record<string, unknown>;
    const md = resultsMarkdown({ ...results, arms } as unknown as ExperimentResults);
    expect(md).toContain('InT + RL and RL only were not both run');
  });
});
