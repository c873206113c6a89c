// Where a safetensors file is read from (SafetensorsInput: ModelFile, Blob, fetch Response, bytes or
// Node path) and the sequential byte reader over it: random access by slices, or a stream in order.

import { blobFile, bytesFile, nodeFile, type ModelFile } from './folder';
import { SafetensorsError, truncated } from './safetensors-format';

/** Anything a single safetensors file can be read from. A string is a Node file path. */
export type SafetensorsInput = ModelFile | Blob | Response | Uint8Array | string;

/** Bytes read per piece of a large tensor (a multiple of 8). */
export const PIECE = 32 * 1024 * 1024;

export interface ByteReader {
  readonly label: string;
  /** Total size when known (random access, or a Response with Content-Length). */
  readonly size?: number;
  pos: number;
  /** Exactly n bytes (fresh, 8-byte aligned buffer) or a 'truncated' error. */
  read(n: number): Promise<Uint8Array>;
  skipTo(pos: number): Promise<void>;
  close(): Promise<void>;
}

function randomReader(f: ModelFile): ByteReader {
  return {
    label: f.name,
    size: f.size,
    pos: 0,
    async read(n) {
      if (this.pos + n > f.size) throw truncated(f.name, f.size, `${n} bytes were needed at offset ${this.pos}`);
      const out = await f.slice(this.pos, this.pos + n);
      if (out.byteLength !== n) throw truncated(f.name, this.pos + out.byteLength, `${n} bytes were needed at offset ${this.pos}`);
      this.pos += n;
      return out.byteOffset % 8 === 0 ? out : out.slice();
    },
    async skipTo(pos) {
      this.pos = pos;
    },
    async close() {},
  };
}

function streamReader(stream: ReadableStream<Uint8Array>, label: string, size?: number): ByteReader {
  const reader = stream.getReader();
  let queue: Uint8Array[] = []; // chunks not fully consumed, from index `head` on
  let head = 0;
  let queued = 0;
  let ended = false;
  const fill = async (n: number) => {
    while (queued < n && !ended) {
      const { value, done } = await reader.read();
      if (done) ended = true;
      else if (value.byteLength) {
        queue.push(value);
        queued += value.byteLength;
      }
    }
  };
  const take = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const chunk = queue[head];
      const k = Math.min(chunk.byteLength, n - off);
      out.set(chunk.subarray(0, k), off);
      off += k;
      if (k === chunk.byteLength) head++;
      else queue[head] = chunk.subarray(k);
    }
    if (head > 1024) {
      queue = queue.slice(head);
      head = 0;
    }
    queued -= n;
    return out;
  };
  return {
    label,
    size,
    pos: 0,
    async read(n) {
      await fill(n);
      if (queued < n) throw truncated(label, this.pos + queued, `${n} bytes were needed at offset ${this.pos}`);
      this.pos += n;
      return take(n);
    },
    async skipTo(pos) {
      while (this.pos < pos) {
        const k = Math.min(PIECE, pos - this.pos);
        await this.read(k);
      }
    },
    async close() {
      queue = [];
      await reader.cancel().catch(() => {});
    },
  };
}

export async function openReader(input: SafetensorsInput, label?: string): Promise<ByteReader> {
  if (typeof input === 'string') return randomReader(await nodeFile(input, label ?? input));
  if (input instanceof Uint8Array) return randomReader(bytesFile(label ?? 'bytes', input));
  if (typeof Response !== 'undefined' && input instanceof Response) {
    if (!input.ok) throw new SafetensorsError('not-found', `${label ?? input.url}: HTTP ${input.status} ${input.statusText}.`);
    if (!input.body) throw new SafetensorsError('truncated', `${label ?? input.url}: response has no body.`);
    const len = input.headers.get('content-length');
    const encoded = input.headers.get('content-encoding');
    const size = len !== null && !encoded ? Number(len) : undefined;
    return streamReader(input.body, label ?? (input.url || 'response'), size);
  }
  if (typeof Blob !== 'undefined' && input instanceof Blob) {
    const name = label ?? ((input as File).name || 'blob');
    return randomReader(blobFile(name, input));
  }
  return randomReader(input as ModelFile);
}
