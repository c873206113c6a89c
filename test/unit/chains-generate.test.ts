// Chains world: config validation, program semantics, generator determinism, split
// disjointness and the difficulty ladder.
import { describe, expect, it } from 'vitest';
import {
  applyOp,
  canonicalProgram,
  createChainsTask,
  DEFAULT_LADDER,
  generateProgram,
  parseProgram,
  programOf,
  resolveChainsConfig,
  runProgram,
  splitOfProgram,
  type TierSpec,
} from '../../src/tasks/chains';
import { createRng, hashString, shuffled } from '../../src/util/random';

const bigCounts = (train: number, test: number) => ({
  easy: { train, test },
  medium: { train, test },
  hard: { train, test },
});

describe('chains program semantics', () => {
  it('floor division and modulo follow Python semantics, including negatives', () => {
    const cases: [number, 'div' | 'mod', number, number][] = [
      [7, 'div', 2, 3],
      [-7, 'div', 2, -4],
      [-6, 'div', 3, -2],
      [7, 'mod', 3, 1],
      [-7, 'mod', 3, 2],
      [-9, 'mod', 3, 0],
      [999_999_999_999, 'div', 97, 10_309_278_350],
      [-999_999_999_999, 'mod', 97, 97 - (999_999_999_999 % 97)],
    ];
    for (const [x, kind, d, want] of cases) expect(applyOp(x, { kind, operand: d })).toBe(want);
    expect(applyOp(55, { kind: 'mul', operand: 3 })).toBe(165);
    expect(applyOp(5, { kind: 'sub', operand: 9 })).toBe(-4);
  });

  it('canonical form round-trips and runs', () => {
    const p = parseProgram('37 +18 *3 -29 /4 %7');
    expect(p.ops.map((o) => o.kind)).toEqual(['add', 'mul', 'sub', 'div', 'mod']);
    expect(runProgram(p)).toEqual([55, 165, 136, 34, 6]);
    expect(canonicalProgram(p)).toBe('37 +18 *3 -29 /4 %7');
    expect(() => parseProgram('37 ^2')).toThrow(/bad operation "\^2"/);
    expect(() => parseProgram('x +1')).toThrow(/must start with an integer/);
  });
});

describe('chains config', () => {
  it('fills documented defaults', () => {
    const c = resolveChainsConfig();
    expect(c.seed).toBe(1234);
    expect(c.style).toBe('compact');
    expect(c.tiers.map((t) => t.name)).toEqual(['easy', 'medium', 'hard']);
    expect(c.counts.hard).toEqual({ train: 256, test: 64 });
    expect(c.testShare).toBe(0.5);
  });

  it('rejects bad values with a message that says how to fix them', () => {
    expect(() => resolveChainsConfig({ testShare: 1 })).toThrow(/strictly between 0 and 1/);
    expect(() => resolveChainsConfig({ counts: { nope: { train: 1 } } })).toThrow(/not in tiers/);
    expect(() => resolveChainsConfig({ counts: { easy: { train: -1 } } })).toThrow(/counts\.easy\.train/);
    const bad: TierSpec = { ...DEFAULT_LADDER[0], steps: [5, 2] };
    expect(() => resolveChainsConfig({ tiers: [bad] })).toThrow(/min > max: swap/);
    const noRange: TierSpec = { ...DEFAULT_LADDER[0], ops: ['add', 'mul'] };
    expect(() => resolveChainsConfig({ tiers: [noRange] })).toThrow(/operands\.mul/);
    const div1: TierSpec = { ...DEFAULT_LADDER[0], ops: ['div'], operands: { div: [1, 3] } };
    expect(() => resolveChainsConfig({ tiers: [div1] })).toThrow(/min >= 2/);
    expect(() => resolveChainsConfig({ tiers: [DEFAULT_LADDER[0], DEFAULT_LADDER[0]] })).toThrow(/twice/);
    expect(() => resolveChainsConfig({ style: 'fancy' as never })).toThrow(/"compact", "chat"/);
  });
});

describe('chains generator', () => {
  it('same seed gives the same problems; a different seed different ones', () => {
    const a = createChainsTask({ seed: 7 }).problems('train');
    const b = createChainsTask({ seed: 7 }).problems('train');
    const c = createChainsTask({ seed: 8 }).problems('train');
    expect(a).toEqual(b);
    expect(a.length).toBe(3 * 256);
    const canonA = a.map((p) => p.meta!.canonical);
    const canonC = new Set(c.map((p) => p.meta!.canonical));
    const same = canonA.filter((x) => canonC.has(x as string)).length;
    expect(same).toBeLessThan(canonA.length / 4); // only small easy programs can coincide
    expect(a.map((p) => p.statement)).not.toEqual(c.map((p) => p.statement));
  });

  it('ids are stable, unique, and raising one count only appends', () => {
    const small = createChainsTask({ counts: bigCounts(5, 3) });
    const large = createChainsTask({ counts: { ...bigCounts(5, 3), medium: { train: 9, test: 3 } } });
    const s = small.problems('train');
    const l = large.problems('train');
    expect(s[0].id).toBe('chains-train-easy-00000');
    expect(new Set(l.map((p) => p.id)).size).toBe(l.length);
    for (const p of s) expect(l.find((q) => q.id === p.id)).toEqual(p);
    expect(small.problems('test').every((p) => p.id.startsWith('chains-test-') && p.split === 'test')).toBe(true);
  });

  it('train and test never share a program, over a large sample and across seeds', () => {
    const seen = new Map<string, string>();
    let total = 0;
    for (const seed of [1, 2, 3]) {
      const t = createChainsTask({ seed, counts: bigCounts(1500, 600) });
      for (const split of ['train', 'test'] as const) {
        const ps = t.problems(split);
        total += ps.length;
        const within = new Set(ps.map((p) => p.meta!.canonical as string));
        expect(within.size).toBe(ps.length); // no duplicates inside a split
        for (const p of ps) {
          const canon = p.meta!.canonical as string;
          expect(splitOfProgram(canon, 0.5)).toBe(split);
          const prev = seen.get(canon);
          if (prev !== undefined) expect(prev).toBe(split);
          seen.set(canon, split);
        }
      }
    }
    expect(total).toBe(3 * 3 * 2100);
    expect(seen.size).toBeGreaterThan(total * 0.6); // the sample really covers many programs
  });

  it('the split hash is balanced near testShare', () => {
    let test = 0;
    for (let i = 0; i < 4000; i++) if (splitOfProgram(`${i} +3 *2`, 0.25) === 'test') test++;
    expect(test / 4000).toBeGreaterThan(0.2);
    expect(test / 4000).toBeLessThan(0.3);
  });

  it('generated programs respect their tier', () => {
    const t = createChainsTask({ counts: bigCounts(300, 0) });
    for (const p of t.problems('train')) {
      const tier = t.config.tiers.find((x) => x.name === p.difficulty)!;
      const prog = programOf(p);
      const values = runProgram(prog);
      expect(prog.ops.length).toBeGreaterThanOrEqual(tier.steps[0]);
      expect(prog.ops.length).toBeLessThanOrEqual(tier.steps[1]);
      expect(prog.start).toBeGreaterThanOrEqual(tier.start[0]);
      expect(prog.start).toBeLessThanOrEqual(tier.start[1]);
      for (const op of prog.ops) {
        expect(tier.ops).toContain(op.kind);
        const [lo, hi] = tier.operands[op.kind]!;
        expect(op.operand).toBeGreaterThanOrEqual(lo);
        expect(op.operand).toBeLessThanOrEqual(hi);
      }
      for (const v of values) {
        expect(v).not.toBe(0);
        expect(Math.abs(v)).toBeLessThanOrEqual(tier.maxAbs);
        if (!tier.allowNegative) expect(v).toBeGreaterThan(0);
      }
      expect(p.answer).toBe(String(values[values.length - 1]));
      expect(p.reference).toBe(values.join(', '));
    }
  });

  it('the difficulty ladder is monotone in steps, operand size, value size and ops', () => {
    const tiers = resolveChainsConfig().tiers;
    const maxOperand = (t: TierSpec) => Math.max(...t.ops.map((k) => t.operands[k]![1]));
    for (let i = 1; i < tiers.length; i++) {
      const [a, b] = [tiers[i - 1], tiers[i]];
      expect(b.steps[0]).toBeGreaterThan(a.steps[1] - 1);
      expect(b.steps[1]).toBeGreaterThan(a.steps[1]);
      expect(maxOperand(b)).toBeGreaterThan(maxOperand(a));
      expect(b.maxAbs).toBeGreaterThan(a.maxAbs);
      for (const k of a.ops) expect(b.ops).toContain(k);
    }
    expect(tiers[tiers.length - 1].ops).toEqual(expect.arrayContaining(['mul', 'div', 'mod']));
    // Measured on generated problems too: mean steps and mean largest |value| rise tier by tier.
    const t = createChainsTask({ counts: bigCounts(200, 0) });
    const stats = tiers.map((tier) => {
      const ps = t.problems('train').filter((p) => p.difficulty === tier.name);
      const steps = ps.reduce((s, p) => s + programOf(p).ops.length, 0) / ps.length;
      const big = ps.reduce((s, p) => s + Math.max(...(p.meta!.values as number[]).map(Math.abs)), 0) / ps.length;
      return { steps, big };
    });
    for (let i = 1; i < stats.length; i++) {
      expect(stats[i].steps).toBeGreaterThan(stats[i - 1].steps);
      expect(stats[i].big).toBeGreaterThan(stats[i - 1].big * 5);
    }
    expect(stats[stats.length - 1].steps).toBeGreaterThanOrEqual(10);
  });

  it('custom tiers work and an impossible one fails with a fix-it message', () => {
    const tiny: TierSpec = {
      name: 'tiny',
      steps: [1, 1],
      start: [1, 2],
      ops: ['add'],
      operands: { add: [1, 2] },
      allowNegative: false,
      maxAbs: 99,
    };
    // Only 4 programs exist; asking for 50 of one split must fail clearly.
    expect(() => createChainsTask({ tiers: [tiny], counts: { tiny: { train: 50 } } }).problems('train')).toThrow(
      /found only \d of 50 distinct train programs.*lower counts\.tiny\.train/,
    );
    const never: TierSpec = { ...tiny, ops: ['sub'], operands: { sub: [5, 9] } };
    expect(() => generateProgram(never, createRng(1))).toThrow(/could not build a valid program/);
  });
});

describe('chains rng', () => {
  it('is deterministic, in range, and forks independently', () => {
    const a = createRng(42);
    const b = createRng(42);
    const xs = Array.from({ length: 1000 }, () => a.int(-3, 3));
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.int(-3, 3)));
    expect(new Set(xs)).toEqual(new Set([-3, -2, -1, 0, 1, 2, 3]));
    const u = Array.from({ length: 2000 }, () => a.next());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(Math.abs(u.reduce((s, x) => s + x, 0) / u.length - 0.5)).toBeLessThan(0.05);
    expect(createRng(1).fork('x').next()).not.toBe(createRng(1).fork('y').next());
    expect(createRng(1).next()).not.toBe(createRng(2).next());
    expect(hashString('abc')).not.toBe(hashString('abd'));
    expect(() => a.int(3, 1)).toThrow(/lo <= hi/);
  });

  it('shuffles a copy: a seeded permutation, the input untouched', () => {
    const xs = Array.from({ length: 50 }, (_, i) => i);
    const s = shuffled(xs, createRng(3));
    expect([...s].sort((p, q) => p - q)).toEqual(xs);
    expect(s).not.toEqual(xs);
    expect(shuffled(xs, createRng(3))).toEqual(s);
    expect(shuffled(xs, createRng(4))).not.toEqual(s);
    expect(xs[0]).toBe(0);
    expect(shuffled([], createRng(1))).toEqual([]);
  });
});
