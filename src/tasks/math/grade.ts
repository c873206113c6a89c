// Math grading entry points: extractAnswer, isEquivalent and gradeAnswer.
// Order of checks: cleaned strings, then numbers / expressions (exact rationals, random points),
// the compute-engine fallback, lists, sets, tuples, intervals, equations and words.
// Time limit: every comparison has a deadline (default 1000 ms, opts.timeoutMs) polled between
// bounded steps (see limits.ts); past it the answer is graded wrong, never hanging a worker.

import type { Grade } from '../task';
import { AnswerParser, Item, splitQualifiers } from './answer';
import { Comparer } from './equiv';
import { extractAnswer } from './extract';
import { DEFAULT_LIMITS, Deadline, MathLimits, MathTimeout, MathTooLarge } from './limits';
import { cleanAnswer, compactKey, stripThousands } from './normalize';
import { NeedSymbolic, loadSymbolic } from './symbolic';

export { extractAnswer } from './extract';
export { DEFAULT_LIMITS } from './limits';
export type { MathLimits } from './limits';

export interface GradeOptions {
  /** Time limit of one comparison in ms (default DEFAULT_LIMITS.timeoutMs = 1000). */
  timeoutMs?: number;
  /** Override any other limit (sizes, evaluation points...). */
  limits?: Partial<MathLimits>;
}

/** Outcome of one comparison with the reason it ended. */
export interface Comparison {
  equal: boolean;
  /** "match", "mismatch", "timeout" or "too large". */
  why: 'match' | 'mismatch' | 'timeout' | 'too large';
}

interface Parsed {
  item: Item;
  condition: string;
}

const GOLD_CACHE_MAX = 4096;
const goldCache = new Map<string, Parsed>();

function parse(s: string, parser: AnswerParser): Parsed {
  return { item: parser.parse(s), condition: splitQualifiers(s).condition };
}

function parseGold(gold: string, parser: AnswerParser): Parsed {
  let it = goldCache.get(gold);
  if (!it) {
    it = parse(gold, parser);
    if (goldCache.size >= GOLD_CACHE_MAX) goldCache.clear();
    goldCache.set(gold, it);
  }
  return it;
}

/** One synchronous comparison. Throws NeedSymbolic when the compute engine is needed but not
 *  loaded, MathTimeout past the deadline. */
function compareSync(predicted: string, gold: string, lim: MathLimits, dl: Deadline): boolean {
  const p = cleanAnswer(predicted);
  const g = cleanAnswer(gold);
  if (p === '' || g === '') return false;
  if (compactKey(p) === compactKey(g)) return true;
  const parser = new AnswerParser(lim, dl);
  const cmp = new Comparer(lim, dl);
  const golds = [g, stripThousands(g)].filter((x): x is string => x !== null);
  const preds = [stripThousands(p), p].filter((x): x is string => x !== null);
  for (const gs of golds) {
    const gp = parseGold(gs, parser);
    for (const ps of preds) {
      const pp = parse(ps, parser);
      // conditions ("where c != -1") must agree when both answers state one
      if (pp.condition && gp.condition && pp.condition !== gp.condition) continue;
      if (cmp.items(pp.item, gp.item)) return true;
    }
  }
  return false;
}

/** Compare a predicted answer with the gold answer, with the reason. Never throws for bad
 *  input; a comparison past its time limit is not equal. */
export async function compareAnswers(predicted: string, gold: string, opts: GradeOptions = {}): Promise<Comparison> {
  const lim: MathLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  if (opts.timeoutMs !== undefined) lim.timeoutMs = opts.timeoutMs;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const equal = compareSync(predicted, gold, lim, new Deadline(lim.timeoutMs));
      return { equal, why: equal ? 'match' : 'mismatch' };
    } catch (e) {
      if (e instanceof NeedSymbolic && attempt === 0) {
        await loadSymbolic();
        continue;
      }
      if (e instanceof MathTimeout) return { equal: false, why: 'timeout' };
      if (e instanceof MathTooLarge) return { equal: false, why: 'too large' };
      throw e;
    }
  }
  return { equal: false, why: 'mismatch' };
}

/** Is `predicted` mathematically the same answer as `gold`? Conservative: when unsure, false. */
export async function isEquivalent(predicted: string, gold: string, opts: GradeOptions = {}): Promise<boolean> {
  return (await compareAnswers(predicted, gold, opts)).equal;
}

const short = (s: string, n = 80): string => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

/** Grade a full response: extract its final answer and compare it with the gold answer. */
export async function gradeAnswer(response: string, gold: string, opts: GradeOptions = {}): Promise<Grade> {
  const extracted = extractAnswer(response);
  if (extracted === null) return { correct: false, extracted: null, reason: 'no answer found' };
  const c = await compareAnswers(extracted, gold, opts);
  if (c.equal) return { correct: true, extracted, reason: 'match' };
  const what = `${short(extracted)} vs ${short(cleanAnswer(gold))}`;
  if (c.why === 'timeout') return { correct: false, extracted, reason: `timeout: gave up comparing ${what}` };
  if (c.why === 'too large') return { correct: false, extracted, reason: `too large to compare: ${what}` };
  return { correct: false, extracted, reason: `mismatch: ${what}` };
}
