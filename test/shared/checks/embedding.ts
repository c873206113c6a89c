// Embedding checks (forward gather, backward scatter without atomics, out-of-range ids, f16 tables,
// bad inputs), shared by the Node (Dawn) and browser (Chromium) test projects.
import { roundToHalf, type Gpu, type Tensor } from '../../../src/gpu';
import { embeddingBackward, embeddingCheckIds, embeddingForward } from '../../../src/kernels/embedding';
import { embeddingBackwardRef, embeddingForwardRef } from '../../../src/kernels/embedding.ref';
import { assertClose, dot, expectError, expectReject, finiteDiff, needF16, randn, rng } from '../check';

const N = 37;
const C = 45;
const V = 50;



/** n ids in [0, range), seeded; small ranges give many repeated ids. */
function randIds(n: number, range: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * range));
}

async function forwardCase(gpu: Gpu, idType: 'u32' | 'i32', half: boolean, seed: number): Promise<void> {
  const ids = randIds(N, V, seed);
  ids[3] = V; // out of range: zero rows, no out-of-bounds read
  ids[4] = 1_000_000;
  if (idType === 'i32') ids[5] = -1;
  const table = randn(V * C, seed + 1).map((v) => (half ? roundToHalf(v) : v));
  const tIds = gpu.upload(ids, [N], idType);
  const tTab = gpu.upload(table, [V, C], half ? 'f16' : 'f32');
  const out = gpu.empty([N, C]);
  embeddingForward(gpu, out, tIds, tTab);
  assertClose(await gpu.readF32(out), embeddingForwardRef(ids, table, V, C), { atol: 0, rtol: 0 }, `embedding.forward ${idType} ids${half ? ' f16 table' : ''}`);
  [tIds, tTab, out].forEach((t) => t.release());
}

export async function checkEmbeddingForward(gpu: Gpu): Promise<void> {
  await forwardCase(gpu, 'u32', false, 1);
  await forwardCase(gpu, 'i32', false, 2);
}

/** f16 table against the reference; needs an adapter with shader-f16. */
export async function checkEmbeddingF16(gpu: Gpu): Promise<void> {
  needF16(gpu, 'checkEmbeddingF16');
  await forwardCase(gpu, 'u32', true, 3);
}

export async function checkEmbeddingRefGrad(): Promise<void> {
  const v = 6;
  const c = 5;
  const ids = [2, 0, 2, 5, 2, 9, 0];
  const table = Float64Array.from(randn(v * c, 4));
  const w = randn(ids.length * c, 5);
  const g = embeddingBackwardRef(w, ids, v, c);
  assertClose(g, finiteDiff((t) => dot(w, embeddingForwardRef(ids, t, v, c)), table), { atol: 1e-8, rtol: 1e-7 }, 'ref dTable vs finite differences');
}

/** Many repeated ids (range 9), out-of-range ids, overwrite of a dirty dTable, then accumulate. */
export async function checkEmbeddingBackward(gpu: Gpu): Promise<void> {
  for (const [n, range, seed] of [
    [N, 9, 10],
    [300, V, 11],
    [1, V, 12],
  ] as const) {
    const ids = randIds(n, range, seed);
    if (n > 4) {
      ids[n - 1] = V + 3;
      ids[2] = V;
      ids[1] = -1;
    }
    const dy = randn(n * C, seed + 1);
    const tIds = gpu.upload(ids, [n], 'i32');
    const dOut = gpu.upload(dy, [n, C]);
    const dTable = gpu.upload(randn(V * C, seed + 2), [V, C]); // garbage that must be overwritten
    embeddingBackward(gpu, dTable, dOut, tIds);
    const ref = embeddingBackwardRef(dy, ids, V, C);
    assertClose(await gpu.readF32(dTable), ref, { atol: 1e-5, rtol: 1e-5 }, `embedding.backward N=${n} id range ${range}`);
    embeddingBackward(gpu, dTable, dOut, tIds, { accumulate: true });
    assertClose(await gpu.readF32(dTable), ref.map((v) => 2 * v), { atol: 2e-5, rtol: 1e-5 }, `embedding.backward accumulate N=${n}`);
    [tIds, dOut, dTable].forEach((t) => t.release());
  }
}

/** Central differences of L = sum(w * out) on the GPU forward, at table coordinates of used rows. */
export async function checkEmbeddingGpuFiniteDiff(gpu: Gpu): Promise<void> {
  const ids = randIds(N, 9, 20);
  const table = randn(V * C, 21);
  const w = randn(N * C, 22);
  const tIds = gpu.upload(ids, [N], 'u32');
  const tTab = gpu.upload(table, [V, C]);
  const out = gpu.empty([N, C]);
  const loss = async (t: Tensor, host: Float32Array): Promise<number> => {
    gpu.write(t, host);
    embeddingForward(gpu, out, tIds, tTab);
    return dot(w, await gpu.readF32(out));
  };
  const ref = embeddingBackwardRef(w, ids, V, C);
  const eps = 1e-2;
  for (const i of [ids[0] * C + 3, ids[1] * C + 44, ids[7] * C, 49 * C + 1]) {
    const h = Float32Array.from(table);
    h[i] = table[i] + eps;
    const lp = await loss(tTab, h);
    h[i] = table[i] - eps;
    const lm = await loss(tTab, h);
    assertClose([(lp - lm) / (2 * eps)], [ref[i]], { atol: 2e-3, rtol: 1e-2 }, `GPU finite difference dTable[${i}]`);
  }
  [tIds, tTab, out].forEach((t) => t.release());
}

export async function checkEmbeddingIdsDebug(gpu: Gpu): Promise<void> {
  const good = gpu.upload([0, 5, V - 1], [3], 'i32');
  await embeddingCheckIds(gpu, good, V);
  const bad = gpu.upload([0, -1, 7], [3], 'i32');
  await expectReject(embeddingCheckIds(gpu, bad, V), /token id -1 at position 1 .* outside the vocabulary \[0, 50\)/, 'negative id');
  const big = gpu.upload([0, V], [2], 'u32');
  await expectReject(embeddingCheckIds(gpu, big, V), /token id 50 at position 1/, 'id = V');
  [good, bad, big].forEach((t) => t.release());
}

export async function checkEmbeddingErrors(gpu: Gpu): Promise<void> {
  const idsF = gpu.zeros([4]);
  const ids = gpu.zeros([4], 'u32');
  const table = gpu.zeros([10, 3]);
  expectError(() => embeddingForward(gpu, gpu.empty([4, 3]), idsF, table), /embedding.forward: ids must be u32 or i32, got f32/, 'ids dtype');
  expectError(() => embeddingForward(gpu, gpu.empty([4, 4]), ids, table), /embedding.forward: out must have shape \[4, 3\]/, 'out shape');
  expectError(() => embeddingBackward(gpu, table, gpu.zeros([5, 3]), ids), /embedding.backward: dOut must have shape \[4, 3\]/, 'dOut shape');
  [idsF, ids, table].forEach((t) => t.release());
}
