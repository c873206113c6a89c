// Final-answer grading for chains: the last answer line of the response, compared as an
// exact integer with the gold answer.

import type { Grade, Problem } from '../task';
import { parseAnswerLine } from './steps';

/** Grade a response. The final answer is the LAST line (blank lines and surrounding whitespace
 *  ignored) that parses as an answer line: "= N" (compact convention), "... answer: N" /
 *  "answer is N" (chat convention, any case), or \boxed{N}. Step lines such as "37+18=55" are
 *  never answers. N may be negative and may use thousands commas; it is compared with the gold
 *  answer as an exact integer. Reasons: "match", "no answer found", "mismatch: GOT vs GOLD". */
export function gradeChains(response: string, p: Problem): Grade {
  const lines = response.split(/\r?\n|\r/);
  let extracted: string | null = null;
  for (let i = lines.length - 1; i >= 0 && extracted === null; i--) {
    if (lines[i].trim()) extracted = parseAnswerLine(lines[i]);
  }
  if (extracted === null) return { correct: false, extracted: null, reason: 'no answer found' };
  let gold: bigint;
  try {
    gold = BigInt(p.answer.trim());
  } catch {
    throw new Error(`problem "${p.id}" has a non-integer gold answer "${p.answer}"; chains answers are integers`);
  }
  const correct = BigInt(extracted) === gold;
  return { correct, extracted, reason: correct ? 'match' : `mismatch: ${extracted} vs ${p.answer.trim()}` };
}
