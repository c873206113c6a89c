// Intervene yourself on the real engine: the embedded chains-critical-strict model samples continuations of
// one published failed attempt (small N) through continueFromAttempt, the function the worker's
// continueFrom runs. Checks structure and grading, not outcomes: every start has N graded
// continuations, solved counts them, each grade is the task grader's on prefix + continuation,
// equal starts give equal continuations (one seed), progress and cancel work, and a step or problem
// the model cannot read is refused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import type { IntConfig } from '../../src/int/config';
import { DecoderEngine } from '../../src/int/engine';
import { loadBaseModel, type BaseModel } from '../../src/int/model';
import { NodeFolderSource } from '../../src/io/folder';
import { createChainsTask } from '../../src/tasks/chains';
import { createMathTask } from '../../src/tasks/math/task';
import { parseAttemptsFile } from '../../src/ui/intervene-data';
import { continueFromAttempt, findProblem } from '../../src/worker/intervene';
import { planContinueStarts } from '../../src/worker/intervene-plan';
import type { ContinueRequest, ContinueStart } from '../../src/worker/protocol';
import { getTestGpu } from '../shared/gpu-env';

const ROOT = join(__dirname, '../..');
const results = JSON.parse(readFileSync(join(ROOT, 'public/results/chains-critical-strict/results.json'), 'utf8')) as { config: IntConfig };
const attempts = parseAttemptsFile(JSON.parse(readFileSync(join(ROOT, 'public/results/chains-critical-strict/attempts.json'), 'utf8')), 'attempts.json');
const task = createChainsTask({ ...results.config.data.chains, style: results.config.data.style });
/** A published attempt whose intervention was kept, at a step inside the attempt. */
const attempt = attempts.find((a) => a.intervention?.status === 'kept' && a.intervention.location <= a.steps.length)!;
const N = 4;

let gpu: Gpu;
let base: BaseModel;
let engine: DecoderEngine;
beforeAll(async () => {
  gpu = await getTestGpu();
  base = await loadBaseModel(gpu, new NodeFolderSource(join(ROOT, 'public/models/chains-critical-strict')), 'public/models/chains-critical-strict');
  engine = new DecoderEngine(gpu, base.decoder, base.codec);
});
afterAll(() => {
  base?.decoder.weights.release();
  base?.decoder.release();
});

function request(over: Partial<ContinueRequest> = {}): ContinueRequest {
  const iv = attempt.intervention!;
  return {
    config: results.config,
    dataset: null,
    model: { kind: 'embedded', url: 'models/chains-critical-strict/' },
    problemId: attempt.problemId,
    steps: attempt.steps,
    location: iv.location,
    step: attempt.steps[iv.location - 1],
    intervention: { location: iv.location, content: iv.content },
    n: N,
    seed: 3,
    ...over,
  };
}

describe('continueFromAttempt on the embedded model', () => {
  it('samples N graded continuations per start with the pipeline continuation sampling, reported as they finish', async () => {
    const req = request();
    const progress: [number, number][] = [];
    const seen: ContinueStart[] = [];
    const r = await continueFromAttempt({ engine, label: base.label, task, req, events: { progress: (d, t) => progress.push([d, t]), start: (s) => seen.push(s) } });
    expect(r.starts.map((s) => s.kind)).toEqual(['prefix', 'yours', 'model']);
    expect(seen).toEqual(r.starts);
    expect(progress).toEqual([[0, 3], [1, 3], [2, 3], [3, 3]]);
    expect(r.sampling).toEqual(results.config.continuation.sampling);
    expect(r.problem.id).toBe(attempt.problemId);
    expect(r.problem.prompt).toBe(task.prompts.solve(findProblem(task, attempt.problemId)));
    const p = findProblem(task, attempt.problemId);
    const planned = planContinueStarts((s) => task.joinSteps(s), req);
    for (const [i, s] of r.starts.entries()) {
      expect(s.samples).toBe(N);
      expect(s.continuations).toHaveLength(N);
      expect(s.solved).toBe(s.continuations.filter((c) => c.correct).length);
      expect(s.solved).toBeLessThanOrEqual(s.samples);
      expect(s.steps).toEqual(planned[i].steps);
      // each grade is the task grader's verdict on the start's text + the continuation
      for (const c of s.continuations) {
        const g = task.grade(planned[i].text + c.text, p);
        expect([c.correct, c.reason]).toEqual([g.correct, g.reason]);
      }
    }
    console.log(`[intervene] ${attempt.attemptId} step ${req.location}: ${r.starts.map((s) => `${s.kind} ${s.solved}/${s.samples}`).join(', ')}; ${r.seconds.toFixed(1)} s`);
  });

  it("gives equal continuations to equal starts (one seed): the student's step equal to the model's intervention", async () => {
    const iv = attempt.intervention!;
    const r = await continueFromAttempt({ engine, label: base.label, task, req: request({ step: iv.content }) });
    const [yours, model] = [r.starts[1], r.starts[2]];
    expect(yours.steps).toEqual(model.steps);
    expect(yours.continuations).toEqual(model.continuations);
    // the chains leak filter flags a step whose numbers contain the answer; the result says so when it does
    expect(r.leak === null || /answer/.test(r.leak)).toBe(true);
  });

  it('stops before the next start when cancelled', async () => {
    let starts = 0;
    const run = continueFromAttempt({
      engine,
      label: base.label,
      task,
      req: request({ n: 1 }),
      events: { start: () => starts++ },
      check: () => {
        if (starts >= 1) throw new Error('sampling was cancelled');
      },
    });
    await expect(run).rejects.toThrow('sampling was cancelled');
    expect(starts).toBe(1);
  });

  it('refuses a step the model cannot write, a problem not in the task, and a problem it cannot read', async () => {
    await expect(continueFromAttempt({ engine, label: 'chains-critical', task, req: request({ step: '1×4=4' }) })).rejects.toThrow(/your step has characters the model \(chains-critical\) does not know: "×"/);
    await expect(continueFromAttempt({ engine, label: 'm', task, req: request({ problemId: 'nope-1' }) })).rejects.toThrow(/problem "nope-1" is not in the task "chains"/);
    const math = createMathTask([{ id: 'm-1', statement: 'Find ∫ x dx from 0 to 2 (é)', reference: 'x²/2 → 2', answer: '2', difficulty: 'calc', split: 'train' }], { name: 'mini', seed: 0 });
    const id = [...math.problems('train'), ...math.problems('test')][0].id;
    await expect(continueFromAttempt({ engine, label: 'chains-critical', task: math, req: request({ problemId: id, steps: ['x'], location: 1, step: 'y', intervention: null }) })).rejects.toThrow(
      /the loaded model \(chains-critical\) cannot read this problem: .*outside its alphabet/,
    );
  });
});
