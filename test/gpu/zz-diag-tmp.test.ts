import { it } from 'vitest';
import { getTestGpu } from '../shared/gpu-env';
import { sampleTokens } from '../../src/kernels/sample';
import { randn } from '../shared/check';
it('diag', async () => {
  const gpu = await getTestGpu();
  for (const [B, V] of [[500, 12], [4, 151936], [64, 151936]]) {
    const logits = gpu.upload(randn(B * V, 1), [B, V]); const ids = gpu.empty([B], 'u32'); const lp = gpu.empty([B]);
    for (const m of [{topK:0,topP:1},{topK:4,topP:1},{topK:0,topP:0.7}]) {
      sampleTokens(gpu, ids, lp, logits, { temperature: 1, seed: 1, step: 0, ...m }); await gpu.sync();
      const t = await gpu.time(() => { for (let s = 0; s < 3; s++) sampleTokens(gpu, ids, lp, logits, { temperature: 1, seed: 1, step: s, ...m }); });
      console.log(B, V, JSON.stringify(m), (t / 3).toFixed(1), 'ms');
    }
  }
});
