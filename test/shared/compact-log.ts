// Readers of the compact stepwise verification log shared by the tests: its check lines
// ("K <attempt line> r:V <verdict>") with the attempt line and verdict taken apart, and an ideal
// verdict writer that plays the verifier from the lines fed so far.

import { checkSteps, compactVerdict, formatInterventionBlock, type Problem } from '../../src/tasks/chains';

export interface CheckedLine {
  /** The attempt's line (without its number and reference value). */
  line: string;
  /** "ok", "bad ..." or "" for the last fed line, still waiting for its verdict. */
  verdict: string;
}

/** The check lines of a log (or of a stepwise prefix ending in "K line r:V "), up to the block. */
export function checkedLines(log: string): CheckedLine[] {
  return log
    .split('\n')
    .filter((l) => !l.startsWith('<intervention>'))
    .map((l, i) => {
      const m = /^(\d+) (.*?)(?: r:-?\d+)? (ok|bad.*|)$/.exec(l);
      if (!m || m[1] !== String(i + 1)) throw new Error(`check line ${i + 1} is not "K line r:V verdict": ${JSON.stringify(l)}`);
      return { line: m[2], verdict: m[3] };
    });
}

/** What the ideal verifier writes after a stepwise prefix: "ok\n" on a right line, else the
 *  verdict, a newline and the intervention block. */
export function idealVerdict(p: Problem, prefix: string): string {
  const steps = checkedLines(prefix).map((c) => c.line);
  const k = steps.length;
  // An empty check line pads an attempt that ended early (attempt lines are never empty).
  const v = checkSteps(steps[k - 1] === '' ? steps.slice(0, -1) : steps, p, 'compact')[k - 1];
  return v.status === 'ok' ? 'ok\n' : `${compactVerdict(v)}\n${formatInterventionBlock(v.expected ?? '', k)}`;
}
