// Pipeline cache: compiles each (WGSL source, entry point, override constants, binding layout)
// once. Bind group layouts are explicit: outputs are read-write storage, inputs read-only storage,
// then an optional uniform parameter block, in that binding order.

export interface LayoutSpec {
  outputs: number;
  inputs: number;
  params: boolean;
}

export class PipelineCache {
  private modules = new Map<string, GPUShaderModule>();
  private pipelines = new Map<string, GPUComputePipeline>();
  private layouts = new Map<string, GPUBindGroupLayout>();

  constructor(private device: GPUDevice) {}

  layout(spec: LayoutSpec): GPUBindGroupLayout {
    const key = `${spec.outputs}:${spec.inputs}:${spec.params ? 1 : 0}`;
    let l = this.layouts.get(key);
    if (l) return l;
    const entries: GPUBindGroupLayoutEntry[] = [];
    let b = 0;
    for (let i = 0; i < spec.outputs; i++) entries.push({ binding: b++, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } });
    for (let i = 0; i < spec.inputs; i++) entries.push({ binding: b++, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } });
    if (spec.params) entries.push({ binding: b++, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } });
    l = this.device.createBindGroupLayout({ entries, label: `layout ${key}` });
    this.layouts.set(key, l);
    return l;
  }

  get(label: string, code: string, entry: string, constants: Record<string, number> | undefined, spec: LayoutSpec): GPUComputePipeline {
    const ckey = constants ? JSON.stringify(Object.entries(constants).sort()) : '';
    const key = `${entry}|${ckey}|${spec.outputs}:${spec.inputs}:${spec.params}|${code}`;
    let p = this.pipelines.get(key);
    if (p) return p;
    let module = this.modules.get(code);
    if (!module) {
      module = this.device.createShaderModule({ code, label });
      this.modules.set(code, module);
    }
    p = this.device.createComputePipeline({
      label,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [this.layout(spec)] }),
      compute: { module, entryPoint: entry, constants },
    });
    this.pipelines.set(key, p);
    return p;
  }

  get size(): number {
    return this.pipelines.size;
  }
}
