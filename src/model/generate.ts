// Batched generation with a KV cache: one prefill per distinct prompt (its keys / values copied into
// the G slots of its group), ragged prompt lengths, then one decode step per token for all slots.
// Sampling (temperature / top-k / top-p, seeded) runs on the GPU; only the sampled ids are read back.
// The slots' logits are computed and sampled in row chunks whose (rows, V) logits fit one binding.

import type { Tensor } from '../gpu';
import { sampleTokens, type SampleOptions } from '../kernels/sample';
import type { Decoder } from './decoder';
import { KVCache, type KvDtype } from './kvcache';
import { DEFAULT_MAX_NEW_TOKENS, PLAIN_SAMPLING, type SamplingConfig } from './sampling';
import { copyRows } from '../kernels/rows';

export type FinishReason = 'eos' | 'stop' | 'length';

/** Sampling (src/model/sampling.ts) with its defaults left out: PLAIN_SAMPLING (temperature 1, no
 *  top-p / top-k) and DEFAULT_MAX_NEW_TOKENS (256). */
export interface GenerateOptions extends Partial<SamplingConfig> {
  /** Seed of the sampling noise: same seed, same prompts, same options -> same output. Default 0. */
  seed?: number;
  /** Samples per prompt; they share one prefill of the prompt. Default 1. */
  groupSize?: number;
  /** Ids that end a sample (kept as its last token). Default: the model's eosIds. */
  eosIds?: number[];
  /** Strings that end a sample once its decoded completion contains one (needs `decode`). */
  stop?: string[];
  /** Detokenizer used for stop strings. */
  decode?: (ids: number[]) => string;
  /** log-prob reported per token: of softmax(logits / T) ('tempered', default) or of softmax(logits). */
  logpMode?: 'tempered' | 'untempered';
  /** Aborting throws the signal's reason (an AbortError by default) and frees the GPU memory. */
  signal?: AbortSignal;
  /** KV cache element type: 'f32' (default), 'f16' (half the memory; needs shader-f16) or 'auto' (f16 where available). */
  kvDtype?: KvDtype;
  /** Keys per chunk of the decode attention's split over the cache; default the adapter's policy (attention_decode.ts decodeSplit). */
  decodeChunk?: number;
  /** Progress callback after each decode step. */
  onStep?: (step: number, active: number) => void;
}

export interface GeneratedSample {
  /** Index of the prompt. */
  prompt: number;
  /** Index of the sample within its prompt's group. */
  sample: number;
  /** Generated ids (the eos id or the token completing a stop string included). */
  tokens: number[];
  /** Sampling log-prob of each generated token. */
  logprobs: number[];
  finishReason: FinishReason;
  /** The stop string that ended the sample (finishReason 'stop'). */
  stopString?: string;
}

/** Ragged prompts from a padded (B, T) id grid with per-row lengths (padding on the left or the right). */
export function promptsFromPadded(ids: ArrayLike<number>, B: number, T: number, lengths: ArrayLike<number>, padSide: 'left' | 'right' = 'right'): number[][] {
  if (ids.length !== B * T) throw new Error(`promptsFromPadded: ${ids.length} ids for a (${B}, ${T}) grid`);
  return Array.from({ length: B }, (_, b) => {
    const n = lengths[b];
    if (!Number.isInteger(n) || n < 1 || n > T) throw new Error(`promptsFromPadded: lengths[${b}] = ${n} must be an integer in [1, ${T}]`);
    const start = b * T + (padSide === 'left' ? T - n : 0);
    return Array.from({ length: n }, (_, t) => ids[start + t]);
  });
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('generation was aborted', 'AbortError');
}

/**
 * Generate continuations of token-id prompts. Returns prompts.length * groupSize samples, grouped by
 * prompt (sample g of prompt p at index p * groupSize + g).
 */
export async function generate(model: Decoder, prompts: number[][], opts: GenerateOptions = {}): Promise<GeneratedSample[]> {
  const { gpu, config: c } = model;
  const maxNew = opts.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
  const G = opts.groupSize ?? 1;
  const temperature = opts.temperature ?? PLAIN_SAMPLING.temperature;
  const eos = new Set(opts.eosIds ?? c.eosIds);
  const stops = (opts.stop ?? []).filter((s) => s.length > 0);
  if (!Number.isInteger(maxNew) || maxNew < 1) throw new Error(`generate: maxNewTokens must be a positive integer, got ${maxNew}`);
  if (!Number.isInteger(G) || G < 1) throw new Error(`generate: groupSize must be a positive integer, got ${G}`);
  if (!prompts.length) throw new Error('generate: no prompts');
  if (stops.length && !opts.decode) throw new Error('generate: stop strings need a decode(ids) function (the tokenizer) to detect them');
  prompts.forEach((p, i) => {
    if (!p.length) throw new Error(`generate: prompt ${i} is empty; give it at least one token (e.g. BOS)`);
    for (const id of p) if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) throw new Error(`generate: prompt ${i} has id ${id}, outside the vocabulary [0, ${c.vocabSize})`);
  });
  if (opts.signal?.aborted) throw abortError(opts.signal);

  const P = prompts.length;
  const S = P * G; // cache slots
  const lens = prompts.map((p) => p.length);
  const Tp = Math.max(...lens);
  const Hkv = c.numKvHeads;
  const cache = new KVCache(gpu, c, S, Tp + maxNew, opts.kvDtype ?? 'f32');
  const temps: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => (temps.push(t), t);
  const slotLen = (s: number) => lens[Math.floor(s / G)];
  let ids: Tensor | null = null; // (S,) u32 sampled ids, the next step's input

  try {
    // Prefill: the P distinct prompts as a right-padded (P, Tp) batch; keys / values go to all G slots.
    const ids0 = new Array<number>(P * Tp).fill(0);
    prompts.forEach((p, i) => p.forEach((id, t) => (ids0[i * Tp + t] = id)));
    const prep = model.prepareBatch({ B: P, T: Tp, ids: ids0, targets: new Array<number>(P * Tp).fill(0), lengths: lens });
    [prep.ids, prep.targets, prep.positions, prep.plan.qMap, prep.plan.kvMap, prep.plan.keyStart].forEach(keep);
    const dst: number[] = [];
    const src: number[] = [];
    for (let p = 0; p < P; p++)
      for (let t = 0; t < lens[p]; t++)
        for (let g = 0; g < G; g++) for (let h = 0; h < Hkv; h++) (dst.push(cache.row(p * G + g, h, t)), src.push((p * Tp + t) * Hkv + h));
    const R = dst.length;
    const plan = { ...prep.plan, cacheWrite: { cache, rows: R, dst: keep(gpu.upload(dst, [R], 'u32', 'prefill.dst')), src: keep(gpu.upload(src, [R], 'u32', 'prefill.src')) } };
    const onesP = c.attentionBias ? keep(gpu.upload(new Float32Array(P * Tp).fill(1), [P * Tp, 1], 'f32', 'ones')) : undefined;
    const xP = model.runLayers(prep.ids, prep.positions, plan, undefined, onesP);
    const lastRows = keep(gpu.upload(Array.from({ length: S }, (_, s) => Math.floor(s / G) * Tp + slotLen(s) - 1), [S], 'u32', 'prefill.last'));
    for (let s = 0; s < S; s++) cache.lengths[s] = slotLen(s);

    const sampleOpts = { temperature, topK: opts.topK ?? 0, topP: opts.topP ?? 1, seed: opts.seed ?? 0, logpMode: opts.logpMode };
    ids = gpu.empty([S], 'u32', 'gen.ids');
    const lp = keep(gpu.empty([S], 'f32', 'gen.logp'));
    const logpAll = keep(gpu.empty([maxNew, S], 'f32', 'gen.logpAll')); // (step, slot)
    sampleAtRows(model, ids, lp, xP, lastRows, { ...sampleOpts, step: 0 });
    xP.release();
    copyRows(gpu, logpAll, lp, { rows: 1, width: S, dstRow0: 0 });

    const tokens: number[][] = Array.from({ length: S }, () => []);
    const reason: (FinishReason | null)[] = new Array(S).fill(null);
    const stopHit: (string | undefined)[] = new Array(S);
    const maxStop = Math.max(0, ...stops.map((s) => s.length));
    const allRows = keep(gpu.upload(Array.from({ length: S }, (_, s) => s), [S], 'u32', 'gen.rows'));
    const onesS = c.attentionBias ? keep(gpu.upload(new Float32Array(S).fill(1), [S, 1], 'f32', 'ones')) : undefined;
    for (let step = 0; ; step++) {
      const got = (await gpu.read(ids!)) as Uint32Array; // the one readback per step
      let active = 0;
      for (let s = 0; s < S; s++) {
        if (reason[s]) continue;
        const id = got[s];
        tokens[s].push(id);
        if (eos.has(id)) reason[s] = 'eos';
        else if (stops.length) {
          const text = opts.decode!(tokens[s].slice(-(maxStop + 8)));
          const hit = stops.find((x) => text.includes(x));
          if (hit !== undefined) [reason[s], stopHit[s]] = ['stop', hit];
        }
        if (!reason[s] && tokens[s].length >= maxNew) reason[s] = 'length';
        if (!reason[s]) active++;
      }
      opts.onStep?.(step, active);
      if (!active) break;
      if (opts.signal?.aborted) throw abortError(opts.signal);

      // Decode step: every slot feeds its last token at position len + step.
      const pos = Array.from({ length: S }, (_, s) => slotLen(s) + step);
      const write: number[] = [];
      for (let s = 0; s < S; s++) for (let h = 0; h < Hkv; h++) write.push(cache.row(s, h, pos[s]));
      const positions = gpu.upload(pos, [S], 'u32', 'gen.positions');
      const writeIdx = gpu.upload(write, [S * Hkv], 'u32', 'gen.writeIdx');
      const kvLens = gpu.upload(pos.map((p) => p + 1), [S], 'u32', 'gen.kvLens');
      const x = model.runLayers(ids!, positions, { kind: 'decode', cache, writeIdx, kvLens, maxLen: Math.max(...pos) + 1, chunkLen: opts.decodeChunk }, undefined, onesS);
      for (let s = 0; s < S; s++) cache.lengths[s] = pos[s] + 1;
      const next = gpu.empty([S], 'u32', 'gen.ids');
      sampleAtRows(model, next, lp, x, allRows, { ...sampleOpts, step: step + 1 });
      copyRows(gpu, logpAll, lp, { rows: 1, width: S, dstRow0: step + 1 });
      [x, positions, writeIdx, kvLens, ids!].forEach((t) => t.release());
      ids = next;
    }

    const lpHost = await gpu.readF32(logpAll);
    return tokens.map((tk, s) => ({
      prompt: Math.floor(s / G),
      sample: s % G,
      tokens: tk,
      logprobs: tk.map((_, t) => lpHost[t * S + s]),
      finishReason: reason[s]!,
      ...(stopHit[s] !== undefined ? { stopString: stopHit[s] } : {}),
    }));
  } finally {
    ids?.release();
    temps.forEach((t) => t.release());
    cache.release();
  }
}

/**
 * ids (S,) and logp (S,) sampled from the logits at rows `rows` (S,) u32 of the residual stream x: in one call
 * when the (S, V) logits fit one binding, else in row chunks that do (each chunk's noise rows offset by its
 * first row, so the draws are those of one call).
 */
function sampleAtRows(model: Decoder, ids: Tensor, logp: Tensor, x: Tensor, rows: Tensor, opts: SampleOptions): void {
  const { gpu } = model;
  const S = rows.shape[0];
  const V = model.config.vocabSize;
  const maxBind = gpu.limits.maxStorageBufferBindingSize ?? 128 * 1024 * 1024;
  const per = Math.max(1, Math.floor(maxBind / (4 * V)));
  if (S <= per) {
    const logits = model.logitsAtRows(x, rows, S); // (S, V)
    sampleTokens(gpu, ids, logp, logits, opts);
    logits.release();
    return;
  }
  for (let r0 = 0; r0 < S; r0 += per) {
    const n = Math.min(per, S - r0);
    const part = gpu.empty([n], 'u32', 'gen.rows.chunk');
    copyRows(gpu, part, rows, { rows: n, width: 1, srcRow0: r0 });
    const logits = model.logitsAtRows(x, part, n); // (n, V)
    const [ci, cl] = [gpu.empty([n], 'u32', 'gen.ids.chunk'), gpu.empty([n], 'f32', 'gen.logp.chunk')];
    sampleTokens(gpu, ci, cl, logits, { ...opts, row0: r0 });
    copyRows(gpu, ids, ci, { rows: n, width: 1, dstRow0: r0 });
    copyRows(gpu, logp, cl, { rows: n, width: 1, dstRow0: r0 });
    [part, logits, ci, cl].forEach((t) => t.release());
  }
}
