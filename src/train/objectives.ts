// Training objectives as a table keyed by name (sft, grpo, dr_grpo, dapo). Each turns per-token
// log-probs into a scalar loss and its gradient dL/dlogp (the model's backward input); the
// loss normalisation uses effective-batch totals so micro-batch gradients sum to the full-batch gradient.

import { drGrpoNormaliser, type GrpoConfig, type SftConfig } from './config';

/** A per-token array: f32 from the model, f64 accepted (tests, reference checks). */
export type Vec = Float32Array | Float64Array;

/** One sampled (or SFT) sequence, seen through its completion tokens. Every per-token array
 *  has the same length T (the completion tokens, padding included); `mask` says which count. */
export interface TrainSequence {
  /** log p(token) under the current policy, at the sampling temperature. */
  logp: Vec; // (T,)
  /** log p(token) stored at generation time (the "old" policy of the clipped ratio). GRPO family. */
  oldLogp?: Vec; // (T,)
  /** log p(token) under the reference model (same weights with LoRA off). Needed when beta > 0. */
  refLogp?: Vec; // (T,)
  /** Entropy of the policy's next-token distribution. Needed when entropyCoef > 0; logged when present. */
  entropy?: Vec; // (T,)
  /** 1 for completion tokens that count, 0 for the rest (padding, tokens after EOS). */
  mask: Vec | Uint8Array; // (T,)
  /** SFT only: loss weight of each counted token (finite, >= 0; default 1). The loss is then the
   *  weighted mean sum(w_t * -logp_t) / sum(w_t) over the effective batch, so a few decisive tokens
   *  (e.g. a verdict) can count as much as many routine ones. */
  weight?: Vec; // (T,)
  /** Outcome reward (GRPO family). */
  reward?: number;
  /** Group id: sequences sampled from the same prompt share it. */
  group?: number | string;
  /** The completion hit maxCompletionLength before EOS. */
  truncated?: boolean;
  /** Advantage, set by assignAdvantages over the effective batch (GRPO family). */
  advantage?: number;
}

/** A micro-batch (or the whole effective batch) of sequences. */
export type Batch = readonly TrainSequence[];

export type ObjectiveName = 'sft' | 'grpo' | 'dr_grpo' | 'dapo';

/** How an objective divides the summed per-token losses:
 *  'token': by the counted tokens of the effective batch (sft, dapo);
 *  'sequence': each sequence by its own counted tokens, then by the effective batch's sequences (grpo);
 *  'constant': by a fixed token count x the effective batch's sequences (dr_grpo). */
export type Normalisation = 'token' | 'sequence' | 'constant';

/** Totals over the EFFECTIVE batch (all micro-batches of one optimiser step). Pass the same
 *  context to every micro-batch: their losses then sum to the full-batch loss and their
 *  gradients to the full-batch gradient, whatever the split. */
export interface ObjectiveContext {
  /** Counted tokens (mask = 1, truncated sequences excluded when masked) in the effective batch;
   *  with SFT loss weights, the sum of their weights. */
  totalTokens: number;
  /** Sequences in the effective batch. */
  totalSequences: number;
}

export interface ObjectiveStats {
  /** Counted tokens in this micro-batch (the weight for averaging the token means below). */
  tokens: number;
  /** Sequences in this micro-batch. */
  sequences: number;
  /** Fraction of counted tokens with ratio < 1 - epsilonLow and advantage < 0 (no gradient). */
  clip_ratio_low: number;
  /** Fraction of counted tokens with ratio > 1 + epsilonHigh and advantage > 0 (no gradient). */
  clip_ratio_high: number;
  /** Fraction of counted tokens clipped either way. */
  clip_ratio_region: number;
  /** Token mean of the k3 KL estimate to the reference; null without refLogp. */
  kl: number | null;
  /** Token mean of the policy entropy; null without `entropy`. */
  entropy: number | null;
  /** Token mean of -logp (the SFT per-token loss; also logged for RL). */
  nll: number;
}

export interface ObjectiveResult {
  /** This micro-batch's share of the effective-batch loss (shares sum to the full loss). */
  loss: number;
  /** dL/dlogp per sequence, per token; exactly 0 where mask = 0. */
  dLogp: Float32Array[]; // N x (T_i,)
  /** dL/dentropy per sequence, per token; only when entropyCoef > 0. */
  dEntropy?: Float32Array[]; // N x (T_i,)
  stats: ObjectiveStats;
  /** True when the step must be skipped (non-finite inputs, empty batch, overflow); then loss
   *  is 0, every gradient is 0 and `reason` says what was wrong. */
  skip: boolean;
  reason?: string;
}

/** Any config an objective accepts: SFT reads none of its fields; the GRPO family reads the clip,
 *  KL, entropy, normaliser and truncation settings. */
export type ObjectiveConfig = SftConfig | GrpoConfig;

export interface Objective {
  readonly name: ObjectiveName;
  readonly normalisation: Normalisation;
  /** One line: what the loss is. */
  readonly description: string;
  /** Totals of the effective batch: call once on all its sequences, before splitting. */
  context(seqs: Batch, cfg: ObjectiveConfig): ObjectiveContext;
  /** Loss and dL/dlogp of `batch`. Without `ctx`, `batch` is taken to be the whole effective batch. */
  compute(batch: Batch, cfg: ObjectiveConfig, ctx?: ObjectiveContext): ObjectiveResult;
}

interface Spec {
  name: ObjectiveName;
  normalisation: Normalisation;
  description: string;
  /** Policy-gradient objective (needs oldLogp and advantage). */
  pg: boolean;
  /** Weight of each counted token of a sequence with `n` counted tokens. */
  weight(n: number, ctx: ObjectiveContext, cfg: ObjectiveConfig): number;
}

function pgConfig(name: ObjectiveName, cfg: ObjectiveConfig): GrpoConfig {
  if (cfg.kind !== 'grpo') {
    throw new Error(`objective "${name}" needs a GRPO config (epsilons, beta, ...): build one with validateGrpoConfig({ lossType: "${name}" })`);
  }
  return cfg;
}

/** Whether a sequence is left out of the loss entirely (truncated + maskTruncatedCompletions). */
function dropped(seq: TrainSequence, cfg: ObjectiveConfig): boolean {
  return cfg.kind === 'grpo' && cfg.maskTruncatedCompletions && seq.truncated === true;
}

function countedTokens(seq: TrainSequence, cfg: ObjectiveConfig): number {
  if (dropped(seq, cfg)) return 0;
  let n = 0;
  for (let t = 0; t < seq.mask.length; t++) if (seq.mask[t] !== 0) n += seq.weight ? seq.weight[t] : 1;
  return n;
}

function contextOf(seqs: Batch, cfg: ObjectiveConfig): ObjectiveContext {
  let totalTokens = 0;
  for (const s of seqs) totalTokens += countedTokens(s, cfg);
  return { totalTokens, totalSequences: seqs.length };
}

/** Structural problems are bugs in the caller: throw with the fix. */
function checkStructure(spec: Spec, batch: Batch, cfg: ObjectiveConfig): void {
  const pg = spec.pg ? pgConfig(spec.name, cfg) : null;
  batch.forEach((s, i) => {
    const T = s.logp?.length;
    const where = `${spec.name}: sequence ${i}`;
    if (!s.logp || !s.mask) throw new Error(`${where} needs logp and mask arrays (one entry per completion token)`);
    const same = (what: string, a: ArrayLike<number> | undefined, fix: string) => {
      if (a === undefined) throw new Error(`${where} has no ${what}: ${fix}`);
      if (a.length !== T) throw new Error(`${where}: ${what} has ${a.length} entries but logp has ${T}; give one entry per completion token`);
    };
    same('mask', s.mask, 'set 1 for counted completion tokens, 0 for padding');
    for (let t = 0; t < T; t++) {
      if (s.mask[t] !== 0 && s.mask[t] !== 1) throw new Error(`${where}: mask[${t}] is ${s.mask[t]}; mask entries must be 0 or 1`);
    }
    if (s.entropy) same('entropy', s.entropy, '');
    if (s.refLogp) same('refLogp', s.refLogp, '');
    if (s.weight) {
      if (pg) throw new Error(`${where} has per-token loss weights, which only the sft objective uses; drop seq.weight for ${spec.name}`);
      same('weight', s.weight, 'give one loss weight per completion token');
      for (let t = 0; t < T; t++) {
        if (!(Number.isFinite(s.weight[t]) && s.weight[t] >= 0)) throw new Error(`${where}: weight[${t}] is ${s.weight[t]}; loss weights must be finite and >= 0`);
      }
    }
    if (!pg) return;
    same('oldLogp', s.oldLogp, 'store the sampling log-probs at generation time (on the first pass they equal logp)');
    if (typeof s.advantage !== 'number') {
      throw new Error(`${where} has no advantage: call assignAdvantages on the whole effective batch before splitting it into micro-batches`);
    }
    if (pg.beta > 0) same('refLogp', s.refLogp, 'beta > 0 needs the reference log-probs (run the model with LoRA off), or set beta to 0');
    if (pg.entropyCoef > 0) same('entropy', s.entropy, 'entropyCoef > 0 needs per-token entropies from the model, or set entropyCoef to 0');
  });
}

/** Numerical problems come from the data or the model: return a reason to skip the step. */
function findNonFinite(spec: Spec, batch: Batch, cfg: ObjectiveConfig): string | null {
  for (let i = 0; i < batch.length; i++) {
    const s = batch[i];
    if (dropped(s, cfg)) continue;
    if (spec.pg && !Number.isFinite(s.advantage)) return `advantage of sequence ${i} is ${s.advantage} (is a reward NaN or infinite?)`;
    const arrays: [string, Vec | undefined][] = [['logp', s.logp], ['oldLogp', spec.pg ? s.oldLogp : undefined], ['refLogp', s.refLogp], ['entropy', s.entropy]];
    for (const [what, a] of arrays) {
      if (!a) continue;
      for (let t = 0; t < a.length; t++) {
        if (s.mask[t] !== 0 && !Number.isFinite(a[t])) return `${what}[${t}] of sequence ${i} is ${a[t]} (the model produced a non-finite log-prob)`;
      }
    }
  }
  return null;
}

function zeroStats(tokens: number, sequences: number): ObjectiveStats {
  return { tokens, sequences, clip_ratio_low: 0, clip_ratio_high: 0, clip_ratio_region: 0, kl: null, entropy: null, nll: 0 };
}

function skipped(batch: Batch, reason: string, withEntropy: boolean): ObjectiveResult {
  const zeros = () => batch.map((s) => new Float32Array(s.logp.length));
  return { loss: 0, dLogp: zeros(), dEntropy: withEntropy ? zeros() : undefined, stats: zeroStats(0, batch.length), skip: true, reason };
}

function run(spec: Spec, batch: Batch, cfg: ObjectiveConfig, ctxIn?: ObjectiveContext): ObjectiveResult {
  checkStructure(spec, batch, cfg);
  const pg = spec.pg ? (cfg as GrpoConfig) : null;
  const entropyCoef = pg?.entropyCoef ?? 0;
  if (batch.length === 0) return skipped(batch, 'empty batch: no sequences', entropyCoef > 0);
  const own = contextOf(batch, cfg);
  const ctx = ctxIn ?? own;
  if (!(ctx.totalTokens >= own.totalTokens) || !(ctx.totalSequences >= own.totalSequences)) {
    throw new Error(
      `${spec.name}: ctx (totalTokens ${ctx.totalTokens}, totalSequences ${ctx.totalSequences}) is smaller than this micro-batch ` +
        `(${own.totalTokens} tokens, ${own.totalSequences} sequences): compute it once with OBJECTIVES.${spec.name}.context(allSequences, cfg) over the effective batch`,
    );
  }
  if (spec.normalisation === 'token' && ctx.totalTokens === 0) {
    return skipped(batch, 'no counted tokens in the effective batch (every mask or loss weight is 0)', entropyCoef > 0);
  }
  const bad = findNonFinite(spec, batch, cfg);
  if (bad) return skipped(batch, bad, entropyCoef > 0);

  const lo = pg ? 1 - pg.epsilonLow : 0;
  const hi = pg ? 1 + pg.epsilonHigh : 0;
  const beta = pg?.beta ?? 0;
  const dLogp: Float32Array[] = [];
  const dEntropy: Float32Array[] | undefined = entropyCoef > 0 ? [] : undefined;
  let loss = 0;
  let clipLow = 0, clipHigh = 0, klSum = 0, klTokens = 0, entSum = 0, entTokens = 0, nllSum = 0;
  let maxLogRatio = 0;

  for (let i = 0; i < batch.length; i++) {
    const s = batch[i];
    const T = s.logp.length;
    const g = new Float32Array(T);
    const gH = dEntropy ? new Float32Array(T) : null;
    dLogp.push(g);
    if (gH) dEntropy!.push(gH);
    const n = countedTokens(s, cfg);
    if (n === 0) continue;
    const w = spec.weight(n, ctx, cfg);
    const A = s.advantage ?? 0;
    for (let t = 0; t < T; t++) {
      if (s.mask[t] === 0) continue;
      const lp = s.logp[t];
      const wt = s.weight ? s.weight[t] : 1; // SFT loss weight (checkStructure refuses it for pg)
      nllSum -= wt * lp;
      let l = 0; // per-token loss
      let dl = 0; // d(per-token loss)/dlogp
      if (!pg) {
        l = -wt * lp;
        dl = -wt;
      } else {
        const logRatio = lp - s.oldLogp![t];
        if (Math.abs(logRatio) > Math.abs(maxLogRatio)) maxLogRatio = logRatio;
        if (A !== 0) {
          const r = Math.exp(logRatio);
          const rc = Math.min(Math.max(r, lo), hi);
          if (r * A <= rc * A) {
            l = -r * A; // unclipped term is the min: gradient flows
            dl = -r * A;
          } else {
            l = -rc * A; // clipped: constant in logp, no gradient
            if (A < 0) clipLow++;
            else clipHigh++;
          }
        }
        if (s.refLogp) {
          const d = s.refLogp[t] - lp;
          const k3 = Math.exp(d) - d - 1;
          klSum += k3;
          klTokens++;
          if (beta > 0) {
            l += beta * k3;
            dl += beta * (1 - Math.exp(d));
          }
        }
      }
      if (s.entropy) {
        entSum += s.entropy[t];
        entTokens++;
        if (gH) {
          l -= entropyCoef * s.entropy[t];
          gH[t] = -entropyCoef * w;
        }
      }
      loss += w * l;
      if (dl !== 0) g[t] = w * dl;
      if (!Number.isFinite(g[t])) {
        return skipped(batch, `gradient overflow at token ${t} of sequence ${i} (log-ratio logp - oldLogp = ${logRatioText(s, t)}): the policy moved too far from the sampling policy`, entropyCoef > 0);
      }
    }
  }
  if (!Number.isFinite(loss)) {
    return skipped(batch, `loss is not finite (largest log-ratio logp - oldLogp = ${maxLogRatio}): the policy moved too far from the sampling policy`, entropyCoef > 0);
  }
  const tok = own.totalTokens;
  const stats: ObjectiveStats = {
    tokens: tok,
    sequences: batch.length,
    clip_ratio_low: tok ? clipLow / tok : 0,
    clip_ratio_high: tok ? clipHigh / tok : 0,
    clip_ratio_region: tok ? (clipLow + clipHigh) / tok : 0,
    kl: klTokens ? klSum / klTokens : null,
    entropy: entTokens ? entSum / entTokens : null,
    nll: tok ? nllSum / tok : 0,
  };
  return { loss: loss + 0, dLogp, dEntropy, stats, skip: false };
}

function logRatioText(s: TrainSequence, t: number): string {
  return s.oldLogp ? String(s.logp[t] - s.oldLogp[t]) : 'n/a';
}

function objective(spec: Spec): Objective {
  return Object.freeze({
    name: spec.name,
    normalisation: spec.normalisation,
    description: spec.description,
    context: (seqs: Batch, cfg: ObjectiveConfig) => contextOf(seqs, cfg),
    compute: (batch: Batch, cfg: ObjectiveConfig, ctx?: ObjectiveContext) => run(spec, batch, cfg, ctx),
  });
}

/** The objective table. Per-token loss l_t and the weight w of each counted token:
 *  sft      l = -w_t logp (w_t = seq.weight, default 1); w = 1 / (sum of w_t over the counted tokens of the effective batch)
 *  grpo     l = -min(r A, clip(r, 1-epsL, 1+epsH) A); w = 1 / (tokens of its sequence x sequences of the effective batch)
 *  dr_grpo  same l;                                   w = 1 / (constantNormaliser x sequences of the effective batch)
 *  dapo     same l (epsH defaults to 0.28);            w = 1 / (counted tokens of the effective batch)
 *  with r = exp(logp - oldLogp); the GRPO family adds beta x k3 KL to the reference and
 *  subtracts entropyCoef x entropy per token. loss = sum of w l_t; dL/dlogp_t = w dl_t/dlogp_t. */
export const OBJECTIVES: Readonly<Record<ObjectiveName, Objective>> = Object.freeze({
  sft: objective({
    name: 'sft',
    normalisation: 'token',
    description: 'masked negative log-likelihood, mean over the counted tokens of the effective batch',
    pg: false,
    weight: (_n, ctx) => 1 / ctx.totalTokens,
  }),
  grpo: objective({
    name: 'grpo',
    normalisation: 'sequence',
    description: 'clipped-ratio policy gradient, mean over each sequence\'s tokens, then mean over sequences',
    pg: true,
    weight: (n, ctx) => 1 / (n * ctx.totalSequences),
  }),
  dr_grpo: objective({
    name: 'dr_grpo',
    normalisation: 'constant',
    description: 'clipped-ratio policy gradient, token sum over a constant length, then mean over sequences',
    pg: true,
    weight: (_n, ctx, cfg) => 1 / (drGrpoNormaliser(cfg as GrpoConfig) * ctx.totalSequences),
  }),
  dapo: objective({
    name: 'dapo',
    normalisation: 'token',
    description: 'clipped-ratio policy gradient with clip-higher, mean over all counted tokens of the effective batch',
    pg: true,
    weight: (_n, ctx) => 1 / ctx.totalTokens,
  }),
});

/** The objective a validated config asks for: 'sft' for SftConfig, cfg.lossType for GrpoConfig. */
export function objectiveFor(cfg: ObjectiveConfig): Objective {
  return OBJECTIVES[cfg.kind === 'sft' ? 'sft' : cfg.lossType];
}
