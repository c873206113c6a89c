// The problems of the ConfigError a config resolver throws (fails the test when it throws none).
import { expect } from 'vitest';
import { ConfigError } from '../../src/util/config-kit';

export function problemsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}
