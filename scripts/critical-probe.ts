// Critical-step probe: does the embedded model have a natural trap? For every critical kind x
// position of purpose-built chain programs (src/tasks/chains/critical.ts: easy one-digit add/sub
// steps around one critical step, never the last), it measures with the committed model
//   (a) solve pass@1;
//   (b) per line, whether the line's arithmetic is right for the operands it wrote, for the
//       critical line and the easy lines apart; where the first error falls; the critical line
//       given a true prefix (exactly right / right operands but a wrong result) and the wrong
//       values it writes (the same wrong value across samples = a systematic error);
//   (c) continuation from the true prefix + the correct critical line (the oracle intervention)
//       and from the true prefix alone, in the "continue" format of pretraining (solve prompt +
//       lines), graded on the final answer.
// Usage: npx tsx --import ./scripts/register-raw.mjs scripts/critical-probe.ts [--out DIR] ...

import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Gpu } from '../src/gpu';
import { NodeFolderSource } from '../src/io/folder';
import { sampleTextsOnly, strideSeeds } from '../src/model/sample-texts';
import { PAPER_SAMPLING, type Sampling } from '../src/model/sampling';
import { loadReportModel } from '../src/pretrain/model-report';
import { CRITICAL_KINDS, generateCriticalProblems, stepClass, type CriticalKind } from '../src/tasks/chains/critical';
import { checkSteps } from '../src/tasks/chains/diverge';
import { gradeChains } from '../src/tasks/chains/grade';
import { applyOp, programOf } from '../src/tasks/chains/program';
import { compactRenderers } from '../src/tasks/chains/render';
import { solutionSteps } from '../src/tasks/chains/solve';
import { parseStep, splitSteps } from '../src/tasks/chains/steps';
import type { Problem, Split } from '../src/tasks/task';

const DEFAULT_KINDS: CriticalKind[] = ['sub2_borrow', 'sub2_noborrow', 'add2_carry', 'add2_nocarry', 'mul21', 'mul11', 'sub21_borrow', 'add21_carry'];

const HELP = `npx tsx --import ./scripts/register-raw.mjs scripts/critical-probe.ts [options]
  --model DIR          model folder (default public/models/chains-tiny)
  --out DIR            output folder for probe.json / probe.md (default /tmp/critical-probe)
  --kinds a,b          critical kinds (default ${DEFAULT_KINDS.join(',')}; all: ${CRITICAL_KINDS.join(',')})
  --steps N            operation steps per program (default 4)
  --positions a,b      critical positions, each in 1..steps-1 (default 1..steps-1)
  --problems N         problems per kind x position (default 12: the default grid then takes ~5 min on 2 cores)
  --samples N          solve samples per problem (default 8)
  --cont-samples N     continuation samples per start and condition (default 8)
  --split train|test   split of the problems (default test: never shown in pretraining)
  --temperature-one    sample at temperature 1, no top-p / top-k (default: the paper's 0.7 / 0.8 / 20)
  --max-state N        largest state of the easy steps (and of the critical step's operands and
                       result after step 1); cells a kind cannot fill are skipped (default: 99)
  --batch N            prompts per generate call (default 32)
  --seed N             sampling seed (default 0); problems use the chains world's seed 1234`;

interface Opts {
  model: string;
  out: string;
  kinds: CriticalKind[];
  steps: number;
  positions: number[] | null;
  problems: number;
  samples: number;
  contSamples: number;
  split: Split;
  sampling: Sampling;
  samplingName: string;
  batch: number;
  seed: number;
  maxState: number | undefined;
}

function parseArgs(argv: string[]): Opts {
  const o: Opts = {
    model: 'public/models/chains-tiny',
    out: '/tmp/critical-probe',
    kinds: DEFAULT_KINDS,
    steps: 4,
    positions: null,
    problems: 12,
    samples: 8,
    contSamples: 8,
    split: 'test',
    sampling: { ...PAPER_SAMPLING },
    samplingName: 'paper (temperature 0.7, top-p 0.8, top-k 20)',
    batch: 32,
    seed: 0,
    maxState: undefined,
  };
  const num = (flag: string, v: string | undefined, min = 0) => {
    const x = Number(v);
    if (v === undefined || !Number.isSafeInteger(x) || x < min) throw new Error(`${flag} needs a whole number >= ${min}, got ${JSON.stringify(v)}`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') throw new Error(HELP);
    else if (a === '--model') o.model = argv[++i];
    else if (a === '--out') o.out = argv[++i];
    else if (a === '--kinds') {
      o.kinds = argv[++i].split(',').map((k) => {
        if (!CRITICAL_KINDS.includes(k as CriticalKind)) throw new Error(`unknown kind ${k}; use ${CRITICAL_KINDS.join(', ')}`);
        return k as CriticalKind;
      });
    } else if (a === '--steps') o.steps = num(a, argv[++i], 2);
    else if (a === '--positions') o.positions = argv[++i].split(',').map((x) => num(a, x, 1));
    else if (a === '--problems') o.problems = num(a, argv[++i], 1);
    else if (a === '--samples') o.samples = num(a, argv[++i], 1);
    else if (a === '--cont-samples') o.contSamples = num(a, argv[++i], 0);
    else if (a === '--split') {
      const s = argv[++i];
      if (s !== 'train' && s !== 'test') throw new Error(`--split is train or test, got ${s}`);
      o.split = s;
    } else if (a === '--temperature-one') {
      o.sampling = { temperature: 1, topP: 1, topK: 0 };
      o.samplingName = 'temperature 1, no top-p / top-k';
    } else if (a === '--batch') o.batch = num(a, argv[++i], 1);
    else if (a === '--seed') o.seed = num(a, argv[++i]);
    else if (a === '--max-state') o.maxState = num(a, argv[++i], 9);
    else throw new Error(`unknown option ${a}\n${HELP}`);
  }
  return o;
}

interface Counter {
  n: number;
  k: number;
}
const c0 = (): Counter => ({ n: 0, k: 0 });
const add = (c: Counter, ok: boolean) => {
  c.n++;
  if (ok) c.k++;
};
const rate = (c: Counter) => (c.n ? c.k / c.n : NaN);

interface CellResult {
  kind: CriticalKind;
  position: number;
  problems: number;
  samples: number;
  pass1: number;
  /** Problems solved in none of their samples. */
  never_solved: number;
  /** Critical line (at the critical position, parsed): arithmetic right for its own operands. */
  critical_own_right: Counter;
  /** Easy lines (every other operation line, parsed): arithmetic right for their own operands. */
  easy_own_right: Counter;
  /** Failed samples, and those whose first divergent line is the critical one / before it / after it. */
  failed: number;
  first_error_at_critical: number;
  first_error_before: number;
  first_error_after: number;
  /** Samples whose lines before the critical one are all exactly right, and of those: critical line
   *  exactly right / right operands but wrong result / wrong operands (copy) / unreadable or missing. */
  true_prefix: number;
  critical_exact: number;
  critical_wrong_result: number;
  critical_wrong_operands: number;
  critical_malformed: number;
  /** Of the samples right through the critical line: solved. */
  right_through_critical: Counter;
  /** Wrong results of the critical line given a true prefix: written - correct, most common first. */
  wrong_deltas: [number, number][];
  /** Share of wrong critical results off by exactly +-10 (a dropped / extra carry or borrow). */
  off_by_ten: number;
  /** sub kinds: share of wrong results that subtract the smaller units digit from the larger one
   *  (the classic borrow bug, 43-27 -> 24). */
  smaller_from_larger: number | null;
  /** Systematic: over problems with >= 2 wrong critical results, the share of them equal to the
   *  problem's most common wrong value (1 = always the same wrong value). */
  modal_wrong_share: number | null;
  modal_wrong_problems: number;
  /** Continuations: samples correct / samples, problems solved at least once, and on never-solved problems. */
  oracle: { correct: number; samples: number; solved: number; pool_correct: number; pool_samples: number };
  prefix_only: { correct: number; samples: number; solved: number; pool_correct: number; pool_samples: number };
  /** A few wrong critical lines, for reading. */
  examples: string[];
}

function mode(xs: number[]): number {
  const m = new Map<number, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return Math.max(...m.values());
}

function analyseCell(kind: CriticalKind, position: number, problems: Problem[], texts: string[][], classes: Map<string, Counter>): CellResult {
  const r: CellResult = {
    kind,
    position,
    problems: problems.length,
    samples: texts[0]?.length ?? 0,
    pass1: 0,
    never_solved: 0,
    critical_own_right: c0(),
    easy_own_right: c0(),
    failed: 0,
    first_error_at_critical: 0,
    first_error_before: 0,
    first_error_after: 0,
    true_prefix: 0,
    critical_exact: 0,
    critical_wrong_result: 0,
    critical_wrong_operands: 0,
    critical_malformed: 0,
    right_through_critical: c0(),
    wrong_deltas: [],
    off_by_ten: 0,
    smaller_from_larger: null,
    modal_wrong_share: null,
    modal_wrong_problems: 0,
    oracle: { correct: 0, samples: 0, solved: 0, pool_correct: 0, pool_samples: 0 },
    prefix_only: { correct: 0, samples: 0, solved: 0, pool_correct: 0, pool_samples: 0 },
    examples: [],
  };
  const deltas = new Map<number, number>();
  let wrongTotal = 0;
  let off10 = 0;
  let sfl = 0;
  let modalNum = 0;
  let modalDen = 0;
  let solvedSamples = 0;
  problems.forEach((p, pi) => {
    const prog = programOf(p);
    const n = prog.ops.length;
    const crit = p.meta!.critical as { prev: number; operand: number; value: number };
    const wrongVals: number[] = [];
    let solvedAny = false;
    for (const text of texts[pi]) {
      const steps = splitSteps(text);
      const solved = gradeChains(text, p).correct;
      if (solved) {
        solvedSamples++;
        solvedAny = true;
      }
      for (let i = 0; i < n && i < steps.length; i++) {
        const s = parseStep(steps[i]);
        if (!s) continue;
        const own = applyOp(s.prev, { kind: s.kind, operand: s.operand }) === s.result;
        add(i + 1 === position ? r.critical_own_right : r.easy_own_right, own);
        let cls: string = stepClass(s.prev, { kind: s.kind, operand: s.operand });
        if (cls === 'easy') cls = s.prev < 10 ? 'easy, state 1-9' : s.prev < 20 ? 'easy, state 10-19' : s.prev < 30 ? 'easy, state 20-29' : s.prev < 100 ? 'easy, state 30-99' : 'easy, state 100+';
        if (!classes.has(cls)) classes.set(cls, c0());
        add(classes.get(cls)!, own);
      }
      const v = checkSteps(steps, p);
      const last = v[v.length - 1];
      const firstErr = last.status === 'ok' ? null : last.index;
      if (!solved) {
        r.failed++;
        if (firstErr === position) r.first_error_at_critical++;
        else if (firstErr !== null && firstErr < position) r.first_error_before++;
        else r.first_error_after++;
      }
      const atCrit = v.find((x) => x.index === position);
      if (atCrit) {
        r.true_prefix++;
        if (atCrit.status === 'ok') {
          r.critical_exact++;
          add(r.right_through_critical, solved);
        } else if (atCrit.status === 'wrong') {
          r.critical_wrong_result++;
          const got = Number(atCrit.got);
          const d = got - crit.value;
          deltas.set(d, (deltas.get(d) ?? 0) + 1);
          wrongTotal++;
          wrongVals.push(got);
          if (Math.abs(d) === 10) off10++;
          if (kind.startsWith('sub')) {
            const x = crit.prev;
            const y = crit.operand;
            const sflVal = (Math.floor(x / 10) - Math.floor(y / 10)) * 10 + Math.abs((x % 10) - (y % 10));
            if (got === sflVal) sfl++;
          }
          if (r.examples.length < 6) r.examples.push(`${atCrit.line} (want ${crit.value})`);
        } else if (atCrit.status === 'mismatch') {
          r.critical_wrong_operands++;
          if (r.examples.length < 6) r.examples.push(`${atCrit.line} (want ${atCrit.expected})`);
        }
        else r.critical_malformed++;
      }
    }
    if (!solvedAny) r.never_solved++;
    if (wrongVals.length >= 2) {
      modalNum += mode(wrongVals);
      modalDen += wrongVals.length;
      r.modal_wrong_problems++;
    }
  });
  r.pass1 = solvedSamples / Math.max(1, problems.length * r.samples);
  r.wrong_deltas = [...deltas.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6);
  r.off_by_ten = wrongTotal ? off10 / wrongTotal : NaN;
  r.smaller_from_larger = kind.startsWith('sub') && wrongTotal ? sfl / wrongTotal : null;
  r.modal_wrong_share = modalDen ? modalNum / modalDen : null;
  return r;
}

const f = (x: number | null | undefined, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(d));
const pct = (k: number, n: number) => (n ? `${((100 * k) / n).toFixed(0)}% (${k}/${n})` : 'n/a');

function tableLines(cells: CellResult[]): string[] {
  const out = [
    '| kind | pos | critical right (own operands) | easy right (own operands) | first error at critical (of failed) | critical exact, given true prefix | pass@1 | never solved | oracle: prefix + critical | prefix alone |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of cells) {
    out.push(
      `| ${c.kind} | ${c.position} | ${pct(c.critical_own_right.k, c.critical_own_right.n)} | ${pct(c.easy_own_right.k, c.easy_own_right.n)} | ` +
        `${pct(c.first_error_at_critical, c.failed)} | ${pct(c.critical_exact, c.true_prefix)} | ${f(c.pass1)} | ${c.never_solved}/${c.problems} | ` +
        `${pct(c.oracle.correct, c.oracle.samples)} | ${pct(c.prefix_only.correct, c.prefix_only.samples)} |`,
    );
  }
  return out;
}

function errorLines(cells: CellResult[]): string[] {
  const out = [
    '| kind | pos | wrong result / wrong operands / unreadable (given true prefix) | most common (written - correct) | off by 10 | smaller-from-larger | same wrong value (problems) | right through critical -> solved | oracle on never-solved | examples |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of cells) {
    out.push(
      `| ${c.kind} | ${c.position} | ${c.critical_wrong_result} / ${c.critical_wrong_operands} / ${c.critical_malformed} of ${c.true_prefix} | ` +
        `${c.wrong_deltas.map(([d, k]) => `${d > 0 ? '+' : ''}${d}:${k}`).join(' ')} | ${f(c.off_by_ten)} | ${f(c.smaller_from_larger)} | ` +
        `${f(c.modal_wrong_share)} (${c.modal_wrong_problems}) | ${pct(c.right_through_critical.k, c.right_through_critical.n)} | ` +
        `${pct(c.oracle.pool_correct, c.oracle.pool_samples)} | ${c.examples.slice(0, 3).map((e) => '`' + e + '`').join(', ')} |`,
    );
  }
  return out;
}

async function main(): Promise<void> {
  let o: Opts;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  const t0 = performance.now();
  const positions = o.positions ?? Array.from({ length: o.steps - 1 }, (_, i) => i + 1);
  for (const p of positions) if (p > o.steps - 1) throw new Error(`--positions: ${p} is not in 1..${o.steps - 1}`);
  const skipped: string[] = [];
  const cellsSpec: { kind: CriticalKind; position: number }[] = [];
  const problems: Problem[][] = [];
  for (const kind of o.kinds) {
    for (const position of positions) {
      try {
        problems.push(generateCriticalProblems({ kind, steps: o.steps, position, count: o.problems, split: o.split, maxState: o.maxState }));
        cellsSpec.push({ kind, position });
      } catch (e) {
        skipped.push(`${kind} at ${position}: ${(e as Error).message}`);
      }
    }
  }
  const all = problems.flat();
  const log = (l: string) => console.error(`[probe ${((performance.now() - t0) / 1000).toFixed(0)}s] ${l}`);

  const gpu = await Gpu.create();
  log(`adapter: ${gpu.describe()}`);
  for (const x of skipped) log(`skipped ${x}`);
  const m = await loadReportModel(gpu, new NodeFolderSource(resolve(o.model)));
  const sample = (prompts: string[], n: number, seed: number) =>
    sampleTextsOnly(m.model, m.codec, prompts, { groupSize: n, maxNewTokens: 24 * (o.steps + 2), sampling: o.sampling, order: 'by-length', seedOf: strideSeeds(seed), batchPrompts: o.batch });
  try {
    log(`solving ${all.length} problems (${cellsSpec.length} cells) x ${o.samples} samples, ${o.samplingName}`);
    const tSolve = performance.now();
    const solveTexts = await sample(all.map((p) => compactRenderers.solve(p)), o.samples, o.seed);
    const solveSeconds = (performance.now() - tSolve) / 1000;
    log(`solved in ${solveSeconds.toFixed(0)} s`);

    const classes = new Map<string, Counter>();
    let at = 0;
    const cells = cellsSpec.map(({ kind, position }, ci) => {
      const n = problems[ci].length;
      const c = analyseCell(kind, position, problems[ci], solveTexts.slice(at, at + n), classes);
      at += n;
      return c;
    });

    // Continuations from the true prefix + the correct critical line, and from the true prefix alone.
    let contSeconds = 0;
    if (o.contSamples > 0) {
      const lines = (xs: string[]) => xs.map((s) => `${s}\n`).join('');
      const leads: { cell: number; problem: Problem; cond: 'oracle' | 'prefix_only'; lead: string; never: boolean }[] = [];
      let k = 0;
      cellsSpec.forEach(({ position }, ci) => {
        problems[ci].forEach((p) => {
          const sol = solutionSteps(p, 'compact');
          const never = !solveTexts[k].some((t) => gradeChains(t, p).correct);
          k++;
          leads.push({ cell: ci, problem: p, cond: 'oracle', lead: lines(sol.slice(0, position)), never });
          leads.push({ cell: ci, problem: p, cond: 'prefix_only', lead: lines(sol.slice(0, position - 1)), never });
        });
      });
      log(`continuing ${leads.length} starts x ${o.contSamples} samples`);
      const tc = performance.now();
      const cont = await sample(leads.map((x) => compactRenderers.solve(x.problem) + x.lead), o.contSamples, o.seed + 1);
      contSeconds = (performance.now() - tc) / 1000;
      log(`continued in ${contSeconds.toFixed(0)} s`);
      leads.forEach((x, i) => {
        const row = cells[x.cell][x.cond];
        const ok = cont[i].filter((t) => gradeChains(x.lead + t, x.problem).correct).length;
        row.correct += ok;
        row.samples += cont[i].length;
        if (ok > 0) row.solved++;
        if (x.never) {
          row.pool_correct += ok;
          row.pool_samples += cont[i].length;
        }
      });
    }

    const seconds = (performance.now() - t0) / 1000;
    const classRows = [...classes.entries()].sort((a, b) => b[1].n - a[1].n);
    const md = [
      '## Critical-step probe',
      '',
      `model ${o.model}; ${o.split} split; ${o.steps} steps; easy states <= ${o.maxState ?? 99}; ${o.problems} problems per cell; ${o.samples} solve samples and ${o.contSamples} continuation samples per start; ${o.samplingName}; sampling seed ${o.seed}.`,
      `Solving ${solveSeconds.toFixed(0)} s, continuations ${contSeconds.toFixed(0)} s, total ${seconds.toFixed(0)} s on ${gpu.describe()}.`,
      ...(skipped.length ? ['', `Skipped (cannot be built): ${skipped.map((x) => x.split(':')[0]).join(', ')}.`] : []),
      '',
      ...tableLines(cells),
      '',
      '### The critical line\'s errors',
      '',
      ...errorLines(cells),
      '',
      '### Every operation line of the solve samples, by the class of its own operands',
      '',
      '| class | right / lines |',
      '|---|---|',
      ...classRows.map(([c, x]) => `| ${c} | ${pct(x.k, x.n)} |`),
      '',
    ];
    console.log(md.join('\n'));
    await mkdir(o.out, { recursive: true });
    const json = {
      model: o.model,
      settings: { ...o, positions, model: undefined, out: undefined },
      adapter: gpu.describe(),
      seconds: { total: seconds, solve: solveSeconds, continuation: contSeconds },
      skipped,
      cells,
      step_classes: Object.fromEntries(classRows.map(([c, x]) => [c, { lines: x.n, right: x.k, rate: rate(x) }])),
    };
    await writeFile(resolve(o.out, 'probe.json'), JSON.stringify(json, null, 2) + '\n');
    await writeFile(resolve(o.out, 'probe.md'), md.join('\n'));
    log(`wrote ${resolve(o.out, 'probe.json')} and probe.md`);
  } finally {
    m.release();
  }
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
