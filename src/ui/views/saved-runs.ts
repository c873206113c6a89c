// Saved-runs view: the runs stored in this browser (open in the results view, delete) and the
// import of a run JSON file.
import { button, el } from '../dom';
import { deleteRun, listRuns, parseRunJson, saveRun } from '../../worker/runs-db';
import type { RunRecord } from '../../worker/protocol';

/** Fill `pane` with the saved runs; `open` shows a run (an opened or freshly imported one). */
export async function renderSavedRuns(pane: HTMLElement, open: (r: RunRecord) => void): Promise<void> {
  const imp = el('input', { attrs: { type: 'file', accept: '.json,application/json' } });
  const err = el('p', { cls: 'status error', attrs: { role: 'alert' } });
  imp.addEventListener('change', async () => {
    const f = imp.files?.[0];
    if (!f) return;
    try {
      const r = parseRunJson(await f.text(), f.name);
      await saveRun(r);
      open(r);
    } catch (e) {
      err.textContent = (e as Error).message;
    }
  });
  const list = el('ul');
  try {
    for (const r of await listRuns()) {
      const arms = Object.keys(r.results.arms).length;
      list.append(
        el('li', { attrs: { 'data-testid': 'saved-run' } }, `${r.created} · ${r.preset ?? 'custom'} · seed ${r.config.seed} · ${arms} arms `, button('Open', () => open(r)), ' ', button('Delete', () => void deleteRun(r.id).then(() => renderSavedRuns(pane, open)))),
      );
    }
  } catch (e) {
    err.textContent = (e as Error).message;
  }
  if (!list.firstChild) list.append(el('li', { text: 'no saved runs yet' }));
  pane.replaceChildren(el('h2', { text: 'Saved runs' }), list, el('p', {}, 'Import a run JSON: ', imp), err);
}
