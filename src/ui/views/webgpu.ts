// The WebGPU report (adapter, features, limits) and the page shown when WebGPU is missing, with
// the browsers and flags that work.
import type { AdapterReport } from '../../gpu';
import { el, table } from '../dom';

export function webgpuReport(r: AdapterReport): HTMLElement {
  const box = el('section', { attrs: { id: 'webgpu-report' } });
  const name = [r.vendor, r.architecture, r.device, r.description].filter(Boolean).join(' / ') || 'unnamed adapter';
  box.append(el('h2', { text: 'WebGPU' }), el('p', { text: `Adapter: ${name}`, attrs: { 'data-testid': 'adapter' } }));
  const feats = Object.entries(r.features).map(([k, v]) => `${k}: ${v ? 'yes' : 'no'}`).join(', ');
  const details = el('details', {}, el('summary', { text: 'features and limits' }), table(['name', 'value'], [['features', feats], ...Object.entries(r.limits).map(([k, v]) => [k, v.toLocaleString('en-US')])]));
  box.append(el('p', { text: `Features: ${feats}. Model weights: ${r.features.shaderF16 ? 'bf16 / f16 checkpoints are kept in f16, f32 ones in f32 (modelDtype "auto")' : 'f32 (no shader-f16)'}.` }), details);
  return box;
}

/** Page content when the engine could not get a WebGPU device. */
export function noWebgpuPage(message: string): HTMLElement {
  const box = el('section', { cls: 'no-webgpu', attrs: { id: 'no-webgpu' } });
  box.append(
    el('h2', { text: 'WebGPU is not available in this browser' }),
    el('p', { text: message, cls: 'status error' }),
    el('p', { text: 'InT Lab trains the model on your GPU through WebGPU. These work:' }),
    el(
      'ul',
      {},
      el('li', { text: 'Chrome or Edge 113+ on Windows, macOS and ChromeOS (on by default).' }),
      el('li', { text: 'Chrome on Linux: start it with --enable-unsafe-webgpu --enable-features=Vulkan (or enable chrome://flags/#enable-unsafe-webgpu).' }),
      el('li', { text: 'Chrome on Android 121+ (Android 12+, Qualcomm/ARM GPUs).' }),
      el('li', { text: 'Safari 26+ on macOS / iOS, or Safari Technology Preview with the WebGPU feature flag.' }),
      el('li', { text: 'Firefox 141+ on Windows; on other systems set dom.webgpu.enabled to true in about:config (Nightly).' }),
    ),
    el('p', { text: 'Also check that the page is served over https:// or from localhost: WebGPU needs a secure context.' }),
  );
  return box;
}
