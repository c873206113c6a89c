// One GRPO-family step: sample numGenerations completions per prompt with the current policy (their
// sampling log-probs become oldLogp), grade them, group-relative advantages over the whole batch,
// optional reference log-probs (adapter off) for the KL term, then passesPerBatch optimiser steps.

import { generate, type FinishReason } from '../model/generate';
import { assignAdvantages, type AdvantageResult } from './advantages';
import type { GrpoConfig } from './config';
import { completionStats } from './metrics';
import type { StepResult, Trainer, TrainRow } from './trainer';

/** What a reward function sees of one sampled completion. */
export interface RewardInput {
  /** Index of the prompt in this step's prompt list (the group id). */
  prompt: number;
  promptIds: readonly number[];
  /** Index of the sample within its prompt's group. */
  sample: number;
  /** Generated ids (an ending EOS id included). */
  completion: readonly number[];
  finishReason: FinishReason;
}

/** Outcome reward of one completion: a finite number (a non-finite one skips the step). */
export type RewardFn = (s: RewardInput) => number | Promise<number>;

export interface RlSample extends RewardInput {
  reward: number;
  /** Group-relative advantage (0 when the step was skipped for a bad reward). */
  advantage: number;
  /** Sampling log-prob of each generated token (the old policy). */
  logprobs: readonly number[];
}

export interface RlStepResult extends StepResult {
  /** Every sampled completion with its reward and advantage, grouped by prompt. */
  samples: RlSample[];
  /** Reward statistics of the batch. */
  rewards: AdvantageResult;
  /** One result per optimiser pass over the rollouts (passesPerBatch); `metrics` is the last one's. */
  passes: StepResult[];
}

/** One GRPO-family step of `trainer` with its own config (see the file header); throws when the
 *  trainer was built with an SFT config. RL steps live here, beside the Trainer, not in it, so that
 *  this file imports trainer.ts and never the other way round. */
export async function rlStep(trainer: Trainer, prompts: readonly (readonly number[])[], rewardFn: RewardFn): Promise<RlStepResult> {
  const cfg = trainer.config;
  if (cfg.kind !== 'grpo') throw new Error('rlStep: this trainer has an SFT config; build a Trainer with validateGrpoConfig({...}) for RL');
  return grpoStep(trainer, cfg, prompts, rewardFn);
}

/** Sample, grade and train: see the file header. Prompts longer than the context minus
 *  maxCompletionLength are an error naming the prompt and the limit. */
export async function grpoStep(trainer: Trainer, cfg: GrpoConfig, prompts: readonly (readonly number[])[], rewardFn: RewardFn): Promise<RlStepResult> {
  const t0 = performance.now();
  const model = trainer.model;
  const mc = model.config;
  const G = cfg.numGenerations;
  if (typeof rewardFn !== 'function') throw new Error('rlStep: rewardFn must be a function (completion -> number)');
  if (cfg.beta > 0 && trainer.mode !== 'lora') {
    throw new Error('rlStep: beta > 0 needs a reference model; in LoRA mode it is the base model with the adapter off. Use LoRA, or set beta to 0');
  }
  prompts.forEach((p, i) => {
    if (!p || p.length === 0) throw new Error(`rlStep: prompt ${i} is empty; give it at least one token (e.g. BOS)`);
    if (p.length + cfg.maxCompletionLength > mc.maxPositions) {
      throw new Error(
        `rlStep: prompt ${i} has ${p.length} tokens; with maxCompletionLength ${cfg.maxCompletionLength} it would reach ${p.length + cfg.maxCompletionLength} tokens, ` +
          `over the model's context of ${mc.maxPositions} (max_position_embeddings): shorten the prompt or lower maxCompletionLength`,
      );
    }
    p.forEach((id, t) => {
      if (!Number.isInteger(id) || id < 0 || id >= mc.vocabSize) throw new Error(`rlStep: prompt ${i} token ${t} is ${id}, outside the vocabulary [0, ${mc.vocabSize})`);
    });
  });
  const seed = trainer.nextSeed();
  if (prompts.length === 0) {
    const empty = assignAdvantages([]);
    const r = await trainer.runStep([], cfg, { t0, skip: 'empty batch: no prompts', rewards: empty });
    return { ...r, samples: [], rewards: empty, passes: [r] };
  }

  const gen = await generate(model, prompts.map((p) => Array.from(p)), {
    groupSize: G,
    maxNewTokens: cfg.maxCompletionLength,
    temperature: cfg.temperature,
    topK: cfg.topK,
    topP: cfg.topP,
    seed,
    logpMode: 'tempered',
  });

  const rows: TrainRow[] = [];
  const samples: RlSample[] = [];
  for (const s of gen) {
    const input: RewardInput = { prompt: s.prompt, promptIds: prompts[s.prompt], sample: s.sample, completion: s.tokens, finishReason: s.finishReason };
    const reward = await rewardFn(input);
    const row = trainer.makeRow(prompts[s.prompt], s.tokens, `prompt ${s.prompt} sample ${s.sample}`);
    row.seq.oldLogp = Float32Array.from(s.logprobs);
    row.seq.reward = typeof reward === 'number' ? reward : NaN;
    row.seq.group = s.prompt;
    row.seq.truncated = s.finishReason === 'length';
    rows.push(row);
    samples.push({ ...input, reward: row.seq.reward, advantage: 0, logprobs: s.logprobs });
  }
  const seqs = rows.map((r) => r.seq);
  const rewards = assignAdvantages(seqs, { scaleRewards: cfg.scaleRewards, stdEps: cfg.stdEps });
  samples.forEach((s, i) => (s.advantage = seqs[i].advantage ?? 0));
  const completions = completionStats(seqs);

  if (cfg.beta > 0 && !rewards.skip) {
    const adapter = model.adapter;
    model.adapter = null; // the reference policy: base weights only
    try {
      const ref = await trainer.scoreRows(rows, cfg.temperature);
      rows.forEach((r, i) => (r.seq.refLogp = ref.logp[i]));
    } finally {
      model.adapter = adapter;
    }
  }

  const passes: StepResult[] = [];
  for (let k = 0; k < cfg.passesPerBatch; k++) {
    passes.push(
      await trainer.runStep(rows, cfg, {
        rewards,
        completions,
        t0: k === 0 ? t0 : undefined,
        skip: rewards.skip ? rewards.reason : undefined,
      }),
    );
  }
  const last = passes[passes.length - 1];
  return { ...last, samples, rewards, passes };
}
