// Uniform parameter blocks: a builder that packs u32 / i32 / f32 fields in declaration order
// (each 4 bytes, matching a WGSL struct of scalar fields), padded to 16 bytes.

export class Params {
  private words: number[] = [];
  private kinds: Array<'u' | 'i' | 'f'> = [];
  u32(x: number): this {
    if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new Error(`Params.u32: ${x} is not a u32`);
    this.words.push(x);
    this.kinds.push('u');
    return this;
  }
  i32(x: number): this {
    if (!Number.isInteger(x) || x < -0x80000000 || x > 0x7fffffff) throw new Error(`Params.i32: ${x} is not an i32`);
    this.words.push(x);
    this.kinds.push('i');
    return this;
  }
  f32(x: number): this {
    this.words.push(x);
    this.kinds.push('f');
    return this;
  }
  /** Bytes ready for writeBuffer (length a multiple of 16). */
  bytes(): ArrayBuffer {
    const n = Math.max(4, Math.ceil(this.words.length / 4) * 4);
    const buf = new ArrayBuffer(n * 4);
    const dv = new DataView(buf);
    this.words.forEach((w, i) => {
      const k = this.kinds[i];
      if (k === 'f') dv.setFloat32(i * 4, w, true);
      else if (k === 'i') dv.setInt32(i * 4, w, true);
      else dv.setUint32(i * 4, w, true);
    });
    return buf;
  }
}

/** Start a parameter block: `P().u32(M).u32(N).f32(scale)`. */
export function P(): Params {
  return new Params();
}
