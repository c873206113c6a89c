// Exports for the big engines: the SFT set as conversational prompt/completion JSONL (TRL) and
// verl-style Parquet, RL prompts as verl Parquet (reward_model.ground_truth), interventions.jsonl,
// and the PEFT adapter files, all written through an ExportSink (browser or Node).

import type { LoraAdapter } from '../model/lora';
import { formatJsonl } from '../io/datasets/jsonl';
import { VERL_SCHEMA, writeParquet, type ParquetField } from '../io/datasets/parquet';
import type { Problem, PromptRenderers } from '../tasks/task';
import type { CandidateVerdict } from './filter';
import type { SftExample } from './splice';

/** Where exported files go: a folder in Node, a zip or a directory handle in the browser. */
export interface ExportSink {
  writeFile(path: string, data: Uint8Array | string): void | Promise<void>;
}

/** An in-memory sink (tests, and the browser before zipping). Strings are stored UTF-8 encoded. */
export function memorySink(): ExportSink & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  const enc = new TextEncoder();
  return {
    files,
    writeFile(path, data) {
      files.set(path, typeof data === 'string' ? enc.encode(data) : data);
    },
  };
}

function joinPath(dir: string, name: string): string {
  const d = dir.replace(/\/+$/, '');
  return d ? `${d}/${name}` : name;
}

// ---------------------------------------------------------------- SFT

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** TRL's conversational prompt/completion row. */
export interface ConversationalRow {
  prompt: ChatMessage[];
  completion: ChatMessage[];
}

/** One SFT example as a TRL conversational prompt/completion row (loss on the completion). */
export function toConversational(ex: SftExample): ConversationalRow {
  return { prompt: [{ role: 'user', content: ex.prompt }], completion: [{ role: 'assistant', content: ex.completion }] };
}

/** The SFT set as JSONL text, one conversational row per line. */
export function sftJsonl(examples: readonly SftExample[]): string {
  return formatJsonl(examples.map(toConversational));
}

const MESSAGE_LIST: ParquetField['type'] = { list: { struct: [{ name: 'role', type: 'string' }, { name: 'content', type: 'string' }] } };

/** VERL_SCHEMA's extra_info with the problem id and difficulty added. */
const RL_EXTRA_INFO: ParquetField = {
  name: 'extra_info',
  type: {
    struct: [
      { name: 'split', type: 'string' },
      { name: 'index', type: 'int64' },
      { name: 'problem_id', type: 'string' },
      { name: 'difficulty', type: 'string' },
    ],
  },
};

/** RL prompts: VERL_SCHEMA (data_source, prompt, ability, reward_model, extra_info) with
 *  extra_info extended by problem_id and difficulty. */
export const RL_PARQUET_SCHEMA: ParquetField[] = VERL_SCHEMA.map((f) => (f.name === 'extra_info' ? RL_EXTRA_INFO : f));

/** SFT rows, verl-style: the RL columns (the prompt as a chat list, reward_model with the gold
 *  answer) plus extra_info.question / extra_info.answer (the prompt and completion texts, for
 *  verl's single-turn SFT dataset: data.prompt_key=extra_info.question,
 *  data.response_key=extra_info.answer) and `messages` (user + assistant, for its multi-turn
 *  dataset: data.multiturn.messages_key=messages). */
export const SFT_PARQUET_SCHEMA: ParquetField[] = [
  { name: 'data_source', type: 'string' },
  { name: 'prompt', type: MESSAGE_LIST },
  { name: 'ability', type: 'string' },
  { name: 'reward_model', type: { struct: [{ name: 'style', type: 'string' }, { name: 'ground_truth', type: 'string' }] } },
  {
    name: 'extra_info',
    type: {
      struct: [
        { name: 'split', type: 'string' },
        { name: 'index', type: 'int64' },
        { name: 'problem_id', type: 'string' },
        { name: 'question', type: 'string' },
        { name: 'answer', type: 'string' },
        { name: 'source', type: 'string' },
      ],
    },
  },
  { name: 'messages', type: MESSAGE_LIST },
];

export interface VerlOptions {
  /** verl picks the reward function by data_source. Default "int-lab". */
  dataSource?: string;
  /** Default "math". */
  ability?: string;
  /** extra_info.split. Default "train". */
  split?: string;
}

/** One verl-style SFT row. */
export function sftVerlRow(ex: SftExample, index: number, opts: VerlOptions = {}): Record<string, unknown> {
  return {
    data_source: opts.dataSource ?? 'int-lab',
    prompt: [{ role: 'user', content: ex.prompt }],
    ability: opts.ability ?? 'math',
    reward_model: { style: 'rule', ground_truth: ex.answer ?? '' },
    extra_info: {
      split: opts.split ?? 'train',
      index,
      problem_id: ex.problemId,
      question: ex.prompt,
      answer: ex.completion,
      source: String(ex.meta?.source ?? ''),
    },
    messages: [
      { role: 'user', content: ex.prompt },
      { role: 'assistant', content: ex.completion },
    ],
  };
}

/** The SFT set as verl-style Parquet bytes (SFT_PARQUET_SCHEMA). */
export function sftParquet(examples: readonly SftExample[], opts: VerlOptions = {}): Uint8Array {
  return writeParquet(examples.map((ex, i) => sftVerlRow(ex, i, opts)), SFT_PARQUET_SCHEMA);
}

// ---------------------------------------------------------------- RL prompts

export interface RlPromptOptions extends VerlOptions {
  /** 'plain' (the solve prompt) or 'hint' (hintSolve with `hintFraction` of the reference). Default 'plain'. */
  style?: 'plain' | 'hint';
  /** Share of reference steps in hint prompts, in [0, 1]. Default 0.5. */
  hintFraction?: number;
}

/** One verl RL row per problem: the rendered prompt and the gold answer as ground truth. */
export function rlPromptRows(problems: readonly Problem[], prompts: PromptRenderers, opts: RlPromptOptions = {}): Record<string, unknown>[] {
  const style = opts.style ?? 'plain';
  if (style !== 'plain' && style !== 'hint') throw new Error(`rlPromptRows: style must be "plain" or "hint", got ${JSON.stringify(style)}`);
  const fraction = opts.hintFraction ?? 0.5;
  return problems.map((p, index) => ({
    data_source: opts.dataSource ?? 'int-lab',
    prompt: [{ role: 'user', content: style === 'hint' ? prompts.hintSolve(p, fraction) : prompts.solve(p) }],
    ability: opts.ability ?? 'math',
    reward_model: { style: 'rule', ground_truth: p.answer },
    extra_info: { split: opts.split ?? p.split, index, problem_id: p.id, difficulty: p.difficulty },
  }));
}

/** RL prompts as verl Parquet bytes (RL_PARQUET_SCHEMA). */
export function rlPromptsParquet(problems: readonly Problem[], prompts: PromptRenderers, opts: RlPromptOptions = {}): Uint8Array {
  return writeParquet(rlPromptRows(problems, prompts, opts), RL_PARQUET_SCHEMA);
}

// ---------------------------------------------------------------- writing files

/** File names used inside an export folder. */
export const EXPORT_FILES = Object.freeze({
  sftJsonl: 'sft.jsonl',
  sftParquet: 'sft.parquet',
  rlParquet: 'rl_prompts.parquet',
  interventions: 'interventions.jsonl',
  adapterConfig: 'adapter_config.json',
  adapterWeights: 'adapter_model.safetensors',
  /** The export folder's record: which run wrote it and each file's sha256 (ExportManifest). */
  manifest: 'exports.json',
});

// ---------------------------------------------------------------- never overwrite without --force

/** sha256 (hex) and size of one exported file; in a manifest also the run that exported it. */
export interface ExportHash {
  sha256: string;
  size: number;
  run?: string;
}

/** What an export folder holds (EXPORT_FILES.manifest): the id of the run that last wrote to it
 *  (the hash of its fingerprint) and the hash and run of every file as exported, by path inside
 *  the folder. */
export interface ExportManifest {
  format: 'int-lab-exports';
  run: string;
  files: Record<string, ExportHash>;
}

/** A manifest as parsed from its file, or null when it is not one. */
export function asExportManifest(v: unknown): ExportManifest | null {
  const m = v as ExportManifest | null;
  if (m?.format !== 'int-lab-exports' || typeof m.run !== 'string' || m.files === null || typeof m.files !== 'object') return null;
  return m;
}

const shortHash = (h: string) => `${h.slice(0, 12)}...`;

/** Why writing `next` over the existing export `path` would lose work, or null when it may be
 *  written: nothing is there, the bytes are the same, or this run exported what is there (a file
 *  the manifest does not list counts as the last writer's: a run stopped between writing a file
 *  and recording it). */
export function exportConflict(path: string, run: string, manifest: ExportManifest | null, onDisk: ExportHash | null, next: ExportHash | null): string | null {
  if (!onDisk || (next && onDisk.sha256 === next.sha256 && onDisk.size === next.size)) return null;
  if (!manifest) return `no ${EXPORT_FILES.manifest} says which run exported it (another program, or a run of an older InT Lab, wrote it)`;
  const was = manifest.files[path];
  const owner = was?.run ?? manifest.run;
  if (owner !== run) {
    return `it was exported by another run (run ${shortHash(owner)}; this run is ${shortHash(run)}: another config, model or dataset)`;
  }
  if (was && (was.sha256 !== onDisk.sha256 || was.size !== onDisk.size)) {
    return `it was changed after this run exported it (${was.size} -> ${onDisk.size} bytes, sha256 ${shortHash(was.sha256)} -> ${shortHash(onDisk.sha256)})`;
  }
  return null;
}

/** The refusal of an export that would replace `file`, with the fix. */
export function exportRefusal(file: string, why: string): string {
  return `${file}: ${why}; it was not replaced. Move it away (or pick another --out folder), or pass --force to replace it`;
}

/** Write sft.jsonl and sft.parquet under `dir`; returns the paths written. */
export async function exportSftSet(sink: ExportSink, dir: string, examples: readonly SftExample[], opts: VerlOptions = {}): Promise<string[]> {
  const a = joinPath(dir, EXPORT_FILES.sftJsonl);
  const b = joinPath(dir, EXPORT_FILES.sftParquet);
  await sink.writeFile(a, sftJsonl(examples));
  await sink.writeFile(b, sftParquet(examples, opts));
  return [a, b];
}

/** Write rl_prompts.parquet under `dir`; returns its path. */
export async function exportRlPrompts(sink: ExportSink, dir: string, problems: readonly Problem[], prompts: PromptRenderers, opts: RlPromptOptions = {}): Promise<string> {
  const path = joinPath(dir, EXPORT_FILES.rlParquet);
  await sink.writeFile(path, rlPromptsParquet(problems, prompts, opts));
  return path;
}

/** Write interventions.jsonl (one filter verdict per line) under `dir`; returns its path. */
export async function exportInterventions(sink: ExportSink, dir: string, verdicts: readonly CandidateVerdict[]): Promise<string> {
  const path = joinPath(dir, EXPORT_FILES.interventions);
  await sink.writeFile(path, formatJsonl(verdicts));
  return path;
}

/** Write a LoRA adapter's PEFT files (adapter_config.json, adapter_model.safetensors) under
 *  `dir`, exactly as LoraAdapter.save() produces them; returns the paths written. */
export async function exportAdapter(sink: ExportSink, dir: string, adapter: Pick<LoraAdapter, 'save'>, baseModel = ''): Promise<string[]> {
  const { config, safetensors } = await adapter.save(baseModel);
  const a = joinPath(dir, EXPORT_FILES.adapterConfig);
  const b = joinPath(dir, EXPORT_FILES.adapterWeights);
  await sink.writeFile(a, config);
  await sink.writeFile(b, safetensors);
  return [a, b];
}
