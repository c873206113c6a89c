// Results view: held-out pass@1 per arm as bars with intervals, the arms table (held-out pass@k
// with bootstrap intervals; each arm with its colour) and the diagnostics table, each copyable as
// Markdown or CSV; a comparison with another saved run. The run's files are under Downloads (run-downloads.ts).
import { START_CONDITIONS } from '../../int/diagnostics';
import type { ExperimentResults } from '../../int/report';
import type { Interval } from '../../int/stats';
import { button, copyText, csvTable, el, markdownTable, table } from '../dom';
import type { RunRecord } from '../../worker/protocol';
import { armBars } from '../plots';
import { armColour, headline, mechanismSentence } from '../published-data';
import { compareCaveats, compareRuns, differenceDefinition } from '../compare-data';

const pct = (v: number) => (Number.isFinite(v) ? (100 * v).toFixed(1) : 'n/a');
const ci = (i: Interval | undefined) => (i ? `${pct(i.estimate)} [${pct(i.lo)}, ${pct(i.hi)}]` : 'n/a');

/** Header and rows of the arms table. */
export function armsTable(r: ExperimentResults): { head: string[]; rows: string[][] } {
  const ks = r.config.eval.ks;
  // per-tier columns only when there are several tiers (one tier repeats the overall column)
  const all = [...new Set(Object.values(r.arms).flatMap((a) => Object.keys(a.eval.tiers)))];
  const tiers = all.length > 1 ? all : [];
  const head = ['arm', 'SFT rows', 'SFT steps', 'RL steps', ...ks.map((k) => `pass@${k} % [95% CI]`), ...tiers.map((t) => `pass@1 ${t}`)];
  const rows = Object.entries(r.arms).map(([, a]) => [a.label, String(a.sftRows), String(a.sftSteps), String(a.rlSteps), ...ks.map((k) => ci(a.eval.overall.passAt[String(k)])), ...tiers.map((t) => ci(a.eval.tiers[t]?.passAt['1']))]);
  return { head, rows };
}

/** Header and rows of the diagnostics table (never-solved problems by start condition). */
export function diagnosticsTable(r: ExperimentResults): { head: string[]; rows: string[][] } {
  const head = ['start', 'problems', 'solved', 'correct / samples'];
  const rows = START_CONDITIONS.map((c) => {
    const row = r.diagnostics.table.rows[c];
    return [c.replace(/_/g, ' '), String(row.problems), String(row.solved), `${row.correct} / ${row.samples}`];
  });
  return { head, rows };
}

function copyable(title: string, t: { head: string[]; rows: string[][] }, testid: string): HTMLElement {
  const note = el('span', { cls: 'note' });
  const done = (what: string) => () => void copyText(what === 'md' ? markdownTable(t.head, t.rows) : csvTable(t.head, t.rows)).then(() => (note.textContent = `copied as ${what === 'md' ? 'Markdown' : 'CSV'}`));
  return el('div', {}, el('h3', { text: title }), table(t.head, t.rows, `report ${testid}`), el('p', {}, button('Copy as Markdown', done('md')), ' ', button('Copy as CSV', done('csv')), ' ', note));
}

/** `otherRuns`: the saved runs to compare with (the "Compare with" list). */
export function resultsView(run: RunRecord, otherRuns?: () => Promise<RunRecord[]>): HTMLElement {
  const r = run.results;
  const root = el('section', { attrs: { id: 'results' } }, el('h2', { text: 'Results' }));
  const h = headline(r);
  root.append(
    el('p', { cls: `headline ${h.verdict}`, attrs: { 'data-testid': 'results-headline' } }, el('strong', { text: h.text })),
    el('p', {
      cls: 'note',
      attrs: { 'data-testid': 'results-scale' },
      text:
        `One run, one seed: ${r.problems.test} held-out problems x ${r.config.eval.samples} samples. The interval covers which problems were drawn, not the training seed, ` +
        `so a run this size can show a difference another seed would not; the published result repeats the comparison over several seeds at a larger size.`,
    }),
    ...[mechanismSentence(r)].filter((t): t is string => t !== null).map((text) => el('p', { attrs: { 'data-testid': 'results-mechanism-sentence' }, text })),
    el('p', { text: `${r.model} on ${r.task}, seed ${r.seed}; ${r.problems.train} train (pool ${r.problems.pool}) / ${r.problems.test} held-out problems, ${r.config.eval.samples} samples each.` }),
  );
  const level = `${Math.round(r.config.eval.bootstrap.level * 100)}%`;
  const bars = Object.keys(r.arms).map((arm) => {
    const p = r.arms[arm].eval.overall.passAt['1'];
    return { arm, estimate: p?.estimate ?? null, lo: p?.lo ?? null, hi: p?.hi ?? null };
  });
  const arms = copyable('Arms (held-out)', armsTable(r), 'arms-table');
  // each arm's row starts with its colour, the one of every chart
  const ids = Object.keys(r.arms);
  arms.querySelectorAll('tbody tr').forEach((tr, i) => tr.firstElementChild?.prepend(el('span', { cls: 'swatch', attrs: { style: `background:${armColour(ids[i])}` } })));
  root.append(armBars(bars, `Held-out pass@1 by arm (${r.problems.test} problems x ${r.config.eval.samples} samples)`, level), arms, copyable('Diagnostics (never-solved problems)', diagnosticsTable(r), 'diagnostics-table'));
  const loc = r.diagnostics.location;
  if (loc) root.append(el('p', { text: `Location accuracy: ${loc.exact} of ${loc.scored} scored proposals name the true first divergent step (${Number.isFinite(loc.accuracy) ? `${pct(loc.accuracy)}%` : 'none scored'}); early ${loc.early}, late ${loc.late}.` }));
  const p = r.pipeline;
  root.append(el('p', { text: `Pipeline: ${p.rollouts.attempts} attempts (${p.rollouts.correct} correct), ${p.proposals.outputs} verifier outputs, ${p.filter.byStatus.kept ?? 0} interventions kept; SFT rows InT ${p.sftRows.interventions}, reference ${p.sftRows.reference}, self-reflection ${p.sftRows.self_reflection}.` }));

  if (otherRuns) root.append(compareSection(run, otherRuns));
  return root;
}

/** "Compare with another run": pick a saved run, see both runs' pass@1 per arm and tier and the
 *  difference, paired when they share their test problems, else unpaired with the reason. */
function compareSection(run: RunRecord, otherRuns: () => Promise<RunRecord[]>): HTMLElement {
  const select = el('select', { attrs: { 'data-testid': 'compare-run', 'aria-label': 'Run to compare with' } }, el('option', { text: 'choose a saved run…', attrs: { value: '' } }));
  const out = el('div', { attrs: { 'data-testid': 'compare-table' } });
  let runs: RunRecord[] = [];
  const load = () =>
    otherRuns().then(
      (rs) => {
        runs = rs.filter((r) => r.id !== run.id);
        select.replaceChildren(select.options[0], ...runs.map((r) => el('option', { text: `${r.created.slice(0, 16).replace('T', ' ')} · ${r.preset ?? 'custom'} · seed ${r.results.seed}`, attrs: { value: r.id } })));
        if (runs.length === 0) out.replaceChildren(el('p', { cls: 'note', text: 'No other saved run yet: finish or import another run, then compare here.' }));
      },
      (e) => out.replaceChildren(el('p', { cls: 'status error', text: `Saved runs could not be listed: ${(e as Error).message}` })),
    );
  select.addEventListener('focus', () => void load(), { once: true });
  select.addEventListener('change', () => {
    const other = runs.find((r) => r.id === select.value);
    if (!other) return out.replaceChildren();
    const caveats = compareCaveats(run.results, other.results);
    const c = compareRuns(run.results, other.results);
    const level = `${Math.round(c.level * 100)}%`;
    const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
    const head = ['arm', 'tier', `this run pass@1 % [${level} CI]`, `other run pass@1 % [${level} CI]`, `this − other, points [${level} CI], ${c.paired ? 'paired' : 'unpaired'}`];
    const rows = c.rows.map((r) => [r.label, r.tier, ci(r.mine ?? undefined), ci(r.theirs ?? undefined), r.diff === null ? 'n/a' : `${signed(r.diff)}${r.ci ? ` [${signed(r.ci[0])}, ${signed(r.ci[1])}]` : ''}`]);
    const t = table(head, rows, 'report compare');
    const definition = differenceDefinition(c, run.results.config.eval.bootstrap);
    t.querySelector('thead th:last-child')?.replaceChildren(el('span', { cls: 'def', text: head[head.length - 1], attrs: { title: definition } }));
    // narrow screens show each row as a card with these labels (style.css)
    t.querySelectorAll('tbody tr').forEach((tr) => [...tr.children].forEach((td, j) => td.setAttribute('data-label', head[j])));
    const pairing = c.paired
      ? `both runs were evaluated on the same ${c.problems.shared} held-out problems, so each difference is resampled over those problems.`
      : `${c.reason}.`;
    out.replaceChildren(
      el('p', { cls: `pairing ${c.paired ? 'paired' : 'unpaired'}`, attrs: { 'data-testid': 'compare-pairing' } }, el('strong', { cls: 'def', text: c.paired ? 'Paired' : 'Unpaired', attrs: { title: definition } }), `: ${pairing}`),
      t,
      el('p', { cls: 'note', text: caveats.length ? `Caution: ${caveats.join('; ')}.` : 'Same model, task, test set size and samples per problem.' }),
      el('details', { cls: 'definitions' }, el('summary', { text: 'Definition' }), el('p', { text: definition })),
    );
  });
  void load();
  return el('section', { cls: 'compare' }, el('h3', { text: 'Compare with another run' }), el('p', {}, select), out);
}
