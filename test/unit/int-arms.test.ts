// The experiment arms: the paper's method and baselines as typed records.
import { describe, expect, it } from 'vitest';
import { ARM_IDS, ARMS, getArm, parseArms } from '../../src/int/arms';

describe('arms', () => {
  it('defines the six arms with their SFT source and RL prompts', () => {
    expect([...ARM_IDS].sort()).toEqual(Object.keys(ARMS).sort());
    const table = ARM_IDS.map((id) => [id, ARMS[id].sft, ARMS[id].rl?.prompts ?? null]);
    expect(table).toEqual([
      ['base', 'none', null],
      ['rl', 'none', 'plain'],
      ['hint_rl', 'none', 'hint'],
      ['sft_ref_rl', 'reference', 'plain'],
      ['sft_reflect_rl', 'self_reflection', 'plain'],
      ['int_rl', 'interventions', 'plain'],
    ]);
    for (const id of ARM_IDS) expect(ARMS[id].id).toBe(id);
  });

  it('only InT trains on interventions; every arm but base runs RL', () => {
    expect(ARM_IDS.filter((id) => ARMS[id].sft === 'interventions')).toEqual(['int_rl']);
    expect(ARM_IDS.filter((id) => ARMS[id].rl === null)).toEqual(['base']);
  });

  it('getArm and parseArms', () => {
    expect(getArm('int_rl').label).toBe('+ InT + RL');
    expect(() => getArm('sft')).toThrow(/arms are: base, rl/);
    expect(parseArms('rl, int_rl,rl').map((a) => a.id)).toEqual(['rl', 'int_rl']);
    expect(parseArms('all')).toHaveLength(6);
    expect(() => parseArms(' , ')).toThrow(/no arms/);
  });
});
