// The compact verification + intervention output (what a tiny model is pretrained to write
// after a compact verifyAndIntervene prompt), and the parser of intervention blocks.
//
// Format, one line each, stopping at the first bad step:
//   "K ok"                      step K is right
//   "K bad E not V"             step K should be E (model's own step format); the attempt wrote
//                               the value V, or its whole line V when the line itself is off,
//                               or "missing" when the attempt ended before step K
//   "K bad extra"               a line after the answer line (content of the fix is "")
// then the standard block
//   <intervention>{"content": "E", "location": K}</intervention>
// For a fully correct attempt the log ends with "all ok" and there is no block.

import type { Problem } from '../task';
import { checkSteps } from './diverge';
import { toCompactAlphabet } from './render';

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

/** The ideal compact verification log + intervention for an attempt (a solution text or a list
 *  of steps, numbered 1..n as in the compact verifyAndIntervene prompt). Every character is in
 *  COMPACT_ALPHABET. */
export function compactVerification(problem: Problem, attempt: string | string[]): string {
  const verdicts = checkSteps(attempt, problem, 'compact');
  const lines: string[] = [];
  for (const v of verdicts) {
    switch (v.status) {
      case 'ok':
        lines.push(`${v.index} ok`);
        break;
      case 'wrong':
        lines.push(`${v.index} bad ${v.expected} not ${v.got}`);
        break;
      case 'mismatch':
      case 'malformed':
        lines.push(`${v.index} bad ${v.expected} not ${toCompactAlphabet(v.line ?? '').slice(0, MAX_QUOTED)}`);
        break;
      case 'missing':
        lines.push(`${v.index} bad ${v.expected} not missing`);
        break;
      case 'extra':
        lines.push(`${v.index} bad extra`);
        break;
    }
  }
  const last = verdicts[verdicts.length - 1];
  if (!last || last.status === 'ok') return [...lines, 'all ok'].join('\n');
  lines.push(formatInterventionBlock(last.expected ?? '', last.index));
  return lines.join('\n');
}
