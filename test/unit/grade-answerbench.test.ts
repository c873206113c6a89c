// IMO-AnswerBench-format fixture (invented problems): every gold grades right against itself
// when boxed inside a sentence, wrong against every other gold, and right in rewritten forms.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/io/datasets/csv';
import { gradeAnswer } from '../../src/tasks/math/grade';

const FILE = new URL('../fixtures/math/answerbench-mini.csv', import.meta.url);

function loadGolds(): Array<{ id: string; gold: string }> {
  const csv = parseCsv(readFileSync(FILE, 'utf8'));
  expect(csv.errors).toEqual([]);
  expect(csv.header).toEqual(['Problem ID', 'Problem', 'Short Answer', 'Category', 'Subcategory', 'Source']);
  const id = csv.header.indexOf('Problem ID');
  const ans = csv.header.indexOf('Short Answer');
  return csv.records.map((r) => ({ id: r.fields[id], gold: r.fields[ans] }));
}

/** Other correct ways to write some of the golds. */
const REWRITES: Record<string, string[]> = {
  'mini-algebra-002': ['0.5', 'x = \\dfrac12'],
  'mini-algebra-003': ['\\frac{1}{1+\\sqrt2}'],
  'mini-algebra-004': ['\\{1, -1, 0\\}', '0, \\pm 1'],
  'mini-algebra-005': ['x', 'f(x)=x \\text{ for all real } x'],
  'mini-algebra-006': ['x^2, 1'],
  'mini-algebra-007': ['(-\\infty, 1)'],
  'mini-algebra-008': ['-1 \\le x \\le 2'],
  'mini-algebra-009': ['\\{2\\} \\cup (-\\infty, 0)'],
  'mini-algebra-010': ['\\frac{1}{1001 \\cdot 999!}'],
  'mini-algebra-012': ['25', '0.25'],
  'mini-combi-001': ['\\frac{2^n}{2}'],
  'mini-combi-002': ['\\frac{(2k)!}{2^k k!}'],
  'mini-combi-006': ['1 + \\left\\lfloor m/2 \\right\\rfloor'],
  'mini-geo-003': ['90^\\circ - \\frac{\\alpha}{2}', '\\frac{180 - \\alpha}{2}'],
  'mini-geo-005': ['\\pi R^2 - \\pi r^2'],
  'mini-geo-006': ['(1, 0.5, 0.75)'],
  'mini-nt-003': ['3, 2, 1'],
  'mini-nt-004': ['1234567890'],
  'mini-nt-007': ['2b = 3a - 1'],
  'mini-nt-008': ['2{,}870'],
};

describe('IMO-AnswerBench-format fixture', () => {
  const golds = loadGolds();
  const boxed = (a: string): string => `After the computation above, so the final answer is \\boxed{${a}}.`;

  it('has about 30 rows of varied answers', () => {
    expect(golds.length).toBeGreaterThanOrEqual(30);
    expect(new Set(golds.map((g) => g.gold)).size).toBe(golds.length);
  });

  it('grades every gold right against itself', async () => {
    const failed: string[] = [];
    for (const { id, gold } of golds) if (!(await gradeAnswer(boxed(gold), gold)).correct) failed.push(id);
    expect(failed).toEqual([]);
  });

  it('grades every gold wrong against every other gold', async () => {
    const passed: string[] = [];
    for (const a of golds) for (const b of golds) if (a !== b && (await gradeAnswer(boxed(a.gold), b.gold)).correct) passed.push(`${a.id} as ${b.id}`);
    expect(passed).toEqual([]);
  });

  it('grades rewritten forms right', async () => {
    const failed: string[] = [];
    for (const { id, gold } of golds) for (const alt of REWRITES[id] ?? []) if (!(await gradeAnswer(boxed(alt), gold)).correct) failed.push(`${id}: ${alt}`);
    expect(failed).toEqual([]);
    expect(Object.keys(REWRITES).every((id) => golds.some((g) => g.id === id))).toBe(true);
  });
});
