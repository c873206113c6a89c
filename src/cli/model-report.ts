// `npm run model-report [-- --json]`: loads a chains model folder the way the app does (Hugging Face
// layout: config.json, tokenizer files, model.safetensors) and prints its held-out measurements
// (src/pretrain/model-report.ts); with --json the last line is the report as one JSON object.

import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Gpu } from '../gpu';
import { NodeFolderSource } from '../io/folder';
import { CRITICAL_LADDER, MUL_AS_ADD_HABIT } from '../tasks/chains';
import { formatReport, loadReportModel, modelReport, type ModelReportOptions } from '../pretrain/model-report';

const HELP = `npm run model-report -- [options]
  --model DIR        model folder (default public/models/chains-tiny)
  --json             print the report as one JSON object on the last line
  --out FILE         also write the report JSON to FILE (e.g. <model>/report.json)
  --per-tier N       held-out problems per tier (default 64)
  --samples N        solve samples per problem (default 8)
  --cont-samples N   continuations per start and condition (default 8)
  --max-cont N       never-solved problems continued (default 64)
  --solve-only       solve figures only
  --seed N           sampling seed (default 0)
  --ladder NAME      "tiny" (default: TINY_LADDER, the committed model's) or "critical" (CRITICAL_LADDER with the
                     one-digit multiplication habit: adds the critical tier's calibration)`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let dir = 'public/models/chains-tiny';
  let json = false;
  let out: string | null = null;
  const o: Partial<ModelReportOptions> = {};
  const num = (flag: string, v: string | undefined) => {
    const x = Number(v);
    if (v === undefined || !Number.isSafeInteger(x) || x < 0) throw new Error(`${flag} needs a whole number, got ${JSON.stringify(v)}`);
    return x;
  };
  try {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (a === '--help' || a === '-h') throw new Error(HELP);
      else if (a === '--model') dir = argv[++i];
      else if (a === '--json') json = true;
      else if (a === '--out') out = argv[++i];
      else if (a === '--solve-only') o.solveOnly = true;
      else if (a === '--per-tier') o.problemsPerTier = num(a, argv[++i]);
      else if (a === '--samples') o.samples = num(a, argv[++i]);
      else if (a === '--cont-samples') o.continuationSamples = num(a, argv[++i]);
      else if (a === '--max-cont') o.maxContinuationProblems = num(a, argv[++i]);
      else if (a === '--seed') o.seed = num(a, argv[++i]);
      else if (a === '--ladder') {
        const v = argv[++i];
        if (v === 'critical') Object.assign(o, { chains: { tiers: [...CRITICAL_LADDER] }, habit: MUL_AS_ADD_HABIT });
        else if (v !== 'tiny') throw new Error(`--ladder must be "tiny" or "critical", got ${JSON.stringify(v)}`);
      }
      else throw new Error(`unknown option ${a}\n${HELP}`);
    }
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  const gpu = await Gpu.create();
  const log = (l: string) => console.error(l);
  log(`[report] adapter: ${gpu.describe()}`);
  const m = await loadReportModel(gpu, new NodeFolderSource(resolve(dir)));
  try {
    const r = await modelReport(m.model, m.codec, { ...o, log });
    for (const line of formatReport(r)) console.log(line);
    if (out) await writeFile(out, JSON.stringify({ model: dir, ...r }, null, 2) + '\n');
    if (json) console.log(JSON.stringify({ model: dir, ...r }));
  } finally {
    m.release();
  }
  process.exit(0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
