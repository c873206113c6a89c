// Rollouts and interventions: per problem its attempts with numbered steps; for a failed attempt
// each verifier output, the first-error step it names highlighted, and its intervention spliced in
// as a diff (removed steps struck out, the intervention added). Filters by problem, outcome, verdict.
import type { CandidateVerdict } from '../../int/filter';
import { splice } from '../../int/splice';
import { el } from '../dom';
import type { RunRecord } from '../../worker/protocol';

interface Filters {
  text: string;
  outcome: 'all' | 'failed' | 'correct';
  verdict: 'all' | 'kept' | 'rejected';
}

/** Steps of an attempt with the first-error step (and the true one, if known) highlighted. */
function stepList(steps: string[], first: number | null, truth: number | null): HTMLElement {
  const ol = el('ol', { cls: 'steps' });
  steps.forEach((s, i) => {
    const li = el('li', { text: s });
    if (first === i + 1) li.classList.add('first-error');
    if (truth === i + 1) li.classList.add('true-error');
    ol.append(li);
  });
  return ol;
}

/** The intervention spliced into the attempt as a diff. */
export function spliceDiff(steps: string[], location: number, intervention: string): HTMLElement {
  const sp = splice(steps, location, intervention);
  const box = el('div', { cls: 'diff', attrs: { 'data-testid': 'spliced' } });
  sp.prefix.forEach((s, i) => box.append(el('div', { cls: 'same', text: `  ${i + 1}. ${s}` })));
  steps.slice(location - 1).forEach((s, i) => box.append(el('div', { cls: 'del', text: `- ${location + i}. ${s}` })));
  if (intervention.trim() !== '') box.append(el('div', { cls: 'add', text: `+ ${location}. ${intervention}` }));
  else box.append(el('div', { cls: 'add', text: '+ (step deleted)' }));
  return box;
}

export function rolloutsView(run: RunRecord): HTMLElement {
  const root = el('section', { attrs: { id: 'rollouts' } }, el('h2', { text: 'Rollouts and interventions' }));
  const f: Filters = { text: '', outcome: 'all', verdict: 'all' };
  const text = el('input', { attrs: { type: 'search', placeholder: 'problem id contains…' } });
  const outcome = el('select', {}, ...['all', 'failed', 'correct'].map((v) => el('option', { text: v, attrs: { value: v } })));
  const verdict = el('select', {}, ...['all', 'kept', 'rejected'].map((v) => el('option', { text: `interventions: ${v}`, attrs: { value: v } })));
  const list = el('div');
  root.append(
    el('p', { cls: 'filters' }, text, ' ', outcome, ' ', verdict),
    el('p', { cls: 'note', text: 'Shaded step: the first error the verifier names; dashed outline: the true first divergent step (when the task knows it). In a diff, struck-out steps are cut and the green line is the intervention spliced in their place.' }),
    list,
  );

  const verdicts = new Map<string, CandidateVerdict[]>();
  for (const v of run.filtered.verdicts) (verdicts.get(v.attemptId) ?? verdicts.set(v.attemptId, []).get(v.attemptId)!).push(v);
  const proposals = new Map(run.proposals.map((p) => [p.attemptId, p]));
  const byProblem = new Map<string, typeof run.attempts>();
  for (const a of run.attempts) (byProblem.get(a.problemId) ?? byProblem.set(a.problemId, []).get(a.problemId)!).push(a);

  const render = () => {
    list.replaceChildren();
    let shown = 0;
    for (const [pid, attempts] of byProblem) {
      if (f.text && !pid.includes(f.text)) continue;
      const keep = attempts.filter((a) => {
        if (f.outcome === 'failed' && a.correct) return false;
        if (f.outcome === 'correct' && !a.correct) return false;
        const vs = verdicts.get(a.id) ?? [];
        if (f.verdict === 'kept' && !vs.some((v) => v.status === 'kept')) return false;
        if (f.verdict === 'rejected' && !vs.some((v) => v.status !== 'kept')) return false;
        return true;
      });
      if (keep.length === 0) continue;
      shown++;
      const prob = el('details', { cls: 'problem' }, el('summary', { text: `${pid} (${attempts[0].tier}): ${attempts.filter((a) => a.correct).length}/${attempts.length} correct` }));
      for (const a of keep) {
        const steps = run.steps[a.id] ?? [a.text];
        const prop = proposals.get(a.id);
        const att = el('div', { cls: `attempt ${a.correct ? 'ok' : 'bad'}` }, el('h4', { text: `${a.id}: ${a.correct ? 'correct' : 'wrong'} (${a.reason})` }));
        const vs = verdicts.get(a.id) ?? [];
        const first = vs.find((v) => v.location !== null)?.location ?? null;
        att.append(stepList(steps, a.correct ? null : first, prop?.truth ?? null));
        if (prop) {
          prop.outputs.forEach((out, i) => {
            const v = vs.find((x) => x.sample === i);
            const box = el('div', { cls: `verifier ${v?.status === 'kept' ? 'kept' : 'rejected'}` });
            box.append(el('h5', { text: `verification ${i + 1}: ${v ? `${v.status} (${v.detail})` : 'no verdict'}${v?.location ? `, first error at step ${v.location}` : ''}` }), el('pre', { text: out }));
            if (v && v.location !== null && v.content !== null && v.location <= steps.length + 1) box.append(spliceDiff(steps, v.location, v.content));
            att.append(box);
          });
        }
        prob.append(att);
      }
      if (shown <= 3) prob.open = true;
      list.append(prob);
    }
    if (shown === 0) list.append(el('p', { text: 'no attempts match the filters' }));
  };
  text.addEventListener('input', () => ((f.text = text.value), render()));
  outcome.addEventListener('change', () => ((f.outcome = outcome.value as Filters['outcome']), render()));
  verdict.addEventListener('change', () => ((f.verdict = verdict.value as Filters['verdict']), render()));
  render();
  return root;
}
