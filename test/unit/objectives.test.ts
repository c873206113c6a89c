// Objectives table and advantages: finite-difference gradient checks (float64), clipping on
// hand-made ratios, exact zero gradient for equal-reward groups, micro-batch accumulation
// invariance, multiple passes, KL, and bad-input handling.
import { describe, expect, it } from 'vitest';
import { assignAdvantages, computeAdvantages } from '../../src/train/advantages';
import { validateGrpoConfig, validateSftConfig, type GrpoConfigInput } from '../../src/train/config';
import { packMicroBatches, splitInto } from '../../src/train/microbatch';
import {
  OBJECTIVES,
  objectiveFor,
  type ObjectiveConfig,
  type ObjectiveName,
  type TrainSequence,
} from '../../src/train/objectives';
import { uniformStream as rng } from '../../src/util/random';


const EPS_LOW = 0.2;
const EPS_HIGH = 0.28;
/** Log-ratios this close to a clip boundary are moved away (the loss has a kink there). */
function awayFromKinks(d: number): number {
  for (const b of [Math.log(1 - EPS_LOW), Math.log(1 + EPS_LOW), Math.log(1 + EPS_HIGH)]) {
    if (Math.abs(d - b) < 1e-3) return b + 2e-3;
  }
  return d;
}

interface MakeOpts {
  seed?: number;
  lengths?: number[];
  ref?: boolean;
  entropy?: boolean;
}

/** Float64 sequences with masks (trailing padding and a hole), log-ratios spread across both
 *  clip boundaries, and advantages of both signs and zero. */
function makeBatch({ seed = 1, lengths = [5, 9, 3, 7, 12, 1, 6, 4], ref = false, entropy = false }: MakeOpts = {}): TrainSequence[] {
  const r = rng(seed);
  return lengths.map((n, i) => {
    const T = n + 2; // two padding tokens
    const logp = new Float64Array(T);
    const oldLogp = new Float64Array(T);
    const refLogp = new Float64Array(T);
    const ent = new Float64Array(T);
    const mask = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      oldLogp[t] = -0.05 - 3 * r();
      logp[t] = oldLogp[t] + awayFromKinks(-0.6 + 1.2 * r());
      refLogp[t] = logp[t] + (-0.5 + r());
      ent[t] = 2 * r();
      mask[t] = t < n && !(n > 4 && t === 2) ? 1 : 0;
    }
    const advantage = [0.75, -0.5, 0, 1.25, -1, 0.3, -0.2, 0.6][i % 8];
    return {
      logp, oldLogp, mask, advantage, reward: advantage, group: i % 3, truncated: i === 4,
      ...(ref ? { refLogp } : {}), ...(entropy ? { entropy: ent } : {}),
    };
  });
}

function cfgFor(name: ObjectiveName, extra: GrpoConfigInput = {}): ObjectiveConfig {
  if (name === 'sft') return validateSftConfig({});
  return validateGrpoConfig({ lossType: name, epsilonLow: EPS_LOW, epsilonHigh: name === 'dapo' ? EPS_HIGH : EPS_LOW, maxCompletionLength: 16, ...extra });
}

function withLogp(batch: TrainSequence[], i: number, t: number, v: number): TrainSequence[] {
  return batch.map((s, j) => {
    if (j !== i) return s;
    const logp = Float64Array.from(s.logp);
    logp[t] = v;
    return { ...s, logp };
  });
}

const NAMES: ObjectiveName[] = ['sft', 'grpo', 'dr_grpo', 'dapo'];

describe('objective gradients match central finite differences (float64)', () => {
  const h = 1e-6;
  for (const name of NAMES) {
    for (const beta of name === 'sft' ? [0] : [0, 0.1]) {
      it(`${name}${beta ? ' with k3 KL' : ''}: dLogp = d loss / d logp for every token`, () => {
        const batch = makeBatch({ seed: 7, ref: beta > 0 });
        const cfg = cfgFor(name, { beta });
        const obj = OBJECTIVES[name];
        const res = obj.compute(batch, cfg);
        expect(res.skip).toBe(false);
        let checked = 0;
        let nonzero = 0;
        batch.forEach((s, i) => {
          for (let t = 0; t < s.logp.length; t++) {
            const up = obj.compute(withLogp(batch, i, t, s.logp[t] + h), cfg).loss;
            const dn = obj.compute(withLogp(batch, i, t, s.logp[t] - h), cfg).loss;
            const fd = (up - dn) / (2 * h);
            const g = res.dLogp[i][t];
            expect(Math.abs(fd - g)).toBeLessThan(1e-7 + 1e-5 * Math.abs(fd));
            if (s.mask[t] === 0) expect(Object.is(g, 0)).toBe(true);
            if (g !== 0) nonzero++;
            checked++;
          }
        });
        expect(checked).toBeGreaterThan(50);
        expect(nonzero).toBeGreaterThan(20);
      });
    }
  }

  it('entropy bonus: dEntropy matches finite differences and the loss drops by coef x entropy', () => {
    const batch = makeBatch({ seed: 3, entropy: true });
    const cfg = cfgFor('grpo', { entropyCoef: 0.01 });
    const plain = OBJECTIVES.grpo.compute(batch, cfgFor('grpo'));
    const res = OBJECTIVES.grpo.compute(batch, cfg);
    expect(res.dEntropy).toBeDefined();
    expect(plain.dEntropy).toBeUndefined();
    expect(res.loss).toBeLessThan(plain.loss);
    batch.forEach((s, i) => {
      for (let t = 0; t < s.logp.length; t++) {
        const shifted = (d: number) =>
          batch.map((x, j) => {
            if (j !== i) return x;
            const entropy = Float64Array.from(x.entropy!);
            entropy[t] += d;
            return { ...x, entropy };
          });
        const fd = (OBJECTIVES.grpo.compute(shifted(1e-6), cfg).loss - OBJECTIVES.grpo.compute(shifted(-1e-6), cfg).loss) / 2e-6;
        expect(Math.abs(fd - res.dEntropy![i][t])).toBeLessThan(1e-8 + 1e-5 * Math.abs(fd));
      }
    });
  });
});

describe('loss values and normalisation', () => {
  const seqs = (): TrainSequence[] => [
    { logp: new Float64Array([-1, -2, -9]), oldLogp: new Float64Array([-1, -2, -9]), mask: new Uint8Array([1, 1, 0]), advantage: 1 },
    { logp: new Float64Array([-0.5, -0.5, -0.5, -0.5]), oldLogp: new Float64Array([-0.5, -0.5, -0.5, -0.5]), mask: new Uint8Array([1, 1, 1, 1]), advantage: -1 },
  ];

  it('sft is the mean negative log-likelihood over all counted tokens of the batch', () => {
    const r = OBJECTIVES.sft.compute(seqs(), validateSftConfig());
    expect(r.loss).toBeCloseTo((1 + 2 + 4 * 0.5) / 6, 12);
    expect(r.dLogp[0][0]).toBeCloseTo(-1 / 6, 7);
    expect(r.dLogp[1][3]).toBeCloseTo(-1 / 6, 7);
    expect(r.dLogp[0][2]).toBe(0);
    expect(r.stats.nll).toBeCloseTo(5 / 6, 12);
    expect(OBJECTIVES.sft.normalisation).toBe('token');
  });

  it('sft with loss weights is the weighted mean NLL; its gradient matches finite differences', () => {
    const w = [new Float64Array([3, 0.5, 7]), new Float64Array([1, 0, 2, 1])];
    const batch = seqs().map((s, i) => ({ ...s, weight: w[i] }));
    const r = OBJECTIVES.sft.compute(batch, validateSftConfig());
    const total = 3 + 0.5 + 1 + 0 + 2 + 1; // the padding token (mask 0) does not count, whatever its weight
    expect(r.loss).toBeCloseTo((3 * 1 + 0.5 * 2 + (1 + 0 + 2 + 1) * 0.5) / total, 12);
    expect(r.stats.nll).toBeCloseTo(r.loss, 12);
    expect(r.dLogp[0][0]).toBeCloseTo(-3 / total, 7);
    expect(r.dLogp[1][1]).toBe(0);
    expect(r.dLogp[0][2]).toBe(0);
    const h = 1e-6;
    batch.forEach((s, i) => {
      for (let t = 0; t < s.logp.length; t++) {
        const up = OBJECTIVES.sft.compute(withLogp(batch, i, t, s.logp[t] + h), validateSftConfig()).loss;
        const dn = OBJECTIVES.sft.compute(withLogp(batch, i, t, s.logp[t] - h), validateSftConfig()).loss;
        expect(Math.abs((up - dn) / (2 * h) - r.dLogp[i][t])).toBeLessThan(1e-7);
      }
    });
    // All weights 1 is the plain mean.
    const ones = seqs().map((s) => ({ ...s, weight: new Float64Array(s.logp.length).fill(1) }));
    expect(OBJECTIVES.sft.compute(ones, validateSftConfig()).loss).toBeCloseTo((1 + 2 + 4 * 0.5) / 6, 12);
  });

  it('on-policy (ratio 1): grpo weighs each sequence equally, dapo each token, dr_grpo by the constant', () => {
    const b = seqs();
    const grpo = OBJECTIVES.grpo.compute(b, cfgFor('grpo'));
    expect(grpo.loss).toBeCloseTo(0, 12); // (-1 + 1) / 2
    expect(grpo.dLogp[0][0]).toBeCloseTo(-1 / (2 * 2), 7);
    expect(grpo.dLogp[1][0]).toBeCloseTo(1 / (4 * 2), 7);
    const dapo = OBJECTIVES.dapo.compute(b, cfgFor('dapo'));
    expect(dapo.loss).toBeCloseTo((-2 + 4) / 6, 12);
    expect(dapo.dLogp[0][0]).toBeCloseTo(-1 / 6, 7);
    expect(dapo.dLogp[1][0]).toBeCloseTo(1 / 6, 7);
    const dr = OBJECTIVES.dr_grpo.compute(b, cfgFor('dr_grpo', { maxCompletionLength: 10 }));
    expect(dr.loss).toBeCloseTo((-2 + 4) / (10 * 2), 12);
    expect(dr.dLogp[1][2]).toBeCloseTo(1 / 20, 7);
    const dr2 = OBJECTIVES.dr_grpo.compute(b, cfgFor('dr_grpo', { maxCompletionLength: 10, constantNormaliser: 5 }));
    expect(dr2.dLogp[1][2]).toBeCloseTo(1 / 10, 7);
    for (const r of [grpo, dapo, dr]) expect(r.stats.clip_ratio_region).toBe(0);
  });

  it('k3 KL: stat is the token mean of exp(d) - d - 1 with d = ref - logp; beta adds beta x k3 to the loss', () => {
    const d = [0.3, -0.2, 0.1];
    const logp = new Float64Array([-1, -1.5, -0.7]);
    const s: TrainSequence = { logp, oldLogp: logp, refLogp: logp.map((x, i) => x + d[i]), mask: new Uint8Array([1, 1, 1]), advantage: 0 };
    const k3 = d.map((x) => Math.exp(x) - x - 1);
    const meanK3 = k3.reduce((a, b) => a + b) / 3;
    const off = OBJECTIVES.grpo.compute([s], cfgFor('grpo'));
    expect(off.stats.kl).toBeCloseTo(meanK3, 12);
    expect(off.loss).toBe(0); // beta 0: KL is logged, not trained
    expect(off.dLogp[0].every((x) => x === 0)).toBe(true);
    const on = OBJECTIVES.grpo.compute([s], cfgFor('grpo', { beta: 0.5 }));
    expect(on.loss).toBeCloseTo(0.5 * meanK3, 12);
    expect(on.dLogp[0][0]).toBeCloseTo((0.5 * (1 - Math.exp(0.3))) / 3, 7);
    expect(OBJECTIVES.grpo.compute([{ ...s, refLogp: undefined }], cfgFor('grpo')).stats.kl).toBeNull();
  });
});

describe('clipping on hand-made ratios', () => {
  // One token per sequence: (ratio, advantage).
  const cases: [number, number][] = [
    [1.5, 1], // above 1 + eps, A > 0: clipped high, no gradient
    [0.5, -1], // below 1 - eps, A < 0: clipped low, no gradient
    [0.5, 1], // below, A > 0: unclipped (pessimistic min keeps the gradient)
    [1.5, -1], // above, A < 0: unclipped
    [1.25, 1], // above 1.2 but below 1.28: clipped under grpo, not under dapo
    [1.1, -1], // inside: unclipped
    [0.7, 0], // A = 0: nothing
    [1.4, 2], // clipped high
  ];
  const batch: TrainSequence[] = cases.map(([r, a]) => ({
    logp: new Float64Array([Math.log(r) - 1]), oldLogp: new Float64Array([-1]), mask: new Uint8Array([1]), advantage: a,
  }));

  it('grpo (eps 0.2 both sides): counts and zero gradients', () => {
    const res = OBJECTIVES.grpo.compute(batch, cfgFor('grpo'));
    expect(res.stats.clip_ratio_low).toBeCloseTo(1 / 8, 12);
    expect(res.stats.clip_ratio_high).toBeCloseTo(3 / 8, 12);
    expect(res.stats.clip_ratio_region).toBeCloseTo(4 / 8, 12);
    const g = res.dLogp.map((x) => x[0]);
    for (const i of [0, 1, 4, 6, 7]) expect(g[i]).toBe(0);
    // unclipped: dL/dlogp = -A r / (n S) with n = 1, S = 8
    expect(g[2]).toBeCloseTo(-0.5 / 8, 7);
    expect(g[3]).toBeCloseTo(1.5 / 8, 7);
    expect(g[5]).toBeCloseTo(1.1 / 8, 7);
    // loss of a clipped token uses the clipped ratio: -(1 + eps) A
    expect(res.loss).toBeCloseTo((-1.2 + 0.8 - 0.5 + 1.5 - 1.2 + 1.1 + 0 - 2.4) / 8, 12);
  });

  it('dapo (0.2 / 0.28): a ratio of 1.25 with A > 0 is no longer clipped', () => {
    const res = OBJECTIVES.dapo.compute(batch, cfgFor('dapo'));
    expect(res.stats.clip_ratio_low).toBeCloseTo(1 / 8, 12);
    expect(res.stats.clip_ratio_high).toBeCloseTo(2 / 8, 12);
    expect(res.dLogp[4][0]).toBeCloseTo(-1.25 / 8, 7);
    expect(res.dLogp[7][0]).toBe(0);
  });
});

describe('advantages', () => {
  it('reward minus group mean by default; groups need not be contiguous', () => {
    const r = computeAdvantages([1, 0, 0, 1, 1, 0], ['a', 'b', 'a', 'b', 'a', 'b']);
    expect(Array.from(r.advantages).map((x) => +x.toFixed(12))).toEqual([1 / 3, -1 / 3, -2 / 3, 2 / 3, 1 / 3, -1 / 3].map((x) => +x.toFixed(12)));
    expect(r.numGroups).toBe(2);
    expect(r.rewardMean).toBe(0.5);
    expect(r.fracRewardZeroStd).toBe(0);
  });

  it('group and batch scaling divide by the sample std plus stdEps', () => {
    const rewards = [1, 0, 0, 0, 3, 3, 5, 5];
    const groups = [0, 0, 0, 0, 1, 1, 1, 1];
    const g = computeAdvantages(rewards, groups, { scaleRewards: 'group', stdEps: 1e-4 });
    const std0 = Math.sqrt((0.75 ** 2 + 3 * 0.25 ** 2) / 3);
    expect(g.advantages[0]).toBeCloseTo(0.75 / (std0 + 1e-4), 12);
    expect(g.groupStd[5]).toBeCloseTo(Math.sqrt(4 / 3), 12);
    const b = computeAdvantages(rewards, groups, { scaleRewards: 'batch' });
    const m = rewards.reduce((a, x) => a + x) / 8;
    const bstd = Math.sqrt(rewards.reduce((a, x) => a + (x - m) ** 2, 0) / 7);
    expect(b.batchStd).toBeCloseTo(bstd, 12);
    expect(b.advantages[6]).toBeCloseTo(1 / (bstd + 1e-4), 12);
    expect(b.rewardStd).toBeCloseTo((std0 + Math.sqrt(4 / 3)) / 2, 12);
  });

  for (const scaleRewards of ['none', 'group', 'batch'] as const) {
    it(`equal-reward groups give exactly zero advantage and exactly zero policy gradient (scale ${scaleRewards})`, () => {
      // 0.1 x 3 / 3 is not 0.1 in floating point: the zero must not come from the subtraction.
      const batch = makeBatch({ seed: 11, lengths: [6, 4, 5, 3, 7, 2, 8, 3] });
      const rewards = [0.1, 0.1, 0.1, 1, 1, 0, 1, 0];
      const groups = [0, 0, 0, 1, 1, 2, 2, 3];
      batch.forEach((s, i) => ((s.reward = rewards[i]), (s.group = groups[i]), (s.truncated = false)));
      const adv = assignAdvantages(batch, { scaleRewards });
      expect(adv.fracRewardZeroStd).toBeCloseTo(6 / 8, 12);
      for (const i of [0, 1, 2, 3, 4, 7]) expect(Object.is(batch[i].advantage, 0)).toBe(true);
      expect(batch[5].advantage).not.toBe(0);
      for (const name of ['grpo', 'dr_grpo', 'dapo'] as const) {
        const res = OBJECTIVES[name].compute(batch, cfgFor(name));
        for (const i of [0, 1, 2, 3, 4, 7]) for (const x of res.dLogp[i]) expect(Object.is(x, 0)).toBe(true);
        expect(res.dLogp[5].some((x) => x !== 0)).toBe(true);
        const zeroOnly = OBJECTIVES[name].compute([0, 1, 2, 3, 4, 7].map((i) => batch[i]), cfgFor(name));
        expect(Object.is(zeroOnly.loss, 0)).toBe(true);
      }
    });
  }

  it('a NaN reward skips the step with the sequence named; missing rewards throw', () => {
    const r = computeAdvantages([1, NaN, 0], [0, 0, 0]);
    expect(r.skip).toBe(true);
    expect(r.reason).toMatch(/sequence 1/);
    expect(Array.from(r.advantages)).toEqual([0, 0, 0]);
    expect(computeAdvantages([], []).skip).toBe(true);
    expect(() => assignAdvantages([{ group: 0 }])).toThrow(/no reward/);
    expect(() => computeAdvantages([1, 2], [0])).toThrow(/one group id per sequence/);
  });
});

describe('gradient accumulation invariance', () => {
  for (const name of NAMES) {
    it(`${name}: micro-batch 1 x accumulation 8 equals micro-batch 8 x accumulation 1`, () => {
      const batch = makeBatch({ seed: 5, ref: true });
      const cfg = cfgFor(name, { beta: 0.05, maskTruncatedCompletions: true });
      const obj = OBJECTIVES[name];
      const full = obj.compute(batch, cfg);
      const ctx = obj.context(batch, cfg);
      const parts = batch.map((s) => obj.compute([s], cfg, ctx));
      // Each token's gradient comes from exactly one micro-batch: scatter and sum.
      batch.forEach((s, i) => {
        const summed = new Float32Array(s.logp.length);
        parts.forEach((p, j) => j === i && p.dLogp[0].forEach((x, t) => (summed[t] += x)));
        expect(Array.from(summed)).toEqual(Array.from(full.dLogp[i]));
      });
      expect(parts.reduce((a, p) => a + p.loss, 0)).toBeCloseTo(full.loss, 12);
      // The same with an uneven split from the packer.
      const mbs = packMicroBatches(batch.map((s) => s.logp.length), 24);
      expect(mbs.length).toBeGreaterThan(2);
      const uneven = splitInto(batch, mbs).map((b) => obj.compute(b, cfg, ctx));
      mbs.forEach((mb, k) => mb.indices.forEach((i, r) => expect(Array.from(uneven[k].dLogp[r])).toEqual(Array.from(full.dLogp[i]))));
      expect(uneven.reduce((a, p) => a + p.loss, 0)).toBeCloseTo(full.loss, 12);
      // Without the effective-batch context the micro-batches would normalise differently.
      const naive = batch.map((s) => obj.compute([s], cfg));
      expect(naive.some((p, i) => Array.from(p.dLogp[0]).some((x, t) => Math.abs(x - full.dLogp[i][t]) > 1e-6))).toBe(true);
    });
  }

  it('through a toy model: summed parameter gradients of 8 micro-batches equal the full batch', () => {
    // logp_t = theta[tok_t] - logsumexp(theta), one shared logit vector; dtheta = sum_t dLogp_t (onehot - softmax).
    const theta = [0.3, -0.2, 0.9, 0.1];
    const lse = Math.log(theta.reduce((a, x) => a + Math.exp(x), 0));
    const soft = theta.map((x) => Math.exp(x - lse));
    const r = rng(9);
    const batch: TrainSequence[] = [3, 6, 2, 8, 5, 1, 7, 4].map((n, i) => {
      const toks = Array.from({ length: n }, () => Math.floor(r() * 4));
      const logp = new Float32Array(toks.map((k) => theta[k] - lse));
      return { logp, oldLogp: logp, mask: new Uint8Array(n).fill(1), advantage: i % 2 ? 1 : -0.5, toks } as TrainSequence & { toks: number[] };
    });
    const dTheta = (seqs: TrainSequence[], dl: Float32Array[]) => {
      const d = [0, 0, 0, 0];
      seqs.forEach((s, i) => (s as TrainSequence & { toks: number[] }).toks.forEach((k, t) => {
        for (let v = 0; v < 4; v++) d[v] += dl[i][t] * ((v === k ? 1 : 0) - soft[v]);
      }));
      return d;
    };
    for (const name of ['sft', 'dapo'] as const) {
      const cfg = cfgFor(name);
      const full = dTheta(batch, OBJECTIVES[name].compute(batch, cfg).dLogp);
      const ctx = OBJECTIVES[name].context(batch, cfg);
      const acc = [0, 0, 0, 0];
      for (const s of batch) dTheta([s], OBJECTIVES[name].compute([s], cfg, ctx).dLogp).forEach((x, v) => (acc[v] += x));
      acc.forEach((x, v) => expect(x).toBeCloseTo(full[v], 7));
      expect(Math.max(...full.map(Math.abs))).toBeGreaterThan(1e-3);
    }
  });
});

describe('passes, truncation and config plumbing', () => {
  it('first pass: logp == oldLogp gives ratio 1 and no clipping; a later pass clips against the stored oldLogp', () => {
    const batch = makeBatch({ seed: 2 }).map((s) => ({ ...s, oldLogp: s.logp, truncated: false }));
    const first = OBJECTIVES.grpo.compute(batch, cfgFor('grpo'));
    expect(first.stats.clip_ratio_region).toBe(0);
    const n0 = Array.from(batch[0].mask).filter((x) => x === 1).length;
    expect(first.dLogp[0][0]).toBeCloseTo(-batch[0].advantage! / (n0 * batch.length), 7);
    // Second pass: the policy moved (logp changed), oldLogp stays the stored one.
    const moved = batch.map((s) => ({ ...s, logp: s.logp.map((x, t) => x + (t % 2 ? 0.4 : -0.4)) }));
    const second = OBJECTIVES.grpo.compute(moved, cfgFor('grpo'));
    expect(second.stats.clip_ratio_region).toBeGreaterThan(0);
  });

  it('maskTruncatedCompletions drops truncated sequences from the loss and from the token total', () => {
    const batch = makeBatch({ seed: 4 });
    const on = cfgFor('dapo', { maskTruncatedCompletions: true });
    const off = cfgFor('dapo');
    expect(batch[4].truncated).toBe(true);
    const r = OBJECTIVES.dapo.compute(batch, on);
    expect(r.dLogp[4].every((x) => x === 0)).toBe(true);
    const nTrunc = Array.from(batch[4].mask).filter((x) => x === 1).length;
    expect(OBJECTIVES.dapo.context(batch, on).totalTokens).toBe(OBJECTIVES.dapo.context(batch, off).totalTokens - nTrunc);
    expect(OBJECTIVES.dapo.compute(batch, off).dLogp[4].some((x) => x !== 0)).toBe(true);
  });

  it('objectiveFor picks the table entry from the config', () => {
    expect(objectiveFor(validateSftConfig()).name).toBe('sft');
    expect(objectiveFor(validateGrpoConfig()).name).toBe('grpo');
    expect(objectiveFor(validateGrpoConfig({ lossType: 'dapo' })).name).toBe('dapo');
    expect(Object.keys(OBJECTIVES).sort()).toEqual(['dapo', 'dr_grpo', 'grpo', 'sft']);
  });
});

describe('bad input', () => {
  const cfg = cfgFor('grpo');
  const one = (): TrainSequence => ({ logp: new Float32Array([-1, -2]), oldLogp: new Float32Array([-1, -2]), mask: new Uint8Array([1, 1]), advantage: 1 });

  it('an empty batch is skipped with a reason', () => {
    for (const name of NAMES) {
      const r = OBJECTIVES[name].compute([], cfgFor(name));
      expect(r.skip).toBe(true);
      expect(r.reason).toMatch(/empty batch/);
    }
    const allMasked = OBJECTIVES.sft.compute([{ logp: new Float32Array([-1]), mask: new Uint8Array([0]) }], validateSftConfig());
    expect(allMasked.skip).toBe(true);
    expect(allMasked.reason).toMatch(/no counted tokens/);
  });

  it('NaN or Inf in counted logp, oldLogp or advantage skips the step and never leaks into dLogp', () => {
    const cases: [string, (s: TrainSequence) => void, RegExp][] = [
      ['NaN logp', (s) => (s.logp[1] = NaN), /logp\[1\] of sequence 1 is NaN/],
      ['-Inf logp', (s) => (s.logp[0] = -Infinity), /logp\[0\] of sequence 1 is -Infinity/],
      ['NaN oldLogp', (s) => (s.oldLogp![0] = NaN), /oldLogp\[0\]/],
      ['NaN advantage', (s) => (s.advantage = NaN), /advantage of sequence 1/],
    ];
    for (const [, spoil, why] of cases) {
      for (const name of NAMES) {
        const b = [one(), one()];
        spoil(b[1]);
        if (name === 'sft' && /advantage|oldLogp/.test(why.source)) continue;
        const r = OBJECTIVES[name].compute(b, cfgFor(name));
        expect(r.skip).toBe(true);
        expect(r.reason).toMatch(why);
        expect(r.loss).toBe(0);
        for (const g of r.dLogp) for (const x of g) expect(x).toBe(0);
      }
    }
  });

  it('NaN at a masked (padding) position is ignored', () => {
    const s = one();
    s.logp[1] = NaN;
    s.mask[1] = 0;
    const r = OBJECTIVES.grpo.compute([s], cfg);
    expect(r.skip).toBe(false);
    expect(r.dLogp[0][1]).toBe(0);
    expect(Number.isFinite(r.loss)).toBe(true);
  });

  it('an exploding importance ratio is skipped, not propagated', () => {
    const s = one();
    s.advantage = -1;
    s.logp[0] = 800; // exp(801) overflows float64
    const r = OBJECTIVES.grpo.compute([s], cfg);
    expect(r.skip).toBe(true);
    expect(r.reason).toMatch(/policy moved too far/);
    for (const x of r.dLogp[0]) expect(x).toBe(0);
  });

  it('structural mistakes throw errors that say how to fix them', () => {
    expect(() => OBJECTIVES.grpo.compute([{ ...one(), oldLogp: undefined }], cfg)).toThrow(/no oldLogp: store the sampling log-probs/);
    expect(() => OBJECTIVES.grpo.compute([{ ...one(), advantage: undefined }], cfg)).toThrow(/call assignAdvantages on the whole effective batch/);
    expect(() => OBJECTIVES.grpo.compute([{ ...one(), mask: new Uint8Array([1]) }], cfg)).toThrow(/mask has 1 entries but logp has 2/);
    expect(() => OBJECTIVES.grpo.compute([{ ...one(), mask: new Float32Array([1, 0.5]) }], cfg)).toThrow(/must be 0 or 1/);
    expect(() => OBJECTIVES.grpo.compute([one()], cfgFor('grpo', { beta: 0.1 }))).toThrow(/refLogp.*LoRA off/);
    expect(() => OBJECTIVES.grpo.compute([one()], cfgFor('grpo', { entropyCoef: 0.1 }))).toThrow(/entropy/);
    expect(() => OBJECTIVES.dapo.compute([one()], validateSftConfig())).toThrow(/validateGrpoConfig\(\{ lossType: "dapo" \}\)/);
    expect(() => OBJECTIVES.dapo.compute([one(), one()], cfgFor('dapo'), { totalTokens: 3, totalSequences: 2 })).toThrow(/context\(allSequences, cfg\)/);
    const sft = validateSftConfig();
    expect(() => OBJECTIVES.grpo.compute([{ ...one(), weight: new Float64Array([1, 2]) }], cfg)).toThrow(/only the sft objective uses/);
    expect(() => OBJECTIVES.sft.compute([{ ...one(), weight: new Float64Array([1]) }], sft)).toThrow(/weight has 1 entries but logp has 2/);
    expect(() => OBJECTIVES.sft.compute([{ ...one(), weight: new Float64Array([1, -1]) }], sft)).toThrow(/weight\[1\] is -1; loss weights must be finite and >= 0/);
    expect(() => OBJECTIVES.sft.compute([{ ...one(), weight: new Float64Array([NaN, 1]) }], sft)).toThrow(/weight\[0\] is NaN/);
  });
});
