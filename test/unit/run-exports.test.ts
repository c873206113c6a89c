// Exports are never overwritten without --force, without a GPU: the export folder's manifest
// (exports.json) records the run that wrote it and each file's hash; a file of another run, one
// changed after export, or one nothing accounts for is refused (naming the file and the fix) before
// any work and at write time; the same run re-exports freely (also after a stop between a write and
// its record); --force replaces, saying what it removed.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { presetConfig } from '../../src/int/config';
import { openRun } from '../../src/int/experiment';
import { EXPORT_FILES, exportConflict, type ExportManifest } from '../../src/int/exports';
import { DEFAULT_MODEL_DIR } from '../../src/int/model';
import { ExportFolder, runIdOf } from '../../src/int/run-files';
import { RunStore } from '../../src/int/run-store';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'int-exports-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const RUN = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const h = (sha: string, size = 3) => ({ sha256: sha.repeat(64).slice(0, 64), size });
const manifestOf = (dir: string): ExportManifest => JSON.parse(readFileSync(join(dir, EXPORT_FILES.manifest), 'utf8'));

describe('exportConflict', () => {
  const m: ExportManifest = { format: 'int-lab-exports', run: RUN, files: { 'sft/sft.jsonl': h('1') } };
  it('allows a new file, identical bytes, and this run\'s own file', () => {
    expect(exportConflict('sft/sft.jsonl', RUN, m, null, h('2'))).toBeNull();
    expect(exportConflict('sft/sft.jsonl', OTHER, null, h('2'), h('2'))).toBeNull();
    expect(exportConflict('sft/sft.jsonl', RUN, m, h('1'), h('2'))).toBeNull();
    // written by this run, then stopped before its record
    expect(exportConflict('rl/rl_prompts.parquet', RUN, m, h('5'), h('6'))).toBeNull();
  });
  it('refuses another run\'s file, a changed file, and a file no manifest accounts for', () => {
    expect(exportConflict('sft/sft.jsonl', OTHER, m, h('1'), h('2'))).toMatch(/exported by another run \(run aaaaaaaaaaaa\.\.\.; this run is bbbbbbbbbbbb\.\.\./);
    expect(exportConflict('sft/sft.jsonl', RUN, m, h('3', 9), h('2'))).toMatch(/changed after this run exported it \(3 -> 9 bytes/);
    expect(exportConflict('sft/sft.jsonl', RUN, null, h('3'), h('2'))).toMatch(/no exports\.json says which run exported it/);
    // each file keeps the run that exported it, whoever wrote last
    const mixed: ExportManifest = { format: 'int-lab-exports', run: RUN, files: { 'sft/sft.jsonl': { ...h('1'), run: OTHER } } };
    expect(exportConflict('sft/sft.jsonl', RUN, mixed, h('1'), h('2'))).toMatch(/exported by another run \(run bbbbbbbbbbbb/);
  });
});

describe('ExportFolder', () => {
  it('records what it writes; the same run rewrites its own files', () => {
    const dir = join(tmp(), 'exports');
    const f = new ExportFolder(dir, RUN);
    f.write('sft/sft.jsonl', 'v1\n');
    f.write('sft/sft.jsonl', 'v1\n');
    f.write('sft/sft.jsonl', 'v2, recomputed\n');
    expect(readFileSync(join(dir, 'sft/sft.jsonl'), 'utf8')).toBe('v2, recomputed\n');
    const m = manifestOf(dir);
    expect(m.run).toBe(RUN);
    expect(m.files['sft/sft.jsonl'].size).toBe(15);
    f.check(false); // nothing to refuse
  });

  it('never replaces a file changed after export without force; with force it says so', () => {
    const dir = join(tmp(), 'exports');
    new ExportFolder(dir, RUN).write('adapters/int_rl/adapter_config.json', '{"r":4}');
    const file = join(dir, 'adapters/int_rl/adapter_config.json');
    writeFileSync(file, '{"r":4, "note":"edited by hand"}');
    expect(() => new ExportFolder(dir, RUN).write('adapters/int_rl/adapter_config.json', '{"r":4}')).toThrow(
      new RegExp(`^${file.replace(/[./]/g, '\\$&')}: it was changed after this run exported it .*; it was not replaced\\. Move it away \\(or pick another --out folder\\), or pass --force to replace it$`),
    );
    expect(readFileSync(file, 'utf8')).toContain('edited by hand');
    expect(() => new ExportFolder(dir, RUN).check(true)).toThrow(/holds 1 exported file that this run would replace:\n {2}- .*adapter_config\.json: it was changed after/);
    const notes: string[] = [];
    new ExportFolder(dir, RUN, true, (n) => notes.push(n)).write('adapters/int_rl/adapter_config.json', '{"r":4}');
    expect(readFileSync(file, 'utf8')).toBe('{"r":4}');
    expect(notes.join('\n')).toMatch(/--force: replacing .*adapter_config\.json \(it was changed after/);
  });

  it('refuses another run\'s exports before any work and at write time; force removes them', () => {
    const dir = join(tmp(), 'exports');
    const first = new ExportFolder(dir, OTHER);
    first.write('sft/sft.jsonl', 'other run\n');
    first.write('rl/rl_prompts.parquet', 'PAR1 other');
    const mine = new ExportFolder(dir, RUN);
    expect(() => mine.check(false)).toThrow(/holds 2 exported files that this run would replace:[\s\S]*rl_prompts\.parquet: it was exported by another run[\s\S]*Move .*exports away .* or pass --force to replace them/);
    expect(() => mine.write('sft/sft.jsonl', 'mine\n')).toThrow(/sft\.jsonl: it was exported by another run/);
    // identical bytes replace nothing: allowed from any run
    mine.write('rl/rl_prompts.parquet', 'PAR1 other');
    expect(readFileSync(join(dir, 'sft/sft.jsonl'), 'utf8')).toBe('other run\n');

    const notes: string[] = [];
    new ExportFolder(dir, RUN, true, (n) => notes.push(n)).check(false);
    expect(notes[0]).toMatch(/^--force: removing 1 exported file of .*exports that this run replaces:\n {2}- .*sft\.jsonl: it was exported by another run/);
    expect(existsSync(join(dir, 'sft/sft.jsonl'))).toBe(false);
    expect(manifestOf(dir)).toEqual({ format: 'int-lab-exports', run: RUN, files: { 'rl/rl_prompts.parquet': { sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: 10, run: RUN } } });
    mine.write('sft/sft.jsonl', 'mine\n');
  });

  it('a folder without a manifest: adopted on resume (a run started before exports.json), refused for a new run', () => {
    const dir = join(tmp(), 'exports');
    mkdirSync(join(dir, 'sft'), { recursive: true });
    writeFileSync(join(dir, 'sft/sft.jsonl'), 'old\n');
    expect(() => new ExportFolder(dir, RUN).check(false)).toThrow(/sft\.jsonl: no exports\.json says which run exported it/);
    const notes: string[] = [];
    new ExportFolder(dir, RUN, false, (n) => notes.push(n)).check(true);
    expect(notes[0]).toMatch(/has no exports\.json \(a run started before it\): its 1 files are taken as this run's exports/);
    expect(Object.keys(manifestOf(dir).files)).toEqual(['sft/sft.jsonl']);
    new ExportFolder(dir, RUN).write('sft/sft.jsonl', 'new\n');
  });
});

describe('runs and their exports', () => {
  const config = presetConfig('chains-smoke', { seed: 3 });
  function rootWithModel(): string {
    const root = tmp();
    const m = join(root, DEFAULT_MODEL_DIR);
    mkdirSync(m, { recursive: true });
    writeFileSync(join(m, 'config.json'), '{"model_type":"llama"}');
    writeFileSync(join(m, 'tokenizer.json'), '{"model":{}}');
    writeFileSync(join(m, 'model.safetensors'), 'weights v1');
    return root;
  }

  it('the run id is the fingerprint without paths: the same inputs elsewhere are the same run', async () => {
    const root = rootWithModel();
    const a = await openRun({ out: join(tmp(), 'a'), config, arms: ['base'], root });
    const b = await openRun({ out: join(tmp(), 'b'), config, arms: ['base'], root });
    const moved = rootWithModel();
    const c = await openRun({ out: join(tmp(), 'c'), config, arms: ['base'], root: moved });
    const d = await openRun({ out: join(tmp(), 'd'), config: { ...config, seed: 4 }, arms: ['base'], root });
    for (const r of [a, b, c, d]) r.lock.release();
    expect(a.exports.run).toBe(runIdOf(a.store.info.fingerprint, config));
    expect(b.exports.run).toBe(a.exports.run);
    expect(c.exports.run).toBe(a.exports.run);
    expect(d.exports.run).not.toBe(a.exports.run);
  });

  it('a new run into a folder holding another run\'s exports is refused before it starts; --force replaces them', async () => {
    const root = rootWithModel();
    const out = join(tmp(), 'run');
    const old = await openRun({ out, config: { ...config, seed: 9 }, arms: ['base'], root });
    old.exports.write('sft/sft.jsonl', 'seed 9\n');
    old.lock.release();
    rmSync(RunStore.runFile(out)); // the old run's record removed, its exports left behind

    await expect(openRun({ out, config, arms: ['base'], root })).rejects.toThrow(/run\/exports holds 1 exported file that this run would replace:[\s\S]*sft\.jsonl: it was exported by another run[\s\S]*--force/);
    expect(existsSync(RunStore.runFile(out))).toBe(false); // refused before the run was created
    expect(existsSync(join(out, 'run.lock'))).toBe(false);

    const notes: string[] = [];
    const forced = await openRun({ out, config, arms: ['base'], root, force: true }, (n) => notes.push(n));
    forced.exports.write('sft/sft.jsonl', 'seed 3\n');
    forced.store.complete('pool', {}, 0);
    forced.lock.release();
    expect(notes.join('\n')).toMatch(/--force: removing 1 exported file/);

    // resuming the same run re-exports freely
    const again = await openRun({ out, resume: true, root });
    again.exports.write('sft/sft.jsonl', 'seed 3\n');
    again.lock.release();
  });

  it('a resume whose exports another run wrote is refused', async () => {
    const root = rootWithModel();
    const out = join(tmp(), 'run');
    const run = await openRun({ out, config, arms: ['base'], root });
    run.exports.write('sft/sft.jsonl', 'mine\n');
    run.store.complete('pool', {}, 0);
    run.lock.release();
    const m = manifestOf(join(out, 'exports'));
    const files = Object.fromEntries(Object.entries(m.files).map(([f, x]) => [f, { ...x, run: OTHER }]));
    writeFileSync(join(out, 'exports', EXPORT_FILES.manifest), JSON.stringify({ ...m, run: OTHER, files }));
    await expect(openRun({ out, resume: true, root })).rejects.toThrow(/sft\.jsonl: it was exported by another run/);
    const ok = await openRun({ out, resume: true, root, force: true });
    ok.lock.release();
  });
});
