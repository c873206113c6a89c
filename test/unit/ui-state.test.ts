// The app's pure parts: settings <-> URL hash, the browser preset, table text exports, run-JSON import.
import { describe, expect, it } from 'vitest';
import { csvTable, markdownTable } from '../../src/ui/dom';
import { parseRunJson } from '../../src/worker/runs-db';
import { presetConfig } from '../../src/int/config';
import { BROWSER_PRESET, defaultSettings, presetArms, resolveSettings, settingsFromHash, settingsToHash } from '../../src/ui/state';

describe('ui settings', () => {
  it('defaults to the browser preset on the critical-step tier: the published run\'s model and config, browser-sized', () => {
    const s = defaultSettings();
    expect(s.preset).toBe(BROWSER_PRESET);
    const c = resolveSettings(s);
    expect(c.model).toBe('public/models/chains-critical-strict'); // the page's embedded model, for a headless run of the preset
    expect(c.data.maxTrainProblems).toBe(8);
    expect(c.data.chains?.counts).toMatchObject({ critical: { train: 8, test: 16 }, easy: { train: 0, test: 0 } });
    expect(c.data.chains?.tiers?.find((t) => t.name === 'critical')?.critical?.op).toBe('mul');
    expect(c.eval.samples).toBe(4);
    expect(c.rl.steps).toBeGreaterThan(1); // curves with more than one point
    // the arms of the headline, and the settings start from them
    expect(c.arms).toEqual(['base', 'rl', 'int_rl', 'int_sft']);
    expect(s.arms).toEqual(c.arms);
    // the published run's training recipe, at a smaller size
    const published = presetConfig('chains-critical-strict');
    expect({ sft: c.sft.optim.lr, rl: c.rl.optim.lr, lora: c.lora }).toEqual({ sft: published.sft.optim.lr, rl: published.rl.optim.lr, lora: published.lora });
  });

  it('round-trips preset, seed, arms, hub model and overrides through the hash', () => {
    const s = defaultSettings();
    s.preset = 'chains-smoke';
    s.seed = 7;
    s.arms = ['base', 'int_rl'];
    s.model = { kind: 'hub', id: 'Qwen/Qwen3-0.6B' };
    s.overrides = { rollouts: { k: 3 }, filter: { keep: 'all' }, data: { chains: { counts: { easy: { train: 2, test: 2 } } } } };
    const back = settingsFromHash(settingsToHash(s));
    expect(back.problems).toEqual([]);
    expect(back.settings.preset).toBe('chains-smoke');
    expect(back.settings.seed).toBe(7);
    expect(back.settings.arms).toEqual(['base', 'int_rl']);
    expect(back.settings.model).toEqual({ kind: 'hub', id: 'Qwen/Qwen3-0.6B' });
    expect(back.settings.overrides).toEqual(s.overrides);
    const c = resolveSettings(back.settings);
    expect(c.seed).toBe(7);
    expect(c.rollouts.k).toBe(3);
    expect(c.model).toBe('Qwen/Qwen3-0.6B');
  });

  it('a link to a preset starts from that preset\'s arms; arms travel only when they differ', () => {
    const other = settingsFromHash('#preset=chains-smoke&seed=1');
    expect(other.settings.arms).toEqual(presetArms('chains-smoke'));
    expect(presetArms('chains-smoke')).toHaveLength(11);
    expect(settingsToHash(defaultSettings())).not.toContain('arms=');
    const s = defaultSettings();
    s.arms = ['base', 'rl'];
    expect(settingsFromHash(settingsToHash(s)).settings.arms).toEqual(['base', 'rl']);
  });

  it('reports broken hash parts and falls back to defaults', () => {
    const r = settingsFromHash('#preset=nope&seed=-3&cfg=%%%');
    expect(r.settings.preset).toBe(BROWSER_PRESET);
    expect(r.settings.seed).toBe(0);
    expect(r.problems.join('\n')).toMatch(/unknown preset "nope"/);
    expect(r.problems.join('\n')).toMatch(/seed "-3"/);
    expect(r.problems.join('\n')).toMatch(/cfg=/);
  });

  it('an invalid override makes resolveSettings throw naming the field', () => {
    const s = defaultSettings();
    s.overrides = { rollouts: { k: 0 } };
    expect(() => resolveSettings(s)).toThrow(/rollouts\.k/);
  });
});

describe('ui table exports and run import', () => {
  it('formats Markdown and CSV with escaping', () => {
    expect(markdownTable(['a', 'b'], [['x|y', '1']])).toBe('| a | b |\n| --- | --- |\n| x\\|y | 1 |\n');
    expect(csvTable(['a', 'b'], [['x,y', 'say "hi"']])).toBe('a,b\n"x,y","say ""hi"""\n');
  });

  it('parseRunJson accepts a run export and explains anything else', () => {
    expect(() => parseRunJson('{nope', 'r.json')).toThrow(/r\.json is not JSON/);
    expect(() => parseRunJson('{"format":"other"}', 'r.json')).toThrow(/not an InT Lab run export/);
    const r = parseRunJson(JSON.stringify({ format: 'int-lab-run', version: 1, id: 'run-1', results: { arms: {} } }));
    expect(r.id).toBe('run-1');
  });
});
