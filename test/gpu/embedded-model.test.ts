// The committed embedded model public/models/chains-tiny: it loads through the normal Hugging Face
// folder path (NodeFolderSource, weights loader, loadTokenizer), its tokenizer.json agrees with the
// character tokenizer, its card quotes report.json (a document check), it reproduces the card's
// fixed-sample solve_pass1 within tolerance (a measurement), and model-report runs end to end on a small sample.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { compactCharTokenizer } from '../../src/io/char-tokenizer';
import { NodeFolderSource } from '../../src/io/folder';
import { paramCount } from '../../src/model/init';
import { criticalReport, formatCriticalReport } from '../../src/pretrain/critical-report';
import { CRITICAL_LADDER, MUL_AS_ADD_HABIT } from '../../src/tasks/chains';
import { FIXED_SAMPLE, fixedSamplePass1, formatReport, loadReportModel, modelReport, type ModelReport, type ReportModel } from '../../src/pretrain/model-report';
import { getTestGpu } from '../shared/gpu-env';

const DIR = join(__dirname, '../../public/models/chains-tiny');
const report = JSON.parse(readFileSync(join(DIR, 'report.json'), 'utf8')) as ModelReport;
const card = readFileSync(join(DIR, 'README.md'), 'utf8');

/** Tolerance of the fixed-sample pass@1: sampling is seeded, so on the adapter that measured the card
 *  the figure repeats exactly; another adapter's float rounding can flip a few of the 48 samples. */
const TOLERANCE = 0.1;

let gpu: Gpu;
let m: ReportModel;
beforeAll(async () => {
  gpu = await getTestGpu();
  m = await loadReportModel(gpu, new NodeFolderSource(DIR));
});
afterAll(() => m?.release());

describe('embedded chains-tiny model', () => {
  it('loads as a Llama with the character vocabulary and a small file', () => {
    const c = m.model.config;
    expect(c.architecture).toBe('LlamaForCausalLM');
    expect(c.vocabSize).toBe(compactCharTokenizer().vocabSize);
    expect(c.maxPositions).toBeGreaterThanOrEqual(1024);
    const params = paramCount(c);
    expect(card).toContain(params.toLocaleString('en-US'));
    expect(readFileSync(join(DIR, 'model.safetensors')).byteLength).toBeLessThan(8 * 1024 * 1024);
  });

  it('has a tokenizer.json that encodes like the character tokenizer', () => {
    const tok = compactCharTokenizer();
    const text = 'q:913 -27 *4 //3\nt:\n1 913-27=886 r:886\n2  r:3544\n<intervention>{"content": "a", "location": 2}</intervention>';
    expect(m.codec.promptIds(text)).toEqual(tok.encode(text, { addBos: true }));
    expect(m.codec.promptIds(text, text)).toEqual(tok.encode(text + text, { addBos: true }));
    expect(m.codec.completionIds(text, true)).toEqual(tok.encode(text, { addEos: true }));
    expect(m.codec.decode(tok.encode(text))).toBe(text);
    expect(m.codec.decode([...tok.encode(text), tok.eosId])).toBe(text);
    expect(m.codec.eosIds).toEqual([tok.eosId]);
  });

  // A check of documents, not of the model: the card must quote the committed report.json (which
  // `npm run model-report -- --json` writes); whether the figures meet a target is measured by that
  // command and stated in the card, not asserted here on committed numbers.
  it("the card quotes report.json's figures and the report names the fixed sample it used", () => {
    for (const x of [report.solve_pass1, report.hard_pass8, report.fixed_sample.solve_pass1]) expect(card).toContain(x.toFixed(3));
    const v = report.verify!;
    const c = report.continuation!;
    expect(card).toContain(v.verify_location_acc.toFixed(3));
    expect(card).toContain(`${c.prefix_intervention.solved} / ${c.prefix_intervention.problems}`);
    expect(report.fixed_sample).toMatchObject({ problems_per_tier: FIXED_SAMPLE.problemsPerTier, samples: FIXED_SAMPLE.samples, seed: FIXED_SAMPLE.seed });
  });

  it('model-report measures it end to end (a small sample): every figure present and consistent', async () => {
    const r = await modelReport(m.model, m.codec, { problemsPerTier: 2, samples: 2, continuationSamples: 2, maxContinuationProblems: 2 });
    expect(r.problems).toBe(6);
    expect(Object.keys(r.pass_k_by_tier)).toEqual(['easy', 'medium', 'hard']);
    const v = r.verify!;
    expect(v.attempts).toBeGreaterThan(0);
    expect(v.verify_location_acc).toBeGreaterThanOrEqual(0);
    expect(v.verify_location_acc).toBeLessThanOrEqual(1);
    // One decision per check line up to the first wrong one: one first error per attempt with a true location.
    const d = r.verify_decisions!;
    expect(d.first_error.lines).toBeGreaterThan(0);
    expect(d.first_error.lines).toBeLessThanOrEqual(v.attempts);
    expect(Object.values(d.first_error_by_tier).reduce((a, x) => a + x.lines, 0)).toBe(d.first_error.lines);
    for (const x of [d.ok_lines, d.first_error]) if (x.lines) expect(x.accuracy).toBeGreaterThanOrEqual(0), expect(x.accuracy).toBeLessThanOrEqual(1);
    expect(r.continuation!.samples_per_start).toBe(2);
    const text = formatReport(r).join('\n');
    expect(text).toMatch(/verdict decisions given the ideal log so far \(greedy\): "ok" on [\d.n\/a]+ of \d+ right lines/);
    expect(text).toContain(`verify_location_acc: ${v.verify_location_acc.toFixed(3)}`);
  });

  it('calibrates the critical-step tier end to end (a small sample): figures in range, groups by the habit ranges', async () => {
    const r = await criticalReport(m.model, m.codec, { chains: { tiers: [...CRITICAL_LADDER] }, habit: MUL_AS_ADD_HABIT, problems: 4, samples: 2 });
    expect(r.tier).toBe('critical');
    expect(r.overall.problems).toBe(4);
    expect(Object.keys(r.byOperand)).toEqual(['2-3', '4-9']);
    expect(Object.values(r.byOperand).reduce((a, g) => a + g.problems, 0)).toBe(4);
    for (const x of [r.overall.pass1, r.overall.passK, r.overall.neverSolved, r.overall.habitRate!, r.overall.fromPrefix, r.overall.oracle]) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(1);
    }
    expect(r.overall.passK + r.overall.neverSolved).toBeCloseTo(1, 12);
    expect(formatCriticalReport(r)[0]).toMatch(/^critical tier "critical" \(2 samples per problem and per start, temperature 0.7/);
  });

  it("reproduces the card's fixed-sample solve_pass1", async () => {
    const got = await fixedSamplePass1(m.model, m.codec);
    console.log(`[embedded-model] fixed-sample solve_pass1 ${got.toFixed(3)} (card ${report.fixed_sample.solve_pass1.toFixed(3)})`);
    expect(Math.abs(got - report.fixed_sample.solve_pass1)).toBeLessThanOrEqual(TOLERANCE);
  });
});
