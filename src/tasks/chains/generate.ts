// Problem generator: random programs per difficulty tier, the hash-based train/test split
// (decided by the canonical program alone, so no program is ever in both splits), and
// deterministic, stable problem lists per (seed, split, tier).

import type { Problem, Split } from '../task';
import type { ChainsConfig, TierSpec } from './config';
import { applyOp, canonicalProgram, runProgram, type Op, type OpKind, type Program } from './program';
import { chatStatement } from './render';
import { createRng, hashString, type Rng } from '../../util/random';
import { errorPropagates } from './solve';

/** Salt of the split hash. Changing it reshuffles every split: never change it casually. */
const SPLIT_SALT = 0x1c4a1e5;

/** The split a program belongs to: a hash of its canonical form (seed-independent), so the
 *  same program lands in the same split under every seed. */
export function splitOfProgram(p: Program | string, testShare: number): Split {
  const canon = typeof p === 'string' ? p : canonicalProgram(p);
  const u = hashString(canon, SPLIT_SALT) / 4294967296; // [0, 1)
  return u < testShare ? 'test' : 'train';
}

function pickOp(tier: TierSpec, rng: Rng): OpKind {
  const w = tier.ops.map((k) => tier.opWeights?.[k] ?? 1);
  let u = rng.next() * w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < w.length; i++) {
    u -= w[i];
    if (u < 0 && w[i] > 0) return tier.ops[i];
  }
  return tier.ops[w.findLastIndex((x) => x > 0)];
}

/** Draw one program of a tier. Each step draws an op (by opWeights) and an operand and is
 *  redrawn when the result would be 0, negative (unless allowed), beyond maxAbs, or a mod that
 *  changes nothing. Programs where an error at some step cannot reach the final answer (a
 *  later division or modulo erases it) are redrawn, so every step matters. A critical-step tier
 *  (tier.critical) puts its critical op at one position in 2..n-1, drawn first. */
export function generateProgram(tier: TierSpec, rng: Rng): Program {
  const crit = tier.critical;
  for (let attempt = 0; attempt < 1000; attempt++) {
    const start = rng.int(tier.start[0], tier.start[1]);
    const n = rng.int(tier.steps[0], tier.steps[1]);
    // 0-based index of the critical step (never first, never last); -1: no critical step
    const at = crit ? rng.int(1, n - 2) : -1;
    const ops: Op[] = [];
    let x = start;
    for (let i = 0; i < n; i++) {
      let placed = false;
      for (let tries = 0; tries < 64 && !placed; tries++) {
        const kind = i === at ? crit!.op : pickOp(tier, rng);
        const [lo, hi] = i === at ? crit!.operands : tier.operands[kind]!;
        const op: Op = { kind, operand: rng.int(lo, hi) };
        const y = applyOp(x, op);
        if (y === 0 || (!tier.allowNegative && y < 0) || Math.abs(y) > tier.maxAbs) continue;
        if (i === at && Math.abs(x) > (crit!.maxPrev ?? tier.maxAbs)) break; // the state before it is too large: redraw the program
        if (i !== at && crit && kind === crit.op) continue; // the critical op appears once
        if (kind === 'mod' && y === x) continue;
        ops.push(op);
        x = y;
        placed = true;
      }
      if (!placed) break;
    }
    if (ops.length < n) continue;
    const prog = { start, ops };
    let ok = true;
    for (let k = 1; k <= n && ok; k++) ok = errorPropagates(prog, k);
    if (ok) return prog;
  }
  throw new Error(
    `chains tier "${tier.name}" could not build a valid program in 1000 tries; ` +
      'widen its operand ranges, raise maxAbs or allow negatives',
  );
}

/** Wrap a program as a Problem. reference: the running values "55, 165, 136" (a terse sketch,
 *  not the model's step format); answer: the final value; statement: natural language. */
export function makeProblem(prog: Program, id: string, difficulty: string, split: Split): Problem {
  const values = runProgram(prog);
  return {
    id,
    statement: chatStatement(prog),
    reference: values.join(', '),
    answer: String(values.length ? values[values.length - 1] : prog.start),
    difficulty,
    split,
    meta: { program: prog, canonical: canonicalProgram(prog), tier: difficulty, values, steps: prog.ops.length },
  };
}

/** Problem id: "chains-<split>-<tier>-<5-digit index>". */
export function problemId(split: Split, tier: string, index: number): string {
  return `chains-${split}-${tier}-${String(index).padStart(5, '0')}`;
}

/** `count` distinct programs of one tier that belong to `split`. Each (seed, split, tier) has
 *  its own stream, so raising one count appends problems without changing earlier ones. */
export function generateTierProblems(config: ChainsConfig, tier: TierSpec, split: Split, count: number): Problem[] {
  const rng = createRng(`chains:${config.seed}:${split}:${tier.name}`);
  const seen = new Set<string>();
  const out: Problem[] = [];
  const maxDraws = 1000 + 64 * count;
  for (let draws = 0; out.length < count; draws++) {
    if (draws >= maxDraws) {
      throw new Error(
        `chains tier "${tier.name}" found only ${out.length} of ${count} distinct ${split} programs in ${maxDraws} ` +
          `draws; lower counts.${tier.name}.${split} or widen the tier's ranges`,
      );
    }
    const prog = generateProgram(tier, rng);
    const canon = canonicalProgram(prog);
    if (seen.has(canon) || splitOfProgram(canon, config.testShare) !== split) continue;
    seen.add(canon);
    out.push(makeProblem(prog, problemId(split, tier.name, out.length), tier.name, split));
  }
  return out;
}

/** All problems of a split: every tier in ladder order, config.counts[tier][split] each. */
export function generateProblems(config: ChainsConfig, split: Split): Problem[] {
  return config.tiers.flatMap((t) => generateTierProblems(config, t, split, config.counts[t.name]?.[split] ?? 0));
}
