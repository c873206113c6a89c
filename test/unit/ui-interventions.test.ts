// The interventions view's pure parts and the pipeline diagram's: the verifier's compact log in
// plain words, human verdict labels, the located step against the true first error, continuation
// rows, reading interventions.jsonl (plain, gzip, older files), and the pipeline steps' states and
// counts; last, the committed public/results/chains-critical-strict/interventions.jsonl.gz.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { VERDICT_STATUSES } from '../../src/int/filter';
import type { ExperimentResults } from '../../src/int/report';
import { continuationLines, gradeWords, jsonlText, locationWords, parseInterventions, plainVerifierLog, statusCounts, statusLabel, STATUS_LABELS } from '../../src/ui/interventions-data';
import { nodeCounts, nodeStages, nodeState, PIPELINE_NODES, type StageState } from '../../src/ui/views/pipeline';
import { focusOf } from '../../src/ui/views/rollouts';

describe('plainVerifierLog', () => {
  it('says each check line in words: what the attempt wrote, what the reference says, the verdict', () => {
    const log = '1 5-4=1 r:1 ok\n2 1*4=5 r:4 bad 1*4=4 not 5\n<intervention>{"content": "1*4=4", "location": 2}</intervention>';
    const lines = plainVerifierLog(log)!;
    expect(lines.map((l) => l.words)).toEqual(['line 1: wrote 1, the reference says 1: right', 'line 2: wrote 5, the reference says 4: wrong; the fix: 1*4=4']);
    expect(lines[1]).toMatchObject({ line: 2, step: '1*4=5', wrote: '5', reference: '4', verdict: 'wrong', fix: '1*4=4' });
  });

  it('reads the answer line, a step the attempt never wrote, an extra line and a line the verifier left without verdict', () => {
    expect(plainVerifierLog('1 =13 r:13 ok')![0].words).toBe('line 1: wrote 13, the reference says 13: right');
    expect(plainVerifierLog('4  r:136 bad 165-29=136 not missing')![0].words).toBe('line 4: wrote nothing (the attempt had ended), the reference says 136: wrong; the fix: 165-29=136');
    expect(plainVerifierLog('1 3-2=1 r:1 ok\n5 =7 bad extra')![1]).toMatchObject({ verdict: 'extra', words: 'line 5: =7 comes after the answer: wrong (extra line)' });
    const cut = plainVerifierLog('1 3-2=1 r:1 ok\n2 1*6=7 r:6')!;
    expect(cut[1]).toMatchObject({ verdict: 'unread', words: 'line 2: wrote 7, the reference says 6: no verdict (the verifier stopped here)' });
  });

  it('leaves a text that is not a compact log to be shown as written', () => {
    expect(plainVerifierLog('Step 2 is wrong because 4*1 is 4.\n<intervention>{"content": "x", "location": 2}</intervention>')).toBeNull();
    expect(plainVerifierLog('')).toBeNull();
  });
});

describe('labels', () => {
  it('gives every filter verdict a human label, never the internal id', () => {
    for (const s of VERDICT_STATUSES) {
      expect(STATUS_LABELS[s], s).toBeDefined();
      expect(statusLabel(s)).not.toContain('_');
      expect(statusLabel(s)).not.toMatch(/\((kept|not selected)\)/);
    }
    expect(statusLabel('kept')).toBe('kept by the filter');
    expect(statusLabel('something_new')).toBe('rejected (something new)');
  });

  it('says a grader\'s reason in words', () => {
    expect(gradeWords('mismatch: 14 vs 13')).toBe('answered 14, the answer is 13');
    expect(gradeWords('match')).toBe('the right answer');
    expect(gradeWords('no answer found')).toBe('no answer found');
  });

  it('says where the located step is against the true first error', () => {
    const steps = ['a', 'b', 'c'];
    expect(locationWords({ location: 2, trueLocation: 2, steps })).toBe('The verifier located the first error at step 2: exactly the true first error.');
    expect(locationWords({ location: 3, trueLocation: 2, steps })).toMatch(/1 step after the true first error \(step 2\): the prefix keeps the error/);
    expect(locationWords({ location: 1, trueLocation: 3, steps })).toMatch(/2 steps before the true first error \(step 3\)/);
    expect(locationWords({ location: 4, trueLocation: null, steps })).toBe('The verifier located the first error at after the last step (step 4, appended).');
    expect(locationWords({ location: null, trueLocation: 2, steps })).toBe('The verifier named no step.');
  });

  it('lists continuations from prefix, prefix + original step, prefix + intervention, then the bare problem', () => {
    const c = (correct: number) => ({ samples: 8, correct });
    const rows = continuationLines({ starts: { problem_only: c(0), prefix: c(1), prefix_original: c(0), prefix_intervention: c(8) }, continuation: c(7) });
    expect(rows.map((r) => [r.label, r.count.correct])).toEqual([
      ['prefix', 1],
      ['prefix + original step', 0],
      ['prefix + intervention', 8],
      ['the problem alone (fresh attempts)', 0],
    ]);
    expect(continuationLines({ starts: null, continuation: c(7) })).toEqual([{ start: 'check', label: 'prefix + intervention (the continuation check)', count: c(7) }]);
    expect(continuationLines({ starts: null, continuation: null })).toEqual([]);
  });
});

describe('parseInterventions', () => {
  const row = { attemptId: 'p#0', problemId: 'p', tier: 'critical', sample: 1, attempt: 'a\nb', steps: ['a', 'b'], verification: 'v', location: 2, trueLocation: 2, intervention: 'c', status: 'kept', detail: 'kept', spliced: ['a', 'c'], continuation: null };

  it('reads plain and gzip files; fields a file was written without read null', async () => {
    const text = `${JSON.stringify(row)}\n${JSON.stringify({ ...row, sample: 2, status: 'duplicate' })}\n`;
    for (const bytes of [new TextEncoder().encode(text), new Uint8Array(gzipSync(text))]) {
      const rows = parseInterventions(await jsonlText(bytes));
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatchObject({ attemptId: 'p#0', problem: null, reference: null, answer: null, starts: null, location: 2 });
      expect(statusCounts(rows)).toEqual({ kept: 1, rejected: 1, all: 2 });
    }
  });

  it('refuses a broken line naming it', () => {
    expect(() => parseInterventions(`${JSON.stringify(row)}\n{"attemptId": "x"`)).toThrow(/line 2 is not JSON/);
    expect(() => parseInterventions('{"a": 1}')).toThrow(/line 1: expected an intervention row with "attemptId", "steps" and "status"/);
  });
});

describe('the pipeline diagram', () => {
  const arms = ['base', 'int_rl'];
  const states = (done: string[], active: string[] = []) => new Map<string, StageState>(['load model', 'pool', 'rollouts', 'propose', 'filter', 'continuations', 'reflect', 'diagnostics', 'sft-sets', ...arms.flatMap((a) => [`${a}/sft`, `${a}/rl`, `${a}/eval`])].map((s) => [s, done.includes(s) ? 'done' : active.includes(s) ? 'active' : 'waiting']));

  it('lights a step while one of its stages runs and marks it done when all are', () => {
    const by = nodeStages(arms);
    expect(nodeState(by.rollouts, states([], ['load model'])).state).toBe('active');
    expect(nodeState(by.failures, states(['load model', 'pool'], ['rollouts'])).state).toBe('active');
    expect(nodeState(by.failures, states(['load model', 'pool', 'rollouts'])).state).toBe('done');
    expect(nodeState(by.verify, states(['rollouts'])).state).toBe('waiting');
    // intervene waits for the diagnostics (its continuations) after propose
    expect(nodeState(by.intervene, states(['propose']))).toEqual({ state: 'active', done: 1, total: 2 });
    expect(nodeState(by.rl, states(['base/rl']))).toEqual({ state: 'active', done: 1, total: 2 });
    expect(nodeState(by.eval, states(['base/eval', 'int_rl/eval'])).state).toBe('done');
    // a CLI run has no 'load model' stage: it is left out
    expect(nodeState(by.rollouts, new Map([['pool', 'done'], ['rollouts', 'done']])).state).toBe('done');
  });

  it('names the nine steps in order and links each to its data', () => {
    expect(PIPELINE_NODES.map((n) => n.label)).toEqual(['rollouts', 'failures', 'verify', 'locate', 'intervene', 'filter', 'SFT', 'RL', 'eval']);
    expect(focusOf('failures')).toEqual({ section: 'rollouts', outcome: 'failed' });
    expect(focusOf('intervene')).toEqual({ section: 'interventions', verdict: 'kept' });
    expect(focusOf('filter')).toEqual({ section: 'interventions', verdict: 'rejected' });
    expect(focusOf('eval')).toBe('results');
  });

  it('counts each step of the published run from its results.json', () => {
    const r = JSON.parse(readFileSync(join(import.meta.dirname, '../../public/results/chains-critical-strict/results.json'), 'utf8')) as ExperimentResults;
    const c = nodeCounts(r);
    expect(c.rollouts).toBe(`${r.pipeline.rollouts.attempts} attempts at ${r.problems.pool} problems`);
    expect(c.filter).toBe(`${r.pipeline.afterContinuation.byStatus.kept} kept`);
    expect(c.eval).toBe(`${r.problems.test} problems × ${r.config.eval.samples} samples`);
    for (const n of PIPELINE_NODES) expect(c[n.id]).not.toMatch(/NaN|undefined/);
  });
});

describe('public/results/chains-critical-strict/interventions.jsonl.gz', () => {
  it('is the published run\'s interventions, with problems, references and continuations from each start', async () => {
    const dir = join(import.meta.dirname, '../../public/results/chains-critical-strict');
    const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ExperimentResults;
    const rows = parseInterventions(await jsonlText(new Uint8Array(readFileSync(join(dir, 'interventions.jsonl.gz')))));
    expect(rows).toHaveLength(r.pipeline.proposals.outputs);
    expect(statusCounts(rows).kept).toBe(r.pipeline.afterContinuation.byStatus.kept);
    expect(rows.every((x) => x.problem && x.reference && x.answer)).toBe(true);
    // one set of starts per kept intervention of a never-solved problem: the diagnostics' starts
    expect(rows.filter((x) => x.starts).length).toBe(r.diagnostics.continuation.prefix_intervention.starts);
    const solved = rows.filter((x) => x.starts).reduce((n, x) => n + x.starts!.prefix_intervention.correct, 0);
    expect(solved).toBe(r.diagnostics.continuation.prefix_intervention.correct);
    expect(rows.every((x) => plainVerifierLog(x.verification) !== null)).toBe(true);
  });
});
