import { it } from 'vitest';
import { getTestGpu } from '../shared/gpu-env';
import { Trainer } from '../../src/train/trainer';
import { validateSftConfig } from '../../src/train/config';
import { readParams, sftData, tinyLlama, trainModel } from './train-fixtures';

it('scratch', async () => {
  const gpu = await getTestGpu();
  const data = sftData(8, (i) => 7 + i);
  for (const mode of ['full', 'lora'] as const) {
    const grads: Map<string, Float32Array>[][] = [[], []];
    const optim = { lr: 1e-3, schedule: 'constant' as const, warmupRatio: 0, maxGradNorm: 1 };
    const ts = [16, 128].map((budget, k) => new Trainer(trainModel(gpu, tinyLlama(7), mode), { config: validateSftConfig({ batchSize: 8, microBatchTokens: budget, optim }), onGradients: async (ps) => void grads[k].push(await readParams(gpu, ps, 'grad')) }));
    // logp comparison
    const rows = data.map((e, i) => ts[0].makeRow(e.prompt, e.completion, 'x'));
    const a = await ts[0].scoreRows(rows); const b = await ts[1].scoreRows(rows);
    let md = 0; a.logp.forEach((x, i) => x.forEach((v, t) => (md = Math.max(md, Math.abs(v - b.logp[i][t])))));
    console.log(mode, 'logp maxdiff', md);
    for (let step = 0; step < 2; step++) {
      await ts[0].sftStep(data); await ts[1].sftStep(data);
      const worst: string[] = [];
      for (const [k, x] of grads[0][step]) {
        const y = grads[1][step].get(k)!;
        let d = 0, sc = 0; for (let i = 0; i < x.length; i++) { d = Math.max(d, Math.abs(x[i] - y[i])); sc = Math.max(sc, Math.abs(y[i])); }
        worst.push(`${k.replace('base_model.model.', '').replace('model.layers.', 'L')} ${(d / sc).toExponential(1)} (${sc.toExponential(1)})`);
      }
      const wa = await readParams(gpu, ts[0].params, 'value'), wb = await readParams(gpu, ts[1].params, 'value');
      let d = 0; for (const [k, x] of wa) { const y = wb.get(k)!; for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i])); }
      console.log(mode, step, 'weights maxdiff', d);
    }
  }
});
