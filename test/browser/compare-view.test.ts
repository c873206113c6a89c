// The results view's comparison with another saved run in Chromium: picking a run shows per arm
// and tier both runs' pass@1 and the difference with its interval, labelled paired or unpaired
// with the reason, its definition on hover and under Definition.
import { describe, expect, it } from 'vitest';
import type { ExperimentResults } from '../../src/int/report';
import { summarizeOutcomes, type ProblemOutcome } from '../../src/int/stats';
import { resultsView } from '../../src/ui/views/results';
import type { RunRecord } from '../../src/worker/protocol';

/** A saved run of the published results whose arms hold per-problem outcomes `c(arm, i)` of 8 samples. */
async function record(id: string, prefix: string, c: (arm: number, i: number) => number): Promise<RunRecord> {
  // public/ is served at the root
  const r = (await (await fetch('/results/chains-critical-strict/results.json')).json()) as ExperimentResults;
  Object.values(r.arms).forEach((a, k) => {
    const os: ProblemOutcome[] = Array.from({ length: 24 }, (_, i) => ({ problemId: `${prefix}-${i}`, tier: i % 2 ? 'critical' : 'easy', n: 8, c: c(k, i) }));
    a.eval = summarizeOutcomes(os, { ks: [1], ...r.config.eval.bootstrap });
    a.outcomes = os;
  });
  return { id, created: '2026-12-05T08:00:00.000Z', preset: r.preset, config: r.config, results: r } as RunRecord;
}

async function pick(view: HTMLElement, id: string): Promise<HTMLElement> {
  const select = view.querySelector<HTMLSelectElement>('[data-testid=compare-run]')!;
  for (let i = 0; i < 50 && select.options.length < 3; i++) await new Promise((res) => setTimeout(res, 20));
  select.value = id;
  select.dispatchEvent(new Event('change'));
  return view.querySelector<HTMLElement>('[data-testid=compare-table]')!;
}

describe('comparing two saved runs in the results view', () => {
  it('pairs runs on the same problems and says why it cannot pair the others', async () => {
    const mine = await record('mine', 'p', (k, i) => (i * 3 + k) % 9);
    const same = await record('same', 'p', (k, i) => Math.max(0, ((i * 3 + k) % 9) - 1));
    const other = await record('other', 'q', (k, i) => Math.max(0, ((i * 3 + k) % 9) - 1));
    const view = resultsView(mine, async () => [mine, same, other]);
    document.body.append(view);

    const out = await pick(view, 'other');
    const pairing = out.querySelector('[data-testid=compare-pairing]')!;
    expect(pairing.textContent).toBe('Unpaired: the runs were evaluated on different test problems (24 and 24, 0 in both: another dataset, data.testFraction, data.splitSeed or problem cap).');
    const last = out.querySelector('thead th:last-child .def')!;
    expect(last.textContent).toBe('this − other, points [95% CI], unpaired');
    expect(last.getAttribute('title')).toMatch(/^Unpaired difference: .*resamples each run's own held-out problems independently/);
    expect(out.querySelector('details.definitions')?.textContent).toContain('Unpaired difference');
    const rows = [...out.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent));
    expect(rows).toHaveLength(Object.keys(mine.results.arms).length * 3);
    expect(rows[0].slice(0, 2)).toEqual(['base', 'all']);
    expect(rows.every((r) => /^[+-]\d+\.\d \[[+-]\d+\.\d, [+-]\d+\.\d\]$/.test(r[4]!))).toBe(true);
    expect(out.querySelector('tbody td:last-child')?.getAttribute('data-label')).toBe('this − other, points [95% CI], unpaired');

    const paired = await pick(view, 'same');
    expect(paired.querySelector('[data-testid=compare-pairing]')!.textContent).toBe('Paired: both runs were evaluated on the same 24 held-out problems, so each difference is resampled over those problems.');
    expect(paired.querySelector('thead th:last-child .def')!.getAttribute('title')).toMatch(/^Paired difference: /);
    // pairing resolves the one-sample shift that the unpaired interval could not
    const ciOf = (t: HTMLElement) => t.querySelector('tbody tr td:last-child')!.textContent!.match(/\[([^,]+), ([^\]]+)\]/)!.slice(1).map(Number);
    const [lo, hi] = ciOf(paired);
    expect(lo).toBeGreaterThan(0);
    expect(hi - lo).toBeLessThan(8);
    view.remove();
  });
});
