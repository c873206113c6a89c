// Downloads of one run: its report files (run JSON, metrics CSV, results.md, interventions JSONL)
// and the export files the worker wrote with src/int/exports.ts when the run finished (SFT data as
// TRL JSONL and verl Parquet, RL prompts as verl Parquet, each trained arm's PEFT adapter), read
// from IndexedDB beside the run.
import { ARM_IDS, ARMS, type ArmId } from '../../int/arms';
import { EXPORT_FILES } from '../../int/exports';
import { fmtBytes } from '../../model/memory';
import { modelFolderTar } from '../../worker/models-db';
import type { RunRecord } from '../../worker/protocol';
import { button, download, el } from '../dom';

type ExportFiles = Record<string, Uint8Array>;

/** The data files of an export folder: [path, button label, MIME type, test id]. */
const DATA_FILES: readonly [string, string, string, string][] = [
  [`sft/${EXPORT_FILES.sftJsonl}`, 'SFT data, TRL JSONL', 'application/jsonl', 'download-sft-jsonl'],
  [`sft/${EXPORT_FILES.sftParquet}`, 'SFT data, verl Parquet', 'application/vnd.apache.parquet', 'download-sft-parquet'],
  [`rl/${EXPORT_FILES.rlParquet}`, 'RL prompts, verl Parquet', 'application/vnd.apache.parquet', 'download-rl-parquet'],
];

/** Arms with exported weights in results-table order (unknown ids last): arm id, full fine-tune or adapter, files. */
export function exportedArms(files: ExportFiles): { arm: string; full: boolean; files: Record<string, Uint8Array> }[] {
  const arms = new Map<string, { arm: string; full: boolean; files: Record<string, Uint8Array> }>();
  for (const [path, bytes] of Object.entries(files)) {
    const m = /^(adapters|models)\/([^/]+)\/([^/]+)$/.exec(path);
    if (!m) continue;
    const a = arms.get(m[2]) ?? { arm: m[2], full: m[1] === 'models', files: {} };
    a.files[m[3]] = bytes;
    arms.set(m[2], a);
  }
  const order = (id: string) => (ARM_IDS.includes(id as ArmId) ? ARM_IDS.indexOf(id as ArmId) : ARM_IDS.length);
  return [...arms.values()].sort((x, y) => order(x.arm) - order(y.arm) || x.arm.localeCompare(y.arm));
}

const armLabel = (id: string) => ARMS[id as ArmId]?.label.replace(/^\+ /, '') ?? id;

function fileButton(label: string, name: string, bytes: Uint8Array | string, type: string, testid: string, extra: Record<string, string> = {}): HTMLElement {
  const size = typeof bytes === 'string' ? new TextEncoder().encode(bytes).byteLength : bytes.byteLength;
  return el('span', { cls: 'download' }, button(label, () => download(name, bytes, type), { 'data-testid': testid, ...extra }), el('span', { cls: 'note', text: ` ${fmtBytes(size)}` }));
}

/** The downloads section of `run`; `exportsOf` reads its stored export files (null when none). */
export function runDownloads(run: RunRecord, exportsOf: (id: string) => Promise<ExportFiles | null>): HTMLElement {
  const id = run.id;
  const report = el('div', { cls: 'downloads' });
  report.append(fileButton('Run JSON', `${id}.json`, JSON.stringify(run), 'application/json', 'download-run-json'));
  if (run.files) {
    report.append(
      fileButton('Metrics CSV', `${id}-metrics.csv`, run.files.csv, 'text/csv', 'download-metrics-csv'),
      fileButton('results.md', `${id}-results.md`, run.files.md, 'text/markdown', 'download-results-md'),
      fileButton('Interventions JSONL', `${id}-interventions.jsonl`, run.files.jsonl, 'application/jsonl', 'download-interventions'),
    );
  }
  const data = el('div', { cls: 'downloads', attrs: { 'data-testid': 'run-exports' } }, el('span', { cls: 'note', text: 'reading the export files…' }));
  const root = el(
    'section',
    { cls: 'run-downloads', attrs: { 'data-testid': 'run-downloads' } },
    el('h3', { text: 'Downloads' }),
    el('p', { cls: 'note', text: 'The report of this run, and the files to continue its training in TRL, verl or PEFT: the same files the command-line runner writes under --out.' }),
    report,
    data,
  );
  exportsOf(id).then(
    (files) => fillExports(data, id, files),
    (e: Error) => data.replaceChildren(el('p', { cls: 'status error', text: `the export files could not be read: ${e.message}` })),
  );
  return root;
}

function fillExports(box: HTMLElement, id: string, files: ExportFiles | null): void {
  if (!files) {
    box.replaceChildren(
      el('p', {
        cls: 'note',
        attrs: { 'data-testid': 'no-exports' },
        text: 'No adapter, SFT or RL files are stored for this run: they are kept only in the browser that ran it, and runs imported from a run JSON or finished before exports were kept have none. Run it again here, or export them with the command-line runner (npm run experiment -- ... --out <folder>).',
      }),
    );
    return;
  }
  const nodes: HTMLElement[] = [];
  for (const [path, label, type, testid] of DATA_FILES) {
    const b = files[path];
    if (b) nodes.push(fileButton(label, `${id}-${path.split('/').pop()}`, b, type, testid));
  }
  const arms = exportedArms(files);
  const armRows = arms.map(({ arm, full, files: f }) => {
    const row = el('div', { cls: 'downloads adapter', attrs: { 'data-testid': 'arm-export', 'data-arm': arm } }, el('span', { cls: 'arm-name', text: `${armLabel(arm)}: ` }));
    if (full) {
      const w = f['model.safetensors'];
      if (w) row.append(fileButton('model.safetensors (full fine-tune)', `${id}-${arm}-model.safetensors`, w, 'application/octet-stream', 'download-model-weights', { 'data-arm': arm }));
      return row;
    }
    const w = f[EXPORT_FILES.adapterWeights];
    const c = f[EXPORT_FILES.adapterConfig];
    if (w) row.append(fileButton(EXPORT_FILES.adapterWeights, EXPORT_FILES.adapterWeights, w, 'application/octet-stream', 'download-adapter-weights', { 'data-arm': arm }));
    if (c) row.append(fileButton(EXPORT_FILES.adapterConfig, EXPORT_FILES.adapterConfig, c, 'application/json', 'download-adapter-config', { 'data-arm': arm }));
    if (w && c) {
      const name = `${id}-${arm}-adapter`;
      row.append(fileButton('both as .tar', `${name}.tar`, modelFolderTar({ name, files: f }), 'application/x-tar', 'download-adapter-tar', { 'data-arm': arm }));
    }
    return row;
  });
  box.replaceChildren(
    el('h4', { text: 'Training data' }),
    ...(nodes.length ? nodes : [el('span', { cls: 'note', text: 'none stored' })]),
    el('h4', { text: 'PEFT adapters (load with PeftModel.from_pretrained(base, folder) after saving both files into one folder)' }),
    ...(armRows.length ? armRows : [el('p', { cls: 'note', text: 'no arm of this run trained weights' })]),
  );
}
