// "Intervene yourself": open a failed attempt (the published run's, or a run of this browser), pick
// a step, write the line that should stand there, and the embedded model samples N continuations
// live (EngineApi.continueFrom) from the prefix alone, the prefix + that line, and the prefix + the
// model's own intervention; each start shows solved / samples, its success rate and the graded
// continuations, so the credit a single step gets is visible.
import type { IntConfig } from '../../int/config';
import { failedAttemptsOf, requestProblems } from '../../worker/intervene-plan';
import { CONTINUE_SAMPLES, type AttemptProblem, type ContinueEvents, type ContinueRequest, type ContinueResult, type ContinueStart, type DatasetUpload, type InterveneAttempt, type RunRecord } from '../../worker/protocol';
import { attemptLabel, groupContinuations, parseAttemptsFile, rateText, reading, startLabel, statusWords } from '../intervene-data';
import { button, el } from '../dom';

export interface InterveneDeps {
  /** Folder of the published run (results.json for its config, attempts.json). */
  publishedUrl: string;
  /** Absolute URL of the embedded model folder. */
  modelUrl: string;
  /** The uploaded dataset (a math run's attempts need it to grade); null for the chains world. */
  dataset(): DatasetUpload | null;
  attemptProblem(config: IntConfig, dataset: DatasetUpload | null, problemId: string): Promise<AttemptProblem>;
  /** EngineApi.continueFrom with the events proxied. */
  continueFrom(req: ContinueRequest, events: ContinueEvents): Promise<ContinueResult>;
  cancel(): void;
}

export interface InterveneView {
  root: HTMLElement;
  /** Load the published attempts (once); call when the tab is shown. */
  activate(): void;
  /** Offer the attempts of a run of this browser (null: only the published run). */
  setRun(r: RunRecord | null): void;
  /** Open one attempt of the current source by its id (e.g. from a "Try your own step" link). */
  /** Open an attempt (of the published run or this browser's latest run when `from` is given). */
  open(attemptId: string, from?: 'published' | 'run'): Promise<void>;
}

interface Source {
  label: string;
  config: IntConfig;
  attempts: InterveneAttempt[];
}

export function interveneView(d: InterveneDeps): InterveneView {
  const root = el('section', { cls: 'intervene', attrs: { 'data-testid': 'intervene' } });
  const sourceSel = el('select', { attrs: { 'data-testid': 'intervene-source', 'aria-label': 'Which run' } });
  const attemptSel = el('select', { attrs: { 'data-testid': 'intervene-attempt', 'aria-label': 'Failed attempt' } });
  const note = el('p', { cls: 'note', attrs: { 'data-testid': 'intervene-note' }, text: 'Loading the published run’s failed attempts…' });
  const problemBox = el('div', { cls: 'problem' });
  const stepsList = el('ol', { cls: 'steps pick', attrs: { 'data-testid': 'intervene-steps' } });
  const stepInput = el('input', { attrs: { type: 'text', 'data-testid': 'intervene-step', spellcheck: 'false', autocomplete: 'off' } });
  const stepLabel = el('label', { text: 'Your step', attrs: { for: 'intervene-step' } });
  stepInput.id = 'intervene-step';
  const useModel = button("Use the model's fix", () => setStep(current?.intervention?.content ?? ''), { 'data-testid': 'intervene-use-model' });
  const useOriginal = button("The attempt's own step", () => current && setStep(current.steps[picked - 1]));
  const nInput = el('input', { attrs: { type: 'number', min: String(CONTINUE_SAMPLES.min), max: String(CONTINUE_SAMPLES.max), step: '1', value: String(CONTINUE_SAMPLES.default), 'data-testid': 'intervene-n' } });
  const seedInput = el('input', { attrs: { type: 'number', min: '0', step: '1', value: '1', 'data-testid': 'intervene-seed' } });
  const sampleBtn = button('Sample', () => void sample(), { 'data-testid': 'intervene-sample' });
  const cancelBtn = button('Cancel', () => d.cancel(), { 'data-testid': 'intervene-cancel' });
  cancelBtn.disabled = true;
  const problems = el('ul', { cls: 'field-errors', attrs: { 'data-testid': 'intervene-problems' } });
  const progress = el('progress', { attrs: { max: '1', value: '0' } });
  const status = el('p', { cls: 'status', attrs: { 'data-testid': 'intervene-status', 'aria-live': 'polite' } });
  const results = el('div', { cls: 'intervene-results', attrs: { 'data-testid': 'intervene-results' } });
  progress.hidden = true;

  root.append(
    el('h2', { text: 'Intervene yourself' }),
    el('p', {
      cls: 'lead',
      text:
        'Open a failed attempt, pick the step you think went wrong and write the line that should stand there. The model then continues from it N times, ' +
        'and from the steps before it alone, and from its own intervention. How often each start reaches the right answer is the credit that one step gets: ' +
        'this is how InT decides which interventions to train on.',
    }),
    el('div', { cls: 'row' }, el('label', { text: 'Run ' }, sourceSel), el('label', { text: 'Attempt ' }, attemptSel)),
    note,
    problemBox,
    el('h3', { text: 'The attempt: pick a step' }),
    stepsList,
    el('div', { cls: 'your-step' }, stepLabel, stepInput, el('div', { cls: 'row' }, useModel, useOriginal)),
    el('div', { cls: 'row' }, el('label', { text: 'N per start ' }, nInput), el('label', { text: 'Seed ' }, seedInput), sampleBtn, cancelBtn, progress),
    problems,
    status,
    results,
  );

  /** The published run and the latest run of this browser, when there are. */
  const sources: Record<'published' | 'run', Source | null> = { published: null, run: null };
  let published: Promise<void> | null = null;
  let current: InterveneAttempt | null = null;
  let picked = 1;
  let running = false;

  const source = (): Source | null => sources[sourceSel.value as 'published' | 'run'] ?? null;

  /** List the sources; the shown one stays unless it is gone (then the first is opened). */
  function renderSources(): void {
    const at = sourceSel.value;
    const keys = (['published', 'run'] as const).filter((k) => sources[k]);
    sourceSel.replaceChildren(...keys.map((k) => el('option', { text: `${sources[k]!.label} (${sources[k]!.attempts.length} distinct failed attempts)`, attrs: { value: k } })));
    if (keys.includes(at as 'published' | 'run')) sourceSel.value = at;
    if (sourceSel.value !== at || !current) renderAttempts();
  }

  function renderAttempts(): void {
    const s = source();
    const byTier = new Map<string, InterveneAttempt[]>();
    for (const a of s?.attempts ?? []) byTier.set(a.tier, [...(byTier.get(a.tier) ?? []), a]);
    attemptSel.replaceChildren(
      ...[...byTier].map(([tier, as]) => el('optgroup', { attrs: { label: `${tier} tier` } }, ...as.map((a) => el('option', { text: attemptLabel(a), attrs: { value: a.attemptId } })))),
    );
    note.className = 'note';
    note.textContent =
      sourceSel.value === 'run'
        ? 'Continuations come from the embedded model (whatever model made this run) and are graded by the task’s own grader against the reference answer.'
        : 'Continuations come from the embedded model (the model of the published run) and are graded by the task’s own grader against the reference answer.';
    if (!s || s.attempts.length === 0) {
      if (s) note.textContent = 'This run has no failed attempt with steps: nothing to intervene on.';
      openAttempt(null);
      return;
    }
    openAttempt(s.attempts.find((a) => a.intervention?.status === 'kept') ?? s.attempts[0]);
  }

  function openAttempt(a: InterveneAttempt | null): void {
    current = a;
    results.replaceChildren();
    status.className = 'status';
    status.removeAttribute('role');
    status.textContent = '';
    problemBox.replaceChildren();
    if (!a) {
      stepsList.replaceChildren();
      check();
      return;
    }
    attemptSel.value = a.attemptId;
    picked = a.intervention && a.intervention.location <= a.steps.length ? a.intervention.location : Math.min(a.truth ?? 1, a.steps.length);
    setStep(a.steps[picked - 1]);
    void loadProblem(a);
  }

  async function loadProblem(a: InterveneAttempt): Promise<void> {
    const s = source();
    if (!s) return;
    try {
      const p = await d.attemptProblem(s.config, d.dataset(), a.problemId);
      if (current !== a) return;
      problemBox.replaceChildren(
        el('p', {}, el('strong', { text: 'Problem ' }), el('code', { text: p.statement, attrs: { 'data-testid': 'intervene-statement' } }), ` (${p.tier} tier; answer ${p.answer})`),
        el('details', {}, el('summary', { text: 'Reference solution' }), el('pre', { text: p.reference })),
        el('p', { cls: 'note', text: `The attempt failed: ${a.reason}.` }),
      );
    } catch (e) {
      if (current === a) problemBox.replaceChildren(el('p', { cls: 'status error', text: (e as Error).message }));
    }
  }

  function renderSteps(): void {
    const a = current;
    if (!a) return;
    stepsList.replaceChildren(
      ...a.steps.map((text, i) => {
        const k = i + 1;
        const marks: string[] = [];
        if (a.truth === k) marks.push('first wrong step');
        if (a.intervention?.location === k) marks.push(`model's fix: ${a.intervention.content} (${statusWords(a.intervention.status)})`);
        if (k === picked) marks.unshift('← your step replaces this');
        const li = el(
          'li',
          { cls: [k === picked ? 'picked' : '', a.truth === k ? 'true-error' : ''].join(' ').trim() },
          el('button', { cls: 'line', text: text, attrs: { type: 'button', 'data-step': String(k), 'aria-pressed': String(k === picked), title: `Replace step ${k}` } }),
          ...marks.map((m) => el('span', { cls: 'mark', text: m })),
        );
        li.querySelector('button')!.addEventListener('click', () => {
          picked = k;
          setStep(a.steps[k - 1]);
        });
        return li;
      }),
    );
    if (a.intervention && a.intervention.location > a.steps.length) {
      stepsList.append(el('li', { cls: 'appended' }, el('span', { cls: 'mark', text: `model's fix appended after the last step: ${a.intervention.content}` })));
    }
  }

  function setStep(text: string): void {
    stepInput.value = text;
    stepLabel.textContent = `Your step (replaces step ${picked})`;
    useModel.disabled = !current?.intervention;
    renderSteps();
    check();
  }

  function request(): ContinueRequest | null {
    const s = source();
    if (!s || !current) return null;
    const iv = current.intervention;
    return {
      config: s.config,
      dataset: d.dataset(),
      model: { kind: 'embedded', url: d.modelUrl },
      problemId: current.problemId,
      steps: current.steps,
      location: picked,
      step: stepInput.value,
      intervention: iv ? { location: iv.location, content: iv.content } : null,
      n: nInput.value.trim() === '' ? NaN : Number(nInput.value),
      seed: seedInput.value.trim() === '' ? NaN : Number(seedInput.value),
    };
  }

  /** Show what blocks sampling beside the button; Sample is enabled only when nothing does. */
  function check(): ContinueRequest | null {
    const r = request();
    const ps = r ? requestProblems(r) : ['open a failed attempt first'];
    problems.replaceChildren(...ps.map((p) => el('li', { text: p })));
    sampleBtn.disabled = running || ps.length > 0;
    return ps.length === 0 ? r : null;
  }

  async function sample(): Promise<void> {
    const r = check();
    if (!r || running) return;
    running = true;
    const a = current;
    // the attempt stays put while its continuations arrive
    sourceSel.disabled = attemptSel.disabled = true;
    sampleBtn.disabled = true;
    cancelBtn.disabled = false;
    progress.hidden = false;
    progress.value = 0;
    status.className = 'status';
    status.removeAttribute('role');
    status.textContent = `Sampling ${r.n} continuations from each start…`;
    const table = startsTable();
    results.replaceChildren(table.root);
    try {
      const res = await d.continueFrom(r, {
        progress: (done, total) => {
          progress.value = total > 0 ? done / total : 0;
        },
        start: (s) => table.add(s, a),
      });
      const sm = res.sampling;
      status.textContent = `Done in ${res.seconds.toFixed(1)} s: ${res.model}, temperature ${sm.temperature}, top-p ${sm.topP}, top-k ${sm.topK}, up to ${sm.maxNewTokens} new tokens (the pipeline's continuation sampling), seed ${res.seed}.`;
      results.prepend(el('p', { cls: 'reading', text: reading(res.starts, r.step.trim() === r.steps[r.location - 1].trim()), attrs: { 'data-testid': 'intervene-reading' } }));
      if (res.leak) results.prepend(el('p', { cls: 'status warn', text: `Your step gives the answer away (${res.leak}): the pipeline's filter would not train on it, and continuing from it tests little.` }));
      results.append(...res.starts.map(continuationsBox));
    } catch (e) {
      status.className = 'status error';
      status.setAttribute('role', 'alert');
      status.textContent = (e as Error).message;
    } finally {
      running = false;
      sourceSel.disabled = attemptSel.disabled = false;
      cancelBtn.disabled = true;
      progress.hidden = true;
      check();
    }
  }

  for (const inp of [stepInput, nInput, seedInput]) inp.addEventListener('input', () => check());
  sourceSel.addEventListener('change', renderAttempts);
  attemptSel.addEventListener('change', () => openAttempt(source()?.attempts.find((a) => a.attemptId === attemptSel.value) ?? null));
  stepInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !sampleBtn.disabled) void sample();
  });
  check();

  async function loadPublished(): Promise<void> {
    try {
      const get = async (name: string) => {
        const url = new URL(name, d.publishedUrl).href;
        const res = await fetch(url);
        if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
        return res.json() as Promise<unknown>;
      };
      const [results, file] = await Promise.all([get('results.json'), get('attempts.json')]);
      const r = results as { config: IntConfig; preset: string | null; seed: number };
      sources.published = { label: `Published run: ${r.preset ?? 'custom'}, seed ${r.seed}`, config: r.config, attempts: parseAttemptsFile(file, new URL('attempts.json', d.publishedUrl).href) };
      renderSources();
    } catch (e) {
      note.className = 'status error';
      note.textContent = `The published run's failed attempts could not be read: ${(e as Error).message}`;
    }
  }

  return {
    root,
    activate() {
      published ??= loadPublished();
    },
    setRun(r) {
      const attempts = r ? failedAttemptsOf({ attempts: r.attempts, proposals: r.proposals, filtered: r.filtered, steps: r.steps }) : [];
      sources.run = r ? { label: `Run of this browser, ${r.created.slice(0, 16).replace('T', ' ')}`, config: r.config, attempts } : null;
      renderSources();
    },
    async open(attemptId, from) {
      if (from === 'published') await (published ??= loadPublished());
      if (from && sources[from]) {
        sourceSel.value = from;
        renderAttempts();
      }
      const all = source()?.attempts ?? [];
      // Equal attempts of a problem are listed once (under the first one's id): fall back to the problem.
      const problemId = attemptId.replace(/#\d+$/, '');
      const a = all.find((x) => x.attemptId === attemptId) ?? all.find((x) => x.problemId === problemId);
      if (a) openAttempt(a);
      else if (from) {
        note.className = 'status error';
        note.textContent = `Attempt ${attemptId} is not among this run's failed attempts with steps: pick one from the list.`;
      }
    },
  };
}

/** The counts table, filled in start by start. */
function startsTable(): { root: HTMLTableElement; add(s: ContinueStart, a: InterveneAttempt | null): void } {
  const body = el('tbody');
  const root = el(
    'table',
    { cls: 'report starts', attrs: { 'data-testid': 'intervene-counts' } },
    el('thead', {}, el('tr', {}, ...['Start', 'Continues after', 'Solved / samples', 'Success rate'].map((h) => el('th', { text: h })))),
    body,
  );
  return {
    root,
    add(s, a) {
      const r = rateText(s.solved, s.samples);
      const bar = el('span', { cls: `bar ${s.kind}` });
      bar.style.width = `${s.samples > 0 ? (100 * s.solved) / s.samples : 0}%`;
      const checked = s.kind === 'model' && a?.checked ? ` (the run's own check: ${a.checked.correct} / ${a.checked.samples})` : '';
      body.append(
        el(
          'tr',
          { attrs: { 'data-testid': 'intervene-count', 'data-kind': s.kind, 'data-solved': String(s.solved), 'data-samples': String(s.samples) } },
          el('td', { text: startLabel(s.kind, s.location) + (s.kind === 'yours' && a && s.step === a.steps[s.location - 1]?.trim() ? " (the attempt's own step)" : '') }),
          el('td', {}, el('code', { text: s.steps.length > 0 ? s.steps.join(' ⏎ ') : '(nothing: the problem alone)' })),
          el('td', { text: r.count + checked }),
          el('td', {}, el('span', { cls: 'rate' }, bar), ` ${r.percent}`),
        ),
      );
    },
  };
}

/** The graded continuations of one start, equal ones grouped with their count. */
function continuationsBox(s: ContinueStart): HTMLElement {
  return el(
    'details',
    { cls: 'continuations', attrs: { 'data-kind': s.kind } },
    el('summary', { text: `${startLabel(s.kind, s.location)}: ${s.solved} of ${s.samples} continuations reach the answer` }),
    el(
      'ul',
      {},
      ...groupContinuations(s.continuations).map((c) =>
        el(
          'li',
          { cls: c.correct ? 'ok' : 'bad' },
          el('span', { cls: 'mark', text: `${c.correct ? '✓' : '✗'} ${c.count} ×` }),
          ' ',
          el('code', { text: c.text.trim() === '' ? '(stopped at once)' : c.text.trim().replace(/\n/g, ' ⏎ ') }),
          ` ${c.reason}`,
        ),
      ),
    ),
  );
}
