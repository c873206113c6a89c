// The experiment arms: the paper's method and baselines as typed records.
import { describe, expect, it } from 'vitest';
import { ARM_IDS, ARMS, getArm, parseArms } from '../../src/int/arms';

describe('arms', () => {
  it('defines the paper\'s six arms, then the SFT-only arms, with their SFT source and RL prompts', () => {
    expect([...ARM_IDS].sort()).toEqual(Object.keys(ARMS).sort());
    const table = ARM_IDS.map((id) => [id, ARMS[id].sft, ARMS[id].rl?.prompts ?? null]);
    expect(table).toEqual([
      ['base', 'none', null],
      ['rl', 'none', 'plain'],
      ['hint_rl', 'none', 'hint'],
      ['sft_ref_rl', 'reference', 'plain'],
      ['sft_reflect_rl', 'self_reflection', 'plain'],
      ['int_rl', 'interventions', 'plain'],
      ['int_sft', 'interventions', null],
      ['int_sft_no_filter', 'interventions_no_filter', null],
      ['int_sft_no_prefix_loss', 'interventions_no_prefix_loss', null],
      ['int_sft_with_suffix', 'interventions_with_suffix', null],
      ['sft_ref', 'reference', null],
    ]);
    for (const id of ARM_IDS) expect(ARMS[id].id).toBe(id);
  });

  it('InT + RL and InT SFT share their rows; the SFT-only arms and base run no RL', () => {
    expect(ARM_IDS.filter((id) => ARMS[id].sft === 'interventions')).toEqual(['int_rl', 'int_sft']);
    expect(ARM_IDS.filter((id) => ARMS[id].rl === null)).toEqual(['base', 'int_sft', 'int_sft_no_filter', 'int_sft_no_prefix_loss', 'int_sft_with_suffix', 'sft_ref']);
  });

  it('getArm and parseArms', () => {
    expect(getArm('int_rl').label).toBe('+ InT + RL');
    expect(() => getArm('sft')).toThrow(/arms are: base, rl/);
    expect(parseArms('rl, int_rl,rl').map((a) => a.id)).toEqual(['rl', 'int_rl']);
    expect(parseArms('all')).toHaveLength(11);
    expect(() => parseArms(' , ')).toThrow(/no arms/);
  });
});
