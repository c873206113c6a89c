// Sampling settings: the one type every stage, config and text sampler uses (temperature, top-p,
// top-k, and the longest generation), with every default and its validation in this file.

import { inRange, int, type Problems } from '../util/config-kit';

/** How the next token is drawn. */
export interface Sampling {
  /** Softmax temperature; 0 = greedy (argmax). */
  temperature: number;
  /** Nucleus mass in (0, 1]; 1 turns it off. */
  topP: number;
  /** Keep the k most likely tokens; 0 turns it off. */
  topK: number;
}

/** Sampling plus the longest generation in tokens: what a generation stage is configured with. */
export interface SamplingConfig extends Sampling {
  /** Longest generation in tokens: sampling stops there. */
  maxNewTokens: number;
}

/** The model's own distribution: temperature 1, no top-p, no top-k. The default of generate(), of
 *  the RL rollouts, of pretraining's own-attempt rounds and of the model report's solves. */
export const PLAIN_SAMPLING: Readonly<Sampling> = Object.freeze({ temperature: 1, topP: 1, topK: 0 });

/** Greedy decoding (argmax; lowest id on ties). */
export const GREEDY_SAMPLING: Readonly<Sampling> = Object.freeze({ temperature: 0, topP: 1, topK: 0 });

/** The paper's sampling for rollouts, interventions and evaluation: temperature 0.7, top-p 0.8, top-k 20. */
export const PAPER_SAMPLING: Readonly<Sampling> = Object.freeze({ temperature: 0.7, topP: 0.8, topK: 20 });

/** Highest sampling temperature a config accepts (at 10 a logit gap of 10 becomes 1: near uniform). */
export const MAX_TEMPERATURE = 10;

/** Longest generation of generate() when none is given. */
export const DEFAULT_MAX_NEW_TOKENS = 256;

/** Validate the sampling fields of a config, each problem under `prefix` with its fix; `paper`
 *  names the value the fix suggests for this config (the paper's evaluation or its RL). */
export function checkSamplingFields(p: Problems, prefix: string, s: Partial<SamplingConfig>, paper: Readonly<Sampling>, withMaxNew: boolean): void {
  // Above MAX_TEMPERATURE the distribution is all but uniform over the vocabulary: a typo, not a setting.
  inRange(p, `${prefix}temperature`, s.temperature, { min: 0, minOpen: true, max: MAX_TEMPERATURE }, `use ${paper.temperature.toFixed(1)} (the paper)`);
  inRange(p, `${prefix}topP`, s.topP, { min: 0, max: 1, minOpen: true }, paper.topP < 1 ? `use ${paper.topP} (the paper) or 1 to turn it off` : 'use 1.0 to turn nucleus sampling off');
  int(p, `${prefix}topK`, s.topK, 0, paper.topK > 0 ? `use ${paper.topK} (the paper) or 0 to turn it off` : 'use 0 to turn top-k off');
  if (withMaxNew) int(p, `${prefix}maxNewTokens`, s.maxNewTokens, 1, 'use e.g. 1024');
}
