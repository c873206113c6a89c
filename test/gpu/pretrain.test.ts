// Pretraining from scratch: a few steps of `pretrain` on a tiny shape write a loss curve and a
// Hugging Face model folder that loads back through the normal folder path (config, weights,
// tokenizer.json) and generates; the loss falls; seeded runs repeat; the random init is seeded.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pretrain, PRETRAIN_DEFAULTS, type PretrainOptions } from '../../src/cli/pretrain';
import { CSV_HEADER, MemoryPretrainSink, runPretrain, verdictWeights } from '../../src/pretrain';
import { balancedStandardError } from '../../src/tasks/chains/pretrain-probe';
import { nextVerdictTilt, tiltedVerdictWeights } from '../../src/tasks/chains/self-verify';
import { documentLossStart, encodeExample, pretrainExample, resolvePretrainConfig } from '../../src/tasks/chains/pretrain-data';
import type { Gpu } from '../../src/gpu';
import { compactCharTokenizer } from '../../src/io/char-tokenizer';
import { NodeFolderSource } from '../../src/io/folder';
import { loadWeights, readSafetensorsHeader } from '../../src/io/safetensors-read';
import { parseModelConfig } from '../../src/model/config';
import { generate } from '../../src/model/generate';
import { initWeights, tinyLlamaConfigJson } from '../../src/model/init';
import { loadReportModel } from '../../src/pretrain/model-report';
import { getTestGpu } from '../shared/gpu-env';

let gpu: Gpu;
let dir: string;
beforeAll(async () => {
  gpu = await getTestGpu();
  dir = await mkdtemp(join(tmpdir(), 'int-pretrain-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A tiny shape: 1 layer, width 32, 768-token batches (one or two documents per micro-batch), no own-attempt rounds. */
function tiny(out: string, over: Partial<PretrainOptions> = {}): Partial<PretrainOptions> {
  return {
    out,
    gpu,
    hidden: 32,
    layers: 1,
    heads: 2,
    kvHeads: 1,
    intermediate: 64,
    maxPositions: 1024,
    microBatchTokens: 2048,
    batchTokens: 768,
    steps: 5,
    lr: 1e-2,
    warmupSteps: 0,
    saveEvery: 2,
    maxMinutes: 0,
    // Own-attempt rounds (on by default) have their own tests below.
    selfVerifyFrom: 1,
    log: () => {},
    ...over,
  };
}

function csvLosses(text: string): number[] {
  const [head, ...rows] = text.trim().split('\n');
  expect(head).toBe(CSV_HEADER);
  return rows.map((r) => Number(r.split(',')[4]));
}

describe('pretrain', () => {
  it('trains a few steps, logs the loss curve and writes a loadable Hugging Face folder', async () => {
    const out = join(dir, 'a');
    const r = await pretrain(tiny(out));
    expect(r.steps).toBe(5);
    const losses = csvLosses(await readFile(join(out, 'loss.csv'), 'utf8'));
    expect(losses).toHaveLength(5);
    losses.forEach((l) => expect(Number.isFinite(l)).toBe(true));
    // From uniform (ln 56 = 4.03) the character frequencies alone are learned within a few steps.
    expect(losses[0]).toBeGreaterThan(3.8);
    expect(losses[4]).toBeLessThan(losses[0] - 0.3);

    // The probe ran once at the end: P(right completion) in [0, 1] and a finite NLL per group.
    const [probeHead, ...probeRows] = (await readFile(join(out, 'probe.csv'), 'utf8')).trim().split('\n');
    expect(probeHead.split(',').slice(0, 5)).toEqual(['step', 'elapsed_s', 'tokens', 'p_solve_easy', 'nll_solve_easy']);
    expect(probeRows).toHaveLength(1);
    const cells = probeRows[0].split(',').map(Number);
    expect(cells[0]).toBe(5);
    expect(probeHead.split(',').slice(-3)).toEqual(['decide_ok', 'decide_bad', 'decide_balanced']);
    for (let i = 3; i < cells.length - 3; i += 2) {
      expect(cells[i]).toBeGreaterThanOrEqual(0);
      expect(cells[i]).toBeLessThanOrEqual(1);
      expect(cells[i + 1]).toBeGreaterThan(0);
    }
    const [ok, bad, balanced] = cells.slice(-3);
    for (const x of [ok, bad]) expect(x >= 0 && x <= 1).toBe(true);
    expect(balanced).toBeCloseTo((ok + bad) / 2, 3);
    expect(r.keptStep).toBe(5); // one probe, at the end: the last step is kept

    const header = await readSafetensorsHeader(join(out, 'model.safetensors'));
    expect(header.tensors.length).toBe(1 + 9 + 2); // embed, 9 per layer, norm, lm_head
    const m = await loadReportModel(gpu, new NodeFolderSource(out));
    try {
      expect(m.model.config.hiddenSize).toBe(32);
      expect(m.model.config.vocabSize).toBe(compactCharTokenizer().vocabSize);
      const text = 'q:12 +3 *4\n';
      expect(m.codec.promptIds(text)).toEqual(compactCharTokenizer().encode(text, { addBos: true }));
      const [s] = await generate(m.model, [m.codec.promptIds(text)], { maxNewTokens: 8, seed: 1, eosIds: m.codec.eosIds });
      expect(s.tokens.length).toBeGreaterThan(0);
      expect(m.codec.decode(s.tokens).length).toBeGreaterThan(0);
    } finally {
      m.release();
    }
  });

  it('repeats exactly with the same seeds', async () => {
    const a = await pretrain(tiny(join(dir, 'b'), { steps: 2, saveEvery: 0 }));
    const b = await pretrain(tiny(join(dir, 'c'), { steps: 2, saveEvery: 0 }));
    expect(a.tokens).toBe(b.tokens);
    const la = csvLosses(await readFile(join(dir, 'b', 'loss.csv'), 'utf8'));
    const lb = csvLosses(await readFile(join(dir, 'c', 'loss.csv'), 'utf8'));
    expect(lb).toEqual(la);
  });

  it('trains on completions only or on whole documents, with and without the curriculum', async () => {
    // Decision weights off: they weigh the same characters under both settings and would pull the means together.
    const plain = { steps: 2, saveEvery: 0, probeEvery: 0, phases: [], verdictWeightOk: 1, verdictWeightBad: 1, verdictBalance: 0 };
    const a = await pretrain(tiny(join(dir, 'e'), { ...plain, lossOn: 'completion' }));
    const b = await pretrain(tiny(join(dir, 'f'), { ...plain, lossOn: 'document' }));
    expect(a.tokens).toBe(b.tokens); // same documents
    // Whole documents include the unpredictable question digits: a different loss on the same data.
    expect(a.firstLoss).not.toBeCloseTo(b.firstLoss, 3);
    await expect(pretrain(tiny(join(dir, 'g'), { lossOn: 'all' as never }))).rejects.toThrow(/lossOn/);
    await expect(pretrain(tiny(join(dir, 'h'), { phases: [{ until: 1.5, data: {} }] }))).rejects.toThrow(/phases\[0\]\.until/);
  });

  it('weights the verifier decisions by verdictWeightOk / verdictWeightBad (1: the plain mean)', async () => {
    const base = { steps: 1, saveEvery: 0, probeEvery: 0, phases: [], data: { mix: { solve: 0, verify: 1, verifyOk: 0, continue: 0, hint: 0, reflect: 0 } } };
    const one = await pretrain(tiny(join(dir, 'i'), { ...base, verdictWeightOk: 1, verdictWeightBad: 1, verdictBalance: 0 }));
    const ten = await pretrain(tiny(join(dir, 'j'), { ...base, verdictWeightOk: 10, verdictWeightBad: 20, verdictBalance: 0 }));
    const bal = await pretrain(tiny(join(dir, 'l'), { ...base, verdictWeightOk: 10, verdictWeightBad: 20, verdictBalance: 1 }));
    expect(ten.tokens).toBe(one.tokens);
    expect(bal.tokens).toBe(one.tokens);
    expect(ten.firstLoss).not.toBeCloseTo(one.firstLoss, 4); // same documents, another mean
    expect(bal.firstLoss).not.toBeCloseTo(ten.firstLoss, 4); // the balance moves weight between lines
    // The weights land on the decisions: each weighted target is the "o" / "b" after a check line's " ".
    const tok = compactCharTokenizer();
    const data = resolvePretrainConfig({ mix: base.data.mix });
    const seen = { o: 0, b: 0 };
    for (let i = 0; i < 40; i++) {
      const ex = pretrainExample(i, data);
      const e = encodeExample(ex, tok);
      const cut = documentLossStart(ex);
      const { weights } = verdictWeights(ex.completion, ex.verdictAt, e.promptLength - cut, e.ids.length - cut, { ok: 10, bad: 20 });
      expect(weights).toHaveLength(e.ids.length - cut);
      const at = weights!.flatMap((w, k) => (w !== 1 ? [k + cut] : []));
      expect(at).toHaveLength(ex.verdictAt.length);
      for (const k of at) {
        const [space, c] = tok.decode([e.ids[k - 1], e.ids[k]]);
        expect(space).toBe(' ');
        expect(weights![k - cut]).toBe(c === 'o' ? 10 : c === 'b' ? 20 : NaN);
        seen[c as 'o' | 'b']++;
      }
    }
    expect(seen.o).toBeGreaterThan(50);
    expect(seen.b).toBe(40); // every verify document ends with its one bad line
    expect(verdictWeights('ok', [0], 0, 3, { ok: 1, bad: 1 })).toEqual({}); // weights 1: no weights at all
    expect(() => verdictWeights('ok', [1], 0, 3, { ok: 2, bad: 3 })).toThrow(/character 1 of the completion is "k"/);
    expect(verdictWeights('ok', [0], 0, 3, { ok: 2, bad: 3 }, [0.5])).toEqual({ weights: [1, 1, 1] }); // 2 x 0.5 on the decision
    expect(verdictWeights('bad', [0], 1, 4, { ok: 2, bad: 3 }, [0.5])).toEqual({ weights: [1, 1.5, 1, 1] });
    expect(() => verdictWeights('ok', [0], 0, 3, { ok: 2, bad: 3 }, [])).toThrow(/0 factors for 1 decisions/);
    await expect(pretrain(tiny(join(dir, 'k'), { verdictWeightBad: -1 }))).rejects.toThrow(/verdictWeightBad \(-1\) must be a finite number >= 0/);
    await expect(pretrain(tiny(join(dir, 'm'), { verdictBalance: 2 }))).rejects.toThrow(/verdictBalance \(2\) must be in \[0, 1\]/);
  });

  it('keeps the probed checkpoint that judges best after keepBestAfter, and says which', async () => {
    const out = join(dir, 'n');
    const r = await pretrain(tiny(out, { steps: 6, probeEvery: 1, probePerTier: 2, keepBestAfter: 0.5, keepBestMargin: 0, saveEvery: 0 }));
    const rows = (await readFile(join(out, 'probe.csv'), 'utf8')).trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    expect(rows.map((c) => c[0])).toEqual([1, 2, 3, 4, 5, 6]);
    // Candidates: the probes at progress >= 0.5 (steps 3-6); the latest within `margin` standard
    // errors of the best so far (margin 0: the best balanced figure, ties to the later step).
    const keptFor = (margin: number) => {
      let best = -Infinity;
      let keep = rows[2];
      for (const c of rows.slice(2)) {
        best = Math.max(best, c.at(-1)!);
        const se = balancedStandardError({ ok: c.at(-3)!, bad: c.at(-2)!, balanced: c.at(-1)!, okCount: r.keptDecisions!.okCount, badCount: r.keptDecisions!.badCount });
        if (c.at(-1)! >= best - margin * se) keep = c;
      }
      return keep;
    };
    const best = keptFor(0);
    expect(r.keptStep).toBe(best[0]);
    expect(r.keptDecisions!.balanced).toBeCloseTo(best.at(-1)!, 4);
    // The same run with a margin of 2 standard errors (the probe is the same: it is seeded).
    const m = await pretrain(tiny(join(dir, 'n2'), { steps: 6, probeEvery: 1, probePerTier: 2, keepBestAfter: 0.5, keepBestMargin: 2, saveEvery: 0 }));
    expect(m.keptStep).toBe(keptFor(2)[0]);
    expect(m.keptStep).toBeGreaterThanOrEqual(r.keptStep);
    expect(r.steps).toBe(6);
    const header = await readSafetensorsHeader(join(out, 'model.safetensors'));
    expect(header.metadata.steps).toBe(String(r.keptStep)); // the folder holds the kept weights
    const last = await pretrain(tiny(join(dir, 'o'), { steps: 6, probeEvery: 1, probePerTier: 2, keepBestAfter: 1, saveEvery: 0 }));
    expect(last.keptStep).toBe(6);
    expect((await readSafetensorsHeader(join(dir, 'o', 'model.safetensors'))).metadata.steps).toBe('6');
    await expect(pretrain(tiny(join(dir, 'p'), { keepBestAfter: 1.5 }))).rejects.toThrow(/keepBestAfter \(1\.5\) must be in \[0, 1\]/);
    await expect(pretrain(tiny(join(dir, 'q'), { keepBestAfter: 0.5, probeEvery: 0 }))).rejects.toThrow(/set probeEvery > 0 \(e\.g\. 100\) or keepBestAfter to 1/);
    await expect(pretrain(tiny(join(dir, 'q2'), { keepBestMargin: -1 }))).rejects.toThrow(/keepBestMargin \(-1\) must be a finite number >= 0: a number of standard errors/);
  });

  it('trains on verify documents of its own attempts from selfVerifyFrom on, seeded, and says what it sampled', async () => {
    const own = { steps: 6, saveEvery: 0, probeEvery: 0, selfVerifyFrom: 0.3, selfVerifyEvery: 2, selfVerifyProblems: 3, selfVerifySamples: 2, selfVerifyShare: 0.5, selfVerifyPairs: true };
    const lines: string[] = [];
    const a = await pretrain(tiny(join(dir, 'r'), { ...own, log: (l) => lines.push(l) }));
    // Progress 0.3 is reached after step 1 (1/6 < 0.3 <= 2/6): rounds before steps 3 and 5.
    expect(a.ownRounds).toBe(2);
    expect(a.ownDocuments).toBeGreaterThan(0);
    const rounds = lines.filter((l) => l.startsWith('[pretrain] own attempts at step'));
    expect(rounds.map((l) => l.match(/at step (\d+)/)![1])).toEqual(['2', '4']);
    expect(rounds[0]).toMatch(/: 6 attempts, right [\d.]+ \(.*\); \d+ failed, first wrong line .*; \d+ documents/);
    // each round says it has started before its (long, on a CPU adapter) sampling
    const starts = lines.filter((l) => l.startsWith('[pretrain] sampling its own attempts at step'));
    expect(starts.map((l) => l.match(/at step (\d+)/)![1])).toEqual(['2', '4']);
    expect(lines.indexOf(starts[0])).toBeLessThan(lines.indexOf(rounds[0]));
    // Sampling is seeded: the same run repeats exactly; without own documents the data differ.
    const b = await pretrain(tiny(join(dir, 's'), { ...own }));
    expect(b.ownDocuments).toBe(a.ownDocuments);
    expect(csvLosses(await readFile(join(dir, 's', 'loss.csv'), 'utf8'))).toEqual(csvLosses(await readFile(join(dir, 'r', 'loss.csv'), 'utf8')));
    const off = await pretrain(tiny(join(dir, 't'), { ...own, selfVerifyFrom: 1 }));
    expect([off.ownRounds, off.ownDocuments]).toEqual([0, 0]);
    expect(off.examples).toBeGreaterThan(a.examples); // every document from the stream
    await expect(pretrain(tiny(join(dir, 'u'), { selfVerifyFrom: 0 }))).rejects.toThrow(/selfVerifyFrom \(0\) must be in \(0, 1\]: a run progress/);
    await expect(pretrain(tiny(join(dir, 'v'), { selfVerifyShare: 1.5 }))).rejects.toThrow(/selfVerifyShare \(1\.5\) must be in \[0, 1\]: a share/);
    await expect(pretrain(tiny(join(dir, 'w'), { selfVerifySamples: 0 }))).rejects.toThrow(/selfVerifySamples \(0\) must be an integer >= 1/);
  });

  it('calibrates the verdict weights on its own attempts after each round (selfVerifyCalibrate)', async () => {
    const lines: string[] = [];
    const cal = { steps: 6, saveEvery: 0, probeEvery: 0, selfVerifyFrom: 0.3, selfVerifyEvery: 2, selfVerifyProblems: 3, selfVerifySamples: 2, selfVerifyShare: 0.5, selfVerifyOkShare: 1, selfVerifyCalibrate: 1.5 };
    const a = await pretrain(tiny(join(dir, 'cal'), { ...cal, log: (l) => lines.push(l) }));
    const scored = lines.filter((l) => l.startsWith('[pretrain] own decisions at step'));
    expect(scored.map((l) => l.match(/at step (\d+)/)![1])).toEqual(['2', '4']);
    // The tilt follows nextVerdictTilt on the logged figures, and the run ends with the weights it logged last.
    let tilt = 0;
    for (const l of scored) {
      const m = l.match(/ok ([\d.]+) of (\d+), bad ([\d.]+) of (\d+); verdict weights now ok ([\d.]+), bad ([\d.]+) \(tilt (-?[\d.]+)\)$/)!;
      expect(m).not.toBeNull();
      tilt = nextVerdictTilt(tilt, { ok: Number(m[1]), okCount: Number(m[2]), bad: Number(m[3]), badCount: Number(m[4]) }, 1.5);
      expect(Number(m[7])).toBeCloseTo(tilt, 2);
    }
    const w = tiltedVerdictWeights({ ok: PRETRAIN_DEFAULTS.verdictWeightOk, bad: PRETRAIN_DEFAULTS.verdictWeightBad }, tilt);
    expect(a.verdictWeights.ok).toBeCloseTo(w.ok, 1);
    expect(a.verdictWeights.bad).toBeCloseTo(w.bad, 1);
    expect(Math.sqrt(a.verdictWeights.ok * a.verdictWeights.bad)).toBeCloseTo(Math.sqrt(PRETRAIN_DEFAULTS.verdictWeightOk * PRETRAIN_DEFAULTS.verdictWeightBad), 6);
    // Off: no scoring, the configured weights.
    const off = await pretrain(tiny(join(dir, 'cal0'), { ...cal, selfVerifyCalibrate: 0 }));
    expect(off.verdictWeights).toEqual({ ok: PRETRAIN_DEFAULTS.verdictWeightOk, bad: PRETRAIN_DEFAULTS.verdictWeightBad });
    // Without rounds it has nothing to calibrate on: the configured weights.
    const none = await pretrain(tiny(join(dir, 'cal1'), { steps: 2, selfVerifyFrom: 1, selfVerifyCalibrate: 1 }));
    expect([none.ownRounds, none.verdictWeights]).toEqual([0, { ok: PRETRAIN_DEFAULTS.verdictWeightOk, bad: PRETRAIN_DEFAULTS.verdictWeightBad }]);
    await expect(pretrain(tiny(join(dir, 'cal2'), { ...cal, selfVerifyCalibrate: -1 }))).rejects.toThrow(/selfVerifyCalibrate \(-1\) must be a finite number >= 0: a gain/);
  });

  it('keeps the checkpoint that judges its own attempts best with keepBestBy "own"', async () => {
    const lines: string[] = [];
    const own = { steps: 6, saveEvery: 0, probeEvery: 0, selfVerifyFrom: 0.3, selfVerifyEvery: 2, selfVerifyProblems: 3, selfVerifySamples: 2, selfVerifyOkShare: 1, keepBestAfter: 0.3, keepBestMargin: 0, keepBestBy: 'own' as const };
    const r = await pretrain(tiny(join(dir, 'kb'), { ...own, log: (l) => lines.push(l) }));
    // Rounds (and their scoring) before steps 3 and 5; the kept step is the round whose balanced
    // decisions are best, ties to the later one.
    const figures = lines.filter((l) => l.startsWith('[pretrain] own decisions at step')).map((l) => {
      const m = l.match(/at step (\d+): ok ([\d.]+) of \d+, bad ([\d.]+) of/)!;
      return { step: Number(m[1]), balanced: (Number(m[2]) + Number(m[3])) / 2 };
    });
    expect(figures.map((f) => f.step)).toEqual([2, 4]);
    const best = figures.reduce((a, b) => (b.balanced >= a.balanced - 1e-3 ? b : a));
    expect(r.keptStep).toBe(best.step);
    expect(r.keptDecisions!.balanced).toBeCloseTo(best.balanced, 2);
    expect(lines.some((l) => l.startsWith(`[pretrain] keeping step ${r.keptStep} (own-attempt decisions balanced`))).toBe(true);
    expect((await readSafetensorsHeader(join(dir, 'kb', 'model.safetensors'))).metadata.steps).toBe(String(r.keptStep));
    await expect(pretrain(tiny(join(dir, 'kb1'), { keepBestAfter: 0.5, keepBestBy: 'own' }))).rejects.toThrow(/keepBestBy "own" judges checkpoints by own-attempt rounds, but selfVerifyFrom is 1/);
    await expect(pretrain(tiny(join(dir, 'kb2'), { keepBestBy: 'best' as 'own' }))).rejects.toThrow(/keepBestBy \("best"\) must be one of "probe", "own"/);
  });

  it('never replaces a model in --out unless forced', async () => {
    const out = join(dir, 'keep');
    await pretrain(tiny(out, { steps: 1, saveEvery: 0, probeEvery: 0 }));
    const before = await readFile(join(out, 'model.safetensors'));
    await expect(pretrain(tiny(out, { steps: 1, seed: 3, probeEvery: 0 }))).rejects.toThrow(/already holds a model \(model\.safetensors, \d+ bytes, written .*\); pass --force to replace it, or --out a new folder/);
    expect(Buffer.compare(await readFile(join(out, 'model.safetensors')), before)).toBe(0);
    await pretrain(tiny(out, { steps: 1, seed: 3, probeEvery: 0, force: true }));
    expect(Buffer.compare(await readFile(join(out, 'model.safetensors')), before)).not.toBe(0);
  });

  it('rejects a micro-batch budget shorter than the context', async () => {
    await expect(pretrain(tiny(join(dir, 'd'), { microBatchTokens: 512 }))).rejects.toThrow(/microBatchTokens/);
  });
});

describe('a warm start (init / --init)', () => {
  /** Every weight of a model folder on disk. */
  async function folderWeights(folder: string): Promise<Map<string, Float32Array>> {
    const w = new Map<string, Float32Array>();
    await loadWeights(new NodeFolderSource(folder), { dtype: 'f32', onTensor: (name, _shape, data) => void w.set(name, Float32Array.from(data as Float32Array)) });
    return w;
  }

  it('continues from a folder: its weights, not fresh ones, with the shape read from its config.json', async () => {
    const a = join(dir, 'warm-a');
    const ra = await pretrain(tiny(a));
    const b = join(dir, 'warm-b');
    // No shape flags: the shape comes from a's config.json. A vanishing rate keeps the weights where they were.
    const { hidden: _h, layers: _l, heads: _he, kvHeads: _k, intermediate: _i, ...noShape } = tiny(b, { initFrom: a, steps: 1, lr: 1e-9, probeEvery: 0 });
    const rb = await pretrain({ ...noShape, seed: 7 });
    expect(rb.params).toBe(ra.params);
    // From fresh weights the first loss is ~4.0 (ln 56); from a's weights it is where a ended.
    const lossesB = csvLosses(await readFile(join(b, 'loss.csv'), 'utf8'));
    expect(lossesB[0]).toBeLessThan(ra.firstLoss - 0.3);
    const [wa, wb] = [await folderWeights(a), await folderWeights(b)];
    expect([...wb.keys()].sort()).toEqual([...wa.keys()].sort());
    let maxDiff = 0;
    for (const [k, v] of wa) v.forEach((x, i) => (maxDiff = Math.max(maxDiff, Math.abs(x - wb.get(k)![i]))));
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it('refuses a shape that contradicts the folder, an --out that would overwrite it, and a missing folder', async () => {
    const a = join(dir, 'warm-a');
    await expect(pretrain(tiny(join(dir, 'warm-c'), { initFrom: a, hidden: 48 }))).rejects.toThrow(/--hidden 48 differs from hidden_size 32 .*: drop --hidden/);
    await expect(pretrain(tiny(a, { initFrom: a }))).rejects.toThrow(/is the folder the run continues from \(--init\); pass another --out/);
    await expect(pretrain(tiny(join(dir, 'warm-d'), { initFrom: join(dir, 'nowhere') }))).rejects.toThrow(/cannot read .*config\.json of the model to continue from .*--no-init/);
    // Through the storage-independent run (as the browser would call it): the shapes are compared field by field.
    const { out: _out, ...run } = tiny('');
    await expect(runPretrain({ ...run, hidden: 48, init: new NodeFolderSource(a) }, new MemoryPretrainSink())).rejects.toThrow(/has another shape: hiddenSize 32 there, 48 here/);
  });
});

describe('initWeights', () => {
  const config = parseModelConfig(tinyLlamaConfigJson({ vocabSize: 56, hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 2, numKvHeads: 1, bosId: 1, eosId: 2, padId: 0 }));

  it('is seeded, has the requested scale, ones for norms and smaller residual outputs', () => {
    const a = initWeights(config, { seed: 3 }).weights;
    const b = initWeights(config, { seed: 3 }).weights;
    const c = initWeights(config, { seed: 4 }).weights;
    const q = 'model.layers.0.self_attn.q_proj.weight';
    expect(a.get(q)).toEqual(b.get(q));
    expect(a.get(q)).not.toEqual(c.get(q));
    const std = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
    expect(std(a.get(q)!)).toBeGreaterThan(0.018);
    expect(std(a.get(q)!)).toBeLessThan(0.022);
    expect(std(a.get('model.layers.0.mlp.down_proj.weight')!)).toBeLessThan(0.012); // 0.02 / sqrt(4)
    expect([...a.get('model.norm.weight')!].every((v) => v === 1)).toBe(true);
  });
});
