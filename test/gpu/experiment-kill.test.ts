// kill -9 faults: a tiny experiment (experiment-child.ts: chains-smoke, random-init model, two arms)
// runs in a child process and is killed with SIGKILL at three points: after a data stage's file
// appears, inside the sft-sets stage once its first export is written (before the stage is
// recorded), and once an arm's SFT checkpoint is written; each time the next child resumes (taking
// over the stale lock) until one finishes. results.json, the exports and the checkpoints must be
// byte-identical to an uninterrupted run's, with nothing half-written left behind. About 35 s here.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');
const CHILD = join(__dirname, 'experiment-child.ts');
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'int-kill-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Run the child experiment on `out` (node itself, so the kill reaches the process that computes);
 *  with `killAt`, SIGKILL it as soon as that file exists under `out`. */
function runChild(out: string, resume: boolean, killAt: string | null): Promise<ChildEnd> {
  const args = ['--import', 'tsx', '--import', './scripts/register-raw.mjs', CHILD, out, ...(resume ? ['--resume'] : [])];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = killAt
    ? setInterval(() => {
        if (existsSync(join(out, killAt))) {
          child.kill('SIGKILL');
          clearInterval(timer!);
        }
      }, 5)
    : null;
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ code, signal, output });
    });
  });
}

/** Every file under `dir` (relative paths, sorted). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

describe('kill -9 at stage boundaries and inside a stage', () => {
  it('resumed runs end byte-identical to an uninterrupted one', async () => {
    const ref = join(tmp(), 'ref');
    const whole = await runChild(ref, false, null);
    expect(whole.code, whole.output).toBe(0);

    const out = join(tmp(), 'killed');
    const points = ['stages/rollouts.json', 'exports/sft/sft.jsonl', 'checkpoints/int_rl/sft/adapter_model.safetensors'];
    for (const [i, at] of points.entries()) {
      const end = await runChild(out, i > 0, at);
      expect(end.signal, `kill at ${at}: the child ended by itself (code ${end.code}):\n${end.output}`).toBe('SIGKILL');
      expect(existsSync(join(out, 'run.lock')), 'the killed run leaves its lock').toBe(true);
      expect(existsSync(join(out, 'results.json'))).toBe(false);
    }
    const last = await runChild(out, true, null);
    expect(last.code, last.output).toBe(0);
    expect(last.output).toMatch(/done ran=\S+ skipped=pool,rollouts/);

    expect(readFileSync(join(out, 'results.json'), 'utf8')).toBe(readFileSync(join(ref, 'results.json'), 'utf8'));
    // every stage, export and checkpoint as the uninterrupted run wrote it; no lock, no .partial.
    // Training logs (the arms' sft / rl stages, metrics.csv) hold wall-clock rates: compared without them.
    const files = filesUnder(out).filter((f) => f !== 'run.json');
    expect(files).toEqual(filesUnder(ref).filter((f) => f !== 'run.json'));
    const timed = (f: string) => f === 'metrics.csv' || /^stages\/[^/]+\/(sft|rl)\.json$/.test(f);
    const untimed = (f: string, dir: string) => {
      const text = readFileSync(join(dir, f), 'utf8');
      if (f !== 'metrics.csv') return text.replace(/"tokens_per_second":[^,}]+/g, '"tokens_per_second":0');
      const rows = text.trimEnd().split('\n').map((l) => l.split(','));
      const col = rows[0].indexOf('tokens_per_second');
      expect(col).toBeGreaterThan(0);
      return rows.map((r) => r.filter((_, i) => i !== col).join(',')).join('\n');
    };
    expect(files.filter(timed)).toHaveLength(5);
    for (const f of files) {
      if (timed(f)) expect(untimed(f, out), f).toBe(untimed(f, ref));
      else expect(readFileSync(join(out, f)).equals(readFileSync(join(ref, f))), f).toBe(true);
    }
    const info = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(info.completed).toEqual(JSON.parse(readFileSync(join(ref, 'run.json'), 'utf8')).completed);
  }, 240_000);
});
