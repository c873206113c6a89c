// The interventions view's pure parts: reading interventions.jsonl (plain or gzip; files written
// before a field was recorded read null there), the verifier's compact log in plain words, human
// labels for the filter's verdicts, where the located step sits against the true first error, and
// the continuation counts from each start.
import type { StartCondition } from '../int/diagnostics';
import type { InterventionRow, StartCount } from '../int/report';
import { START_NAMES } from './published-data';

export type { InterventionRow } from '../int/report';

/** The bytes of interventions.jsonl, or of its gzip (first bytes 1f 8b), as text. */
export async function jsonlText(bytes: Uint8Array): Promise<string> {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).text();
  }
  return new TextDecoder().decode(bytes);
}

/** Parse interventions.jsonl. A line that is not a JSON object with an attempt id, steps and a
 *  status is refused naming the line; fields a file does not have (written before they were
 *  recorded) read null. */
export function parseInterventions(text: string, source = 'interventions.jsonl'): InterventionRow[] {
  const rows: InterventionRow[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${source} line ${i + 1} is not JSON (${(e as Error).message}): is the file cut short? Export it again from the run.`);
    }
    if (!o || typeof o !== 'object' || typeof o.attemptId !== 'string' || !Array.isArray(o.steps) || typeof o.status !== 'string') {
      throw new Error(`${source} line ${i + 1}: expected an intervention row with "attemptId", "steps" and "status"; is this an interventions.jsonl written by InT Lab?`);
    }
    const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : null);
    const num = (k: string) => (typeof o[k] === 'number' ? (o[k] as number) : null);
    rows.push({
      attemptId: o.attemptId,
      problemId: str('problemId') ?? o.attemptId.replace(/#\d+$/, ''),
      tier: str('tier') ?? '',
      sample: num('sample') ?? 0,
      problem: str('problem'),
      reference: str('reference'),
      answer: str('answer'),
      attempt: str('attempt') ?? (o.steps as string[]).join('\n'),
      steps: (o.steps as unknown[]).map(String),
      verification: str('verification') ?? '',
      location: num('location'),
      trueLocation: num('trueLocation'),
      intervention: str('intervention'),
      status: o.status as InterventionRow['status'],
      detail: str('detail') ?? '',
      spliced: Array.isArray(o.spliced) ? o.spliced.map(String) : null,
      continuation: (o.continuation as StartCount | null | undefined) ?? null,
      starts: (o.starts as InterventionRow['starts'] | undefined) ?? null,
    });
  });
  return rows;
}

/** The filter's verdicts in words: what happened to the intervention and why. */
export const STATUS_LABELS: Readonly<Record<string, string>> = {
  kept: 'kept by the filter',
  no_block: 'rejected: the verifier wrote no intervention',
  truncated: 'rejected: the intervention was cut off',
  bad_json: 'rejected: the intervention could not be read',
  bad_content: 'rejected: the intervention has no replacement step',
  empty_content: 'rejected: the replacement step is empty',
  bad_location: 'rejected: the intervention names no step',
  location_out_of_range: 'rejected: the step it names does not exist',
  leaks_answer: 'rejected: it gives away the final answer',
  duplicate: 'rejected: the same as an earlier verification of this attempt',
  duplicate_across_attempts: 'rejected: the same as one kept from another attempt at this problem',
  not_selected: 'not used: an earlier verification of this attempt was kept',
  failed_continuation: 'rejected: no continuation from it reached the right answer',
};

export function statusLabel(status: string): string {
  return STATUS_LABELS[status] ?? `rejected (${status.replace(/_/g, ' ')})`;
}

/** A grader's reason in words ("mismatch: 14 vs 13" -> "answered 14, the answer is 13"). */
export function gradeWords(reason: string): string {
  if (reason === 'match') return 'the right answer';
  const m = /^mismatch: ([\s\S]*) vs ([\s\S]*)$/.exec(reason);
  return m ? `answered ${m[1]}, the answer is ${m[2]}` : reason;
}

/** kept, or rejected (every other verdict). */
export const isKept = (r: Pick<InterventionRow, 'status'>): boolean => r.status === 'kept';

/** One line of a compact verification log, read. */
export interface PlainLine {
  /** The step number the line checks (null when the line is not a check line). */
  line: number | null;
  /** The attempt's line as the verifier saw it ('' when the attempt had ended). */
  step: string;
  /** The value the attempt wrote on it (the text after its last "="), null when it wrote nothing. */
  wrote: string | null;
  /** The reference's value for the step (" r:V"), null when the line has none. */
  reference: string | null;
  /** The verifier's verdict. */
  verdict: 'right' | 'wrong' | 'extra' | 'unread';
  /** The verifier's corrected step after "bad" (null otherwise). */
  fix: string | null;
  /** The line in words. */
  words: string;
}

// "K <attempt line> r:V <verdict>" (the attempt line may be empty, r:V may be absent)
const CHECK_LINE = /^(\d+) (.*?)(?: r:(\S+))? (ok|bad.*)$/;

/** The value a line wrote: after its last "=", else the whole line. */
function valueOf(step: string): string | null {
  const s = step.trim();
  if (s === '') return null;
  const at = s.lastIndexOf('=');
  return at >= 0 ? s.slice(at + 1).trim() || s : s;
}

/** A compact chains verification log ("1 5-4=1 r:1 ok", "2 1*4=5 r:4 bad 1*4=4 not 5", then the
 *  intervention block), one entry per check line, in words ("line 2: wrote 5, the reference says
 *  4: wrong; the fix: 1*4=4"). Returns null when the text is not such a log (a chat-style
 *  verification): show it as written. */
export function plainVerifierLog(verification: string): PlainLine[] | null {
  const body = verification.replace(/<intervention>[\s\S]*$/, '').trimEnd();
  const lines = body.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0 || !(CHECK_LINE.test(lines[0]) || /^\d+ .* r:\S+\s*$/.test(lines[0]))) return null;
  return lines.map((raw): PlainLine => {
    const m = CHECK_LINE.exec(raw);
    const open = m ? null : /^(\d+) (.*?)(?: r:(\S+))?\s*$/.exec(raw);
    if (open) {
      const wrote = valueOf(open[2]);
      const says = `line ${open[1]}: ${wrote === null ? 'wrote nothing' : `wrote ${wrote}`}${open[3] ? `, the reference says ${open[3]}` : ''}`;
      return { line: Number(open[1]), step: open[2], wrote, reference: open[3] ?? null, verdict: 'unread', fix: null, words: `${says}: no verdict (the verifier stopped here)` };
    }
    if (!m) return { line: null, step: raw, wrote: null, reference: null, verdict: 'unread', fix: null, words: `(not a check line) ${raw}` };
    const [, k, step, ref, v] = m;
    const wrote = valueOf(step);
    const reference = ref ?? null;
    const head = `line ${k}: ${wrote === null ? 'wrote nothing (the attempt had ended)' : `wrote ${wrote}`}${reference === null ? '' : `, the reference says ${reference}`}`;
    if (v.trim() === 'ok') return { line: Number(k), step, wrote, reference, verdict: 'right', fix: null, words: `${head}: right` };
    if (/^bad extra\s*$/.test(v)) return { line: Number(k), step, wrote, reference, verdict: 'extra', fix: null, words: `line ${k}: ${step.trim() || '(empty)'} comes after the answer: wrong (extra line)` };
    const bad = /^bad (.*?)(?: not (.*))?$/.exec(v.trim());
    const fix = bad?.[1]?.trim() || null;
    return { line: Number(k), step, wrote, reference, verdict: 'wrong', fix, words: `${head}: wrong${fix ? `; the fix: ${fix}` : ''}` };
  });
}

/** Where the verifier put the error against the true first divergent step (when the task knows it). */
export function locationWords(r: Pick<InterventionRow, 'location' | 'trueLocation' | 'steps'>): string {
  if (r.location === null) return 'The verifier named no step.';
  const at = r.location > r.steps.length ? `after the last step (step ${r.location}, appended)` : `step ${r.location}`;
  if (r.trueLocation === null) return `The verifier located the first error at ${at}.`;
  const d = r.location - r.trueLocation;
  const how = d === 0 ? 'exactly the true first error' : d < 0 ? `${-d} step${d === -1 ? '' : 's'} before the true first error (step ${r.trueLocation})` : `${d} step${d === 1 ? '' : 's'} after the true first error (step ${r.trueLocation}): the prefix keeps the error`;
  return `The verifier located the first error at ${at}: ${how}.`;
}

/** "3 / 8 solved" (correct continuations of samples). */
export const solvedText = (c: StartCount): string => `${c.correct} / ${c.samples} solved`;

/** The continuation rows of an intervention: the diagnostics' starts (prefix, prefix + original
 *  step, prefix + intervention, and the bare problem for comparison), or only the continuation
 *  check (prefix + intervention) when the diagnostics did not cover it; empty when neither ran. */
export function continuationLines(r: Pick<InterventionRow, 'starts' | 'continuation'>): { start: StartCondition | 'check'; label: string; count: StartCount }[] {
  if (r.starts) {
    const order: StartCondition[] = ['prefix', 'prefix_original', 'prefix_intervention', 'problem_only'];
    return order.filter((c) => r.starts![c]).map((c) => ({ start: c, label: c === 'problem_only' ? 'the problem alone (fresh attempts)' : START_NAMES[c], count: r.starts![c] }));
  }
  return r.continuation ? [{ start: 'check', label: 'prefix + intervention (the continuation check)', count: r.continuation }] : [];
}

/** Counts of rows by verdict group, for the filter's choices. */
export function statusCounts(rows: readonly Pick<InterventionRow, 'status'>[]): { kept: number; rejected: number; all: number } {
  const kept = rows.filter(isKept).length;
  return { kept, rejected: rows.length - kept, all: rows.length };
}
