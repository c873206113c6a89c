// The pure side of the "Intervene yourself" view: reading the published run's failed attempts
// (public/results/<run>/attempts.json, written by scripts/published-attempts.ts), the labels of
// attempts and starts, and success rates as the view prints them.
import type { Continuation, ContinueStart, ContinueStartKind, InterveneAttempt } from '../worker/protocol';

/** Read attempts.json; throws naming what is wrong with it and where it came from. */
export function parseAttemptsFile(json: unknown, from: string): InterveneAttempt[] {
  const f = json as { format?: unknown; version?: unknown; attempts?: unknown };
  if (!f || f.format !== 'int-lab-failed-attempts' || f.version !== 1 || !Array.isArray(f.attempts)) {
    throw new Error(`${from} is not a failed-attempts file (format "int-lab-failed-attempts", version 1, an attempts list); write it with scripts/published-attempts.ts`);
  }
  f.attempts.forEach((a: Partial<InterveneAttempt>, i) => {
    const ok =
      typeof a.attemptId === 'string' &&
      typeof a.problemId === 'string' &&
      typeof a.tier === 'string' &&
      Array.isArray(a.steps) &&
      a.steps.length > 0 &&
      a.steps.every((s) => typeof s === 'string') &&
      (a.intervention === null || (typeof a.intervention?.content === 'string' && Number.isSafeInteger(a.intervention.location)));
    if (!ok) throw new Error(`${from}: attempt ${i} (${String(a.attemptId)}) lacks an id, problem, tier, steps or a well-formed intervention; write the file again with scripts/published-attempts.ts`);
  });
  return f.attempts as InterveneAttempt[];
}

/** Plain words for the filter's verdicts on the model's intervention. */
const STATUS_WORDS: Record<string, string> = {
  kept: 'kept for training',
  leaks_answer: 'rejected: it gives the answer away',
  duplicate: 'rejected: a repeat',
  duplicate_across_attempts: 'not kept again: the same fix was kept from another attempt',
  not_selected: 'not selected',
  failed_continuation: 'rejected: no continuation from it solved the problem',
};

export function statusWords(status: string): string {
  return STATUS_WORDS[status] ?? `rejected (${status.replace(/_/g, ' ')})`;
}

/** One line per attempt in the picker. */
export function attemptLabel(a: InterveneAttempt): string {
  const fix = a.intervention ? `model's fix at step ${a.intervention.location}${a.intervention.status === 'kept' ? '' : ' (not kept)'}` : 'no fix proposed';
  const copies = a.copies && a.copies > 1 ? `, ${a.copies} rollouts wrote it` : '';
  return `${a.problemId} ${a.attemptId.slice(a.attemptId.lastIndexOf('#'))}: ${a.steps.length} steps, ${fix}${copies}`;
}

/** The row name of a start. */
export function startLabel(kind: ContinueStartKind, location: number): string {
  const prefix = location <= 1 ? 'no prefix (the problem alone)' : location === 2 ? 'prefix (step 1)' : `prefix (steps 1-${location - 1})`;
  if (kind === 'prefix') return prefix;
  return kind === 'yours' ? `${prefix} + your step` : `${prefix} + the model's intervention`;
}

/** "12 / 16" and "75%". */
export function rateText(solved: number, samples: number): { count: string; percent: string } {
  return { count: `${solved} / ${samples}`, percent: samples > 0 ? `${Math.round((100 * solved) / samples)}%` : '-' };
}

/** One sentence comparing your step with the prefix alone (and the model's intervention); `own`:
 *  your step is the attempt's own (unchanged) step. */
export function reading(starts: readonly ContinueStart[], own = false): string {
  const by = (k: ContinueStartKind) => starts.find((s) => s.kind === k);
  const p = by('prefix');
  const y = by('yours');
  if (!p || !y) return '';
  const pct = (s: ContinueStart) => (s.samples > 0 ? (100 * s.solved) / s.samples : 0);
  const raw = pct(y) - pct(p);
  const d = Math.sign(raw) * Math.round(Math.abs(raw)); // halves away from zero, as on the positive side
  const diff = d === 0 ? 'no change' : `${d > 0 ? '+' : ''}${d} points`;
  let out = `From ${own ? "the attempt's own step" : 'your step'} the model solves ${rateText(y.solved, y.samples).count} against ${rateText(p.solved, p.samples).count} from the prefix alone (${diff}).`;
  const m = by('model');
  if (m) out += ` The model's own intervention: ${rateText(m.solved, m.samples).count}.`;
  return out;
}

/** Equal continuations of a start grouped (in first-seen order) with how many times each was sampled. */
export function groupContinuations(cs: readonly Continuation[]): { text: string; correct: boolean; reason: string; count: number }[] {
  const out = new Map<string, { text: string; correct: boolean; reason: string; count: number }>();
  for (const c of cs) {
    const g = out.get(c.text);
    if (g) g.count++;
    else out.set(c.text, { ...c, count: 1 });
  }
  return [...out.values()];
}
