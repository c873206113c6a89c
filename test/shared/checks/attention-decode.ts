// Split decode attention over a KV cache (src/kernels/attention_decode.ts) against the float64 references
// (attentionForwardRef at Tq = 1, and the chunked attentionDecodeRef), f32 and f16 caches, the fused
// K / V cache write, the split policy and bad inputs. Shared by the Node (Dawn) and browser test projects.
import type { Gpu, Tensor } from '../../../src/gpu';
import { roundToHalf } from '../../../src/gpu';
import { attentionForwardRef } from '../../../src/kernels/attention.ref';
import { attentionDecode, decodeSplit, decodeSplitPolicy, writeKvCache, type DecodeDims } from '../../../src/kernels/attention_decode';
import { attentionDecodeRef, writeKvCacheRef } from '../../../src/kernels/attention_decode.ref';
import { assertClose, expectError, randn } from '../check';

interface Case {
  dims: DecodeDims;
  kvLens?: number[];
  keyStart?: number[];
  /** Cache capacity (kvStrideT); default Tk. */
  S?: number;
  /** Keys per chunk (forces the split); default the adapter's policy. */
  chunkLen?: number;
  qScale?: number;
  f16?: boolean;
}

const TOL = { atol: 2e-5, rtol: 1e-4 };

function name(c: Case): string {
  const { B, Hq, Hkv, Tk, D } = c.dims;
  return `attention.decode B=${B} Hq=${Hq} Hkv=${Hkv} Tk=${Tk} D=${D} S=${c.S ?? Tk} chunkLen=${c.chunkLen ?? 'auto'}${c.kvLens ? ` kvLens=${c.kvLens}` : ''}${c.keyStart ? ` keyStart=${c.keyStart}` : ''}${c.f16 ? ' f16' : ''}`;
}

/** One decode case: the GPU against attentionForwardRef (Tq = 1) and the chunked reference; cache rows past each slot's end hold NaN. */
async function decodeCase(gpu: Gpu, c: Case, seed: number): Promise<void> {
  const { B, Hq, Hkv, Tk, D } = c.dims;
  const S = c.S ?? Tk;
  const q = randn(B * Hq * D, seed, c.qScale ?? 1);
  const k = randn(B * Hkv * S * D, seed + 1);
  const v = randn(B * Hkv * S * D, seed + 2);
  if (c.f16) for (const a of [k, v]) for (let i = 0; i < a.length; i++) a[i] = roundToHalf(a[i]); // the reference sees the stored values
  for (let b = 0; b < B; b++) {
    const end = c.kvLens ? Math.min(c.kvLens[b], Tk) : Tk;
    for (let h = 0; h < Hkv; h++) {
      k.fill(NaN, ((b * Hkv + h) * S + end) * D, (b * Hkv + h + 1) * S * D);
      v.fill(NaN, ((b * Hkv + h) * S + end) * D, (b * Hkv + h + 1) * S * D);
    }
  }
  const dt = c.f16 ? 'f16' : 'f32';
  const made: Tensor[] = [];
  const up = (data: ArrayLike<number>, shape: number[], dtype: 'f32' | 'f16' | 'u32' = 'f32') => {
    const t = gpu.upload(data, shape, dtype);
    made.push(t);
    return t;
  };
  const qT = up(q, [B, Hq, 1, D]);
  const kT = up(k, [B, Hkv, S, D], dt);
  const vT = up(v, [B, Hkv, S, D], dt);
  const out = gpu.empty([B, Hq, 1, D], 'f32', 'out');
  const lse = gpu.empty([B, Hq, 1], 'f32', 'lse');
  made.push(out, lse);
  const opts = {
    kvStrideT: c.S,
    chunkLen: c.chunkLen,
    kvLens: c.kvLens ? up(c.kvLens, [B], 'u32') : undefined,
    keyStart: c.keyStart ? up(c.keyStart, [B], 'u32') : undefined,
  };
  attentionDecode(gpu, out, lse, qT, kT, vT, c.dims, opts);
  const o = await gpu.readF32(out);
  const l = await gpu.readF32(lse);
  const refOpts = { kvLens: c.kvLens, keyStart: c.keyStart, kvStrideT: c.S };
  const ref = attentionForwardRef(q, k, v, { ...c.dims, Tq: 1 }, refOpts);
  assertClose(o, ref.out, TOL, `${name(c)} out vs attentionForwardRef`);
  assertClose(l, ref.lse, TOL, `${name(c)} lse vs attentionForwardRef`);
  const chunked = attentionDecodeRef(q, k, v, c.dims, { ...refOpts, chunkLen: decodeSplit(gpu, c.dims, c.chunkLen).chunkLen });
  assertClose(chunked.out, ref.out, { atol: 1e-12, rtol: 1e-10 }, `${name(c)} chunked reference vs attentionForwardRef`);
  assertClose(chunked.lse, ref.lse, { atol: 1e-12, rtol: 1e-10 }, `${name(c)} chunked reference lse`);
  if (o.some((x) => !Number.isFinite(x)) || l.some((x) => !Number.isFinite(x))) throw new Error(`${name(c)}: non-finite output (the NaN cache tail was read)`);
  made.forEach((t) => t.release());
}

/** f32 cache: one chunk and forced splits (chunks with no key, ragged ends, left padding, slots with no key), GQA 1 / 2 / 7, D 6 / 24 / 64 / 128. */
export async function checkDecodeF32(gpu: Gpu): Promise<void> {
  await decodeCase(gpu, { dims: { B: 2, Hq: 14, Hkv: 2, Tk: 45, D: 64 }, S: 48 }, 1);
  await decodeCase(gpu, { dims: { B: 2, Hq: 14, Hkv: 2, Tk: 45, D: 64 }, S: 48, chunkLen: 8 }, 2);
  await decodeCase(gpu, { dims: { B: 3, Hq: 4, Hkv: 2, Tk: 30, D: 64 }, S: 32, kvLens: [30, 17, 5], keyStart: [0, 2, 5], chunkLen: 7 }, 3);
  await decodeCase(gpu, { dims: { B: 2, Hq: 7, Hkv: 1, Tk: 300, D: 24 }, kvLens: [300, 129], chunkLen: 64, qScale: 4 }, 4);
  await decodeCase(gpu, { dims: { B: 2, Hq: 4, Hkv: 1, Tk: 14, D: 6 }, S: 15, kvLens: [14, 12], keyStart: [0, 2], chunkLen: 5 }, 5);
  await decodeCase(gpu, { dims: { B: 1, Hq: 2, Hkv: 2, Tk: 70, D: 128 }, chunkLen: 16 }, 6);
  // More heads per kv head than one tile holds (G = 40 > 32: two tiles).
  await decodeCase(gpu, { dims: { B: 1, Hq: 40, Hkv: 1, Tk: 20, D: 8 }, chunkLen: 6 }, 7);
}

/** Slots with no visible key (keyStart = kvLens) give exactly out = 0, lse = 0, split or not. */
export async function checkDecodeMasked(gpu: Gpu): Promise<void> {
  for (const chunkLen of [undefined, 4]) {
    const dims = { B: 2, Hq: 2, Hkv: 1, Tk: 10, D: 8 };
    const kvLens = gpu.upload([10, 3], [2], 'u32');
    const keyStart = gpu.upload([0, 3], [2], 'u32');
    const q = gpu.upload(randn(2 * 2 * 8, 81), [2, 2, 1, 8]);
    const k = gpu.upload(randn(2 * 10 * 8, 82), [2, 1, 10, 8]);
    const v = gpu.upload(randn(2 * 10 * 8, 83), [2, 1, 10, 8]);
    const out = gpu.upload(new Float32Array(32).fill(7), [2, 2, 1, 8]);
    const lse = gpu.upload(new Float32Array(4).fill(7), [2, 2, 1]);
    attentionDecode(gpu, out, lse, q, k, v, dims, { kvLens, keyStart, chunkLen });
    const o = await gpu.readF32(out);
    const l = await gpu.readF32(lse);
    if (o.subarray(16).some((x) => x !== 0) || l[2] !== 0 || l[3] !== 0) throw new Error(`attention.decode (chunkLen ${chunkLen}): a slot with no visible key must give out = 0, lse = 0, got ${[...o.subarray(16, 20)]} / ${[...l]}`);
    if (o.subarray(0, 16).every((x) => x === 0)) throw new Error('attention.decode: the slot with keys came out zero');
    [kvLens, keyStart, q, k, v, out, lse].forEach((t) => t.release());
  }
}

/** f16 cache: exact against the references evaluated on the f16-rounded keys / values, split and not. */
export async function checkDecodeF16(gpu: Gpu): Promise<void> {
  await decodeCase(gpu, { dims: { B: 2, Hq: 14, Hkv: 2, Tk: 45, D: 64 }, S: 48, f16: true }, 11);
  await decodeCase(gpu, { dims: { B: 3, Hq: 4, Hkv: 2, Tk: 30, D: 64 }, S: 32, kvLens: [30, 17, 5], keyStart: [0, 2, 5], chunkLen: 7, f16: true }, 12);
  await decodeCase(gpu, { dims: { B: 2, Hq: 4, Hkv: 1, Tk: 14, D: 6 }, S: 15, kvLens: [14, 11], chunkLen: 5, f16: true }, 13);
}

/** writeKvCache: scattered rows (with and without a source map) land bit-exactly in f32, rounded to nearest even in f16; other rows untouched. */
export async function checkKvWrite(gpu: Gpu, f16: boolean): Promise<void> {
  const D = f16 ? 7 : 8; // an odd f16 row: neighbouring halves in one 32-bit word written by different rows
  const capRows = 12;
  const n = 5;
  const kN = randn(n * D, 91, 3);
  const vN = randn(n * D, 92, 3);
  const dst = [3, 0, 11, 6];
  const src = [4, 0, 2, 1];
  const dt = f16 ? 'f16' : 'f32';
  const base = (s: number) => Float64Array.from(randn(capRows * D, s).map((x) => (f16 ? roundToHalf(x) : x)));
  for (const useSrc of [false, true]) {
    const k0 = base(93);
    const v0 = base(94);
    const kC = gpu.upload(k0, [capRows, D], dt);
    const vC = gpu.upload(v0, [capRows, D], dt);
    const kT = gpu.upload(kN, [n, D]);
    const vT = gpu.upload(vN, [n, D]);
    const dT = gpu.upload(dst, [dst.length], 'u32');
    const sT = gpu.upload(src, [src.length], 'u32');
    writeKvCache(gpu, kC, vC, kT, vT, { rows: dst.length, D, dstIdx: dT, srcIdx: useSrc ? sT : undefined });
    writeKvCacheRef(k0, v0, kN, vN, D, dst, useSrc ? src : undefined, f16);
    assertClose(await gpu.readF32(kC), k0, { atol: 0, rtol: 0 }, `attention.kvWrite ${dt} keys (source map ${useSrc})`);
    assertClose(await gpu.readF32(vC), v0, { atol: 0, rtol: 0 }, `attention.kvWrite ${dt} values (source map ${useSrc})`);
    [kC, vC, kT, vT, dT, sT].forEach((t) => t.release());
  }
}

/** The split policy: one chunk while the batch fills the adapter or the cache is short; a long cache with idle workgroups splits. */
export function checkDecodeSplitPolicy(gpu: Gpu): void {
  const pol = decodeSplitPolicy(gpu);
  const long = pol.minChunk * 8;
  const one = decodeSplit(gpu, { B: 1, Hq: 1, Hkv: 1, Tk: long, D: 64 });
  const want = Math.min(pol.targetGroups, 8);
  if (one.chunks !== want || one.chunks * one.chunkLen < long || one.chunkLen < pol.minChunk) throw new Error(`decode split of one slot's ${long} keys with ${pol.targetGroups} workgroups wanted: expected ${want} chunks of >= ${pol.minChunk} keys covering the cache, got ${JSON.stringify(one)}`);
  const short = decodeSplit(gpu, { B: 1, Hq: 14, Hkv: 2, Tk: pol.minChunk - 1, D: 64 });
  if (short.chunks !== 1) throw new Error(`decode split: a cache shorter than ${pol.minChunk} keys should not split, got ${JSON.stringify(short)}`);
  const big = decodeSplit(gpu, { B: pol.targetGroups, Hq: 14, Hkv: 2, Tk: long, D: 64 });
  if (big.chunks !== 1) throw new Error(`decode split: batch ${pol.targetGroups} already fills the adapter, expected one chunk, got ${JSON.stringify(big)}`);
  const forced = decodeSplit(gpu, { B: 64, Hq: 14, Hkv: 2, Tk: 45, D: 64 }, 8);
  if (forced.chunks !== 6 || forced.chunkLen !== 8) throw new Error(`decode split: chunkLen 8 over 45 keys should give 6 chunks, got ${JSON.stringify(forced)}`);
}

/** Bad inputs: errors name attention.decode / attention.kvWrite and the problem. */
export async function checkDecodeErrors(gpu: Gpu): Promise<void> {
  const made: Tensor[] = [];
  const t = (shape: number[], dtype: 'f32' | 'f16' | 'u32' = 'f32') => {
    const x = gpu.zeros(shape, dtype);
    made.push(x);
    return x;
  };
  const dims = { B: 2, Hq: 4, Hkv: 2, Tk: 6, D: 8 };
  const q = t([2, 4, 1, 8]);
  const k = t([2, 2, 6, 8]);
  const v = t([2, 2, 6, 8]);
  const out = t([2, 4, 1, 8]);
  const lse = t([2, 4, 1]);
  expectError(() => attentionDecode(gpu, out, lse, q, k, v, { ...dims, Hq: 3 }), /attention\.decode: Hq=3 must be a multiple of Hkv=2/, 'Hq % Hkv');
  expectError(() => attentionDecode(gpu, out, lse, q, t([2, 2, 5, 8]), v, dims), /attention\.decode: k must have shape \[2, 2, 6, 8\]/, 'k shape');
  expectError(() => attentionDecode(gpu, out, lse, q, k, v, dims, { kvStrideT: 4 }), /attention\.decode: kvStrideT=4 must be an integer >= Tk=6/, 'kvStrideT');
  expectError(() => attentionDecode(gpu, out, lse, q, k, v, dims, { chunkLen: 0 }), /attention\.decode: chunkLen must be a positive integer/, 'chunkLen');
  expectError(() => attentionDecode(gpu, q, lse, q, k, v, dims), /attention\.decode: out and q must be different tensors/, 'aliasing');
  expectError(() => attentionDecode(gpu, out, lse, q, k, v, { ...dims, D: 512 }), /attention\.decode: head dim D=512 is over this kernel's limit of 256/, 'D');
  expectError(() => attentionDecode(gpu, out, lse, q, k, v, dims, { kvLens: t([2]) }), /attention\.decode: kvLens must be u32/, 'kvLens dtype');
  expectError(() => writeKvCache(gpu, k, k, q, q, { rows: 1, D: 8, dstIdx: t([1], 'u32') }), /attention\.kvWrite: kCache and vCache must be different tensors/, 'kvWrite alias');
  expectError(() => writeKvCache(gpu, k, v, q, q, { rows: 3, D: 8, dstIdx: t([2], 'u32') }), /attention\.kvWrite: dstIdx must be u32 with at least 3 entries/, 'kvWrite dstIdx');
  if (gpu.f16) {
    const k16 = t([2, 2, 6, 8], 'f16');
    expectError(() => attentionDecode(gpu, out, lse, q, k16, v, dims), /attention\.decode: v must be f16, got f32/, 'mixed cache dtypes');
  }
  await gpu.sync();
  made.forEach((x) => x.release());
}
