// importDataset: format detection, column mapping, the IMO-AnswerBench layout, row errors,
// input kinds (text, bytes, Blob/File, Node path) and clear file-level errors.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assignSplit, resolveImportConfig } from '../../src/tasks/math/import-config';
import { DatasetImportError, decodeUtf8, importDataset, importReport } from '../../src/tasks/math/import';
import { writeParquet } from '../../src/io/datasets/parquet';

const fixtureUrl = (name: string) => new URL(`../fixtures/datasets/${name}`, import.meta.url);
const csvText = readFileSync(fixtureUrl('mini-answerbench.csv'), 'utf8');
const jsonlBytes = new Uint8Array(readFileSync(fixtureUrl('mini.jsonl')));

describe('IMO-AnswerBench CSV', () => {
  it('is recognised from its header and imports the good rows', async () => {
    const r = await importDataset(csvText);
    expect(r.stats).toMatchObject({ format: 'csv', preset: 'imo-answerbench', name: 'imo-answerbench', rows: 10, imported: 6, skipped: 4, duplicates: 1 });
    expect(r.stats.mapping).toEqual({ id: 'Problem ID', problem: 'Problem', answer: 'Short Answer', difficulty: 'Category', category: 'Category' });
    expect(r.problems.map((p) => p.id)).toEqual([
      'imo-bench-algebra-001', 'imo-bench-algebra-002', 'imo-bench-combinatorics-001',
      'imo-bench-geometry-002', 'imo-bench-number_theory-001', 'imo-bench-number_theory-002',
    ]);
    const p2 = r.problems[1];
    expect(p2.statement).toBe('Let $a, b$ be reals with the "nice" property:\n\n\\[\na + b = 3\n\\]\n\nFind $a+b$.');
    expect(p2).toMatchObject({ answer: '3', reference: '', difficulty: 'Algebra' });
    expect(p2.meta).toEqual({ row: 2, line: 4, category: 'Algebra', subcategory: 'Equation', source: 'Made up 2024' });
    expect(r.problems[0].statement).toBe('Find all $x$ such that $x^2 = 4$, with $x > 0$.');
  });

  it('reports each bad row with row number, line number, id and reason', async () => {
    const r = await importDataset(csvText);
    expect(r.errors.map((e) => [e.row, e.line, e.id])).toEqual([
      [3, 11, 'imo-bench-algebra-003'],
      [5, 17, 'imo-bench-combinatorics-002'],
      [6, 18, 'imo-bench-geometry-001'],
      [10, 22, 'imo-bench-number_theory-001'],
    ]);
    expect(r.errors[0]).toMatchObject({ endLine: 15, reason: expect.stringMatching(/opened on line 11\) closes on line 15.*closing quote/) });
    expect(r.errors[1].reason).toBe('empty answer (column "Short Answer")');
    expect(r.errors[2].reason).toMatch(/opened on line 18 is not closed before line 19/);
    expect(r.errors[3].reason).toMatch(/duplicate id "imo-bench-number_theory-001" \(first seen in row 8\)/);
    expect(r.warnings).toEqual([
      expect.objectContaining({ row: 9, id: 'imo-bench-number_theory-002', reason: 'answer has an unbalanced "$" (odd count): "$2"' }),
    ]);
  });

  it('quotes a doubtful answer as the file has it, LaTeX backslashes single', async () => {
    const r = await importDataset('question,answer\nWhat is phi?,"$\\varphi = \\frac{\\sqrt{5}+1}{2}"\n');
    expect(r.warnings.map((w) => w.reason)).toEqual(['answer has an unbalanced "$" (odd count): "$\\varphi = \\frac{\\sqrt{5}+1}{2}"']);
  });

  it('recovers the same rows without the preset given a record-start pattern, and without one', async () => {
    const given = await importDataset(csvText, { preset: 'none', fields: { answer: 'Short Answer' }, csv: { recordStart: /imo-bench-[a-z_]+-\d+,/ } });
    expect(given.stats.preset).toBeNull();
    expect(given.problems.map((p) => p.id)).toEqual((await importDataset(csvText)).problems.map((p) => p.id));
    // Without any pattern the unclosed quote of row 6 is reported on its own line, and reading
    // resumes at row 7, the next line that parses as a record (the good row is not swallowed).
    const blind = await importDataset(csvText, { csv: { recordStart: null } });
    expect(blind.problems.map((p) => p.id)).toContain('imo-bench-geometry-002');
    const bad = blind.errors.find((e) => e.row === 6)!;
    expect(bad).toMatchObject({ line: 18, id: 'imo-bench-geometry-001' });
    expect(bad.endLine).toBeUndefined();
    expect(bad.reason).toMatch(/reading resumes at line 19/);
    expect(blind.problems.map((p) => p.id)).toContain('imo-bench-number_theory-001');
  });

  it('renames duplicates when asked', async () => {
    const r = await importDataset(csvText, { duplicateIds: 'rename' });
    expect(r.problems.map((p) => p.id)).toContain('imo-bench-number_theory-001#2');
    expect(r.warnings.some((w) => /imported as/.test(w.reason))).toBe(true);
  });
});

describe('JSONL with question/answer/solution', () => {
  it('maps the default field names and reports bad lines', async () => {
    const r = await importDataset({ bytes: jsonlBytes, name: 'mini.jsonl' });
    expect(r.stats).toMatchObject({ format: 'jsonl', name: 'mini', rows: 8, imported: 4, skipped: 4 });
    expect(r.stats.mapping).toEqual({ id: 'id', problem: 'question', answer: 'answer', reference: 'solution', difficulty: 'level' });
    expect(r.problems.map((p) => [p.id, p.answer, p.difficulty])).toEqual([['p1', '5', 'easy'], ['p2', '42', 'easy'], ['p3', '2', 'medium'], ['p7', '5', 'hard']]);
    expect(r.problems[0].reference).toBe('Add the numbers.\n\n2+3=5.');
    expect(r.problems[3].meta).toEqual({ row: 8, line: 9, source: 'made up' });
    expect(r.errors.map((e) => [e.row, e.line])).toEqual([[4, 5], [5, 6], [6, 7], [7, 8]]);
    expect(r.errors[1]).toMatchObject({ id: 'p5', reason: 'empty answer (column "answer")' });
    expect(r.errors[3]).toMatchObject({ id: 'p6', reason: 'missing problem text (column "question" is empty)' });
  });

  it('detects JSONL from content and accepts a Blob/File and a Node path', async () => {
    const fromText = await importDataset(new TextDecoder().decode(jsonlBytes));
    expect(fromText.stats.format).toBe('jsonl');
    const fromFile = await importDataset(new File([jsonlBytes as BlobPart], 'x.jsonl'));
    expect(fromFile.problems).toEqual(fromText.problems);
    const fromPath = await importDataset({ path: fileURLToPath(fixtureUrl('mini.jsonl')) });
    expect(fromPath.problems).toEqual(fromText.problems);
    await expect(importDataset({ path: '/no/such/file.jsonl' })).rejects.toThrow(/cannot read \/no\/such\/file\.jsonl/);
  });

  it('reads gzip-compressed input', async () => {
    const gz = new Uint8Array(await new Response(new Blob([jsonlBytes as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer());
    const r = await importDataset({ bytes: gz, name: 'mini.jsonl.gz' });
    expect(r.stats.format).toBe('jsonl');
    expect(r.problems).toHaveLength(4);
  });

  it('reads a .json file that is really JSON Lines, and a JSON array', async () => {
    const r = await importDataset({ bytes: jsonlBytes, name: 'mini.json' });
    expect(r.problems).toHaveLength(4);
    expect(r.stats.notes[0]).toMatch(/one JSON object per line/);
    const arr = await importDataset('[{"problem": "1+1?", "answer": "2"}, {"problem": "2+2?", "answer": "4"}]', { name: 'tiny' });
    expect(arr.stats.format).toBe('json');
    expect(arr.problems.map((p) => [p.id, p.statement])).toEqual([['tiny-00001', '1+1?'], ['tiny-00002', '2+2?']]);
  });
});

describe('Parquet and TSV', () => {
  it('imports Parquet bytes detected by magic', async () => {
    const bytes = writeParquet([
      { question: 'What is 3*3?', answer: '9', solution: 'Multiply.', difficulty: 'easy' },
      { question: 'What is 2^5?', answer: '32', solution: null, difficulty: 'medium' },
      { question: null, answer: '1', solution: null, difficulty: 'hard' },
    ]);
    const r = await importDataset(bytes);
    expect(r.stats.format).toBe('parquet');
    expect(r.problems.map((p) => [p.id, p.answer, p.reference, p.difficulty])).toEqual([
      ['dataset-00001', '9', 'Multiply.', 'easy'],
      ['dataset-00002', '32', '', 'medium'],
    ]);
    expect(r.errors).toEqual([{ row: 3, line: null, id: 'dataset-00003', reason: 'missing problem text (column "question" is empty)' }]);
    expect((await importDataset(bytes.slice().buffer)).problems).toEqual(r.problems);
  });

  it('imports TSV with configured field names', async () => {
    const r = await importDataset('key\ttext\tgold\tnotes\nk1\tWhat is 1+2?\t3\tfirst\n', { fields: { id: 'key', problem: 'text', answer: 'gold' } });
    expect(r.stats.format).toBe('tsv');
    expect(r.problems[0]).toMatchObject({ id: 'k1', statement: 'What is 1+2?', answer: '3', meta: { notes: 'first' } });
  });
});

describe('CSV details', () => {
  it('normalises CRLF inside fields and names the id of a bad row only when the id column is first', async () => {
    const text = 'question,id,answer\r\n"two\r\nlines",a1,1\r\n"open,a2,2\r\n';
    const r = await importDataset(text);
    expect(r.problems).toEqual([expect.objectContaining({ id: 'a1', statement: 'two\nlines' })]);
    expect(r.errors).toEqual([{ row: 2, line: 4, reason: expect.stringMatching(/never closes/) }]);
  });
});

describe('clear file-level errors', () => {
  it('lists the columns found and the option to set when a required column is missing', async () => {
    const err = await importDataset('key,text,result\n1,a,b\n').catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/no column for "problem" and "answer"/);
    expect((err as Error).message).toMatch(/Columns found: "key", "text", "result"/);
    expect((err as Error).message).toMatch(/options\.fields.*problem: "<column>", answer: "<column>"/);
  });

  it('rejects an unknown format, non-UTF-8 bytes and UTF-16', async () => {
    await expect(importDataset('just some words\nmore words\n')).rejects.toThrow(/cannot tell the format.*options\.format/);
    const latin1 = new Uint8Array([...new TextEncoder().encode('problem,answer\nCaf'), 0xe9, ...new TextEncoder().encode(',1\n')]);
    await expect(importDataset({ bytes: latin1, name: 'x.csv' })).rejects.toThrow(/not valid UTF-8: byte 0xe9 at offset 18 \(line 2\).*UTF-8/);
    expect(() => decodeUtf8(new Uint8Array([0xff, 0xfe, 0x41, 0]))).toThrow(/UTF-16/);
    await expect(importDataset({ bytes: new TextEncoder().encode('a,b\n'), name: 'x.parquet' })).rejects.toThrow(/not a Parquet file/);
  });

  it('validates options with a fix-it message', () => {
    expect(() => resolveImportConfig({ testFraction: 1.5 })).toThrow(/testFraction \(1\.5\) must be in \[0, 1\): use e\.g\. 0\.2/);
    expect(() => resolveImportConfig({ feilds: {} } as never)).toThrow(/feilds is not a field: did you mean fields\?/);
    expect(() => resolveImportConfig({ fields: { anwser: 'x' } as never })).toThrow(/fields\.anwser is not a field: did you mean fields\.answer\?/);
    expect(() => resolveImportConfig({ format: 'xlsx' as never })).toThrow(/format \("xlsx"\) must be one of "auto", "csv"/);
    expect(() => resolveImportConfig({ csv: { delimiter: ';;' } })).toThrow(/single character/);
    expect(resolveImportConfig({}).testFraction).toBe(0.2);
  });
});

describe('skipped rows are reported', () => {
  const jsonl = '{"problem":"p1","answer":"1"}\n{"problem":"p2", answer:"2"}\n\n{"problem":"p3","answer":"3"}\n';

  it('a JSONL line that does not parse is reported with its line number', async () => {
    const r = await importDataset({ text: jsonl, name: 'x.jsonl' });
    expect(r.stats).toMatchObject({ rows: 3, imported: 2, skipped: 1 });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ row: 2, line: 2 });
    expect(r.errors[0].reason).toMatch(/^invalid JSON/);
    const report = importReport(r);
    expect(report[0]).toBe('x: 2 of 3 rows imported (' + `${r.stats.train} train / ${r.stats.test} test), 1 skipped, 0 warnings`);
    expect(report).toContain('skipped rows (1):');
    expect(report.find((l) => l.startsWith('  row 2 (line 2): invalid JSON'))).toBeDefined();
  });

  it('the report lists the first rows with lines, ids and reasons, then how many more', async () => {
    const r = await importDataset(csvText);
    const report = importReport(r, 2);
    expect(report[0]).toMatch(/^imo-answerbench: 6 of 10 rows imported \(\d+ train \/ \d+ test\), 4 skipped, \d+ warnings$/);
    const i = report.indexOf('skipped rows (4):');
    expect(i).toBeGreaterThan(0);
    expect(report[i + 1]).toMatch(/^ {2}row \d+ \(lines? [\d-]+, id imo-bench-[a-z_]+-\d+\): ./);
    expect(report[i + 3]).toBe('  ... and 2 more');
  });

  it('strict refuses a file with any skipped row, listing them', async () => {
    const err = await importDataset({ text: jsonl, name: 'x.jsonl' }, { strict: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetImportError);
    expect((err as Error).message).toMatch(/^x\.jsonl: strict import refused: 1 of 3 rows would be skipped:\n {2}row 2 \(line 2\): invalid JSON/);
    expect((err as Error).message).toMatch(/import without strict to keep the other 2 rows/);
    await expect(importDataset(csvText, { strict: true })).rejects.toThrow(/4 of 10 rows would be skipped:\n {2}row \d+ \(line/);
    // a clean file imports as usual
    const clean = await importDataset({ text: '{"problem":"p1","answer":"1"}\n', name: 'c.jsonl' }, { strict: true });
    expect(clean.stats).toMatchObject({ imported: 1, skipped: 0 });
    expect(() => resolveImportConfig({ strict: 'yes' as unknown as boolean })).toThrow(/strict .*true or false/);
  });
});

describe('split assignment', () => {
  it('is deterministic, depends on the seed and follows the test fraction', () => {
    const ids = Array.from({ length: 4000 }, (_, i) => `prob-${i}`);
    const a = ids.map((id) => assignSplit(id, 0.25, 0));
    expect(ids.map((id) => assignSplit(id, 0.25, 0))).toEqual(a);
    const frac = a.filter((s) => s === 'test').length / ids.length;
    expect(frac).toBeGreaterThan(0.22);
    expect(frac).toBeLessThan(0.28);
    const b = ids.map((id) => assignSplit(id, 0.25, 1));
    expect(b).not.toEqual(a);
    expect(ids.every((id) => assignSplit(id, 0, 0) === 'train')).toBe(true);
  });
});
