// Diagnostics on hand-made records: the plan of continuation starts at equal budgets, the
// never-solved continuation table (and its results.json summary), and location accuracy.
import { describe, expect, it } from 'vitest';
import {
  continuationSummary,
  continuationTable,
  locationAccuracy,
  neverSolvedProblems,
  planContinuationStarts,
  START_CONDITIONS,
  type ContinuationRecord,
} from '../../src/int/diagnostics';

describe('planContinuationStarts', () => {
  const join = (s: string[]) => s.join('\n');
  const kept = [
    { problemId: 'p1', attemptId: 'p1#0', location: 2, content: 'fix', steps: ['s1', 'bad', 's3'] },
    { problemId: 'p1', attemptId: 'p1#1', location: 1, content: 'fix1', steps: ['bad1', 's2'] },
    { problemId: 'p2', attemptId: 'p2#0', location: 3, content: 'end', steps: ['a', 'b'] }, // appended: no original step
  ];

  it('gives every start condition the same samples per start and per problem', () => {
    const plan = planContinuationStarts(kept, join, 32);
    expect(plan).toHaveLength(12);
    expect(new Set(plan.map((x) => x.samples))).toEqual(new Set([32]));
    for (const c of START_CONDITIONS) {
      const of = plan.filter((x) => x.condition === c);
      expect(of.map((x) => x.attemptId)).toEqual(['p1#0', 'p1#1', 'p2#0']);
      const perProblem = (id: string) => of.filter((x) => x.problemId === id).reduce((n, x) => n + x.samples, 0);
      expect([perProblem('p1'), perProblem('p2')]).toEqual([64, 32]);
    }
  });

  it('writes the four starts of each intervention', () => {
    const plan = planContinuationStarts(kept, join, 4);
    expect(plan.slice(0, 4).map((x) => [x.condition, x.prefix])).toEqual([
      ['problem_only', ''],
      ['prefix', 's1\n'],
      ['prefix_original', 's1\nbad\n'],
      ['prefix_intervention', 's1\nfix\n'],
    ]);
    expect(plan.slice(4, 8).map((x) => x.prefix)).toEqual(['', '', 'bad1\n', 'fix1\n']);
    expect(plan.slice(8).map((x) => x.prefix)).toEqual(['', 'a\nb\n', 'a\nb\n', 'a\nb\nend\n']);
    expect(planContinuationStarts([], join, 4)).toEqual([]);
    expect(() => planContinuationStarts(kept, join, 0)).toThrow(/samplesPerStart/);
  });
});

describe('continuationTable', () => {
  // p1..p4 never solved by the base model; p9 was solved (outside the table).
  const records: ContinuationRecord[] = [
    { problemId: 'p1', condition: 'problem_only', samples: 8, correct: 0 },
    { problemId: 'p2', condition: 'problem_only', samples: 8, correct: 1 },
    { problemId: 'p1', attemptId: 'a1', condition: 'prefix', samples: 8, correct: 0 },
    { problemId: 'p1', attemptId: 'a2', condition: 'prefix', samples: 8, correct: 2 },
    { problemId: 'p3', attemptId: 'a3', condition: 'prefix', samples: 8, correct: 0 },
    { problemId: 'p1', attemptId: 'a1', condition: 'prefix_original', samples: 8, correct: 0 },
    { problemId: 'p3', attemptId: 'a3', condition: 'prefix_original', samples: 8, correct: 0 },
    { problemId: 'p1', attemptId: 'a1', condition: 'prefix_intervention', samples: 8, correct: 3 },
    { problemId: 'p1', attemptId: 'a2', condition: 'prefix_intervention', samples: 8, correct: 1 },
    { problemId: 'p3', attemptId: 'a3', condition: 'prefix_intervention', samples: 8, correct: 1 },
    { problemId: 'p4', attemptId: 'a4', condition: 'prefix_intervention', samples: 8, correct: 0 },
    { problemId: 'p9', attemptId: 'a9', condition: 'prefix_intervention', samples: 8, correct: 8 },
  ];

  it('counts problems solved at least once per condition', () => {
    const t = continuationTable(records, ['p1', 'p2', 'p3', 'p4']);
    expect(t.neverSolved).toBe(4);
    expect(t.ignored).toBe(1);
    expect(Object.keys(t.rows)).toEqual([...START_CONDITIONS]);
    expect(t.rows.problem_only).toMatchObject({ problems: 2, solved: 1, samples: 16, correct: 1 });
    expect(t.rows.prefix).toMatchObject({ problems: 2, solved: 1, samples: 24, correct: 2 });
    expect(t.rows.prefix_original).toMatchObject({ problems: 2, solved: 0, samples: 16, correct: 0 });
    expect(t.rows.prefix_intervention).toMatchObject({ problems: 3, solved: 2, samples: 32, correct: 5 });
    expect(t.rows.prefix_intervention.sampleAccuracy).toBeCloseTo(5 / 32, 12);
  });

  it('summarises per start for results.json', () => {
    const c = continuationSummary(continuationTable(records, ['p1', 'p2', 'p3', 'p4']));
    expect(Object.keys(c)).toEqual([...START_CONDITIONS]);
    expect(c.problem_only).toEqual({ problems: 2, solved: 1, correct: 1, samples: 16, starts: 2 });
    expect(c.prefix_intervention).toEqual({ problems: 3, solved: 2, correct: 5, samples: 32, starts: 4 });
  });

  it('without a never-solved set, every problem with a record counts', () => {
    const t = continuationTable(records);
    expect(t.neverSolved).toBe(5);
    expect(t.ignored).toBe(0);
    expect(t.rows.prefix_intervention.solved).toBe(3);
  });

  it('an empty condition has NaN accuracy; bad records are refused', () => {
    expect(continuationTable([], []).rows.prefix.sampleAccuracy).toBeNaN();
    expect(() => continuationTable([{ problemId: 'x', condition: 'prefix', samples: 2, correct: 3 }])).toThrow(/correct <= samples/);
    expect(() => continuationTable([{ problemId: 'x', condition: 'suffix' as 'prefix', samples: 2, correct: 0 }])).toThrow(/condition/);
  });

  it('neverSolvedProblems picks problems with no correct sample', () => {
    const os = [
      { problemId: 'a', tier: 't', n: 64, c: 0 },
      { problemId: 'b', tier: 't', n: 64, c: 1 },
      { problemId: 'c', tier: 't', n: 64, c: 0 },
    ];
    expect(neverSolvedProblems(os)).toEqual(['a', 'c']);
    expect(neverSolvedProblems(os, 1)).toEqual(['a', 'b', 'c']);
  });
});

describe('locationAccuracy', () => {
  it('exact / early / late over scored records, offsets and tiers', () => {
    const r = locationAccuracy([
      { attemptId: '1', problemId: 'p', tier: 'easy', proposed: 2, truth: 2 },
      { attemptId: '2', problemId: 'p', tier: 'easy', proposed: 1, truth: 3 },
      { attemptId: '3', problemId: 'p', tier: 'hard', proposed: 5, truth: 4 },
      { attemptId: '4', problemId: 'p', tier: 'hard', proposed: 4, truth: 4 },
      { attemptId: '5', problemId: 'p', tier: 'hard', proposed: null, truth: 4 },
      { attemptId: '6', problemId: 'p', proposed: 3, truth: null },
    ]);
    expect(r).toMatchObject({ total: 6, proposed: 5, scored: 4, exact: 2, early: 1, late: 1 });
    expect(r.accuracy).toBe(0.5);
    expect(r.notLate).toBe(0.75);
    expect(r.offsets).toEqual({ '0': 2, '-2': 1, '1': 1 });
    expect(r.byTier.easy).toMatchObject({ total: 2, scored: 2, exact: 1, early: 1, accuracy: 0.5 });
    expect(r.byTier.hard).toMatchObject({ total: 3, proposed: 2, scored: 2, exact: 1, late: 1 });
    expect(r.byTier.unknown).toMatchObject({ total: 1, scored: 0 });
    expect(r.byTier.unknown.accuracy).toBeNaN();
  });

  it('refuses locations that are not 1-based integers', () => {
    expect(() => locationAccuracy([{ attemptId: 'x', problemId: 'p', proposed: 0, truth: 1 }])).toThrow(/proposed must be/);
  });
});
