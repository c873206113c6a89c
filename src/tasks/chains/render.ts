// Prompt renderers for chains: "compact" (short ASCII over COMPACT_ALPHABET, for
// character-level tiny models) and "chat" (natural language, for chat models).
//
// Compact formats (every prompt ends in "\n"; the model continues after it):
//   solve         q:37 +18 *3 -29\n                  -> "37+18=55\n55*3=165\n165-29=136\n=136"
//   hintSolve     q:37 +18 *3 -29\nh:55,165\n         -> same continuation
//   verify        q:..\nv:\n   then one check line at a time, each answered by a verdict:
//                 "1 37+18=55 r:55 " -> "ok\n"; "2 55*3=155 r:165 " -> "bad 55*3=165 not 155\n<intervention>..."
//                 (stepwise: the verifier reads line K only after passing lines 1..K-1; see verify.ts)
//   selfReflect   q:..\nt:\n1 .. r:55\n..\nw:\n     -> a full corrected solution
// Check lines (verify) and attempt lines (selfReflect) carry the reference value of their step
// (" r:V"; the answer line carries the final value), so the check of step K is local to line K;
// reference steps the attempt never reached are listed with an empty attempt ("4  r:136").
// A compact solution ends with its answer line (the only line starting with "="), so sampling
// can stop at the newline after it; a verification output ends with "</intervention>".

import { COMPACT_ALPHABET } from '../../io/char-tokenizer';
import type { PromptRenderers, Problem } from '../task';
import type { Style } from './config';
import { canonicalProgram, programOf, type Op, type Program } from './program';

/** Every character a compact-style text can contain; defined beside the character tokenizer whose
 *  vocabulary it is (src/io/char-tokenizer.ts), re-exported here as part of the world's API. */
export { COMPACT_ALPHABET };

const ALPHABET_SET = new Set(COMPACT_ALPHABET);

/** Line markers of the compact formats. */
export const COMPACT_MARK = {
  question: 'q:',
  hint: 'h:',
  reference: 'r:',
  attempt: 't:',
  verify: 'v:',
  rewrite: 'w:',
} as const;

/** Map any text into COMPACT_ALPHABET: lowercase, tabs/CR to space, foreign characters to "?". */
export function toCompactAlphabet(text: string): string {
  let out = '';
  for (const ch of text.toLowerCase().replace(/\r\n?/g, '\n').replace(/\t/g, ' ')) {
    out += ALPHABET_SET.has(ch) ? ch : ch === '\u2212' ? '-' : '?';
  }
  return out;
}

/** Reference solution steps: the running values ("55, 165, 136" -> ["55", "165", "136"]). */
export function referenceSteps(p: Problem): string[] {
  return p.reference
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** How many reference steps a hint with `fraction` shows: floor(fraction * n). */
export function hintCount(p: Problem, fraction: number): number {
  if (!(typeof fraction === 'number' && fraction >= 0 && fraction <= 1)) {
    throw new Error(`hint fraction must be a number in [0, 1], got ${fraction}; e.g. 0.5 shows half the reference`);
  }
  return Math.floor(fraction * referenceSteps(p).length);
}

function describeOp(op: Op): string {
  switch (op.kind) {
    case 'add':
      return `Add ${op.operand}.`;
    case 'sub':
      return `Subtract ${op.operand}.`;
    case 'mul':
      return `Multiply by ${op.operand}.`;
    case 'div':
      return `Divide by ${op.operand}, rounding down.`;
    case 'mod':
      return `Take the remainder modulo ${op.operand}.`;
  }
}

/** The natural-language statement (Problem.statement). */
export function chatStatement(prog: Program): string {
  return [`Start with ${prog.start}.`, ...prog.ops.map(describeOp), 'What is the final number?'].join(' ');
}

// ---------------------------------------------------------------- compact

function compactQuestion(p: Problem): string {
  return `${COMPACT_MARK.question}${canonicalProgram(programOf(p))}\n`;
}

/** The numbered check lines of an attempt, each followed by the reference value of its step: line K < n+1
 *  gets the K-th running value, line n+1 (the answer line) the final value, later lines nothing.
 *  An attempt shorter than n+1 lines is padded with empty lines that still carry their value. */
export function compactCheckLines(p: Problem, steps: string[]): string[] {
  const ref = referenceSteps(p);
  const refOf = (i: number) => (i < ref.length ? ref[i] : i === ref.length ? ref[ref.length - 1] : undefined);
  const n = Math.max(steps.length, ref.length + 1);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = refOf(i);
    out.push(`${i + 1} ${toCompactAlphabet(steps[i] ?? '')}${r === undefined ? '' : ` ${COMPACT_MARK.reference}${r}`}`);
  }
  return out;
}

function compactAttempt(p: Problem, steps: string[]): string {
  return `${COMPACT_MARK.attempt}\n${compactCheckLines(p, steps).map((l) => `${l}\n`).join('')}`;
}

function compactReference(p: Problem, count?: number): string {
  return referenceSteps(p).slice(0, count).join(',');
}

export const compactRenderers: PromptRenderers = {
  solve(p) {
    return compactQuestion(p);
  },
  hintSolve(p, fraction) {
    const k = hintCount(p, fraction);
    if (k === 0) return compactQuestion(p);
    return `${compactQuestion(p)}${COMPACT_MARK.hint}${compactReference(p, k)}\n`;
  },
  /** Only the header: the compact verifier is stepwise and gets the check lines one at a time
   *  (compactStepwiseVerify in verify.ts). */
  verifyAndIntervene(p) {
    return `${compactQuestion(p)}${COMPACT_MARK.verify}\n`;
  },
  selfReflect(p, steps) {
    return `${compactQuestion(p)}${compactAttempt(p, steps)}${COMPACT_MARK.rewrite}\n`;
  },
};

// ---------------------------------------------------------------- chat

/** The rules every chat prompt repeats: semantics of // and %, and the solution format. */
export const CHAT_RULES =
  'Apply the operations in the order given, starting from the start number. ' +
  '"Divide by d, rounding down" is floor division (toward minus infinity, like Python\'s //) and ' +
  '"the remainder modulo d" is always between 0 and d-1 (like Python\'s %). ' +
  'Write exactly one step per line in the form "37 + 18 = 55" (current value, operator, operand, result), ' +
  'using the operators + - * // %, with no other text; ' +
  'then end with a final line "Answer: N" where N is the final number.';

function chatReference(p: Problem, count?: number): string {
  return referenceSteps(p).slice(0, count).join(', ');
}

function chatAttempt(steps: string[]): string {
  return steps.map((s, i) => `Substep ${i + 1}: ${s}`).join('\n');
}

export const chatRenderers: PromptRenderers = {
  solve(p) {
    return `${p.statement}\n\n${CHAT_RULES}`;
  },
  hintSolve(p, fraction) {
    const k = hintCount(p, fraction);
    if (k === 0) return chatRenderers.solve(p);
    const n = referenceSteps(p).length;
    return (
      `${p.statement}\n\n` +
      `Hint: the first ${k} of the ${n} running values of a reference solution (the value after each ` +
      `operation) are: ${chatReference(p, k)}.\n\n${CHAT_RULES}`
    );
  },
  verifyAndIntervene(p, steps) {
    return [
      'Below are a problem, a reference solution, and an attempt at the problem that reached a wrong answer.',
      '',
      `Problem: ${p.statement}`,
      '',
      'Reference solution (the running value after each operation, in order):',
      chatReference(p),
      '',
      'The attempt, split into numbered substeps:',
      chatAttempt(steps),
      '',
      'Your job:',
      '1. Verification log: go through the substeps in order. For each one, check it against the problem and the ' +
        'reference and say whether it is right; if it is wrong, say what the correct step is.',
      '2. Find the first critical error: the earliest substep that is wrong (a wrong result, the wrong value or ' +
        'operation, or a missing or garbled step) and that the attempt never recovers from.',
      '3. Write one intervention: a replacement for that substep, written in the same format as the attempt ' +
        '(for example "55 * 3 = 165"), that puts the attempt back on track. Only that one step; do not state ' +
        'the final answer.',
      '4. Self-check: the intervention must not contain the final answer, and its location must be no later ' +
        'than the first error.',
      '',
      'Finish with exactly one line of this form, where location is the number of the substep to replace:',
      '<intervention>{"content": "<the replacement step>", "location": <substep number>}</intervention>',
    ].join('\n');
  },
  selfReflect(p, steps) {
    return [
      `Problem: ${p.statement}`,
      '',
      'Reference solution (the running value after each operation, in order):',
      chatReference(p),
      '',
      'Your earlier attempt, which reached a wrong answer:',
      chatAttempt(steps),
      '',
      'Using the reference, rewrite the whole solution correctly from the beginning, in your own step format.',
      CHAT_RULES,
    ].join('\n');
  },
};

/** The renderer set of a style. */
export function renderersFor(style: Style): PromptRenderers {
  return style === 'compact' ? compactRenderers : chatRenderers;
}
