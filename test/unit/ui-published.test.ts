// The published view's pure parts: the headline stated from the paired interval (higher, lower,
// unresolved, missing), the forest-plot rows and range, the pass@1 bars, and the committed
// published run (PUBLISHED_RUN; its format, not its numbers: a newer run replaces it), whose model
// must be the page's embedded model.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExperimentResults, PairedDiff } from '../../src/int/report';
import type { SeedsSummary } from '../../src/int/seeds';
import { checkResults, forestDomain, forestRows, headline, mechanismSentence, parsePublishedMeta, passBars } from '../../src/ui/published-data';
import { EMBEDDED_MODEL, PUBLISHED_RUN } from '../../src/worker/protocol';

const iv = (estimate: number) => ({ estimate, lo: estimate - 0.05, hi: estimate + 0.05 });
const group = (e: number) => ({ problems: 8, samples: 32, correct: 0, passAt: { '1': iv(e) } });
const arm = (label: string, e: number) => ({ label, sftRows: 0, sftDropped: 0, sftSteps: 0, rlSteps: 4, eval: { overall: group(e), tiers: { easy: group(e + 0.2), critical: group(e) } } });
const pd = (tier: string, diff: number, lo: number, hi: number, arm = 'int_rl', versus = 'rl'): PairedDiff => ({ arm, versus, tier, diff, ci95: [lo, hi], problems: tier === 'all' ? 16 : 8 });

function results(paired: PairedDiff[]): ExperimentResults {
  return {
    arms: { base: arm('base', 0.1), rl: arm('+ RL', 0.2), int_rl: arm('+ InT + RL', 0.25) },
    paired,
    config: { eval: { samples: 4, ks: [1], bootstrap: { resamples: 100, seed: 0, level: 0.95 } }, rl: { steps: 4 } },
    diagnostics: { table: { rows: {} } },
  } as unknown as ExperimentResults;
}

describe('headline', () => {
  it('states a resolved gain with its interval on the critical tier', () => {
    const h = headline(results([pd('all', 1, -2, 4), pd('critical', 6.25, 1.5, 11)]));
    expect(h.verdict).toBe('higher');
    expect(h.diff?.tier).toBe('critical');
    expect(h.text).toBe('InT + RL beats RL only on the critical tier: pass@1 is +6.3 points higher (95% paired interval [+1.5, +11.0] over 8 held-out problems). The interval excludes zero.');
  });

  it('says plainly when RL only is better', () => {
    const h = headline(results([pd('critical', -5, -9, -1)]));
    expect(h.verdict).toBe('lower');
    expect(h.text).toMatch(/^InT \+ RL does worse than RL only on the critical tier: pass@1 is 5\.0 points lower \(-5\.0, 95% paired interval \[-9\.0, -1\.0\]/);
    expect(h.text).toContain('in this run RL only is better');
  });

  it('does not claim a difference when the interval contains zero, and says which way the estimate leans', () => {
    const h = headline(results([pd('critical', -2.83, -8.4, 2.54)]));
    expect(h.verdict).toBe('unresolved');
    expect(h.text).toContain('-2.8 points of pass@1 (95% paired interval [-8.4, +2.5] over 8 held-out problems)');
    expect(h.text).toContain('does not resolve a difference; the point estimate favours RL only.');
    expect(h.text).not.toMatch(/beats|worse/);
  });

  it('states the difference pooled over the seeds of seeds.json, then each seed\'s', () => {
    const seeds = {
      format: 'int-lab-seeds', version: 1, preset: 'p', seeds: [1, 2], pooling: '', bootstrap: { resamples: 100, seed: 0, level: 0.95 },
      runs: [1, 2].map((seed) => ({ seed, dir: `seed-${seed}`, pass1: {}, intVsRl: [pd('critical', seed === 1 ? 6.25 : 2, seed === 1 ? 1.5 : -1, seed === 1 ? 11 : 5)] })),
      pooled: [{ ...pd('critical', 4.1, 0.5, 8.2), units: 16, seeds: 2 }],
    } as unknown as SeedsSummary;
    const h = headline(results([pd('critical', 6.25, 1.5, 11)]), seeds);
    expect(h.verdict).toBe('higher');
    expect(h.diff?.diff).toBe(4.1);
    expect(h.text).toBe('InT + RL beats RL only on the critical tier: pass@1 is +4.1 points higher (pooled over seeds 1, 2; 95% paired interval [+0.5, +8.2] over 8 held-out problems x 2 seeds; per seed: seed 1 +6.3 [+1.5, +11.0], seed 2 +2.0 [-1.0, +5.0]). The interval excludes zero.');
    // one seed: its own interval
    expect(headline(results([pd('critical', 6.25, 1.5, 11)]), { ...seeds, seeds: [1] }).diff?.diff).toBe(6.25);
  });

  it('falls back to all tiers, and says so when the comparison is missing', () => {
    expect(headline(results([pd('all', 3, 1, 5)])).text).toMatch(/^InT \+ RL beats RL only over all tiers/);
    const none = headline(results([pd('critical', 3, 1, 5, 'rl', 'base')]));
    expect(none.verdict).toBe('n/a');
    expect(none.diff).toBeNull();
    expect(none.text).toContain('no paired comparison of InT + RL against RL only');
  });
});

describe('mechanismSentence', () => {
  const row = (problems: number, solved: number, correct: number, samples: number) => ({ starts: problems, problems, solved, correct, samples });
  const withRows = (rows: Record<string, ReturnType<typeof row>>) => ({ ...results([]), diagnostics: { table: { rows }, continuation: rows } }) as unknown as ExperimentResults;

  it('states the prefix against the prefix + the intervention on the never-solved problems', () => {
    const r = withRows({ problem_only: row(3, 0, 0, 6), prefix: row(3, 0, 0, 6), prefix_original: row(3, 0, 1, 6), prefix_intervention: row(3, 3, 6, 6) });
    expect(mechanismSentence(r)).toBe(
      "Credit assignment, measured: on the 3 never-solved training problems with a kept intervention, continuing a failed attempt from the steps before the flagged step succeeds in 0 of 6 samples (0%); with the attempt's own step put back, 1 of 6 samples (17%); from those steps + the model's own corrected step, in 6 of 6 samples (100%) (solved 3 of 3 problems). That one step is what InT trains on.",
    );
  });

  it('says nothing when no intervention was kept to measure', () => {
    expect(mechanismSentence(withRows({ problem_only: row(0, 0, 0, 0), prefix: row(0, 0, 0, 0), prefix_original: row(0, 0, 0, 0), prefix_intervention: row(0, 0, 0, 0) }))).toBeNull();
  });
});

describe('forest plot and bars', () => {
  const r = results([pd('all', -4.2, -9.2, 0.5), pd('critical', -2.8, -8.4, 2.5), pd('all', 3.5, 0.8, 6.3, 'rl', 'base'), pd('critical', 6, 3.2, 9.2, 'rl', 'base')]);

  it('has one row per paired entry, in order, with the headline row marked', () => {
    const rows = forestRows(r);
    expect(rows.map((d) => `${d.label}:${d.tier}:${d.verdict}`)).toEqual(['InT + RL − RL:all:unresolved', 'InT + RL − RL:critical:unresolved', 'RL − base:all:higher', 'RL − base:critical:higher']);
    expect(rows.filter((d) => d.headline).map((d) => `${d.arm}/${d.tier}`)).toEqual(['int_rl/critical']);
    expect(rows[1]).toMatchObject({ diff: -2.8, lo: -8.4, hi: 2.5, problems: 8 });
  });

  it('spans zero and every interval, in multiples of 5', () => {
    expect(forestDomain(forestRows(r))).toEqual([-10, 10]);
    expect(forestDomain([{ diff: 2, lo: 1, hi: 3 }])).toEqual([0, 5]);
    expect(forestDomain([])).toEqual([-5, 5]);
  });

  it('gives one pass@1 bar per arm and tier, "all" first, in %', () => {
    const b = passBars(r);
    expect(b.tiers).toEqual(['all', 'easy', 'critical']);
    expect(b.arms).toEqual(['base', 'rl', 'int_rl']);
    expect(b.bars).toHaveLength(9);
    expect(b.bars.find((x) => x.arm === 'rl' && x.tier === 'easy')).toMatchObject({ estimate: expect.closeTo(40, 9), lo: expect.closeTo(35, 9), problems: 8 });
  });
});

describe('the committed published run', () => {
  const dir = join(import.meta.dirname, '../../public', PUBLISHED_RUN.path);
  it('reads as results.json + published.json, with a headline and a forest row per paired entry', () => {
    const r = checkResults(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')));
    const meta = parsePublishedMeta(JSON.parse(readFileSync(join(dir, 'published.json'), 'utf8')));
    expect(meta.preset).toBe(r.preset);
    expect(meta.seeds).toContain(r.seed);
    expect(meta.model_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(headline(r).diff).not.toBeNull();
    expect(forestRows(r)).toHaveLength(r.paired.length);
  });

  it('names the committed model it was computed on (its sha256) and holds seeds.json for several seeds', () => {
    const r = checkResults(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')));
    const meta = parsePublishedMeta(JSON.parse(readFileSync(join(dir, 'published.json'), 'utf8')));
    expect(r.model).toBe(meta.model);
    expect(meta.preset).toBe(PUBLISHED_RUN.preset);
    // "Intervene yourself" continues its attempts with the page's model: it must be the one that wrote them
    expect(`${meta.model}/`).toBe(`public/${EMBEDDED_MODEL.path}`);
    const weights = readFileSync(join(import.meta.dirname, '../..', meta.model, 'model.safetensors'));
    expect(createHash('sha256').update(weights).digest('hex')).toBe(meta.model_sha256);
    if (meta.seeds.length > 1) {
      const s = JSON.parse(readFileSync(join(dir, 'seeds.json'), 'utf8'));
      expect(s.seeds).toEqual(meta.seeds);
    }
  });

  it('refuses a published.json without a field, naming it', () => {
    expect(() => parsePublishedMeta({ command: 'x', seed: 1, preset: 'p', model: 'm', machine: 'c', minutes: 1 })).toThrow('"model_sha256"');
    expect(parsePublishedMeta({ command: 'x', seed: 2, preset: 'p', model: 'm', model_sha256: 'h', machine: 'c', minutes: 1 }).seeds).toEqual([2]);
  });
});
