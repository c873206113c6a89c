// Prompts against the model's context, before any work: the problems whose solve prompt (and, for
// training problems, the verify prompt with an empty attempt) leave fewer than the engine's
// minimum of completion tokens are dropped from the run and reported like a dataset's skipped rows
// (with data.strict they refuse the run), so no stage meets them midway and nothing is truncated.

import type { TextCodec } from '../model/codec';
import type { Problem, Split, Task } from '../tasks/task';
import type { IntConfig } from './config';
import { MIN_COMPLETION_TOKENS } from './engine';

/** A problem whose prompt does not leave room for its completion. */
export interface LongPrompt {
  id: string;
  split: Split;
  /** Which prompt: the solve prompt, or the verify prompt (reference + an empty attempt). */
  prompt: 'solve' | 'verify';
  tokens: number;
}

/** What a run needs of the context: its size and the completion tokens each kind of prompt must
 *  leave free (the engine's minimum, or the stage's maxNewTokens when smaller). */
export interface PromptRoom {
  maxPositions: number;
  solve: number;
  verify: number;
}

/** The room a config asks for on a model of `maxPositions` positions. */
export function promptRoom(config: IntConfig, maxPositions: number, minCompletion = MIN_COMPLETION_TOKENS): PromptRoom {
  const solveNew = Math.min(config.rollouts.sampling.maxNewTokens, config.eval.sampling.maxNewTokens);
  return { maxPositions, solve: Math.max(1, Math.min(minCompletion, solveNew)), verify: Math.max(1, Math.min(minCompletion, config.propose.sampling.maxNewTokens)) };
}

/** The problems of `task` (both splits) whose prompts do not fit `room`, in split then task order. */
export function longPrompts(task: Task, codec: TextCodec, room: PromptRoom): LongPrompt[] {
  const out: LongPrompt[] = [];
  const check = (p: Problem, prompt: LongPrompt['prompt'], text: string, need: number): boolean => {
    const tokens = codec.promptIds(text).length;
    if (tokens + need <= room.maxPositions) return true;
    out.push({ id: p.id, split: p.split, prompt, tokens });
    return false;
  };
  for (const split of ['train', 'test'] as const) {
    for (const p of task.problems(split)) {
      if (!check(p, 'solve', task.prompts.solve(p), room.solve)) continue;
      if (split === 'train') check(p, 'verify', task.prompts.verifyAndIntervene(p, []), room.verify);
    }
  }
  return out;
}

/** `task` without the problems whose ids are in `drop` (its other methods unchanged). */
export function withoutProblems<T extends Task>(task: T, drop: ReadonlySet<string>): T {
  if (drop.size === 0) return task;
  const problems = (split: Split) => task.problems(split).filter((p) => !drop.has(p.id));
  return Object.assign(Object.create(task) as T, { problems });
}

const LISTED = 5;
const STRICT_LISTED = 20;

function listLong(long: readonly LongPrompt[], max: number): string[] {
  const out = long.slice(0, max).map((l) => `  problem ${l.id} (${l.split}): ${l.prompt} prompt of ${l.tokens} tokens`);
  if (long.length > max) out.push(`  ... and ${long.length - max} more`);
  return out;
}

function headline(long: readonly LongPrompt[], total: number, room: PromptRoom): string {
  return (
    `${long.length} of ${total} problems skipped: their prompt leaves fewer than ${room.solve} (solve) / ${room.verify} (verify) ` +
    `of the model's ${room.maxPositions} positions (max_position_embeddings) for the completion`
  );
}

const FIX = 'Fix: shorten those problems, use a model with a longer context, or drop the rows from the dataset';

/** The report lines of the dropped problems (empty when none); with `strict` a refusal instead. */
export function longPromptReport(long: readonly LongPrompt[], total: number, room: PromptRoom, strict: boolean): string[] {
  if (long.length === 0) return [];
  if (strict) {
    throw new Error(`strict run refused: ${headline(long, total, room)}:\n${listLong(long, STRICT_LISTED).join('\n')}\n${FIX}, or run without --strict (data.strict) to use the other problems`);
  }
  return [`${headline(long, total, room)}:`, ...listLong(long, LISTED), `  ${FIX}`];
}

/** Drop the problems whose prompts do not fit (see the file header); `note` gets the report.
 *  Returns the fitted task and the dropped problems (results.json counts them). */
export function fitProblems<T extends Task>(task: T, codec: TextCodec, room: PromptRoom, strict: boolean, note: (line: string) => void): { task: T; dropped: LongPrompt[] } {
  const long = longPrompts(task, codec, room);
  const total = task.problems('train').length + task.problems('test').length;
  for (const line of longPromptReport(long, total, room, strict)) note(line);
  return { task: withoutProblems(task, new Set(long.map((l) => l.id))), dropped: long };
}

/** fitProblems' task only. */
export function fitTask<T extends Task>(task: T, codec: TextCodec, room: PromptRoom, strict: boolean, note: (line: string) => void): T {
  return fitProblems(task, codec, room, strict, note).task;
}

/** What results.json records of the problems dropped up front (ExperimentResults.droppedProblems). */
export interface DroppedProblems {
  /** Problems dropped before the first stage because a prompt leaves no room for the completion. */
  promptTooLong: number;
  /** Their ids, split then task order. */
  ids: string[];
}

/** results.json's record of the dropped problems. */
export function droppedProblems(dropped: readonly LongPrompt[]): DroppedProblems {
  return { promptTooLong: dropped.length, ids: dropped.map((d) => d.id) };
}
