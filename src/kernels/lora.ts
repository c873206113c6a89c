// LoRA side path beside a frozen linear layer (PEFT layout): y += scale * (x A^T) B^T with A (r, in),
// B (out, r); the backward gives dA, dB and adds the input gradient into dX. Built on matmul (matmul.ts);
// everything f32. Plain-TS reference in lora.ref.ts.

import { expectTensor, shapeStr, type Gpu, type Tensor } from '../gpu';
import { matmul } from './matmul';

export interface LoraBackwardOptions {
  /** dA += ..., dB += ... (accumulate over micro-batches) instead of overwrite. Default false. */
  accumulate?: boolean;
}

interface LoraShape {
  rows: number;
  inF: number;
  outF: number;
  r: number;
}

/** Validate x (..., in), y-like (..., out), A (r, in), B (out, r), h (..., r); return the sizes. */
function loraShape(kernel: string, x: Tensor, y: Tensor, yName: string, A: Tensor, B: Tensor, h: Tensor, scale: number): LoraShape {
  expectTensor(kernel, 'x', x, 'f32');
  if (x.shape.length < 1) throw new Error(`${kernel}: x must be (..., in_features), got ${shapeStr(x.shape)}`);
  const lead = x.shape.slice(0, -1);
  const inF = x.shape[x.shape.length - 1];
  expectTensor(kernel, 'A', A, 'f32', [-1, inF]);
  const r = A.shape[0];
  expectTensor(kernel, 'B', B, 'f32', [-1, r]);
  const outF = B.shape[0];
  expectTensor(kernel, yName, y, 'f32', [...lead, outF]);
  expectTensor(kernel, 'h', h, 'f32', [...lead, r]);
  if (!Number.isFinite(scale)) throw new Error(`${kernel}: scale must be a finite number (lora_alpha / r), got ${scale}`);
  return { rows: lead.reduce((s, d) => s * d, 1), inF, outF, r };
}

const as2d = (t: Tensor, rows: number, cols: number): Tensor => (t.shape.length === 2 ? t : t.reshape([rows, cols]));

/**
 * h = x A^T (saved for the backward), then y += scale * h B^T.
 * y: (N, out) f32, accumulated into (it holds the frozen layer's output); h: (N, r); x: (N, in);
 * A: (r, in); B: (out, r); scale: lora_alpha / r (or alpha / sqrt(r) for rsLoRA). Leading dims of
 * x / y / h may be any (..., in) as long as they agree.
 */
export function loraForward(gpu: Gpu, y: Tensor, h: Tensor, x: Tensor, A: Tensor, B: Tensor, scale: number): void {
  const s = loraShape('lora.forward', x, y, 'y', A, B, h, scale);
  const h2 = as2d(h, s.rows, s.r);
  matmul(gpu, h2, as2d(x, s.rows, s.inF), A, { transB: true });
  matmul(gpu, as2d(y, s.rows, s.outF), h2, B, { transB: true, alpha: scale, accumulate: true });
}

/**
 * dB = scale * dY^T h; dH = scale * dY B; dA = dH^T x; dX += dH A (dX is always accumulated into, since
 * it already holds the frozen layer's input gradient; pass null when x needs no gradient).
 * dX: (N, in) or null; dA: (r, in); dB: (out, r); dY: (N, out); x, h, A, B as in loraForward.
 */
export function loraBackward(
  gpu: Gpu,
  dX: Tensor | null,
  dA: Tensor,
  dB: Tensor,
  dY: Tensor,
  x: Tensor,
  h: Tensor,
  A: Tensor,
  B: Tensor,
  scale: number,
  opts: LoraBackwardOptions = {},
): void {
  const k = 'lora.backward';
  const s = loraShape(k, x, dY, 'dY', A, B, h, scale);
  expectTensor(k, 'dA', dA, 'f32', A.shape);
  expectTensor(k, 'dB', dB, 'f32', B.shape);
  if (dX) expectTensor(k, 'dX', dX, 'f32', x.shape);
  const acc = !!opts.accumulate;
  const dY2 = as2d(dY, s.rows, s.outF);
  const h2 = as2d(h, s.rows, s.r);
  const x2 = as2d(x, s.rows, s.inF);
  matmul(gpu, dB, dY2, h2, { transA: true, alpha: scale, accumulate: acc });
  const dH = gpu.empty([s.rows, s.r], 'f32', 'lora.dH'); // (N, r)
  matmul(gpu, dH, dY2, B, { alpha: scale });
  matmul(gpu, dA, dH, x2, { transA: true, accumulate: acc });
  if (dX) matmul(gpu, as2d(dX, s.rows, s.inF), dH, A, { accumulate: true });
  dH.release();
}
