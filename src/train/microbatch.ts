// Packing of sequences into micro-batches under a padded-token budget (rows x longest row),
// in a stable order, with a clear error when one sequence alone does not fit.

export interface MicroBatch {
  /** Indices into the packed list, in packing order. */
  indices: number[];
  /** Rows (sequences) in the micro-batch. */
  rows: number;
  /** Longest row; every row is padded to it. */
  maxLength: number;
  /** rows x maxLength: what the forward and backward pass really process. */
  paddedTokens: number;
  /** Sum of the real lengths (paddedTokens minus padding). */
  tokens: number;
}

export interface PackOptions {
  /** 'input' (default): keep the given order. 'length': longest first (ties in input order),
   *  which wastes less padding; the loss is the same either way (see objectives.ts). */
  order?: 'input' | 'length';
  /** At most this many rows per micro-batch. Default unlimited. */
  maxRows?: number;
  /** Config field named in errors. Default "microBatchTokens". */
  budgetName?: string;
}

/** Split sequences of the given lengths (tokens a row occupies: prompt + completion) into
 *  micro-batches whose padded size rows x maxLength stays within `tokenBudget`. Greedy: a
 *  sequence joins the current micro-batch while the padded size fits, else opens the next.
 *  Throws when a single sequence is longer than the budget, naming it and the fix. */
export function packMicroBatches(lengths: ArrayLike<number>, tokenBudget: number, opts: PackOptions = {}): MicroBatch[] {
  const name = opts.budgetName ?? 'microBatchTokens';
  const maxRows = opts.maxRows ?? Infinity;
  if (!Number.isSafeInteger(tokenBudget) || tokenBudget < 1) {
    throw new Error(`${name} (${tokenBudget}) must be an integer >= 1; e.g. 4096`);
  }
  if (!(maxRows >= 1)) throw new Error(`maxRows (${maxRows}) must be >= 1; leave it out for no limit`);
  const n = lengths.length;
  for (let i = 0; i < n; i++) {
    const L = lengths[i];
    if (!Number.isSafeInteger(L) || L < 0) throw new Error(`sequence ${i} has length ${L}; lengths must be integers >= 0`);
    if (L > tokenBudget) {
      throw new Error(
        `sequence ${i} is ${L} tokens long but ${name} is ${tokenBudget}, so it fits in no micro-batch: ` +
          `raise ${name} to at least ${L}, or make it shorter (lower maxCompletionLength, or drop or truncate long prompts)`,
      );
    }
  }
  const order = Array.from({ length: n }, (_, i) => i);
  if (opts.order === 'length') order.sort((a, b) => lengths[b] - lengths[a] || a - b);
  else if (opts.order !== undefined && opts.order !== 'input') {
    throw new Error(`order (${JSON.stringify(opts.order)}) must be "input" or "length"`);
  }
  const out: MicroBatch[] = [];
  let cur: number[] = [];
  let curMax = 0;
  let curTokens = 0;
  const flush = () => {
    if (cur.length === 0) return;
    out.push({ indices: cur, rows: cur.length, maxLength: curMax, paddedTokens: cur.length * curMax, tokens: curTokens });
    cur = [];
    curMax = 0;
    curTokens = 0;
  };
  for (const i of order) {
    const L = lengths[i];
    const m = Math.max(curMax, L);
    if (cur.length > 0 && ((cur.length + 1) * m > tokenBudget || cur.length + 1 > maxRows)) flush();
    cur.push(i);
    curMax = Math.max(curMax, L);
    curTokens += L;
  }
  flush();
  return out;
}

/** The items of each micro-batch, e.g. `splitInto(seqs, packMicroBatches(lengths, budget))`. */
export function splitInto<T>(items: readonly T[], microBatches: readonly MicroBatch[]): T[][] {
  return microBatches.map((mb) => mb.indices.map((i) => items[i]));
}
