// The app's settings (preset, seed, config overrides, arms, model, dataset), their resolution to
// an IntConfig, and the URL hash that carries preset + seed + overrides so a link reproduces a run.
import { ARM_IDS, type ArmId } from '../int/arms';
import { mergeConfig, presetConfig, registerPreset, presetNames, type IntConfig, type IntConfigInput } from '../int/config';
import type { DatasetUpload } from '../worker/protocol';

/** A browser-sized preset: chains-critical-strict (the published run's config and model) on 8 train /
 *  16 test critical-step problems (the tier where the embedded model fails on one step it can verify,
 *  so InT has something to correct), the arms of the headline (base, RL, InT + RL, InT SFT), 4 RL
 *  steps so the curves have points, 4 eval samples: a few minutes on a CPU adapter. */
export const BROWSER_PRESET = 'browser-smoke';
if (!presetNames().includes(BROWSER_PRESET)) {
  registerPreset({
    name: BROWSER_PRESET,
    description: 'chains-critical-strict sized for a browser tab: 8 train / 16 test critical-step problems, each with one step the embedded habit model (public/models/chains-critical-strict) gets wrong systematically; base, RL, InT + RL and InT SFT; 4 RL steps; 4 eval samples',
    config: mergeConfig(presetConfig('chains-critical-strict') as unknown as IntConfigInput, {
      arms: ['base', 'rl', 'int_rl', 'int_sft'],
      data: {
        chains: { counts: { easy: { train: 0, test: 0 }, medium: { train: 0, test: 0 }, hard: { train: 0, test: 0 }, critical: { train: 8, test: 16 } } },
        maxTrainProblems: 8,
        maxTestProblems: 16,
      },
      rollouts: { k: 4, poolSamples: 0 },
      propose: { perAttempt: 2, maxAttempts: 8 },
      continuation: { k: 2 },
      sft: { batchSize: 4 },
      rl: { steps: 4, numGenerations: 4, promptsPerStep: 8 },
      eval: { samples: 4, ks: [1, 4], bootstrap: { resamples: 200 } },
    }) as IntConfigInput,
  });
}

export type ModelSetting = { kind: 'embedded' } | { kind: 'hub'; id: string } | { kind: 'folder'; files: File[] } | { kind: 'stored'; name: string };

export interface Settings {
  preset: string;
  seed: number;
  /** Overrides on top of the preset (what the setup view edited). */
  overrides: IntConfigInput;
  arms: ArmId[];
  model: ModelSetting;
  dataset: DatasetUpload | null;
  /** The ids of the problems the worker's check imported from `dataset`, in file order: the setup
   *  splits them by data.testFraction / data.splitSeed as the run will. */
  datasetIds: readonly string[] | null;
  /** Fields whose text did not parse, by config path ('seed', 'lora.rank', ...): the text as
   *  typed and the error. Such a field blocks Run; its older value is not used. */
  invalid: Record<string, { text: string; error: string }>;
}

/** The arms a preset runs: its config.arms, else every arm. */
export function presetArms(preset: string): ArmId[] {
  return [...(presetConfig(preset).arms ?? ARM_IDS)];
}

export function defaultSettings(): Settings {
  return { preset: BROWSER_PRESET, seed: 0, overrides: {}, arms: presetArms(BROWSER_PRESET), model: { kind: 'embedded' }, dataset: null, datasetIds: null, invalid: {} };
}

/** The resolved config of the settings (throws ConfigError with every bad field). */
export function resolveSettings(s: Settings): IntConfig {
  const hub = s.model.kind === 'hub' ? s.model.id : null;
  return presetConfig(s.preset, mergeConfig(s.overrides, { seed: s.seed, model: hub ?? undefined }) as IntConfigInput);
}

function b64url(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
function unb64url(s: string): string {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** "#preset=..&seed=..&arms=..&cfg=<base64url JSON>" (model hub id too; files never travel). */
export function settingsToHash(s: Settings): string {
  const p = new URLSearchParams();
  p.set('preset', s.preset);
  p.set('seed', String(s.seed));
  if (s.arms.join(',') !== presetArms(s.preset).join(',')) p.set('arms', s.arms.join(','));
  if (s.model.kind === 'hub') p.set('model', s.model.id);
  if (Object.keys(s.overrides).length > 0) p.set('cfg', b64url(JSON.stringify(s.overrides)));
  return `#${p.toString()}`;
}

/** Settings from a hash; unknown or broken parts fall back to defaults and are reported. */
export function settingsFromHash(hash: string): { settings: Settings; problems: string[] } {
  const s = defaultSettings();
  const problems: string[] = [];
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const preset = p.get('preset');
  if (preset) {
    if (presetNames().includes(preset)) {
      s.preset = preset;
      s.arms = presetArms(preset);
    } else problems.push(`unknown preset "${preset}" in the link; using ${s.preset}`);
  }
  const seed = p.get('seed');
  if (seed !== null) {
    if (/^\d+$/.test(seed)) s.seed = Number(seed);
    else problems.push(`seed "${seed}" in the link is not a non-negative integer; using 0`);
  }
  const arms = p.get('arms');
  if (arms) {
    const ids = arms.split(',').filter((a): a is ArmId => (ARM_IDS as readonly string[]).includes(a));
    if (ids.length > 0) s.arms = ids;
  }
  const model = p.get('model');
  if (model) s.model = { kind: 'hub', id: model };
  const cfg = p.get('cfg');
  if (cfg) {
    try {
      s.overrides = JSON.parse(unb64url(cfg)) as IntConfigInput;
    } catch {
      problems.push('the config in the link (cfg=...) could not be read; using the preset');
    }
  }
  return { settings: s, problems };
}
