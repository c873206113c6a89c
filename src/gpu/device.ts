// GPUDevice acquisition in a browser (navigator.gpu) or in Node (Dawn through the `webgpu` package).
// Requests the adapter's real limits and the optional features we use, and records what it got.

export interface AdapterReport {
  /** 'browser' or 'node'. */
  runtime: 'browser' | 'node';
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Optional features that were requested and granted. */
  features: { shaderF16: boolean; subgroups: boolean; timestampQuery: boolean };
  /** The limits the device was created with (the adapter's maxima; maxStorageBufferBindingSize lowered by
   *  AcquireOptions.maxStorageBufferBindingSize when given). */
  limits: Record<string, number>;
}

export interface AcquireOptions {
  /** Prefer a low-power or high-performance adapter (browsers only). */
  powerPreference?: GPUPowerPreference;
  /** Disable optional features even when present (e.g. to test the f32 fallback). */
  disableFeatures?: Array<'shader-f16' | 'subgroups' | 'timestamp-query'>;
  /**
   * Engine-side cap on maxStorageBufferBindingSize (bytes, a multiple of 4), below the adapter's. WebGPU raises
   * a requested limit below the default (128 MiB) to the default, so the cap is applied to the limits the engine
   * reads (`report.limits`, hence `gpu.limits`): every size check and every row-block split respects it. Tests
   * use it to split small models' embeddings into several row blocks (see src/gpu/rowblocks.ts).
   */
  maxStorageBufferBindingSize?: number;
}

const LIMIT_NAMES = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxUniformBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBuffersPerShaderStage',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxBindGroups',
  'maxBindingsPerBindGroup',
  'minStorageBufferOffsetAlignment',
  'minUniformBufferOffsetAlignment',
] as const;

const OPTIONAL_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;

export function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node && typeof (globalThis as { window?: unknown }).window === 'undefined';
}

const NO_ADAPTER_BROWSER =
  'No WebGPU adapter. Use a browser with WebGPU: Chrome or Edge 113+, Safari 26+, or Firefox 141+ (Windows; elsewhere enable dom.webgpu.enabled). ' +
  'On Linux Chrome/Chromium, start it with --enable-unsafe-webgpu (and --enable-features=Vulkan); with no GPU, SwiftShader serves as the adapter.';

const NO_ADAPTER_NODE =
  "No WebGPU adapter from Dawn (the 'webgpu' package). On Linux without a GPU install Mesa's lavapipe Vulkan driver 25.x or newer: " +
  "on Debian bookworm add the 'bookworm-backports' suite and run 'apt-get install -t bookworm-backports mesa-vulkan-drivers' (bookworm's own 22.x is refused by Dawn); " +
  "on Ubuntu 24.04+ 'apt-get install mesa-vulkan-drivers'. `npm test` does this for you when apt is usable. Check with 'vulkaninfo --summary'.";

async function getGpu(): Promise<{ gpu: GPU; runtime: 'browser' | 'node' }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, runtime: 'browser' };
  if (isNode()) {
    let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
    try {
      const name = 'webgpu';
      mod = await import(/* @vite-ignore */ name);
    } catch (e) {
      throw new Error(`Cannot load the 'webgpu' package (Dawn for Node): ${(e as Error).message}. Run 'npm install'.`);
    }
    // WebGPU constants (GPUBufferUsage, GPUShaderStage, ...) as globals, as in a browser.
    for (const [k, v] of Object.entries(mod.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    return { gpu: mod.create([]), runtime: 'node' };
  }
  throw new Error(NO_ADAPTER_BROWSER);
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapter: GPUAdapter;
  /** The GPU instance. In Node (Dawn) it must stay referenced while the device is used:
   *  if it is garbage-collected the device's background threads are torn down under it. */
  instance: GPU;
  report: AdapterReport;
}

export async function acquireDevice(opts: AcquireOptions = {}): Promise<AcquiredDevice> {
  const cap = opts.maxStorageBufferBindingSize;
  if (cap !== undefined && (!Number.isInteger(cap) || cap < 4 || cap % 4)) {
    throw new Error(`acquireDevice: maxStorageBufferBindingSize must be a positive multiple of 4 bytes, got ${cap}`);
  }
  const { gpu, runtime } = await getGpu();
  const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference });
  if (!adapter) throw new Error(runtime === 'node' ? NO_ADAPTER_NODE : NO_ADAPTER_BROWSER);
  const requiredLimits: Record<string, number> = {};
  const al = adapter.limits as unknown as Record<string, number>;
  for (const name of LIMIT_NAMES) {
    const v = al[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  const requiredFeatures: GPUFeatureName[] = [];
  for (const f of OPTIONAL_FEATURES) {
    if (adapter.features.has(f) && !opts.disableFeatures?.includes(f)) requiredFeatures.push(f as GPUFeatureName);
  }
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'int-lab' });
  const info = (adapter as { info?: GPUAdapterInfo }).info;
  const limits: Record<string, number> = {};
  const dl = device.limits as unknown as Record<string, number>;
  for (const name of LIMIT_NAMES) if (typeof dl[name] === 'number') limits[name] = dl[name];
  if (cap !== undefined) limits.maxStorageBufferBindingSize = Math.min(cap, limits.maxStorageBufferBindingSize ?? cap);
  const report: AdapterReport = {
    runtime,
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    features: {
      shaderF16: device.features.has('shader-f16'),
      subgroups: device.features.has('subgroups'),
      timestampQuery: device.features.has('timestamp-query'),
    },
    limits,
  };
  return { device, adapter, report, instance: gpu };
}

/** One line naming the adapter, for test and benchmark logs. */
export function describeAdapter(r: AdapterReport): string {
  const name = [r.vendor, r.architecture, r.device, r.description].filter(Boolean).join(' / ') || 'unknown adapter';
  const f = Object.entries(r.features)
    .filter(([, v]) => v)
    .map(([k]) => k)
    .join(',');
  return `${name} (${r.runtime}; features: ${f || 'none'}; maxStorageBufferBindingSize=${r.limits.maxStorageBufferBindingSize})`;
}
