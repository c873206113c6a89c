// JSON Lines / JSON array parsing with per-row errors.
import { describe, expect, it } from 'vitest';
import { formatJsonl, parseJsonArray, parseJsonl } from '../../src/io/datasets/jsonl';

describe('parseJsonl', () => {
  it('reads objects, skips blank lines and reports bad lines with row and line numbers', () => {
    const text = '{"a":1}\r\n\n{"a":2}\n{"a":\n[1,2]\n{"a":3}';
    const r = parseJsonl(text);
    expect(r.records.map((x) => [x.value.a, x.row, x.line])).toEqual([[1, 1, 1], [2, 2, 3], [3, 5, 6]]);
    expect(r.errors.map((e) => [e.row, e.line])).toEqual([[3, 4], [4, 5]]);
    expect(r.errors[0].reason).toMatch(/invalid JSON/);
    expect(r.errors[1].reason).toMatch(/expected a JSON object.*an array/);
  });

  it('hints at pretty-printed JSON', () => {
    expect(parseJsonl('{\n  "a": 1\n}\n').errors[0].reason).toMatch(/pretty-printed JSON/);
  });

  it('round-trips through formatJsonl', () => {
    const rows = [{ q: 'x\ny', n: 1 }, { q: '"quoted"', n: 2 }];
    expect(parseJsonl(formatJsonl(rows)).records.map((r) => r.value)).toEqual(rows);
  });
});

describe('parseJsonArray', () => {
  it('reads a top-level array or an object with one array of rows', () => {
    expect(parseJsonArray('[{"a":1},{"a":2}]').records.map((r) => r.value.a)).toEqual([1, 2]);
    const r = parseJsonArray('{"version": 1, "data": [{"a":1}, 5]}');
    expect(r.records.map((x) => x.value)).toEqual([{ a: 1 }]);
    expect(r.errors).toEqual([{ row: 2, line: null, reason: expect.stringMatching(/a number/) }]);
  });

  it('throws a clear error for a document without rows', () => {
    expect(() => parseJsonArray('{"a": [1], "b": [2]}')).toThrow(/2 array-valued properties \(a, b\)/);
    expect(() => parseJsonArray('{"a": 1')).toThrow(/invalid JSON document/);
  });
});
