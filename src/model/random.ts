// Random decoder weights (benchmarks, and the random-init stand-in of src/int/model.ts): every
// parameter of a config's table is filled with seeded uniform noise on the host, one tensor at a
// time, and handed to the checkpoint WeightUploader (laid out exactly like a loaded model).

import type { Gpu } from '../gpu';
import { uniformStream as stream } from '../util/random';
import type { ModelConfig } from './config';
import { buildParamTable, type ParamEntry } from './params';
import { WeightUploader, type ModelWeights, type WeightDtype } from './weights';

export interface RandomModelOptions {
  /** Seed of the weights. Default 1. */
  seed?: number;
  /** Storage of the 2-D matrices. Default 'f16' when the adapter has shader-f16, else 'f32'. */
  dtype?: WeightDtype;
}


/**
 * Values of one parameter: linear weights U(+-1/sqrt(in)) (activations keep their scale through the
 * layers), embeddings U(+-0.05) (logits of a few units), norms 1 +- 0.1, biases U(+-0.02).
 */
function fill(e: ParamEntry, next: () => number): Float32Array {
  const out = new Float32Array(e.numel);
  let lo: number;
  let span: number;
  switch (e.kind) {
    case 'linear':
      span = 2 / Math.sqrt(e.shape[1]);
      lo = -span / 2;
      break;
    case 'embed':
    case 'lm_head':
      [lo, span] = [-0.05, 0.1];
      break;
    case 'bias':
      [lo, span] = [-0.02, 0.04];
      break;
    default:
      [lo, span] = [0.9, 0.2];
  }
  for (let i = 0; i < out.length; i++) out[i] = lo + span * next();
  return out;
}

/** Upload a random model of `config` as GPU weights (the caller releases them). */
export function randomModelWeights(gpu: Gpu, config: ModelConfig, opts: RandomModelOptions = {}): ModelWeights {
  const table = buildParamTable(config);
  const up = new WeightUploader(gpu, table, { dtype: opts.dtype });
  const seed = opts.seed ?? 1;
  table.entries.forEach((e, i) => up.add(e.name, e.shape, fill(e, stream((seed * 1000003 + i * 7919) >>> 0))));
  return up.finish();
}
