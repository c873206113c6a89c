// Math grading entry points: extractAnswer, isEquivalent and gradeAnswer.
// Order of checks: cleaned strings, then numbers / expressions (exact rationals, random points),
// the compute-engine fallback, lists, sets, tuples, intervals, equations and words.
// Limits: one deadline per call (default 1000 ms, opts.timeoutMs) covers extraction,
// clean-up, parsing, comparison and the first load of the compute engine; it is polled between
// bounded steps (see limits.ts), and every pass over a whole input is linear in its length.
// Past the deadline the answer is graded wrong with reason "timeout"; an input over the size
// limits is refused as "too large", with the limit named. Nothing hangs a worker.

import type { Grade } from '../task';
import { AnswerParser, Item, splitQualifiers } from './answer';
import { Comparer } from './equiv';
import { extractAnswer } from './extract';
import { DEFAULT_LIMITS, Deadline, MathLimits, MathTimeout, MathTooLarge } from './limits';
import { cleanAnswer, compactKey, stripThousands, wordsKey } from './normalize';
import { NeedSymbolic, loadSymbolic, symbolicReady } from './symbolic';

export { extractAnswer } from './extract';
export { DEFAULT_LIMITS } from './limits';
export type { MathLimits } from './limits';

export interface GradeOptions {
  /** Time limit of one call in ms (default DEFAULT_LIMITS.timeoutMs = 1000). */
  timeoutMs?: number;
  /** Override any other limit (sizes, evaluation points...). */
  limits?: Partial<MathLimits>;
}

/** Outcome of one comparison with the reason it ended. */
export interface Comparison {
  equal: boolean;
  /** "match", "mismatch", "timeout" or "too large". */
  why: 'match' | 'mismatch' | 'timeout' | 'too large';
  /** For "too large": what was refused and which limit it passed. */
  detail?: string;
}

interface Parsed {
  item: Item;
  condition: string;
  /** Why part of the answer was not parsed (too large / too deep), or null. */
  refused: string | null;
}

const GOLD_CACHE_MAX = 4096;
const goldCache = new Map<string, Parsed>();

function parse(s: string, parser: AnswerParser): Parsed {
  parser.refused = null;
  return { item: parser.parse(s), condition: splitQualifiers(s).condition, refused: parser.refused };
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

function limitsOf(opts: GradeOptions): MathLimits {
  const lim: MathLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  if (opts.timeoutMs !== undefined) lim.timeoutMs = opts.timeoutMs;
  return lim;
}

function checkInput(what: string, s: string, lim: MathLimits): void {
  if (s.length > lim.maxInputChars) throw new MathTooLarge(`${what} has ${s.length} characters, more than maxInputChars (${lim.maxInputChars})`);
}

/** One synchronous comparison. Throws NeedSymbolic when the compute engine is needed but not
 *  loaded, MathTimeout past the deadline, MathTooLarge for inputs over the size limits. */
function compareSync(predicted: string, gold: string, lim: MathLimits, dl: Deadline): boolean {
  checkInput('the answer', predicted, lim);
  checkInput('the gold answer', gold, lim);
  const p = cleanAnswer(predicted);
  dl.check();
  const g = cleanAnswer(gold);
  dl.check();
  if (p === '' || g === '') return false;
  if (compactKey(p) === compactKey(g)) return true;
  if (p.length > lim.maxAnswerChars || g.length > lim.maxAnswerChars) {
    // too long to parse: only the words comparison is left
    if (wordsKey(p) === wordsKey(g)) return true;
    const [what, n] = p.length > lim.maxAnswerChars ? ['the answer', p.length] : ['the gold answer', g.length];
    throw new MathTooLarge(`${what} has ${n} characters after clean-up, more than maxAnswerChars (${lim.maxAnswerChars}) parsed`);
  }
  const parser = new AnswerParser(lim, dl);
  const cmp = new Comparer(lim, dl);
  const golds = [g, stripThousands(g)].filter((x): x is string => x !== null);
  const preds = [stripThousands(p), p].filter((x): x is string => x !== null);
  let refused: string | null = null;
  for (const gs of golds) {
    const gp = parseGold(gs, parser);
    refused ??= gp.refused;
    for (const ps of preds) {
      const pp = parse(ps, parser);
      refused ??= pp.refused;
      // conditions ("where c != -1") must agree when both answers state one
      if (pp.condition && gp.condition && pp.condition !== gp.condition) continue;
      if (cmp.items(pp.item, gp.item)) return true;
    }
  }
  // unequal, but part of an answer was never looked at: say so
  if (refused !== null) throw new MathTooLarge(refused.replace(/^refused: /, ''));
  return false;
}

/** Load the compute engine, waiting no longer than the deadline; true when it is ready. */
async function loadWithin(dl: Deadline): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((done) => {
    timer = setTimeout(done, dl.left());
  });
  try {
    await Promise.race([loadSymbolic(), late]);
  } finally {
    clearTimeout(timer);
  }
  return symbolicReady() && !dl.expired();
}

/** compareAnswers under a deadline that may already be running (gradeAnswer's). */
async function compareWithin(predicted: string, gold: string, lim: MathLimits, dl: Deadline): Promise<Comparison> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const equal = compareSync(predicted, gold, lim, dl);
      return { equal, why: equal ? 'match' : 'mismatch' };
    } catch (e) {
      if (e instanceof NeedSymbolic && attempt === 0) {
        if (!(await loadWithin(dl))) return { equal: false, why: 'timeout' };
        continue;
      }
      if (e instanceof MathTimeout) return { equal: false, why: 'timeout' };
      if (e instanceof MathTooLarge) return { equal: false, why: 'too large', detail: e.message };
      throw e;
    }
  }
  return { equal: false, why: 'mismatch' };
}

/** Compare a predicted answer with the gold answer, with the reason. Never throws for bad
 *  input; a comparison past its time limit is not equal ("timeout"), nor is one over the size
 *  limits ("too large"). */
export async function compareAnswers(predicted: string, gold: string, opts: GradeOptions = {}): Promise<Comparison> {
  const lim = limitsOf(opts);
  return compareWithin(predicted, gold, lim, new Deadline(lim.timeoutMs));
}

/** Is `predicted` mathematically the same answer as `gold`? Conservative: when unsure, false. */
export async function isEquivalent(predicted: string, gold: string, opts: GradeOptions = {}): Promise<boolean> {
  return (await compareAnswers(predicted, gold, opts)).equal;
}

const short = (s: string, n = 80): string => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

/** Grade a full response: extract its final answer and compare it with the gold answer, all
 *  under one deadline. */
export async function gradeAnswer(response: string, gold: string, opts: GradeOptions = {}): Promise<Grade> {
  const lim = limitsOf(opts);
  const dl = new Deadline(lim.timeoutMs);
  if (response.length > lim.maxInputChars) {
    return { correct: false, extracted: null, reason: `too large: the response has ${response.length} characters, more than maxInputChars (${lim.maxInputChars})` };
  }
  let extracted: string | null;
  try {
    extracted = extractAnswer(response, dl);
  } catch (e) {
    if (e instanceof MathTimeout) return { correct: false, extracted: null, reason: `timeout: gave up extracting the answer after ${lim.timeoutMs} ms` };
    throw e;
  }
  if (extracted === null) return { correct: false, extracted: null, reason: 'no answer found' };
  const c = await compareWithin(extracted, gold, lim, dl);
  if (c.equal) return { correct: true, extracted, reason: 'match' };
  const what = `${short(extracted)} vs ${short(gold.length > 1000 ? gold : cleanAnswer(gold))}`;
  if (c.why === 'timeout') return { correct: false, extracted, reason: `timeout: gave up comparing ${what}` };
  if (c.why === 'too large') return { correct: false, extracted, reason: `too large to compare: ${what} (${c.detail})` };
  return { correct: false, extracted, reason: `mismatch: ${what}` };
}
