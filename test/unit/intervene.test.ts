// Intervene yourself, the pure parts: the request checks (empty step, several lines, N out of range,
// a step outside the attempt), the starts cut and joined as the pipeline's diagnostics do, the failed
// attempts of a run with the model's intervention, the committed published attempts (readable, and
// every one a problem of the task its results.json config builds), and the view's texts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IntConfig } from '../../src/int/config';
import { continuationStarts } from '../../src/int/splice';
import type { FilterResult } from '../../src/int/filter';
import type { Attempt } from '../../src/int/stages';
import { compactCharTokenizer } from '../../src/io/char-tokenizer';
import { createChainsTask } from '../../src/tasks/chains';
import { attemptLabel, groupContinuations, parseAttemptsFile, rateText, reading, startLabel } from '../../src/ui/intervene-data';
import {
  checkContinueRequest,
  distinctAttempts,
  failedAttemptsOf,
  planContinueStarts,
  requestProblems,
  samplesProblems,
  stepProblems,
  unknownCharacters,
} from '../../src/worker/intervene-plan';
import { CONTINUE_SAMPLES, type ContinueRequest, type ContinueStart } from '../../src/worker/protocol';

const PUBLISHED = join(__dirname, '../../public/results/chains-critical-strict');
const results = JSON.parse(readFileSync(join(PUBLISHED, 'results.json'), 'utf8')) as { config: IntConfig };
const STEPS = ['5-4=1', '1*4=5', '5-2=3', '3-1=2', '=2'];

function req(over: Partial<ContinueRequest> = {}): ContinueRequest {
  return {
    config: results.config,
    dataset: null,
    model: { kind: 'embedded', url: 'models/chains-critical-strict/' },
    problemId: 'chains-train-critical-00000',
    steps: STEPS,
    location: 2,
    step: '1*4=4',
    intervention: { location: 2, content: '1*4=4' },
    n: 16,
    seed: 1,
    ...over,
  };
}

describe('continueFrom request checks', () => {
  it('accepts a well-formed request', () => {
    expect(requestProblems(req())).toEqual([]);
    expect(() => checkContinueRequest(req())).not.toThrow();
  });

  it('names an empty or blank step and says what to write', () => {
    for (const step of ['', '   ']) {
      const ps = stepProblems({ steps: STEPS, location: 2, step });
      expect(ps).toHaveLength(1);
      expect(ps[0]).toMatch(/your step is empty: write the line that should stand at step 2/);
    }
    expect(() => checkContinueRequest(req({ step: ' ' }))).toThrow(/continueFrom: your step is empty/);
  });

  it('refuses a step of several lines', () => {
    expect(stepProblems({ steps: STEPS, location: 2, step: '1*4=4\n4-2=2' })[0]).toMatch(/more than one line: write one step/);
  });

  it('refuses a picked step outside the attempt and an attempt without steps', () => {
    expect(stepProblems({ steps: STEPS, location: 6, step: 'x' })[0]).toMatch(/step 6 is not a step of this attempt: pick one of its lines, 1 to 5/);
    expect(stepProblems({ steps: STEPS, location: 0, step: 'x' })[0]).toMatch(/1 to 5/);
    expect(stepProblems({ steps: [], location: 1, step: 'x' })[0]).toMatch(/no steps to pick from/);
  });

  it('keeps N within its range, naming the range and the default', () => {
    expect(samplesProblems(CONTINUE_SAMPLES.default)).toEqual([]);
    expect(samplesProblems(CONTINUE_SAMPLES.min)).toEqual([]);
    expect(samplesProblems(CONTINUE_SAMPLES.max)).toEqual([]);
    for (const n of [0, CONTINUE_SAMPLES.max + 1, 2.5, NaN, -3, '16']) {
      expect(samplesProblems(n)[0]).toBe(`N (continuations per start) must be a whole number from 1 to 64, got ${String(n)}; 16 is the default`);
    }
    expect(() => checkContinueRequest(req({ n: 0 }))).toThrow(/N \(continuations per start\) must be a whole number from 1 to 64/);
  });

  it('lists every problem at once (step, N, seed, intervention, config)', () => {
    const ps = requestProblems(req({ step: '', n: 999, seed: -1, intervention: { location: 9, content: 'x' }, config: {} as IntConfig }));
    expect(ps).toHaveLength(5);
    expect(ps.join('\n')).toMatch(/empty[\s\S]*N \(continuations[\s\S]*seed[\s\S]*step 9, outside 1..6[\s\S]*no run config/);
  });
});

describe('planContinueStarts', () => {
  const join = (s: string[]) => s.join('\n');

  it('cuts and joins the starts as the pipeline diagnostics do', () => {
    const starts = planContinueStarts(join, req({ step: ' 1*4=4 ' }));
    const pipeline = continuationStarts(join, STEPS, 2, '1*4=4');
    expect(starts.map((s) => s.kind)).toEqual(['prefix', 'yours', 'model']);
    expect(starts[0].text).toBe(pipeline.prefix);
    expect(starts[1].text).toBe(pipeline.prefixIntervention);
    expect(starts[2].text).toBe(pipeline.prefixIntervention);
    expect(starts[0]).toMatchObject({ steps: ['5-4=1'], step: null, location: 2 });
    expect(starts[1]).toMatchObject({ steps: ['5-4=1', '1*4=4'], step: '1*4=4', text: '5-4=1\n1*4=4\n' });
  });

  it('starts from the problem alone when the first step is picked, and the model start keeps its own location', () => {
    const starts = planContinueStarts(join, req({ location: 1, step: '5-4=1', intervention: { location: 3, content: '4-2=2' } }));
    expect(starts[0].text).toBe('');
    expect(starts[1].text).toBe('5-4=1\n');
    expect(starts[2]).toMatchObject({ location: 3, steps: ['5-4=1', '1*4=5', '4-2=2'], text: '5-4=1\n1*4=5\n4-2=2\n' });
  });

  it('has no model start without an intervention, and refuses a bad request', () => {
    expect(planContinueStarts(join, req({ intervention: null })).map((s) => s.kind)).toEqual(['prefix', 'yours']);
    expect(() => planContinueStarts(join, req({ step: '' }))).toThrow(/your step is empty/);
  });
});

describe('unknownCharacters', () => {
  it("finds what the embedded model's alphabet cannot write", () => {
    const tok = compactCharTokenizer();
    const roundTrip = (s: string) => tok.decode(tok.encode(s), { skipSpecialTokens: true });
    expect(unknownCharacters('1*4=4', roundTrip)).toEqual([]);
    expect(unknownCharacters('1×4=4 é×', roundTrip)).toEqual(['×', 'é']);
  });
});

describe('failedAttemptsOf', () => {
  const attempt = (id: string, correct: boolean, text = 'a\nb'): Attempt => ({ id, problemId: id.split('#')[0], tier: 't', text, correct, reason: correct ? 'match' : 'mismatch: 1 vs 2' });
  const verdict = (attemptId: string, sample: number, status: string, content: string | null, location: number | null) =>
    ({ attemptId, problemId: attemptId.split('#')[0], sample, status, detail: `d-${status}`, content, location }) as FilterResult['verdicts'][number];
  const run = {
    attempts: [attempt('p#0', false), attempt('p#1', true), attempt('q#0', false), attempt('r#0', false), attempt('s#0', false)],
    proposals: [
      { attemptId: 'p#0', steps: ['a', 'b'], truth: 2 },
      { attemptId: 'q#0', steps: ['a', 'b'], truth: 1 },
      { attemptId: 'r#0', steps: ['a', 'b'], truth: null },
    ],
    filtered: {
      verdicts: [verdict('p#0', 0, 'no_block', null, null), verdict('p#0', 1, 'kept', 'B', 2), verdict('q#0', 0, 'leaks_answer', 'A2', 1), verdict('q#0', 1, 'duplicate', 'A3', 1), verdict('r#0', 0, 'no_block', null, null)],
      kept: [{ attemptId: 'p#0', problemId: 'p', sample: 1, content: 'B', location: 2 }],
    },
    checks: [{ attemptId: 'p#0', sample: 1, samples: 8, correct: 6 }],
  };

  it('lists failed attempts with steps, the kept intervention first, else the first parsed one with its verdict', () => {
    const out = failedAttemptsOf(run);
    expect(out.map((a) => a.attemptId)).toEqual(['p#0', 'q#0', 'r#0']); // p#1 solved it; s#0 has no steps (no proposal)
    expect(out[0]).toMatchObject({ steps: ['a', 'b'], truth: 2, reason: 'mismatch: 1 vs 2', intervention: { location: 2, content: 'B', status: 'kept' }, checked: { samples: 8, correct: 6 } });
    expect(out[1]).toMatchObject({ intervention: { location: 1, content: 'A2', status: 'leaks_answer', detail: 'd-leaks_answer' }, checked: null });
    expect(out[2].intervention).toBeNull();
  });

  it("takes a run record's own steps where it has them", () => {
    const out = failedAttemptsOf({ ...run, steps: { 's#0': ['x'] } });
    expect(out.map((a) => a.attemptId)).toEqual(['p#0', 'q#0', 'r#0', 's#0']);
    expect(out[3]).toMatchObject({ steps: ['x'], intervention: null, truth: null });
  });

  it('keeps one attempt per problem and text, preferring one with a kept intervention, and counts the copies', () => {
    const [p0, q0] = failedAttemptsOf(run);
    const q1 = { ...q0, attemptId: 'q#1' };
    const p1 = { ...p0, attemptId: 'p#1', intervention: null };
    const out = distinctAttempts([p1, q0, p0, q1]);
    expect(out.map((a) => [a.attemptId, a.copies])).toEqual([['p#0', 2], ['q#0', 2]]);
  });
});

describe('the published attempts (public/results/chains-critical-strict/attempts.json)', () => {
  const file = JSON.parse(readFileSync(join(PUBLISHED, 'attempts.json'), 'utf8')) as unknown;
  const attempts = parseAttemptsFile(file, 'attempts.json');

  it('are failed attempts of problems of the task its results.json config builds, graded as failed there', () => {
    expect(attempts.length).toBeGreaterThan(50);
    const task = createChainsTask({ ...results.config.data.chains, style: results.config.data.style });
    const byId = new Map([...task.problems('train'), ...task.problems('test')].map((p) => [p.id, p]));
    for (const a of attempts) {
      const p = byId.get(a.problemId);
      expect(p, a.problemId).toBeDefined();
      expect(task.grade(task.joinSteps(a.steps), p!).correct).toBe(false);
      expect(stepProblems({ steps: a.steps, location: 1, step: a.steps[0] })).toEqual([]);
      if (a.intervention) expect(a.intervention.location).toBeLessThanOrEqual(a.steps.length + 1);
    }
    expect(attempts.filter((a) => a.intervention?.status === 'kept').length).toBeGreaterThan(0);
  });

  it('refuses a file of another format, naming it and the script that writes it', () => {
    expect(() => parseAttemptsFile({ format: 'x', attempts: [] }, 'u/attempts.json')).toThrow(/u\/attempts.json is not a failed-attempts file.*scripts\/published-attempts.ts/);
    expect(() => parseAttemptsFile({ format: 'int-lab-failed-attempts', version: 1, attempts: [{ attemptId: 'a', problemId: 'p', tier: 't', steps: [] }] }, 'f')).toThrow(/f: attempt 0 \(a\) lacks/);
  });
});

describe('the view texts', () => {
  const start = (kind: ContinueStart['kind'], solved: number, samples: number): ContinueStart => ({ kind, steps: [], location: 2, step: null, samples, solved, continuations: [] });

  it('labels starts by their prefix', () => {
    expect(startLabel('prefix', 1)).toBe('no prefix (the problem alone)');
    expect(startLabel('prefix', 2)).toBe('prefix (step 1)');
    expect(startLabel('yours', 4)).toBe('prefix (steps 1-3) + your step');
    expect(startLabel('model', 3)).toBe("prefix (steps 1-2) + the model's intervention");
  });

  it('prints rates and the reading', () => {
    expect(rateText(12, 16)).toEqual({ count: '12 / 16', percent: '75%' });
    expect(rateText(0, 0).percent).toBe('-');
    expect(reading([start('prefix', 1, 16), start('yours', 13, 16), start('model', 16, 16)])).toBe(
      "From your step the model solves 13 / 16 against 1 / 16 from the prefix alone (+75 points). The model's own intervention: 16 / 16.",
    );
    expect(reading([start('prefix', 4, 16), start('yours', 4, 16)])).toMatch(/\(no change\)\.$/);
    expect(reading([start('prefix', 4, 16), start('yours', 2, 16)], true)).toBe("From the attempt's own step the model solves 2 / 16 against 4 / 16 from the prefix alone (-13 points).");
  });

  it('groups equal continuations with their count, in first-seen order', () => {
    const c = (text: string, correct: boolean) => ({ text, correct, reason: correct ? 'match' : 'mismatch' });
    expect(groupContinuations([c('a', false), c('b', true), c('a', false), c('a', false)])).toEqual([
      { text: 'a', correct: false, reason: 'mismatch', count: 3 },
      { text: 'b', correct: true, reason: 'match', count: 1 },
    ]);
  });

  it('labels an attempt with its fix and copies', () => {
    const a = { attemptId: 'chains-train-critical-00003#2', problemId: 'chains-train-critical-00003', tier: 'critical', steps: ['a', 'b'], reason: '', intervention: { location: 2, content: 'x', status: 'leaks_answer', detail: '' }, truth: 2, checked: null, copies: 3 };
    expect(attemptLabel(a)).toBe("chains-train-critical-00003 #2: 2 steps, model's fix at step 2 (not kept), 3 rollouts wrote it");
  });
});
