// The load bench's options: defaults, each switch, and errors that name the option and the usage.
import { describe, expect, it } from 'vitest';
import { parseLoadArgs } from '../../src/cli/bench/load';

describe('bench load options', () => {
  it('defaults to the whole Qwen2.5-0.5B in bf16, loaded with modelDtype auto, streamed', () => {
    expect(parseLoadArgs(['load'])).toMatchObject({ configPath: null, layers: 'all', fileDtype: 'BF16', as: 'auto', whole: false, keep: false, seed: 1, read: null });
  });

  it('takes every switch', () => {
    expect(parseLoadArgs(['--config=c.json', '--layers=3', '--file-dtype=f16', '--as=f32', '--whole', '--dir=/tmp/x', '--keep', '--seed=4'])).toMatchObject({
      configPath: 'c.json',
      layers: 3,
      fileDtype: 'F16',
      as: 'f32',
      whole: true,
      dir: '/tmp/x',
      keep: true,
      seed: 4,
    });
  });

  it('names a bad value or an unknown option, with the usage', () => {
    expect(() => parseLoadArgs(['--file-dtype=int8'])).toThrow(/--file-dtype takes bf16, f16 or f32, got 'int8'; usage: load /);
    expect(() => parseLoadArgs(['--as=bf16'])).toThrow(/--as takes auto, f16 or f32/);
    expect(() => parseLoadArgs(['--layers=0'])).toThrow(/--layers takes a positive integer or "all"/);
    expect(() => parseLoadArgs(['--fast'])).toThrow(/unknown option '--fast'/);
  });
});
