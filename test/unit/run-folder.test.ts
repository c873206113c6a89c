// The run folder's refusals, without a GPU: a model or dataset file replaced between stop and
// resume, a run.json config edited (to an invalid or another valid value), a live lock and a stale
// one, a failed start that leaves the folder startable, an unknown stop stage, an output folder
// that cannot exist, a cut-short stage file or checkpoint (named, with how to rerun the stage), a
// stage whose file is gone (recomputed with the stages after it) and file-system errors in words.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu';
import { EXPORT_FILES } from '../../src/int/exports';
import { presetConfig } from '../../src/int/config';
import { openRun, runExperiment, type ExperimentOptions } from '../../src/int/experiment';
import { DEFAULT_MODEL_DIR } from '../../src/int/model';
import { fsError, makeDirs, RunLock, writeAtomic } from '../../src/int/run-files';
import { RunStore, safetensorsProblem } from '../../src/int/run-store';
import { writeSafetensors } from '../../src/io/safetensors-write';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'int-run-folder-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const config = presetConfig('chains-smoke', { seed: 3 });

/** A project root whose embedded model folder holds small stand-in files (hashed, never loaded). */
function rootWithModel(): string {
  const root = tmp();
  const m = join(root, DEFAULT_MODEL_DIR);
  mkdirSync(m, { recursive: true });
  writeFileSync(join(m, 'config.json'), '{"model_type":"llama"}');
  writeFileSync(join(m, 'tokenizer.json'), '{"model":{}}');
  writeFileSync(join(m, 'model.safetensors'), 'weights v1');
  return root;
}

/** Start a run (nothing computed) and complete `stages` with small values; the lock is released. */
async function started(o: Partial<ExperimentOptions> & { root: string }, stages: string[] = ['pool']): Promise<string> {
  const out = o.out ?? join(tmp(), 'run');
  const { store, lock } = await openRun({ config, arms: ['base', 'int_rl'], ...o, out });
  for (const s of stages) store.complete(s, { stage: s }, 0.1);
  lock.release();
  return out;
}

const resume = (out: string, root: string, notes: string[] = []) => openRun({ out, resume: true, root }, (m) => void notes.push(m));

describe('fingerprint', () => {
  it('refuses a resume after a model file was replaced, and resumes once it is back', async () => {
    const root = rootWithModel();
    const out = await started({ root });
    const info = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(Object.keys(info.fingerprint.model.files)).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(info.fingerprint.model.files['model.safetensors'].sha256).toMatch(/^[0-9a-f]{64}$/);

    const weights = join(root, DEFAULT_MODEL_DIR, 'model.safetensors');
    writeFileSync(weights, 'weights v2, retrained');
    const err = await resume(out, root).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/model file .*chains-tiny\/model\.safetensors was replaced \(10 -> 21 bytes/);
    expect((err as Error).message).toMatch(/Put the original files .* back .* or start a new run folder/);
    expect(existsSync(RunLock.file(out))).toBe(false); // a refusal releases the lock

    writeFileSync(weights, 'weights v1');
    const { lock } = await resume(out, root);
    lock.release();
  });

  it('refuses a resume when the embedded model appeared after a random-init start', async () => {
    const root = tmp();
    const out = await started({ root });
    mkdirSync(join(root, DEFAULT_MODEL_DIR), { recursive: true });
    for (const f of ['config.json', 'tokenizer.json']) writeFileSync(join(root, DEFAULT_MODEL_DIR, f), '{}');
    await expect(resume(out, root)).rejects.toThrow(/the model was the random-init stand-in .* and is now .*chains-tiny/);
  });

  it('refuses a resume after the dataset file was replaced', async () => {
    const root = tmp();
    const data = join(root, 'problems.csv');
    writeFileSync(data, 'problem,answer\n1+1,2\n');
    // model null: the embedded folder (absent here), so that no hub model is fetched for the fingerprint
    const math = presetConfig('hf-math', { model: null, data: { dataset: data } });
    const out = await started({ root, config: math, arms: ['base'] });
    writeFileSync(data, 'problem,answer\n1+1,3\n');
    await expect(resume(out, root)).rejects.toThrow(/dataset file .*problems\.csv was replaced/);
  });
});

describe('config in run.json', () => {
  const edit = (out: string, f: (c: Record<string, any>) => void) => {
    const file = join(out, 'run.json');
    const info = JSON.parse(readFileSync(file, 'utf8'));
    f(info.config);
    writeFileSync(file, JSON.stringify(info));
  };

  it('an invalid edit is refused listing every problem', async () => {
    const root = tmp();
    const out = await started({ root });
    edit(out, (c) => {
      c.eval.sampling.topP = 7;
      c.rl.steps = 0;
    });
    const msg = await resume(out, root).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(msg).toMatch(/run\.json holds a config that is not valid/);
    expect(msg).toMatch(/eval\.sampling\.topP \(7\) must be in \(0, 1\]/);
    expect(msg).toMatch(/rl\.steps \(0\) must be an integer >= 1/);
    expect(msg).toMatch(/Restore the config the run started with, or start a new run folder/);
  });

  it('a valid edit is refused too: the completed stages were computed with the original', async () => {
    const root = tmp();
    const out = await started({ root });
    edit(out, (c) => void (c.eval.samples = 2));
    await expect(resume(out, root)).rejects.toThrow(/config in run\.json was edited after the run started/);
  });
});

describe('lock', () => {
  const lockWith = (out: string, pid: number) => writeFileSync(RunLock.file(out), JSON.stringify({ pid, host: hostname(), started: '2020-01-01T00:00:00.000Z' }));

  it('a lock held by a live process is refused naming its pid', async () => {
    const root = tmp();
    const out = await started({ root });
    lockWith(out, process.pid);
    await expect(resume(out, root)).rejects.toThrow(new RegExp(`in use by process ${process.pid} \\(since 2020-01-01.*kill ${process.pid}.*delete .*run\\.lock`));
    expect(RunLock.read(RunLock.file(out))?.pid).toBe(process.pid); // untouched
  });

  it('a stale lock (its process is gone) is taken over with a note', async () => {
    const root = tmp();
    const out = await started({ root });
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    lockWith(out, gone);
    const notes: string[] = [];
    const { lock } = await resume(out, root, notes);
    expect(notes.join('\n')).toMatch(new RegExp(`taking over the stale lock .*run\\.lock of process ${gone}`));
    expect(RunLock.read(RunLock.file(out))).toMatchObject({ pid: process.pid });
    lock.release();
    expect(existsSync(RunLock.file(out))).toBe(false);
  });
});

describe('starts', () => {
  it('a failed start leaves the folder startable', async () => {
    const out = join(tmp(), 'run');
    const bad = presetConfig('hf-math', { model: null, data: { dataset: 'no such file.csv' } });
    await expect(runExperiment({ out, config: bad, arms: ['base'], root: tmp(), gpu: {} as Gpu })).rejects.toThrow(/neither a file .* nor a hub dataset id/);
    expect(existsSync(join(out, 'run.json'))).toBe(false);
    expect(existsSync(RunLock.file(out))).toBe(false);
    const { store, lock } = await openRun({ out, config, arms: ['base'], root: tmp() });
    expect(store.info.config).toEqual(config);
    lock.release();
  });

  it('a run.json whose run completed no stage does not block a new start; one with stages does', async () => {
    const root = tmp();
    const out = await started({ root }, []);
    const notes: string[] = [];
    const { lock } = await openRun({ out, config, arms: ['base'], root }, (m) => void notes.push(m));
    lock.release();
    expect(notes.join('\n')).toMatch(/completed no stage .*starting over in it/);
    const done = await started({ root });
    await expect(openRun({ out: done, config, arms: ['base'], root })).rejects.toThrow(/1 completed stage .*--resume/);
  });

  it('refuses a stop stage the run does not have, or one already complete', async () => {
    const root = tmp();
    await expect(openRun({ out: join(tmp(), 'r'), config, arms: ['base'], root, stopAfter: 'rollout' })).rejects.toThrow(
      /--stop-after "rollout" is not a stage of this run; its stages: pool, rollouts, propose, .*, base\/sft, base\/rl, base\/eval$/,
    );
    const out = await started({ root });
    await expect(openRun({ out, resume: true, root, stopAfter: 'rl/sft' })).rejects.toThrow(/"rl\/sft" is not a stage of this run/);
    await expect(openRun({ out, resume: true, root, stopAfter: 'pool' })).rejects.toThrow(/"pool" is already complete .*still to compute: rollouts, propose/);
  });

  it('an output folder that cannot exist fails at once, naming it', async () => {
    if (existsSync('/proc/self')) {
      await expect(openRun({ out: '/proc/x/run', config, root: tmp() })).rejects.toThrow(/cannot create the output folder \/proc\/x\/run: \/proc accepts no new folders/);
    }
    const file = join(tmp(), 'a-file');
    writeFileSync(file, '');
    expect(() => makeDirs(join(file, 'run'), 'output folder')).toThrow(/a-file is a file, not a folder/);
  });
});

describe('damaged files', () => {
  it('a cut-short stage file is refused naming the file, the stage and how to rerun it', async () => {
    const root = tmp();
    const out = await started({ root }, ['pool', 'rollouts']);
    const file = join(out, 'stages', 'rollouts.json');
    writeFileSync(file, JSON.stringify({ attempts: ['a'.repeat(100)] }).slice(0, 40));
    const { store, lock } = await resume(out, root);
    lock.release();
    expect(store.load('pool')).toEqual({ stage: 'pool' });
    expect(() => store.load('rollouts')).toThrow(/stages\/rollouts\.json is not valid JSON \(Unterminated string.*cut short/);
    expect(() => store.load('rollouts')).toThrow(/stage "rollouts" of .*Rerun that stage: delete .*rollouts\.json, then continue with --resume/);
  });

  it('a stage whose file is gone is recomputed with every stage after it', async () => {
    const root = tmp();
    const out = await started({ root }, ['pool', 'rollouts', 'propose']);
    rmSync(join(out, 'stages', 'rollouts.json'));
    const notes: string[] = [];
    const { store, lock } = await resume(out, root, notes);
    lock.release();
    expect(store.has('pool')).toBe(true);
    expect(store.has('rollouts')).toBe(false);
    expect(store.info.completed).toEqual(['pool']);
    expect(notes.join('\n')).toMatch(/rollouts\.json is gone: recomputing it and the stages after it \(propose\)/);
  });

  it('a cut-short checkpoint is refused at resume; a malformed one is never written', async () => {
    const root = tmp();
    const out = join(tmp(), 'run');
    const st = writeSafetensors([{ name: 'a.lora_A.weight', shape: [2, 4], dtype: 'F32', data: new Float32Array(8).fill(0.5) }]);
    expect(safetensorsProblem((s, n) => st.subarray(s, s + n), st.byteLength)).toBeNull();
    const { store, lock } = await openRun({ out, config, arms: ['base', 'int_rl'], root });
    store.complete('pool', {}, 0);
    store.saveAdapter('int_rl/sft', { config: '{"r":4}', safetensors: st });
    store.complete('int_rl/sft', { rows: 1 }, 0);
    expect(() => store.saveAdapter('int_rl/sft', { config: '{"r":4}', safetensors: st.subarray(0, st.length - 4) })).toThrow(/came out malformed .*nothing was written/);
    lock.release();
    const weights = join(store.adapterDir('int_rl/sft'), EXPORT_FILES.adapterWeights);
    expect(readFileSync(weights)).toEqual(Buffer.from(st)); // the good checkpoint is untouched

    truncateSync(weights, st.length - 4);
    const msg = await resume(out, root).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(msg).toMatch(/adapter_model\.safetensors is cut short or damaged \(its header describes \d+ bytes but the file has \d+/);
    expect(msg).toMatch(/stage "int_rl\/sft" cannot be used and nothing was exported from it\. Rerun that stage: delete .*int_rl\/sft\.json and .*checkpoints\/int_rl\/sft\//);
  });
});

describe('file-system errors', () => {
  it('name the file, the cause and the fix', () => {
    const e = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: 'ENOSPC', syscall: 'write' });
    expect(fsError(e, 'writing', 'runs/x/stages/pool.json', 'Completed stages are safe').message).toBe(
      'ENOSPC while writing runs/x/stages/pool.json: the disk is full: free some space. Completed stages are safe',
    );
    expect(fsError(Object.assign(new Error('x'), { code: 'EACCES' }), 'creating', 'runs/x').message).toMatch(/EACCES while creating runs\/x: permission denied: make the folder writable/);
    const plain = new Error('not a file-system error');
    expect(fsError(plain, 'writing', 'f')).toBe(plain);
  });

  it('writeAtomic names the file it could not write and leaves the target as it was', () => {
    const d = tmp();
    const target = join(d, 'results.json');
    writeAtomic(target, '{"ok":true}');
    mkdirSync(`${target}.partial`); // a folder where the temporary file goes
    expect(() => writeAtomic(target, '{"ok":false}', 'Nothing else changed')).toThrow(/EISDIR while writing .*results\.json: .*Nothing else changed/);
    expect(readFileSync(target, 'utf8')).toBe('{"ok":true}');
  });

  it('opening a folder without a run says so; a damaged run.json is named', () => {
    const d = tmp();
    expect(() => RunStore.open(d)).toThrow(/has no run\.json: it is not an experiment folder/);
    writeFileSync(join(d, 'run.json'), '{"format":"int-lab-experiment","ver');
    expect(() => RunStore.open(d)).toThrow(/run\.json is not valid JSON .*restore run\.json/);
  });
});
