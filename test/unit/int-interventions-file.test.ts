// interventions.jsonl rows: each verifier output with its problem statement, reference solution
// and answer, and, for kept interventions of never-solved problems, the diagnostics' continuations
// from the problem, the prefix, prefix + original step and prefix + intervention (matched by
// attempt and sample; older records without a sample by the one kept intervention of the attempt).
import { describe, expect, it } from 'vitest';
import { planContinuationStarts, type ContinuationRecord } from '../../src/int/diagnostics';
import { applyContinuationCheck, chainsLeakCheck, filterInterventions } from '../../src/int/filter';
import { interventionRows, interventionsJsonl } from '../../src/int/report';
import { problemTexts, type ContinuationCheck, type Proposal } from '../../src/int/stages';
import { createChainsTask } from '../../src/tasks/chains/task';

const block = (content: string, location: number) => `1 x r:1 ok\n2 y r:2 bad z not y\n<intervention>{"content": ${JSON.stringify(content)}, "location": ${location}}</intervention>`;

async function fixture(keep: 'first' | 'all') {
  const task = createChainsTask({ seed: 3, style: 'compact' });
  const [p, q] = task.problems('train');
  const stepsOf = (pr: typeof p) => task.splitSteps(task.solution(pr)).map((s, i) => (i === 1 ? `${s}0` : s));
  const proposals: Proposal[] = [p, q].map((pr) => ({
    attemptId: `${pr.id}#0`,
    problemId: pr.id,
    tier: pr.difficulty,
    attempt: task.joinSteps(stepsOf(pr)),
    steps: stepsOf(pr),
    // sample 0: no block; 1 and 2: two different fixes of step 2
    outputs: ['1 x r:1 ok', block('fix-a', 2), block('fix-b', 2)],
    truth: 2,
  }));
  const filtered = await filterInterventions(
    proposals.map((x) => ({ attemptId: x.attemptId, problemId: x.problemId, nSteps: x.steps.length, steps: x.steps, gold: '-987654', outputs: x.outputs })),
    { leak: chainsLeakCheck, keep },
  );
  // the continuation check fails q's first kept sample
  const outcomes = filtered.kept.map((k) => ({ attemptId: k.attemptId, sample: k.sample, samples: 4, correct: k.problemId === q.id ? 0 : 3 }));
  const checked: ContinuationCheck = { outcomes, result: applyContinuationCheck(filtered, (k) => outcomes.find((o) => o.attemptId === k.attemptId && o.sample === k.sample), 1) };
  // diagnostics on p only (the never-solved problem): correct = 1, 2, 3, 4 by condition (x the sample)
  const prop = new Map(proposals.map((x) => [x.attemptId, x]));
  const plan = planContinuationStarts(
    filtered.kept.filter((k) => k.problemId === p.id).map((k) => ({ ...k, steps: prop.get(k.attemptId)!.steps })),
    (s) => task.joinSteps(s),
    4,
  );
  const order = ['problem_only', 'prefix', 'prefix_original', 'prefix_intervention'];
  const records: ContinuationRecord[] = plan.map((x) => ({ problemId: x.problemId, attemptId: x.attemptId, sample: x.sample, condition: x.condition, samples: 4, correct: Math.min(4, order.indexOf(x.condition) + (x.sample ?? 0)) }));
  return { task, p, q, proposals, checked, records };
}

describe('interventionRows', () => {
  it('records the problem, its reference solution and answer beside every verifier output', async () => {
    const { task, p, q, proposals, checked, records } = await fixture('first');
    const rows = interventionRows(proposals, checked, { problems: problemTexts(task, [p, q]), diagnostics: { records } });
    expect(rows).toHaveLength(6);
    for (const r of rows) {
      const pr = r.problemId === p.id ? p : q;
      expect(r.problem).toBe(pr.statement);
      expect(r.reference).toBe(task.solution(pr));
      expect(r.answer).toBe(pr.answer);
    }
    expect(rows.map((r) => r.status)).toEqual(['no_block', 'kept', 'not_selected', 'no_block', 'failed_continuation', 'not_selected']);
  });

  it('gives a kept intervention of a never-solved problem its continuations from every start, and nothing to the others', async () => {
    const { task, p, q, proposals, checked, records } = await fixture('first');
    const rows = interventionRows(proposals, checked, { problems: problemTexts(task, [p, q]), diagnostics: { records } });
    const kept = rows.find((r) => r.problemId === p.id && r.status === 'kept')!;
    expect(kept.sample).toBe(1);
    expect(kept.starts).toEqual({
      problem_only: { samples: 4, correct: 1 },
      prefix: { samples: 4, correct: 2 },
      prefix_original: { samples: 4, correct: 3 },
      prefix_intervention: { samples: 4, correct: 4 },
    });
    expect(kept.continuation).toEqual({ samples: 4, correct: 3 });
    expect(kept.spliced).toEqual([...kept.steps.slice(0, 1), 'fix-a']);
    expect(rows.filter((r) => r !== kept).map((r) => r.starts)).toEqual([null, null, null, null, null]);
  });

  it('matches records written before they carried a sample by the one kept intervention of their attempt', async () => {
    const { task, p, q, proposals, checked, records } = await fixture('first');
    const old = records.map(({ sample: _s, ...r }) => r);
    const rows = interventionRows(proposals, checked, { problems: problemTexts(task, [p, q]), diagnostics: { records: old } });
    expect(rows.find((r) => r.status === 'kept')!.starts?.prefix_intervention).toEqual({ samples: 4, correct: 4 });
  });

  it('keeps the starts of two kept samples of one attempt apart (filter.keep "all")', async () => {
    const { proposals, checked, records, p } = await fixture('all');
    const rows = interventionRows(proposals, checked, { diagnostics: { records } });
    const mine = rows.filter((r) => r.problemId === p.id && r.status === 'kept');
    expect(mine.map((r) => r.sample)).toEqual([1, 2]);
    expect(mine.map((r) => r.starts?.problem_only.correct)).toEqual([1, 2]);
    expect(mine.map((r) => r.starts?.prefix_intervention.correct)).toEqual([4, 4]);
    // without problem texts the fields are null, not missing
    expect(rows[0].problem).toBeNull();
    expect(rows[0].reference).toBeNull();
  });

  it('writes one JSON line per row', async () => {
    const { proposals, checked } = await fixture('first');
    const lines = interventionsJsonl(proposals, checked).trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(Object.keys(JSON.parse(lines[1]))).toEqual(expect.arrayContaining(['problem', 'reference', 'answer', 'starts', 'continuation', 'verification']));
  });
});
