// The experiment arms (the paper's method, its baselines and its SFT-only ablations): which SFT data
// each uses before RL and which prompts its RL sees. Every arm with RL runs the same RL budget (IntConfig.rl).

/** SFT data of an arm. */
export type SftSource =
  /** no SFT stage */
  | 'none'
  /** InT: problem -> on-policy prefix + self-proposed intervention */
  | 'interventions'
  /** InT rows without the continuation (correctness) filter: every intervention that passed the
   *  parse and answer-leak filters */
  | 'interventions_no_filter'
  /** InT rows with the prefix on the prompt side: the loss covers the intervention only */
  | 'interventions_no_prefix_loss'
  /** InT rows with the rest of the reference solution appended after the intervention */
  | 'interventions_with_suffix'
  /** problem -> reference solution (off-policy imitation) */
  | 'reference'
  /** problem -> the model's own full rewrite of its failed attempt, made with the reference */
  | 'self_reflection';

/** Prompts of an arm's RL stage. */
export type RlPromptStyle =
  /** the plain solve prompt */
  | 'plain'
  /** the solve prompt with a partial prefix of the reference solution (IntConfig.hint.fraction) */
  | 'hint';

export type ArmId =
  | 'base'
  | 'rl'
  | 'int_rl'
  | 'sft_ref_rl'
  | 'sft_reflect_rl'
  | 'hint_rl'
  | 'int_sft'
  | 'int_sft_no_filter'
  | 'int_sft_no_prefix_loss'
  | 'int_sft_with_suffix'
  | 'sft_ref';

export interface ArmSpec {
  id: ArmId;
  /** Row label of the results table, as the paper names the arm. */
  label: string;
  description: string;
  sft: SftSource;
  /** RL stage: null for no RL; otherwise its prompt style (the budget is always IntConfig.rl). */
  rl: { prompts: RlPromptStyle } | null;
}

export const ARMS: Readonly<Record<ArmId, ArmSpec>> = Object.freeze({
  base: { id: 'base', label: 'base', description: 'the base model, no training', sft: 'none', rl: null },
  rl: { id: 'rl', label: '+ RL', description: 'outcome-reward GRPO from the base model', sft: 'none', rl: { prompts: 'plain' } },
  int_rl: {
    id: 'int_rl',
    label: '+ InT + RL',
    description: 'SFT on prefix + self-proposed intervention, then RL',
    sft: 'interventions',
    rl: { prompts: 'plain' },
  },
  sft_ref_rl: {
    id: 'sft_ref_rl',
    label: '+ SFT on reference solutions + RL',
    description: 'SFT on the reference solutions, then RL',
    sft: 'reference',
    rl: { prompts: 'plain' },
  },
  sft_reflect_rl: {
    id: 'sft_reflect_rl',
    label: '+ SFT on self-reflections + RL',
    description: 'SFT on the model\'s reference-guided rewrites of its failed attempts, then RL',
    sft: 'self_reflection',
    rl: { prompts: 'plain' },
  },
  hint_rl: {
    id: 'hint_rl',
    label: '+ hint-guided RL',
    description: 'RL whose prompts carry a partial prefix of the reference solution',
    sft: 'none',
    rl: { prompts: 'hint' },
  },
  // SFT-only arms: the paper reports its ablations as accuracy after SFT, without RL.
  int_sft: { id: 'int_sft', label: 'InT SFT', description: 'SFT on prefix + self-proposed intervention (the rows of InT + RL), no RL', sft: 'interventions', rl: null },
  int_sft_no_filter: {
    id: 'int_sft_no_filter',
    label: 'InT SFT, no correctness filter',
    description: 'InT SFT on every intervention that passed the parse and answer-leak filters (no continuation check), no RL',
    sft: 'interventions_no_filter',
    rl: null,
  },
  int_sft_no_prefix_loss: {
    id: 'int_sft_no_prefix_loss',
    label: 'InT SFT, no prefix in the loss',
    description: 'InT SFT with the prefix on the prompt side: the loss covers the intervention only, no RL',
    sft: 'interventions_no_prefix_loss',
    rl: null,
  },
  int_sft_with_suffix: {
    id: 'int_sft_with_suffix',
    label: 'InT SFT, with the correct suffix',
    description: 'InT SFT on prefix + intervention + the rest of the reference solution, no RL',
    sft: 'interventions_with_suffix',
    rl: null,
  },
  sft_ref: { id: 'sft_ref', label: 'SFT on reference solutions', description: 'SFT on the reference solutions, no RL', sft: 'reference', rl: null },
} satisfies Record<ArmId, ArmSpec>);

/** Arm ids: the paper's table order, then the SFT-only arms (its ablations, then SFT on references). */
export const ARM_IDS: readonly ArmId[] = Object.freeze([
  'base',
  'rl',
  'hint_rl',
  'sft_ref_rl',
  'sft_reflect_rl',
  'int_rl',
  'int_sft',
  'int_sft_no_filter',
  'int_sft_no_prefix_loss',
  'int_sft_with_suffix',
  'sft_ref',
]);

/** The arm with this id; throws with the list of ids. */
export function getArm(id: string): ArmSpec {
  const a = (ARMS as Record<string, ArmSpec>)[id];
  if (!a) throw new Error(`unknown arm "${id}"; arms are: ${ARM_IDS.join(', ')}`);
  return a;
}

/** Parse a comma-separated arm list ("rl,int_rl", or "all"); duplicates are dropped, order kept. */
export function parseArms(spec: string): ArmSpec[] {
  const ids = spec.trim() === 'all' ? [...ARM_IDS] : spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (ids.length === 0) throw new Error(`no arms in ${JSON.stringify(spec)}; list some of ${ARM_IDS.join(', ')} separated by commas, or "all"`);
  return [...new Set(ids)].map(getArm);
}
