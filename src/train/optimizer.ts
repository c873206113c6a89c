// AdamW over a list of GPU parameters: first / second moments on the GPU, global grad-norm clipping
// computed on the GPU (no readback before the update), an update that does nothing when the norm is
// NaN / Inf, and one readback of the norm per step to report it and count skipped steps.

import type { Gpu, Tensor } from '../gpu';
import { adamwStep } from '../kernels/adamw';
import { clipScale, gradNorm } from '../kernels/gradnorm';
import type { OptimConfig } from './config';

/** One trainable tensor and its gradient (f32, same shape). */
export interface OptimParam {
  /** Checkpoint key (PEFT key for LoRA factors, HF key for base weights). */
  name: string;
  value: Tensor;
  grad: Tensor;
  /** Apply weight decay to this tensor. Default: decayByDefault(name). */
  decay?: boolean;
}

/** What one optimiser step did. */
export interface OptimStepResult {
  /** Global L2 norm of the gradients before clipping (NaN / Inf when a gradient is). */
  gradNorm: number;
  /** False when the norm was not finite: parameters and moments were left unchanged. */
  applied: boolean;
}

/** Host copy of the optimiser state (checkpoints). */
export interface OptimState {
  /** Updates applied so far (AdamW's t, used by the bias corrections). */
  t: number;
  /** First moments by parameter name. */
  m: Map<string, Float32Array>;
  /** Second moments by parameter name. */
  v: Map<string, Float32Array>;
}

/** No weight decay on norm weights and biases (the usual practice); decay on every other tensor. */
export function decayByDefault(name: string): boolean {
  return !(/norm\.weight$/.test(name) || /\.bias$/.test(name));
}

/** With clipping off, clipScale still has to turn a non-finite norm into a NaN scale: a limit no f32 norm reaches. */
const NO_CLIP = 1e38;

export class AdamW {
  readonly params: readonly OptimParam[];
  private m: Tensor[];
  private v: Tensor[];
  private norm: Tensor; // (1,)
  private scale: Tensor; // (1,)
  /** Updates applied so far (1-based step of the next update = t + 1). */
  t = 0;

  constructor(
    private gpu: Gpu,
    params: readonly OptimParam[],
    readonly config: OptimConfig,
  ) {
    if (params.length === 0) throw new Error('AdamW: no parameters to train; attach a LoRA adapter or build the Decoder with { trainBase: true }');
    const seen = new Set<string>();
    for (const p of params) {
      if (seen.has(p.name)) throw new Error(`AdamW: parameter '${p.name}' is listed twice`);
      seen.add(p.name);
      if (p.value.dtype !== 'f32' || p.grad.dtype !== 'f32') throw new Error(`AdamW: parameter '${p.name}' must be f32 (value ${p.value.dtype}, grad ${p.grad.dtype}); load the weights with { dtype: 'f32' } to train them`);
      if (p.value.size !== p.grad.size) throw new Error(`AdamW: parameter '${p.name}' has ${p.value.size} values but its gradient has ${p.grad.size}`);
    }
    this.params = params.map((p) => ({ ...p, decay: p.decay ?? decayByDefault(p.name) }));
    this.m = params.map((p) => gpu.zeros(p.value.shape, 'f32', `adam.m.${p.name}`));
    this.v = params.map((p) => gpu.zeros(p.value.shape, 'f32', `adam.v.${p.name}`));
    this.norm = gpu.zeros([1], 'f32', 'adam.gradNorm');
    this.scale = gpu.zeros([1], 'f32', 'adam.clipScale');
  }

  /** Number of trainable values. */
  get numel(): number {
    return this.params.reduce((n, p) => n + p.value.size, 0);
  }

  /** Set every gradient to zero (start of a step). */
  zeroGrad(): void {
    for (const p of this.params) this.gpu.clear(p.grad);
  }

  /** Record the global grad norm and clip factor, then AdamW on every parameter with the clip factor read
   *  on the GPU (a NaN / Inf norm makes every update a no-op), then read the norm back: the one readback. */
  async step(lr: number): Promise<OptimStepResult> {
    const { gpu, config: c } = this;
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new Error(`AdamW: learning rate must be a finite number >= 0, got ${lr}`);
    gradNorm(gpu, this.norm, this.params.map((p) => p.grad));
    clipScale(gpu, this.scale, this.norm, c.maxGradNorm > 0 ? c.maxGradNorm : NO_CLIP);
    const step = this.t + 1;
    this.params.forEach((p, i) => {
      adamwStep(gpu, p.value, this.m[i], this.v[i], p.grad, {
        lr, beta1: c.beta1, beta2: c.beta2, eps: c.eps, weightDecay: p.decay ? c.weightDecay : 0, step, gradScaleTensor: this.scale,
      });
    });
    const gn = (await gpu.readF32(this.norm))[0];
    const applied = Number.isFinite(gn);
    if (applied) this.t = step;
    return { gradNorm: gn, applied };
  }

  /** Read the moments back (checkpoints). */
  async exportState(): Promise<OptimState> {
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (let i = 0; i < this.params.length; i++) {
      m.set(this.params[i].name, await this.gpu.readF32(this.m[i]));
      v.set(this.params[i].name, await this.gpu.readF32(this.v[i]));
    }
    return { t: this.t, m, v };
  }

  /** Restore moments and t; every parameter must be present with the right size. */
  importState(s: OptimState): void {
    if (!Number.isSafeInteger(s.t) || s.t < 0) throw new Error(`AdamW: state t must be an integer >= 0, got ${s.t}`);
    this.params.forEach((p, i) => {
      for (const [what, src, dst] of [['exp_avg', s.m, this.m[i]], ['exp_avg_sq', s.v, this.v[i]]] as const) {
        const data = src.get(p.name);
        if (!data) throw new Error(`AdamW: the saved optimiser state has no ${what} for '${p.name}'; the checkpoint belongs to another model or adapter`);
        if (data.length !== p.value.size) throw new Error(`AdamW: saved ${what} of '${p.name}' has ${data.length} values, the parameter has ${p.value.size}`);
        this.gpu.write(dst, data);
      }
    });
    this.t = s.t;
  }

  release(): void {
    for (const t of [...this.m, ...this.v, this.norm, this.scale]) t.release();
    this.m = [];
    this.v = [];
  }
}
