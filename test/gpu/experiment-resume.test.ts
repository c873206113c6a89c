// Determinism and resume of the experiment runner on a tiny config (two arms): an uninterrupted
// run and a run stopped after a data stage, resumed, stopped after an arm's SFT, and resumed to the
// end write byte-identical results.json; resumed calls recompute no completed stage; a seeds run
// stopped inside a seed resumes (finished seeds skipped) and writes seeds.json / seeds.md.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { presetConfig } from '../../src/int/config';
import { runExperiment, runSeeds } from '../../src/int/experiment';
import { getTestGpu } from '../shared/gpu-env';
import { scriptedVerifier } from './experiment-fixtures';

let gpu: Gpu;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'int-resume-'));
  dirs.push(d);
  return d;
};
beforeAll(async () => {
  gpu = await getTestGpu();
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const config = presetConfig('chains-smoke', {
  seed: 3,
  data: { maxTrainProblems: 4, maxTestProblems: 4 },
  propose: { maxAttempts: 4 },
  rl: { steps: 1 },
  eval: { samples: 2, ks: [1, 2] },
});
const common = { config, preset: 'chains-smoke', arms: ['base', 'int_rl'] as const, root: join(__dirname, 'no-such-root'), wrapEngine: scriptedVerifier };

describe('experiment determinism and resume', () => {
  it('same seed, same results.json; an interrupted run resumes without recomputing stages', async () => {
    const a = tmp();
    const full = await runExperiment({ ...common, arms: [...common.arms], out: a, gpu });
    expect(full.stoppedAfter).toBeNull();

    const b = tmp();
    const first = await runExperiment({ ...common, arms: [...common.arms], out: b, gpu, stopAfter: 'propose' });
    expect(first.stoppedAfter).toBe('propose');
    expect(first.ran).toEqual(['pool', 'rollouts', 'propose']);
    const mtimes = first.ran.map((s) => statSync(join(b, 'stages', `${s}.json`)).mtimeMs);

    const second = await runExperiment({ out: b, resume: true, gpu, stopAfter: 'int_rl/sft', wrapEngine: scriptedVerifier, root: common.root });
    expect(second.skipped).toEqual(['pool', 'rollouts', 'propose']);
    expect(second.ran[0]).toBe('filter');
    expect(second.ran[second.ran.length - 1]).toBe('int_rl/sft');
    for (const s of second.ran) expect(first.ran).not.toContain(s);

    const third = await runExperiment({ out: b, resume: true, gpu, wrapEngine: scriptedVerifier, root: common.root });
    expect(third.ran).toEqual(['int_rl/rl', 'int_rl/eval']);
    expect(third.skipped).toEqual([...first.ran, ...second.ran]);
    expect(first.ran.map((s) => statSync(join(b, 'stages', `${s}.json`)).mtimeMs)).toEqual(mtimes);

    const ra = readFileSync(join(a, 'results.json'), 'utf8');
    const rb = readFileSync(join(b, 'results.json'), 'utf8');
    expect(JSON.parse(rb).arms.int_rl.sftRows).toBeGreaterThan(0);
    expect(rb).toBe(ra);
  }, 280_000);

  it('several seeds: an interrupted run resumes, finished seeds are skipped, seeds.json pools them', async () => {
    const d = tmp();
    const seeds = { config, preset: 'chains-smoke', arms: ['base', 'rl'] as ('base' | 'rl')[], seeds: [5, 6], out: d, gpu, root: common.root, wrapEngine: scriptedVerifier };
    const first = await runSeeds({ ...seeds, stopAfter: 'rl/sft' });
    expect(first).toMatchObject({ ran: [5], skipped: [], stoppedAfter: { seed: 5, stage: 'rl/sft' }, summary: null });
    const second = await runSeeds({ out: d, resume: true, gpu, root: common.root, wrapEngine: scriptedVerifier });
    expect(second).toMatchObject({ ran: [5, 6], skipped: [], stoppedAfter: null });
    const third = await runSeeds(seeds);
    expect(third).toMatchObject({ ran: [], skipped: [5, 6] });
    const s = JSON.parse(readFileSync(join(d, 'seeds.json'), 'utf8'));
    expect(s.seeds).toEqual([5, 6]);
    expect(s.runs.map((r: { dir: string }) => r.dir)).toEqual(['seed-5', 'seed-6']);
    expect(JSON.parse(readFileSync(join(d, 'seed-6', 'results.json'), 'utf8')).seed).toBe(6);
    const pooled = s.pooled.find((x: { arm: string; versus: string; tier: string }) => x.arm === 'rl' && x.versus === 'base' && x.tier === 'all');
    expect(pooled).toMatchObject({ problems: 4, units: 8, seeds: 2 });
    expect(readFileSync(join(d, 'seeds.md'), 'utf8')).toContain('## Pooled over seeds');
    await expect(runSeeds({ ...seeds, seeds: [5, 7] })).rejects.toThrow(/another preset, seeds/);
  }, 280_000);

  it('refuses to start a new run in a folder that holds one', async () => {
    const a = tmp();
    await runExperiment({ ...common, arms: ['base'], out: a, gpu, stopAfter: 'pool' });
    await expect(runExperiment({ ...common, arms: ['base'], out: a, gpu })).rejects.toThrow(/--resume/);
  });
});
