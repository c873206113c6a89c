// Filtering proposed interventions: parse each verifier output, reject (and count, by reason)
// unusable ones, answer leaks and duplicates (within an attempt, and across the attempts of a
// problem), and keep one per attempt. Also the answer-leak checks for chains and math.

import type { Task } from '../tasks/task';
import { compareAnswers, extractAnswer } from '../tasks/math/grade';
import { cleanAnswer, compactKey } from '../tasks/math/normalize';
import { PARSE_FAILURE_REASONS, parseInterventionOutput, type ParseFailureReason, type ParseOptions } from './parse';
import { splice } from './splice';

// ---------------------------------------------------------------- leak checks

export interface LeakVerdict {
  leaks: boolean;
  /** Why: what in the content matched the gold answer, or why nothing did. */
  why: string;
}

/** Does an intervention's content give away the gold final answer? May be async. */
export type LeakCheck = (content: string, gold: string) => LeakVerdict | Promise<LeakVerdict>;

/** A number written in a text: its exact decimal value (no commas, no leading zeros). */
interface NumberToken {
  value: string;
  at: number;
  text: string;
}

// Whole numbers, thousands-grouped numbers ("1,234") and decimals ("12.5"), left to right, so
// that a token is never a piece of a larger number ("12" is not found in "120" or "12.5").
const NUMBER_RE = /\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?/g;

function canonicalNumber(sign: string, digits: string): string {
  let [int, frac = ''] = digits.replace(/,/g, '').split('.');
  int = int.replace(/^0+(?=\d)/, '');
  frac = frac.replace(/0+$/, '');
  const body = frac ? `${int}.${frac}` : int;
  return sign && /[1-9]/.test(body) ? `-${body}` : body;
}

/** The numbers of a text. A minus sign belongs to a number when it touches the digits and does
 *  not follow a digit, letter or closing bracket ("-12", "= -12", "(-12)"; not "55-12" nor "55 - 12"). */
export function numberTokens(text: string): NumberToken[] {
  const out: NumberToken[] = [];
  for (const m of text.matchAll(NUMBER_RE)) {
    const at = m.index ?? 0;
    if (text[at - 1] === '.' && /\d/.test(text[at - 2] ?? '')) continue; // "3" of "1.2.3" is not a number of its own
    const minus = text[at - 1] === '-' || text[at - 1] === '\u2212';
    const before = text[at - 2] ?? '';
    const sign = minus && !/[\p{L}\p{N})\]}]/u.test(before) ? '-' : '';
    out.push({ value: canonicalNumber(sign, m[0]), at: sign ? at - 1 : at, text: sign + m[0] });
  }
  return out;
}

/** The gold as a canonical number, or null when it is not a plain number. */
function goldNumber(gold: string): string | null {
  const g = gold.trim().replace(/\u2212/g, '-');
  const m = /^(-?)(\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?)$/.exec(g);
  return m ? canonicalNumber(m[1], m[2]) : null;
}

/** Chains world: the content leaks when it contains the gold integer as a whole number token
 *  (sign-aware; "120", "12.5" and "55-12" do not contain 12; "=12", "x 12." and "-12" for gold
 *  -12 do). Throws when the gold is not an integer. */
export function chainsLeakCheck(content: string, gold: string): LeakVerdict {
  const g = goldNumber(gold);
  if (g === null || g.includes('.')) {
    throw new Error(`chainsLeakCheck: gold answer ${JSON.stringify(gold)} is not an integer; chains answers are integers (use mathLeakCheck for other tasks)`);
  }
  const hit = numberTokens(content).find((t) => t.value === g);
  return hit ? { leaks: true, why: `contains the answer ${g} as "${hit.text}" at ${hit.at}` } : { leaks: false, why: `no number equal to ${g}` };
}

/** Text with whitespace removed (a single space kept between two digits, as compactKey does),
 *  and for each character whether whitespace preceded it in the input. */
function compactWithGaps(text: string): { s: string; gap: boolean[] } {
  let s = '';
  const gap: boolean[] = [];
  let pending = false;
  for (const ch of text) {
    if (/\s/.test(ch)) {
      pending = true;
      continue;
    }
    if (pending && s !== '') {
      if (/\d/.test(s[s.length - 1]) && /\d/.test(ch)) {
        s += ' ';
        gap.push(false);
      }
    }
    // a code point may be two UTF-16 units: mark the first
    for (let k = 0; k < ch.length; k++) gap.push(k === 0 && pending && s !== '');
    s += ch;
    pending = false;
  }
  gap.push(pending);
  return { s, gap };
}

/** Where `needle` occurs in the compacted text at a token boundary, or -1. Letters and digits
 *  at the ends of the needle must not run on into letters or digits of the text (whitespace in
 *  the original text is a boundary); a digit also not through a decimal point or comma group. */
function containsAtBoundary(hay: { s: string; gap: boolean[] }, needle: string): number {
  if (needle === '') return -1;
  const word = /[\p{L}\p{N}]/u;
  const text = hay.s;
  const first = needle[0];
  const last = needle[needle.length - 1];
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
    const j = i + needle.length;
    const prev = hay.gap[i] ? '' : (text[i - 1] ?? '');
    const next = hay.gap[j] ? '' : (text[j] ?? '');
    if (word.test(first) && word.test(prev)) continue;
    if (/\d/.test(first) && prev === '.' && /\d/.test(text[i - 2] ?? '')) continue;
    if (word.test(last) && word.test(next)) continue;
    if (/\d/.test(last) && (next === '.' || next === ',') && /\d/.test(text[j + 1] ?? '')) continue;
    return i;
  }
  return -1;
}

/** Right-hand sides worth comparing with the gold: the last "= ..." of each math span
 *  ($...$, $$...$$, \(...\), \[...\]) and of each plain-text clause. */
export function answerCandidates(content: string, max = 8): string[] {
  const out: string[] = [];
  const push = (s: string) => {
    const t = s.trim();
    if (t && t.length <= 80 && !out.includes(t)) out.push(t);
  };
  const spans = /\$\$([\s\S]+?)\$\$|\$([^$]+?)\$|\\\(([\s\S]+?)\\\)|\\\[([\s\S]+?)\\\]/g;
  for (const m of content.matchAll(spans)) {
    const body = m[1] ?? m[2] ?? m[3] ?? m[4] ?? '';
    const parts = body.split('=');
    if (parts.length > 1) push(parts[parts.length - 1]);
  }
  const plain = content.replace(spans, ' ');
  for (const m of plain.matchAll(/=\s*([^=;\n]+?)(?=[.,;:]\s|[.;:]?$|\n|\s(?:and|so|then|which)\s)/gm)) push(m[1]);
  return out.slice(0, max);
}

export interface MathLeakOptions {
  /** Time limit of each equivalence check in ms. Default 300. */
  timeoutMs?: number;
  /** Most right-hand sides compared by equivalence. Default 8. */
  maxCandidates?: number;
}

/** Math: the content leaks when (1) the gold, normalised as the grader normalises answers
 *  (cleanAnswer + compactKey), appears in the normalised content at a token boundary, ignoring
 *  case (for a plain-number gold: a sign-aware number token of the content equals it), (2) the content states a final
 *  answer (\boxed, "the answer is", "Answer:") equivalent to the gold, or (3) the right-hand side
 *  of an "=" in a math span or clause is equivalent to the gold. Conservative by design: gold
 *  "12" leaks from "=12" and "x_{12}", never from "120" or "12.5". */
export async function mathLeakCheck(content: string, gold: string, opts: MathLeakOptions = {}): Promise<LeakVerdict> {
  const timeoutMs = opts.timeoutMs ?? 300;
  const g = compactKey(cleanAnswer(gold));
  if (g === '') throw new Error(`mathLeakCheck: gold answer ${JSON.stringify(gold)} is empty after normalisation; every problem needs a gold answer`);
  const cleaned = cleanAnswer(content);
  const num = goldNumber(g);
  if (num !== null) {
    const hit = numberTokens(cleaned).find((t) => t.value === num);
    if (hit) return { leaks: true, why: `contains the answer ${num} as "${hit.text}"` };
  } else {
    const at = containsAtBoundary(compactWithGaps(cleaned.toLowerCase()), g.toLowerCase());
    if (at >= 0) return { leaks: true, why: `contains the normalised answer "${g}" at ${at}` };
  }
  const stated = extractAnswer(content);
  if (stated !== null && (await compareAnswers(stated, gold, { timeoutMs })).equal) {
    return { leaks: true, why: `states the final answer "${stated}"` };
  }
  for (const cand of answerCandidates(content, opts.maxCandidates ?? 8)) {
    if ((await compareAnswers(cand, gold, { timeoutMs })).equal) return { leaks: true, why: `"${cand}" is equivalent to the answer` };
  }
  return { leaks: false, why: 'answer not found' };
}

/** The leak check of a task: exact integer tokens for "chains", grader normalisation otherwise. */
export function leakCheckFor(task: Pick<Task, 'name'>, opts: MathLeakOptions = {}): LeakCheck {
  return task.name === 'chains' ? chainsLeakCheck : (content, gold) => mathLeakCheck(content, gold, opts);
}

// ---------------------------------------------------------------- filtering

/** Why a candidate was not kept. 'duplicate': same location and content as an earlier valid
 *  sample of the same attempt; 'duplicate_across_attempts': the same (normalised) prefix +
 *  intervention as a row already kept from another attempt of the same problem. */
export type FilterReason = ParseFailureReason | 'leaks_answer' | 'duplicate' | 'duplicate_across_attempts' | 'not_selected' | 'failed_continuation';
export type VerdictStatus = 'kept' | FilterReason;

export const VERDICT_STATUSES: readonly VerdictStatus[] = Object.freeze([
  'kept', ...PARSE_FAILURE_REASONS, 'leaks_answer', 'duplicate', 'duplicate_across_attempts', 'not_selected', 'failed_continuation',
]);

/** The verifier outputs sampled for one failed attempt. */
export interface AttemptCandidates {
  attemptId: string;
  problemId: string;
  /** Step count of the attempt (the verifier saw steps 1..nSteps). */
  nSteps: number;
  /** The attempt's steps (nSteps of them). When given, a valid sample whose spliced trace
   *  (prefix + intervention, normalised) equals a row already kept from another attempt of the
   *  same problem is 'duplicate_across_attempts'; without them only within-attempt duplicates
   *  are found. */
  steps?: readonly string[];
  /** Gold final answer of the problem. */
  gold: string;
  /** Raw verifier outputs in sampling order (sample index = position). */
  outputs: string[];
}

/** One line of interventions.jsonl. */
export interface CandidateVerdict {
  attemptId: string;
  problemId: string;
  /** Index of the output among the attempt's samples. */
  sample: number;
  status: VerdictStatus;
  /** Human-readable reason. */
  detail: string;
  /** Parsed values (null when parsing failed). */
  content: string | null;
  location: number | null;
  /** For 'duplicate': the sample it repeats; for 'duplicate_across_attempts': the kept sample of
   *  `duplicateOfAttempt` it repeats. */
  duplicateOf?: number;
  duplicateOfAttempt?: string;
  /** Parser flags (see ParseResult). */
  fellBack?: boolean;
  repaired?: boolean;
  /** The raw output, when FilterOptions.includeOutput is set. */
  output?: string;
}

/** An intervention that passed the filter. */
export interface KeptIntervention {
  attemptId: string;
  problemId: string;
  sample: number;
  content: string;
  location: number;
}

export interface FilterCounts {
  candidates: number;
  attempts: number;
  /** Attempts with at least one kept intervention. */
  attemptsKept: number;
  /** Candidates per status (every status present, zero when none). */
  byStatus: Record<VerdictStatus, number>;
}

export interface FilterResult {
  /** One verdict per candidate, attempts in input order, samples in order. */
  verdicts: CandidateVerdict[];
  kept: KeptIntervention[];
  counts: FilterCounts;
}

export interface FilterOptions {
  /** The answer-leak check (chainsLeakCheck, mathLeakCheck or leakCheckFor(task)). */
  leak: LeakCheck;
  /** Parser options (allowAppend / allowEmpty). Default {}. */
  parse?: ParseOptions;
  /** 'first' (default, the published rule: one per attempt, the first valid sample in sampling
   *  order) or 'all' (every valid, non-duplicate sample). */
  keep?: 'first' | 'all';
  /** Copy each raw output into its verdict. Default false. */
  includeOutput?: boolean;
}

/** Normalised content used to detect duplicates: Unicode NFKC, whitespace collapsed, lower case. */
export function normaliseContent(content: string): string {
  return content.normalize('NFKC').replace(/\s+/g, ' ').trim().toLowerCase();
}

function emptyCounts(): Record<VerdictStatus, number> {
  return Object.fromEntries(VERDICT_STATUSES.map((s) => [s, 0])) as Record<VerdictStatus, number>;
}

/** Key of a row for de-duplication across the attempts of a problem: the spliced trace
 *  (prefix + intervention), each step normalised. */
export function splicedKey(steps: readonly string[], location: number, content: string): string {
  return splice(steps, location, content).newSteps.map(normaliseContent).join('\u0000');
}

/** Count verdicts by status. */
export function countVerdicts(verdicts: readonly CandidateVerdict[]): FilterCounts {
  const byStatus = emptyCounts();
  const attempts = new Set<string>();
  const keptAttempts = new Set<string>();
  for (const v of verdicts) {
    byStatus[v.status]++;
    attempts.add(v.attemptId);
    if (v.status === 'kept') keptAttempts.add(v.attemptId);
  }
  return { candidates: verdicts.length, attempts: attempts.size, attemptsKept: keptAttempts.size, byStatus };
}

/** Parse, check and select interventions. Checks in order: parse (its failure reasons),
 *  answer leak, duplicate of an earlier valid sample of the same attempt (same normalised
 *  content and location), duplicate of a row kept from an earlier attempt of the same problem
 *  (same normalised prefix + intervention; needs AttemptCandidates.steps), then selection
 *  ('not_selected' for valid samples after the first when keep = 'first'). A cross-attempt
 *  duplicate does not use up the attempt's selection: a later distinct sample can be kept. */
export async function filterInterventions(attempts: readonly AttemptCandidates[], opts: FilterOptions): Promise<FilterResult> {
  const keep = opts.keep ?? 'first';
  if (keep !== 'first' && keep !== 'all') throw new Error(`filterInterventions: keep must be "first" or "all", got ${JSON.stringify(keep)}`);
  const ids = new Set<string>();
  const verdicts: CandidateVerdict[] = [];
  const kept: KeptIntervention[] = [];
  /** Per problem: spliced key -> the kept row it came from. */
  const rows = new Map<string, Map<string, { attemptId: string; sample: number }>>();
  for (const a of attempts) {
    if (a.steps !== undefined && a.steps.length !== a.nSteps) {
      throw new Error(`filterInterventions: attempt "${a.attemptId}" has nSteps ${a.nSteps} but ${a.steps.length} steps; give the steps the verifier saw`);
    }
    if (ids.has(a.attemptId)) throw new Error(`filterInterventions: attempt id "${a.attemptId}" appears twice; merge its outputs into one entry`);
    ids.add(a.attemptId);
    const seen = new Map<string, number>();
    let selected = false;
    for (let sample = 0; sample < a.outputs.length; sample++) {
      const output = a.outputs[sample];
      const base = { attemptId: a.attemptId, problemId: a.problemId, sample, ...(opts.includeOutput ? { output } : {}) };
      const r = parseInterventionOutput(output, a.nSteps, opts.parse);
      if (!r.ok) {
        verdicts.push({ ...base, status: r.reason, detail: r.detail, content: null, location: null });
        continue;
      }
      const parsed = { content: r.content, location: r.location, fellBack: r.fellBack, repaired: r.repaired };
      const leak = await opts.leak(r.content, a.gold);
      if (leak.leaks) {
        verdicts.push({ ...base, ...parsed, status: 'leaks_answer', detail: leak.why });
        continue;
      }
      const key = `${r.location}\u0000${normaliseContent(r.content)}`;
      const dup = seen.get(key);
      if (dup !== undefined) {
        verdicts.push({ ...base, ...parsed, status: 'duplicate', detail: `same content and location as sample ${dup}`, duplicateOf: dup });
        continue;
      }
      seen.set(key, sample);
      const rowKey = a.steps ? splicedKey(a.steps, r.location, r.content) : null;
      const problemRows = rows.get(a.problemId) ?? new Map<string, { attemptId: string; sample: number }>();
      const same = rowKey === null ? undefined : problemRows.get(rowKey);
      if (same && same.attemptId !== a.attemptId) {
        const detail = `same prefix + intervention as attempt "${same.attemptId}" sample ${same.sample}, already kept`;
        verdicts.push({ ...base, ...parsed, status: 'duplicate_across_attempts', detail, duplicateOf: same.sample, duplicateOfAttempt: same.attemptId });
        continue;
      }
      if (selected && keep === 'first') {
        verdicts.push({ ...base, ...parsed, status: 'not_selected', detail: 'valid, but an earlier sample of this attempt was kept' });
        continue;
      }
      selected = true;
      if (rowKey !== null && !problemRows.has(rowKey)) problemRows.set(rowKey, { attemptId: a.attemptId, sample });
      rows.set(a.problemId, problemRows);
      verdicts.push({ ...base, ...parsed, status: 'kept', detail: 'kept' });
      kept.push({ attemptId: a.attemptId, problemId: a.problemId, sample, content: r.content, location: r.location });
    }
  }
  return { verdicts, kept, counts: countVerdicts(verdicts) };
}

/** Outcome of the optional continuation check for one kept intervention. */
export interface ContinuationOutcome {
  /** Continuations sampled from problem + prefix + intervention. */
  samples: number;
  /** How many reached the gold answer. */
  correct: number;
}

/** Apply the optional continuation check: a kept intervention whose continuations were all
 *  wrong (correct < minCorrect, default 1, i.e. pass@K = 0) becomes 'failed_continuation'.
 *  `outcome` gives the result for a kept intervention; a kept one without a result is an error
 *  (run the check on every kept intervention). Returns a new result; the input is not changed. */
export function applyContinuationCheck(
  result: FilterResult,
  outcome: (k: KeptIntervention) => ContinuationOutcome | undefined,
  minCorrect = 1,
): FilterResult {
  if (!Number.isSafeInteger(minCorrect) || minCorrect < 1) throw new Error(`applyContinuationCheck: minCorrect must be an integer >= 1, got ${minCorrect}`);
  const failed = new Set<string>();
  const kept: KeptIntervention[] = [];
  const details = new Map<string, string>();
  for (const k of result.kept) {
    const o = outcome(k);
    if (!o) throw new Error(`applyContinuationCheck: no continuation outcome for attempt "${k.attemptId}" sample ${k.sample}; check every kept intervention`);
    const key = `${k.attemptId}\u0000${k.sample}`;
    if (o.correct >= minCorrect) kept.push(k);
    else {
      failed.add(key);
      details.set(key, `${o.correct} of ${o.samples} continuations correct (needs ${minCorrect})`);
    }
  }
  const verdicts = result.verdicts.map((v) => {
    const key = `${v.attemptId}\u0000${v.sample}`;
    return v.status === 'kept' && failed.has(key) ? { ...v, status: 'failed_continuation' as const, detail: details.get(key)! } : v;
  });
  return { verdicts, kept, counts: countVerdicts(verdicts) };
}
