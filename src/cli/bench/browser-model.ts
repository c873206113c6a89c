// Browser model benchmark: a checkpoint with SmolLM2-135M's real shapes (config.json of
// test/fixtures/models/real/SmolLM2-135M-Instruct, all 30 layers by default) and seeded random weights is
// written in a Chromium page (WebGPU on SwiftShader, the browser test project's flags), loaded through
// loadModelFolder, prefilled, decoded at batch 1 and 8, and trained for one LoRA step; the page's pool peaks
// are set beside the memory planner's. The page module is browser-model-page.ts, served by a Vite dev server.
// Usage through the bench CLI: `browser-model [--layers=N|all] [--checkpoints=bf16,f32] [--prompt=T] ...`.

import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CheckpointDtype, MeasureOptions, PageConfig, PageResult } from './browser-model-page';
import { hostLoad } from './host';
import { CHROMIUM_PATH, CHROMIUM_WEBGPU_FLAGS } from './chromium';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const CONFIG_PATH = 'test/fixtures/models/real/SmolLM2-135M-Instruct/config.json';
const PAGE_PATH = '/bench-browser-model.html';
const PAGE_MODULE = '/src/cli/bench/browser-model-page.ts';

export interface BrowserModelArgs extends MeasureOptions {
  /** Decoder layers; null: the model's own (30). */
  layers: number | null;
  /** Minutes the page may run before the bench gives up. Default 40. */
  timeoutMin: number;
}

const USAGE =
  'browser-model [--layers=N|all] [--checkpoints=bf16,f32] [--prompt=T] [--prefill-reps=N] [--decode-prompt=T] [--decode-steps=N] ' +
  '[--batches=1,8] [--train-seq=T] [--rank=R] [--train-steps=N] [--timeout-min=M] [--seed=N]';

export function parseBrowserModelArgs(args: string[]): BrowserModelArgs {
  const cfg: BrowserModelArgs = { layers: null, checkpoints: ['bf16', 'f32'], prompt: 32, prefillReps: 1, decodePrompt: 8, decodeSteps: 3, batches: [1, 8], trainSeq: 64, rank: 16, trainSteps: 1, timeoutMin: 40, seed: 1 };
  const bad = (msg: string): never => {
    throw new Error(`browser-model: ${msg}; usage: ${USAGE}`);
  };
  const int = (a: string, v: string): number => {
    const n = Number(v);
    return Number.isInteger(n) && n >= 1 ? n : bad(`option '${a}' needs a positive integer`);
  };
  for (const a of args) {
    if (a === 'browser-model') continue;
    const [key, val = ''] = a.split('=', 2);
    switch (key) {
      case '--layers':
        cfg.layers = val === 'all' ? null : int(a, val);
        break;
      case '--checkpoints':
        cfg.checkpoints = val.split(',').map((d) => (d === 'f32' || d === 'bf16' ? d : bad(`--checkpoints takes f32 and/or bf16 (comma-separated), got '${d}'`)));
        break;
      case '--prompt':
        cfg.prompt = int(a, val);
        break;
      case '--prefill-reps':
        cfg.prefillReps = int(a, val);
        break;
      case '--decode-prompt':
        cfg.decodePrompt = int(a, val);
        break;
      case '--decode-steps':
        cfg.decodeSteps = int(a, val);
        break;
      case '--batches':
        cfg.batches = val.split(',').map((b) => int(a, b));
        break;
      case '--train-seq':
        cfg.trainSeq = int(a, val);
        break;
      case '--rank':
        cfg.rank = int(a, val);
        break;
      case '--train-steps':
        cfg.trainSteps = int(a, val);
        break;
      case '--timeout-min':
        cfg.timeoutMin = int(a, val);
        break;
      case '--seed':
        cfg.seed = int(a, val);
        break;
      default:
        bad(`unknown or malformed option '${a}'`);
    }
  }
  return cfg;
}

/** The page's configuration: the real config.json with num_hidden_layers set to the layers to run. */
export function pageConfig(args: BrowserModelArgs, realConfig: Record<string, unknown>): PageConfig {
  const own = realConfig.num_hidden_layers;
  if (typeof own !== 'number') throw new Error(`browser-model: ${CONFIG_PATH} has no num_hidden_layers`);
  if (args.layers !== null && args.layers > own) throw new Error(`browser-model: --layers=${args.layers} is more than the model's ${own}; use --layers=${own} (or all) or fewer`);
  const { layers, timeoutMin: _t, ...rest } = args;
  return { ...rest, configJson: { ...realConfig, num_hidden_layers: layers ?? own } };
}

/** The suite's JSON figures from the page's result: MiB and seconds where people read them. */
export function summarize(r: PageResult): Record<string, unknown> {
  const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  const s = (ms: number) => Math.round(ms / 10) / 100;
  return {
    load_s: Object.fromEntries(r.loads.map((l) => [l.dtype, s(l.load_ms)])),
    prefill_tps: r.prefill.tps,
    decode_tps: Object.fromEntries(r.decode.map((d) => [String(d.batch), d.tps])),
    train_step_s: s(r.train.step_ms),
    train_split_s: { forward: s(r.train.forward_ms), backward: s(r.train.backward_ms), optimizer: s(r.train.optimizer_ms) },
    weights_mib: mib(r.loads[r.loads.length - 1].weights_bytes),
    train_peak_mib: mib(r.train.memory.peak_bytes),
    train_planned_mib: mib(r.train.memory.planned_bytes),
    train_peak_over_plan: r.train.memory.ratio,
    train_within_10pct: Math.abs(r.train.memory.ratio - 1) <= 0.1,
  };
}

/** A Vite dev server (the project's vite.config.ts) that also answers PAGE_PATH with a page loading the bench module. */
async function startServer() {
  const { createServer } = await import('vite');
  const html = `<!doctype html><meta charset="utf-8"><title>browser-model bench</title><link rel="icon" href="data:,"><script type="module" src="${PAGE_MODULE}"></script>`;
  const server = await createServer({
    root: ROOT,
    configFile: join(ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
    optimizeDeps: { entries: [PAGE_MODULE.slice(1)] },
    plugins: [
      {
        name: 'browser-model-page',
        configureServer(s) {
          s.middlewares.use(PAGE_PATH, (_req, res) => {
            res.setHeader('content-type', 'text/html');
            res.end(html);
          });
        },
      },
    ],
  });
  await server.listen();
  const addr = server.httpServer?.address();
  if (!addr || typeof addr === 'string') throw new Error('browser-model: the Vite dev server has no TCP address');
  return { server, url: `http://127.0.0.1:${addr.port}${PAGE_PATH}` };
}

export async function benchBrowserModel(args: string[]): Promise<Record<string, unknown>> {
  const cfg = parseBrowserModelArgs(args);
  const real = JSON.parse(readFileSync(join(ROOT, CONFIG_PATH), 'utf8')) as Record<string, unknown>;
  const page = pageConfig(cfg, real);
  const loadStart = loadavg()[0];
  const t0 = performance.now();
  const log = (msg: string) => console.error(`[bench browser-model] ${msg}`);
  const { chromium } = await import('playwright-core');
  const { server, url } = await startServer();
  let browser: Awaited<ReturnType<typeof chromium.launch>> | null = null;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_WEBGPU_FLAGS] });
    const tab = await browser.newPage();
    tab.on('console', (m) => process.stderr.write(`${m.text()}\n`));
    tab.on('pageerror', (e) => log(`page error: ${e.message}`));
    tab.on('crash', () => log('the page crashed'));
    log(`Chromium ${browser.version()} at ${url}; ${page.configJson.num_hidden_layers} of ${real.num_hidden_layers} layers; checkpoints ${page.checkpoints.join(', ')}`);
    await tab.goto(url);
    await tab.waitForFunction(() => typeof (globalThis as { runBrowserModelBench?: unknown }).runBrowserModelBench === 'function', null, { timeout: 300_000 });
    const run = tab.evaluate((c) => (globalThis as unknown as { runBrowserModelBench: (c: PageConfig) => Promise<PageResult> }).runBrowserModelBench(c), page);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`browser-model: the page ran past --timeout-min=${cfg.timeoutMin}; use fewer --layers or a larger --timeout-min`)), cfg.timeoutMin * 60_000);
    });
    const result = await Promise.race([run, timeout]).finally(() => clearTimeout(timer));
    const { host, busy } = hostLoad(loadStart);
    const summary = summarize(result);
    for (const [k, v] of Object.entries(summary)) log(`${k.padEnd(22)} ${JSON.stringify(v)}`);
    return {
      suite: 'browser-model',
      browser: `Chromium ${browser.version()}`,
      flags: [...CHROMIUM_WEBGPU_FLAGS],
      adapter: result.adapter,
      adapter_description: result.adapter_description,
      user_agent: result.user_agent,
      model: {
        shapes: `SmolLM2-135M (${CONFIG_PATH}), seeded random weights`,
        layers: page.configJson.num_hidden_layers,
        layers_of_model: real.num_hidden_layers,
        hidden: real.hidden_size,
        intermediate: real.intermediate_size,
        heads: real.num_attention_heads,
        kv_heads: real.num_key_value_heads,
        head_dim: real.head_dim,
        vocab: real.vocab_size,
        tied_embeddings: real.tie_word_embeddings,
        params: result.params,
        weights_dtype: 'f32',
      },
      method: {
        load: 'a safetensors file of the given dtype written in the page (seeded uniform weights), then loadModelFolder on a MemoryFolderSource (config.json, model.safetensors, a stub tokenizer.json) with f32 storage, until the GPU is done; file writing excluded',
        prefill: `generate() of 1 token after a ${cfg.prompt}-token prompt, one warm-up run, median of ${cfg.prefillReps} timed run(s)`,
        decode: `generate() of ${cfg.decodeSteps + 2} tokens for B distinct ${cfg.decodePrompt}-token prompts (temperature 1, no eos, f32 KV); wall time between the readback of step 1 and the last step (${cfg.decodeSteps} steps)`,
        train: `train-step.ts (as the model suite): LoRA r=${cfg.rank} on all 7 linear modules, 1 x ${cfg.trainSeq} tokens, zeroGrad, forward with recompute, backward of mean NLL, AdamW; one warm-up step on ${Math.min(cfg.trainSeq, 32)} tokens, median of ${cfg.trainSteps} timed step(s)`,
        memory: 'BufferPool peak per phase (reset at its start, weights included) against planInference (prefill, decode) and planTraining (train) with f32 weights and the adapter binding limit',
      },
      config: cfg,
      host,
      notes: busy ? [busy] : [],
      elapsed_s: Math.round((performance.now() - t0) / 100) / 10,
      summary,
      results: result,
    };
  } finally {
    await browser?.close();
    await server.close();
  }
}
