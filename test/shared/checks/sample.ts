// Checks for GPU sampling (src/kernels/sample.ts): Philox known answers, GPU ids equal to the reference
// with the same noise, greedy = argmax, seed reproducibility, empirical frequencies against the target
// distribution (chi-square), top-k / top-p support, the 151,936-word vocabulary and bad inputs.

import type { Gpu } from '../../../src/gpu';
import { sampleTokens, type SampleOptions } from '../../../src/kernels/sample';
import { keptTokens, philox4x32, sampleRef } from '../../../src/kernels/sample.ref';
import { assertClose, expectError, randn, rng } from '../check';


async function runSample(gpu: Gpu, x: Float32Array, B: number, V: number, opts: SampleOptions): Promise<{ ids: Uint32Array; logp: Float32Array }> {
  const logits = gpu.upload(x, [B, V]);
  const ids = gpu.empty([B], 'u32');
  const logp = gpu.empty([B]);
  sampleTokens(gpu, ids, logp, logits, opts);
  const out = { ids: (await gpu.read(ids)) as Uint32Array, logp: await gpu.readF32(logp) };
  [logits, ids, logp].forEach((t) => t.release());
  return out;
}

/** GPU ids equal the reference's (same Philox noise) on all but near-tie rows; logp matches. */
async function compareToRef(gpu: Gpu, x: Float32Array, B: number, V: number, opts: SampleOptions, what: string): Promise<Uint32Array> {
  const got = await runSample(gpu, x, B, V, opts);
  const ref = sampleRef(x, { ...opts, vocab: V });
  let mismatches = 0;
  const lpGot: number[] = [];
  const lpRef: number[] = [];
  for (let r = 0; r < B; r++) {
    if (got.ids[r] >= V) throw new Error(`${what}: row ${r} got id ${got.ids[r]} outside the vocabulary ${V}`);
    if (got.ids[r] !== ref.ids[r]) mismatches++;
    else {
      lpGot.push(got.logp[r]);
      lpRef.push(ref.logp[r]);
    }
  }
  if (mismatches > Math.max(1, Math.floor(B / 100))) throw new Error(`${what}: ${mismatches} of ${B} ids differ from the reference with the same noise`);
  assertClose(lpGot, lpRef, { atol: 1e-4, rtol: 1e-5 }, `${what}: logp`);
  return got.ids;
}

/** Philox4x32-10 reproduces the published known-answer vectors. */
export async function checkPhilox(_gpu: Gpu): Promise<void> {
  const hex = (v: number[]) => v.map((n) => n.toString(16).padStart(8, '0')).join(' ');
  const cases: Array<[number[], number[], string]> = [
    [[0, 0, 0, 0], [0, 0], '6627e8d5 e169c58d bc57ac4c 9b00dbd8'],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], '408f276d 41c83b0e a20bc7c6 6d5451fd'],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], 'd16cfe09 94fdcceb 5001e420 24126ea1'],
  ];
  for (const [c, k, want] of cases) {
    const got = hex(philox4x32(c, k));
    if (got !== want) throw new Error(`philox4x32(${hex(c)}; ${hex(k)}) = ${got}, expected ${want}`);
  }
}

/** GPU against the reference in every mode, at a ragged vocabulary, with per-row temperatures; ids stay in the top-k / nucleus. */
export async function checkSampleMatchesRef(gpu: Gpu): Promise<void> {
  const B = 48;
  const V = 1000 + 37;
  const x = randn(B * V, 71, 1.2);
  const temps = Float32Array.from({ length: B }, (_, r) => (r % 7 === 0 ? 0 : 0.5 + (r % 5) * 0.25));
  const modes: Array<[string, Partial<SampleOptions>]> = [
    ['exact', {}],
    ['exact, untempered logp', { logpMode: 'untempered' }],
    ['top-k 20', { topK: 20 }],
    ['top-p 0.9', { topP: 0.9 }],
    ['top-k 50 + top-p 0.6', { topK: 50, topP: 0.6 }],
    ['top-k 256', { topK: 256 }],
    ['min-p 0.05', { minP: 0.05 }],
    ['top-k 50 + top-p 0.9 + min-p 0.2', { topK: 50, topP: 0.9, minP: 0.2 }],
  ];
  // both workgroup sizes of the row passes (GPUs 256, CPU adapters 8) on every adapter, both candidate selections
  for (const [workgroupSize, selection] of [[256, 'radix'], [8, 'radix'], [256, 'sort'], [8, 'sort']] as const) {
    let exactIds: Uint32Array | null = null;
    for (const [name, m] of modes) {
      if (selection === 'sort' && name.startsWith('exact')) continue; // exact mode selects nothing
      const o: SampleOptions = { temperature: temps, topK: 0, topP: 1, seed: 1234, step: 5, workgroupSize, selection, ...m };
      const ids = await compareToRef(gpu, x, B, V, o, `sample (${name}, workgroupSize ${workgroupSize}, selection ${selection})`);
      exactIds ??= selection === 'radix' ? ids : (await runSample(gpu, x, B, V, { ...o, topK: 0, topP: 1 })).ids;
      let changed = 0;
      for (let r = 0; r < B; r++) {
        const kept = keptTokens(x, r, V, temps[r], o.topK, o.topP, o.minP);
        if (!kept.includes(ids[r])) throw new Error(`sample (${name}): row ${r} drew ${ids[r]}, outside the ${kept.length} allowed tokens`);
        if (ids[r] !== exactIds[r]) changed++;
      }
      // the truncation is active: some rows draw differently than with the full distribution and the same noise
      if ((o.topK === 20 || o.topP < 1 || (o.minP ?? 0) > 0) && changed === 0) throw new Error(`sample (${name}): no row differs from exact sampling; truncation not exercised`);
    }
  }
}

/**
 * Ties at the K-th largest logit keep the lowest ids (the reference's order), in both selections: logits
 * on a coarse grid (many equal values around every threshold), -0 against +0, a row of distinct but close
 * values (more than the select pass caches in its first digit's bin), and rows with fewer unmasked logits
 * than K (all of them are candidates).
 */
export async function checkSampleTies(gpu: Gpu): Promise<void> {
  const B = 24;
  const V = 3001;
  const x = randn(B * V, 61, 1.5).map((v) => Math.round(v * 2) / 2); // steps of 0.5: thousands of ties per value
  for (let j = 0; j < V; j++) x[3 * V + j] = j % 7 === 0 ? 0 : -0; // row 3: only zeros of both signs
  for (let r = 4; r < 6; r++) for (let j = 0; j < V; j++) if (j % 400 !== 5) x[r * V + j] = -Infinity; // 8 unmasked
  x[5 * V + 1605] = NaN;
  for (let j = 0; j < V; j++) x[6 * V + j] = 1 + ((j * 37) % V) * 1e-5; // row 6: distinct values packed closely (one radix bin)
  const temps = Float32Array.from({ length: B }, (_, r) => (r % 6 === 1 ? 0 : 0.6 + (r % 4) * 0.3));
  for (const selection of ['radix', 'sort'] as const) {
    for (const workgroupSize of [256, 8]) {
      for (const m of [{ topK: 20, topP: 1 }, { topK: 0, topP: 0.5 }, { topK: 100, topP: 0.7 }, { topK: 1, topP: 1 }]) {
        const o: SampleOptions = { temperature: temps, seed: 77, step: 2, workgroupSize, selection, ...m };
        const what = `sample ties (topK ${m.topK}, topP ${m.topP}, workgroupSize ${workgroupSize}, selection ${selection})`;
        const got = await runSample(gpu, x, B, V, o);
        const ref = sampleRef(x, { ...o, vocab: V });
        for (let r = 0; r < B; r++) {
          const kept = keptTokens(x, r, V, temps[r], m.topK, m.topP);
          if (!kept.includes(got.ids[r])) throw new Error(`${what}: row ${r} drew ${got.ids[r]}, outside the ${kept.length} tokens the reference keeps`);
          if (got.ids[r] !== ref.ids[r]) throw new Error(`${what}: row ${r} drew ${got.ids[r]}, the reference ${ref.ids[r]} with the same noise`);
        }
      }
    }
  }
}

/** T = 0 returns the argmax (lowest id on ties) in every mode. */
export async function checkSampleGreedy(gpu: Gpu): Promise<void> {
  const B = 9;
  const V = 5000 + 3;
  const x = randn(B * V, 81, 1);
  x[2 * V + 100] = 9;
  x[2 * V + 4000] = 9; // a tie: id 100 wins
  x[5 * V + V - 1] = 7; // the last id
  const want = new Uint32Array(B);
  for (let r = 0; r < B; r++) {
    let best = 0;
    for (let j = 1; j < V; j++) if (x[r * V + j] > x[r * V + best]) best = j;
    want[r] = best;
  }
  if (want[2] !== 100) throw new Error('greedy check setup');
  for (const m of [{ topK: 0, topP: 1 }, { topK: 10, topP: 1 }, { topK: 0, topP: 0.5 }]) {
    const got = await runSample(gpu, x, B, V, { temperature: 0, seed: 3, step: 1, ...m });
    for (let r = 0; r < B; r++) if (got.ids[r] !== want[r]) throw new Error(`sample greedy (topK ${m.topK}, topP ${m.topP}): row ${r} got ${got.ids[r]}, argmax is ${want[r]}`);
  }
}

/** Fixed seed and step: identical ids; another seed or step: different ids. */
export async function checkSampleSeeds(gpu: Gpu): Promise<void> {
  const B = 64;
  const V = 1037;
  const x = randn(B * V, 91, 0.5); // flat distributions: draws vary a lot
  for (const m of [{ topK: 0, topP: 1 }, { topK: 100, topP: 0.95 }]) {
    const o = { temperature: 1, seed: 42, step: 7, ...m };
    const a = await runSample(gpu, x, B, V, o);
    const b = await runSample(gpu, x, B, V, o);
    const c = await runSample(gpu, x, B, V, { ...o, seed: 43 });
    const d = await runSample(gpu, x, B, V, { ...o, step: 8 });
    for (let r = 0; r < B; r++) if (a.ids[r] !== b.ids[r]) throw new Error(`sample: same seed/step gave different ids at row ${r}`);
    const diff = (p: Uint32Array, q: Uint32Array) => p.reduce((n, v, i) => n + (v !== q[i] ? 1 : 0), 0);
    if (diff(a.ids, c.ids) < B / 2) throw new Error(`sample: seeds 42 and 43 agree on ${B - diff(a.ids, c.ids)} of ${B} rows`);
    if (diff(a.ids, d.ids) < B / 2) throw new Error(`sample: steps 7 and 8 agree on ${B - diff(a.ids, d.ids)} of ${B} rows`);
  }
}

/** row0: sampling rows [r0, B) alone with row0 = r0 draws what one call over all B rows draws for them. */
export async function checkSampleRow0(gpu: Gpu): Promise<void> {
  const B = 24;
  const V = 1037;
  const r0 = 9;
  const x = randn(B * V, 93, 0.5);
  for (const m of [{ topK: 0, topP: 1 }, { topK: 50, topP: 0.9 }]) {
    const o = { temperature: 1, seed: 5, step: 2, ...m };
    const all = await runSample(gpu, x, B, V, o);
    const tail = await runSample(gpu, x.subarray(r0 * V), B - r0, V, { ...o, row0: r0 });
    const head = await runSample(gpu, x.subarray(r0 * V), B - r0, V, o);
    for (let r = r0; r < B; r++) if (tail.ids[r - r0] !== all.ids[r]) throw new Error(`sample row0 ${r0} (topK ${m.topK}): row ${r} got ${tail.ids[r - r0]}, the full call ${all.ids[r]}`);
    const same = head.ids.reduce((n, v, i) => n + (v === all.ids[r0 + i] ? 1 : 0), 0);
    if (same > (B - r0) / 2) throw new Error(`sample: without row0 the chunk still agreed on ${same} of ${B - r0} rows; the check cannot tell row0 apart`);
  }
  const t = [gpu.empty([1], 'u32'), gpu.empty([1]), gpu.zeros([1, 4])];
  expectError(() => sampleTokens(gpu, t[0], t[1], t[2], { temperature: 1, topK: 0, topP: 1, seed: 1, step: 0, row0: -1 }), /sample: row0 must be a u32 integer, got -1/, 'bad row0');
  t.forEach((x) => x.release());
}

/** Chi-square statistic of counts against probabilities, and an upper 0.1% critical value (Wilson-Hilferty). */
function chiSquare(counts: number[], probs: number[], n: number): { stat: number; crit: number } {
  let stat = 0;
  for (let i = 0; i < probs.length; i++) stat += (counts[i] - n * probs[i]) ** 2 / (n * probs[i]);
  const dof = probs.length - 1;
  const h = 2 / (9 * dof);
  return { stat, crit: dof * (1 - h + 3.09 * Math.sqrt(h)) ** 3 };
}

/** Empirical frequencies match the target distribution; top-k / top-p never leave their support. */
export async function checkSampleDistribution(gpu: Gpu): Promise<void> {
  const V = 12;
  const rows = 500;
  const steps = 8;
  const base = Float32Array.from([1.2, 0.3, -0.5, 2.0, 0.0, -1.0, 0.8, 1.5, -0.2, 0.5, -2.0, 1.0]);
  const x = new Float32Array(rows * V);
  for (let r = 0; r < rows; r++) x.set(base, r * V);
  const T = 0.9;
  const modes = [
    { topK: 0, topP: 1 },
    { topK: 4, topP: 1 },
    { topK: 0, topP: 0.7 },
    { topK: 6, topP: 0.8 },
    { topK: 0, topP: 1, minP: 0.3 },
    { topK: 0, topP: 0.95, minP: 0.1 }, // min-p cuts inside the nucleus (9 tokens without it)
    { topK: 3, topP: 1, minP: 0.5 },
  ];
  for (const m of modes) {
    const support = keptTokens(base, 0, V, T, m.topK, m.topP, m.minP);
    let z = 0;
    const w = support.map((j) => Math.exp(base[j] / T));
    for (const v of w) z += v;
    const probs = w.map((v) => v / z);
    const what = `sample distribution (topK ${m.topK}, topP ${m.topP}, minP ${m.minP ?? 0})`;
    const gpuCounts = new Array(support.length).fill(0);
    const refCounts = new Array(support.length).fill(0);
    const r = rng(7);
    for (let s = 0; s < steps; s++) {
      const got = await runSample(gpu, x, rows, V, { temperature: T, seed: 99, step: s, ...m });
      for (const id of got.ids) {
        const i = support.indexOf(id);
        if (i < 0) throw new Error(`${what}: sampled id ${id} outside the allowed set [${support.join(', ')}]`);
        gpuCounts[i]++;
      }
      // the reference with independent uniforms follows the same law
      const ref = sampleRef(x, { temperature: T, seed: 0, step: 0, vocab: V, ...m }, () => Math.min(Math.max(r(), 1e-12), 1 - 1e-12));
      for (const id of ref.ids) refCounts[support.indexOf(id)]++;
    }
    const n = rows * steps;
    for (const [who, counts] of [['GPU', gpuCounts], ['reference', refCounts]] as const) {
      const { stat, crit } = chiSquare(counts, probs, n);
      if (stat > crit) throw new Error(`${what}: ${who} chi-square ${stat.toFixed(1)} over ${crit.toFixed(1)}; counts ${counts.join(',')}, expected ${probs.map((p) => (p * n).toFixed(0)).join(',')}`);
    }
    const sizes: Record<string, number> = { '0,1,0': V, '4,1,0': 4, '0,0.7,0': 4, '6,0.8,0': 4, '0,1,0.3': 4, '0,0.95,0.1': 8, '3,1,0.5': 2 };
    const wantSize = sizes[`${m.topK},${m.topP},${m.minP ?? 0}`];
    if (support.length !== wantSize) throw new Error(`${what}: the reference keeps ${support.length} tokens, expected ${wantSize}`);
  }
}

/** The 151,936-word vocabulary: valid ids equal to the reference in exact, top-k and top-p modes. */
export async function checkSampleBigVocab(gpu: Gpu): Promise<void> {
  const B = 3;
  const V = 151936;
  const x = randn(B * V, 101, 3);
  x[V + 151935] = 30; // row 1: the last id is a near-certain draw
  const temps = Float32Array.from([1, 0.7, 0]);
  for (const m of [{ topK: 0, topP: 1 }, { topK: 40, topP: 1 }, { topK: 0, topP: 0.9 }]) {
    const ids = await compareToRef(gpu, x, B, V, { temperature: temps, seed: 5, step: 11, ...m }, `sample V=151936 (topK ${m.topK}, topP ${m.topP})`);
    if (ids[1] !== 151935) throw new Error(`sample V=151936: row 1 should draw id 151935, got ${ids[1]}`);
  }
}

/** Bad shapes, dtypes and options name the kernel and the fix. */
export async function checkSampleBadInputs(gpu: Gpu): Promise<void> {
  const logits = gpu.zeros([2, 1000]);
  const ids = gpu.zeros([2], 'u32');
  const logp = gpu.zeros([2]);
  const ok: SampleOptions = { temperature: 1, topK: 0, topP: 1, seed: 1, step: 0 };
  expectError(() => sampleTokens(gpu, ids, logp, logits, { ...ok, topK: 300 }), /sample: topK 300 is over the supported 256/, 'topK');
  expectError(() => sampleTokens(gpu, ids, logp, logits, { ...ok, topP: 0 }), /sample: topP must be in \(0, 1\]/, 'topP');
  expectError(() => sampleTokens(gpu, ids, logp, logits, { ...ok, minP: -0.1 }), /sample: minP must be in \[0, 1\]/, 'minP');
  expectError(() => sampleTokens(gpu, ids, logp, logits, { ...ok, temperature: new Float32Array(3) }), /sample: 3 temperatures for 2 rows/, 'temperature count');
  expectError(() => sampleTokens(gpu, ids, logp, logits, { ...ok, temperature: -1 }), /sample: temperatures must be finite and >= 0/, 'negative temperature');
  expectError(() => sampleTokens(gpu, ids, logp, logits, { ...ok, seed: -1 }), /sample: seed and step must be u32/, 'seed');
  expectError(() => sampleTokens(gpu, ids, logp, logits, { ...ok, workgroupSize: 12 }), /sample: workgroupSize must be a power of two in \[1, 256\]/, 'workgroupSize');
  expectError(() => sampleTokens(gpu, gpu.zeros([3], 'u32'), logp, logits, ok), /sample: ids must have shape \[2\]/, 'ids shape');
  expectError(() => sampleTokens(gpu, gpu.zeros([2]), logp, logits, ok), /sample: ids must be u32 or i32/, 'ids dtype');
  expectError(() => sampleTokens(gpu, ids, logp, gpu.zeros([2, 1000], 'f16'), ok), /sample: logits must be f32/, 'logits dtype');
  // topK >= V means no top-k, so a large topK is fine on a small vocabulary
  const small = gpu.upload(randn(200, 9), [2, 100]);
  sampleTokens(gpu, ids, logp, small, { ...ok, topK: 1000 });
  const got = (await gpu.read(ids)) as Uint32Array;
  if (!(got[0] < 100 && got[1] < 100)) throw new Error(`sample: topK >= V gave ids ${got[0]}, ${got[1]} outside the vocabulary`);
  [logits, ids, logp, small].forEach((t) => t.release());
}
