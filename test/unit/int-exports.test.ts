// Exports round-trip: TRL conversational JSONL, verl-style SFT Parquet, verl RL prompt Parquet
// (read back with readParquet), interventions.jsonl, and the PEFT adapter pass-through.
import { describe, expect, it } from 'vitest';
import { parseJsonl } from '../../src/io/datasets/jsonl';
import { readParquet } from '../../src/io/datasets/parquet';
import {
  EXPORT_FILES,
  exportAdapter,
  exportInterventions,
  exportRlPrompts,
  exportSftSet,
  memorySink,
  rlPromptRows,
  sftJsonl,
  sftParquet,
  toConversational,
} from '../../src/int/exports';
import { filterInterventions, chainsLeakCheck } from '../../src/int/filter';
import { interventionExample, type SftExample } from '../../src/int/splice';
import { createChainsTask } from '../../src/tasks/chains';

const examples: SftExample[] = [
  { problemId: 'p1', prompt: 'Solve: 2 + "3"?', completion: 'First 2.\n\nThen \\frac{1}{2} and ünïcode.', answer: '5', meta: { source: 'interventions' } },
  { problemId: 'p2', prompt: 'q:37 +18\n', completion: '37+18=55\n=55', answer: '55' },
];

describe('SFT exports', () => {
  it('TRL conversational prompt/completion JSONL', () => {
    const text = sftJsonl(examples);
    expect(text.endsWith('\n')).toBe(true);
    const { records, errors } = parseJsonl(text);
    expect(errors).toEqual([]);
    expect(records.map((r) => r.value)).toEqual([
      { prompt: [{ role: 'user', content: examples[0].prompt }], completion: [{ role: 'assistant', content: examples[0].completion }] },
      { prompt: [{ role: 'user', content: examples[1].prompt }], completion: [{ role: 'assistant', content: examples[1].completion }] },
    ]);
    expect(toConversational(examples[1]).completion[0].role).toBe('assistant');
  });

  it('verl-style Parquet reads back', async () => {
    const t = await readParquet(sftParquet(examples, { dataSource: 'int-lab/chains', ability: 'arithmetic' }));
    expect(t.numRows).toBe(2);
    expect(t.columns).toEqual(['data_source', 'prompt', 'ability', 'reward_model', 'extra_info', 'messages']);
    expect(t.rows[0]).toEqual({
      data_source: 'int-lab/chains',
      prompt: [{ role: 'user', content: examples[0].prompt }],
      ability: 'arithmetic',
      reward_model: { style: 'rule', ground_truth: '5' },
      extra_info: { split: 'train', index: 0, problem_id: 'p1', question: examples[0].prompt, answer: examples[0].completion, source: 'interventions' },
      messages: [{ role: 'user', content: examples[0].prompt }, { role: 'assistant', content: examples[0].completion }],
    });
    expect(t.rows[1]).toMatchObject({ extra_info: { index: 1, source: '' }, reward_model: { ground_truth: '55' } });
  });
});

describe('RL prompt export', () => {
  const task = createChainsTask({ style: 'chat', counts: { easy: { train: 3, test: 0 }, medium: { train: 2, test: 0 }, hard: { train: 0, test: 0 } } });
  const problems = task.problems('train');

  it('verl Parquet with reward_model.ground_truth, plain and hint prompts', async () => {
    const sink = memorySink();
    const path = await exportRlPrompts(sink, 'out/rl/', problems, task.prompts, { dataSource: 'int-lab/chains' });
    expect(path).toBe('out/rl/rl_prompts.parquet');
    const t = await readParquet(sink.files.get(path)!);
    expect(t.numRows).toBe(5);
    t.rows.forEach((row, i) => {
      const p = problems[i];
      expect(row).toEqual({
        data_source: 'int-lab/chains',
        prompt: [{ role: 'user', content: task.prompts.solve(p) }],
        ability: 'math',
        reward_model: { style: 'rule', ground_truth: p.answer },
        extra_info: { split: 'train', index: i, problem_id: p.id, difficulty: p.difficulty },
      });
    });
    const hint = rlPromptRows(problems, task.prompts, { style: 'hint', hintFraction: 1 });
    expect((hint[0].prompt as { content: string }[])[0].content).toBe(task.prompts.hintSolve(problems[0], 1));
    expect((hint[0].prompt as { content: string }[])[0].content).not.toBe(task.prompts.solve(problems[0]));
    expect(() => rlPromptRows(problems, task.prompts, { style: 'fancy' as 'hint' })).toThrow(/plain/);
  });

  it('an SFT set built from the chains world round-trips through both files', async () => {
    const exs = problems.map((p) => {
      const steps = task.solutionSteps(p);
      return interventionExample(task, p, steps, 2, task.correctStep(p, 2));
    });
    const sink = memorySink();
    const paths = await exportSftSet(sink, 'sft', exs);
    expect(paths).toEqual(['sft/sft.jsonl', 'sft/sft.parquet']);
    const jsonl = parseJsonl(new TextDecoder().decode(sink.files.get(paths[0])!));
    expect(jsonl.records.map((r) => (r.value.completion as { content: string }[])[0].content)).toEqual(exs.map((e) => e.completion));
    const pq = await readParquet(sink.files.get(paths[1])!);
    expect(pq.rows.map((r) => (r.reward_model as { ground_truth: string }).ground_truth)).toEqual(problems.map((p) => p.answer));
  });
});

describe('other files', () => {
  it('interventions.jsonl holds one verdict per line', async () => {
    const r = await filterInterventions(
      [{ attemptId: 'a', problemId: 'p', nSteps: 2, gold: '9', outputs: ['none', '<intervention>{"content": "1+1=2", "location": 1}</intervention>'] }],
      { leak: chainsLeakCheck },
    );
    const sink = memorySink();
    const path = await exportInterventions(sink, '', r.verdicts);
    expect(path).toBe(EXPORT_FILES.interventions);
    const back = parseJsonl(new TextDecoder().decode(sink.files.get(path)!)).records.map((x) => x.value);
    expect(back).toEqual(r.verdicts);
  });

  it('the adapter export writes exactly what LoraAdapter.save() returns', async () => {
    const bytes = new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    const calls: string[] = [];
    const adapter = {
      async save(base = '') {
        calls.push(base);
        return { config: JSON.stringify({ peft_type: 'LORA', r: 4, base_model_name_or_path: base }), safetensors: bytes };
      },
    };
    const written: [string, Uint8Array | string][] = [];
    const paths = await exportAdapter({ writeFile: (p, d) => void written.push([p, d]) }, 'exports/adapter', adapter, 'Qwen/Qwen3-0.6B');
    expect(calls).toEqual(['Qwen/Qwen3-0.6B']);
    expect(paths).toEqual(['exports/adapter/adapter_config.json', 'exports/adapter/adapter_model.safetensors']);
    expect(JSON.parse(written[0][1] as string)).toMatchObject({ peft_type: 'LORA', base_model_name_or_path: 'Qwen/Qwen3-0.6B' });
    expect(written[1][1]).toBe(bytes);
  });
});
