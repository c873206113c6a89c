// Time and size limits for math answer comparison, and the Deadline that enforces them.
// Everything runs synchronously inside one call (web-worker safe: no signals, no child
// processes); the deadline is polled between steps and every step is bounded in size.

/** Limits applied to every comparison. Defaults are chosen so that no single step can run
 *  for more than a few milliseconds on a slow CPU, so a deadline poll between steps is
 *  enough to stop a comparison close to its time limit. */
export interface MathLimits {
  /** Wall-clock budget of one isEquivalent / compareAnswers / gradeAnswer call, in ms: one
   *  deadline covers extraction, clean-up, parsing, comparison and loading the compute
   *  engine on first use. */
  timeoutMs: number;
  /** Longest response (gradeAnswer) or answer string (compareAnswers) looked at at all;
   *  longer ones are refused as too large before any work. */
  maxInputChars: number;
  /** Longest cleaned answer that is parsed at all; longer ones only get the plain string
   *  and words comparisons, and are refused as too large when those differ. */
  maxAnswerChars: number;
  /** Most nodes in one parsed expression tree. */
  maxNodes: number;
  /** Deepest nesting in one expression (brackets, fractions, powers). */
  maxDepth: number;
  /** Largest exact integer (in bits) built during exact evaluation; bigger ones are
   *  refused before they are computed. */
  maxBits: number;
  /** Largest n for which n! (and n!!, binomials) is computed exactly. */
  maxFactorial: number;
  /** Random points used to compare expressions with free variables. */
  evalPoints: number;
  /** Most list / set elements compared. */
  maxListItems: number;
  /** Longest string handed to the compute engine fallback. */
  maxSymbolicChars: number;
}

export const DEFAULT_LIMITS: MathLimits = {
  timeoutMs: 1000,
  maxInputChars: 1_000_000,
  maxAnswerChars: 4000,
  maxNodes: 4000,
  maxDepth: 60,
  maxBits: 200_000,
  maxFactorial: 5000,
  evalPoints: 6,
  maxListItems: 200,
  maxSymbolicChars: 300,
};

/** Thrown when a comparison runs past its deadline; the comparison then answers false. */
export class MathTimeout extends Error {
  constructor(ms: number) {
    super(`math comparison exceeded its time limit of ${ms} ms`);
    this.name = 'MathTimeout';
  }
}

/** Thrown when an input is too large to handle safely (huge exponent, factorial, tree). */
export class MathTooLarge extends Error {
  constructor(what: string) {
    super(`refused: ${what}`);
    this.name = 'MathTooLarge';
  }
}

const now: () => number =
  typeof performance !== 'undefined' && typeof performance.now === 'function'
    ? () => performance.now()
    : () => Date.now();

/** A point in time after which work stops. `check()` is cheap; call it between steps. */
export class Deadline {
  readonly end: number;
  constructor(readonly ms: number) {
    this.end = now() + ms;
  }
  expired(): boolean {
    return now() > this.end;
  }
  check(): void {
    if (now() > this.end) throw new MathTimeout(this.ms);
  }
  /** Milliseconds left (0 once past). */
  left(): number {
    return Math.max(0, this.end - now());
  }
}
