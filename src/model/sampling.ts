// Sampling settings: the one type every stage, config and text sampler uses (temperature, top-p,
// top-k, and the longest generation), with every default in this file.

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
  maxNewTokens: number;
}

/** The model's own distribution: temperature 1, no top-p, no top-k. The default of generate(), of
 *  the RL rollouts, of pretraining's own-attempt rounds and of the model report's solves. */
export const PLAIN_SAMPLING: Readonly<Sampling> = Object.freeze({ temperature: 1, topP: 1, topK: 0 });

/** Greedy decoding (argmax; lowest id on ties). */
export const GREEDY_SAMPLING: Readonly<Sampling> = Object.freeze({ temperature: 0, topP: 1, topK: 0 });

/** The paper's sampling for rollouts, interventions and evaluation: temperature 0.7, top-p 0.8, top-k 20. */
export const PAPER_SAMPLING: Readonly<Sampling> = Object.freeze({ temperature: 0.7, topP: 0.8, topK: 20 });

/** Longest generation of generate() when none is given. */
export const DEFAULT_MAX_NEW_TOKENS = 256;
