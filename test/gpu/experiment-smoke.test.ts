// The chains-smoke preset end to end (every data stage, every arm): every output file is written
// with its fields, numbers are in range, kept interventions are spliced at their stated location
// (interventions.jsonl and the exported SFT set agree), and leaked answers are rejected.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { ARM_IDS, ARMS } from '../../src/int/arms';
import { presetConfig } from '../../src/int/config';
import { runExperiment, type ExperimentRun } from '../../src/int/experiment';
import { createChainsTask } from '../../src/tasks/chains';
import { METRIC_COLUMNS } from '../../src/train/metrics';
import { getTestGpu } from '../shared/gpu-env';
import { readJson, readJsonl, scriptedVerifier } from './experiment-fixtures';

let gpu: Gpu;
let dir: string;
let run: ExperimentRun;
const t0 = performance.now();
let seconds = 0;

beforeAll(async () => {
  gpu = await getTestGpu();
  dir = mkdtempSync(join(tmpdir(), 'int-smoke-'));
  const config = presetConfig('chains-smoke');
  run = await runExperiment({ out: dir, config, preset: 'chains-smoke', gpu, root: join(__dirname, 'no-such-root'), wrapEngine: scriptedVerifier });
  seconds = (performance.now() - t0) / 1000;
  console.log(`[experiment-smoke] chains-smoke, all arms: ${seconds.toFixed(1)} s`);
}, 280_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('chains-smoke end to end', () => {
  it('runs every stage and writes every file', () => {
    expect(run.stoppedAfter).toBeNull();
    for (const s of ['pool', 'rollouts', 'propose', 'filter', 'continuations', 'reflect', 'diagnostics', 'sft-sets']) expect(run.ran).toContain(s);
    for (const a of ARM_IDS) for (const s of ['sft', 'rl', 'eval']) expect(run.ran).toContain(`${a}/${s}`);
    for (const f of ['results.json', 'results.md', 'metrics.csv', 'interventions.jsonl', 'run.json', 'exports/sft/sft.jsonl', 'exports/sft/sft.parquet', 'exports/rl/rl_prompts.parquet']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    for (const a of ARM_IDS.filter((a) => a !== 'base')) {
      expect(existsSync(join(dir, 'exports/adapters', a, 'adapter_model.safetensors')), a).toBe(true);
      const cfg = readJson(join(dir, 'exports/adapters', a), 'adapter_config.json');
      expect(cfg.peft_type).toBe('LORA');
    }
    expect(existsSync(join(dir, 'exports/adapters/base'))).toBe(false);
  });

  it('results.json has every arm with pass@k and intervals in range', () => {
    const r = readJson(dir, 'results.json');
    expect(r.metrics).toBeUndefined();
    expect(Object.keys(r.arms).sort()).toEqual([...ARM_IDS].sort());
    const cfg = presetConfig('chains-smoke');
    for (const a of Object.values<any>(r.arms)) {
      expect(a.eval.overall.problems).toBe(8);
      expect(a.eval.overall.samples).toBe(8 * cfg.eval.samples);
      for (const k of cfg.eval.ks) {
        const i = a.eval.overall.passAt[String(k)];
        expect(i.estimate).toBeGreaterThanOrEqual(0);
        expect(i.estimate).toBeLessThanOrEqual(1);
        expect(i.lo).toBeLessThanOrEqual(i.estimate + 1e-12);
        expect(i.hi).toBeGreaterThanOrEqual(i.estimate - 1e-12);
      }
      expect(Object.keys(a.eval.tiers)).toEqual(['easy']);
    }
    // identical RL budgets: every arm with RL ran the same number of steps; SFT-only arms none
    for (const id of ARM_IDS) expect(r.arms[id].rlSteps).toBe(ARMS[id].rl ? cfg.rl.steps : 0);
    expect(r.arms.int_rl.sftRows).toBe(r.pipeline.sftRows.interventions);
    expect(r.arms.int_rl.sftRows).toBeGreaterThan(0);
    // the ablations train on their own sets; InT SFT on InT + RL's rows
    expect(r.arms.int_sft.sftRows).toBe(r.arms.int_rl.sftRows);
    expect(r.pipeline.sftRows.interventions_no_filter).toBeGreaterThanOrEqual(r.pipeline.sftRows.interventions);
    expect(r.arms.int_sft_no_prefix_loss.sftRows).toBeGreaterThan(0);
    expect(r.arms.int_sft_with_suffix.sftRows).toBe(r.pipeline.sftRows.interventions_with_suffix);
    expect(r.arms.sft_ref.sftRows).toBe(r.arms.sft_ref_rl.sftRows);
    // zero-advantage share at the first RL step of every RL arm
    const rlArms = ARM_IDS.filter((id) => ARMS[id].rl);
    expect(Object.keys(r.mechanism).sort()).toEqual([...rlArms].sort());
    for (const id of rlArms) {
      const m = r.mechanism[id];
      expect(m).toMatchObject({ step: 1, groups: cfg.rl.promptsPerStep });
      expect(m.share).toBeCloseTo(m.zeroVariance / m.groups, 12);
      expect(m.byTier.easy.groups).toBe(cfg.rl.promptsPerStep);
    }
    expect(r.arms.sft_ref_rl.sftRows).toBeGreaterThan(0);
    expect(r.diagnostics.location.scored).toBeGreaterThan(0);
    expect(r.diagnostics.location.accuracy).toBe(1);
    expect(r.diagnostics.table.rows.prefix_intervention.problems).toBeGreaterThan(0);
    // equal budgets: every start condition has one start per kept intervention, each sampled samplesPerStart times
    const cont = Object.values<any>(r.diagnostics.continuation);
    expect(Object.keys(r.diagnostics.continuation)).toEqual(['problem_only', 'prefix', 'prefix_original', 'prefix_intervention']);
    expect(r.diagnostics.samplesPerStart).toBe(cfg.continuation.k);
    expect(cont[0].starts).toBeGreaterThan(0);
    for (const c of cont) expect([c.starts, c.samples, c.problems]).toEqual([cont[0].starts, cont[0].starts * cfg.continuation.k, cont[0].problems]);
  });

  it('rejects leaked answers and splices kept interventions at their location', () => {
    const task = createChainsTask(presetConfig('chains-smoke').data.chains);
    const rows = readJsonl(dir, 'interventions.jsonl');
    const r = readJson(dir, 'results.json');
    expect(rows.length).toBe(r.pipeline.proposals.outputs);
    const leaks = rows.filter((x) => x.status === 'leaks_answer');
    const kept = rows.filter((x) => x.status === 'kept');
    expect(leaks.length).toBeGreaterThan(0);
    expect(kept.length).toBeGreaterThan(0);
    expect(leaks.length).toBe(r.pipeline.filter.byStatus.leaks_answer);
    const gold = new Map(task.problems('train').map((p) => [p.id, p.answer]));
    for (const x of leaks) expect(x.intervention).toContain(gold.get(x.problemId));
    for (const x of rows) for (const f of ['attempt', 'steps', 'verification', 'location', 'intervention', 'status', 'detail', 'continuation']) expect(x).toHaveProperty(f);
    // each row names its problem and reference solution; kept rows of never-solved problems carry the diagnostics' starts
    const byId = new Map(task.problems('train').map((p) => [p.id, p]));
    for (const x of rows) expect([x.problem, x.reference, x.answer]).toEqual([byId.get(x.problemId)!.statement, task.solution(byId.get(x.problemId)!), byId.get(x.problemId)!.answer]);
    expect(rows.filter((x) => x.starts).length).toBe(r.diagnostics.continuation.prefix_intervention.starts);
    const sft = readFileSync(join(dir, 'exports/sft/sft.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(sft.length).toBe(kept.length);
    for (const [i, x] of kept.entries()) {
      expect(x.spliced).toEqual([...x.steps.slice(0, x.location - 1), ...(x.intervention.trim() ? [x.intervention] : [])]);
      expect(sft[i].completion[0].content).toBe(task.joinSteps(x.spliced));
      expect(x.intervention).not.toContain(`=${gold.get(x.problemId)}`);
    }
  });

  it('metrics.csv has one row per optimiser step of every arm', () => {
    const lines = readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe(`arm,stage,${METRIC_COLUMNS.join(',')}`);
    const cfg = presetConfig('chains-smoke');
    const rlRows = lines.filter((l) => l.split(',')[1] === 'rl');
    expect(rlRows.length).toBe(5 * cfg.rl.steps);
    expect(lines.some((l) => l.startsWith('int_rl,sft,'))).toBe(true);
    const md = readFileSync(join(dir, 'results.md'), 'utf8');
    for (const label of ['+ InT + RL', '+ hint-guided RL', 'InT SFT, with the correct suffix', 'Mechanism', 'prefix intervention', 'Location accuracy']) expect(md).toContain(label);
  });
});
