// The compact stepwise verification (what a tiny model is pretrained to write after the compact
// verify header, one check line at a time), and the parser of intervention blocks.
//
// The log is the check lines of the attempt (render.ts: "K <attempt line> r:V"), each followed
// by " " and its verdict, stopping at the first bad step:
//   "ok"              step K is right (the verifier is then shown line K+1)
//   "bad E not V"     step K should be E (model's own step format); the attempt wrote the value V,
//                     or its whole line V when the line itself is off, or "missing" when the
//                     attempt ended before step K
//   "bad extra"       a line after the answer line (content of the fix is "")
// then, after a bad verdict, the standard block on its own line
//   <intervention>{"content": "E", "location": K}</intervention>
// A fully correct attempt's log is every line with "ok" and no block.

import type { Problem, StepwiseVerify } from '../task';
import { checkSteps, type StepVerdict } from './diverge';
import { compactCheckLines, compactRenderers, toCompactAlphabet } from './render';
import { splitSteps } from './steps';

/** A parsed intervention: the replacement step and the 1-based step it replaces. */
export interface Intervention {
  content: string;
  location: number;
}

/** The standard block, with the spacing of the published format. */
export function formatInterventionBlock(content: string, location: number): string {
  return `<intervention>{"content": ${JSON.stringify(content)}, "location": ${location}}</intervention>`;
}

const BLOCK_RE = /<intervention>([\s\S]*?)<\/intervention>/g;

/** Parse the LAST <intervention>{...}</intervention> block of a text. Returns null when there
 *  is none, its JSON does not parse, content is not a string, or location is not an integer >= 1. */
export function parseIntervention(text: string): Intervention | null {
  const blocks = [...text.matchAll(BLOCK_RE)];
  if (blocks.length === 0) return null;
  let obj: unknown;
  try {
    obj = JSON.parse(blocks[blocks.length - 1][1].trim());
  } catch {
    return null;
  }
  if (!obj || typeof obj !== 'object') return null;
  const { content, location } = obj as Record<string, unknown>;
  const loc = typeof location === 'string' && /^\d+$/.test(location.trim()) ? Number(location) : location;
  if (typeof content !== 'string' || typeof loc !== 'number' || !Number.isInteger(loc) || loc < 1) return null;
  return { content, location: loc };
}

const MAX_QUOTED = 32;

/** The ideal verdict on one check line ("ok", "bad E not V", "bad extra"). */
export function compactVerdict(v: StepVerdict): string {
  switch (v.status) {
    case 'ok':
      return 'ok';
    case 'wrong':
      return `bad ${v.expected} not ${v.got}`;
    case 'mismatch':
    case 'malformed':
      return `bad ${v.expected} not ${toCompactAlphabet(v.line ?? '').slice(0, MAX_QUOTED)}`;
    case 'missing':
      return `bad ${v.expected} not missing`;
    case 'extra':
      return 'bad extra';
  }
}

/** What follows a check line before its verdict. */
export const COMPACT_LINE_END = ' ';

/** The compact stepwise protocol (Task.stepwiseVerify of a compact chains task). */
export const compactStepwiseVerify: StepwiseVerify = {
  header: (p) => compactRenderers.verifyAndIntervene(p, []),
  lines: (p, steps) => compactCheckLines(p, steps),
  lineEnd: COMPACT_LINE_END,
  passes: (verdict) => verdict.trim() === 'ok',
};

/** The ideal compact verification log + intervention for an attempt (a solution text or a list
 *  of steps, numbered 1..n as in the check lines): what follows the verify header. Every
 *  character is in COMPACT_ALPHABET. */
export function compactVerification(problem: Problem, attempt: string | string[]): string {
  return compactVerificationLog(problem, attempt).text;
}

/** compactVerification's text, and the character offset of each verdict in it (its first
 *  character, "o" or "b": the decision the verifier makes on that line). */
export function compactVerificationLog(problem: Problem, attempt: string | string[]): { text: string; verdictAt: number[] } {
  const steps = typeof attempt === 'string' ? splitSteps(attempt) : attempt;
  const verdicts = checkSteps(steps, problem, 'compact');
  const lines = compactCheckLines(problem, steps);
  let text = '';
  const verdictAt: number[] = [];
  verdicts.forEach((v, i) => {
    if (i > 0) text += '\n';
    text += `${lines[v.index - 1]}${COMPACT_LINE_END}`;
    verdictAt.push(text.length);
    text += compactVerdict(v);
  });
  const last = verdicts[verdicts.length - 1];
  if (last && last.status !== 'ok') text += `\n${formatInterventionBlock(last.expected ?? '', last.index)}`;
  return { text, verdictAt };
}
