// parseInterventionOutput on adversarial verifier outputs: several blocks, nested braces, escaped
// quotes, prose and code fences, cut-off outputs, odd locations, LaTeX backslashes; and agreement
// with the chains world's own parser on its ideal verification outputs.
import { describe, expect, it } from 'vitest';
import { findInterventionBlocks, parseInterventionOutput, repairJsonText, scanJsonObject, type ParseResult } from '../../src/int/parse';
import { createChainsTask, parseIntervention } from '../../src/tasks/chains';
import { createRng } from '../../src/util/random';

const block = (content: string, location: number | string) =>
  `<intervention>{"content": ${JSON.stringify(content)}, "location": ${typeof location === 'number' ? location : JSON.stringify(location)}}</intervention>`;

function ok(r: ParseResult): Extract<ParseResult, { ok: true }> {
  if (!r.ok) throw new Error(`expected a parse, got ${r.reason}: ${r.detail}`);
  return r;
}

function fail(r: ParseResult) {
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r.content)} @ ${r.location}`);
  return r;
}

describe('parseInterventionOutput: the block', () => {
  it('parses the published format', () => {
    const r = ok(parseInterventionOutput('log...\n<intervention>{"content": "55 * 3 = 165", "location": 2}</intervention>', 4));
    expect(r).toMatchObject({ content: '55 * 3 = 165', location: 2, blocks: 1, fellBack: false, repaired: false });
    expect(r.block.closed).toBe(true);
  });

  it('takes the LAST of several blocks', () => {
    const text = `draft: ${block('first idea', 1)}\nOn reflection:\n${block('second idea', 3)}\nthen ${block('final idea', 2)}`;
    const r = ok(parseInterventionOutput(text, 5));
    expect(r).toMatchObject({ content: 'final idea', location: 2, blocks: 3 });
  });

  it('keeps nested braces inside the content string', () => {
    const r = ok(parseInterventionOutput('<intervention>{"content": "Let S = {a, {b}} and f(x) = {x}}", "location": 1}</intervention>', 2));
    expect(r.content).toBe('Let S = {a, {b}} and f(x) = {x}}');
  });

  it('keeps escaped quotes and a closing tag written inside the string', () => {
    const text = '<intervention>{"content": "He wrote \\"x = 3 }\\" and </intervention> here", "location": 1}</intervention> trailing';
    expect(ok(parseInterventionOutput(text, 1)).content).toBe('He wrote "x = 3 }" and </intervention> here');
  });

  it('ignores prose around the block and code fences inside or around it', () => {
    const inside = 'Verification: step 2 is wrong.\n<intervention>\n```json\n{"content": "fix", "location": 2}\n```\n</intervention>\nDone.';
    expect(ok(parseInterventionOutput(inside, 3))).toMatchObject({ content: 'fix', location: 2 });
    const around = 'Here it is:\n```\n<intervention>{"content": "fix", "location": 3}</intervention>\n```\n';
    expect(ok(parseInterventionOutput(around, 3))).toMatchObject({ content: 'fix', location: 3 });
  });

  it('skips a tag mentioned in prose', () => {
    const text = 'I will now write the <intervention> block with my fix.\n' + block('real fix', 2);
    expect(ok(parseInterventionOutput(text, 3))).toMatchObject({ content: 'real fix', location: 2, blocks: 1 });
    expect(fail(parseInterventionOutput('Next I would write an <intervention> tag, but I stop here.', 3)).reason).toBe('no_block');
  });

  it('accepts extra keys, upper-case keys and tag spacing', () => {
    const r = ok(parseInterventionOutput('< intervention >{"reason": "carry", "Content": "x", "LOCATION": 1, "note": {"a": 1}}</ intervention >', 1));
    expect(r).toMatchObject({ content: 'x', location: 1 });
  });

  it('trims the content', () => {
    expect(ok(parseInterventionOutput(block('  fix \n', 1), 1)).content).toBe('fix');
  });

  it('accepts a complete block whose closing tag a stop sequence removed', () => {
    const r = ok(parseInterventionOutput('1 ok\n2 bad\n<intervention>{"content": "55*3=165", "location": 2}', 3));
    expect(r).toMatchObject({ content: '55*3=165', location: 2 });
    expect(r.block.closed).toBe(false);
  });
});

describe('parseInterventionOutput: locations', () => {
  it('reads a location written as a string, "Step 3" or 3.0', () => {
    expect(ok(parseInterventionOutput(block('x', '3'), 4)).location).toBe(3);
    expect(ok(parseInterventionOutput(block('x', ' 2 '), 4)).location).toBe(2);
    expect(ok(parseInterventionOutput(block('x', 'Substep 4'), 4)).location).toBe(4);
    expect(ok(parseInterventionOutput('<intervention>{"content": "x", "location": 3.0}</intervention>', 4)).location).toBe(3);
  });

  it('rejects locations that are not whole numbers', () => {
    for (const loc of ['2.5', '"two"', 'null', '[2]']) {
      const r = fail(parseInterventionOutput(`<intervention>{"content": "x", "location": ${loc}}</intervention>`, 4));
      expect(r.reason).toBe('bad_location');
    }
    expect(fail(parseInterventionOutput('<intervention>{"content": "x"}</intervention>', 4)).reason).toBe('bad_location');
  });

  it('checks the range [1, nSteps] (nSteps + 1 only with allowAppend)', () => {
    expect(fail(parseInterventionOutput(block('x', 0), 4)).reason).toBe('location_out_of_range');
    expect(fail(parseInterventionOutput(block('x', -1), 4)).reason).toBe('location_out_of_range');
    expect(ok(parseInterventionOutput(block('x', 4), 4)).location).toBe(4);
    const r = fail(parseInterventionOutput(block('x', 5), 4));
    expect(r.reason).toBe('location_out_of_range');
    expect(r.detail).toContain('[1, 4]');
    expect(ok(parseInterventionOutput(block('x', 5), 4, { allowAppend: true })).location).toBe(5);
    expect(fail(parseInterventionOutput(block('x', 6), 4, { allowAppend: true })).reason).toBe('location_out_of_range');
  });

  it('throws on a bad nSteps', () => {
    expect(() => parseInterventionOutput(block('x', 1), -1)).toThrow(/nSteps/);
    expect(() => parseInterventionOutput(block('x', 1), 2.5)).toThrow(/nSteps/);
  });
});

describe('parseInterventionOutput: failures', () => {
  it('no block', () => {
    const r = fail(parseInterventionOutput('Step 2 is wrong; it should be 165.', 3));
    expect(r).toMatchObject({ reason: 'no_block', blocks: 0 });
  });

  it('a cut-off only block is truncated', () => {
    expect(fail(parseInterventionOutput('log\n<intervention>{"content": "55*3=1', 3)).reason).toBe('truncated');
    expect(fail(parseInterventionOutput('log\n<intervention>', 3)).reason).toBe('truncated');
    expect(fail(parseInterventionOutput('log\n<intervention>\n```json\n', 3)).reason).toBe('truncated');
  });

  it('a cut-off last block falls back to the previous complete block', () => {
    const text = `${block('earlier fix', 2)}\nHmm, let me refine:\n<intervention>{"content": "better fi`;
    const r = ok(parseInterventionOutput(text, 3));
    expect(r).toMatchObject({ content: 'earlier fix', location: 2, fellBack: true, blocks: 2 });
  });

  it('a last block with bad JSON is a failure even after a good one (no fall-back)', () => {
    const text = `${block('earlier fix', 2)}\n<intervention>{'content': 'single quotes', 'location': 1}</intervention>`;
    expect(fail(parseInterventionOutput(text, 3)).reason).toBe('bad_json');
  });

  it('bad JSON: unescaped quotes, a placeholder location, trailing junk, no braces', () => {
    const cases = [
      '<intervention>{"content": "he said "hi" loudly", "location": 2}</intervention>',
      '<intervention>{"content": "x, "location": 2}</intervention>',
      '<intervention>{"content": "...", "location": N}</intervention>',
      '<intervention>{"content": "x", "location": 2}} extra</intervention>',
      '<intervention>"content": "x", "location": 2</intervention>',
      '<intervention>["x", 2]</intervention>',
    ];
    for (const c of cases) expect(fail(parseInterventionOutput(c, 3)).reason, c).toBe('bad_json');
  });

  it('an unbalanced block followed by a good one: the good one is the last', () => {
    const text = `<intervention>{"content": "x</intervention> prose ${block('y', 2)}`;
    expect(ok(parseInterventionOutput(text, 3))).toMatchObject({ content: 'y', location: 2, blocks: 2 });
  });

  it('content missing, not a string, or empty', () => {
    expect(fail(parseInterventionOutput('<intervention>{"location": 2}</intervention>', 3)).reason).toBe('bad_content');
    expect(fail(parseInterventionOutput('<intervention>{"content": 165, "location": 2}</intervention>', 3)).reason).toBe('bad_content');
    expect(fail(parseInterventionOutput(block('   ', 2), 3)).reason).toBe('empty_content');
    expect(ok(parseInterventionOutput(block('', 2), 3, { allowEmpty: true })).content).toBe('');
  });
});

describe('LaTeX backslashes and control characters', () => {
  it('keeps unescaped LaTeX commands literally', () => {
    const raw = String.raw`<intervention>{"content": "So \frac{1}{2} + \sqrt{3} = \theta \times \beta, \left(x\right) \neq y", "location": 1}</intervention>`;
    const r = ok(parseInterventionOutput(raw, 2));
    expect(r.content).toBe(String.raw`So \frac{1}{2} + \sqrt{3} = \theta \times \beta, \left(x\right) \neq y`);
    expect(r.repaired).toBe(true);
  });

  it('keeps properly escaped text as JSON means it', () => {
    const raw = String.raw`<intervention>{"content": "a \\frac{1}{2}\nnext line\tTab \u00e9 \"q\"", "location": 1}</intervention>`;
    const r = ok(parseInterventionOutput(raw, 2));
    expect(r.content).toBe('a \\frac{1}{2}\nnext line\tTab é "q"');
    expect(r.repaired).toBe(false);
  });

  it('raw newlines inside the string are accepted', () => {
    const r = ok(parseInterventionOutput('<intervention>{"content": "line one\nline two", "location": 1}</intervention>', 1));
    expect(r.content).toBe('line one\nline two');
  });

  it('repairJsonText and scanJsonObject directly', () => {
    expect(JSON.parse(repairJsonText(String.raw`{"a": "\sqrt{2} \\ \n"}`)).a).toBe('\\sqrt{2} \\ \n');
    expect(scanJsonObject('x{"a": "}{"}y', 1)).toBe(12);
    expect(scanJsonObject('{"a": {"b": 1}', 0)).toBe(-1);
  });
});

describe('agreement with the chains world', () => {
  it('parses every ideal compact verification like the chains parser', () => {
    const task = createChainsTask({ counts: { easy: { train: 20, test: 0 }, medium: { train: 20, test: 0 }, hard: { train: 20, test: 0 } } });
    const rng = createRng('int-parse');
    let n = 0;
    let appended = 0;
    for (const p of task.problems('train')) {
      const nOps = task.solutionSteps(p).length - 1;
      const k = rng.int(1, nOps);
      const att = task.injectError(p, k, rng);
      // also a short attempt (missing steps) to exercise location = steps + 1
      for (const steps of [att.steps, att.steps.slice(0, k - 1)]) {
        const out = task.compactVerification(p, steps);
        const theirs = parseIntervention(out);
        const ours = parseInterventionOutput(out, steps.length, { allowAppend: true, allowEmpty: true });
        expect(theirs).not.toBeNull();
        expect(ok(ours)).toMatchObject({ content: theirs!.content, location: theirs!.location });
        expect(ours.ok && ours.location).toBe(task.firstDivergentStep(steps, p));
        expect(findInterventionBlocks(out)).toHaveLength(1);
        if (ours.ok && ours.location === steps.length + 1) appended++;
        n++;
      }
    }
    expect(n).toBe(120);
    expect(appended).toBe(60); // every short attempt ends before its first wrong step
    expect(fail(parseInterventionOutput(task.compactVerification(task.problems('train')[0], []), 0)).reason).toBe('location_out_of_range');
  });
});
