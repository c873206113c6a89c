// The export files of a finished browser run, written with the CLI's own src/int/exports.ts into an
// ExportSink and laid out as the CLI's export folder: sft/sft.jsonl (TRL) and sft/sft.parquet
// (verl), rl/rl_prompts.parquet (verl), and per trained arm its PEFT adapter under adapters/<arm>/
// (models/<arm>/model.safetensors for a full fine-tune). Read from the run's stage store before it
// is discarded, so a resumed run (whose data stages were loaded, not computed) has them too.
import { getArm } from '../int/arms';
import type { IntConfig } from '../int/config';
import { exportAdapter, exportRlPrompts, exportSftSet, type ExportSink } from '../int/exports';
import type { AdapterFiles, StageStore } from '../int/pipeline';
import type { ExperimentResults } from '../int/report';
import type { SftSets } from '../int/stages';
import type { Problem, Task } from '../tasks/task';

export interface RunExportInputs {
  store: Pick<StageStore, 'loadAdapter'>;
  config: IntConfig;
  results: ExperimentResults;
  sets: SftSets;
  /** The training problems the RL stage drew its prompts from. */
  train: readonly Problem[];
  task: Pick<Task, 'name' | 'prompts'>;
}

/** The stage-store key of an arm's final weights ("<arm>/rl", else "<arm>/sft"), or null when
 *  the arm trained nothing (base, or SFT on an empty set without RL). */
export function finalAdapterKey(armId: string, sftRows: number): string | null {
  const arm = getArm(armId);
  if (arm.rl) return `${armId}/rl`;
  return arm.sft !== 'none' && sftRows > 0 ? `${armId}/sft` : null;
}

/** Write every export file of the run into `sink`; returns the paths written. */
export async function writeRunExports(sink: ExportSink, x: RunExportInputs): Promise<string[]> {
  const paths = [...(await exportSftSet(sink, 'sft', x.sets.interventions)), await exportRlPrompts(sink, 'rl', x.train, x.task.prompts, { dataSource: x.task.name })];
  for (const [id, a] of Object.entries(x.results.arms)) {
    const key = finalAdapterKey(id, a.sftRows);
    if (!key) continue;
    const files: AdapterFiles = await x.store.loadAdapter(key);
    if (x.config.finetune === 'full') {
      const path = `models/${id}/model.safetensors`;
      await sink.writeFile(path, files.safetensors);
      paths.push(path);
    } else {
      paths.push(...(await exportAdapter(sink, `adapters/${id}`, { save: async () => files })));
    }
  }
  return paths;
}
