// Stepwise verification: drives a task's StepwiseVerify protocol over any text generator. Each
// sample feeds check line 1, lets the model write its verdict line, and feeds the next line only
// while the verdict passes; after the first failing verdict the model goes on to write the fix
// and the intervention block. Samples of one attempt share requests while their logs agree.

import type { Problem, StepwiseVerify } from '../tasks/task';
import { hashString } from '../util/random';

/** One batch of continuations: result[i] holds opts.n texts continuing reqs[i]'s prompt + prefix
 *  (the prefix not included), each ending at the first of opts.stop it writes (kept), at the
 *  end-of-sequence token (dropped) or at opts.maxNewTokens; `id` (the problem id) names a request
 *  in errors. */
export type TextGenerator = (
  reqs: { prompt: string; prefix: string; id?: string }[],
  opts: { n: number; maxNewTokens: number; stop: string[]; seed: number },
) => Promise<string[][]>;

/** Most tokens of one verdict line: a bad verdict quotes the fix and the attempt's line. */
export const MAX_VERDICT_TOKENS = 96;

export interface StepwiseOptions {
  /** Samples (independent logs) per attempt. */
  n: number;
  /** Most tokens of one verdict line (e.g. MAX_VERDICT_TOKENS). */
  maxVerdictTokens: number;
  /** Most tokens of what follows the failing verdict (the intervention block). */
  maxTailTokens: number;
  /** The string that ends a verification (e.g. "</intervention>"). */
  end: string;
  seed: number;
  /** Called after each round with (samples finished, samples total). */
  onProgress?: (done: number, total: number) => void;
}

interface Log {
  item: number;
  text: string;
  line: number;
  state: 'reading' | 'tail' | 'done';
}

/** result[i][j]: log j of attempt i, everything after the protocol's header (check lines with
 *  their verdicts, then the fix and block after the first failing verdict). */
export async function runStepwiseVerify(
  gen: TextGenerator,
  fmt: StepwiseVerify,
  items: readonly { problem: Problem; steps: string[] }[],
  o: StepwiseOptions,
): Promise<string[][]> {
  if (!Number.isSafeInteger(o.n) || o.n < 1) throw new Error(`stepwise verify: n must be an integer >= 1, got ${o.n}`);
  const headers = items.map((x) => fmt.header(x.problem));
  const lines = items.map((x) => fmt.lines(x.problem, x.steps));
  const logs: Log[] = items.flatMap((_, item) => Array.from({ length: o.n }, (): Log => ({ item, text: '', line: 0, state: 'reading' })));
  for (const l of logs) if (lines[l.item].length === 0) l.state = 'done';
  const progress = () => o.onProgress?.(logs.filter((l) => l.state === 'done').length, logs.length);
  for (let round = 0; logs.some((l) => l.state === 'reading'); round++) {
    // Logs of one attempt that still agree share one request of several samples.
    const groups = new Map<string, Log[]>();
    for (const l of logs) {
      if (l.state !== 'reading') continue;
      l.text += lines[l.item][l.line] + fmt.lineEnd;
      const key = `${l.item}\u0000${l.text}`;
      const g = groups.get(key);
      if (g) g.push(l);
      else groups.set(key, [l]);
    }
    // One call per group size keeps the generator's n uniform.
    const bySize = new Map<number, Log[][]>();
    for (const g of groups.values()) {
      const same = bySize.get(g.length);
      if (same) same.push(g);
      else bySize.set(g.length, [g]);
    }
    for (const [size, gs] of bySize) {
      const out = await gen(
        gs.map((g) => ({ id: items[g[0].item].problem.id, prompt: headers[g[0].item], prefix: g[0].text })),
        { n: size, maxNewTokens: o.maxVerdictTokens, stop: ['\n', o.end], seed: hashString(`${o.seed}:verdict:${round}:${size}`) % 2147483647 },
      );
      gs.forEach((g, gi) =>
        g.forEach((l, j) => {
          const v = out[gi][j];
          l.text += v;
          if (!v.endsWith('\n')) l.state = 'done'; // the end string, end of sequence or the token cap
          else if (!fmt.passes(v.slice(0, -1))) l.state = 'tail';
          else if (++l.line >= lines[l.item].length) {
            l.text = l.text.slice(0, -1); // every line passed: the log ends with the last verdict
            l.state = 'done';
          }
        }),
      );
    }
    progress();
  }
  const tails = logs.filter((l) => l.state === 'tail');
  if (tails.length) {
    const out = await gen(
      tails.map((l) => ({ id: items[l.item].problem.id, prompt: headers[l.item], prefix: l.text })),
      { n: 1, maxNewTokens: o.maxTailTokens, stop: [o.end], seed: hashString(`${o.seed}:tail`) % 2147483647 },
    );
    tails.forEach((l, i) => {
      l.text += out[i][0];
      l.state = 'done';
    });
    progress();
  }
  return items.map((_, i) => logs.filter((l) => l.item === i).map((l) => l.text));
}
