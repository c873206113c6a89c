// Parquet write/read round trips, verl-style nested rows included.
import { describe, expect, it } from 'vitest';
import {
  VERL_SCHEMA, inferParquetSchema, isParquet, readParquet, writeParquet, type VerlRow,
} from '../../src/io/datasets/parquet';

const verlRows: VerlRow[] = [
  {
    data_source: 'imo-answerbench',
    prompt: [
      { role: 'system', content: 'Be careful.' },
      { role: 'user', content: 'Find $x$ with $x^2=4$, $x>0$. Put the answer in \\boxed{}.' },
    ],
    ability: 'math',
    reward_model: { style: 'rule', ground_truth: '2' },
    extra_info: { split: 'train', index: 0 },
  },
  {
    data_source: 'imo-answerbench',
    prompt: [{ role: 'user', content: 'Unicode: \u00e9\u4e2d \u2212 "quotes"' }],
    ability: 'math',
    reward_model: { style: 'rule', ground_truth: '$\\frac{5}{6}$' },
    extra_info: { split: 'test', index: 1 },
  },
];

describe('writeParquet / readParquet', () => {
  it('round-trips verl rows with nested lists and structs under the fixed schema', async () => {
    const bytes = writeParquet(verlRows as unknown as Record<string, unknown>[], VERL_SCHEMA);
    expect(isParquet(bytes)).toBe(true);
    const t = await readParquet(bytes);
    expect(t.numRows).toBe(2);
    expect(t.columns).toEqual(['data_source', 'prompt', 'ability', 'reward_model', 'extra_info']);
    expect(t.rows).toEqual(verlRows);
  });

  it('infers the same nested schema from the rows', async () => {
    const rows = verlRows as unknown as Record<string, unknown>[];
    const schema = inferParquetSchema(rows);
    expect(schema).toEqual(VERL_SCHEMA);
    expect((await readParquet(writeParquet(rows))).rows).toEqual(verlRows);
  });

  it('keeps nulls, empty lists, doubles, booleans and JSON columns; reads a column subset and row range', async () => {
    const rows = [
      { s: 'a', n: 1.5, b: true, l: [1, 2], j: { any: [1, 'x'] } },
      { s: null, n: null, b: false, l: [], j: null },
      { s: 'c', n: -2.25, b: null, l: null, j: 'plain' },
    ];
    const schema = inferParquetSchema(rows);
    expect(schema.map((f) => f.type)).toEqual(['string', 'double', 'boolean', { list: 'int64' }, 'json']);
    const bytes = writeParquet(rows, schema, { codec: 'UNCOMPRESSED' });
    const all = await readParquet(bytes);
    expect(all.rows).toEqual(rows);
    const some = await readParquet(bytes, { columns: ['s', 'l'], rowStart: 1, rowEnd: 3 });
    expect(some.rows).toEqual([{ s: null, l: [] }, { s: 'c', l: null }]);
  });

  it('writes an empty table when given a schema', async () => {
    const t = await readParquet(writeParquet([], VERL_SCHEMA));
    expect(t.numRows).toBe(0);
    expect(t.rows).toEqual([]);
  });

  it('explains bad input', async () => {
    expect(() => writeParquet([])).toThrow(/pass a schema/);
    expect(() => writeParquet([{ a: 'x' }], [{ name: 'a', type: 'int64' }])).toThrow(/row 0\.a.*expected an integer/);
    await expect(readParquet(new TextEncoder().encode('id,x\n1,2\n'))).rejects.toThrow(/not a Parquet file/);
    const bytes = writeParquet([{ a: 'x' }]);
    await expect(readParquet(bytes, { columns: ['b'] })).rejects.toThrow(/no column "b"; its columns are: a/);
  });
});
