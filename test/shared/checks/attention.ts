// Causal attention checks (forward and backward vs the float64 reference, masks, KV-cache decode, GQA,
// finite differences, bad inputs), shared by the Node (Dawn) and browser (Chromium) test projects. Each GPU
// check takes the kernel variant to run ('tiled' / 'direct'; default: the adapter's choice).
import type { Gpu, Tensor } from '../../../src/gpu';
import { ATTN_DIRECT, attentionBackward, attentionForward, attentionTiles, attentionVariant, type AttnDims, type AttnOptions, type AttnVariant } from '../../../src/kernels/attention';
import { attentionBackwardRef, attentionForwardRef, visibleKeys, type AttnRefOptions } from '../../../src/kernels/attention.ref';
import { assertClose, dot, expectError, finiteDiff, randn, sampleCoords } from '../check';

interface Case {
  dims: AttnDims;
  kvLens?: number[];
  keyStart?: number[];
  /** kvStrideT (cache capacity); default Tk. */
  S?: number;
  scale?: number;
  workgroupBytes?: number;
  /** Spread of q (larger = peakier softmax). */
  qScale?: number;
  /** Kernel variant; default the adapter's choice. */
  variant?: AttnVariant;
}

const FWD_TOL = { atol: 2e-5, rtol: 1e-4 };
const BWD_TOL = { atol: 1e-4, rtol: 1e-3 };

function describe(c: Case): string {
  const { B, Hq, Hkv, Tq, Tk, D } = c.dims;
  const extra = [c.S !== undefined ? `S=${c.S}` : '', c.kvLens ? `kvLens=${c.kvLens}` : '', c.keyStart ? `keyStart=${c.keyStart}` : '', c.workgroupBytes ? `wgBytes=${c.workgroupBytes}` : '']
    .filter(Boolean)
    .join(' ');
  return `attention${c.variant ? ` (${c.variant})` : ''} B=${B} Hq=${Hq} Hkv=${Hkv} Tq=${Tq} Tk=${Tk} D=${D}${extra ? ' ' + extra : ''}`;
}

function refOpts(c: Case): AttnRefOptions {
  return { scale: c.scale, kvLens: c.kvLens, keyStart: c.keyStart, kvStrideT: c.S };
}

/** Random q, k, v; k / v rows past each batch's key window end hold NaN (a cache's unused tail must never be read). */
function inputs(c: Case, seed: number) {
  const { B, Hq, Hkv, Tq, Tk, D } = c.dims;
  const S = c.S ?? Tk;
  const q = randn(B * Hq * Tq * D, seed, c.qScale ?? 1);
  const k = randn(B * Hkv * S * D, seed + 1);
  const v = randn(B * Hkv * S * D, seed + 2);
  for (let b = 0; b < B; b++) {
    const end = c.kvLens ? Math.min(c.kvLens[b], Tk) : Tk;
    for (let h = 0; h < Hkv; h++) {
      const from = ((b * Hkv + h) * S + end) * D;
      const to = (b * Hkv + h + 1) * S * D;
      k.fill(NaN, from, to);
      v.fill(NaN, from, to);
    }
  }
  return { q, k, v };
}

interface Uploaded {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  opts: AttnOptions;
  all: Tensor[];
}

function upload(gpu: Gpu, c: Case, data: { q: Float32Array; k: Float32Array; v: Float32Array }): Uploaded {
  const { B, Hq, Hkv, Tq, Tk, D } = c.dims;
  const S = c.S ?? Tk;
  const q = gpu.upload(data.q, [B, Hq, Tq, D]);
  const k = gpu.upload(data.k, [B, Hkv, S, D]);
  const v = gpu.upload(data.v, [B, Hkv, S, D]);
  const opts: AttnOptions = { scale: c.scale, kvStrideT: c.S, workgroupBytes: c.workgroupBytes, variant: c.variant };
  const all = [q, k, v];
  if (c.kvLens) all.push((opts.kvLens = gpu.upload(c.kvLens, [B], 'u32')));
  if (c.keyStart) all.push((opts.keyStart = gpu.upload(c.keyStart, [B], 'u32')));
  return { q, k, v, opts, all };
}

function runForward(gpu: Gpu, c: Case, u: Uploaded) {
  const { B, Hq, Tq, D } = c.dims;
  const out = gpu.empty([B, Hq, Tq, D], 'f32', 'out');
  const lse = gpu.empty([B, Hq, Tq], 'f32', 'lse');
  attentionForward(gpu, out, lse, u.q, u.k, u.v, c.dims, u.opts);
  return { out, lse };
}

async function forwardCase(gpu: Gpu, c: Case, seed: number): Promise<void> {
  const data = inputs(c, seed);
  const u = upload(gpu, c, data);
  const { out, lse } = runForward(gpu, c, u);
  const ref = attentionForwardRef(data.q, data.k, data.v, c.dims, refOpts(c));
  const what = describe(c);
  assertClose(await gpu.readF32(out), ref.out, FWD_TOL, `${what} out`);
  assertClose(await gpu.readF32(lse), ref.lse, FWD_TOL, `${what} lse`);
  [...u.all, out, lse].forEach((t) => t.release());
}

async function backwardCase(gpu: Gpu, c: Case, seed: number): Promise<void> {
  const { B, Hq, Hkv, Tq, Tk, D } = c.dims;
  const S = c.S ?? Tk;
  const data = inputs(c, seed);
  const dy = randn(B * Hq * Tq * D, seed + 3);
  const u = upload(gpu, c, data);
  const { out, lse } = runForward(gpu, c, u);
  const dOut = gpu.upload(dy, [B, Hq, Tq, D]);
  // Garbage in the gradients first: the backward must overwrite every element.
  const dQ = gpu.upload(new Float32Array(B * Hq * Tq * D).fill(7), [B, Hq, Tq, D]);
  const dK = gpu.upload(new Float32Array(B * Hkv * S * D).fill(7), [B, Hkv, S, D]);
  const dV = gpu.upload(new Float32Array(B * Hkv * S * D).fill(7), [B, Hkv, S, D]);
  attentionBackward(gpu, dQ, dK, dV, dOut, u.q, u.k, u.v, out, lse, c.dims, u.opts);
  const ref = attentionBackwardRef(dy, data.q, data.k, data.v, c.dims, refOpts(c));
  const what = describe(c);
  assertClose(await gpu.readF32(dQ), ref.dQ, BWD_TOL, `${what} dQ`);
  assertClose(await gpu.readF32(dK), ref.dK, BWD_TOL, `${what} dK`);
  assertClose(await gpu.readF32(dV), ref.dV, BWD_TOL, `${what} dV`);
  [...u.all, out, lse, dOut, dQ, dK, dV].forEach((t) => t.release());
}

/** Forward at ragged lengths (not multiples of the tiles), D in {6, 24, 40, 64, 128}, GQA groups 1, 2, 7, several tiles. */
export async function checkAttentionForward(gpu: Gpu, variant?: AttnVariant): Promise<void> {
  await forwardCase(gpu, { dims: { B: 2, Hq: 4, Hkv: 2, Tq: 37, Tk: 37, D: 64 }, variant }, 1);
  await forwardCase(gpu, { dims: { B: 1, Hq: 14, Hkv: 2, Tq: 21, Tk: 21, D: 128 }, variant }, 2);
  await forwardCase(gpu, { dims: { B: 1, Hq: 7, Hkv: 1, Tq: 19, Tk: 19, D: 24 }, variant }, 3);
  await forwardCase(gpu, { dims: { B: 2, Hq: 2, Hkv: 2, Tq: 13, Tk: 13, D: 40 }, scale: 0.3, variant }, 4);
  // D not a multiple of 4 (the direct kernels' scalar row path), with a cache window.
  await forwardCase(gpu, { dims: { B: 2, Hq: 4, Hkv: 1, Tq: 11, Tk: 14, D: 6 }, S: 15, kvLens: [14, 12], keyStart: [0, 2], variant }, 8);
  // Peaky softmax over many tiles: the running max changes as tiles arrive.
  await forwardCase(gpu, { dims: { B: 1, Hq: 2, Hkv: 1, Tq: 130, Tk: 130, D: 64 }, qScale: 4, variant }, 5);
}

/** Small-tile path (as on an adapter with 16 KiB of workgroup memory) gives the same results; the direct variant ignores the cap. */
export async function checkAttentionSmallTiles(gpu: Gpu, variant?: AttnVariant): Promise<void> {
  const big = attentionTiles('forward', 128, 32768);
  const small = attentionTiles('forward', 128, 16384);
  if (big.rows * big.lanes <= small.rows * small.lanes) throw new Error(`expected smaller tiles under 16 KiB, got ${JSON.stringify(big)} vs ${JSON.stringify(small)}`);
  const c: Case = { dims: { B: 1, Hq: 4, Hkv: 2, Tq: 29, Tk: 29, D: 128 }, workgroupBytes: 16384, variant };
  await forwardCase(gpu, c, 6);
  await backwardCase(gpu, c, 7);
}

/** Tq < Tk: decode one token against a KV cache (capacity S > Tk, NaN in the unused tail), and a chunk of 5. */
export async function checkAttentionDecode(gpu: Gpu, variant?: AttnVariant): Promise<void> {
  await forwardCase(gpu, { dims: { B: 2, Hq: 14, Hkv: 2, Tq: 1, Tk: 45, D: 64 }, S: 48, variant }, 11);
  await forwardCase(gpu, { dims: { B: 1, Hq: 4, Hkv: 1, Tq: 5, Tk: 40, D: 64 }, variant }, 12);
}

/** kvLens and keyStart: ragged cache ends, left padding, rows with no visible key (out = 0, lse = 0, no NaN). */
export async function checkAttentionMasks(gpu: Gpu, variant?: AttnVariant): Promise<void> {
  const prefill: Case = { dims: { B: 3, Hq: 2, Hkv: 1, Tq: 20, Tk: 20, D: 64 }, kvLens: [20, 15, 12], keyStart: [0, 3, 9], variant };
  const decode: Case = { dims: { B: 3, Hq: 4, Hkv: 2, Tq: 1, Tk: 30, D: 64 }, S: 32, kvLens: [30, 17, 5], keyStart: [0, 2, 5], variant };
  const leftPad: Case = { dims: { B: 2, Hq: 2, Hkv: 2, Tq: 18, Tk: 18, D: 40 }, keyStart: [0, 6], variant };
  gpu.debug = true; // any non-finite value written by a kernel fails the sync
  try {
    for (const [c, seed] of [[prefill, 21], [decode, 22], [leftPad, 23]] as const) {
      await forwardCase(gpu, c, seed);
      // Rows with no visible key really occur in these cases, and come out exactly zero.
      const data = inputs(c, seed);
      const u = upload(gpu, c, data);
      const { out, lse } = runForward(gpu, c, u);
      const o = await gpu.readF32(out);
      const l = await gpu.readF32(lse);
      const { B, Hq, Tq, D } = c.dims;
      let masked = 0;
      for (let b = 0; b < B; b++)
        for (let i = 0; i < Tq; i++) {
          const [lo, hi] = visibleKeys(c.dims, b, i, refOpts(c));
          if (hi >= lo) continue;
          for (let h = 0; h < Hq; h++) {
            const row = (b * Hq + h) * Tq + i;
            masked++;
            if (l[row] !== 0 || o.subarray(row * D, (row + 1) * D).some((x) => x !== 0)) throw new Error(`${describe(c)}: masked row b=${b} h=${h} i=${i} is not zero`);
          }
        }
      if (masked === 0) throw new Error(`${describe(c)}: expected some fully masked rows`);
      [...u.all, out, lse].forEach((t) => t.release());
    }
    await backwardCase(gpu, prefill, 24);
    await backwardCase(gpu, { ...decode, dims: { ...decode.dims, Tq: 3 } }, 25);
    await backwardCase(gpu, leftPad, 26);
    await gpu.sync();
  } finally {
    gpu.debug = false;
  }
}

/** Reference backward vs central finite differences of the reference forward (float64), with and without masks. */
export async function checkAttentionRefGrad(): Promise<void> {
  const cases: Case[] = [
    { dims: { B: 1, Hq: 2, Hkv: 1, Tq: 4, Tk: 4, D: 3 } },
    { dims: { B: 2, Hq: 2, Hkv: 2, Tq: 3, Tk: 6, D: 4 }, S: 7, kvLens: [6, 4], keyStart: [1, 2], scale: 0.7 },
  ];
  for (const [n, c] of cases.entries()) {
    const { B, Hq, Hkv, Tq, Tk, D } = c.dims;
    const S = c.S ?? Tk;
    const q = Float64Array.from(randn(B * Hq * Tq * D, 31 + n));
    const k = Float64Array.from(randn(B * Hkv * S * D, 32 + n));
    const v = Float64Array.from(randn(B * Hkv * S * D, 33 + n));
    const w = randn(B * Hq * Tq * D, 34 + n);
    const o = refOpts(c);
    const { dQ, dK, dV } = attentionBackwardRef(w, q, k, v, c.dims, o);
    const tol = { atol: 1e-8, rtol: 1e-6 };
    assertClose(dQ, finiteDiff((x) => dot(w, attentionForwardRef(x, k, v, c.dims, o).out), q), tol, `${describe(c)} ref dQ vs finite differences`);
    assertClose(dK, finiteDiff((x) => dot(w, attentionForwardRef(q, x, v, c.dims, o).out), k), tol, `${describe(c)} ref dK vs finite differences`);
    assertClose(dV, finiteDiff((x) => dot(w, attentionForwardRef(q, k, x, c.dims, o).out), v), tol, `${describe(c)} ref dV vs finite differences`);
  }
}

/** GPU backward vs the reference: ragged T, GQA 2 and 7, an offset with a cache stride, D in {6, 24, 40, 64, 128}. */
export async function checkAttentionBackward(gpu: Gpu, variant?: AttnVariant): Promise<void> {
  await backwardCase(gpu, { dims: { B: 2, Hq: 4, Hkv: 2, Tq: 37, Tk: 37, D: 64 }, variant }, 41);
  await backwardCase(gpu, { dims: { B: 1, Hq: 7, Hkv: 1, Tq: 19, Tk: 23, D: 40 }, S: 25, variant }, 42);
  await backwardCase(gpu, { dims: { B: 1, Hq: 14, Hkv: 2, Tq: 21, Tk: 21, D: 128 }, variant }, 43);
  await backwardCase(gpu, { dims: { B: 1, Hq: 2, Hkv: 1, Tq: 70, Tk: 70, D: 24 }, qScale: 3, variant }, 44);
  await backwardCase(gpu, { dims: { B: 2, Hq: 4, Hkv: 2, Tq: 9, Tk: 12, D: 6 }, S: 13, kvLens: [12, 10], keyStart: [0, 3], variant }, 45);
}

/** Finite differences of the GPU forward (f32) at a few coordinates of q, k and v agree with the GPU backward. */
export async function checkAttentionGpuFiniteDiff(gpu: Gpu, variant?: AttnVariant): Promise<void> {
  const c: Case = { dims: { B: 1, Hq: 4, Hkv: 2, Tq: 9, Tk: 11, D: 24 }, variant };
  const { B, Hq, Hkv, Tq, Tk, D } = c.dims;
  const data = inputs(c, 51);
  const w = randn(B * Hq * Tq * D, 52);
  const u = upload(gpu, c, data);
  const { out, lse } = runForward(gpu, c, u);
  const dOut = gpu.upload(w, [B, Hq, Tq, D]);
  const dQ = gpu.empty([B, Hq, Tq, D]);
  const dK = gpu.empty([B, Hkv, Tk, D]);
  const dV = gpu.empty([B, Hkv, Tk, D]);
  attentionBackward(gpu, dQ, dK, dV, dOut, u.q, u.k, u.v, out, lse, c.dims, u.opts);
  const grads = { q: await gpu.readF32(dQ), k: await gpu.readF32(dK), v: await gpu.readF32(dV) };
  const o2 = gpu.empty([B, Hq, Tq, D]);
  const l2 = gpu.empty([B, Hq, Tq]);
  for (const name of ['q', 'k', 'v'] as const) {
    const base = data[name];
    const t = u[name];
    const coords = sampleCoords(base.length, 5, name.charCodeAt(0));
    const loss = async (x: Float64Array): Promise<number> => {
      gpu.write(t, Float32Array.from(x));
      attentionForward(gpu, o2, l2, u.q, u.k, u.v, c.dims, u.opts);
      return dot(w, await gpu.readF32(o2));
    };
    // Central differences by hand: each loss evaluation is an async GPU round trip.
    const eps = 1e-2;
    const x = Float64Array.from(base);
    const fd = new Float64Array(coords.length);
    const an = new Float64Array(coords.length);
    for (const [n, i] of coords.entries()) {
      x[i] = base[i] + eps;
      const fp = await loss(x);
      x[i] = base[i] - eps;
      const fm = await loss(x);
      x[i] = base[i];
      fd[n] = (fp - fm) / (2 * eps);
      an[n] = grads[name][i];
    }
    gpu.write(t, base);
    assertClose(an, fd, { atol: 3e-3, rtol: 2e-2 }, `${describe(c)}: GPU d${name} vs GPU finite differences`);
  }
  [...u.all, out, lse, dOut, dQ, dK, dV, o2, l2].forEach((t) => t.release());
}

/**
 * Direct variant over more than 65535 workgroups (one per batch item here): the flat workgroup index is
 * split over x and y, with padding workgroups that must do nothing; kvLens varies per batch item.
 */
export async function checkAttentionDirectLargeGrid(gpu: Gpu): Promise<void> {
  const B = 65537;
  const kvLens = Array.from({ length: B }, (_, b) => 1 + ((b * 7) % 3));
  const c: Case = { dims: { B, Hq: 2, Hkv: 1, Tq: 2, Tk: 3, D: 6 }, kvLens, variant: 'direct' };
  await forwardCase(gpu, c, 61);
  await backwardCase(gpu, c, 62);
}

/** The default variant: 'direct' on CPU adapters while D fits, 'tiled' on GPUs and past the direct limit; an explicit variant wins. */
export function checkAttentionDefaultVariant(gpu: Gpu, isCpu: boolean): void {
  const want = isCpu ? 'direct' : 'tiled';
  const got = attentionVariant(gpu, 24);
  if (got !== want) throw new Error(`attention: default variant at D=24 on ${isCpu ? 'a CPU' : 'a GPU'} adapter should be ${want}, got ${got}`);
  if (attentionVariant(gpu, ATTN_DIRECT.maxD + 1) !== 'tiled') throw new Error(`attention: D=${ATTN_DIRECT.maxD + 1} should default to 'tiled'`);
  for (const v of ['tiled', 'direct'] as const) {
    if (attentionVariant(gpu, 24, { variant: v }) !== v) throw new Error(`attention: variant '${v}' was not honoured`);
  }
}

/** Bad inputs throw errors that name the kernel and the limit or the expected shape. */
export async function checkAttentionErrors(gpu: Gpu): Promise<void> {
  const mk = (shape: number[], dtype: 'f32' | 'u32' = 'f32') => gpu.zeros(shape, dtype);
  const made: Tensor[] = [];
  const t = (shape: number[], dtype: 'f32' | 'u32' = 'f32') => {
    const x = mk(shape, dtype);
    made.push(x);
    return x;
  };
  // D too large for the workgroup memory (tiled; the default on every adapter at this D) or the registers (direct).
  const bigD: AttnDims = { B: 1, Hq: 1, Hkv: 1, Tq: 2, Tk: 2, D: 4096 };
  if (attentionVariant(gpu, 4096) !== 'tiled') throw new Error(`attention: D=4096 should default to the tiled variant, got ${attentionVariant(gpu, 4096)}`);
  expectError(
    () => attentionForward(gpu, t([1, 1, 2, 4096]), t([1, 1, 2]), t([1, 1, 2, 4096]), t([1, 1, 2, 4096]), t([1, 1, 2, 4096]), bigD, { variant: 'tiled' }),
    /attention\.forward: head dim D=4096 needs \d+ bytes of workgroup memory.*limit of \d+ bytes \(maxComputeWorkgroupStorageSize\).*largest head dim that fits is D=\d+/,
    'D too large',
  );
  const b4096 = () => t([1, 1, 2, 4096]);
  expectError(
    () => attentionBackward(gpu, b4096(), b4096(), b4096(), b4096(), b4096(), b4096(), b4096(), b4096(), t([1, 1, 2]), bigD),
    /attention\.backward\.dq: head dim D=4096 needs \d+ bytes of workgroup memory.*maxComputeWorkgroupStorageSize/,
    'backward D too large',
  );
  const overD = ATTN_DIRECT.maxD + 1;
  const dOver: AttnDims = { ...bigD, D: overD };
  const o1 = () => t([1, 1, 2, overD]);
  expectError(
    () => attentionForward(gpu, o1(), t([1, 1, 2]), o1(), o1(), o1(), dOver, { variant: 'direct' }),
    new RegExp(`attention\\.forward: head dim D=${overD} is over the direct kernels' limit of ${ATTN_DIRECT.maxD}.*use variant 'tiled'`),
    'direct D too large',
  );
  expectError(
    () => attentionBackward(gpu, o1(), o1(), o1(), o1(), o1(), o1(), o1(), o1(), t([1, 1, 2]), dOver, { variant: 'direct' }),
    new RegExp(`attention\\.backward\\.dq: head dim D=${overD} is over the direct kernels' limit`),
    'direct backward D too large',
  );
  const dims: AttnDims = { B: 2, Hq: 4, Hkv: 2, Tq: 5, Tk: 6, D: 8 };
  const q = t([2, 4, 5, 8]);
  const k = t([2, 2, 6, 8]);
  const v = t([2, 2, 6, 8]);
  const out = t([2, 4, 5, 8]);
  const lse = t([2, 4, 5]);
  expectError(() => attentionForward(gpu, out, lse, q, k, v, { ...dims, Hq: 3 }), /attention\.forward: Hq=3 must be a multiple of Hkv=2/, 'Hq % Hkv');
  expectError(() => attentionForward(gpu, out, lse, q, t([2, 2, 5, 8]), v, dims), /attention\.forward: k must have shape \[2, 2, 6, 8\], got \[2, 2, 5, 8\]/, 'k shape');
  expectError(() => attentionForward(gpu, out, t([2, 4, 6]), q, k, v, dims), /attention\.forward: lse must have shape \[2, 4, 5\]/, 'lse shape');
  expectError(() => attentionForward(gpu, out, lse, q, k, v, { ...dims, Tq: 7, Tk: 6 }), /attention\.forward: Tq=7 .* Tq <= Tk/, 'Tq > Tk');
  expectError(() => attentionForward(gpu, out, lse, q, k, v, dims, { kvLens: t([2]) }), /attention\.forward: kvLens must be u32/, 'kvLens dtype');
  expectError(() => attentionForward(gpu, out, lse, q, k, v, dims, { keyStart: t([3], 'u32') }), /attention\.forward: keyStart must have shape \[2\]/, 'keyStart shape');
  expectError(() => attentionForward(gpu, out, lse, q, k, v, dims, { kvStrideT: 4 }), /attention\.forward: kvStrideT=4 must be an integer >= Tk=6/, 'kvStrideT');
  expectError(() => attentionForward(gpu, q, lse, q, k, v, dims), /attention\.forward: out and q must be different tensors/, 'aliasing');
  const badVariant = { variant: 'fast' } as unknown as AttnOptions;
  expectError(() => attentionForward(gpu, out, lse, q, k, v, dims, badVariant), /attention\.forward: variant must be 'tiled' or 'direct', got "fast"/, 'variant');
  const dQ = t([2, 4, 5, 8]);
  const dK = t([2, 2, 6, 8]);
  expectError(() => attentionBackward(gpu, dQ, dK, t([2, 2, 5, 8]), out, q, k, v, out, lse, dims), /attention\.backward: dV must have shape \[2, 2, 6, 8\]/, 'dV shape');
  expectError(() => attentionBackward(gpu, dQ, dK, t([2, 2, 6, 8]), t([2, 4, 5, 8]), q, k, v, out, lse, { ...dims, Hkv: 3 }), /attention\.backward: Hq=4 must be a multiple of Hkv=3/, 'backward Hq % Hkv');
  await gpu.sync();
  made.forEach((x) => x.release());
}
