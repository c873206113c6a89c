// Saved-runs view: the runs stored in this browser with their headline numbers (held-out pass@1
// of InT + RL and RL only on the critical tier, and their paired difference), open in the results
// view or delete; and the import of a run JSON file, which is stored and opened.
import { button, el, table } from '../dom';
import { deleteRun, listRuns, parseRunJson, saveRun } from '../../worker/runs-db';
import type { RunRecord } from '../../worker/protocol';
import { headlineCells, runHeadline } from '../run-headline';

/** "2026-12-05 07:09" from an ISO time. */
const when = (iso: string) => iso.replace('T', ' ').slice(0, 16);

/** Header and rows of the saved-runs table (the last cell is left for the buttons). */
export function savedRunsTable(runs: readonly RunRecord[]): { head: string[]; rows: string[][] } {
  const head = ['created', 'InT + RL pass@1', 'RL pass@1', 'InT + RL − RL [95% CI]', 'tier', 'preset', 'seed', 'model', 'arms', ''];
  const rows = runs.map((r) => {
    const [tier, intRl, rl, diff] = headlineCells(runHeadline(r.results));
    return [when(r.created), intRl, rl, diff, tier, r.preset ?? 'custom', String(r.config?.seed ?? r.results.seed), r.results.model ?? '', String(Object.keys(r.results.arms).length), ''];
  });
  return { head, rows };
}

/** Fill `pane` with the saved runs; `open` shows a run (an opened or freshly imported one). */
export async function renderSavedRuns(pane: HTMLElement, open: (r: RunRecord) => void): Promise<void> {
  const imp = el('input', { attrs: { type: 'file', accept: '.json,application/json', 'data-testid': 'import-run' } });
  const err = el('p', { cls: 'status error', attrs: { role: 'alert' } });
  imp.addEventListener('change', async () => {
    const f = imp.files?.[0];
    if (!f) return;
    err.textContent = '';
    try {
      const r = parseRunJson(await f.text(), f.name);
      open(r);
      await saveRun(r);
      await renderSavedRuns(pane, open);
    } catch (e) {
      err.textContent = (e as Error).message;
    }
  });
  let runs: RunRecord[] = [];
  try {
    runs = await listRuns();
  } catch (e) {
    err.textContent = (e as Error).message;
  }
  let list: HTMLElement;
  if (runs.length === 0) list = el('p', { text: 'No saved runs yet: finished runs are stored here, and run files can be imported below.' });
  else {
    const t = savedRunsTable(runs);
    list = table(t.head, t.rows, 'report saved-runs');
    list.querySelectorAll('tbody tr').forEach((tr, i) => {
      const r = runs[i];
      tr.setAttribute('data-testid', 'saved-run');
      // narrow screens show each run as a card with these labels (style.css)
      [...tr.children].forEach((td, j) => t.head[j] && td.setAttribute('data-label', t.head[j]));
      tr.lastElementChild!.append(
        button('Open', () => open(r), { 'data-testid': 'open-run' }),
        ' ',
        button('Delete', () => void deleteRun(r.id).then(() => renderSavedRuns(pane, open), (e: Error) => (err.textContent = e.message))),
      );
    });
  }
  pane.replaceChildren(
    el('h2', { text: 'Saved runs' }),
    el('p', { cls: 'note', text: 'Headline numbers: held-out pass@1 on the critical tier (over all tiers when a run has none) and the paired difference of InT + RL against RL only with its 95% bootstrap interval. Open shows the full results and the downloads.' }),
    list,
    el('p', {}, el('label', {}, 'Import a run JSON (exported from the results view): ', imp)),
    err,
  );
}
