// Pins a few values of every seeded stream in src/util/random.ts (and the weight inits built on them),
// so that no refactor can shift a seeded run's numbers without a test saying so.
import { describe, expect, it } from 'vitest';
import { kaimingUniformA } from '../../src/model/lora';
import {
  createRng,
  hashString,
  normalsCosine,
  normalStream,
  openUniformStream,
  shuffled,
  uniformStep,
  uniformStream,
} from '../../src/util/random';

const take = (f: () => number, n: number): number[] => Array.from({ length: n }, () => f());

describe('uniformStream family', () => {
  it('uniform [0, 1) stream keeps its values', () => {
    expect(take(uniformStream(42), 3)).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    expect(take(uniformStream(0), 2)).toEqual([0.26642920868471265, 0.0003297457005828619]);
  });

  it('the seed is taken mod 2^32', () => {
    expect(take(uniformStream(-1), 4)).toEqual(take(uniformStream(2 ** 32 - 1), 4));
    expect(take(uniformStream(2 ** 32 + 42), 4)).toEqual(take(uniformStream(42), 4));
  });

  it('explicit-state steps (trainer rollout seeds) keep their values and match the stream', () => {
    let s = 5;
    const out: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [v, next] = uniformStep(s);
      out.push(v);
      s = next;
    }
    expect(out).toEqual([2962560684, 3318907087, 943874942]);
    expect(s).toBe(1199730148);
    expect(out.map((v) => v / 4294967296)).toEqual(take(uniformStream(5), 3));
  });

  it('the open-interval stream is the same u32 shifted by half a step', () => {
    const a = take(uniformStream(9), 50);
    const b = take(openUniformStream(9), 50);
    b.forEach((v, i) => {
      expect(v).toBe((a[i] * 4294967296 + 0.5) / 4294967296);
      expect(v).toBeGreaterThan(0);
    });
  });

  it('normal draws (decoder init: Box-Muller pairs with a spare) keep their values', () => {
    expect(take(normalStream(7), 3)).toEqual([2.7593729831156204, 1.1319811194194094, -0.0680513561837266]);
  });

  it('normal draws (test data: cosine branch only, f32) keep their values', () => {
    expect(Array.from(normalsCosine(3, 11, 2))).toEqual([-2.2747085094451904, -1.6831754446029663, -1.1047399044036865]);
  });

  it('LoRA A init (kaiming-uniform on uniformStream) keeps its values', () => {
    expect(Array.from(kaimingUniformA(2, 3, 7))).toEqual([
      -0.5638347864151001, -0.5058070421218872, 0.5506855249404907, 0.22981855273246765, 0.024762863293290138, -0.10909415781497955,
    ]);
  });
});

describe('forkable streams of the tasks', () => {
  it('string hash keeps its values', () => {
    expect([hashString('abc'), hashString('abc', 7), hashString('')]).toEqual([482950588, 1589768600, 2872998923]);
  });

  it('createRng: next, int, fork, string and large seeds keep their values', () => {
    const r = createRng(1);
    expect(r.next()).toBe(0.3140447124704492);
    expect(r.int(0, 100)).toBe(61);
    expect(r.fork('x').next()).toBe(0.9685540657643427);
    expect(createRng('run-1').next()).toBe(0.4056122845443181);
    expect(createRng(2 ** 40 + 3).next()).toBe(0.11926925394146781);
  });

  it('shuffled keeps its order', () => {
    expect(shuffled([0, 1, 2, 3, 4, 5, 6, 7], createRng(3))).toEqual([1, 4, 2, 6, 5, 7, 0, 3]);
  });
});
