// LoRA adapters for the decoder (typed config in lora-config.ts): seeded init
// (A kaiming-uniform, B = 0), gradients, merge / unmerge into the base weights for fast sampling,
// and save / load in the PEFT layout (adapter_config.json + adapter_model.safetensors).

import { wholeTensor, type Gpu, type Tensor } from '../gpu';
import { loraMerge } from '../kernels/lora_merge';
import { loadSafetensors } from '../io/safetensors-read';
import { writeSafetensors } from '../io/safetensors-write';
import { loraScale, resolveLoraConfig, type LoraConfig, type LoraConfigInput } from './lora-config';
import { DEFAULT_LORA_MODULES, loraTargets, peftLoraKeys, type LinearModule, type LoraTarget, type ParamTable } from './params';
import type { ModelWeights } from './weights';
import { uniformStream } from '../util/random';

export { LORA_DEFAULTS, loraScale, normaliseLoraInput, PEFT_LORA_NAMES, resolveLoraConfig, type LoraConfig, type LoraConfigInput } from './lora-config';

/** One adapted linear layer. */
export interface LoraParam {
  target: LoraTarget;
  A: Tensor; // (r, in)
  B: Tensor; // (out, r)
  dA: Tensor; // (r, in)
  dB: Tensor; // (out, r)
}

/** PEFT's init of A: kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(in), 1/sqrt(in)). */
export function kaimingUniformA(rank: number, inF: number, seed: number): Float32Array {
  const r = uniformStream(seed);
  const bound = 1 / Math.sqrt(inF);
  const out = new Float32Array(rank * inF);
  for (let i = 0; i < out.length; i++) out[i] = (2 * r() - 1) * bound;
  return out;
}

export class LoraAdapter {
  /** Adapters by the base weight's HF key. */
  readonly params = new Map<string, LoraParam>();
  readonly scale: number;
  private merged: ModelWeights | null = null;

  private constructor(
    private gpu: Gpu,
    readonly table: ParamTable,
    readonly config: LoraConfig,
  ) {
    this.scale = loraScale(config);
  }

  /** Fresh adapter: A kaiming-uniform (seeded per target), B = 0, so the model starts unchanged. */
  static create(gpu: Gpu, table: ParamTable, config: LoraConfigInput = {}): LoraAdapter {
    const cfg = resolveLoraConfig(config);
    const ad = new LoraAdapter(gpu, table, cfg);
    const want = new Set(cfg.targetModules);
    loraTargets(table)
      .filter((t) => want.has(t.module))
      .forEach((t, i) => {
        const A = gpu.upload(kaimingUniformA(cfg.rank, t.inFeatures, (cfg.seed * 1000003 + i * 7919 + 1) >>> 0), [cfg.rank, t.inFeatures], 'f32', `lora.A.${t.base}`);
        const B = gpu.zeros([t.outFeatures, cfg.rank], 'f32', `lora.B.${t.base}`);
        ad.params.set(t.base, { target: t, A, B, dA: gpu.zeros(A.shape, 'f32', `lora.dA.${t.base}`), dB: gpu.zeros(B.shape, 'f32', `lora.dB.${t.base}`) });
      });
    if (!ad.params.size) throw new Error(`LoRA: none of the target modules ${cfg.targetModules.join(', ')} exists in this model`);
    return ad;
  }

  /** Trainable tensors with their gradients and PEFT names (for the optimizer). */
  parameters(): { name: string; value: Tensor; grad: Tensor }[] {
    const out: { name: string; value: Tensor; grad: Tensor }[] = [];
    for (const p of this.params.values()) {
      const k = peftLoraKeys(p.target);
      out.push({ name: k.a, value: p.A, grad: p.dA }, { name: k.b, value: p.B, grad: p.dB });
    }
    return out;
  }

  /** Set every gradient to zero (before accumulating a new step). */
  zeroGrad(): void {
    for (const p of this.params.values()) {
      this.gpu.clear(p.dA);
      this.gpu.clear(p.dB);
    }
  }

  /** Number of trainable values. */
  get numel(): number {
    let n = 0;
    for (const p of this.params.values()) n += p.A.size + p.B.size;
    return n;
  }

  get isMerged(): boolean {
    return this.merged !== null;
  }

  /**
   * Add scale * B A into the base weights in place; the decoder skips the side path while merged
   * (fast sampling). With f16 weights each merge and each unmerge rounds the weight once, so a
   * merge / unmerge cycle can move a weight by one f16 step; f32 weights come back to ~1e-7.
   */
  merge(weights: ModelWeights): void {
    if (this.merged) throw new Error('LoRA: adapter is already merged; call unmerge() first');
    this.applyDelta(weights, this.scale);
    this.merged = weights;
  }

  /** Subtract the merged update again (call before training the adapter further). */
  unmerge(): void {
    if (!this.merged) throw new Error('LoRA: adapter is not merged');
    this.applyDelta(this.merged, -this.scale);
    this.merged = null;
  }

  private applyDelta(weights: ModelWeights, scale: number): void {
    if (weights.table.config !== this.table.config && JSON.stringify(weights.table.config) !== JSON.stringify(this.table.config)) {
      throw new Error('LoRA: the weights belong to a different model than the adapter');
    }
    for (const [name, p] of this.params) {
      const W = weights.byName.get(name);
      if (!W) throw new Error(`LoRA: base weight '${name}' is missing`);
      loraMerge(this.gpu, wholeTensor(W, 'LoRA merge'), p.A, p.B, scale);
    }
  }

  /** adapter_config.json contents (PEFT LoraConfig fields). */
  peftConfig(baseModel = ''): Record<string, unknown> {
    return {
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      base_model_name_or_path: baseModel,
      r: this.config.rank,
      lora_alpha: this.config.alpha,
      use_rslora: this.config.rsLora,
      target_modules: [...this.config.targetModules],
      lora_dropout: 0,
      bias: 'none',
      fan_in_fan_out: false,
      inference_mode: true,
      init_lora_weights: true,
      modules_to_save: null,
    };
  }

  /** PEFT files: adapter_config.json text and adapter_model.safetensors bytes. */
  async save(baseModel = ''): Promise<{ config: string; safetensors: Uint8Array }> {
    const tensors = [];
    for (const { name, value } of this.parameters()) tensors.push({ name, shape: value.shape, dtype: 'F32' as const, data: await this.gpu.readF32(value) });
    return { config: JSON.stringify(this.peftConfig(baseModel), null, 2), safetensors: writeSafetensors(tensors) };
  }

  /** Load PEFT files (config JSON text or object, safetensors bytes) for the model of `table`. */
  static async load(gpu: Gpu, table: ParamTable, configJson: string | Record<string, unknown>, safetensors: Uint8Array): Promise<LoraAdapter> {
    const pc = typeof configJson === 'string' ? (JSON.parse(configJson) as Record<string, unknown>) : configJson;
    if (pc.peft_type !== undefined && pc.peft_type !== 'LORA') throw new Error(`LoRA: adapter_config.json has peft_type ${JSON.stringify(pc.peft_type)}; only "LORA" adapters load`);
    if (pc.fan_in_fan_out === true) throw new Error('LoRA: fan_in_fan_out adapters (Conv1D layouts) are not supported');
    let modules: LinearModule[];
    const tm = pc.target_modules;
    if (tm === 'all-linear') modules = [...DEFAULT_LORA_MODULES];
    else if (Array.isArray(tm)) modules = tm.map((m) => String(m).split('.').pop()!) as LinearModule[];
    else if (typeof tm === 'string') modules = DEFAULT_LORA_MODULES.filter((m) => new RegExp(tm).test(m));
    else throw new Error('LoRA: adapter_config.json has no target_modules');
    const ad = LoraAdapter.create(gpu, table, { rank: Number(pc.r), alpha: Number(pc.lora_alpha ?? pc.r), rsLora: pc.use_rslora === true, targetModules: modules });
    const byKey = new Map<string, { p: LoraParam; which: 'A' | 'B' }>();
    for (const p of ad.params.values()) {
      const k = peftLoraKeys(p.target);
      byKey.set(k.a, { p, which: 'A' });
      byKey.set(k.b, { p, which: 'B' });
    }
    const seen = new Set<string>();
    try {
      await loadSafetensors(safetensors, {
        dtype: 'f32',
        label: 'adapter_model.safetensors',
        onTensor: (name, shape, data) => {
          const key = name.replace('.default.weight', '.weight');
          const hit = byKey.get(key);
          if (!hit) throw new Error(`LoRA: adapter tensor '${name}' does not match any target of this model (expected keys like ${[...byKey.keys()][0]})`);
          const t = hit.which === 'A' ? hit.p.A : hit.p.B;
          if (shape.length !== 2 || shape[0] !== t.shape[0] || shape[1] !== t.shape[1]) throw new Error(`LoRA: '${name}' has shape [${shape.join(', ')}], expected [${t.shape.join(', ')}]`);
          gpu.write(t, data as Float32Array);
          seen.add(key);
        },
      });
      const missing = [...byKey.keys()].filter((k) => !seen.has(k));
      if (missing.length) throw new Error(`LoRA: adapter_model.safetensors lacks ${missing.length} tensor(s), e.g. ${missing[0]}`);
    } catch (e) {
      ad.release();
      throw e;
    }
    return ad;
  }

  release(): void {
    for (const p of this.params.values()) for (const t of [p.A, p.B, p.dA, p.dB]) t.release();
    this.params.clear();
  }
}
