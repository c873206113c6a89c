// The LoRA training step of the browser-model bench: LoRA on every linear module, zero grads, forward with
// activation recompute, backward of mean NLL, AdamW, with the model suite's options (LoraAdapter alpha 2 x rank,
// OPTIM_DEFAULTS, LR_PRESETS.loraSmallSft) and step sequence. It is a browser-safe copy of the model suite's
// step: that one sits beside Node-only helpers (host.ts, process CPU time) and cannot load in a page.
import type { Gpu } from '../../gpu';
import type { Decoder } from '../../model/decoder';
import { LoraAdapter } from '../../model/lora';
import { LR_PRESETS, OPTIM_DEFAULTS } from '../../train/config';
import { AdamW } from '../../train/optimizer';
import { median, randomIds } from './stats';

export interface TrainStepConfig {
  /** Tokens of the training sequence. */
  trainSeq: number;
  /** LoRA rank (alpha = 2 x rank). */
  rank: number;
  /** Timed steps, after one warm-up step on min(trainSeq, 32) tokens. */
  trainSteps: number;
  seed: number;
}

export interface TrainResult {
  tps: number;
  step_ms: number;
  /** Median split of a step (each phase sync'd): forward, backward, optimizer (grad norm, clip, AdamW on every LoRA tensor). */
  forward_ms: number;
  backward_ms: number;
  optimizer_ms: number;
  /** Wall time of each timed step. */
  samples_ms: number[];
  lora_params: number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Wall times of one training step's phases, each synced (ms). */
export interface StepTimes {
  total: number;
  forward: number;
  backward: number;
  optimizer: number;
}

/** One training step on seeded random ids of T tokens: zero grads, forward (train), backward of mean NLL,
 *  optimizer step (grad norm, clip, AdamW; reads the norm back). `what` names the step in the error for a
 *  non-finite gradient norm. Shared by the model suite (train-rate.ts) and the browser page. */
export async function timedTrainStep(gpu: Gpu, model: Decoder, opt: AdamW, lr: number, T: number, seed: number, what: string): Promise<StepTimes> {
  const ids = randomIds(T + 1, model.config.vocabSize, seed);
  const batch = { B: 1, T, ids: ids.slice(0, T), targets: ids.slice(1) };
  const t0 = performance.now();
  opt.zeroGrad();
  const pass = model.forward(batch, { train: true });
  await gpu.sync();
  const t1 = performance.now();
  model.backward(pass, new Float32Array(T).fill(-1 / T)); // L = -mean log p(target)
  await gpu.sync();
  const t2 = performance.now();
  const res = await opt.step(lr);
  if (!res.applied) throw new Error(`model: ${what} step produced a non-finite gradient norm (${res.gradNorm})`);
  const t3 = performance.now();
  return { total: t3 - t0, forward: t1 - t0, backward: t2 - t1, optimizer: t3 - t2 };
}

/** LoRA SFT steps on one sequence: zero grads, forward (train), backward of mean NLL, AdamW (src/train/optimizer.ts). */
export async function benchTrain(gpu: Gpu, model: Decoder, cfg: TrainStepConfig, log: (msg: string) => void): Promise<TrainResult> {
  const ad = LoraAdapter.create(gpu, model.weights.table, { rank: cfg.rank, alpha: 2 * cfg.rank, seed: cfg.seed });
  model.adapter = ad;
  const opt = new AdamW(gpu, ad.parameters(), { ...OPTIM_DEFAULTS, lr: LR_PRESETS.loraSmallSft });
  const step = (T: number, seed: number) => timedTrainStep(gpu, model, opt, LR_PRESETS.loraSmallSft, T, seed, 'training');
  try {
    const warm = Math.min(cfg.trainSeq, 32);
    log(`train: warm-up step on ${warm} tokens (rank ${cfg.rank}, ${ad.numel} LoRA params)`);
    await step(warm, cfg.seed + 100);
    const runs = [];
    for (let s = 0; s < cfg.trainSteps; s++) {
      runs.push(await step(cfg.trainSeq, cfg.seed + 200 + s));
      log(`train: step ${s + 1}/${cfg.trainSteps}: ${round1(runs[s].total)} ms for ${cfg.trainSeq} tokens`);
    }
    const ms = median(runs.map((r) => r.total));
    return {
      tps: (cfg.trainSeq * 1000) / ms,
      step_ms: ms,
      forward_ms: median(runs.map((r) => r.forward)),
      backward_ms: median(runs.map((r) => r.backward)),
      optimizer_ms: median(runs.map((r) => r.optimizer)),
      samples_ms: runs.map((r) => round1(r.total)),
      lora_params: ad.numel,
    };
  } finally {
    model.adapter = null;
    opt.release();
    ad.release();
  }
}
