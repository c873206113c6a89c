// Step lines of the model's own solution format, answer lines, and the step splitter.
// A solution is one step per line ("37+18=55" compact, "37 + 18 = 55" chat) then one
// answer line ("=136" compact, "Answer: 136" chat). Parsers accept either style.

import type { Style } from './config';
import { CHAT_OP_SYMBOL, COMPACT_OP_SYMBOL, type OpKind } from './program';

/** One step line: "prev op operand = result". */
export function formatStep(prev: number, kind: OpKind, operand: number, result: number, style: Style): string {
  return style === 'compact'
    ? `${prev}${COMPACT_OP_SYMBOL[kind]}${operand}=${result}`
    : `${prev} ${CHAT_OP_SYMBOL[kind]} ${operand} = ${result}`;
}

/** The final answer line: "=N" (compact) or "Answer: N" (chat). */
export function formatAnswer(value: number | string, style: Style): string {
  return style === 'compact' ? `=${value}` : `Answer: ${value}`;
}

/** A parsed step line. */
export interface ParsedStep {
  prev: number;
  kind: OpKind;
  operand: number;
  result: number;
}

// Integers: optional minus (ASCII or Unicode), plain digits or digits with thousands commas.
const INT = String.raw`[-\u2212]?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)`;
const UINT = String.raw`(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)`;
// Operators, longest first: "//" before "/", words need surrounding spaces.
const OP = String.raw`\/\/|\/|÷|\+|-|\u2212|\u2013|\*|×|·|x|X|\s(?:div|mod)\s|%`;
const STEP_RE = new RegExp(String.raw`(?<![\d.,])(${INT})\s*(${OP})\s*(${UINT})\s*=\s*(${INT})(?![\d,]*\d)`, 'g');

function opKindOf(sym: string): OpKind {
  const s = sym.trim();
  if (s === '+') return 'add';
  if (s === '-' || s === '\u2212' || s === '\u2013') return 'sub';
  if (s === '*' || s === '×' || s === '·' || s === 'x' || s === 'X') return 'mul';
  if (s === '%' || s === 'mod') return 'mod';
  return 'div'; // "/", "//", "÷", "div"
}

/** Parse an integer written with an optional (Unicode) minus and thousands commas.
 *  Returns null when it is not a safe integer. */
export function parseInteger(s: string): number | null {
  const t = s.trim().replace(/\u2212/g, '-').replace(/,/g, '');
  if (!/^-?\d+$/.test(t)) return null;
  const v = Number(t);
  return Number.isSafeInteger(v) ? v : null;
}

/** Parse one step line. Tolerates whitespace, a "Step 3:" / "3." prefix, a trailing period,
 *  markdown emphasis and prose around a single equation. Returns null when the line holds no
 *  equation "a op b = c" or more than one. */
export function parseStep(line: string): ParsedStep | null {
  const t = line.replace(/[*_`$]{2,}/g, '').replace(/\\times/g, '×').replace(/\\div/g, '÷');
  const ms = [...t.matchAll(STEP_RE)];
  if (ms.length !== 1) return null;
  const m = ms[0];
  const prev = parseInteger(m[1]);
  const operand = parseInteger(m[3]);
  const result = parseInteger(m[4]);
  if (prev === null || operand === null || result === null) return null;
  return { prev, kind: opKindOf(m[2]), operand, result };
}

const ANSWER_WORD_RE = new RegExp(String.raw`\banswer\b(?:\s+is)?\s*[:=]?\s*(${INT})\s*\.?\s*$`, 'i');
const ANSWER_EQ_RE = new RegExp(String.raw`^=\s*(${INT})\s*\.?\s*$`);
const BOXED_RE = new RegExp(String.raw`\\boxed\{\s*(${INT})\s*\}`);

/** Parse an answer line and return the integer as written (normalised: ASCII minus, no
 *  commas), or null. Accepted: a line that is "= N" (compact convention), a line ending in
 *  "answer: N" / "answer is N" / "answer = N" (chat convention; any case, markdown emphasis
 *  and a trailing period allowed), or one containing \boxed{N}. Big integers are kept exact. */
export function parseAnswerLine(line: string): string | null {
  const t = line.replace(/[*_`$#]/g, '').trim();
  const m = ANSWER_EQ_RE.exec(t) ?? ANSWER_WORD_RE.exec(t) ?? BOXED_RE.exec(line);
  if (!m) return null;
  const s = m[1].replace(/\u2212/g, '-').replace(/,/g, '');
  return s.replace(/^(-?)0+(?=\d)/, '$1');
}

/** Split a solution into steps: one per line; blank lines dropped, surrounding whitespace
 *  trimmed, CRLF accepted. */
export function splitSteps(text: string): string[] {
  return text
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** Join steps back into a solution (one per line, no trailing newline). */
export function joinSteps(steps: string[]): string {
  return steps.join('\n');
}
