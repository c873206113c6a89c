import { readFileSync } from 'node:fs';
import { parseModelConfig } from './src/model/config';
import { buildParamTable, countParams, loraParamCount } from './src/model/params';
import { planTraining, planInference, formatMemoryPlan } from './src/model/memory';
for (const m of ['Qwen3-0.6B','Qwen3-4B-Instruct-2507','Qwen2.5-0.5B-Instruct','Llama-3.2-1B-Instruct','SmolLM2-135M-Instruct']) {
  const c = parseModelConfig(JSON.parse(readFileSync(`test/fixtures/models/real/${m}/config.json`,'utf8')));
  const t = buildParamTable(c);
  console.log(m, countParams(t), loraParamCount(t, 16));
}
for (const m of ['Qwen3-0.6B','Qwen3-4B-Instruct-2507']) {
  const c = parseModelConfig(JSON.parse(readFileSync(`test/fixtures/models/real/${m}/config.json`,'utf8')));
  for (const recompute of [true,false]) console.log(formatMemoryPlan(planTraining(c, {seqLen:1024, rank:16, weights:'f16', recompute})));
  console.log(formatMemoryPlan(planTraining(c, {seqLen:1024, rank:16, weights:'f32', recompute: true})));
  console.log(formatMemoryPlan(planInference(c, {batch:8, context:2048, weights:'f16'})));
}
