// App entry: starts the engine worker and shows the WebGPU report (adapter, features, limits),
// or a clear page that says which browsers and flags work when WebGPU is missing.
import * as Comlink from 'comlink';
import type { EngineApi } from '../../workers/engine.worker';

const root = document.getElementById('app')!;

function el(tag: string, text?: string, cls?: string): HTMLElement {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

async function main(): Promise<void> {
  root.append(el('h1', 'InT Lab'), el('p', 'Intervention Training in your browser: rollouts, self-proposed interventions, LoRA SFT and RL on WebGPU.'));
  const status = el('p', 'Starting the engine…', 'status');
  root.append(status);
  const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module' });
  const engine = Comlink.wrap<EngineApi>(worker);
  try {
    const r = await engine.init();
    status.textContent = `WebGPU ready: ${[r.vendor, r.architecture, r.description].filter(Boolean).join(' / ')}`;
    const table = el('table', undefined, 'report');
    const rows: Array<[string, string]> = [
      ['features', Object.entries(r.features).map(([k, v]) => `${k}: ${v ? 'yes' : 'no'}`).join(', ')],
      ...Object.entries(r.limits).map(([k, v]) => [k, String(v)] as [string, string]),
    ];
    for (const [k, v] of rows) {
      const tr = el('tr');
      tr.append(el('th', k), el('td', v));
      table.append(tr);
    }
    root.append(el('h2', 'WebGPU report'), table);
  } catch (e) {
    status.className = 'status error';
    status.textContent = (e as Error).message;
  }
}

void main();
