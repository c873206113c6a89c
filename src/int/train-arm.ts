// Training and evaluation of one arm on the GPU: SFT (LoRA or full) on the arm's examples
// (Trainer.sftStep, shuffled epochs), GRPO on the training problems with the task's grader as the
// binary reward (rlStep, plain or hint prompts; the first step's reward groups are kept for the
// zero-advantage measure), and held-out evaluation (pass@k with bootstrap CIs).

import type { Problem, Task } from '../tasks/task';
import { createRng, shuffled } from '../util/random';
import type { Decoder } from '../model/decoder';
import type { StepMetrics } from '../train/metrics';
import { sftTotalSteps, Trainer, type SftExample as TokenExample } from '../train/trainer';
import type { GrpoConfig, SftConfig } from '../train/config';
import { rlStep } from '../train/rl';
import type { ArmSpec } from './arms';
import type { EvalConfig, IntConfig } from './config';
import type { TextCodec } from '../model/codec';
import type { Engine } from './engine';
import type { SftExample } from './splice';
import { rewardGroups, type RewardGroup } from './mechanism';
import { completionEnds, stageSeed } from './stages';
import { outcomesFromSamples, summarizeOutcomes, type EvalSummary, type ProblemOutcome, type SampleResult } from './stats';

export interface TrainLog {
  /** Metrics of every optimiser step. */
  steps: StepMetrics[];
  /** Rows used (SFT) or prompts seen (RL). */
  rows: number;
  /** Rows (SFT) or training problems (RL) dropped because they do not fit the model's context. */
  dropped: number;
  /** RL only: the ids of the dropped problems (absent in logs stored before it was recorded). */
  droppedIds?: string[];
  /** RL only: the rewards of each prompt group at the first RL step, with the prompt's tier
   *  (src/int/mechanism.ts measures the zero-advantage share from them). */
  firstStepGroups?: RewardGroup[];
}

/** Tokenise SFT examples; rows longer than the context are dropped (and counted). */
export function tokenizeSft(codec: TextCodec, examples: readonly SftExample[], maxPositions: number): { rows: TokenExample[]; dropped: number } {
  const rows: TokenExample[] = [];
  let dropped = 0;
  for (const ex of examples) {
    const prompt = codec.promptIds(ex.prompt, ex.prefix);
    const completion = codec.completionIds(ex.completion, completionEnds(ex));
    if (completion.length === 0 || prompt.length + completion.length > maxPositions) dropped++;
    else rows.push({ prompt, completion });
  }
  return { rows, dropped };
}

/** SFT of the decoder's trainable weights (its adapter, or every weight for a full fine-tune) on `examples` for cfg.epochs epochs of cfg.batchSize rows. */
export async function trainSft(model: Decoder, codec: TextCodec, examples: readonly SftExample[], cfg: SftConfig, onStep?: (m: StepMetrics, done: number, total: number) => void): Promise<TrainLog> {
  const { rows, dropped } = tokenizeSft(codec, examples, model.config.maxPositions);
  if (rows.length === 0) return { steps: [], rows: 0, dropped };
  const total = sftTotalSteps(rows.length, cfg);
  const trainer = new Trainer(model, { config: cfg, totalSteps: total });
  try {
    for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      const order = cfg.shuffle ? shuffled(rows, createRng(stageSeed(cfg.seed, `sft-epoch-${epoch}`))) : rows;
      for (let b = 0; b < order.length; b += cfg.batchSize) {
        const r = await trainer.sftStep(order.slice(b, b + cfg.batchSize));
        onStep?.(r.metrics, trainer.step, total);
      }
    }
    return { steps: trainer.history.map((m) => ({ ...m })), rows: rows.length, dropped };
  } finally {
    trainer.release();
  }
}

/** The prompt text of an arm's RL stage for a problem. */
export function rlPrompt(task: Task, arm: ArmSpec, p: Problem, hintFraction: number): string {
  return arm.rl?.prompts === 'hint' ? task.prompts.hintSolve(p, hintFraction) : task.prompts.solve(p);
}

/** The report of the training problems an arm's RL leaves out (empty when none): count, the first
 *  few with their prompt's tokens, and the fix. */
export function rlDropReport(arm: ArmSpec, dropped: readonly { id: string; tokens: number }[], total: number, maxCompletionLength: number, maxPositions: number): string[] {
  if (dropped.length === 0) return [];
  const kind = arm.rl?.prompts === 'hint' ? 'hint' : 'solve';
  const out = [
    `[${arm.id}/rl] ${dropped.length} of ${total} training problems left out of RL: their ${kind} prompt plus rl.maxCompletionLength ${maxCompletionLength} ` +
      `exceeds the model's ${maxPositions} positions (max_position_embeddings):`,
    ...dropped.slice(0, 5).map((d) => `  problem ${d.id}: ${kind} prompt of ${d.tokens} tokens`),
  ];
  if (dropped.length > 5) out.push(`  ... and ${dropped.length - 5} more`);
  out.push(`  Fix: lower rl.maxCompletionLength${kind === 'hint' ? ' or hint.fraction (a shorter hint)' : ''}, use a model with a longer context, or shorten those problems`);
  return out;
}

/** GRPO on `problems` (seeded shuffled cycle, promptsPerStep per step, cfg.steps steps); reward 1
 *  for a completion the task grades correct, else 0. Problems whose prompt plus
 *  cfg.maxCompletionLength does not fit the context are left out, counted and reported to `note`. */
export async function trainRl(
  model: Decoder,
  codec: TextCodec,
  task: Task,
  arm: ArmSpec,
  problems: readonly Problem[],
  cfg: GrpoConfig,
  hintFraction: number,
  onStep?: (m: StepMetrics, done: number, total: number) => void,
  note?: (line: string) => void,
): Promise<TrainLog> {
  if (problems.length === 0) throw new Error('trainRl: no training problems; raise data.maxTrainProblems or the chains counts');
  const maxPositions = model.config.maxPositions;
  const fits: Problem[] = [];
  const dropped: { id: string; tokens: number }[] = [];
  for (const p of problems) {
    const tokens = codec.promptIds(rlPrompt(task, arm, p, hintFraction)).length;
    if (tokens + cfg.maxCompletionLength <= maxPositions) fits.push(p);
    else dropped.push({ id: p.id, tokens });
  }
  const report = rlDropReport(arm, dropped, problems.length, cfg.maxCompletionLength, maxPositions);
  if (fits.length === 0) throw new Error(`trainRl: no prompt fits the context; ${report.map((l) => l.trim()).join('\n')}`);
  for (const line of report) note?.(line);
  const trainer = new Trainer(model, { config: cfg });
  let order: Problem[] = [];
  let cycle = 0;
  let firstStepGroups: RewardGroup[] = [];
  try {
    for (let step = 0; step < cfg.steps; step++) {
      const batch: Problem[] = [];
      while (batch.length < cfg.promptsPerStep) {
        if (order.length === 0) order = shuffled(fits, createRng(stageSeed(cfg.seed, `rl-cycle-${cycle++}`)));
        batch.push(order.shift()!);
      }
      const prompts = batch.map((p) => codec.promptIds(rlPrompt(task, arm, p, hintFraction)));
      const r = await rlStep(trainer, prompts, async (s) => ((await task.grade(codec.decode(s.completion), batch[s.prompt])).correct ? 1 : 0));
      if (step === 0) firstStepGroups = rewardGroups(r.samples, batch.map((p) => p.difficulty));
      onStep?.(r.metrics, step + 1, cfg.steps);
    }
    return { steps: trainer.history.map((m) => ({ ...m })), rows: cfg.steps * cfg.promptsPerStep, dropped: dropped.length, droppedIds: dropped.map((d) => d.id), firstStepGroups };
  } finally {
    trainer.release();
  }
}

export interface EvalResult {
  summary: EvalSummary;
  outcomes: ProblemOutcome[];
}

/** eval.samples samples per held-out problem with the plain solve prompt, graded; pass@k for
 *  eval.ks with bootstrap intervals over problems, overall and per tier. */
export async function evaluate(engine: Engine, task: Task, problems: readonly Problem[], cfg: EvalConfig, seed: number, progress?: (d: number, t: number) => void): Promise<EvalResult> {
  const gens = await engine.generate(problems.map((p) => ({ id: p.id, prompt: task.prompts.solve(p) })), { n: cfg.samples, ...cfg.sampling, seed: stageSeed(seed, 'eval'), onProgress: progress });
  const samples: SampleResult[] = [];
  for (const [i, p] of problems.entries()) {
    for (const g of gens[i]) samples.push({ problemId: p.id, tier: p.difficulty, correct: (await task.grade(g.text, p)).correct });
  }
  const outcomes = outcomesFromSamples(samples);
  return { outcomes, summary: summarizeOutcomes(outcomes, { ks: cfg.ks, ...cfg.bootstrap }) };
}

/** The RL config of a run: the shared budget, its seed offset by the experiment seed. */
export function armRlConfig(config: IntConfig): GrpoConfig {
  return { ...config.rl, seed: config.rl.seed + config.seed };
}

export function armSftConfig(config: IntConfig): SftConfig {
  return { ...config.sft, seed: config.sft.seed + config.seed };
}
