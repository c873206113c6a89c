// The SFT sets of the paper's ablation arms, built from hand-made proposals on the chains world:
// no-filter rows are a superset of the filtered rows, no-prefix rows carry the prefix on the
// prompt side (same tokens as the InT row, loss on the intervention only), with-suffix rows end
// with the reference's remaining steps and its final answer line.
import { describe, expect, it } from 'vitest';
import { compactCharTokenizer } from '../../src/io/char-tokenizer';
import { charCodec } from '../../src/model/codec';
import type { KeptIntervention } from '../../src/int/filter';
import { buildSftSets, completionEnds, type Proposal } from '../../src/int/stages';
import { tokenizeSft } from '../../src/int/train-arm';
import { createChainsTask } from '../../src/tasks/chains';
import type { Problem } from '../../src/tasks/task';

const task = createChainsTask({});
const problems = task.problems('train').filter((p) => task.solutionSteps(p).length >= 4).slice(0, 3);
const byId = new Map<string, Problem>(problems.map((p) => [p.id, p]));

/** A failed attempt: the reference's op lines with step 2 (1-based) made wrong, no answer line. */
function proposal(p: Problem, k: number): Proposal {
  const ref = task.solutionSteps(p);
  const steps = [ref[0], 'WRONG', ...ref.slice(2, -1)];
  return { attemptId: `${p.id}#${k}`, problemId: p.id, tier: p.difficulty, attempt: task.joinSteps(steps), steps, outputs: [], truth: 2 };
}

const proposals = problems.map((p, i) => proposal(p, i));
const kept = (p: Proposal, location: number, content: string): KeptIntervention => ({ attemptId: p.attemptId, problemId: p.problemId, sample: 0, location, content });
const fix = (i: number) => task.solutionSteps(problems[i])[1];
// before the continuation check: three interventions; after it: two (the third failed)
const unchecked = [kept(proposals[0], 2, fix(0)), kept(proposals[1], 2, fix(1)), kept(proposals[2], 1, 'guess')];
const checked = unchecked.slice(0, 2);
const sets = buildSftSets(task, proposals, checked, [], byId, unchecked);

describe('ablation SFT sets', () => {
  it('InT SFT rows are prefix + intervention; the no-filter set holds every row before the check', () => {
    expect(sets.interventions.map((r) => r.completion)).toEqual(checked.map((k, i) => task.joinSteps([proposals[i].steps[0], fix(i)])));
    expect(sets.interventions_no_filter).toHaveLength(3);
    for (const r of sets.interventions) expect(sets.interventions_no_filter).toContainEqual(r);
    expect(sets.interventions_no_filter[2].completion).toBe('guess');
    // without a separate unchecked list the two sets agree
    expect(buildSftSets(task, proposals, checked, [], byId).interventions_no_filter).toEqual(sets.interventions);
  });

  it('no-prefix rows put the prefix on the prompt side: same tokens, loss on the intervention only', () => {
    const codec = charCodec(compactCharTokenizer());
    expect(sets.interventions_no_prefix_loss).toHaveLength(checked.length);
    for (const [i, r] of sets.interventions_no_prefix_loss.entries()) {
      const int = sets.interventions[i];
      expect(r.prompt).toBe(int.prompt);
      expect(r.completion).toBe(fix(i));
      expect(r.prefix! + r.completion).toBe(int.completion);
      expect(completionEnds(r)).toBe(false);
      const a = tokenizeSft(codec, [int], 4096).rows[0];
      const b = tokenizeSft(codec, [r], 4096).rows[0];
      expect([...b.prompt, ...b.completion]).toEqual([...a.prompt, ...a.completion]);
      expect(b.completion).toEqual(codec.completionIds(fix(i), false));
      expect(b.prompt.length).toBe(a.prompt.length + r.prefix!.length);
    }
  });

  it('no-prefix rows skip an empty intervention (nothing to train on)', () => {
    const s = buildSftSets(task, proposals, [kept(proposals[0], 2, '')], [], byId);
    expect(s.interventions).toHaveLength(1);
    expect(s.interventions_no_prefix_loss).toHaveLength(0);
  });

  it('with-suffix rows end with the reference steps after the intervention and the final answer', () => {
    for (const [i, r] of sets.interventions_with_suffix.entries()) {
      const ref = task.solutionSteps(problems[i]);
      const lines = task.splitSteps(r.completion);
      expect(lines.slice(0, 2)).toEqual([proposals[i].steps[0], fix(i)]);
      expect(lines.slice(2)).toEqual(ref.slice(2));
      expect(lines[lines.length - 1]).toBe(ref[ref.length - 1]);
      expect(r.completion.startsWith(sets.interventions[i].completion)).toBe(true);
      expect(completionEnds(r)).toBe(true);
    }
    // the corrected InT row plus the suffix is the whole reference solution here
    expect(sets.interventions_with_suffix[0].completion).toBe(task.solution(problems[0]));
  });

  it('a deleted step continues with the reference from that step on', () => {
    const s = buildSftSets(task, proposals, [kept(proposals[0], 2, '')], [], byId);
    const ref = task.solutionSteps(problems[0]);
    expect(task.splitSteps(s.interventions_with_suffix[0].completion)).toEqual([ref[0], ...ref.slice(1)]);
  });
});
