// Matmul checks (tiled kernels for every tile family, naive kernel, transposes, batches, alpha /
// accumulate, f16 B, linear forward/backward vs reference and finite differences, bad inputs),
// shared by the Node (Dawn) and browser (Chromium) test projects.
import { roundToHalf, type Gpu, type Tensor } from '../../../src/gpu';
import { MATMUL_TILES, cpuNarrowTile, linearBackward, linearForward, matmul, matmulNaive, type MatmulOpts, type MatmulTile } from '../../../src/kernels/matmul';
import { linearBackwardRef, linearForwardRef, matmulBackwardRef, matmulRef } from '../../../src/kernels/matmul.ref';
import { assertClose, dot, expectError, finiteDiff, needF16, randn, sampleCoords } from '../check';


const TOL = { atol: 1e-4, rtol: 1e-4 };

interface Case {
  batch: number;
  M: number;
  K: number;
  N: number;
  bBatched: boolean;
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  accumulate?: boolean;
  half?: boolean;
  tile?: MatmulTile;
  naive?: boolean;
  seed: number;
}

/** Run one matmul on the GPU and compare with the float64 reference. */
async function runCase(gpu: Gpu, c: Case): Promise<void> {
  const { batch, M, K, N } = c;
  const a = randn(batch * M * K, c.seed);
  const bRaw = randn((c.bBatched ? batch : 1) * K * N, c.seed + 1);
  const b = c.half ? bRaw.map(roundToHalf) : bRaw;
  const init = randn(batch * M * N, c.seed + 2);
  const lead = batch > 1 || c.bBatched ? [batch] : [];
  const ta = gpu.upload(a, [...lead, ...(c.transA ? [K, M] : [M, K])]);
  const tb = gpu.upload(b, [...(c.bBatched ? [batch] : []), ...(c.transB ? [N, K] : [K, N])], c.half ? 'f16' : 'f32');
  const out = gpu.upload(c.accumulate ? init : new Float32Array(batch * M * N).fill(NaN), [...lead, M, N]);
  const opts: MatmulOpts = { transA: c.transA, transB: c.transB, alpha: c.alpha, accumulate: c.accumulate, tile: c.tile };
  if (c.naive) matmulNaive(gpu, out, ta, tb, opts);
  else matmul(gpu, out, ta, tb, opts);
  const ref = matmulRef(a, b, { batch, M, N, K, bBatched: c.bBatched }, { transA: c.transA, transB: c.transB, alpha: c.alpha, init: c.accumulate ? init : undefined });
  const what = `matmul${c.naive ? '.naive' : ''} ${c.tile ? JSON.stringify(c.tile) : 'default tile'} batch=${batch} M=${M} K=${K} N=${N}` +
    `${c.transA ? ' transA' : ''}${c.transB ? ' transB' : ''}${c.bBatched ? ' batched B' : ' shared B'}${c.half ? ' f16 B' : ''}` +
    `${c.alpha !== undefined ? ` alpha=${c.alpha}` : ''}${c.accumulate ? ' accumulate' : ''}`;
  assertClose(await gpu.readF32(out), ref, TOL, what);
  [ta, tb, out].forEach((t) => t.release());
}

const TRANS = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

/** A small staged tile (so the GPU kernel also runs several K slices and tiles at test sizes). */
const SMALL_STAGED: MatmulTile = { kernel: 'staged', BM: 16, BN: 16, BK: 8, TM: 2, TN: 4 };

// Each distinct (kernel, tile, transposes, B dtype) is a pipeline compile (about a second on a CPU
// adapter), so the cases below reuse a small set of them.

/** The adapter's own tiles and the staged GPU kernel x every transpose x shared / batched B at ragged shapes. */
export async function checkMatmulTiles(gpu: Gpu): Promise<void> {
  let seed = 100;
  for (const tile of [undefined, SMALL_STAGED]) {
    for (const [transA, transB] of TRANS) {
      for (const bBatched of [false, true]) {
        await runCase(gpu, { batch: 3, M: 37, K: 45, N: 29, bBatched, transA, transB, tile, seed: seed++ });
      }
    }
  }
  // every named tile configuration runs (whichever family this adapter picks by default)
  await runCase(gpu, { batch: 2, M: 37, K: 45, N: 29, bBatched: false, tile: MATMUL_TILES.default, seed: seed++ });
  await runCase(gpu, { batch: 1, M: 5, K: 45, N: 29, bBatched: false, transB: true, tile: MATMUL_TILES.gemv, seed: seed++ });
  await runCase(gpu, { batch: 2, M: 37, K: 45, N: 29, bBatched: false, tile: MATMUL_TILES.cpu, seed: seed++ });
  await runCase(gpu, { batch: 1, M: 37, K: 45, N: 29, bBatched: false, transB: true, tile: MATMUL_TILES.cpuGemv, seed: seed++ });
  // the narrow CPU tile at a LoRA rank (N = 8, one 8-column block) and past it (N = 29: 4 blocks across),
  // with the transposes LoRA's forward (B^T) and its dA (A^T) use, M over several stacked row blocks
  for (const [N, transA, transB] of [[8, false, true], [8, true, false], [29, false, false], [29, true, true]] as const) {
    await runCase(gpu, { batch: 2, M: 300, K: 45, N, bBatched: false, transA, transB, tile: cpuNarrowTile(N), seed: seed++ });
  }
}

/** Shapes around the tile edges: single row/column, K = 1, N just over a tile, M over a 16-row tile. */
export async function checkMatmulEdges(gpu: Gpu): Promise<void> {
  let seed = 200;
  for (const [M, K, N] of [
    [17, 1, 130],
    [65, 17, 66],
    [9, 33, 257],
  ]) {
    for (const [transA, transB] of TRANS) {
      await runCase(gpu, { batch: 1, M, K, N, bBatched: false, transA, transB, seed: seed++ });
    }
    await runCase(gpu, { batch: 1, M, K, N, bBatched: false, tile: SMALL_STAGED, seed: seed++ });
  }
  for (const [M, K, N] of [
    [1, 1, 1],
    [1, 7, 1],
    [1, 33, 257],
  ]) {
    await runCase(gpu, { batch: 1, M, K, N, bBatched: false, seed: seed++ });
    await runCase(gpu, { batch: 1, M, K, N, bBatched: false, transB: true, seed: seed++ });
  }
}

/** Decode-like shapes (M <= 8) take the GEMV tiles: x W^T and plain B. */
export async function checkMatmulDecode(gpu: Gpu): Promise<void> {
  let seed = 300;
  await runCase(gpu, { batch: 1, M: 1, K: 77, N: 203, bBatched: false, transB: true, seed: seed++ });
  await runCase(gpu, { batch: 1, M: 1, K: 77, N: 203, bBatched: false, seed: seed++ });
  await runCase(gpu, { batch: 1, M: 5, K: 77, N: 203, bBatched: false, transB: true, seed: seed++ });
  await runCase(gpu, { batch: 1, M: 5, K: 300, N: 9, bBatched: false, transB: true, seed: seed++ });
}

/** alpha scales, accumulate adds onto out; overwrite ignores NaN garbage in out. */
export async function checkMatmulAlphaAccumulate(gpu: Gpu): Promise<void> {
  let seed = 400;
  for (const tile of [undefined, SMALL_STAGED]) {
    await runCase(gpu, { batch: 2, M: 13, K: 21, N: 11, bBatched: true, alpha: -0.75, tile, seed: seed++ });
    await runCase(gpu, { batch: 2, M: 13, K: 21, N: 11, bBatched: false, accumulate: true, tile, seed: seed++ });
    await runCase(gpu, { batch: 2, M: 13, K: 21, N: 11, bBatched: false, alpha: 0.5, accumulate: true, transA: true, transB: true, tile, seed: seed++ });
  }
  await runCase(gpu, { batch: 1, M: 1, K: 21, N: 11, bBatched: false, alpha: 2, accumulate: true, transB: true, seed: seed++ });
  await runCase(gpu, { batch: 2, M: 13, K: 21, N: 11, bBatched: false, alpha: 0.5, accumulate: true, transA: true, naive: true, seed: seed++ });
}

/** f16 B against a reference with f16-rounded B; needs an adapter with shader-f16. */
export async function checkMatmulF16(gpu: Gpu): Promise<void> {
  needF16(gpu, 'checkMatmulF16');
  let seed = 500;
  // even K and N: the CPU kernel reads aligned pairs of halves; odd ones: one half at a time
  for (const [transA, transB] of [
    [false, false],
    [false, true],
    [true, true],
  ] as const) {
    await runCase(gpu, { batch: 3, M: 37, K: 44, N: 30, bBatched: false, transA, transB, half: true, seed: seed++ });
  }
  for (const transB of [false, true]) {
    await runCase(gpu, { batch: 3, M: 37, K: 45, N: 29, bBatched: false, transB, half: true, seed: seed++ });
    await runCase(gpu, { batch: 1, M: 20, K: 44, N: 31, bBatched: false, transB, half: true, seed: seed++ });
    await runCase(gpu, { batch: 1, M: 20, K: 45, N: 30, bBatched: false, transB, half: true, seed: seed++ });
  }
  await runCase(gpu, { batch: 3, M: 37, K: 45, N: 29, bBatched: false, transB: true, half: true, tile: SMALL_STAGED, seed: seed++ });
  await runCase(gpu, { batch: 1, M: 1, K: 44, N: 29, bBatched: false, transB: true, half: true, seed: seed++ });
  await runCase(gpu, { batch: 2, M: 5, K: 44, N: 29, bBatched: false, transA: true, transB: true, half: true, seed: seed++ });
  await runCase(gpu, { batch: 2, M: 9, K: 14, N: 6, bBatched: true, half: true, alpha: 0.25, accumulate: true, seed: seed++ });
  await runCase(gpu, { batch: 2, M: 9, K: 13, N: 7, bBatched: true, half: true, transB: true, naive: true, seed: seed++ });
}

/** The naive kernel agrees with the reference (and so with the tiled kernels) for every transpose. */
export async function checkMatmulNaive(gpu: Gpu): Promise<void> {
  let seed = 600;
  for (const [transA, transB] of TRANS) {
    await runCase(gpu, { batch: 3, M: 37, K: 45, N: 29, bBatched: transA, transA, transB, naive: true, seed: seed++ });
  }
  // naive == tiled directly, on a larger ragged shape
  const [M, K, N] = [70, 130, 75];
  const a = gpu.upload(randn(M * K, 610), [M, K]);
  const b = gpu.upload(randn(N * K, 611), [N, K]);
  const o1 = gpu.empty([M, N]);
  const o2 = gpu.empty([M, N]);
  matmul(gpu, o1, a, b, { transB: true });
  matmulNaive(gpu, o2, a, b, { transB: true });
  assertClose(await gpu.readF32(o1), await gpu.readF32(o2), TOL, 'matmul == matmul.naive (70x130x75, transB)');
  [a, b, o1, o2].forEach((t) => t.release());
}

/** More batch items / row tiles than one grid axis allows: the work is split over several dispatches. */
export async function checkMatmulGridSplit(gpu: Gpu): Promise<void> {
  const max = gpu.limits.maxComputeWorkgroupsPerDimension ?? 65535;
  const n = max + 7;
  // batch split: n batch items of (1 x 2) x (2 x 1)
  const a = randn(n * 2, 700);
  const b = randn(n * 2, 701);
  const ta = gpu.upload(a, [n, 1, 2]);
  const tb = gpu.upload(b, [n, 2, 1]);
  const out = gpu.empty([n, 1, 1]);
  matmul(gpu, out, ta, tb);
  assertClose(await gpu.readF32(out), matmulRef(a, b, { batch: n, M: 1, N: 1, K: 2, bBatched: true }), TOL, `matmul with ${n} batch items`);
  // row-tile split: n rows with a 1-row tile
  const x = randn(n, 702);
  const tx = gpu.upload(x, [n, 1]);
  const tw = gpu.upload([1.5, -2, 0.5, 3], [1, 4]);
  const y = gpu.empty([n, 4]);
  matmul(gpu, y, tx, tw, { tile: { kernel: 'direct', BM: 1, BN: 4, BK: 1, TM: 1, TN: 4 } });
  assertClose(await gpu.readF32(y), matmulRef(x, [1.5, -2, 0.5, 3], { M: n, N: 4, K: 1 }), TOL, `matmul with ${n} row tiles`);
  [ta, tb, out, tx, tw, y].forEach((t) => t.release());
}

/** Reference backward of matmul (all transposes, shared and batched B, alpha) vs float64 finite differences. */
export async function checkMatmulRefGrad(): Promise<void> {
  const dims = { batch: 2, M: 3, N: 4, K: 5 };
  let seed = 800;
  for (const [transA, transB] of TRANS) {
    for (const bBatched of [false, true]) {
      const d = { ...dims, bBatched };
      const a = Float64Array.from(randn(2 * 3 * 5, seed++));
      const b = Float64Array.from(randn((bBatched ? 2 : 1) * 5 * 4, seed++));
      const w = randn(2 * 3 * 4, seed++);
      const opts = { transA, transB, alpha: 0.7 };
      const { dA, dB } = matmulBackwardRef(w, a, b, d, opts);
      const what = `matmulBackwardRef${transA ? ' transA' : ''}${transB ? ' transB' : ''}${bBatched ? ' batched B' : ''}`;
      assertClose(dA, finiteDiff((x) => dot(w, matmulRef(x, b, d, opts)), a), { atol: 1e-7, rtol: 1e-6 }, `${what} dA vs finite differences`);
      assertClose(dB, finiteDiff((x) => dot(w, matmulRef(a, x, d, opts)), b), { atol: 1e-7, rtol: 1e-6 }, `${what} dB vs finite differences`);
    }
  }
  // linear reference backward
  const [rows, inF, outF] = [4, 6, 5];
  const x = Float64Array.from(randn(rows * inF, 850));
  const wt = Float64Array.from(randn(outF * inF, 851));
  const r = randn(rows * outF, 852);
  const { dX, dW } = linearBackwardRef(r, x, wt, rows, inF, outF);
  assertClose(dX, finiteDiff((v) => dot(r, linearForwardRef(v, wt, rows, inF, outF)), x), { atol: 1e-7, rtol: 1e-6 }, 'linearBackwardRef dX vs finite differences');
  assertClose(dW, finiteDiff((v) => dot(r, linearForwardRef(x, v, rows, inF, outF)), wt), { atol: 1e-7, rtol: 1e-6 }, 'linearBackwardRef dW vs finite differences');
}

/** linearForward / linearBackward vs the reference: (B, T, C) activations, f32 and f16 weights, accumulate, null gradients. */
export async function checkLinear(gpu: Gpu): Promise<void> {
  const [B, T, inF, outF] = [3, 7, 45, 29];
  const rows = B * T;
  for (const half of gpu.f16 ? [false, true] : [false]) {
    const x = randn(rows * inF, 900);
    const wRaw = randn(outF * inF, 901, 0.3);
    const w = half ? wRaw.map(roundToHalf) : wRaw;
    const dy = randn(rows * outF, 902);
    const tx = gpu.upload(x, [B, T, inF]);
    const tw = gpu.upload(w, [outF, inF], half ? 'f16' : 'f32');
    const tdy = gpu.upload(dy, [B, T, outF]);
    const y = gpu.empty([B, T, outF]);
    const dX = gpu.empty([B, T, inF]);
    const dW = gpu.empty([outF, inF]);
    const what = `linear${half ? ' f16 weight' : ''}`;
    const yRef = linearForwardRef(x, w, rows, inF, outF);
    linearForward(gpu, y, tx, tw);
    assertClose(await gpu.readF32(y), yRef, TOL, `${what} forward`);
    linearForward(gpu, y, tx, tw, { accumulate: true });
    assertClose(await gpu.readF32(y), yRef.map((v) => 2 * v), TOL, `${what} forward accumulated`);
    const ref = linearBackwardRef(dy, x, w, rows, inF, outF);
    if (half) {
      linearBackward(gpu, dX, null, tdy, tx, tw);
      assertClose(await gpu.readF32(dX), ref.dX, TOL, `${what} dX (frozen f16 weight, no dW)`);
    } else {
      linearBackward(gpu, dX, dW, tdy, tx, tw);
      assertClose(await gpu.readF32(dX), ref.dX, TOL, `${what} dX`);
      assertClose(await gpu.readF32(dW), ref.dW, TOL, `${what} dW`);
      linearBackward(gpu, dX, dW, tdy, tx, tw, { accumulateDX: true, accumulateDW: true });
      assertClose(await gpu.readF32(dX), ref.dX.map((v) => 2 * v), TOL, `${what} dX accumulated`);
      assertClose(await gpu.readF32(dW), ref.dW.map((v) => 2 * v), TOL, `${what} dW accumulated`);
      linearBackward(gpu, null, dW, tdy, tx, tw, { accumulateDW: true });
      assertClose(await gpu.readF32(dW), ref.dW.map((v) => 3 * v), TOL, `${what} dW accumulated again, dX null`);
      assertClose(await gpu.readF32(dX), ref.dX.map((v) => 2 * v), TOL, `${what} dX untouched when null`);
    }
    [tx, tw, tdy, y, dX, dW].forEach((t) => t.release());
  }
}

/** Central differences of L = sum(R * linear(x, W)) on the GPU forward at a few x and W coordinates. */
export async function checkLinearGpuFiniteDiff(gpu: Gpu): Promise<void> {
  const [rows, inF, outF] = [9, 37, 21];
  const x = randn(rows * inF, 950);
  const w = randn(outF * inF, 951, 0.3);
  const r = randn(rows * outF, 952);
  const tx = gpu.upload(x, [rows, inF]);
  const tw = gpu.upload(w, [outF, inF]);
  const tr = gpu.upload(r, [rows, outF]);
  const y = gpu.empty([rows, outF]);
  const dX = gpu.empty([rows, inF]);
  const dW = gpu.empty([outF, inF]);
  linearBackward(gpu, dX, dW, tr, tx, tw);
  const gX = await gpu.readF32(dX);
  const gW = await gpu.readF32(dW);
  const loss = async (t: Tensor, host: Float32Array): Promise<number> => {
    gpu.write(t, host);
    linearForward(gpu, y, tx, tw);
    return dot(r, await gpu.readF32(y));
  };
  const eps = 1e-2;
  for (const [name, t, host, grad] of [
    ['dX', tx, x, gX],
    ['dW', tw, w, gW],
  ] as const) {
    for (const i of sampleCoords(host.length, 3, 953)) {
      const h = Float32Array.from(host);
      h[i] = host[i] + eps;
      const lp = await loss(t, h);
      h[i] = host[i] - eps;
      const lm = await loss(t, h);
      gpu.write(t, host);
      assertClose([(lp - lm) / (2 * eps)], [grad[i]], { atol: 5e-3, rtol: 1e-2 }, `GPU finite difference ${name}[${i}]`);
    }
  }
  [tx, tw, tr, y, dX, dW].forEach((t) => t.release());
}

/** Bad inputs fail before any dispatch with messages naming the kernel, the shapes and the limit. */
export async function checkMatmulErrors(gpu: Gpu): Promise<void> {
  const a = gpu.zeros([2, 3, 4]);
  const b = gpu.zeros([4, 5]);
  const out = gpu.empty([2, 3, 5]);
  expectError(() => matmul(gpu, out, a, gpu.zeros([3, 5])), /matmul: inner dimensions differ: op\(A\) is 3 x 4 but op\(B\) is 3 x 5/, 'inner mismatch');
  expectError(() => matmul(gpu, out, a, b, { transB: true }), /matmul: inner dimensions differ.*b \[4, 5\].*transB/, 'inner mismatch transB');
  expectError(() => matmul(gpu, gpu.empty([2, 3, 6]), a, b), /matmul: out must have shape \[2, 3, 5\]/, 'out shape');
  expectError(() => matmul(gpu, out, a, gpu.zeros([3, 4, 5])), /matmul: batch dims of b \[3\] must equal those of a \[2\]/, 'batch mismatch');
  expectError(() => matmul(gpu, out, gpu.zeros([2, 3, 4], 'i32'), b), /matmul: a must be f32, got i32/, 'a dtype');
  expectError(() => matmul(gpu, out, a, gpu.zeros([4, 5], 'u32')), /matmul: b must be f32 or f16, got u32/, 'b dtype');
  expectError(() => matmul(gpu, gpu.empty([2, 3, 5], 'i32'), a, b), /matmul: out must be f32/, 'out dtype');
  expectError(() => matmul(gpu, gpu.zeros([4]), gpu.zeros([4]), b), /matmul: out must have at least 2 dims/, 'rank');
  expectError(() => matmul(gpu, a, a, gpu.zeros([4, 4])), /matmul: out must not share a buffer with a or b/, 'aliasing');
  expectError(() => matmul(gpu, out, a, b, { tile: { kernel: 'direct', BM: 8, BN: 8, BK: 1, TM: 8, TN: 6 } }), /matmul: bad tile .*TN of 4/, 'bad tile');
  expectError(() => matmulNaive(gpu, out, a, gpu.zeros([5, 5])), /matmul.naive: inner dimensions differ/, 'naive inner mismatch');
  // f16 weights on an adapter without shader-f16 (simulated), and a tensor over the binding limit (simulated)
  const noF16 = Object.create(gpu, { f16: { value: false } }) as Gpu;
  const bh = gpu.upload([1, 2, 3, 4], [2, 2], 'f16');
  expectError(() => matmul(noF16, gpu.empty([2, 2]), gpu.zeros([2, 2]), bh), /matmul: b is f16 but this adapter has no 'shader-f16'.*b \[2, 2\]:f16/, 'f16 without shader-f16');
  const small = Object.create(gpu, { limits: { value: { ...gpu.limits, maxStorageBufferBindingSize: 64 } } }) as Gpu;
  expectError(() => matmul(small, out, a, b), /matmul: out \[2, 3, 5\]:f32 is 120 bytes, over this adapter's maxStorageBufferBindingSize of 64/, 'binding limit');
  // linear helpers name themselves
  const x = gpu.zeros([6, 4]);
  const w = gpu.zeros([5, 4]);
  expectError(() => linearForward(gpu, gpu.empty([6, 4]), x, w), /linear.forward: y must have shape \[6, 5\]/, 'linear y shape');
  expectError(() => linearForward(gpu, gpu.empty([6, 5]), x, gpu.zeros([5, 3])), /linear.forward: x must be \(\.\.\., 3\)/, 'linear x shape');
  expectError(() => linearBackward(gpu, gpu.empty([6, 3]), null, gpu.zeros([6, 5]), x, w), /linear.backward: dX must have the shape of x \[6, 4\]/, 'linear dX shape');
  expectError(() => linearBackward(gpu, null, gpu.empty([5, 4], 'i32'), gpu.zeros([6, 5]), x, w), /linear.backward: dW must be f32/, 'linear dW dtype');
  [a, b, out, bh, x, w].forEach((t) => t.release());
}
