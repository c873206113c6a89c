// Interventions and rollouts of a run. Interventions (from the run's interventions.jsonl): for each
// verification of a failed attempt, the problem, the reference solution, the attempt with the step
// the verifier located highlighted, the verifier's check in plain words, the intervention spliced
// in (prefix + replacement step) and the continuations from the prefix, prefix + original step and
// prefix + intervention; filtered by verdict (kept / rejected) and problem. Rollouts: per problem
// its graded attempts with numbered steps, filtered by outcome. The published view shows the same
// interventions panel for the published run.
import { splice } from '../../int/splice';
import { button, el } from '../dom';
import type { RunRecord } from '../../worker/protocol';
import {
  continuationLines,
  gradeWords,
  isKept,
  locationWords,
  parseInterventions,
  plainVerifierLog,
  solvedText,
  statusCounts,
  statusLabel,
  type InterventionRow,
} from '../interventions-data';
import { pipelineDiagram, type NodeId } from './pipeline';

export type VerdictFilter = 'kept' | 'rejected' | 'all';
export type OutcomeFilter = 'all' | 'failed' | 'correct';

/** What a pipeline step opens in this view. */
export type Focus = { section: 'interventions'; verdict: VerdictFilter } | { section: 'rollouts'; outcome: OutcomeFilter };

/** The section of this view a pipeline step opens, or 'results' (SFT, RL, eval). */
export function focusOf(node: NodeId): Focus | 'results' {
  switch (node) {
    case 'rollouts':
      return { section: 'rollouts', outcome: 'all' };
    case 'failures':
      return { section: 'rollouts', outcome: 'failed' };
    case 'verify':
    case 'locate':
      return { section: 'interventions', verdict: 'all' };
    case 'intervene':
      return { section: 'interventions', verdict: 'kept' };
    case 'filter':
      return { section: 'interventions', verdict: 'rejected' };
    default:
      return 'results';
  }
}

/** Steps as a numbered list; `located` (the verifier's first error) shaded, `truth` outlined. */
function stepList(steps: readonly string[], located: number | null, truth: number | null, testid?: string): HTMLElement {
  const ol = el('ol', { cls: 'steps', attrs: testid ? { 'data-testid': testid } : {} });
  steps.forEach((s, i) => {
    const li = el('li', { text: s });
    if (located === i + 1) {
      li.classList.add('first-error');
      li.setAttribute('data-testid', 'located-step');
      li.title = 'the step the verifier located as the first error';
    }
    if (truth === i + 1) li.classList.add('true-error');
    ol.append(li);
  });
  if (located !== null && located === steps.length + 1) ol.append(el('li', { cls: 'first-error appended', text: '(after the last step)', attrs: { 'data-testid': 'located-step' } }));
  return ol;
}

/** The intervention spliced into the attempt: the prefix kept, the steps from the located one on
 *  struck out, the replacement step added in their place. */
export function spliceDiff(steps: string[], location: number, intervention: string): HTMLElement {
  const sp = splice(steps, location, intervention);
  const box = el('div', { cls: 'diff', attrs: { 'data-testid': 'spliced' } });
  sp.prefix.forEach((s, i) => box.append(el('div', { cls: 'same', text: `  ${i + 1}. ${s}` })));
  steps.slice(location - 1).forEach((s, i) => box.append(el('div', { cls: 'del', text: `- ${location + i}. ${s}` })));
  if (intervention.trim() !== '') box.append(el('div', { cls: 'add', text: `+ ${location}. ${intervention}` }));
  else box.append(el('div', { cls: 'add', text: '+ (step deleted)' }));
  return box;
}

const block = (title: string, ...body: (Node | string)[]) => el('section', { cls: 'iv-block' }, el('h5', { text: title }), ...body);
const missing = (what: string) => el('p', { cls: 'note', text: `${what} is not recorded in this run's interventions file (written before it was).` });

/** The verifier's check, one line in words per step; the raw output under it. */
function verifierBlock(r: InterventionRow): HTMLElement {
  const plain = plainVerifierLog(r.verification);
  const raw = el('details', { cls: 'raw' }, el('summary', { text: 'as the model wrote it' }), el('pre', { text: r.verification }));
  if (!plain) return block('The verifier\'s output', el('pre', { text: r.verification }));
  const ul = el('ul', { cls: 'plain-log', attrs: { 'data-testid': 'verifier-log' } });
  for (const l of plain) ul.append(el('li', { cls: l.verdict, text: l.words }));
  if (r.location !== null && r.intervention !== null) ul.append(el('li', { cls: 'proposal', text: `then proposes: replace step ${r.location} with ${r.intervention.trim() === '' ? 'nothing (delete it)' : `"${r.intervention}"`}` }));
  return block('The verifier\'s check, line by line', ul, raw);
}

/** Continuations from each start, solved / samples, with a bar each. */
function continuationsBlock(r: InterventionRow): HTMLElement {
  const lines = continuationLines(r);
  if (lines.length === 0) {
    return block('Continuations', el('p', { cls: 'note', text: 'None were sampled for this one: the diagnostics continue only kept interventions of problems the model never solved, and the continuation check (when on) only kept ones.' }));
  }
  const t = el('table', { cls: 'report continuations', attrs: { 'data-testid': 'continuations' } }, el('thead', {}, el('tr', {}, el('th', { text: 'continue from' }), el('th', { text: 'solved / samples' }))));
  const body = el('tbody');
  for (const l of lines) {
    const share = l.count.samples > 0 ? l.count.correct / l.count.samples : 0;
    const bar = el('span', { cls: 'bar', attrs: { style: `width:${(100 * share).toFixed(0)}%` } });
    body.append(el('tr', { attrs: { 'data-start': l.start } }, el('td', { text: l.label }), el('td', {}, el('span', { cls: 'count', text: solvedText(l.count) }), el('span', { cls: 'bar-box' }, bar))));
  }
  t.append(body);
  const note = r.starts
    ? 'Each start is continued by the same model with the same number of samples. If the intervention carries the credit, "prefix + intervention" solves far more often than the prefix alone or the prefix with the original step.'
    : 'Only the continuation check ran for this one (continuations from prefix + intervention); the other starts are measured for kept interventions of never-solved problems.';
  return block('Continuations', t, el('p', { cls: 'note', text: note }));
}

const SHORT_START: Record<string, string> = { prefix: 'prefix', prefix_original: '+ original', prefix_intervention: '+ intervention', check: 'prefix + intervention' };

/** One intervention with everything around it. */
export function interventionCard(r: InterventionRow, open = false, tryStep?: (attemptId: string) => void): HTMLElement {
  const kept = isKept(r);
  const cont = continuationLines(r);
  const short = cont.length ? ` · solved from ${cont.filter((c) => c.start !== 'problem_only').map((c) => `${SHORT_START[c.start]} ${c.count.correct}/${c.count.samples}`).join(', ')}` : '';
  const summary = el('summary', {}, el('span', { cls: `verdict ${kept ? 'kept' : 'rejected'}`, text: kept ? 'kept' : 'rejected' }), ` ${r.problemId}, verification ${r.sample + 1}${r.location !== null ? `, step ${r.location}` : ''}${short}`);
  const card = el('details', { cls: `intervention ${kept ? 'kept' : 'rejected'}`, attrs: { 'data-testid': 'intervention', 'data-attempt': r.attemptId, 'data-sample': String(r.sample) } }, summary);
  card.open = open;
  const problem = r.problem !== null ? el('p', { cls: 'problem-text', text: r.problem, attrs: { 'data-testid': 'iv-problem' } }) : missing('The problem');
  const answer = r.answer !== null ? el('p', { cls: 'note', text: `answer: ${r.answer}` }) : '';
  const reference = r.reference !== null ? stepList(r.reference.split('\n').filter((s) => s.trim() !== ''), null, null, 'iv-reference') : missing('The reference solution');
  const grid = el(
    'div',
    { cls: 'iv-grid' },
    block('Problem', problem, answer),
    block('Reference solution', reference),
    block('The model\'s attempt (failed)', stepList(r.steps, r.location, r.trueLocation, 'iv-attempt'), el('p', { cls: 'note', text: 'Shaded: the step the verifier located. Dashed outline: the true first error (the task knows it).' })),
  );
  const located = el('p', { cls: 'iv-location', attrs: { 'data-testid': 'iv-location' }, text: locationWords(r) });
  const spliced =
    r.location !== null && r.intervention !== null && r.location <= r.steps.length + 1
      ? block('The intervention spliced in (prefix + replacement step)', spliceDiff(r.steps, r.location, r.intervention))
      : block('The intervention', el('p', { cls: 'note', text: 'No usable intervention: nothing to splice.' }));
  const why = r.detail && r.detail !== r.status && r.detail !== 'kept' ? ` (${r.detail})` : '';
  const verdict = el('p', { cls: `verdict-line ${kept ? 'kept' : 'rejected'}` }, el('strong', { text: 'The filter\'s verdict' }), ` — ${statusLabel(r.status)}${why}.`);
  card.append(grid, verifierBlock(r), block('Located step', located), spliced, continuationsBlock(r), verdict);
  if (tryStep) {
    const b = el('button', { text: 'Try your own step on this attempt', attrs: { type: 'button', 'data-testid': 'iv-try' } });
    b.addEventListener('click', () => tryStep(r.attemptId));
    card.append(el('p', {}, b));
  }
  return card;
}

const PAGE = 10;

export interface InterventionsPanel {
  root: HTMLElement;
  /** Show kept / rejected / all (and clear the search). */
  setVerdict(v: VerdictFilter): void;
  /** Show the interventions of one attempt. */
  showAttempt(attemptId: string): void;
}

/** The interventions of a run, filtered by verdict and problem, PAGE at a time; one card open. */
/** `tryStep`: open an attempt in "Intervene yourself" (a button on each card). */
export function interventionsPanel(rows: readonly InterventionRow[], verdict?: VerdictFilter, tryStep?: (attemptId: string) => void): InterventionsPanel {
  const counts = statusCounts(rows);
  const f = { verdict: verdict ?? (counts.kept > 0 ? 'kept' : 'all'), text: '', shown: PAGE };
  const text = el('input', { attrs: { type: 'search', placeholder: 'problem or attempt id contains…', 'aria-label': 'filter by problem or attempt id' } });
  const select = el(
    'select',
    { attrs: { 'aria-label': 'which interventions', 'data-testid': 'verdict-filter' } },
    ...(['kept', 'rejected', 'all'] as const).map((v) => el('option', { text: { kept: `kept (trained on): ${counts.kept}`, rejected: `rejected by the filter: ${counts.rejected}`, all: `all verifications: ${counts.all}` }[v], attrs: { value: v } })),
  );
  const list = el('div', { cls: 'intervention-list' });
  const more = button('Show more', () => ((f.shown += PAGE), render()));
  const count = el('p', { cls: 'note' });
  const root = el('div', { cls: 'interventions', attrs: { 'data-testid': 'interventions' } }, el('p', { cls: 'filters' }, select, ' ', text), count, list, more);

  const render = () => {
    select.value = f.verdict;
    text.value = f.text;
    const match = rows.filter((r) => (f.verdict === 'all' || (f.verdict === 'kept') === isKept(r)) && (!f.text || r.problemId.includes(f.text) || r.attemptId === f.text || r.attemptId.includes(f.text)));
    // the first card opens: the first with continuations to show, else the first
    const page = match.slice(0, f.shown);
    const first = Math.max(0, page.findIndex((r) => continuationLines(r).length > 0));
    list.replaceChildren(...page.map((r, i) => interventionCard(r, i === first, tryStep)));
    if (match.length === 0) list.append(el('p', { text: rows.length === 0 ? 'This run has no verifications: no attempt failed, or the run stopped before verifying.' : 'No intervention matches the filters.' }));
    count.textContent = match.length > 0 ? `${Math.min(f.shown, match.length)} of ${match.length} shown; click one to open it.` : '';
    more.hidden = match.length <= f.shown;
  };
  select.addEventListener('change', () => ((f.verdict = select.value as VerdictFilter), (f.shown = PAGE), render()));
  text.addEventListener('input', () => ((f.text = text.value.trim()), (f.shown = PAGE), render()));
  render();
  return {
    root,
    setVerdict(v) {
      Object.assign(f, { verdict: v, text: '', shown: PAGE });
      render();
    },
    showAttempt(id) {
      Object.assign(f, { verdict: 'all', text: id, shown: PAGE });
      render();
    },
  };
}

/** The graded attempts per problem, filtered by outcome; a failed attempt links to its interventions. */
function rolloutsList(run: RunRecord, outcome: OutcomeFilter, showAttempt: (id: string) => void): { root: HTMLElement; setOutcome(o: OutcomeFilter): void } {
  const f = { text: '', outcome };
  const text = el('input', { attrs: { type: 'search', placeholder: 'problem id contains…', 'aria-label': 'filter attempts by problem id' } });
  const select = el('select', { attrs: { 'aria-label': 'which attempts', 'data-testid': 'outcome-filter' } }, ...(['all', 'failed', 'correct'] as const).map((v) => el('option', { text: { all: 'all attempts', failed: 'failed attempts', correct: 'correct attempts' }[v], attrs: { value: v } })));
  const list = el('div');
  const verified = new Set(run.proposals.map((p) => p.attemptId));
  const byProblem = new Map<string, typeof run.attempts>();
  for (const a of run.attempts) (byProblem.get(a.problemId) ?? byProblem.set(a.problemId, []).get(a.problemId)!).push(a);
  const render = () => {
    select.value = f.outcome;
    list.replaceChildren();
    let shown = 0;
    for (const [pid, attempts] of byProblem) {
      if (f.text && !pid.includes(f.text)) continue;
      const keep = attempts.filter((a) => f.outcome === 'all' || (f.outcome === 'correct') === a.correct);
      if (keep.length === 0) continue;
      shown++;
      const prob = el('details', { cls: 'problem' }, el('summary', { text: `${pid} (${attempts[0].tier}): ${attempts.filter((a) => a.correct).length} of ${attempts.length} attempts correct` }));
      for (const a of keep) {
        const head = el('h4', { text: `attempt ${a.id.replace(/^.*#/, '')}: ${a.correct ? 'correct' : 'wrong'}, ${gradeWords(a.reason)}` });
        const att = el('div', { cls: `attempt ${a.correct ? 'ok' : 'bad'}` }, head, stepList(run.steps[a.id] ?? [a.text], null, null));
        if (verified.has(a.id)) att.append(button('Its verifications and interventions', () => showAttempt(a.id)));
        prob.append(att);
      }
      if (shown <= 3) prob.open = true;
      list.append(prob);
    }
    if (shown === 0) list.append(el('p', { text: 'No attempts match the filters.' }));
  };
  text.addEventListener('input', () => ((f.text = text.value), render()));
  select.addEventListener('change', () => ((f.outcome = select.value as OutcomeFilter), render()));
  render();
  return { root: el('div', {}, el('p', { cls: 'filters' }, select, ' ', text), list), setOutcome: (o) => ((f.outcome = o), render()) };
}

export interface RolloutsOptions {
  /** Open the results view (the pipeline's SFT, RL and eval steps). */
  openResults?(): void;
  focus?: Focus;
  /** Open a failed attempt in "Intervene yourself". */
  tryStep?(attemptId: string): void;
}

/** The view of one run: its pipeline (every step linked), the interventions, the rollouts. */
export function rolloutsView(run: RunRecord, o: RolloutsOptions = {}): HTMLElement {
  const root = el('section', { attrs: { id: 'rollouts' } }, el('h2', { text: 'Interventions and rollouts' }));
  let rows: InterventionRow[] = [];
  let problem = '';
  try {
    const jsonl = run.files?.jsonl;
    if (typeof jsonl !== 'string') throw new Error('This run record holds no interventions file (files.jsonl): export the run again from the browser that ran it.');
    rows = parseInterventions(jsonl);
  } catch (e) {
    problem = (e as Error).message;
  }
  const focus = o.focus ?? { section: 'interventions', verdict: statusCounts(rows).kept > 0 ? 'kept' : 'all' };
  const panel = interventionsPanel(rows, focus.section === 'interventions' ? focus.verdict : undefined, o.tryStep);
  const ivBox = el('section', { cls: 'iv-section', attrs: { id: 'interventions' } }, el('h3', { text: 'Interventions' }), el('p', { cls: 'note', text: 'Each failed attempt is checked by the same model against the reference; its intervention replaces the first wrong step. Open one to follow it from the problem to the continuations.' }));
  if (problem) ivBox.append(el('p', { cls: 'status error', text: problem }));
  ivBox.append(panel.root);
  const ro = rolloutsList(run, focus.section === 'rollouts' ? focus.outcome : 'all', (id) => (panel.showAttempt(id), ivBox.scrollIntoView({ block: 'start' })));
  const roBox = el('section', { cls: 'ro-section', attrs: { id: 'attempts' } }, el('h3', { text: 'Rollouts: the graded attempts' }), ro.root);
  const go = (node: NodeId) => {
    const to = focusOf(node);
    if (to === 'results') return o.openResults?.();
    if (to.section === 'interventions') {
      panel.setVerdict(to.verdict);
      ivBox.scrollIntoView({ block: 'start' });
    } else {
      ro.setOutcome(to.outcome);
      roBox.scrollIntoView({ block: 'start' });
    }
  };
  const diagram = pipelineDiagram({ arms: Object.keys(run.results.arms), results: run.results, open: go });
  root.append(diagram.root, ivBox, roBox);
  if (o.focus) queueMicrotask(() => (o.focus!.section === 'interventions' ? ivBox : roBox).scrollIntoView({ block: 'start' }));
  return root;
}
