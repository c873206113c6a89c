// Safetensors writer -> reader round trips for every dtype and engine dtype, streamed and piecewise
// reads, sharded checkpoints, strict matching, and the loading errors.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bf16ToF32, f16ToF32, toHalfBits } from '../../src/util/f16';
import { SafetensorsError, type TensorData } from '../../src/io/safetensors-format';
import type { SafetensorsInput } from '../../src/io/safetensors-input';
import { loadSafetensors, loadShardedSafetensors, loadWeights, readSafetensorsHeader, type LoadOptions } from '../../src/io/safetensors-read';
import { safetensorsLayout, tensorBytes, writeSafetensors, type TensorToWrite } from '../../src/io/safetensors-write';
import { bytesFile, ModelFileNotFoundError, NodeFolderSource } from '../../src/io/folder';
import { parseModelConfig } from '../../src/model/config';
import { buildParamTable, checkpointIgnore, expectedTensors } from '../../src/model/params';

const FIX = new URL('../fixtures/models/', import.meta.url).pathname;

type Got = Map<string, { shape: number[]; data: TensorData; dtype: string }>;

async function load(input: SafetensorsInput, opts: Partial<LoadOptions> = {}): Promise<Got> {
  const got: Got = new Map();
  await loadSafetensors(input, { dtype: 'f32', ...opts, onTensor: (name, shape, data, info) => void got.set(name, { shape, data, dtype: info.dtype }) });
  return got;
}

async function errorOf(p: Promise<unknown>): Promise<SafetensorsError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    return e as SafetensorsError;
  }
  throw new Error('expected an error');
}

/** Bit-identical typed arrays (fast: compares bytes). */
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  const x = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return a.constructor === b.constructor && x.equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** A Response whose body arrives in `chunk`-byte pieces (and has no Content-Length). */
function chunkedResponse(bytes: Uint8Array, chunk: number): Response {
  let pos = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (pos >= bytes.length) return ctrl.close();
      ctrl.enqueue(bytes.slice(pos, pos + chunk));
      pos += chunk;
    },
  });
  return new Response(body);
}

const vals = Float32Array.from([0, 1, -2.5, 3.14159, 65504, 1e-5, -1e-8, 70000, 0.1, -0.333]);

function sample(): TensorToWrite[] {
  return [
    { name: 'a.f16', shape: [2, 5], dtype: 'F16', data: vals },
    { name: 'b.f32', shape: [5, 2], dtype: 'F32', data: vals },
    { name: 'c.bf16', shape: [10], dtype: 'BF16', data: vals },
    { name: 'd.i32', shape: [3], dtype: 'I32', data: Int32Array.from([-7, 0, 2147483647]) },
    { name: 'e.i64', shape: [2], dtype: 'I64', data: BigInt64Array.from([-5n, 1n << 40n]) },
    { name: 'f.scalar', shape: [], dtype: 'F32', data: Float32Array.from([42]) },
    { name: 'g.odd', shape: [3], dtype: 'F16', data: Uint16Array.from([0x3c00, 0xc000, 0x7bff]) },
  ];
}

describe('writeSafetensors', () => {
  it('writes an 8-byte length, a space-padded JSON header and aligned data', async () => {
    const bytes = writeSafetensors(sample(), { format: 'pt', note: 'test' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.slice(8, 8 + n)));
    expect(header.__metadata__).toEqual({ format: 'pt', note: 'test' });
    expect(header['b.f32']).toEqual({ dtype: 'F32', shape: [5, 2], data_offsets: expect.any(Array) });
    // 8-byte items first, then 4, then 2: every tensor starts on a multiple of its item size
    const items: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8 };
    for (const [k, v] of Object.entries(header)) {
      if (k === '__metadata__') continue;
      const t = v as { dtype: string; data_offsets: number[] };
      expect((8 + n + t.data_offsets[0]) % items[t.dtype]).toBe(0);
    }
    expect(bytes.length).toBe(8 + n + 20 + 40 + 20 + 12 + 16 + 4 + 6);
    const h = await readSafetensorsHeader(bytes);
    expect(h.metadata).toEqual({ format: 'pt', note: 'test' });
    expect(h.tensors.map((t) => t.name).sort()).toEqual(sample().map((t) => t.name).sort());
  });

  it('refuses bad data', () => {
    expect(() => writeSafetensors([{ name: 'x', shape: [3], dtype: 'F32', data: new Float32Array(2) }])).toThrow(/needs 12 bytes, got 8/);
    expect(() => writeSafetensors([{ name: 'x', shape: [2], dtype: 'I32', data: new Float32Array(2) }])).toThrow(/I32 but its data is a Float32Array/);
    const t: TensorToWrite = { name: 'x', shape: [1], dtype: 'F32', data: new Float32Array(1) };
    expect(() => writeSafetensors([t, t])).toThrow(/duplicate/);
  });
});

describe('loadSafetensors round trip', () => {
  const half = (x: number) => toHalfBits(x);
  const bf16Of = (x: number) => {
    const u = new Uint32Array(Float32Array.from([x]).buffer)[0];
    return (u + 0x7fff + ((u >>> 16) & 1)) >>> 16;
  };

  it('to f32: F32 exact, F16/BF16 widened exactly, integers unchanged', async () => {
    const got = await load(writeSafetensors(sample()));
    expect(got.get('b.f32')!.data).toEqual(vals);
    expect(got.get('b.f32')!.shape).toEqual([5, 2]);
    expect(got.get('a.f16')!.data).toEqual(f16ToF32(Uint16Array.from(vals, half)));
    expect(got.get('c.bf16')!.data).toEqual(bf16ToF32(Uint16Array.from(vals, bf16Of)));
    expect(got.get('c.bf16')!.dtype).toBe('BF16');
    expect(Array.from(got.get('d.i32')!.data as Int32Array)).toEqual([-7, 0, 2147483647]);
    expect(Array.from(got.get('e.i64')!.data as BigInt64Array)).toEqual([-5n, 1n << 40n]);
    expect(got.get('f.scalar')).toMatchObject({ shape: [], data: Float32Array.from([42]) });
    expect(Array.from(got.get('g.odd')!.data as Float32Array)).toEqual([1, -2, 65504]);
  });

  it('to f16: F16 bit-exact, F32 and BF16 rounded to nearest even', async () => {
    const got = await load(writeSafetensors(sample()), { dtype: 'f16' });
    expect(got.get('a.f16')!.data).toEqual(Uint16Array.from(vals, half));
    expect(got.get('b.f32')!.data).toEqual(Uint16Array.from(vals, half));
    const bf = bf16ToF32(Uint16Array.from(vals, bf16Of));
    expect(got.get('c.bf16')!.data).toEqual(Uint16Array.from(bf, half));
    expect((got.get('b.f32')!.data as Uint16Array)[7]).toBe(0x7c00); // 70000 overflows to +Inf
  });

  it('reads the same tensors from bytes, a Blob, a chunked stream, a Node path, piece by piece', async () => {
    const bytes = readFileSync(`${FIX}tiny-llama/model.safetensors`);
    const ref = await load(new Uint8Array(bytes));
    expect(ref.size).toBe(1 + 2 * 9 + 1); // embed, 2 x 9 layer weights, final norm (tied)
    const variants: [string, () => Promise<Got>][] = [
      ['blob', () => load(new Blob([bytes]))],
      ['stream 7-byte chunks', () => load(chunkedResponse(new Uint8Array(bytes), 7))],
      ['stream 4096-byte chunks', () => load(chunkedResponse(new Uint8Array(bytes), 4096))],
      ['node path', () => load(`${FIX}tiny-llama/model.safetensors`)],
      ['blob in 24-byte pieces', () => load(new Blob([bytes]), { pieceBytes: 24 })],
      ['stream in 8-byte pieces', () => load(chunkedResponse(new Uint8Array(bytes), 5), { pieceBytes: 8 })],
    ];
    for (const [what, run] of variants) {
      const got = await run();
      expect([...got.keys()], what).toEqual([...ref.keys()]);
      for (const [k, v] of ref) expect(sameBytes(got.get(k)!.data, v.data), `${what}: ${k}`).toBe(true);
    }
  });

  it('reports progress up to the total and honours ignore patterns', async () => {
    const bytes = writeSafetensors([
      { name: 'w', shape: [64], dtype: 'F32', data: new Float32Array(64) },
      { name: 'model.layers.0.self_attn.rotary_emb.inv_freq', shape: [4], dtype: 'F32', data: new Float32Array(4) },
    ]);
    const events: number[] = [];
    const got = await load(bytes, { pieceBytes: 64, onProgress: (p) => (events.push(p.bytesDone), expect(p.bytesTotal).toBe(256)) });
    expect([...got.keys()]).toEqual(['w']); // rotary cache ignored by default
    expect(events.at(-1)).toBe(256);
    expect(events).toEqual([...events].sort((a, b) => a - b));
  });
});

describe('model checkpoints', () => {
  const tableOf = (name: string) => buildParamTable(parseModelConfig(JSON.parse(readFileSync(`${FIX}${name}/config.json`, 'utf8'))));

  it('loads a sharded bf16 checkpoint through its index with strict matching', async () => {
    const table = tableOf('tiny-llama-sharded');
    const source = new NodeFolderSource(`${FIX}tiny-llama-sharded`);
    const got: Got = new Map();
    const summary = await loadWeights(source, {
      dtype: 'f32',
      expected: expectedTensors(table),
      onTensor: (name, shape, data, info) => void got.set(name, { shape, data, dtype: info.dtype }),
    });
    expect(summary.files).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(got.size).toBe(table.entries.length);
    expect(got.get('lm_head.weight')!.shape).toEqual([272, 64]);
    expect(got.get('model.norm.weight')!.dtype).toBe('BF16');
    // every bf16 value widened exactly: low 16 bits of the f32 pattern are zero
    const u = new Uint32Array((got.get('model.embed_tokens.weight')!.data as Float32Array).buffer);
    expect(u.every((x) => (x & 0xffff) === 0)).toBe(true);
  });

  it('loads the tiny qwen3 (bf16 -> f16) with every table entry', async () => {
    const table = tableOf('tiny-qwen3');
    const names: string[] = [];
    await loadWeights(new NodeFolderSource(`${FIX}tiny-qwen3`), {
      dtype: 'f16',
      expected: expectedTensors(table),
      ignore: checkpointIgnore(table.config),
      onTensor: (name, shape, data) => {
        expect(data).toBeInstanceOf(Uint16Array);
        expect(data.length).toBe(shape.reduce((a, b) => a * b, 1));
        names.push(name);
      },
    });
    expect(names.sort()).toEqual(table.entries.map((e) => e.name).sort());
  });

  it('lists missing, unexpected and mis-shaped tensors together in one error', async () => {
    const bytes = writeSafetensors([
      { name: 'model.embed_tokens.weight', shape: [4, 2], dtype: 'F32', data: new Float32Array(8) },
      { name: 'model.norm.weight', shape: [3], dtype: 'F32', data: new Float32Array(3) },
      { name: 'extra.weight', shape: [1], dtype: 'F32', data: new Float32Array(1) },
    ]);
    const expected = [
      { name: 'model.embed_tokens.weight', shape: [4, 2] },
      { name: 'model.norm.weight', shape: [2] },
      { name: 'model.layers.0.mlp.up_proj.weight', shape: [5, 2] },
    ];
    let delivered = 0;
    const e = await errorOf(loadSafetensors(bytes, { dtype: 'f32', expected, label: 'ckpt.safetensors', onTensor: () => void delivered++ }));
    expect(e.code).toBe('mismatch');
    expect(e.message).toMatch(/1 missing, 1 unexpected, 1 mis-shaped/);
    expect(e.message).toMatch(/missing: model\.layers\.0\.mlp\.up_proj\.weight \[5, 2\]/);
    expect(e.message).toMatch(/unexpected: extra\.weight \[1\]/);
    expect(e.message).toMatch(/wrong shape: model\.norm\.weight is \[3\] .*expects \[2\]/);
    expect(delivered).toBe(0); // checked before any tensor is handed out
  });

  it('names a missing shard and the tensors it holds', async () => {
    const index = JSON.parse(readFileSync(`${FIX}tiny-llama-sharded/model.safetensors.index.json`, 'utf8'));
    const e = await errorOf(
      loadShardedSafetensors(
        index,
        async (file) => {
          if (file.endsWith('00002-of-00002.safetensors')) throw new ModelFileNotFoundError(file, 'test');
          return `${FIX}tiny-llama-sharded/${file}`;
        },
        { dtype: 'f32', onTensor: () => {} },
      ),
    );
    expect(e.code).toBe('missing-shard');
    expect(e.message).toMatch(/model-00002-of-00002\.safetensors \(holds model\.layers\.1\.self_attn\.q_proj\.weight, .*\(10 tensors\)/);
  });

  it('reports a tensor the index points to but no shard contains', async () => {
    const index = JSON.parse(readFileSync(`${FIX}tiny-llama-sharded/model.safetensors.index.json`, 'utf8'));
    index.weight_map['model.extra.weight'] = 'model-00001-of-00002.safetensors';
    const expected = [...expectedTensors(tableOf('tiny-llama-sharded')), { name: 'model.extra.weight', shape: [1] }];
    const e = await errorOf(
      loadShardedSafetensors(index, async (f) => `${FIX}tiny-llama-sharded/${f}`, { dtype: 'f32', expected, onTensor: () => {} }),
    );
    expect(e.code).toBe('mismatch');
    expect(e.message).toMatch(/missing: model\.extra\.weight \[1\] \(the index points to model-00001-of-00002\.safetensors/);
  });
});

describe('loading errors', () => {
  const good = () => writeSafetensors([{ name: 'w', shape: [4, 4], dtype: 'F32', data: new Float32Array(16).fill(1) }]);

  it('header length past the end of the file', async () => {
    const e = await errorOf(load(good().slice(0, 20), { label: 'model.safetensors' }));
    expect(e.code).toBe('truncated');
    expect(e.message).toMatch(/model\.safetensors: file ends at byte 20 .*header/);
    expect(e.message).toMatch(/download it again/);
    expect((await errorOf(load(new Uint8Array(5)))).code).toBe('truncated');
  });

  it('data offsets past the end of the file, for random access and for streams', async () => {
    const b = good();
    const cut = b.slice(0, b.length - 10);
    const e = await errorOf(load(new Blob([cut])));
    expect(e.code).toBe('truncated');
    expect(e.message).toMatch(/tensor "w" ends at byte \d+/);
    const s = await errorOf(load(chunkedResponse(cut, 9)));
    expect(s.code).toBe('truncated');
    expect(s.message).toMatch(/truncated/);
  });

  it('unsupported dtype names the tensor and the dtype', async () => {
    const b = good();
    const n = Number(new DataView(b.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(b.slice(8, 8 + n)));
    header.w.dtype = 'F8_E4M3';
    header.w.data_offsets = [0, 16];
    const hb = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + hb.length + 16);
    new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
    out.set(hb, 8);
    const e = await errorOf(load(out));
    expect(e.code).toBe('dtype');
    expect(e.message).toMatch(/tensor "w" has dtype F8_E4M3; supported: F32, F16, BF16, I32, I64/);
  });

  it('rejects non-safetensors input and inconsistent headers', async () => {
    const junk = new TextEncoder().encode('{"not": "safetensors"}');
    expect((await errorOf(load(junk))).code).toBe('header');
    const bad = new Uint8Array(16);
    new DataView(bad.buffer).setBigUint64(0, 8n, true);
    bad.set(new TextEncoder().encode('{"w": 1}'), 8);
    expect((await errorOf(load(bad))).message).toMatch(/"w" is malformed/);
    const b = good();
    const n = Number(new DataView(b.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(b.slice(8, 8 + n)));
    header.w.shape = [4, 5];
    const hb = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + hb.length + 64);
    new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
    out.set(hb, 8);
    expect((await errorOf(load(out))).message).toMatch(/needs 80 bytes but its data_offsets span 64/);
  });

  it('a source with no weights says which files it looked for', async () => {
    const empty = { label: 'empty-folder', open: async (f: string) => Promise.reject(new ModelFileNotFoundError(f, 'empty-folder')), json: async (f: string) => Promise.reject(new ModelFileNotFoundError(f, 'empty-folder')) };
    const e = await errorOf(loadWeights(empty, { dtype: 'f32', onTensor: () => {} }));
    expect(e.message).toMatch(/neither model\.safetensors nor model\.safetensors\.index\.json/);
    expect(bytesFile('x', new Uint8Array(3)).size).toBe(3);
  });
});

describe('streamed writing and reading in pieces', () => {
  const tensors: TensorToWrite[] = [
    { name: 'a', shape: [3, 5], dtype: 'BF16', data: Float32Array.from({ length: 15 }, (_, i) => i / 7 - 1) },
    { name: 'b', shape: [7], dtype: 'F32', data: Float32Array.from({ length: 7 }, (_, i) => i * 1.5) },
    { name: 'c', shape: [2, 3], dtype: 'F16', data: Float32Array.from({ length: 6 }, (_, i) => -i / 3) },
  ];

  it("the layout header plus each tensor's bytes in its order is the file writeSafetensors writes", () => {
    const { head, order, dataBytes } = safetensorsLayout(tensors, { format: 'pt' });
    const parts = [head, ...order.map((i) => tensorBytes(tensors[i]))];
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let o = 0;
    for (const p of parts) (joined.set(p, o), (o += p.byteLength));
    expect(joined.byteLength).toBe(head.byteLength + dataBytes);
    expect(joined).toEqual(writeSafetensors(tensors, { format: 'pt' }));
    expect(order).toEqual([1, 0, 2]); // F32 first (decreasing element size), then the given order
  });

  it('a sink takes a tensor in pieces that together equal the whole tensor; others still come whole', async () => {
    const file = writeSafetensors(tensors);
    const whole = await load(file, { dtype: 'f32' });
    const pieces = new Map<string, { at: number; n: number }[]>();
    const streamed = new Map<string, Float32Array>();
    const delivered: string[] = [];
    await loadSafetensors(file, {
      dtype: () => 'f32',
      pieceBytes: 8,
      openTensor: (name, shape) => {
        if (name === 'b') return null;
        const out = new Float32Array(shape.reduce((x, y) => x * y, 1));
        pieces.set(name, []);
        return {
          write: (at, data) => (pieces.get(name)!.push({ at, n: data.length }), out.set(data as Float32Array, at)),
          close: () => void streamed.set(name, out),
        };
      },
      onTensor: (name) => void delivered.push(name),
    });
    expect(delivered).toEqual(['b']);
    expect(streamed.get('a')).toEqual(whole.get('a')!.data);
    expect(streamed.get('c')).toEqual(whole.get('c')!.data);
    expect(pieces.get('a')).toEqual(Array.from({ length: 4 }, (_, i) => ({ at: i * 4, n: i < 3 ? 4 : 3 }))); // 8-byte pieces of 2-byte values
  });
});
