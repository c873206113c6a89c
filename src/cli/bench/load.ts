// `npm run bench -- load`: a checkpoint at its real size loaded from safetensors through the one folder
// loader (src/model/load.ts). The bench writes a seeded random checkpoint with a real model's shapes
// (Qwen2.5-0.5B by default, or any config.json) in bf16, f16 or f32 to a temporary folder, one tensor at
// a time, then loads it in a child process (so that the process's peak memory is the load's own) and
// reports: load time and MB/s, the weights' storage on the GPU, the pool's bytes, the process's peak
// resident memory over its level before loading, spot checks of values read back against the file,
// and a few greedy tokens. `--whole` takes the embedding / lm_head whole on the host before uploading
// (the path before they streamed piece by piece into their row blocks), for a before / after.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gpu, readWeight } from '../../gpu';
import { NodeFolderSource } from '../../io/folder';
import type { StDtype } from '../../io/safetensors-format';
import { safetensorsLayout, tensorBytes } from '../../io/safetensors-write';
import { parseModelConfig } from '../../model/config';
import { generate } from '../../model/generate';
import { QWEN2_5_0_5B } from '../../model/known-configs';
import { loadModelFolder } from '../../model/load';
import { buildParamTable, type ParamEntry } from '../../model/params';
import { uniformStream } from '../../util/random';
import { hostLoad, randomIds } from './host';

const USAGE = 'load [--config=path/config.json] [--layers=N|all] [--file-dtype=bf16|f16|f32] [--as=auto|f16|f32] [--whole] [--dir=DIR] [--keep] [--seed=N]';
const FILE_DTYPES: Record<string, StDtype> = { bf16: 'BF16', f16: 'F16', f32: 'F32' };

export interface LoadBenchConfig {
  configPath: string | null;
  layers: number | 'all';
  fileDtype: StDtype;
  as: 'auto' | 'f16' | 'f32';
  whole: boolean;
  dir: string | null;
  keep: boolean;
  seed: number;
  /** Internal: load the folder at this path (the child process). */
  read: string | null;
}

export function parseLoadArgs(args: string[]): LoadBenchConfig {
  const cfg: LoadBenchConfig = { configPath: null, layers: 'all', fileDtype: 'BF16', as: 'auto', whole: false, dir: null, keep: false, seed: 1, read: null };
  const bad = (msg: string): never => {
    throw new Error(`load: ${msg}; usage: ${USAGE}`);
  };
  for (const a of args) {
    if (a === 'load') continue;
    const [key, val = ''] = a.split('=', 2);
    switch (key) {
      case '--config':
        cfg.configPath = val || bad('--config needs a path to a config.json');
        break;
      case '--layers':
        cfg.layers = val === 'all' ? 'all' : Number.isInteger(Number(val)) && Number(val) >= 1 ? Number(val) : bad(`--layers takes a positive integer or "all", got '${val}'`);
        break;
      case '--file-dtype':
        cfg.fileDtype = FILE_DTYPES[val] ?? bad(`--file-dtype takes bf16, f16 or f32, got '${val}'`);
        break;
      case '--as':
        cfg.as = val === 'auto' || val === 'f16' || val === 'f32' ? val : bad(`--as takes auto, f16 or f32, got '${val}'`);
        break;
      case '--whole':
        cfg.whole = true;
        break;
      case '--dir':
        cfg.dir = val || bad('--dir needs a folder');
        break;
      case '--keep':
        cfg.keep = true;
        break;
      case '--seed':
        cfg.seed = Number.isInteger(Number(val)) && Number(val) >= 0 ? Number(val) : bad(`--seed takes a non-negative integer, got '${val}'`);
        break;
      case '--read':
        cfg.read = val;
        break;
      default:
        bad(`unknown option '${a}'`);
    }
  }
  return cfg;
}

/** Seeded values of one parameter (as src/model/random.ts scales them: matrices +-1/sqrt(in), embeddings +-0.05, norms ~1). */
function values(e: ParamEntry, seed: number, index: number): Float32Array {
  const next = uniformStream((seed * 1000003 + index * 7919) >>> 0);
  const [lo, span] = e.kind === 'linear' ? [-1 / Math.sqrt(e.shape[1]), 2 / Math.sqrt(e.shape[1])] : e.kind === 'embed' || e.kind === 'lm_head' ? [-0.05, 0.1] : e.kind === 'bias' ? [-0.02, 0.04] : [0.9, 0.2];
  const out = new Float32Array(e.numel);
  for (let i = 0; i < out.length; i++) out[i] = lo + span * next();
  return out;
}

/** Write config.json, a stub tokenizer.json and model.safetensors (tensor by tensor; 1-D weights in F32 as real checkpoints often keep them in the file's dtype too). */
async function writeCheckpoint(dir: string, configJson: Record<string, unknown>, dtype: StDtype, seed: number): Promise<{ bytes: number; ms: number }> {
  const t0 = performance.now();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configJson, null, 2));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ model: { type: 'BPE', vocab: {} } }));
  const table = buildParamTable(parseModelConfig(configJson));
  const decls = table.entries.map((e) => ({ name: e.name, shape: e.shape, dtype }));
  const { head, order, dataBytes } = safetensorsLayout(decls, { format: 'pt' });
  const out = createWriteStream(join(dir, 'model.safetensors'));
  const put = (b: Uint8Array) => new Promise<void>((res, rej) => (out.write(b, (err) => (err ? rej(err) : res()))));
  await put(head);
  for (const i of order) {
    const e = table.entries[i];
    await put(tensorBytes({ name: e.name, shape: e.shape, dtype, data: values(e, seed, i) }));
  }
  await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
  return { bytes: head.byteLength + dataBytes, ms: performance.now() - t0 };
}

const MiB = 1024 * 1024;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** The child: load the folder, sample memory while it loads, check values and generate. */
async function readSide(cfg: LoadBenchConfig): Promise<Record<string, unknown>> {
  const dir = cfg.read!;
  const gpu = await Gpu.create();
  const configJson = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  let peakHeap = 0;
  let peakOver = 0; // resident memory beyond the pool's buffers, over its level before loading
  const sample = () => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    peakHeap = Math.max(peakHeap, m.arrayBuffers + m.heapUsed);
    peakOver = Math.max(peakOver, m.rss - gpu.poolStats().inUse - before);
  };
  const timer = setInterval(sample, 20);
  const t0 = performance.now();
  const m = await loadModelFolder(gpu, new NodeFolderSource(dir), { dtype: cfg.as, wholeRows: cfg.whole });
  await gpu.sync();
  const loadMs = performance.now() - t0;
  clearInterval(timer);
  sample();
  const maxRss = process.resourceUsage().maxRSS * 1024;
  const pool = gpu.poolStats();
  // Spot checks: the first and last rows of the embedding (its last block) and one layer matrix equal the seeded values
  // (rounded to the file's dtype and the GPU's storage).
  const table = m.table;
  const checks: { name: string; max_abs_err: number; tolerance: number }[] = [];
  const tol = m.weights.dtype === 'f16' || configJson.__file_dtype !== 'F32' ? 1e-2 : 1e-6;
  for (const name of ['model.embed_tokens.weight', 'model.layers.0.mlp.down_proj.weight']) {
    const i = table.entries.findIndex((e) => e.name === name);
    const want = values(table.entries[i], configJson.__seed, i);
    const got = await readWeight(gpu, m.weights.byName.get(name)!);
    let err = 0;
    for (let k = 0; k < got.length; k++) err = Math.max(err, Math.abs(got[k] - want[k]) / (Math.abs(want[k]) + 1e-3));
    checks.push({ name, max_abs_err: err, tolerance: tol });
    if (!(err <= tol)) throw new Error(`load: '${name}' read back differs from the written values (max relative error ${err} > ${tol})`);
  }
  const t1 = performance.now();
  const out = await generate(m.decoder, [randomIds(8, m.config.vocabSize, 7)], { maxNewTokens: 4, temperature: 0 });
  const genMs = performance.now() - t1;
  const result = {
    load_ms: round(loadMs),
    weights_dtype: m.weights.dtype,
    vocab_blocks: m.weights.embed.count,
    pool_bytes: pool.inUse,
    pool_peak_bytes: pool.peak,
    rss_before_bytes: before,
    rss_peak_sampled_bytes: peak,
    rss_max_bytes: maxRss,
    host_peak_over_pool_bytes: peakOver,
    js_peak_bytes: peakHeap,
    checks,
    greedy_tokens: out[0].tokens,
    generate_4_ms: round(genMs),
  };
  m.release();
  gpu.destroy();
  return result;
}

/** Run the child side on `dir` and return its JSON. */
function child(cfg: LoadBenchConfig, dir: string): Promise<Record<string, unknown>> {
  const args = [...process.execArgv, '--expose-gc', process.argv[1], 'load', `--read=${dir}`, `--as=${cfg.as}`, ...(cfg.whole ? ['--whole'] : []), '--json'];
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    p.stdout.on('data', (d) => (text += d));
    p.on('error', rej);
    p.on('exit', (code) => {
      const last = text.trim().split('\n').pop() ?? '';
      if (code !== 0) return rej(new Error(`load: the loading process exited with code ${code}`));
      try {
        res(JSON.parse(last));
      } catch {
        rej(new Error(`load: the loading process printed no JSON result: ${last.slice(0, 200)}`));
      }
    });
  });
}

export async function benchLoad(args: string[]): Promise<Record<string, unknown>> {
  const cfg = parseLoadArgs(args);
  if (cfg.read) return readSide(cfg);
  const loadStart = loadavg()[0];
  const base = cfg.configPath ? JSON.parse(readFileSync(cfg.configPath, 'utf8')) : { ...QWEN2_5_0_5B };
  const layers = cfg.layers === 'all' ? base.num_hidden_layers : cfg.layers;
  const configJson = { ...base, num_hidden_layers: layers, torch_dtype: ({ BF16: 'bfloat16', F16: 'float16', F32: 'float32' } as Record<string, string>)[cfg.fileDtype], __seed: cfg.seed, __file_dtype: cfg.fileDtype };
  const dir = cfg.dir ?? join(tmpdir(), `int-lab-load-${process.pid}`);
  const log = (s: string) => console.error(s);
  log(`writing a ${layers}-layer ${cfg.fileDtype} checkpoint (vocab ${base.vocab_size}, hidden ${base.hidden_size}) to ${dir} ...`);
  try {
    const w = await writeCheckpoint(dir, configJson, cfg.fileDtype, cfg.seed);
    log(`written: ${round(w.bytes / MiB)} MiB in ${round(w.ms / 1000)} s; loading it (${cfg.as}${cfg.whole ? ', embedding whole on the host' : ''}) in a fresh process ...`);
    const r = await child(cfg, dir);
    const { host, busy } = hostLoad(loadStart);
    const mbps = w.bytes / MiB / ((r.load_ms as number) / 1000);
    log(
      `load ${round((r.load_ms as number) / 1000, 2)} s (${round(mbps)} MiB/s), ${r.weights_dtype} weights in ${r.vocab_blocks} vocab block(s), pool ${round((r.pool_bytes as number) / MiB)} MiB; ` +
        `process RSS ${round((r.rss_before_bytes as number) / MiB)} MiB before, peak ${round(Math.max(r.rss_peak_sampled_bytes as number, r.rss_max_bytes as number) / MiB)} MiB; host memory over the pool at the peak ${round((r.host_peak_over_pool_bytes as number) / MiB)} MiB`,
    );
    if (busy) log(`note: ${busy}`);
    return {
      suite: 'load',
      model: { config: cfg.configPath ?? 'Qwen2.5-0.5B (known config)', layers, vocab: base.vocab_size, hidden: base.hidden_size },
      file: { dtype: cfg.fileDtype, bytes: w.bytes, write_ms: round(w.ms) },
      as: cfg.as,
      embedding_whole_on_host: cfg.whole,
      results: { ...r, load_mib_per_s: round(mbps) },
      host,
      notes: [
        'rss_*: the loading process (a fresh child) sampled every 20 ms, and its getrusage maxRSS. On a CPU adapter (lavapipe) GPU buffers live in host memory, so RSS includes the pool; host_peak_over_pool_bytes is the largest (RSS - the pool\'s bytes in use - RSS before loading) over the samples: the loader\'s host-side working memory (and the driver\'s own), the copy a whole-tensor load holds included.',
        'checks: the embedding and one layer matrix read back from the GPU against the seeded values (relative error).',
      ],
    };
  } finally {
    if (!cfg.keep) rmSync(dir, { recursive: true, force: true });
  }
}
