// Verify documents from the model's own attempts (self-verify.ts) and the train-split problems a run
// samples them on (drawPretrainProblem): failed attempts become their ideal log up to the first
// wrong line, right ones are kept at okShare, and what does not fit is counted, not trained on.
import { describe, expect, it } from 'vitest';
import { compactCharTokenizer } from '../../src/io/char-tokenizer';
import { canonicalProgram, compactRenderers, compactVerificationLog, injectError, joinSteps, parseIntervention, programOf, solutionSteps, splitOfProgram } from '../../src/tasks/chains';
import { createRng } from '../../src/util/random';
import { drawPretrainProblem, encodeExample, resolvePretrainConfig } from '../../src/tasks/chains/pretrain-data';
import { nextVerdictTilt, ownDecisions, selfVerifyRound, selfVerifySummary, tiltedVerdictWeights, VERDICT_TILT_LIMIT } from '../../src/tasks/chains/self-verify';
import { decisionSummary } from '../../src/tasks/chains/pretrain-probe';

const tok = compactCharTokenizer();
const data = resolvePretrainConfig({});
const problems = Array.from({ length: 12 }, (_, i) => drawPretrainProblem(data, 'test', i));

describe('drawPretrainProblem', () => {
  it('draws train-split problems, the same for the same (seed, stream, index), others for another stream', () => {
    for (const p of problems) expect(splitOfProgram(canonicalProgram(programOf(p)), data.chains.testShare)).toBe('train');
    const again = Array.from({ length: 12 }, (_, i) => drawPretrainProblem(data, 'test', i));
    expect(again.map((p) => canonicalProgram(programOf(p)))).toEqual(problems.map((p) => canonicalProgram(programOf(p))));
    const other = Array.from({ length: 12 }, (_, i) => drawPretrainProblem(data, 'other', i));
    expect(other.map((p) => canonicalProgram(programOf(p)))).not.toEqual(problems.map((p) => canonicalProgram(programOf(p))));
    expect(new Set(problems.map((p) => p.id)).size).toBe(12);
  });

  it('follows the tier weights and refuses a bad index', () => {
    const easyOnly = resolvePretrainConfig({ tierWeights: { easy: 1, medium: 0, hard: 0 } });
    const tiers = new Set(Array.from({ length: 40 }, (_, i) => drawPretrainProblem(easyOnly, 's', i).difficulty));
    expect([...tiers]).toEqual(['easy']);
    expect(() => drawPretrainProblem(data, 's', -1)).toThrow(/index must be an integer >= 0/);
  });
});

describe('selfVerifyRound', () => {
  const rng = createRng(5);
  const right = (i: number) => joinSteps(solutionSteps(problems[i], 'compact'));
  const wrong = (i: number, k: number) => injectError(problems[i], k, rng, { style: 'compact' });

  it('makes every failed attempt a verify document: its ideal log, the intervention at the first wrong line', () => {
    const a = wrong(0, 2);
    const b = wrong(1, 1);
    const r = selfVerifyRound([problems[0], problems[1]], [[a.text], [b.text, right(1)]], { okShare: 0, seed: 1, pairs: false, tok, maxPositions: 1024 });
    const verify = r.docs.filter((d) => d.kind === 'verify');
    expect(verify).toHaveLength(2);
    expect(r.docs).toHaveLength(2); // okShare 0: no right attempt kept
    const d = verify.find((x) => x.problem === problems[0])!;
    const log = compactVerificationLog(problems[0], a.steps);
    expect(d.prompt).toBe(compactRenderers.verifyAndIntervene(problems[0], a.steps));
    expect(d.completion).toBe(log.text);
    expect(d.verdictAt).toEqual(log.verdictAt);
    expect(d.attemptSlip).toBe(2);
    expect(parseIntervention(d.completion)?.location).toBe(2);
    expect(d.verdictAt.map((j) => d.completion[j])).toEqual(['o', 'b']);
    expect(r.firstWrong).toEqual({ 1: 1, 2: 1 });
    expect(r.byTier[problems[1].difficulty].right).toBeGreaterThanOrEqual(1);
    expect(Object.values(r.byTier).reduce((s, t) => s + t.attempts, 0)).toBe(3);
    expect(r.skipped).toBe(0);
  });

  it('keeps right attempts as all-ok documents at okShare (1: all; 0.5: some, seeded)', () => {
    const ps = problems.slice(0, 8);
    const attempts = ps.map((_, i) => [right(i), right(i), right(i), right(i)]);
    const all = selfVerifyRound(ps, attempts, { okShare: 1, seed: 1, pairs: false, tok, maxPositions: 1024 });
    expect(all.docs).toHaveLength(32);
    for (const d of all.docs) {
      expect(d.kind).toBe('verifyOk');
      expect(d.attemptSlip).toBeNull();
      expect(d.completion).not.toMatch(/<intervention>/);
      expect(d.verdictAt.every((j) => d.completion[j] === 'o')).toBe(true);
    }
    const half = selfVerifyRound(ps, attempts, { okShare: 0.5, seed: 1, pairs: false, tok, maxPositions: 1024 });
    expect(half.docs.length).toBeGreaterThan(4);
    expect(half.docs.length).toBeLessThan(28);
    expect(selfVerifyRound(ps, attempts, { okShare: 0.5, seed: 1, pairs: false, tok, maxPositions: 1024 }).docs.length).toBe(half.docs.length);
    expect(() => selfVerifyRound(ps, attempts, { okShare: 2, seed: 1, pairs: false, tok, maxPositions: 1024 })).toThrow(/okShare must be in \[0, 1\]/);
    expect(() => selfVerifyRound(ps, attempts.slice(1), { okShare: 1, seed: 1, pairs: false, tok, maxPositions: 1024 })).toThrow(/7 attempt lists for 8 problems/);
  });

  it('counts what does not fit the context instead of training on it, keeps stray text in the alphabet; an empty attempt is a failure at line 1', () => {
    const a = wrong(2, 1);
    const long = selfVerifyRound([problems[2]], [[a.text]], { okShare: 1, seed: 1, pairs: false, tok, maxPositions: 20 });
    expect(long.docs).toHaveLength(0);
    expect(long.skipped).toBe(1);
    expect(long.firstWrong).toEqual({ 1: 1 }); // still counted as a failure
    // Check lines map stray characters into the alphabet, so a special token's text stays plain text.
    const odd = selfVerifyRound([problems[2]], [['1 2+2=4<|bos|>\n']], { okShare: 1, seed: 1, pairs: false, tok, maxPositions: 1024 });
    expect(odd.docs).toHaveLength(1);
    expect(encodeExample(odd.docs[0], tok).ids.slice(1, -1).every((id) => id >= 4)).toBe(true);
    const empty = selfVerifyRound([problems[3]], [['']], { okShare: 1, seed: 1, pairs: false, tok, maxPositions: 1024 });
    expect(empty.docs).toHaveLength(1);
    expect(empty.docs[0].attemptSlip).toBe(1);
    expect(() => encodeExample(empty.docs[0], tok)).not.toThrow();
  });

  it('pairs each failed attempt with the all-ok log of the right solution (pairs), so the failed line appears both ways', () => {
    const a = wrong(4, 1);
    const r = selfVerifyRound([problems[4]], [[a.text, right(4)]], { okShare: 0, seed: 1, pairs: true, tok, maxPositions: 1024 });
    expect(r.docs.map((d) => d.kind)).toEqual(['verify', 'verifyOk']); // the right attempt itself is not kept (okShare 0)
    const [bad, ok] = r.docs;
    const gold = compactVerificationLog(problems[4], solutionSteps(problems[4], 'compact'));
    expect(ok.completion).toBe(gold.text);
    expect(ok.prompt).toBe(compactRenderers.verifyAndIntervene(problems[4], solutionSteps(problems[4], 'compact')));
    // Line 1 is judged in both: "bad" in the attempt's log, "ok" in the pair's, at the same offset of the line.
    expect(bad.completion[bad.verdictAt[0]]).toBe('b');
    expect(ok.completion[ok.verdictAt[0]]).toBe('o');
    expect(bad.verdictAt[0]).toBe(ok.verdictAt[0] + a.steps[0].length - solutionSteps(problems[4], 'compact')[0].length);
  });

  it('summarises a round in one line', () => {
    const r = selfVerifyRound([problems[0]], [[right(0), wrong(0, 1).text]], { okShare: 1, seed: 1, pairs: false, tok, maxPositions: 1024 });
    expect(selfVerifySummary(r)).toMatch(/^2 attempts, right 0\.500 \(\w+ 0\.50\); 1 failed, first wrong line 1: 1; 2 documents \(1 verify\)$/);
  });
});

describe('verdict calibration on own attempts', () => {
  it('names every verdict of the documents as an ok or bad decision at its offset', () => {
    const p = problems[0];
    const steps = solutionSteps(p, 'compact');
    const wrong = injectError(p, 2, createRng(5), { style: 'compact' });
    const r = selfVerifyRound([p], [[wrong.text, joinSteps(steps)]], { okShare: 1, pairs: false, seed: 1, tok, maxPositions: 1024 });
    const d = ownDecisions(r.docs);
    expect(d[0].decisions).toEqual([{ at: r.docs[0].verdictAt[0], bad: false }, { at: r.docs[0].verdictAt[1], bad: true }]);
    expect(d[1].decisions.length).toBe(steps.length);
    expect(d[1].decisions.every((x) => !x.bad)).toBe(true);
    for (const [i, doc] of r.docs.entries()) for (const x of d[i].decisions) expect(doc.completion.slice(x.at, x.at + (x.bad ? 3 : 2))).toBe(x.bad ? 'bad' : 'ok');
    // Scored log-probs of the right verdicts: the first document's bad one missed, the second's ok ones right.
    const logp = r.docs.map((doc) => new Float32Array(doc.completion.length + 1).fill(Math.log(0.9)));
    logp[0][r.docs[0].verdictAt[1]] = Math.log(0.2);
    expect(decisionSummary(d, logp)).toMatchObject({ ok: 1, bad: 0, okCount: steps.length + 1, badCount: 1 });
  });

  it('tilts toward the decision missed more often, clamps at 8x, and holds without both kinds', () => {
    const f = (ok: number, bad: number, okCount = 10, badCount = 10) => ({ ok, bad, okCount, badCount });
    expect(nextVerdictTilt(0, f(0.9, 0.4), 1)).toBeCloseTo(0.5, 12); // misses first errors: "bad" gains
    expect(nextVerdictTilt(0.5, f(0.3, 0.8), 2)).toBeCloseTo(-0.5, 12); // flags right lines: "ok" gains
    expect(nextVerdictTilt(2, f(1, 0), 1)).toBe(VERDICT_TILT_LIMIT);
    expect(nextVerdictTilt(-2, f(0, 1), 1)).toBe(-VERDICT_TILT_LIMIT);
    expect(nextVerdictTilt(0.3, f(0.9, 0.1, 0, 10), 1)).toBe(0.3);
    expect(nextVerdictTilt(0.3, f(0.9, 0.1, 10, 0), 1)).toBe(0.3);
    const w = tiltedVerdictWeights({ ok: 7.5, bad: 15 }, Math.log(4));
    expect(w.bad / w.ok).toBeCloseTo(8, 12);
    expect(Math.sqrt(w.ok * w.bad)).toBeCloseTo(Math.sqrt(7.5 * 15), 12);
    expect(tiltedVerdictWeights({ ok: 7.5, bad: 15 }, 0)).toEqual({ ok: 7.5, bad: 15 });
  });
});
