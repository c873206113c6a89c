// Pretraining documents of the embedded chains model: determinism, train split only, the kind and
// tier mix, the alphabet, slips that really propagate, verification logs that parse, and packing.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compactCharTokenizer } from '../../src/io/char-tokenizer';
import { checkedLines } from '../shared/compact-log';
import { NodeFolderSource } from '../../src/io/folder';
import { loadTokenizer } from '../../src/io/tokenizer';
import {
  COMPACT_ALPHABET,
  applyOp,
  canonicalProgram,
  correctStep,
  createChainsTask,
  firstDivergentStep,
  gradeChains,
  hintCount,
  parseIntervention,
  parseStep,
  programOf,
  solutionText,
  splitOfProgram,
  type Problem,
  type TierSpec,
} from '../../src/tasks/chains';
import {
  DEFAULT_PRETRAIN_MIX,
  PRETRAIN_KINDS,
  documentLossStart,
  encodeExample,
  expectedSolveRate,
  generatePretrainExamples,
  packExamples,
  packRows,
  pretrainExample,
  resolvePretrainConfig,
  slipHazards,
  type PretrainExample,
} from '../../src/tasks/chains/pretrain-data';

const tok = compactCharTokenizer();
const N = 3000;
const examples = generatePretrainExamples(N);

/** The attempt lines of a compact selfReflect prompt ("t:" block, "K line r:V" each). */
function attemptOf(prompt: string): string[] {
  const lines = prompt.split('\n');
  const from = lines.indexOf('t:') + 1;
  const to = lines.findIndex((l, i) => i >= from && /^[vw]:$/.test(l));
  return lines.slice(from, to).map((l, i) => {
    expect(l.startsWith(`${i + 1} `)).toBe(true);
    return l.slice(String(i + 1).length + 1).replace(/ r:-?\d+$/, '');
  });
}

/** The full solution a solve-like example writes: prompt lines after "q:" / "h:", then the completion. */
function traceOf(ex: PretrainExample): string[] {
  const before = ex.prompt.split('\n').filter((l) => l && !/^[qh]:/.test(l));
  return [...before, ...ex.completion.split('\n')];
}

describe('pretraining examples', () => {
  it('are deterministic, depend only on (seed, index), and change with the seed', () => {
    const again = generatePretrainExamples(200);
    expect(again.map((e) => [e.kind, e.prompt, e.completion])).toEqual(examples.slice(0, 200).map((e) => [e.kind, e.prompt, e.completion]));
    const cfg = resolvePretrainConfig();
    expect(generatePretrainExamples(5, cfg, 1234)).toEqual(examples.slice(1234, 1239));
    expect(pretrainExample(77, cfg)).toEqual(examples[77]);
    // An input that looks like a config (a Set holdOut, a chains block) is still resolved.
    const look = generatePretrainExamples(3, { chains: { testShare: 0.5 }, holdOut: new Set<string>() });
    expect(look).toEqual(examples.slice(0, 3));
    const other = generatePretrainExamples(50, { seed: 99 });
    const same = other.filter((e, i) => e.prompt === examples[i].prompt && e.completion === examples[i].completion).length;
    expect(same).toBeLessThan(5);
  });

  it('only use train-split programs, never a test problem', () => {
    const test = new Set(createChainsTask().problems('test').map((p) => p.meta!.canonical as string));
    for (const e of examples) {
      const canon = e.problem.meta!.canonical as string;
      expect(e.problem.split).toBe('train');
      expect(splitOfProgram(canon, 0.5)).toBe('train');
      expect(test.has(canon)).toBe(false);
      expect(e.prompt.startsWith(`q:${canon}\n`)).toBe(true);
    }
    // Another testShare moves the split; the generator follows it.
    for (const e of generatePretrainExamples(300, { chains: { testShare: 0.9 } })) {
      expect(splitOfProgram(e.problem.meta!.canonical as string, 0.9)).toBe('train');
    }
  });

  it('never draw held-out programs (a tiny program space where collisions are certain)', () => {
    const tiny: TierSpec = { name: 'tiny', steps: [1, 1], start: [2, 9], ops: ['add'], operands: { add: [1, 4] }, allowNegative: false, maxAbs: 99 };
    const chains = { tiers: [tiny], testShare: 0.3 };
    const all = generatePretrainExamples(400, { chains });
    const seen = [...new Set(all.map((e) => e.problem.meta!.canonical as string))];
    expect(seen.length).toBeGreaterThan(6);
    const holdOut = seen.slice(0, 4);
    const rest = generatePretrainExamples(400, { chains, holdOut });
    const restSeen = new Set(rest.map((e) => e.problem.meta!.canonical as string));
    for (const h of holdOut) expect(restSeen.has(h)).toBe(false);
    expect(restSeen.size).toBeGreaterThan(2);
    // Problems (not only canonical strings) are accepted.
    const asProblems: Problem[] = rest.slice(0, 2).map((e) => e.problem);
    const again = generatePretrainExamples(200, { chains, holdOut: [...holdOut, ...asProblems] });
    for (const p of asProblems) expect(again.some((e) => e.problem.meta!.canonical === p.meta!.canonical)).toBe(false);
  });

  it('follow the configured kind and tier proportions', () => {
    const total = Object.values(DEFAULT_PRETRAIN_MIX).reduce((a, b) => a + b, 0);
    for (const k of PRETRAIN_KINDS) {
      const share = examples.filter((e) => e.kind === k).length / N;
      expect(Math.abs(share - DEFAULT_PRETRAIN_MIX[k] / total)).toBeLessThan(0.03);
    }
    for (const t of ['easy', 'medium', 'hard']) {
      expect(Math.abs(examples.filter((e) => e.problem.difficulty === t).length / N - 1 / 3)).toBeLessThan(0.03);
    }
    const custom = generatePretrainExamples(1000, { mix: { solve: 3, verify: 1, verifyOk: 0, continue: 0, hint: 0, reflect: 0 }, tierWeights: { hard: 0 } });
    expect(new Set(custom.map((e) => e.kind))).toEqual(new Set(['solve', 'verify']));
    expect(Math.abs(custom.filter((e) => e.kind === 'solve').length / 1000 - 0.75)).toBeLessThan(0.04);
    expect(custom.some((e) => e.problem.difficulty === 'hard')).toBe(false);
  });

  it('write only COMPACT_ALPHABET characters, and every character the formats need', () => {
    const alphabet = new Set(COMPACT_ALPHABET);
    const used = new Set<string>();
    for (const e of examples) {
      for (const ch of e.prompt + e.completion) used.add(ch);
      expect(e.prompt.endsWith('\n')).toBe(true);
      expect(e.completion.length).toBeGreaterThan(0);
    }
    expect([...used].filter((ch) => !alphabet.has(ch))).toEqual([]);
    // Digits, operators, markers, the log words and the intervention block's punctuation.
    const needed = '\n "%*+,-/0123456789:<=>{}' + 'qhrtvw' + 'okbadnotall' + 'intervention' + 'content' + 'location';
    expect([...new Set(needed)].filter((ch) => !used.has(ch))).toEqual([]);
    // "?" only stands in for foreign characters of untrusted attempts, which this data never has.
    expect(used.has('?')).toBe(false);
  });

  it('solve / hint / continue traces: a slip is the first divergent step and makes the answer wrong', () => {
    let slipped = 0;
    for (const e of examples.filter((x) => x.kind === 'solve' || x.kind === 'hint' || x.kind === 'continue')) {
      const trace = traceOf(e);
      expect(e.attemptSlip).toBeNull();
      expect(firstDivergentStep(trace, e.problem)).toBe(e.completionSlip);
      expect(gradeChains(e.completion, e.problem).correct).toBe(e.completionSlip === null);
      if (e.completionSlip !== null) slipped++;
      if (e.kind === 'continue') {
        expect(e.completionSlip).toBeNull(); // default continueSlipScale 0
        expect(trace.join('\n')).toBe(solutionText(e.problem));
      }
      if (e.kind === 'hint' && e.completionSlip !== null) {
        const h = e.prompt.match(/\nh:([\d,-]+)\n/);
        const shown = h ? h[1].split(',').length : 0;
        expect(e.completionSlip).toBeGreaterThan(shown); // hinted steps never slip
        expect([0.25, 0.5, 0.75].map((f) => hintCount(e.problem, f))).toContain(shown);
      }
    }
    expect(slipped).toBeGreaterThan(200);
  });

  it('verify examples: the attempt diverges at the injected step and the log parses to it', () => {
    const verify = examples.filter((e) => e.kind === 'verify');
    expect(verify.length).toBeGreaterThan(400);
    const locations = new Set<number>();
    for (const e of verify) {
      const k = e.attemptSlip!;
      expect(e.prompt).toBe(`q:${canonicalProgram(programOf(e.problem))}\nv:\n`);
      // Stepwise: the log shows the attempt up to its first wrong line, each line with its verdict.
      const checked = checkedLines(e.completion);
      expect(checked.length).toBe(k);
      expect(firstDivergentStep(checked.map((c) => c.line), e.problem)).toBe(k);
      const iv = parseIntervention(e.completion);
      expect(iv).toEqual({ location: k, content: correctStep(e.problem, k) });
      expect(e.completion.endsWith('</intervention>')).toBe(true);
      expect(checked.slice(0, k - 1).map((c) => c.verdict)).toEqual(Array.from({ length: k - 1 }, () => 'ok'));
      expect(checked[k - 1].verdict.startsWith(`bad ${correctStep(e.problem, k)} not `)).toBe(true);
      // verdictAt: the first character of each verdict, right after its check line and " ".
      expect(e.verdictAt.map((j) => e.completion.slice(j - 1, j + 1))).toEqual([...Array(k - 1).fill(' o'), ' b']);
      locations.add(k);
    }
    expect(Math.max(...locations)).toBeGreaterThanOrEqual(10); // hard chains: late errors too
  });

  it('copySlipShare makes that share of verify slips copy slips (right arithmetic, wrong value); 0 draws none', () => {
    const verifyOnly = { mix: { solve: 0, verify: 1, verifyOk: 0, continue: 0, hint: 0, reflect: 0 } };
    const copied = (ex: PretrainExample[]) =>
      ex.filter((e) => {
        const c = checkedLines(e.completion);
        const s = parseStep(c[c.length - 1].line);
        const op = programOf(e.problem).ops[c.length - 1];
        // Same operation, right arithmetic, and still the first divergent line: a miscopied number.
        return !!s && !!op && s.kind === op.kind && applyOp(s.prev, { kind: s.kind, operand: s.operand }) === s.result;
      }).length / ex.length;
    const plain = generatePretrainExamples(400, verifyOnly);
    const half = generatePretrainExamples(400, { ...verifyOnly, copySlipShare: 0.5 });
    for (const e of half) expect(firstDivergentStep(checkedLines(e.completion).map((c) => c.line), e.problem)).toBe(e.attemptSlip);
    expect(copied(half)).toBeGreaterThan(copied(plain) + 0.3);
    expect(generatePretrainExamples(50, { ...verifyOnly, copySlipShare: 0 })).toEqual(plain.slice(0, 50));
    expect(() => resolvePretrainConfig({ copySlipShare: 1.5 })).toThrow(/copySlipShare \(1\.5\) must be in \[0, 1\]: it is a share of attempts/);
  });

  it('firstStepErrorShare puts that share of verify errors on step 1; 0 keeps the uniform stream', () => {
    const verifyOnly = { tierWeights: { easy: 0, medium: 0 }, mix: { solve: 0, verify: 1, verifyOk: 0, continue: 0, hint: 0, reflect: 0 } };
    const firstShare = (ex: PretrainExample[]) => ex.filter((e) => e.attemptSlip === 1).length / ex.length;
    const uniform = generatePretrainExamples(600, verifyOnly);
    const early = generatePretrainExamples(600, { ...verifyOnly, firstStepErrorShare: 0.5 });
    for (const e of early) expect(firstDivergentStep(checkedLines(e.completion).map((c) => c.line), e.problem)).toBe(e.attemptSlip);
    expect(firstShare(uniform)).toBeLessThan(0.2);
    expect(firstShare(early)).toBeGreaterThan(0.5);
    expect(firstShare(generatePretrainExamples(100, { ...verifyOnly, firstStepErrorShare: 1 }))).toBe(1);
    expect(generatePretrainExamples(50, { ...verifyOnly, firstStepErrorShare: 0 })).toEqual(uniform.slice(0, 50));
  });

  it('verifyOk and reflect examples', () => {
    for (const e of examples.filter((x) => x.kind === 'verifyOk')) {
      const checked = checkedLines(e.completion);
      expect(checked.map((c) => c.line).join('\n')).toBe(solutionText(e.problem));
      expect(checked.every((c) => c.verdict === 'ok')).toBe(true);
      expect(parseIntervention(e.completion)).toBeNull();
      expect(e.verdictAt.map((j) => e.completion.slice(j, j + 2))).toEqual(checked.map(() => 'ok'));
    }
    for (const e of examples.filter((x) => x.kind !== 'verify' && x.kind !== 'verifyOk')) expect(e.verdictAt).toEqual([]);
    for (const e of examples.filter((x) => x.kind === 'reflect')) {
      expect(e.prompt.endsWith('\nw:\n')).toBe(true);
      expect(firstDivergentStep(attemptOf(e.prompt), e.problem)).toBe(e.attemptSlip);
      expect(e.completion).toBe(solutionText(e.problem));
    }
  });

  it('slip rates fall with difficulty and match the slip model', () => {
    const cfg = resolvePretrainConfig();
    const train = createChainsTask().problems('train');
    const rate = (tier: string) => {
      const ps = train.filter((p) => p.difficulty === tier);
      return ps.reduce((a, p) => a + expectedSolveRate(p, cfg.slip), 0) / ps.length;
    };
    const [easy, medium, hard] = [rate('easy'), rate('medium'), rate('hard')];
    expect(easy).toBeGreaterThan(0.78);
    expect(easy).toBeLessThan(0.92);
    expect(medium).toBeGreaterThan(0.38);
    expect(medium).toBeLessThan(0.55);
    expect(hard).toBeLessThan(0.08);
    const overall = (easy + medium + hard) / 3;
    expect(overall).toBeGreaterThan(0.35);
    expect(overall).toBeLessThan(0.6);
    // The sampled solve traces follow the model.
    for (const [tier, want] of [['easy', easy], ['medium', medium], ['hard', hard]] as const) {
      const s = examples.filter((e) => e.kind === 'solve' && e.problem.difficulty === tier);
      const got = s.filter((e) => e.completionSlip === null).length / s.length;
      expect(Math.abs(got - want)).toBeLessThan(0.07);
    }
    // Hazards grow with digits, operation and position, and the knobs move them.
    const p = train.find((x) => x.difficulty === 'hard')!;
    const h = slipHazards(p, cfg.slip);
    expect(h.length).toBe(programOf(p).ops.length);
    expect(slipHazards(p, { ...cfg.slip, scale: 2 })).toEqual(h.map((x) => Math.min(cfg.slip.maxStep, 2 * x)));
    expect(slipHazards(p, { ...cfg.slip, tier: { hard: 0 } }).every((x) => x === 0)).toBe(true);
  });

  it('knobs switch slips off: slip.scale 0 and hintSlipScale 0 give correct traces; continueSlipScale > 0 adds slips', () => {
    const clean = generatePretrainExamples(300, { slip: { scale: 0 }, mix: { solve: 1, verify: 0, verifyOk: 0, continue: 0, hint: 1, reflect: 0 } });
    expect(clean.every((e) => e.completionSlip === null && gradeChains(e.completion, e.problem).correct)).toBe(true);
    const hints = generatePretrainExamples(300, { hintSlipScale: 0, tierWeights: { easy: 0, medium: 0 }, mix: { solve: 0, verify: 0, verifyOk: 0, continue: 0, hint: 1, reflect: 0 } });
    expect(hints.every((e) => e.completionSlip === null)).toBe(true);
    const cont = generatePretrainExamples(300, { continueSlipScale: 1, tierWeights: { easy: 0, medium: 0 }, mix: { solve: 0, verify: 0, verifyOk: 0, continue: 1, hint: 0, reflect: 0 } });
    const slips = cont.filter((e) => e.completionSlip !== null);
    expect(slips.length).toBeGreaterThan(30);
    for (const e of slips) expect(firstDivergentStep(traceOf(e), e.problem)).toBe(e.completionSlip);
  });

  it('refuses bad configs with the field to fix', () => {
    expect(() => resolvePretrainConfig({ mix: { solve: -1 } })).toThrow(/mix\.solve \(-1\) must be a finite number >= 0/);
    expect(() => resolvePretrainConfig({ mix: { solve: 0, verify: 0, verifyOk: 0, continue: 0, hint: 0, reflect: 0 } })).toThrow(/all 0/);
    expect(() => resolvePretrainConfig({ mix: { sovle: 1 } as never })).toThrow(/mix has "sovle" which is not a kind .*did you mean "solve"/);
    expect(() => resolvePretrainConfig({ tierWeights: { extreme: 1 } })).toThrow(/tierWeights has "extreme" which is not a tier/);
    expect(() => resolvePretrainConfig({ slip: { tier: { extreme: 2 } } })).toThrow(/not a tier/);
    expect(() => resolvePretrainConfig({ slip: { maxStep: 2 } })).toThrow(/slip\.maxStep \(2\) must be in \[0, 1\]/);
    expect(() => resolvePretrainConfig({ slip: { kinds: [] } })).toThrow(/slip\.kinds/);
    expect(() => resolvePretrainConfig({ hintFractions: [1.5] })).toThrow(/hintFractions/);
    expect(() => resolvePretrainConfig({ firstStepErrorShare: 1.5 })).toThrow(/firstStepErrorShare .* \[0, 1\]/);
    expect(() => generatePretrainExamples(-1)).toThrow(/count/);
  });
});

describe('packing', () => {
  it('encodes <|bos|> prompt completion <|eos|> with the loss on the completion and eos', () => {
    for (const e of examples.slice(0, 300)) {
      const enc = encodeExample(e, tok);
      expect(enc.ids.length).toBe(e.prompt.length + e.completion.length + 2);
      expect(tok.decode(enc.ids)).toBe(`<|bos|>${e.prompt}${e.completion}<|eos|>`);
      expect(enc.promptLength).toBe(1 + e.prompt.length);
      expect([...enc.lossMask.subarray(0, enc.promptLength)].every((m) => m === 0)).toBe(true);
      expect([...enc.lossMask.subarray(enc.promptLength)].every((m) => m === 1)).toBe(true);
      expect(tok.decode(enc.ids.filter((_, t) => enc.lossMask[t] === 1))).toBe(`${e.completion}<|eos|>`);
      expect(enc.kind).toBe(e.kind);
    }
    expect(() => encodeExample({ kind: 'solve', prompt: 'q:1 +2\n', completion: '1+2=3\n=3 Ok' }, tok)).toThrow(/"O" at character 9/);
  });

  it('matches the chat template of the transformers.js tokenizer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pretrain-tok-'));
    try {
      for (const [name, text] of Object.entries(tok.files())) writeFileSync(join(dir, name), text);
      const hf = await loadTokenizer(new NodeFolderSource(dir));
      for (const e of examples.slice(0, 60)) {
        const doc = hf.applyChatTemplate(
          [
            { role: 'user', content: e.prompt },
            { role: 'assistant', content: e.completion },
          ],
          { addGenerationPrompt: false },
        );
        expect(hf.encode(doc)).toEqual([...encodeExample(e, tok).ids]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('the whole-document loss never trains the character that picks the format after the question', () => {
    const seen = new Set<string>();
    for (const e of examples.slice(0, 600)) {
      const ids = encodeExample(e, tok).ids;
      const start = documentLossStart(e);
      const firstTarget = tok.decode(ids.slice(start, start + 1));
      const qEnd = e.prompt.indexOf('\n') + 2; // token index just past the question's newline
      if (e.kind === 'solve' || e.kind === 'continue' || e.prompt.length === qEnd - 1) {
        // The second line is solution text: a digit or "-" starts it, and it is trained.
        expect(start).toBe(1);
        expect(tok.decode(ids.slice(qEnd, qEnd + 1))).toMatch(/^[-0-9=]$/);
      } else {
        // "t" of the attempt block, "v" of the verify log or "h" of a hint line sits at qEnd and is left out.
        expect(start).toBe(qEnd + 1);
        expect(tok.decode(ids.slice(qEnd, qEnd + 1))).toMatch(/^[thv]$/);
        expect(firstTarget).toBe(':');
      }
      seen.add(e.kind);
    }
    expect([...seen].sort()).toEqual([...PRETRAIN_KINDS].sort());
  });

  it('enforces maxLength: error by default, drop on request', () => {
    const few = examples.slice(0, 200);
    const longest = Math.max(...few.map((e) => e.prompt.length + e.completion.length + 2));
    expect(packExamples(few, tok, { maxLength: longest }).sequences.length).toBe(200);
    expect(() => packExamples(few, tok, { maxLength: 100 })).toThrow(/tokens but maxLength is 100/);
    const { sequences, dropped } = packExamples(few, tok, { maxLength: 100, overflow: 'drop' });
    expect(dropped).toBe(few.filter((e) => e.prompt.length + e.completion.length + 2 > 100).length);
    expect(dropped).toBeGreaterThan(0);
    expect(sequences.length + dropped).toBe(200);
    expect(sequences.every((s) => s.ids.length <= 100)).toBe(true);
    expect(() => packExamples(few, tok, { maxLength: 2 })).toThrow(/maxLength must be an integer >= 3/);
  });

  it('lays whole sequences end to end in padded rows', () => {
    const seqs = packExamples(examples.slice(0, 120), tok, { maxLength: 1024 }).sequences;
    const T = 1024;
    const packed = packRows(seqs, T, tok.padId);
    expect(packed.ids.length).toBe(packed.rows * T);
    expect(packed.tokens).toBe(seqs.reduce((a, s) => a + s.ids.length, 0));
    // Walk the rows: each holds consecutive documents, then padding with mask 0.
    let next = 0;
    for (let r = 0; r < packed.rows; r++) {
      let t = 0;
      while (next < seqs.length && t + seqs[next].ids.length <= T) {
        const s = seqs[next];
        expect([...packed.ids.subarray(r * T + t, r * T + t + s.ids.length)]).toEqual([...s.ids]);
        expect([...packed.lossMask.subarray(r * T + t, r * T + t + s.ids.length)]).toEqual([...s.lossMask]);
        t += s.ids.length;
        next++;
      }
      expect(t).toBeGreaterThan(0);
      expect([...packed.ids.subarray(r * T + t, (r + 1) * T)].every((id) => id === tok.padId)).toBe(true);
      expect([...packed.lossMask.subarray(r * T + t, (r + 1) * T)].every((m) => m === 0)).toBe(true);
    }
    expect(next).toBe(seqs.length);
    expect(packed.rows).toBeLessThan(seqs.length / 3);
    expect(() => packRows(seqs, 50, tok.padId)).toThrow(/longer than rowLength 50/);
  });
});
