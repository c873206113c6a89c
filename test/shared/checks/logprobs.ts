// Checks for the chunked log-softmax kernels (src/kernels/logprobs.ts): forward and backward against the
// float64 reference, the reference backward against finite differences, a GPU finite-difference probe,
// the 151,936-word vocabulary, cross-entropy wrappers and bad inputs. Runs in Node and in a browser.

import { Tensor, type Gpu } from '../../../src/gpu';
import { crossEntropyBackward, crossEntropyForward, logprobsBackward, logprobsForward, logprobsMaxRows } from '../../../src/kernels/logprobs';
import { logprobsBackwardRef, logprobsForwardRef } from '../../../src/kernels/logprobs.ref';
import { assertClose, dot, expectError, finiteDiff, randn, rng, sampleCoords } from '../check';

function targetsFor(N: number, V: number, seed: number): Uint32Array {
  const r = rng(seed);
  return Uint32Array.from({ length: N }, () => Math.floor(r() * V));
}


/** Forward at a ragged vocabulary, two temperatures, an ignored row and -inf masked logits. */
export async function checkLogprobsForward(gpu: Gpu): Promise<void> {
  const N = 5;
  const V = 1000 + 37;
  const x = randn(N * V, 11, 3);
  for (let j = 0; j < 50; j++) x[2 * V + 3 * j] = -Infinity; // masked entries in row 2
  const tg = targetsFor(N, V, 12);
  tg[3] = 7; // ignored below
  const ignoreIndex = 7;
  if (tg[2] % 3 === 0 && tg[2] < 150) tg[2] += 1; // keep row 2's target unmasked
  const logits = gpu.upload(x, [N, V]);
  const targets = gpu.upload(tg, [N], 'u32');
  const logp = gpu.empty([N]);
  const ent = gpu.empty([N]);
  const lse = gpu.empty([N]);
  // both workgroup sizes of the statistics pass (GPUs 256, CPU adapters 8) on every adapter
  for (const [temperature, workgroupSize] of [[1, 256], [0.7, 256], [1, 8], [0.7, 8]]) {
    logprobsForward(gpu, logp, ent, lse, logits, targets, { temperature, ignoreIndex, workgroupSize });
    const ref = logprobsForwardRef(x, tg, N, V, { temperature, ignoreIndex });
    const what = `T=${temperature}, workgroupSize ${workgroupSize}`;
    assertClose(await gpu.readF32(logp), ref.logp, { atol: 2e-5, rtol: 1e-5 }, `logprobs.forward logp (${what})`);
    assertClose(await gpu.readF32(ent), ref.entropy, { atol: 2e-5, rtol: 1e-5 }, `logprobs.forward entropy (${what})`);
    assertClose(await gpu.readF32(lse), ref.lse, { atol: 2e-5, rtol: 1e-5 }, `logprobs.forward lse (${what})`);
    const lp = await gpu.readF32(logp);
    if (lp[3] !== 0) throw new Error(`logprobs.forward: ignored row gave logp ${lp[3]}, expected 0`);
  }
  // entropy may be skipped
  logprobsForward(gpu, logp, null, lse, logits, targets);
  assertClose(await gpu.readF32(logp), logprobsForwardRef(x, tg, N, V).logp, { atol: 2e-5, rtol: 1e-5 }, 'logprobs.forward logp (no entropy)');
  // an out-of-range target is surfaced as NaN
  const bad = gpu.upload([0, V, 1, 2, 3], [N], 'u32');
  logprobsForward(gpu, logp, null, lse, logits, bad);
  const lpBad = await gpu.readF32(logp);
  if (!Number.isNaN(lpBad[1]) || !Number.isFinite(lpBad[0])) throw new Error(`logprobs.forward: out-of-range target gave ${lpBad[1]}, expected NaN`);
  [logits, targets, logp, ent, lse, bad].forEach((t) => t.release());
}

/** The reference backward equals central finite differences of the reference forward (float64). */
export async function checkLogprobsRefGradient(_gpu: Gpu): Promise<void> {
  const N = 3;
  const V = 37;
  const x = Float64Array.from(randn(N * V, 21, 2));
  const tg = targetsFor(N, V, 22);
  const w = randn(N, 23);
  const u = randn(N, 24);
  for (const opts of [{ temperature: 1 }, { temperature: 0.8, ignoreIndex: tg[1] }]) {
    const loss = (xx: Float64Array) => {
      const r = logprobsForwardRef(xx, tg, N, V, opts);
      return dot(w, r.logp) + dot(u, r.entropy);
    };
    const fd = finiteDiff(loss, x, 1e-6);
    const an = logprobsBackwardRef(x, tg, N, V, w, u, opts);
    assertClose(an, fd, { atol: 1e-7, rtol: 1e-6 }, `logprobs reference backward vs finite differences (T=${opts.temperature})`);
    const fdLp = finiteDiff((xx) => dot(w, logprobsForwardRef(xx, tg, N, V, opts).logp), x, 1e-6);
    assertClose(logprobsBackwardRef(x, tg, N, V, w, null, opts), fdLp, { atol: 1e-7, rtol: 1e-6 }, 'logprobs reference backward (logp only)');
  }
}

/** GPU backward against the reference: logp only, with entropy (given and recomputed), an ignored row, T != 1. */
export async function checkLogprobsBackward(gpu: Gpu): Promise<void> {
  const N = 4;
  const V = 1000 + 37;
  const x = randn(N * V, 31, 3);
  const tg = targetsFor(N, V, 32);
  const w = randn(N, 33);
  const u = randn(N, 34);
  const logits = gpu.upload(x, [N, V]);
  const targets = gpu.upload(tg, [N], 'u32');
  const dLogp = gpu.upload(w, [N]);
  const dEnt = gpu.upload(u, [N]);
  const logp = gpu.empty([N]);
  const ent = gpu.empty([N]);
  const lse = gpu.empty([N]);
  const dLogits = gpu.empty([N, V]);
  const tol = { atol: 2e-6, rtol: 1e-4 };
  for (const opts of [{ temperature: 1 }, { temperature: 0.6, ignoreIndex: tg[2] }]) {
    logprobsForward(gpu, logp, ent, lse, logits, targets, opts);
    logprobsBackward(gpu, dLogits, dLogp, null, logits, targets, lse, opts);
    assertClose(await gpu.readF32(dLogits), logprobsBackwardRef(x, tg, N, V, w, null, opts), tol, `logprobs.backward logp only (T=${opts.temperature})`);
    const withH = logprobsBackwardRef(x, tg, N, V, w, u, opts);
    logprobsBackward(gpu, dLogits, dLogp, dEnt, logits, targets, lse, { ...opts, entropy: ent });
    assertClose(await gpu.readF32(dLogits), withH, tol, `logprobs.backward with entropy (T=${opts.temperature})`);
    gpu.clear(dLogits);
    logprobsBackward(gpu, dLogits, dLogp, dEnt, logits, targets, lse, opts);
    assertClose(await gpu.readF32(dLogits), withH, tol, `logprobs.backward with recomputed entropy (T=${opts.temperature})`);
  }
  [logits, targets, dLogp, dEnt, logp, ent, lse, dLogits].forEach((t) => t.release());
}

/** A few-coordinate central finite-difference probe of the GPU forward (f32) against the GPU backward. */
export async function checkLogprobsGpuFiniteDiff(gpu: Gpu): Promise<void> {
  const N = 2;
  const V = 1000 + 37;
  const x = randn(N * V, 41, 4);
  const tg = targetsFor(N, V, 42);
  const w = [0.7, -1.3];
  const u = [0.4, 0.9];
  const T = 0.9;
  const targets = gpu.upload(tg, [N], 'u32');
  const logp = gpu.empty([N]);
  const ent = gpu.empty([N]);
  const lse = gpu.empty([N]);
  const logits = gpu.upload(x, [N, V]);
  const loss = async (xx: Float32Array): Promise<number> => {
    gpu.write(logits, xx);
    logprobsForward(gpu, logp, ent, lse, logits, targets, { temperature: T });
    return dot(w, await gpu.readF32(logp)) + dot(u, await gpu.readF32(ent));
  };
  // analytic gradient at x
  await loss(x);
  const dLogp = gpu.upload(w, [N]);
  const dEnt = gpu.upload(u, [N]);
  const dLogits = gpu.empty([N, V]);
  logprobsBackward(gpu, dLogits, dLogp, dEnt, logits, targets, lse, { temperature: T, entropy: ent });
  const g = await gpu.readF32(dLogits);
  // coordinates: each target, each row's max, and random ones
  const coords = [tg[0], V + tg[1], ...sampleCoords(N * V, 4, 43)];
  for (let r = 0; r < N; r++) {
    let best = 0;
    for (let j = 1; j < V; j++) if (x[r * V + j] > x[r * V + best]) best = j;
    coords.push(r * V + best);
  }
  const eps = 1e-2;
  const fd: number[] = [];
  const an: number[] = [];
  for (const c of coords) {
    const xp = Float32Array.from(x);
    xp[c] = x[c] + eps;
    const fp = await loss(xp);
    xp[c] = x[c] - eps;
    const fm = await loss(xp);
    fd.push((fp - fm) / (2 * eps));
    an.push(g[c]);
  }
  assertClose(an, fd, { atol: 5e-4, rtol: 3e-2 }, 'logprobs GPU backward vs GPU finite differences');
  [targets, logp, ent, lse, logits, dLogp, dEnt, dLogits].forEach((t) => t.release());
}

/** Cross-entropy = -logp with an ignore id (i32 targets, -100), and its backward. */
export async function checkCrossEntropy(gpu: Gpu): Promise<void> {
  const N = 6;
  const V = 300 + 7;
  const x = randn(N * V, 51, 2);
  const tg = Int32Array.from(targetsFor(N, V, 52));
  tg[1] = -100;
  tg[4] = -100;
  const opts = { ignoreIndex: -100, temperature: 1.3 };
  const logits = gpu.upload(x, [N, V]);
  const targets = gpu.upload(tg, [N], 'i32');
  const loss = gpu.empty([N]);
  const lse = gpu.empty([N]);
  crossEntropyForward(gpu, loss, lse, logits, targets, opts);
  const ref = logprobsForwardRef(x, tg, N, V, opts);
  assertClose(await gpu.readF32(loss), ref.logp.map((v) => -v), { atol: 2e-5, rtol: 1e-5 }, 'crossEntropy.forward loss');
  const dl = randn(N, 53);
  const dLoss = gpu.upload(dl, [N]);
  const dLogits = gpu.empty([N, V]);
  crossEntropyBackward(gpu, dLogits, dLoss, logits, targets, lse, opts);
  const refD = logprobsBackwardRef(x, tg, N, V, dl.map((v) => -v), null, opts);
  const got = await gpu.readF32(dLogits);
  assertClose(got, refD, { atol: 2e-6, rtol: 1e-4 }, 'crossEntropy.backward');
  for (let j = 0; j < V; j++) if (got[V + j] !== 0) throw new Error('crossEntropy.backward: an ignored row has a non-zero gradient');
  [logits, targets, loss, lse, dLoss, dLogits].forEach((t) => t.release());
}

/** The full 151,936-word vocabulary with a few rows: forward and backward against the reference. */
export async function checkLogprobsBigVocab(gpu: Gpu): Promise<void> {
  const N = 2;
  const V = 151936;
  const x = randn(N * V, 61, 2.5);
  const tg = Uint32Array.from([151935, 12345]);
  const logits = gpu.upload(x, [N, V]);
  const targets = gpu.upload(tg, [N], 'u32');
  const logp = gpu.empty([N]);
  const ent = gpu.empty([N]);
  const lse = gpu.empty([N]);
  logprobsForward(gpu, logp, ent, lse, logits, targets);
  const ref = logprobsForwardRef(x, tg, N, V);
  assertClose(await gpu.readF32(logp), ref.logp, { atol: 1e-4, rtol: 1e-5 }, 'logprobs.forward logp (V=151936)');
  assertClose(await gpu.readF32(ent), ref.entropy, { atol: 1e-4, rtol: 1e-5 }, 'logprobs.forward entropy (V=151936)');
  assertClose(await gpu.readF32(lse), ref.lse, { atol: 1e-4, rtol: 1e-5 }, 'logprobs.forward lse (V=151936)');
  const w = [1.5, -0.5];
  const u = [0.25, 2];
  const dLogp = gpu.upload(w, [N]);
  const dEnt = gpu.upload(u, [N]);
  const dLogits = gpu.empty([N, V]);
  logprobsBackward(gpu, dLogits, dLogp, dEnt, logits, targets, lse, { entropy: ent });
  assertClose(await gpu.readF32(dLogits), logprobsBackwardRef(x, tg, N, V, w, u), { atol: 1e-7, rtol: 1e-3 }, 'logprobs.backward (V=151936)');
  [logits, targets, logp, ent, lse, dLogp, dEnt, dLogits].forEach((t) => t.release());
}

/** Wrong shapes and dtypes, a bad temperature, and logits over the binding limit name the kernel. */
export async function checkLogprobsBadInputs(gpu: Gpu): Promise<void> {
  const logits = gpu.zeros([3, 10]);
  const targets = gpu.zeros([3], 'u32');
  const out = gpu.zeros([3]);
  expectError(() => logprobsForward(gpu, out, null, out, logits, gpu.zeros([4], 'u32')), /logprobs\.forward: targets must have shape \[3\]/, 'targets shape');
  expectError(() => logprobsForward(gpu, out, null, out, logits, gpu.zeros([3])), /logprobs\.forward: targets must be u32 or i32/, 'targets dtype');
  expectError(() => logprobsForward(gpu, out, null, out, gpu.zeros([3, 10], 'f16'), targets), /logprobs\.forward: logits must be f32/, 'logits dtype');
  expectError(() => logprobsForward(gpu, gpu.zeros([2]), null, out, logits, targets), /logprobs\.forward: logp must have shape \[3\]/, 'logp shape');
  expectError(() => logprobsForward(gpu, out, null, out, logits, targets, { temperature: 0 }), /logprobs\.forward: temperature must be/, 'temperature');
  expectError(() => logprobsBackward(gpu, gpu.zeros([3, 9]), out, null, logits, targets, out), /logprobs\.backward: dLogits must have shape \[3, 10\]/, 'dLogits shape');
  // A tensor whose shape claims more than one binding can hold (its small buffer is never bound).
  const V = 151936;
  const rows = logprobsMaxRows(gpu, V) + 1;
  const huge = new Tensor(gpu, logits.buffer, [rows, V], 'f32', 'logits');
  expectError(
    () => logprobsForward(gpu, gpu.zeros([rows]), null, gpu.zeros([rows]), huge, gpu.zeros([rows], 'u32')),
    /logprobs\.forward: .*maxStorageBufferBindingSize.*row chunks of at most \d+ rows/,
    'over the binding limit',
  );
  [logits, targets, out].forEach((t) => t.release());
}
