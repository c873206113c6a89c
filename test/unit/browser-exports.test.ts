// The browser's run exports (src/worker/run-exports.ts) through the CLI's src/int/exports.ts: the
// export folder's layout, the adapter each arm exports (RL, else SFT, none for an untrained arm),
// and files that parse (JSONL lines, Parquet read back, the adapter bytes passed through); plus the
// saved-runs headline numbers (src/ui/run-headline.ts).
import { describe, expect, it } from 'vitest';
import { parseJsonl } from '../../src/io/datasets/jsonl';
import { readParquet } from '../../src/io/datasets/parquet';
import { presetConfig } from '../../src/int/config';
import { memorySink } from '../../src/int/exports';
import type { ExperimentResults, PairedDiff } from '../../src/int/report';
import type { SftSets } from '../../src/int/stages';
import type { Interval } from '../../src/int/stats';
import { createChainsTask } from '../../src/tasks/chains';
import { finalAdapterKey, writeRunExports } from '../../src/worker/run-exports';
import { headlineCells, runHeadline } from '../../src/ui/run-headline';
import { exportedArms } from '../../src/ui/views/run-downloads';

const iv = (estimate: number): Interval => ({ estimate, lo: Math.max(0, estimate - 0.1), hi: Math.min(1, estimate + 0.1) }) as Interval;
const summary = (tiers: Record<string, number>, overall: number) => ({ overall: { passAt: { '1': iv(overall) } }, tiers: Object.fromEntries(Object.entries(tiers).map(([t, v]) => [t, { passAt: { '1': iv(v) } }])) });
const arm = (sftRows: number, ev: ReturnType<typeof summary>) => ({ label: 'x', sftRows, sftDropped: 0, sftSteps: sftRows > 0 ? 2 : 0, rlSteps: 0, eval: ev });

describe('browser run exports', () => {
  it('picks each arm\'s final weights: RL, else SFT when it trained, else none', () => {
    expect(finalAdapterKey('int_rl', 5)).toBe('int_rl/rl');
    expect(finalAdapterKey('rl', 0)).toBe('rl/rl');
    expect(finalAdapterKey('int_sft', 3)).toBe('int_sft/sft');
    expect(finalAdapterKey('int_sft', 0)).toBeNull();
    expect(finalAdapterKey('base', 0)).toBeNull();
    expect(() => finalAdapterKey('nope', 1)).toThrow(/unknown arm "nope"/);
  });

  it('writes the CLI\'s export folder: SFT JSONL + Parquet, RL Parquet, one PEFT adapter per trained arm', async () => {
    const task = createChainsTask({ seed: 3 });
    const train = task.problems('train').slice(0, 5);
    const ex = train.slice(0, 3).map((p, i) => ({ problemId: p.id, prompt: task.prompts.solve(p), completion: `step ${i}`, answer: p.answer }));
    const sets = { interventions: ex } as unknown as SftSets;
    const asked: string[] = [];
    const weights = (key: string) => new TextEncoder().encode(`weights of ${key}`);
    const store = { loadAdapter: (key: string) => (asked.push(key), { config: JSON.stringify({ peft_type: 'LORA', key }), safetensors: weights(key) }) };
    const results = { arms: { base: arm(0, summary({}, 0)), int_rl: arm(3, summary({}, 0.5)), int_sft: arm(3, summary({}, 0.4)) } } as unknown as ExperimentResults;
    const sink = memorySink();
    const paths = await writeRunExports(sink, { store, config: presetConfig('chains-smoke'), results, sets, train, task });
    expect(asked.sort()).toEqual(['int_rl/rl', 'int_sft/sft']);
    expect(paths.sort()).toEqual(
      ['sft/sft.jsonl', 'sft/sft.parquet', 'rl/rl_prompts.parquet', 'adapters/int_rl/adapter_config.json', 'adapters/int_rl/adapter_model.safetensors', 'adapters/int_sft/adapter_config.json', 'adapters/int_sft/adapter_model.safetensors'].sort(),
    );
    const parsed = parseJsonl(new TextDecoder().decode(sink.files.get('sft/sft.jsonl')!));
    expect(parsed.errors).toEqual([]);
    expect(parsed.records.map((r) => (r.value.completion as { content: string }[])[0].content)).toEqual(['step 0', 'step 1', 'step 2']);
    const rl = await readParquet(sink.files.get('rl/rl_prompts.parquet')!);
    expect(rl.rows.length).toBe(5);
    expect((await readParquet(sink.files.get('sft/sft.parquet')!)).rows.length).toBe(3);
    expect(new TextDecoder().decode(sink.files.get('adapters/int_rl/adapter_model.safetensors')!)).toBe('weights of int_rl/rl');
    const arms = exportedArms(Object.fromEntries(sink.files));
    expect(arms.map((a) => [a.arm, a.full, Object.keys(a.files).sort()])).toEqual([
      ['int_rl', false, ['adapter_config.json', 'adapter_model.safetensors']],
      ['int_sft', false, ['adapter_config.json', 'adapter_model.safetensors']],
    ]);
  });
});

describe('saved-runs headline numbers', () => {
  const diff = (tier: string, d: number): PairedDiff => ({ arm: 'int_rl', versus: 'rl', tier, diff: d, ci95: [d - 5, d + 5], problems: 8 });

  it('reads the critical tier of InT + RL and RL and their paired difference', () => {
    const r = { arms: { int_rl: arm(3, summary({ critical: 0.75, easy: 1 }, 0.8)), rl: arm(0, summary({ critical: 0.5, easy: 1 }, 0.6)) }, paired: [diff('all', 20), diff('critical', 25)] } as unknown as ExperimentResults;
    const h = runHeadline(r);
    expect(h.tier).toBe('critical');
    expect(h.intRl?.estimate).toBe(0.75);
    expect(h.rl?.estimate).toBe(0.5);
    expect(h.diff?.diff).toBe(25);
    expect(headlineCells(h)).toEqual(['critical', '75.0%', '50.0%', '+25.0 pts [+20.0, +30.0]']);
  });

  it('falls back to all tiers, and says n/a for an arm or comparison that did not run', () => {
    const r = { arms: { int_rl: arm(3, summary({ hard: 0.25 }, 0.4)), base: arm(0, summary({ hard: 0 }, 0.1)) }, paired: [] } as unknown as ExperimentResults;
    const h = runHeadline(r);
    expect(h.tier).toBe('all');
    expect(h.intRl?.estimate).toBe(0.4);
    expect(h.rl).toBeNull();
    expect(headlineCells(h)).toEqual(['all', '40.0%', 'n/a', 'n/a']);
  });
});
