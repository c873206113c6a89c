// Chain programs: an integer start value and a list of operations, their exact semantics,
// execution, and the canonical one-line form (which is also the compact problem statement).

import type { Problem } from '../task';

/** The operations a chain can use. */
export type OpKind = 'add' | 'sub' | 'mul' | 'div' | 'mod';
export const OP_KINDS: readonly OpKind[] = ['add', 'sub', 'mul', 'div', 'mod'];

/** One operation with its (always positive) operand. */
export interface Op {
  kind: OpKind;
  operand: number;
}

/** A chain program: "start at `start`, then apply `ops` in order". */
export interface Program {
  start: number;
  ops: Op[];
}

/** Symbols of the compact / canonical form: floor division is "/", modulo is "%". */
export const COMPACT_OP_SYMBOL: Record<OpKind, string> = { add: '+', sub: '-', mul: '*', div: '/', mod: '%' };
/** Symbols of the chat form (Python's operators, whose semantics match ours exactly). */
export const CHAT_OP_SYMBOL: Record<OpKind, string> = { add: '+', sub: '-', mul: '*', div: '//', mod: '%' };

/** Mathematical modulo: the result is in [0, d-1] for d > 0 (Python's `%`). */
export function floorMod(x: number, d: number): number {
  const r = x % d; // exact for safe integers
  return r < 0 ? r + d : r + 0; // + 0 turns -0 into 0
}

/** Apply one operation with exact integer semantics:
 *  add x+d, sub x-d, mul x*d, div floor(x/d) (rounds toward -infinity, Python's `//`),
 *  mod x - d*floor(x/d) (in [0, d-1], Python's `%`). Division and modulo need d >= 1. */
export function applyOp(x: number, op: Op): number {
  const d = op.operand;
  switch (op.kind) {
    case 'add':
      return x + d;
    case 'sub':
      return x - d;
    case 'mul':
      return x * d;
    case 'div': {
      if (d <= 0) throw new Error(`div needs a positive divisor, got ${d}`);
      return (x - floorMod(x, d)) / d; // exact: no float rounding on large x
    }
    case 'mod':
      if (d <= 0) throw new Error(`mod needs a positive divisor, got ${d}`);
      return floorMod(x, d);
  }
}

/** Running values after each operation (length = ops.length; the last one is the answer). */
export function runProgram(p: Program): number[] {
  const out: number[] = [];
  let x = p.start;
  for (const op of p.ops) {
    x = applyOp(x, op);
    out.push(x);
  }
  return out;
}

/** The final state of a program. */
export function programAnswer(p: Program): number {
  const v = runProgram(p);
  return v.length ? v[v.length - 1] : p.start;
}

/** Canonical one-line form, e.g. "37 +18 *3 -29 /4 %7". Two programs are the same problem
 *  exactly when their canonical forms are equal (train/test splits are decided on it). */
export function canonicalProgram(p: Program): string {
  return [String(p.start), ...p.ops.map((o) => COMPACT_OP_SYMBOL[o.kind] + o.operand)].join(' ');
}

const SYMBOL_TO_KIND: Record<string, OpKind> = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '%': 'mod' };

/** Parse the canonical form back into a program. Throws with the offending token. */
export function parseProgram(canonical: string): Program {
  const toks = canonical.trim().split(/\s+/);
  if (!toks[0] || !/^-?\d+$/.test(toks[0])) {
    throw new Error(`chain program must start with an integer, got "${canonical}"; expected e.g. "37 +18 *3"`);
  }
  const ops: Op[] = [];
  for (const t of toks.slice(1)) {
    const m = /^([-+*/%])(\d+)$/.exec(t);
    if (!m) throw new Error(`bad operation "${t}" in chain program "${canonical}"; use +N, -N, *N, /N or %N`);
    ops.push({ kind: SYMBOL_TO_KIND[m[1]], operand: Number(m[2]) });
  }
  return { start: Number(toks[0]), ops };
}

function isProgram(x: unknown): x is Program {
  if (!x || typeof x !== 'object') return false;
  const p = x as Program;
  return (
    Number.isSafeInteger(p.start) &&
    Array.isArray(p.ops) &&
    p.ops.every((o) => o && OP_KINDS.includes(o.kind) && Number.isSafeInteger(o.operand) && o.operand > 0)
  );
}

/** The program behind a chains problem: `meta.program`, else `meta.canonical` parsed.
 *  Throws when the problem does not come from the chains task. */
export function programOf(p: Problem): Program {
  const meta = p.meta ?? {};
  if (isProgram(meta.program)) return meta.program;
  if (typeof meta.canonical === 'string') return parseProgram(meta.canonical);
  throw new Error(
    `problem "${p.id}" has no chain program (meta.program or meta.canonical); ` +
      'only problems made by the chains task can be solved, graded step-wise or verified here',
  );
}
