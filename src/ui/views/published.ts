// "Published result" view: the run computed with the command-line runner and committed under
// public/results/<preset>/ (results.json exactly as the run wrote it, published.json saying how),
// shown when the page opens, before anything runs: the headline (InT + RL - RL on the critical tier),
// a forest plot of every paired difference, pass@1 bars per arm and tier, results.md's Reading, the
// mechanism and diagnostics tables, and the provenance; a seeds.json beside them (runs of several
// seeds) adds the pooled differences. The pipeline diagram (every step done, with its count) opens
// each step's section, and the interventions come from interventions.jsonl.gz (the first seed's
// interventions.jsonl, gzip), read after the view is drawn. Every number comes from those files.
import { BROWSER_PRESET } from '../state';
import { presetConfig } from '../../int/config';
import { readingLines, signedPoints as signed, type ExperimentResults } from '../../int/report';
import type { SeedsSummary } from '../../int/seeds';
import { button, el } from '../dom';
import { EMBEDDED_MODEL } from '../../worker/protocol';
import {
  armColour,
  armDefinition,
  armName,
  checkResults,
  continuationRows,
  forestDomain,
  forestRows,
  headline,
  mechanismSentence,
  parsePublishedMeta,
  passBars,
  START_DEFINITIONS,
  START_NAMES,
  statDefinitions,
  type PublishedMeta,
  type StatTerm,
} from '../published-data';
import { jsonlText, parseInterventions, STATUS_LABELS, type InterventionRow } from '../interventions-data';
import { pipelineDiagram, type NodeId } from './pipeline';
import { focusOf, interventionsPanel } from './rollouts';

export interface Published {
  results: ExperimentResults;
  meta: PublishedMeta;
  /** seeds.json, read when published.json lists more than one seed. */
  seeds: SeedsSummary | null;
}

async function getJson(url: URL, fetcher: typeof fetch): Promise<unknown> {
  const res = await fetcher(url);
  if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
  try {
    return await res.json();
  } catch (e) {
    throw new Error(`${url.pathname} is not JSON: ${(e as Error).message}`);
  }
}

/** Read results.json and published.json (and seeds.json for several seeds) from the folder `base`. */
export async function loadPublished(base: string, fetcher: typeof fetch = fetch): Promise<Published> {
  const at = (f: string) => new URL(f, base.endsWith('/') ? base : `${base}/`);
  const [results, meta] = await Promise.all([getJson(at('results.json'), fetcher).then(checkResults), getJson(at('published.json'), fetcher).then(parsePublishedMeta)]);
  let seeds: SeedsSummary | null = null;
  if (meta.seeds.length > 1) {
    const s = (await getJson(at('seeds.json'), fetcher)) as SeedsSummary;
    if (s?.format !== 'int-lab-seeds' || !Array.isArray(s.pooled)) throw new Error('seeds.json: not an int-lab-seeds summary');
    seeds = s;
  }
  return { results, meta, seeds };
}

/** The published run's interventions (interventions.jsonl.gz beside results.json: the first seed's
 *  interventions.jsonl, gzip); null when the folder has none. */
export async function loadInterventions(base: string, fetcher: typeof fetch = fetch): Promise<InterventionRow[] | null> {
  const url = new URL(INTERVENTIONS_FILE, base.endsWith('/') ? base : `${base}/`);
  const res = await fetcher(url);
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
  return parseInterventions(await jsonlText(new Uint8Array(await res.arrayBuffer())), INTERVENTIONS_FILE);
}

export const INTERVENTIONS_FILE = 'interventions.jsonl.gz';

/** The pane's content: "loading", then the view or the reason it could not be read. */
export function publishedPane(base: string, rerun: (seed: number) => void, tryStep?: (attemptId: string) => void): HTMLElement {
  const pane = el('section', { attrs: { id: 'published' } }, el('p', { cls: 'status', text: 'Loading the published result…' }));
  loadPublished(base).then(
    (p) => pane.replaceChildren(publishedView(p, rerun, loadInterventions(base), tryStep)),
    (e) => pane.replaceChildren(el('p', { cls: 'status error', attrs: { role: 'alert' }, text: `The published result could not be read (${base}): ${(e as Error).message}` })),
  );
  return pane;
}

const pct1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');

/** Text with its definition on hover (title) and to assistive tech (the title is the accessible description). */
function def(text: string, title: string, tag: 'span' | 'th' | 'td' = 'span'): HTMLElement {
  return el(tag, { cls: 'def', text, attrs: { title } });
}

/** A table whose cells are plain text or elements (definitions). */
function defTable(head: (string | HTMLElement)[], rows: (string | HTMLElement)[][], testid: string): HTMLTableElement {
  const cell = (tag: 'th' | 'td', c: string | HTMLElement) => (typeof c === 'string' ? el(tag, { text: c }) : c.tagName.toLowerCase() === tag ? c : el(tag, {}, c));
  return el('table', { cls: 'report', attrs: { 'data-testid': testid } }, el('thead', {}, el('tr', {}, ...head.map((h) => cell('th', h)))), el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => cell('td', c))))));
}

export function publishedView(p: Published, rerun: (seed: number) => void, interventions: Promise<InterventionRow[] | null> = Promise.resolve(null), tryStep?: (attemptId: string) => void): HTMLElement {
  const r = p.results;
  const defs = statDefinitions(r);
  const d = (term: StatTerm, text: string = term) => def(text, defs[term]);
  const arm = (id: string) => el('span', { cls: 'def', attrs: { title: armDefinition(id) } }, swatch(id), armName(r, id));
  const h = headline(r, p.seeds);
  const root = el('div', { cls: 'published' });
  root.append(
    el('h2', { text: `Published result: ${p.meta.preset}, seed${p.meta.seeds.length > 1 ? 's' : ''} ${p.meta.seeds.join(', ')}` }),
    el('p', { cls: `headline ${h.verdict}`, attrs: { 'data-testid': 'published-headline' } }, el('strong', { text: h.text })),
    ...[mechanismSentence(r)].filter((t): t is string => t !== null).map((text) => el('p', { attrs: { 'data-testid': 'published-mechanism-sentence' }, text })),
    el(
      'p',
      {},
      `Computed with the command-line runner, not in this page: ${r.problems.test} held-out problems × ${r.config.eval.samples} samples per arm, ${r.config.rl.steps} RL steps per RL arm. `,
      d('pass@1'),
      ', ',
      d('interval', `${Math.round(100 * r.config.eval.bootstrap.level)}% intervals`),
      ' and ',
      d('paired', 'paired differences'),
      ' are defined on hover and under Definitions below.',
    ),
  );
  const ivs = interventionsSection(p, interventions, tryStep);
  /** A step opens the interventions (filtered), or the first of its sections this view has. */
  const goto = (node: NodeId) => {
    const to = focusOf(node);
    if (to !== 'results' && to.section === 'interventions') {
      ivs.setVerdict(to.verdict);
      return ivs.root.scrollIntoView({ block: 'start' });
    }
    const ids = STEP_SECTIONS[node] ?? [];
    const t = ids.map((id) => root.querySelector<Element>(`[data-testid=${id}]`)).find((x) => x);
    // from its heading when one sits right above it
    (t?.previousElementSibling?.tagName === 'H3' ? t.previousElementSibling : t)?.scrollIntoView({ block: 'start' });
  };
  root.append(
    el('h3', { text: 'How it was made: the InT pipeline' }),
    pipelineDiagram({ arms: Object.keys(r.arms), results: r, open: goto }).root,
    provenance(p.meta),
    rerunBox(p, rerun),
  );

  // with several seeds: the pooled differences first, then one seed's run in detail (its results.json)
  const one = p.meta.seeds.length > 1 ? ` (seed ${r.seed})` : '';
  if (p.seeds) root.append(seedsBox(r, p.seeds), el('p', { cls: 'note', attrs: { 'data-testid': 'published-seed-note' }, text: `Below: seed ${r.seed}'s run in detail (its results.json); the other seeds' runs are summarised in the pooled table above.` }));
  const ks = r.config.eval.ks;
  const kDef = (k: number) => `${k === 1 ? defs['pass@1'] : defs['pass@k'].replace(/\bk\b/g, String(k))} In brackets: the ${defs.interval}`;
  const kCell = (a: ExperimentResults['arms'][string], k: number) => {
    const i = a.eval.overall.passAt[String(k)];
    return i ? `${pct1(100 * i.estimate)} [${pct1(100 * i.lo)}, ${pct1(100 * i.hi)}]` : 'n/a';
  };
  root.append(
    el('h3', { text: `Arms (all held-out problems)${one}` }),
    defTable(['arm', 'SFT rows', 'RL steps', ...ks.map((k) => def(`pass@${k} % [interval]`, kDef(k), 'th'))], Object.entries(r.arms).map(([id, a]) => [arm(id), String(a.sftRows), String(a.rlSteps), ...ks.map((k) => kCell(a, k))]), 'published-arms'),
  );
  root.append(el('h3', {}, d('paired', 'Paired differences of pass@1'), ` (percentage points, arm minus arm, same problems)${one}`), forestPlot(r, defs.paired, p.seeds));
  root.append(el('h3', {}, d('pass@1', 'pass@1'), ' per arm and ', d('tier'), ' (%, with ', d('interval', 'interval'), `)${one}`), passChart(r));

  const reading = readingLines(r).filter((l) => l.startsWith('- '));
  root.append(el('h3', { text: `Reading${one}` }), el('ul', { attrs: { 'data-testid': 'published-reading' } }, ...reading.map((l) => el('li', { text: l.slice(2) }))));

  const mech = Object.entries(r.mechanism ?? {});
  const allTiers = passBars(r).tiers.filter((t) => t === 'all' || mech.some(([, m]) => m.byTier[t]));
  // one tier repeats the "all" column
  const tiers = allTiers.length === 2 ? allTiers.slice(1) : allTiers;
  if (mech.length > 0) {
    const cell = (c: { groups: number; zeroVariance: number; share: number } | undefined) => (c ? `${pct1(100 * c.share)}% (${c.zeroVariance} / ${c.groups})` : 'n/a');
    root.append(
      el('h3', {}, 'Mechanism: ', d('zero-variance', 'zero-variance share'), ` at each RL arm's first step${one}`),
      defTable(['arm', ...tiers.map((t) => def(t, defs.tier, 'th'))], mech.map(([id, m]) => [arm(id), ...tiers.map((t) => cell(t === 'all' ? m : m.byTier[t]))]), 'published-mechanism'),
    );
  }

  const dg = r.diagnostics;
  root.append(
    el('h3', { text: `Diagnostics: continuing failed attempts of the never-solved training problems${one}` }),
    el('p', { text: `${dg.neverSolved} training problems were never solved by the base model; the rows count those with a kept intervention (the starts of every condition are the same attempts).` }),
    defTable(
      ['start', def('starts', defs.starts, 'th'), 'problems', def('solved', defs.solved, 'th'), 'correct / samples'],
      continuationRows(r).map((c) => [def(START_NAMES[c.condition], START_DEFINITIONS[c.condition]), String(c.starts), String(c.problems), String(c.solved), `${c.correct} / ${c.samples}`]),
      'published-diagnostics',
    ),
    el('p', { text: `${dg.samplesPerStart} samples per start. A large gap between "prefix + intervention" and "prefix" means the interventions fix the attempts in context; the arms above measure whether training on them carries over to solving from scratch.` }),
  );
  root.append(numbersBox(r, one), ivs.root);
  root.append(definitions(r, defs));
  return root;
}

/** The pipeline's counts from results.json, in words. */
function numbersBox(r: ExperimentResults, one: string): HTMLElement {
  const p = r.pipeline;
  const verdicts = Object.entries(p.filter.byStatus as Record<string, number>).filter(([, n]) => n > 0);
  const rows: [string, string][] = [
    ['training problems (pool)', `${r.problems.pool} of ${r.problems.train}`],
    ['rollouts: attempts', `${p.rollouts.attempts} (${p.rollouts.correct} correct, ${p.rollouts.failures} failed)`],
    ['problems never solved', String(p.rollouts.problemsNeverSolved)],
    ['verifications', `${p.proposals.outputs} of ${p.proposals.attempts} failed attempts`],
    ...verdicts.map(([s, n]): [string, string] => [`filter: ${STATUS_LABELS[s] ?? s}`, String(n)]),
    ...(p.continuation ? [['continuation check (the filter\'s own samples)', `${p.continuation.correct} of ${p.continuation.samples} continuations correct; ${p.afterContinuation.byStatus.kept} kept`] as [string, string]] : []),
    ['InT training rows (SFT; kept interventions less duplicates)', String(p.sftRows.interventions)],
  ];
  return el('div', {}, el('h3', { text: `The run in numbers${one}` }), defTable(['step', 'count'], rows, 'published-numbers'));
}

/** The interventions of the published run (its first seed), read from interventions.jsonl.gz. */
function interventionsSection(p: Published, rows: Promise<InterventionRow[] | null>, tryStep?: (attemptId: string) => void): { root: HTMLElement; setVerdict(v: 'kept' | 'rejected' | 'all'): void } {
  const box = el('div', { cls: 'note', text: 'Loading the interventions…' });
  const root = el('section', { cls: 'iv-section', attrs: { id: 'published-interventions' } }, el('h3', { text: `Interventions (seed ${p.meta.seeds[0]})` }));
  root.append(
    el('p', { text: `Every verification of a failed training attempt in the published run, from its interventions.jsonl (${INTERVENTIONS_FILE} beside results.json). Open one to follow it: the problem, the reference, the attempt, the verifier's check in words, the located step, the intervention spliced in, and how often the model solves the problem when it continues from the prefix, the prefix with its own step, and the prefix with the intervention.` }),
    box,
  );
  let pending: 'kept' | 'rejected' | 'all' | null = null;
  let panel: ReturnType<typeof interventionsPanel> | null = null;
  rows.then(
    (rs) => {
      if (!rs) return box.replaceChildren(`This published run has no ${INTERVENTIONS_FILE}.`);
      panel = interventionsPanel(rs, pending ?? undefined, tryStep);
      box.className = '';
      box.replaceChildren(panel.root);
    },
    (e) => {
      box.className = 'status error';
      box.textContent = `The interventions could not be read: ${(e as Error).message}`;
    },
  );
  return { root, setVerdict: (v) => (panel ? panel.setVerdict(v) : (pending = v)) };
}

/** Where the published view shows the data of the steps that have no interventions filter. */
const STEP_SECTIONS: Partial<Record<NodeId, string[]>> = {
  rollouts: ['published-numbers'],
  failures: ['published-numbers'],
  sft: ['published-arms'],
  rl: ['published-mechanism', 'published-arms'],
  eval: ['forest-plot'],
};

function provenance(m: PublishedMeta): HTMLElement {
  const row = (k: string, v: Node | string) => el('tr', {}, el('th', { text: k }), el('td', {}, v));
  return el(
    'table',
    { cls: 'report provenance', attrs: { 'data-testid': 'published-provenance' } },
    el(
      'tbody',
      {},
      row('command', el('code', { text: m.command })),
      row(m.seeds.length > 1 ? 'seeds' : 'seed', m.seeds.join(', ')),
      row('preset', m.preset),
      row('model', m.model),
      row('model sha256', el('code', { text: m.model_sha256 })),
      row('machine', m.machine),
      row('wall time', `${m.minutes} minutes`),
    ),
  );
}

/** "Re-run in this browser": the published config cannot be expressed in the page's settings (its
 *  model is a folder, which a link cannot carry), so it sets up the browser preset with the same seed
 *  and says that this is the small-scale version. */
function rerunBox(p: Published, rerun: (seed: number) => void): HTMLElement {
  const seed = p.meta.seeds[0];
  const b = presetConfig(BROWSER_PRESET);
  const r = p.results;
  return el(
    'div',
    { cls: 'rerun' },
    button('Re-run in this browser', () => rerun(seed), { 'data-testid': 'rerun-published' }),
    el('p', {
      text:
        `This opens the setup with the ${BROWSER_PRESET} preset and seed ${seed}: the small-scale version, not a re-measurement. ` +
        `The published run used ${p.meta.preset} with the model ${p.meta.model} (${r.problems.train} training / ${r.problems.test} held-out problems, ` +
        `${r.config.eval.samples} samples each, ${r.config.rl.steps} RL steps, ${p.meta.minutes} minutes on ${p.meta.machine}); ` +
        `the page's embedded model is ${EMBEDDED_MODEL.name}. ${BROWSER_PRESET} runs the same pipeline on ` +
        `${b.data.maxTrainProblems} + ${b.data.maxTestProblems} problems with ${b.eval.samples} samples and ${b.rl.steps} RL step${b.rl.steps === 1 ? '' : 's'}, ` +
        `so its intervals are far too wide to resolve anything. To measure at the published scale, run the command above.`,
    }),
  );
}

const swatch = (id: string) => el('span', { cls: 'swatch', attrs: { style: `background:${armColour(id)}` } });

const SVG = 'http://www.w3.org/2000/svg';
function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: (Node | string)[]): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  e.append(...children);
  return e;
}
const tip = (text: string) => svg('title', {}, text);

/** Every paired difference as a dot with its interval against a zero line; filled dots are
 *  resolved (interval excludes zero); the headline's row is shaded. */
function forestPlot(r: ExperimentResults, pairedDef: string, seeds: SeedsSummary | null): HTMLElement {
  const rows = forestRows(r, seeds);
  if (rows.length === 0) return el('p', { text: 'This run reports no paired differences.' });
  const defs = statDefinitions(r);
  const W = 980;
  const rowH = 22;
  const top = 24;
  const [x0, x1] = forestDomain(rows);
  const tierX = 300;
  const left = 360;
  const right = 770;
  const x = (v: number) => left + ((v - x0) / (x1 - x0)) * (right - left);
  const H = top + rows.length * rowH + 28;
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', 'aria-label': 'Forest plot of the paired differences of pass@1', class: 'chart forest', 'data-testid': 'forest-plot' });
  s.append(svg('text', { x: 10, y: 14, class: 'axis-title' }, tip(pairedDef), 'arm − arm'), svg('text', { x: tierX, y: 14, class: 'axis-title' }, tip(defs.tier), 'tier'));
  s.append(svg('text', { x: right + 12, y: 14, class: 'axis-title' }, tip(`${defs.paired} ${defs.interval}`), 'points [interval], problems'));
  const step = x1 - x0 > 40 ? 10 : 5;
  // ticks on multiples of the step, so zero is always one of them
  for (let v = Math.ceil(x0 / step) * step; v <= x1; v += step) {
    s.append(svg('line', { x1: x(v), x2: x(v), y1: top - 4, y2: H - 24, class: v === 0 ? 'zero' : 'grid' }), svg('text', { x: x(v), y: H - 8, 'text-anchor': 'middle' }, v > 0 ? `+${v}` : String(v)));
  }
  let last = '';
  rows.forEach((d, i) => {
    const y = top + i * rowH + rowH / 2;
    const g = svg('g', { 'data-testid': 'forest-row', 'data-arm': d.arm, 'data-versus': d.versus, 'data-tier': d.tier, class: `row ${d.verdict}${d.headline ? ' headline' : ''}` });
    const what = { higher: 'the interval lies above zero', lower: 'the interval lies below zero', unresolved: 'the interval contains zero (not resolved)', 'n/a': 'not measured' }[d.verdict];
    g.append(tip(`${d.label}, ${d.tier}: ${signed(d.diff)} points of pass@1, interval [${signed(d.lo)}, ${signed(d.hi)}] over ${d.problems} problems; ${what}`));
    if (d.headline) g.append(svg('rect', { x: 0, y: y - rowH / 2, width: W, height: rowH, class: 'shade' }));
    const key = `${d.arm}/${d.versus}`;
    if (key !== last) {
      g.append(svg('text', { x: 10, y: y + 4, class: 'label' }, tip(`${armDefinition(d.arm)}. Minus ${armDefinition(d.versus)}.`), d.label));
      if (i > 0) s.append(svg('line', { x1: 0, x2: W, y1: y - rowH / 2, y2: y - rowH / 2, class: 'sep' }));
      last = key;
    }
    g.append(svg('text', { x: tierX, y: y + 4 }, d.tier));
    if (Number.isFinite(d.lo) && Number.isFinite(d.hi)) g.append(svg('line', { x1: x(d.lo), x2: x(d.hi), y1: y, y2: y, class: 'ci' }));
    if (Number.isFinite(d.diff)) g.append(svg('circle', { cx: x(d.diff), cy: y, r: 4.5, class: d.verdict === 'unresolved' || d.verdict === 'n/a' ? 'open' : 'filled' }));
    g.append(svg('text', { x: right + 12, y: y + 4 }, `${signed(d.diff)} [${signed(d.lo)}, ${signed(d.hi)}], ${d.problems}`));
    s.append(g);
  });
  const shaded = rows.some((d) => d.headline) ? ' Shaded: the headline row.' : '';
  return el('div', { cls: 'chart-box' }, s, el('p', { cls: 'note', text: `Filled dot: the interval excludes zero (resolved). Open dot: it contains zero.${shaded}` }));
}

/** pass@1 bars per tier, one colour per arm, each with its interval as a whisker; a legend with
 *  each arm's definition on hover. */
function passChart(r: ExperimentResults): HTMLElement {
  const { tiers, arms, bars } = passBars(r);
  const defs = statDefinitions(r);
  const W = 960;
  const H = 300;
  const left = 44;
  const bottom = H - 30;
  const top = 10;
  const yMax = Math.min(100, Math.max(10, Math.ceil(Math.max(...bars.map((b) => (Number.isFinite(b.hi) ? b.hi : b.estimate))) / 10) * 10));
  const y = (v: number) => bottom - (Math.max(0, Math.min(yMax, v)) / yMax) * (bottom - top);
  const groupW = (W - left - 10) / Math.max(1, tiers.length);
  const barW = (groupW * 0.86) / Math.max(1, arms.length);
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', 'aria-label': 'Bar chart of held-out pass@1 per arm and tier with intervals', class: 'chart bars', 'data-testid': 'pass-bars' });
  for (let v = 0; v <= yMax; v += 10) s.append(svg('line', { x1: left, x2: W - 10, y1: y(v), y2: y(v), class: v === 0 ? 'zero' : 'grid' }), svg('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end' }, String(v)));
  tiers.forEach((t, ti) => {
    const gx = left + ti * groupW + groupW * 0.07;
    const n = bars.find((b) => b.tier === t)?.problems;
    s.append(svg('text', { x: gx + (groupW * 0.86) / 2, y: H - 10, 'text-anchor': 'middle', class: 'label' }, tip(defs.tier), `${t}${n ? ` (${n} problems)` : ''}`));
    arms.forEach((a, ai) => {
      const b = bars.find((q) => q.tier === t && q.arm === a);
      if (!b) return;
      const bx = gx + ai * barW;
      const cx = bx + barW / 2;
      const g = svg('g', { 'data-testid': 'pass-bar', 'data-arm': a, 'data-tier': t }, tip(`${armName(r, a)}, ${t}: pass@1 ${pct1(b.estimate)}% [${pct1(b.lo)}, ${pct1(b.hi)}] over ${b.problems} problems`));
      g.append(svg('rect', { x: bx + 1, y: y(b.estimate), width: Math.max(1, barW - 2), height: Math.max(0, bottom - y(b.estimate)), fill: armColour(a) }));
      if (Number.isFinite(b.lo) && Number.isFinite(b.hi)) {
        const cap = Math.min(4, barW / 3);
        g.append(svg('path', { d: `M${cx},${y(b.lo)}V${y(b.hi)}M${cx - cap},${y(b.lo)}H${cx + cap}M${cx - cap},${y(b.hi)}H${cx + cap}`, class: 'whisker' }));
      }
      s.append(g);
    });
  });
  const legend = el('div', { cls: 'legend' }, ...arms.map((a) => el('span', { cls: 'legend-item def', attrs: { title: armDefinition(a), 'data-arm': a } }, swatch(a), armName(r, a))));
  return el('div', { cls: 'chart-box' }, legend, s);
}

/** Pooled differences over the seeds of seeds.json (InT + RL against each baseline). */
function seedsBox(r: ExperimentResults, s: SeedsSummary): HTMLElement {
  const defs = statDefinitions(r);
  const rows = s.pooled.map((d) => [def(`${armName(r, d.arm)} − ${armName(r, d.versus)}`, `${armDefinition(d.arm)}. Minus ${armDefinition(d.versus)}.`), d.tier, `${signed(d.diff)} [${signed(d.ci95[0])}, ${signed(d.ci95[1])}]`, String(d.problems), String(d.seeds)]);
  return el(
    'div',
    { attrs: { 'data-testid': 'published-seeds' } },
    el('h3', { text: `Pooled over seeds ${s.seeds.join(', ')}` }),
    defTable(['arm − arm', def('tier', defs.tier, 'th'), def('difference [interval]', defs.paired, 'th'), 'problems', 'seeds'], rows, 'published-seeds-table'),
    el('p', { cls: 'note', text: `Pooling: ${s.pooling}` }),
  );
}

/** Every definition, readable without hovering. */
function definitions(r: ExperimentResults, defs: Record<StatTerm, string>): HTMLElement {
  const dl = el('dl');
  // each definition opens with "its name: "; the name becomes the term
  const add = (text: string, term?: string) => {
    const at = text.indexOf(': ');
    dl.append(el('dt', { text: term ?? text.slice(0, at) }), el('dd', { text: text.slice(at + 2) }));
  };
  for (const t of Object.keys(defs) as StatTerm[]) add(defs[t]);
  for (const text of Object.values(START_DEFINITIONS)) add(text);
  for (const id of Object.keys(r.arms)) add(armDefinition(id), `${armName(r, id)} (${id})`);
  return el('details', { cls: 'definitions' }, el('summary', { text: 'Definitions' }), dl);
}
