import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ExperimentResults } from '../../src/int/report';
import { compareCaveats, compareRuns } from '../../src/ui/compare-data';

const published = JSON.parse(readFileSync(new URL('../../public/results/chains-critical-strict/results.json', import.meta.url), 'utf8')) as ExperimentResults;

describe('comparing two runs', () => {
  it('lists every arm of either run per tier with both intervals and the difference of the estimates', () => {
    const other = structuredClone(published);
    other.arms.rl.eval.overall.passAt['1'].estimate -= 0.05;
    delete (other.arms as Record<string, unknown>).sft_ref;
    const rows = compareRuns(published, other);
    const tiers = ['all', ...Object.keys(published.arms.rl.eval.tiers)];
    expect(rows).toHaveLength(Object.keys(published.arms).length * tiers.length);
    const rl = rows.find((r) => r.arm === 'rl' && r.tier === 'all')!;
    expect(rl.diff).toBeCloseTo(5, 9);
    expect(rl.mine).toEqual(published.arms.rl.eval.overall.passAt['1']);
    const base = rows.find((r) => r.arm === 'base' && r.tier === 'critical')!;
    expect(base.diff).toBe(0);
    const gone = rows.filter((r) => r.arm === 'sft_ref');
    expect(gone.every((r) => r.theirs === null && r.diff === null && r.mine !== null)).toBe(true);
    expect(compareCaveats(published, other)).toEqual([]);
  });

  it('names what differs between the runs', () => {
    const other = structuredClone(published);
    other.model = 'someone/else';
    other.problems.test = 8;
    other.config.eval.samples = 4;
    expect(compareCaveats(published, other)).toEqual([
      `different models (${published.model} / someone/else)`,
      `different test sets (${published.problems.test} / 8 problems)`,
      `different samples per problem (${published.config.eval.samples} / 4)`,
    ]);
  });
});
