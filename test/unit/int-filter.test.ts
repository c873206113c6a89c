// Filtering interventions: answer-leak traps for chains (exact integer tokens) and math (grader
// normalisation and equivalence), duplicates, keep-one-per-attempt, counts by reason, and the
// optional continuation check.
import { describe, expect, it } from 'vitest';
import {
  answerCandidates,
  applyContinuationCheck,
  chainsLeakCheck,
  filterInterventions,
  leakCheckFor,
  mathLeakCheck,
  normaliseContent,
  numberTokens,
  VERDICT_STATUSES,
  type AttemptCandidates,
} from '../../src/int/filter';

const block = (content: string, location: number) => `log\n<intervention>{"content": ${JSON.stringify(content)}, "location": ${location}}</intervention>`;

describe('chainsLeakCheck', () => {
  const leaks = (content: string, gold: string) => chainsLeakCheck(content, gold).leaks;

  it('finds the gold as a whole number token', () => {
    expect(leaks('=12', '12')).toBe(true);
    expect(leaks('55-43=12', '12')).toBe(true);
    expect(leaks('so it is 12.', '12')).toBe(true);
    expect(leaks('12*3=36', '12')).toBe(true); // an operand equal to the answer counts too (conservative)
    expect(leaks('value 012', '12')).toBe(true);
    expect(leaks('1,200 total', '1200')).toBe(true);
  });

  it('does not match a piece of a larger number', () => {
    expect(leaks('55+65=120', '12')).toBe(false);
    expect(leaks('112-1=111', '12')).toBe(false);
    expect(leaks('x=12.5', '12')).toBe(false);
    expect(leaks('3.12', '12')).toBe(false);
    expect(leaks('1,200', '200')).toBe(false);
    expect(leaks('55*3=165', '16')).toBe(false);
  });

  it('is sign-aware', () => {
    expect(leaks('5-17=-12', '-12')).toBe(true);
    expect(leaks('5-17=\u221212', '-12')).toBe(true);
    expect(leaks('55-12=43', '-12')).toBe(false); // subtraction, not a negative number
    expect(leaks('5-17=-12', '12')).toBe(false);
    expect(leaks('55 -12', '-12')).toBe(true);
  });

  it('says why, and refuses a non-integer gold', () => {
    expect(chainsLeakCheck('55*3=165', '165').why).toContain('165');
    expect(() => chainsLeakCheck('x', '1/2')).toThrow(/not an integer/);
  });

  it('numberTokens reads signs, groups and decimals', () => {
    expect(numberTokens('55-12=43, =-12, (-3), x-4, 1,234.5').map((t) => t.value)).toEqual(['55', '12', '43', '-12', '-3', '4', '1234.5']);
  });
});

describe('mathLeakCheck', () => {
  const leaks = async (content: string, gold: string) => (await mathLeakCheck(content, gold)).leaks;

  it('integer gold: "=12" and "x = 12." leak; "120", "12.5", "3.12" do not', async () => {
    expect(await leaks('so $x=12$', '12')).toBe(true);
    expect(await leaks('so x = 12.', '12')).toBe(true);
    expect(await leaks('the total is 1,000 coins', '1000')).toBe(true);
    expect(await leaks('We get 120 apples.', '12')).toBe(false);
    expect(await leaks('it is 12.5', '12')).toBe(false);
    expect(await leaks('take 3.12', '12')).toBe(false);
    expect(await leaks('Multiply by $\\frac{5}{2}$ first.', '12')).toBe(false);
  });

  it('uses the grader\'s normalisation for LaTeX answers', async () => {
    expect(await leaks('so it is \\dfrac{1}{2} of it', '\\frac{1}{2}')).toBe(true);
    expect(await leaks('equals $2^{n} - 1$ .', '2^{n}-1')).toBe(true);
    expect(await leaks('We compute \\frac{1}{3} of the area', '\\frac{1}{2}')).toBe(false);
  });

  it('respects word boundaries for letters and case for words', async () => {
    expect(await leaks('hence it is n+1 in total', 'n+1')).toBe(true);
    expect(await leaks('it is 2n+1', 'n+1')).toBe(false);
    expect(await leaks('We need All powers of 2 here', 'all powers of 2')).toBe(true);
    expect(await leaks('powers of 25', 'powers of 2')).toBe(false);
  });

  it('catches equivalent forms: a stated final answer and right-hand sides of "="', async () => {
    expect(await leaks('Thus \\boxed{\\frac{1}{\\sqrt{2}}}', '\\frac{\\sqrt{2}}{2}')).toBe(true);
    expect(await leaks('so $x = 0.5$ here', '\\frac{1}{2}')).toBe(true);
    expect(await leaks('consider $k=3$, so', '7')).toBe(false);
  });

  it('answerCandidates takes the last right-hand side of spans and clauses', () => {
    expect(answerCandidates('we set $a = b + 1$ and then x = 5, so y = 6.')).toEqual(['b + 1', '5', '6']);
    expect(answerCandidates('$$p = q = 3$$')).toEqual(['3']);
  });

  it('leakCheckFor picks the check by task', async () => {
    expect(await leakCheckFor({ name: 'chains' })('=12', '12')).toMatchObject({ leaks: true });
    expect(await leakCheckFor({ name: 'math:x' })('x = \\dfrac{1}{2}', '\\frac{1}{2}')).toMatchObject({ leaks: true });
  });
});

describe('filterInterventions', () => {
  const attempt: AttemptCandidates = {
    attemptId: 'a1',
    problemId: 'p1',
    nSteps: 4,
    gold: '136',
    outputs: [
      'no block here',
      '<intervention>{"content": "x", "location": two}</intervention>',
      block('165-29=136', 3), // leaks the answer
      block('55*3=165', 2),
      block('  55*3=165 ', 2), // duplicate after normalisation
      block('55*3=165', 1), // same content, another location: not a duplicate
      block('55 * 3 = 165', 9), // out of range
      '<intervention>{"content": "55*3=1',
    ],
  };

  it('gives one verdict per candidate, with the reason', async () => {
    const r = await filterInterventions([attempt], { leak: chainsLeakCheck });
    expect(r.verdicts.map((v) => v.status)).toEqual([
      'no_block', 'bad_json', 'leaks_answer', 'kept', 'duplicate', 'not_selected', 'location_out_of_range', 'truncated',
    ]);
    expect(r.verdicts.map((v) => v.sample)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(r.verdicts[4]).toMatchObject({ duplicateOf: 3, content: '55*3=165', location: 2 });
    expect(r.verdicts[2].detail).toContain('136');
    expect(r.verdicts[0]).toMatchObject({ content: null, location: null });
    expect(r.kept).toEqual([{ attemptId: 'a1', problemId: 'p1', sample: 3, content: '55*3=165', location: 2 }]);
  });

  it('counts by reason, every status present', async () => {
    const r = await filterInterventions([attempt, { ...attempt, attemptId: 'a2', outputs: ['nothing'] }], { leak: chainsLeakCheck });
    expect(Object.keys(r.counts.byStatus).sort()).toEqual([...VERDICT_STATUSES].sort());
    expect(r.counts).toMatchObject({ candidates: 9, attempts: 2, attemptsKept: 1 });
    expect(r.counts.byStatus).toMatchObject({
      kept: 1, no_block: 2, bad_json: 1, leaks_answer: 1, duplicate: 1, not_selected: 1, location_out_of_range: 1, truncated: 1,
      bad_location: 0, failed_continuation: 0,
    });
    const total = Object.values(r.counts.byStatus).reduce((a, b) => a + b, 0);
    expect(total).toBe(9);
  });

  it('keep = "all" keeps every valid non-duplicate', async () => {
    const r = await filterInterventions([attempt], { leak: chainsLeakCheck, keep: 'all' });
    expect(r.kept.map((k) => [k.sample, k.location])).toEqual([[3, 2], [5, 1]]);
    expect(r.counts.byStatus.not_selected).toBe(0);
  });

  it('without steps, duplicates are found within an attempt only', async () => {
    const r = await filterInterventions(
      [attempt, { ...attempt, attemptId: 'a2', outputs: [block('55*3=165', 2)] }],
      { leak: chainsLeakCheck },
    );
    expect(r.kept.map((k) => k.attemptId)).toEqual(['a1', 'a2']);
  });

  it('de-duplicates the same prefix + intervention across the attempts of a problem', async () => {
    const steps = ['Add 10: 55+10=65', '65*2=130', '130-7=123'];
    const mk = (attemptId: string, problemId: string, st: string[], outputs: string[]): AttemptCandidates => ({ attemptId, problemId, nSteps: st.length, steps: st, gold: '999', outputs });
    const attempts = [
      mk('a1', 'p1', steps, [block('65*3=195', 2)]),
      // same prefix (step 1, spacing and case aside) and the same fix: one row
      mk('a2', 'p1', ['add  10:\t55+10=65 ', '65*2=131', '131-7=124'], [block(' 65*3=195', 2), block('65+65=130', 2)]),
      // same fix after a different prefix: another row
      mk('a3', 'p1', ['55+11=66', '66*2=132'], [block('65*3=195', 2)]),
      // the same trace for another problem: another row
      mk('b1', 'p2', steps, [block('65*3=195', 2)]),
      // within one attempt: 'duplicate', as before
      mk('a4', 'p1', ['1+1=2'], [block('x', 1), block('x', 1)]),
    ];
    const r = await filterInterventions(attempts, { leak: chainsLeakCheck });
    expect(r.verdicts.map((v) => `${v.attemptId}:${v.sample}:${v.status}`)).toEqual([
      'a1:0:kept', 'a2:0:duplicate_across_attempts', 'a2:1:kept', 'a3:0:kept', 'b1:0:kept', 'a4:0:kept', 'a4:1:duplicate',
    ]);
    expect(r.verdicts[1]).toMatchObject({ duplicateOfAttempt: 'a1', duplicateOf: 0 });
    expect(r.verdicts[1].detail).toContain('a1');
    expect(r.counts.byStatus).toMatchObject({ kept: 5, duplicate: 1, duplicate_across_attempts: 1, not_selected: 0 });
    expect(r.kept.map((k) => `${k.attemptId}:${k.sample}`)).toEqual(['a1:0', 'a2:1', 'a3:0', 'b1:0', 'a4:0']);
    // keep = 'all': a row kept once is still not repeated by a later attempt
    const all = await filterInterventions(attempts, { leak: chainsLeakCheck, keep: 'all' });
    expect(all.counts.byStatus.duplicate_across_attempts).toBe(1);
    await expect(filterInterventions([{ ...attempts[0], nSteps: 2 }], { leak: chainsLeakCheck })).rejects.toThrow(/nSteps 2 but 3 steps/);
  });

  it('passes parse options and can copy the raw output', async () => {
    const a: AttemptCandidates = { attemptId: 'a', problemId: 'p', nSteps: 2, gold: '5', outputs: [block('3+1=4', 3), block('', 2)] };
    const strict = await filterInterventions([a], { leak: chainsLeakCheck });
    expect(strict.verdicts.map((v) => v.status)).toEqual(['location_out_of_range', 'empty_content']);
    const lenient = await filterInterventions([a], { leak: chainsLeakCheck, keep: 'all', parse: { allowAppend: true, allowEmpty: true }, includeOutput: true });
    expect(lenient.verdicts.map((v) => v.status)).toEqual(['kept', 'kept']);
    expect(lenient.verdicts[0].output).toBe(a.outputs[0]);
  });

  it('works with an async (math) leak check', async () => {
    const a: AttemptCandidates = {
      attemptId: 'm', problemId: 'pm', nSteps: 3, gold: '\\frac{1}{2}',
      outputs: [block('So the probability is $0.5$, i.e. x = 0.5.', 3), block('Count the favourable cases first.', 2)],
    };
    const r = await filterInterventions([a], { leak: (c, g) => mathLeakCheck(c, g) });
    expect(r.verdicts.map((v) => v.status)).toEqual(['leaks_answer', 'kept']);
  });

  it('rejects a repeated attempt id and a bad keep value', async () => {
    await expect(filterInterventions([attempt, attempt], { leak: chainsLeakCheck })).rejects.toThrow(/appears twice/);
    await expect(filterInterventions([attempt], { leak: chainsLeakCheck, keep: 'best' as 'all' })).rejects.toThrow(/keep/);
  });

  it('normaliseContent folds whitespace, case and width', () => {
    expect(normaliseContent('  A\tb \n Ｃ ')).toBe('a b c');
  });
});

describe('applyContinuationCheck', () => {
  it('marks kept interventions with no correct continuation and recounts', async () => {
    const attempts: AttemptCandidates[] = ['a', 'b', 'c'].map((id) => ({ attemptId: id, problemId: `p${id}`, nSteps: 3, gold: '99', outputs: [block(`fix ${id}`, 1)] }));
    const r = await filterInterventions(attempts, { leak: chainsLeakCheck });
    const outcomes: Record<string, { samples: number; correct: number }> = { a: { samples: 32, correct: 0 }, b: { samples: 32, correct: 3 }, c: { samples: 32, correct: 1 } };
    const checked = applyContinuationCheck(r, (k) => outcomes[k.attemptId]);
    expect(checked.kept.map((k) => k.attemptId)).toEqual(['b', 'c']);
    expect(checked.verdicts[0]).toMatchObject({ status: 'failed_continuation', detail: '0 of 32 continuations correct (needs 1)' });
    expect(checked.counts.byStatus).toMatchObject({ kept: 2, failed_continuation: 1 });
    expect(checked.counts.attemptsKept).toBe(2);
    expect(r.counts.byStatus.kept).toBe(3); // input unchanged
    expect(applyContinuationCheck(r, (k) => outcomes[k.attemptId], 2).kept.map((k) => k.attemptId)).toEqual(['b']);
    expect(() => applyContinuationCheck(r, () => undefined)).toThrow(/no continuation outcome/);
  });
});
