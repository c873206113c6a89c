// Model choices of the setup view: the known hub checkpoints with parameter counts and the memory
// our planner says LoRA training needs, checked against the adapter's limits.
import type { AdapterReport } from '../../gpu';
import { parseModelConfig } from '../../model/config';
import { QWEN2_5_0_5B, QWEN3_0_6B, QWEN3_4B, type KnownConfigJson } from '../../model/known-configs';
import { fmtBytes, planTraining } from '../../model/memory';
import { buildParamTable, countParams } from '../../model/params';

export const KNOWN_MODELS: ReadonlyArray<{ id: string; config: Readonly<KnownConfigJson> }> = [
  { id: 'Qwen/Qwen2.5-0.5B-Instruct', config: QWEN2_5_0_5B },
  { id: 'Qwen/Qwen3-0.6B', config: QWEN3_0_6B },
  { id: 'Qwen/Qwen3-4B-Instruct-2507', config: QWEN3_4B },
];

export interface ModelNeed {
  id: string;
  params: number;
  /** Planner total for LoRA training at this sequence length and rank. */
  bytes: number;
  largestBuffer: number;
  /** Human summary including the limit check. */
  verdict: string;
  fits: boolean;
}

/** Memory need of a known model vs the adapter (largest buffer vs maxStorageBufferBindingSize). */
export function modelNeed(id: string, cfg: Readonly<KnownConfigJson>, seqLen: number, rank: number, report: AdapterReport | null): ModelNeed {
  const config = parseModelConfig(cfg);
  const params = countParams(buildParamTable(config)).total;
  const weights = report?.features.shaderF16 ? 'f16' : 'f32';
  const limit = report?.limits.maxStorageBufferBindingSize;
  const plan = planTraining(config, { seqLen, rank, weights, maxBinding: limit });
  const fits = limit === undefined || plan.largestBuffer.bytes <= limit;
  const verdict = `${fmtBytes(plan.totalBytes)} total (${weights} weights, seq ${seqLen}, LoRA r${rank}); largest buffer ${fmtBytes(plan.largestBuffer.bytes)}` +
    (limit === undefined ? '' : fits ? ` fits the ${fmtBytes(limit)} binding limit` : ` exceeds the ${fmtBytes(limit)} binding limit: this adapter cannot hold it`);
  return { id, params, bytes: plan.totalBytes, largestBuffer: plan.largestBuffer.bytes, verdict, fits };
}

export function fmtParams(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} B` : `${(n / 1e6).toFixed(0)} M`;
}
