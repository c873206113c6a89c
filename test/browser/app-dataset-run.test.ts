// An uploaded dataset runs end to end in the app (Chromium, SwiftShader WebGPU): a small JSONL math
// dataset is uploaded, its split chosen beside the upload (data.testFraction), a local model folder
// with a real tokenizer picked (the tiny-qwen3 fixture: random weights, Qwen's BPE tokenizer and
// 1,024 positions, so the math prompts fit; the byte-level tiny-llama's 512 positions hold no
// verify prompt), the base and InT + RL arms kept at tiny budgets (about 35 s of run), and Run
// pressed. The run must finish with every stage done, one row per arm in the results table, its problems exactly the uploaded ones in the split
// the setup showed, and every attempt and held-out sample graded. Random weights answer wrongly:
// the test checks the machinery, never a score.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { page } from 'vitest/browser';
import { getArm, type ArmId } from '../../src/int/arms';
import { mountApp, type App } from '../../src/ui/app';
import configUrl from '../fixtures/models/tiny-qwen3/config.json?url';
import genUrl from '../fixtures/models/tiny-qwen3/generation_config.json?url';
import weightsUrl from '../fixtures/models/tiny-qwen3/model.safetensors?url';
import tokenizerUrl from '../fixtures/models/tiny-qwen3/tokenizer.json?url';
import tokConfigUrl from '../fixtures/models/tiny-qwen3/tokenizer_config.json?url';
import { until } from '../shared/until';

let app: App;
let root: HTMLElement;
const consoleErrors: string[] = [];

const NAME = 'sums.jsonl';
// Eight problems with ids, answers and reference solutions. At data.testFraction 0.5 (split seed 0)
// the id hash holds out sum-2, sum-4, sum-6 and sum-7; at the default 0.2 it holds out none.
const ROWS = Array.from({ length: 8 }, (_, i) => {
  const [a, b] = [i + 2, 2 * i + 3];
  return { id: `sum-${i + 1}`, problem: `What is ${a} + ${b}?`, answer: String(a + b), solution: `Add the two numbers: ${a} + ${b} = ${a + b}.\n\nThe answer is \\boxed{${a + b}}.` };
});
const IDS = ROWS.map((r) => r.id);
const TEST_IDS = ['sum-2', 'sum-4', 'sum-6', 'sum-7'];
const TRAIN_IDS = IDS.filter((id) => !TEST_IDS.includes(id));
const ARMS: ArmId[] = ['base', 'int_rl'];

const setupSplit = () => root.querySelector('#setup [data-testid=dataset-split]')?.textContent ?? '';
const counts = (text: string) => {
  const m = /(\d+) train \/ (\d+) test problems/.exec(text);
  return m ? { train: Number(m[1]), test: Number(m[2]) } : null;
};

beforeAll(async () => {
  await page.viewport(1280, 1000);
  root = document.createElement('div');
  document.body.append(root);
  const logError = console.error.bind(console);
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => (consoleErrors.push(a.map(String).join(' ')), logError(...a)));
  window.addEventListener('error', (e) => consoleErrors.push(`uncaught: ${e.message}`));
  window.addEventListener('unhandledrejection', (e) => consoleErrors.push(`unhandled: ${String(e.reason)}`));
  app = mountApp(root, { modelUrl: new URL('/models/chains-critical-strict/', location.origin).href, publishedUrl: new URL('/results/chains-critical-strict/', location.origin).href });
  await app.ready;
  app.show('setup');
});

afterAll(() => app?.dispose());

describe('an uploaded dataset in the app', () => {
  let shown: { train: number; test: number } | null = null;

  it('uploads a JSONL math dataset and splits it 4 / 4 at the data.testFraction typed beside the upload', async () => {
    const input = root.querySelector<HTMLInputElement>('[data-testid=dataset-file]')!;
    const dt = new DataTransfer();
    dt.items.add(new File([ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n'], NAME, { type: 'application/jsonl' }));
    input.files = dt.files;
    input.dispatchEvent(new Event('change'));
    const first = await until(`the split of ${NAME}`, () => (setupSplit().startsWith('Split') && root.querySelector('[data-testid=dataset-report]')?.textContent?.startsWith(NAME) ? setupSplit() : null), 30_000);
    expect(first).toMatch(/^Split: 8 train \/ 0 test problems \(data\.testFraction 0\.2/);
    expect(app.settings.overrides.data).toMatchObject({ task: 'math', style: 'chat', dataset: NAME });
    expect(app.settings.datasetIds).toEqual(IDS);
    const share = root.querySelector<HTMLInputElement>('#setup [data-testid=dataset-split-fields] input[data-path="data.testFraction"]')!;
    share.value = '0.5';
    share.dispatchEvent(new Event('change'));
    expect(setupSplit()).toMatch(/^Split: 4 train \/ 4 test problems \(data\.testFraction 0\.5/);
    shown = counts(setupSplit());
    expect(shown).toEqual({ train: 4, test: 4 });
  });

  it('picks the tiny-qwen3 folder, the base and InT + RL arms, tiny budgets', async () => {
    const parts: Array<[string, string]> = [
      ['config.json', configUrl],
      ['generation_config.json', genUrl],
      ['model.safetensors', weightsUrl],
      ['tokenizer.json', tokenizerUrl],
      ['tokenizer_config.json', tokConfigUrl],
    ];
    const dt = new DataTransfer();
    for (const [name, url] of parts) {
      const res = await fetch(url);
      expect(res.ok, `fixture ${name}`).toBe(true);
      dt.items.add(new File([await res.arrayBuffer()], name));
    }
    root.querySelector<HTMLInputElement>('#setup input[name=model][value=folder]')!.click();
    const pick = await until('the folder picker', () => root.querySelector<HTMLInputElement>('#setup input[type=file][webkitdirectory]'), 5_000);
    pick.files = dt.files;
    pick.dispatchEvent(new Event('change'));
    expect(app.settings.model).toMatchObject({ kind: 'folder' });
    // the base model and InT + RL (every stage kind: rollouts, proposals, filter, SFT sets, SFT, RL,
    // evaluation); RL only and InT SFT unticked as a user would
    for (const arm of ['rl', 'int_sft']) {
      const box = root.querySelector<HTMLInputElement>(`#setup fieldset.arms input[type=checkbox][value=${arm}]`)!;
      expect(box.checked, arm).toBe(true);
      box.click();
    }
    expect(app.settings.arms).toEqual(ARMS);
    // tiny budgets beside the upload's data settings
    const tokens = { maxNewTokens: 8 };
    app.settings.overrides = {
      ...app.settings.overrides,
      rollouts: { k: 2, poolSamples: 0, sampling: tokens },
      propose: { perAttempt: 1, maxAttempts: 2, sampling: tokens },
      continuation: { enabled: false },
      sft: { epochs: 1, batchSize: 2 },
      rl: { steps: 1, numGenerations: 2, promptsPerStep: 1, maxCompletionLength: 8 },
      eval: { samples: 2, ks: [1, 2], sampling: tokens, bootstrap: { resamples: 50 } },
    };
    expect(app.settings.overrides.data).toMatchObject({ task: 'math', dataset: NAME, testFraction: 0.5 });
    app.show('setup');
    expect(root.querySelector<HTMLButtonElement>('[data-testid=run]')!.disabled).toBe(false);
  });

  it('runs it to the end on the uploaded problems, in the split the setup showed', async () => {
    expect(shown, 'the upload test set the split').not.toBeNull();
    const t0 = performance.now();
    root.querySelector<HTMLButtonElement>('[data-testid=run]')!.click();
    const status = await until('the run to end', () => {
      const s = root.querySelector('#run [data-testid=run-status]')?.textContent ?? '';
      return s && !/^(running|starting|pausing|cancelling)/.test(s) ? s : null;
    }, 240_000);
    const log = root.querySelector('#run pre.log')?.textContent ?? '';
    console.log(`run: ${status} (${((performance.now() - t0) / 1000).toFixed(1)} s in the test)\n${log}`);
    expect(status).toMatch(/^finished/);
    expect(root.querySelector('#run [data-testid=run-status]')?.className).not.toContain('error');
    expect(root.querySelector('[data-testid=status]')?.textContent).toMatch(/^The run finished in [\d.]+ s/);
    // every stage done, the model loaded from the folder, no problem dropped for its length
    const stages = [...root.querySelectorAll('#run .stage')];
    expect(stages.length).toBeGreaterThan(3);
    expect(stages.filter((s) => !s.classList.contains('done')).map((s) => s.getAttribute('data-stage'))).toEqual([]);
    expect(log).not.toMatch(/skipped: their prompt leaves/);
    // the run's split is the setup's
    // (the bf16 fixture is stored in f16 where the adapter has shader-f16, else in f32: SwiftShader has none)
    const line = /^model: local folder \((f16|f32) weights\); task: (.+); (\d+) train \/ (\d+) test problems$/m.exec(log);
    expect(line, 'the run names its model, weights, task and split').not.toBeNull();
    expect(line![2]).toBe(`math:${NAME}`);
    expect(counts(line![0])).toEqual(shown);
    // one row per arm in the results table
    const rec = app.current!;
    expect(rec).toBeTruthy();
    console.log(`stage seconds: ${JSON.stringify(rec.seconds)}`);
    expect(rec.config.data).toMatchObject({ task: 'math', dataset: NAME, testFraction: 0.5 });
    app.show('results');
    const rows = [...root.querySelectorAll('table.arms-table tbody tr')].map((tr) => tr.firstElementChild?.textContent);
    expect(rows).toEqual(ARMS.map((a) => getArm(a).label));
    const summary = [...root.querySelectorAll('#results p')].map((p) => p.textContent ?? '').find((t) => t.startsWith('local folder on '));
    expect(summary).toBe(`local folder on math:${NAME}, seed 0; ${shown!.train} train (pool ${shown!.train}) / ${shown!.test} held-out problems, 2 samples each.`);
    // held-out problems: exactly the uploaded test split, each graded on eval.samples samples
    expect(Object.keys(rec.results.arms)).toEqual(ARMS);
    for (const [arm, a] of Object.entries(rec.results.arms)) {
      expect(a.outcomes?.map((o) => o.problemId).sort(), `${arm}'s held-out problems`).toEqual(TEST_IDS);
      for (const o of a.outcomes!) {
        expect(o.n, `${arm} ${o.problemId} samples`).toBe(2);
        expect(o.c).toBeGreaterThanOrEqual(0);
        expect(o.c).toBeLessThanOrEqual(o.n);
      }
      expect(a.eval.overall.passAt['1']?.estimate, `${arm} pass@1`).toBeTypeOf('number');
    }
    // rollouts: rollouts.k graded attempts on each uploaded training problem
    const perProblem = new Map<string, number>();
    for (const at of rec.attempts) perProblem.set(at.problemId, (perProblem.get(at.problemId) ?? 0) + 1);
    expect([...perProblem.keys()].sort()).toEqual(TRAIN_IDS);
    expect([...perProblem.values()]).toEqual(TRAIN_IDS.map(() => 2));
    for (const at of rec.attempts) {
      expect(typeof at.correct).toBe('boolean');
      expect(at.reason.length, `grader's reason for ${at.id}`).toBeGreaterThan(0);
    }
    // the failed attempts (random weights fail) went to the verifier: propose.maxAttempts of them,
    // propose.perAttempt outputs each, on uploaded training problems
    const failed = rec.attempts.filter((at) => !at.correct).length;
    expect(rec.proposals.length).toBe(Math.min(failed, 2));
    for (const p of rec.proposals) {
      expect(TRAIN_IDS).toContain(p.problemId);
      expect(p.outputs.length).toBe(1);
    }
    expect(rec.results.arms.int_rl.rlSteps).toBe(1);
    expect(consoleErrors).toEqual([]);
    await page.screenshot({ path: '__screenshots__/app-dataset-run-results.png', element: root });
  });
});
