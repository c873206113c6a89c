// The hand-written ONNX encoder: wire-format basics, and models that onnxruntime-web's WASM CPU
// execution provider loads and runs with the right MatMul result (f32, f16, symbolic rows).
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { ProtoWriter, buildMatMulModel } from '../../src/bench/onnx-builder';
import { f16ToF32, f32ToF16, roundToHalf } from '../../src/util/f16';
import { randu } from '../shared/check';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

/** float64 reference: (M, K) @ (K, N), inputs optionally rounded first. */
function refMatMul(a: Float32Array, b: Float32Array, M: number, K: number, N: number, round = (x: number) => x): Float64Array {
  const y = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += round(a[i * K + k]) * round(b[k * N + j]);
      y[i * N + j] = s;
    }
  return y;
}

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

async function session(model: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
}

describe('ProtoWriter', () => {
  it('encodes varints, tags, strings and nested messages in protobuf wire format', () => {
    const w = new ProtoWriter();
    w.int(1, 300).string(2, 'hi').message(3, (m) => m.int(1, 1)).int(4, 2 ** 40);
    const bytes = Array.from(w.finish());
    expect(bytes).toEqual([
      0x08, 0xac, 0x02, // field 1 varint 300
      0x12, 0x02, 0x68, 0x69, // field 2 "hi"
      0x1a, 0x02, 0x08, 0x01, // field 3 { field 1 = 1 }
      0x20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, // field 4 varint 2^40
    ]);
  });

  it('refuses values it cannot encode', () => {
    expect(() => new ProtoWriter().int(1, -1)).toThrow(/non-negative/);
    expect(() => new ProtoWriter().int(1, 1.5)).toThrow(/safe integer/);
  });
});

describe('buildMatMulModel', () => {
  it('f32: onnxruntime-web loads it and computes A @ B at a ragged shape', async () => {
    const [M, K, N] = [3, 5, 7];
    const a = randu(M * K, 1);
    const b = randu(K * N, 2);
    const s = await session(buildMatMulModel({ M, K, N, weights: b }));
    expect(s.inputNames).toEqual(['A']); // B is an initializer, not an input
    expect(s.outputNames).toEqual(['Y']);
    const { Y } = await s.run({ A: new ort.Tensor('float32', a, [M, K]) });
    expect(Y.dims).toEqual([M, N]);
    expect(Y.type).toBe('float32');
    expect(maxAbsDiff(Y.data as Float32Array, refMatMul(a, b, M, K, N))).toBeLessThan(1e-5);
    await s.release();
  });

  it('f16: weights are stored as half floats and the result matches an f16-rounded reference', async () => {
    const [M, K, N] = [4, 9, 6];
    const a = randu(M * K, 3);
    const b = randu(K * N, 4);
    const s = await session(buildMatMulModel({ M, K, N, weights: b, dtype: 'f16', names: { a: 'x', b: 'w', y: 'out' } }));
    expect(s.inputNames).toEqual(['x']);
    const { out } = await s.run({ x: new ort.Tensor('float16', f32ToF16(a), [M, K]) });
    expect(out.type).toBe('float16');
    expect(out.dims).toEqual([M, N]);
    const got = f16ToF32(out.data as Uint16Array);
    const want = refMatMul(a, b, M, K, N, roundToHalf);
    // Result is rounded to f16 (|y| < 9 here: half-precision spacing <= 2^-7) plus f16 accumulation error.
    expect(maxAbsDiff(got, want)).toBeLessThan(2e-2);
    // Float weights are converted to exactly the f16 bits that a caller passing Uint16Array gets.
    const bits = f32ToF16(b);
    const s2 = await session(buildMatMulModel({ M, K, N, weights: bits, dtype: 'f16', names: { a: 'x', b: 'w', y: 'out' } }));
    const r2 = await s2.run({ x: new ort.Tensor('float16', f32ToF16(a), [M, K]) });
    expect(Array.from(r2.out.data as Uint16Array)).toEqual(Array.from(out.data as Uint16Array));
    await s.release();
    await s2.release();
  });

  it('a symbolic row count runs with any M, and a different opset still loads', async () => {
    const [K, N] = [6, 3];
    const b = randu(K * N, 5);
    const s = await session(buildMatMulModel({ M: 'rows', K, N, weights: b, opset: 13 }));
    for (const M of [1, 5]) {
      const a = randu(M * K, 10 + M);
      const { Y } = await s.run({ A: new ort.Tensor('float32', a, [M, K]) });
      expect(Y.dims).toEqual([M, N]);
      expect(maxAbsDiff(Y.data as Float32Array, refMatMul(a, b, M, K, N))).toBeLessThan(1e-5);
    }
    await s.release();
  });

  it('the declared shapes are enforced by the runtime (input of the wrong width is rejected)', async () => {
    const s = await session(buildMatMulModel({ M: 2, K: 4, N: 3, weights: randu(12, 6) }));
    await expect(s.run({ A: new ort.Tensor('float32', new Float32Array(10), [2, 5]) })).rejects.toThrow();
    await s.release();
  });

  it('rejects bad specs with a message naming the problem', () => {
    expect(() => buildMatMulModel({ M: 2, K: 4, N: 3, weights: new Float32Array(11) })).toThrow(/needs 12/);
    expect(() => buildMatMulModel({ M: 0, K: 4, N: 3, weights: new Float32Array(12) })).toThrow(/M must be a positive integer/);
    expect(() => buildMatMulModel({ M: 'bad name', K: 4, N: 3, weights: new Float32Array(12) })).toThrow(/identifier/);
    expect(() => buildMatMulModel({ M: 2, K: 4, N: 3, weights: new Uint16Array(12) })).toThrow(/f16 bits/);
  });
});
