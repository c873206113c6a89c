// Models pretrained in this browser, as a table under the pretrain view: size and training
// summary of each, download as a .tar model folder, delete.
import { button, download as downloadFile, el, table } from '../dom';
import { getStoredModel, modelFolderTar, type StoredModelSummary } from '../../worker/models-db';

export interface StoredModelsList {
  /** Heading, table box and error line, to append in this order. */
  nodes: HTMLElement[];
  /** Show the stored models (newest first). */
  show(models: readonly StoredModelSummary[]): void;
}

/** The stored-models list; `remove` deletes a model (its errors show under the table). */
export function storedModelsList(remove: (name: string) => Promise<void>): StoredModelsList {
  const modelsBox = el('div', { attrs: { 'data-testid': 'stored-models' } });
  const modelsErr = el('p', { cls: 'status error', attrs: { role: 'alert' } });

  async function download(name: string): Promise<void> {
    modelsErr.textContent = '';
    try {
      const m = await getStoredModel(name);
      if (!m) throw new Error(`the model "${name}" is no longer stored in this browser`);
      downloadFile(`${name}.tar`, modelFolderTar(m), 'application/x-tar');
    } catch (e) {
      modelsErr.textContent = (e as Error).message;
    }
  }

  function show(models: readonly StoredModelSummary[]): void {
    if (models.length === 0) {
      modelsBox.replaceChildren(el('p', { text: 'none yet' }));
      return;
    }
    const t = table(['name', 'parameters', 'steps', 'tokens', 'minutes', 'final loss', 'size', ''], models.map((m) => [m.name, String(m.params), String(m.steps), String(m.tokens), m.minutes.toFixed(1), m.lastLoss.toFixed(3), `${(m.bytes / 1e6).toFixed(2)} MB`, '']));
    t.querySelectorAll('tbody tr').forEach((tr, i) => {
      const name = models[i].name;
      tr.setAttribute('data-testid', 'stored-model');
      tr.lastElementChild!.append(
        button('Download .tar', () => void download(name), { 'data-testid': 'stored-model-download' }),
        ' ',
        button('Delete', () => {
          modelsErr.textContent = '';
          remove(name).catch((e: Error) => (modelsErr.textContent = e.message));
        }),
      );
    });
    modelsBox.replaceChildren(t);
  }

  return { nodes: [el('h3', { text: 'Models pretrained in this browser' }), modelsBox, modelsErr], show };
}
