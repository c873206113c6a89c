// GPU suite: the kernels, model and peer benchmarks in one go, each in its own child process (each
// creates its own device, and onnxruntime-web binds to one device per process), then one JSON and one
// Markdown table in --out. Sized for about 8 minutes on a discrete GPU; --quick for a CPU adapter.
// Usage through the bench CLI: `gpu-suite [--quick] [--out=DIR] [--only=kernels,model,peer] [--timeout-s=N]
// [--kernels-args="..."] [--model-args="..."] [--peer-args="..."]`.

import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assembleSuite, suiteMarkdown, type SuitePart } from './suite-report';

const PARTS = ['kernels', 'model', 'peer'] as const;
type PartName = (typeof PARTS)[number];

export interface GpuSuiteConfig {
  quick: boolean;
  out: string;
  only: PartName[];
  /** Each benchmark is stopped after this many seconds. Default 600. */
  timeoutS: number;
  /** Arguments of each benchmark (defaults below, then the --*-args words). */
  args: Record<PartName, string[]>;
}

const USAGE = 'gpu-suite [--quick] [--out=DIR] [--only=kernels,model,peer] [--timeout-s=N] [--kernels-args="..."] [--model-args="..."] [--peer-args="..."]';

/**
 * Default arguments. The model benchmark runs Qwen2.5-0.5B's full depth (24 layers) and its full
 * vocabulary (stored as row blocks where one buffer binding cannot hold the embedding; its notes are
 * carried into the suite's notes). The peer runs the 2-layer model (one ONNX graph of
 * 24 f32 layers would be ~2.5 GB, past protobuf's 2 GB limit).
 */
export function defaultPartArgs(quick: boolean): Record<PartName, string[]> {
  return quick ? { kernels: ['--quick'], model: ['--quick'], peer: ['--quick'] } : { kernels: [], model: ['--layers=24'], peer: [] };
}

export function parseSuiteArgs(args: string[], now = new Date()): GpuSuiteConfig {
  const quick = args.includes('--quick');
  const stamp = now.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const cfg: GpuSuiteConfig = { quick, out: join('runs', 'gpu-suite', stamp), only: [...PARTS], timeoutS: 600, args: defaultPartArgs(quick) };
  for (const a of args) {
    if (a === 'gpu-suite' || a === '--quick') continue;
    const eq = a.indexOf('=');
    const key = eq < 0 ? a : a.slice(0, eq);
    const val = eq < 0 ? '' : a.slice(eq + 1);
    if (key === '--out' && val) cfg.out = val;
    else if (key === '--only' && val && val.split(',').every((p) => (PARTS as readonly string[]).includes(p))) cfg.only = val.split(',') as PartName[];
    else if (key === '--timeout-s' && Number(val) > 0) cfg.timeoutS = Number(val);
    else if (key.endsWith('-args') && (PARTS as readonly string[]).includes(key.slice(2, -5))) cfg.args[key.slice(2, -5) as PartName].push(...val.split(/\s+/).filter(Boolean));
    else throw new Error(`gpu-suite: unknown or malformed option '${a}'; usage: ${USAGE}`);
  }
  return cfg;
}

/** Run `bench <suite> ...args --json` as a child of this same runtime (tsx loader included); stderr passes through. */
function runPart(suite: PartName, args: string[], timeoutS: number): Promise<SuitePart> {
  const t0 = performance.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], suite, ...args, '--json'], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let lastErr = '';
    child.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      process.stderr.write(d);
      const lines = d.toString().trim().split('\n').filter(Boolean);
      if (lines.length) lastErr = lines[lines.length - 1];
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const elapsed_s = Math.round((performance.now() - t0) / 100) / 10;
      const last = stdout.trim().split('\n').pop() ?? '';
      let result: Record<string, unknown> | null = null;
      try {
        result = code === 0 ? (JSON.parse(last) as Record<string, unknown>) : null;
      } catch {
        result = null;
      }
      const error = result ? null : timedOut ? `stopped after ${timeoutS} s (--timeout-s)` : `exit code ${code}${lastErr ? `: ${lastErr}` : ''}`;
      done({ suite, args, elapsed_s, result, error });
    });
  });
}

export async function benchGpuSuite(args: string[]): Promise<Record<string, unknown>> {
  const cfg = parseSuiteArgs(args);
  const started = new Date().toISOString();
  const t0 = performance.now();
  const out = resolve(cfg.out);
  mkdirSync(out, { recursive: true });
  const parts: SuitePart[] = [];
  for (const name of cfg.only) {
    console.error(`[gpu-suite] ${name} ${cfg.args[name].join(' ')}`);
    const p = await runPart(name, cfg.args[name], cfg.timeoutS);
    console.error(`[gpu-suite] ${name}: ${p.error ? `FAILED (${p.error})` : 'ok'} in ${p.elapsed_s} s`);
    parts.push(p);
  }
  const summary = assembleSuite(parts, { started, elapsed_s: (performance.now() - t0) / 1000, quick: cfg.quick });
  writeFileSync(join(out, 'gpu-suite.json'), JSON.stringify(summary, null, 2) + '\n');
  writeFileSync(join(out, 'gpu-suite.md'), suiteMarkdown(summary));
  console.error(`[gpu-suite] wrote ${join(out, 'gpu-suite.json')} and gpu-suite.md in ${summary.elapsed_s.toFixed(1)} s`);
  return { ...summary, out };
}
