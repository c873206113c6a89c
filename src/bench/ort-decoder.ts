// The decoder graph of onnx-decoder.ts as an onnxruntime-web WebGPU session on the engine's device,
// driven like a KV-cache generator: prefill B equal-length prompts, then one token per sequence per
// step. The present keys / values stay in GPU buffers (preferredOutputLocation) and are fed back as the
// next step's past; per step only the ids go up and the argmax ids (plus logits when asked) come back.

import type { Gpu } from '../gpu';
import { f16ToF32, f32ToF16 } from '../util/f16';
import { buildDecoderModel, causalBias, pastName, presentName, type DecoderGraphSpec } from './onnx-decoder';
import type { OrtWebGpu } from './ort-runner';

type OrtTensor = import('onnxruntime-web').Tensor;
type OrtSession = import('onnxruntime-web').InferenceSession;

export interface OrtStepResult {
  /** Greedy next id of each sequence (the graph's ArgMax). */
  next: number[];
  /** (B, V) logits of the last position, when asked for. */
  logits?: Float32Array;
}

export class OrtDecoder {
  private past: OrtTensor[] | null = null;
  private length = 0;
  private B = 0;

  private constructor(
    private rt: OrtWebGpu,
    private session: OrtSession,
    readonly spec: DecoderGraphSpec,
    /** Bytes of the serialized model. */
    readonly modelBytes: number,
  ) {}

  /** Build the graph from `spec` and create its session on gpu.device (the EP bound by initOrtWebGpu). */
  static async create(rt: OrtWebGpu, gpu: Gpu, spec: DecoderGraphSpec): Promise<OrtDecoder> {
    if ((spec.dtype ?? 'f32') === 'f16' && !gpu.f16) throw new Error("OrtDecoder: an f16 graph needs the device feature 'shader-f16', which this adapter lacks; use dtype 'f32'");
    const model = buildDecoderModel(spec);
    const L = spec.config.numLayers;
    const presents = Array.from({ length: L }, (_, l) => [presentName(l, 'key'), presentName(l, 'value')]).flat();
    const session = await rt.ort.InferenceSession.create(model, {
      executionProviders: [{ name: 'webgpu', device: gpu.device }],
      graphOptimizationLevel: 'all',
      preferredOutputLocation: Object.fromEntries(presents.map((n) => [n, 'gpu-buffer' as const])),
    });
    return new OrtDecoder(rt, session, spec, model.byteLength);
  }

  /** Tokens in the cache per sequence. */
  get cacheLength(): number {
    return this.length;
  }

  private floatTensor(data: Float32Array, dims: number[]): OrtTensor {
    const { ort } = this.rt;
    if ((this.spec.dtype ?? 'f32') === 'f32') return new ort.Tensor('float32', data, dims);
    return new ort.Tensor('float16', f32ToF16(data), dims);
  }

  private ids(rows: number[][]): OrtTensor {
    const T = rows[0].length;
    return new this.rt.ort.Tensor('int64', BigInt64Array.from(rows.flat().map((v) => BigInt(v))), [rows.length, T]);
  }

  private async run(rows: number[][], wantLogits: boolean): Promise<OrtStepResult> {
    const { config: c } = this.spec;
    const B = rows.length;
    const T = rows[0].length;
    const P = this.length;
    if (P + T > this.spec.maxPositions) throw new Error(`OrtDecoder: position ${P + T - 1} is past the graph's rope table (maxPositions ${this.spec.maxPositions}); build it with a larger maxPositions`);
    const feeds: Record<string, OrtTensor> = {
      input_ids: this.ids(rows),
      position_ids: this.ids(rows.map(() => Array.from({ length: T }, (_, t) => P + t))),
      attention_bias: this.floatTensor(causalBias(P, T), [T, P + T]),
    };
    const L = c.numLayers;
    const empty = this.past === null;
    for (let l = 0; l < L; l++) {
      for (const [i, kv] of (['key', 'value'] as const).entries()) {
        feeds[pastName(l, kv)] = empty ? this.floatTensor(new Float32Array(0), [B, c.numKvHeads, 0, c.headDim]) : this.past![2 * l + i];
      }
    }
    const presents = Array.from({ length: L }, (_, l) => [presentName(l, 'key'), presentName(l, 'value')]).flat();
    const out = await this.session.run(feeds, [...(wantLogits ? ['logits'] : []), 'next_ids', ...presents]);
    if (this.past) for (const t of this.past) t.dispose();
    this.past = presents.map((n) => out[n]);
    this.length = P + T;
    const next = Array.from(out.next_ids.data as BigInt64Array, (v) => Number(v));
    const res: OrtStepResult = { next };
    if (wantLogits) {
      const d = out.logits.data;
      res.logits = d instanceof Float32Array ? d : f16ToF32(d as Uint16Array);
    }
    return res;
  }

  /** Start B sequences from equal-length prompts (the cache is reset). */
  async prefill(prompts: number[][], opts: { logits?: boolean } = {}): Promise<OrtStepResult> {
    if (!prompts.length || !prompts[0].length) throw new Error('OrtDecoder.prefill: give at least one non-empty prompt');
    if (prompts.some((p) => p.length !== prompts[0].length)) throw new Error('OrtDecoder.prefill: every prompt must have the same length (this graph takes no padding mask)');
    this.reset();
    this.B = prompts.length;
    return this.run(prompts, opts.logits ?? false);
  }

  /** Append one token per sequence. */
  async step(ids: number[], opts: { logits?: boolean } = {}): Promise<OrtStepResult> {
    if (!this.past) throw new Error('OrtDecoder.step: call prefill first');
    if (ids.length !== this.B) throw new Error(`OrtDecoder.step: ${ids.length} ids for ${this.B} sequences`);
    return this.run(ids.map((id) => [id]), opts.logits ?? false);
  }

  /** Drop the cache (its GPU buffers). */
  reset(): void {
    if (this.past) for (const t of this.past) t.dispose();
    this.past = null;
    this.length = 0;
  }

  async release(): Promise<void> {
    this.reset();
    await this.session.release();
  }
}
