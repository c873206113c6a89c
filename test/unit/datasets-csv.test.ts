// CSV parser: RFC-4180 quoting, line ends, and recovery from malformed records.
import { describe, expect, it } from 'vitest';
import { csvItems, formatCsv, parseCsv } from '../../src/io/datasets/csv';

describe('parseCsv: well-formed input', () => {
  it('handles quoted delimiters, doubled quotes and line breaks inside quotes', () => {
    const text = 'id,text,n\na,"x, y",1\nb,"say ""hi""",2\nc,"two\nlines",3\n';
    const r = parseCsv(text);
    expect(r.header).toEqual(['id', 'text', 'n']);
    expect(r.errors).toEqual([]);
    expect(r.records.map((x) => x.fields)).toEqual([
      ['a', 'x, y', '1'],
      ['b', 'say "hi"', '2'],
      ['c', 'two\nlines', '3'],
    ]);
    expect(r.records.map((x) => [x.row, x.line])).toEqual([[1, 2], [2, 3], [3, 4]]);
  });

  it('accepts CRLF, a BOM, a missing final line break, blank lines and empty fields', () => {
    const text = '\uFEFFa,b,c\r\n1,,3\r\n\r\n"",x,"multi\r\nline"\r\n4,5,6';
    const r = parseCsv(text);
    expect(r.header).toEqual(['a', 'b', 'c']);
    expect(r.errors).toEqual([]);
    expect(r.records.map((x) => x.fields)).toEqual([['1', '', '3'], ['', 'x', 'multi\r\nline'], ['4', '5', '6']]);
    expect(r.records.map((x) => x.line)).toEqual([2, 4, 6]);
  });

  it('supports another delimiter and headerless files', () => {
    const r = parseCsv('1\t"a\tb"\n2\tc\n', { delimiter: '\t', header: false });
    expect(r.header).toEqual([]);
    expect(r.records.map((x) => x.fields)).toEqual([['1', 'a\tb'], ['2', 'c']]);
  });

  it('round-trips through formatCsv', () => {
    const rows = [['id', 'text'], ['1', 'a, "b"\nc'], ['2', ' padded ']];
    const r = parseCsv(formatCsv(rows));
    expect([r.header, ...r.records.map((x) => x.fields)]).toEqual(rows);
  });

  it('is lazy through csvItems', () => {
    const it = csvItems('h\n1\n2\n');
    expect(it.next().value).toEqual({ header: ['h'] });
    expect(it.next().value).toMatchObject({ fields: ['1'], row: 1, line: 2 });
  });

  it('throws a clear error on an empty file or a broken header', () => {
    expect(() => parseCsv('')).toThrow(/empty/);
    expect(() => parseCsv('"a,b\n1,2\n')).toThrow(/header \(line 1\) is malformed/);
  });
});

describe('parseCsv: malformed records', () => {
  it('reports a record whose quote closes early (stray text after it) and resumes at the next record', () => {
    // Row 2's problem field is missing its closing quote; the quote that opens the answer closes it.
    const text = [
      'id,problem,answer',
      'q-1,"fine",1',
      'q-2,"broken problem',
      'second line',
      ',"$x$",2',
      'q-3,"also fine",3',
      '',
    ].join('\n');
    const r = parseCsv(text, { recordStart: null });
    expect(r.records.map((x) => x.fields[0])).toEqual(['q-1', 'q-3']);
    expect(r.records[1]).toMatchObject({ row: 3, line: 6 });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ row: 2, line: 3, endLine: 5, firstField: 'q-2' });
    expect(r.errors[0].reason).toMatch(/opened on line 3.*closing quote/);
  });

  it('ends an unclosed quoted field at a line that starts a new record (given pattern)', () => {
    const text = 'id,problem,answer\nq-1,"never closed,1\nq-2,"ok",2\nq-3,"ok too",3\n';
    const r = parseCsv(text, { recordStart: /q-\d+,/ });
    expect(r.records.map((x) => x.fields)).toEqual([['q-2', 'ok', '2'], ['q-3', 'ok too', '3']]);
    expect(r.errors).toEqual([
      expect.objectContaining({ row: 1, line: 2, firstField: 'q-1', reason: expect.stringMatching(/not closed before line 3/) }),
    ]);
    expect(r.records.map((x) => x.row)).toEqual([2, 3]);
  });

  it('infers the record-start pattern from the ids and uses it to resynchronise', () => {
    const good = Array.from({ length: 9 }, (_, i) => `item-${i + 1},"text ${i + 1}",${i}`);
    const text = ['id,text,n', ...good, 'item-10,"unclosed text,10', 'item-11,"fine",11', 'item-12,"fine",12'].join('\n');
    const r = parseCsv(text);
    expect(String(r.recordStart)).toContain('[A-Za-z_]+-\\d+');
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ row: 10, line: 11, firstField: 'item-10' });
    expect(r.records.map((x) => x.fields[0]).slice(-2)).toEqual(['item-11', 'item-12']);
  });

  it('reports a quote that never closes at end of file and still reads the records after it', () => {
    const text = 'id,text\n1,"open\n2,b\n3,c\n';
    const r = parseCsv(text, { recordStart: null });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ row: 1, line: 2 });
    expect(r.errors[0].reason).toMatch(/never closes/);
    expect(r.records.map((x) => x.fields)).toEqual([['2', 'b'], ['3', 'c']]);
  });

  it('reports records with the wrong number of fields', () => {
    const r = parseCsv('a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n');
    expect(r.records.map((x) => x.fields[0])).toEqual(['1', '10']);
    expect(r.errors.map((e) => [e.row, e.line, e.reason.match(/found \d+/)?.[0]])).toEqual([
      [2, 3, 'found 2'],
      [3, 4, 'found 4'],
    ]);
  });

  it('honours maxRows', () => {
    const r = parseCsv('a\n1\n2\n3\n', { maxRows: 2 });
    expect(r.records.map((x) => x.fields[0])).toEqual(['1', '2']);
  });

  it('an unclosed quote does not swallow the good rows after it (no record-start pattern)', () => {
    // Row 1's problem misses its closing quote; the next quote in the file is in row 3.
    const text = 'id,problem,answer\na1,"What is 1+1?,2\na2,What is 2+2?,4\na3,"Say ""hi""",6\na4,ok,8\n';
    for (const recordStart of [null, 'infer'] as const) {
      const r = parseCsv(text, { recordStart });
      expect(r.records.map((x) => x.fields)).toEqual([['a2', 'What is 2+2?', '4'], ['a3', 'Say "hi"', '6'], ['a4', 'ok', '8']]);
      expect(r.records.map((x) => x.line)).toEqual([3, 4, 5]);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatchObject({ row: 1, line: 2, endLine: 2, firstField: 'a1' });
      expect(r.errors[0].reason).toMatch(/opened on line 2.*reading resumes at line 3/);
    }
    // the same when the quote never closes at all
    const eof = parseCsv('id,problem,answer\n1,"What is 1+1?,2\n2,What is 2+2?,4\n', { recordStart: null });
    expect(eof.records.map((x) => x.fields[0])).toEqual(['2']);
    expect(eof.errors[0]).toMatchObject({ row: 1, line: 2, endLine: 2 });
    expect(eof.errors[0].reason).toMatch(/never closes.*reading resumes at line 3/);
  });

  it('resuming after an unclosed quote skips continuation lines that only look like rows', () => {
    // Ids agree on a shape (numbers): "Let a, b, c be reals" has three fields but is no row.
    const text = [
      'id,problem,answer',
      '1,"fine",1',
      '2,"also fine",2',
      '3,"broken problem',
      'Let a, b, c be reals',
      ',"$x$",3',
      '4,"good",4',
      '',
    ].join('\n');
    const r = parseCsv(text, { recordStart: null });
    expect(r.records.map((x) => x.fields[0])).toEqual(['1', '2', '4']);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ row: 3, line: 4, endLine: 6, firstField: '3' });
  });
});
