// `npm run bench -- <suite> [--json] [suite options]`: headless benchmarks in Node on Dawn.
// Suites: kernels (matmul/attention vs onnxruntime-web and a naive kernel), grade (answer grading speed),
// model (prefill / decode / LoRA training throughput of a random Qwen2.5-0.5B-shaped model, memory plans),
// tiny (the embedded model's RL stage: sampling and training steps with dispatch / submit / readback counts),
// peer (greedy decode of one random model on ours and as an ONNX graph on onnxruntime-web WebGPU, same device),
// gpu-suite (kernels, model and peer in one go; one JSON and a Markdown table in --out),
// load (a real-size checkpoint written as safetensors and loaded: time, memory, storage dtype),
// browser-model (SmolLM2-135M's shapes loaded from a safetensors checkpoint, decoded and trained in Chromium on SwiftShader).
// With --json the last line printed is one JSON object with the suite's results.

type Suite = (args: string[]) => Promise<Record<string, unknown>>;

const SUITES: Record<string, () => Promise<Suite>> = {
  kernels: async () => (await import('./bench/kernels')).benchKernels,
  grade: async () => (await import('./bench/grade')).benchGrade,
  model: async () => (await import('./bench/model')).benchModel,
  tiny: async () => (await import('./bench/tiny')).benchTiny,
  peer: async () => (await import('./bench/peer')).benchPeer,
  'gpu-suite': async () => (await import('./bench/gpu-suite')).benchGpuSuite,
  load: async () => (await import('./bench/load')).benchLoad,
  'browser-model': async () => (await import('./bench/browser-model')).benchBrowserModel,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const name = args.find((a) => !a.startsWith('-'));
  if (!name || !(name in SUITES)) {
    console.error(`usage: npm run bench -- <${Object.keys(SUITES).join('|')}> [--json]${name ? `\nunknown suite '${name}'` : ''}`);
    process.exit(2);
  }
  const json = args.includes('--json');
  const rest = args.filter((a) => a !== name && a !== '--json');
  const run = await SUITES[name]();
  const result = await run(rest);
  if (json) console.log(JSON.stringify(result));
  else console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
