// The InT pipeline as a diagram: rollouts -> failures -> verify -> locate -> intervene -> filter ->
// SFT -> RL -> eval. During a run each step lights up from the run's stage events (waiting, running,
// done; a step spans the stages that compute it, see NODE_STAGES); a finished run (or the published
// one) shows every step done with its count from results.json, and each step opens its data.
import { PARSE_FAILURE_REASONS } from '../../int/parse';
import type { ExperimentResults } from '../../int/report';
import { el } from '../dom';
import type { RunEvents } from '../../worker/protocol';

export type NodeId = 'rollouts' | 'failures' | 'verify' | 'locate' | 'intervene' | 'filter' | 'sft' | 'rl' | 'eval';

export interface PipelineNode {
  id: NodeId;
  label: string;
  /** What the step does (hover text and the caption of a narrow screen). */
  what: string;
}

export const PIPELINE_NODES: readonly PipelineNode[] = Object.freeze([
  { id: 'rollouts', label: 'rollouts', what: 'The model attempts every training problem several times; each attempt is graded against the answer.' },
  { id: 'failures', label: 'failures', what: 'The failed attempts (wrong final answer) go on to verification.' },
  { id: 'verify', label: 'verify', what: 'The same model checks its failed attempt line by line against the reference solution.' },
  { id: 'locate', label: 'locate', what: 'It names the first step that went wrong.' },
  { id: 'intervene', label: 'intervene', what: 'It writes a corrected step for that place; the attempt is cut before the wrong step and the fix spliced in. Continuations from there measure whether the fix helps.' },
  { id: 'filter', label: 'filter', what: 'Interventions that do not parse, give away the answer, repeat another one, or (when checked) lead nowhere are dropped; one per attempt is kept.' },
  { id: 'sft', label: 'SFT', what: 'Supervised fine-tuning on problem -> prefix + intervention (and the baselines\' data).' },
  { id: 'rl', label: 'RL', what: 'Reinforcement learning with a correctness reward, starting from the SFT model.' },
  { id: 'eval', label: 'eval', what: 'Held-out problems, sampled several times per arm: pass@k with intervals.' },
]);

/** The run stages that compute each step ('load model' is the browser's first stage). */
export function nodeStages(arms: readonly string[]): Record<NodeId, string[]> {
  const per = (s: string) => arms.map((a) => `${a}/${s}`);
  return {
    rollouts: ['load model', 'pool', 'rollouts'],
    failures: ['rollouts'],
    verify: ['propose'],
    locate: ['propose'],
    intervene: ['propose', 'diagnostics'],
    filter: ['filter', 'continuations'],
    sft: ['reflect', 'sft-sets', ...per('sft')],
    rl: per('rl'),
    eval: per('eval'),
  };
}

export type StageState = 'waiting' | 'active' | 'done';

/** A step's state from its stages' states (stages the run does not have are left out): done when
 *  all are done, running when one runs or some are done, else waiting; with done / total stages. */
export function nodeState(stages: readonly string[], states: ReadonlyMap<string, StageState>): { state: StageState; done: number; total: number } {
  const mine = stages.filter((s) => states.has(s));
  const done = mine.filter((s) => states.get(s) === 'done').length;
  const state: StageState = mine.length > 0 && done === mine.length ? 'done' : done > 0 || mine.some((s) => states.get(s) === 'active') ? 'active' : 'waiting';
  return { state, done, total: mine.length };
}

const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(100 * x)}%` : 'n/a');

/** Each step's count in a finished run (from results.json). */
export function nodeCounts(r: ExperimentResults): Record<NodeId, string> {
  const p = r.pipeline;
  const by = p.filter.byStatus as Record<string, number>;
  const unparsed = PARSE_FAILURE_REASONS.reduce((n, k) => n + (by[k] ?? 0), 0);
  const loc = r.diagnostics.location;
  const rlArms = Object.values(r.arms).filter((a) => a.rlSteps > 0).length;
  return {
    rollouts: `${p.rollouts.attempts} attempts at ${r.problems.pool} problems`,
    failures: `${p.rollouts.failures} failed; ${p.rollouts.problemsNeverSolved} problems never solved`,
    verify: `${p.proposals.outputs} checks of ${p.proposals.attempts} attempts`,
    locate: loc ? `right step for ${pct(loc.accuracy)} of ${loc.scored} attempts` : `${p.proposals.outputs - unparsed} steps named`,
    intervene: `${p.proposals.outputs - unparsed} fixes proposed`,
    filter: `${p.afterContinuation.byStatus.kept} kept`,
    sft: `${p.sftRows.interventions} InT training rows`,
    rl: `${r.config.rl.steps} step${r.config.rl.steps === 1 ? '' : 's'} × ${rlArms} arm${rlArms === 1 ? '' : 's'}`,
    eval: `${r.problems.test} problems × ${r.config.eval.samples} samples`,
  };
}

export interface PipelineDiagram {
  root: HTMLElement;
  /** The run's stage events (tee them beside the run view's). */
  events: Pick<RunEvents, 'stage' | 'stageDone' | 'stageLoaded'>;
  /** The run ended: with its results every step links to its data; null (failed run): links stay off. */
  finish(results: ExperimentResults | null): void;
}

export interface DiagramOptions {
  /** The run's stages (the run view's stage list); left out for a finished run. */
  stages?: readonly string[];
  arms: readonly string[];
  /** A finished run: every step done, with its counts, linked. */
  results?: ExperimentResults;
  /** Open a step's data. */
  open(node: NodeId): void;
}

/** The diagram; see the file header. */
export function pipelineDiagram(o: DiagramOptions): PipelineDiagram {
  const byNode = nodeStages(o.arms);
  const states = new Map<string, StageState>((o.stages ?? []).map((s) => [s, 'waiting']));
  /** Units done / total of each running stage (its progress events). */
  const progress = new Map<string, string>();
  const list = el('ol', { cls: 'pipeline-steps' });
  const root = el('nav', { cls: 'pipeline', attrs: { 'aria-label': 'The InT pipeline, step by step', 'data-testid': 'pipeline' } }, list);
  const items = new Map<NodeId, { li: HTMLLIElement; btn: HTMLButtonElement; note: HTMLElement }>();
  for (const n of PIPELINE_NODES) {
    const note = el('span', { cls: 'node-note' });
    const btn = el('button', { attrs: { type: 'button', title: n.what, 'data-node': n.id } }, el('span', { cls: 'node-label', text: n.label }), note);
    btn.addEventListener('click', () => o.open(n.id));
    const li = el('li', { cls: 'node waiting', attrs: { 'data-testid': 'pipeline-node', 'data-node': n.id } }, btn);
    items.set(n.id, { li, btn, note });
    list.append(li);
  }
  const caption = el('p', { cls: 'note pipeline-caption' });
  root.append(caption);

  const paint = (counts: Record<NodeId, string> | null) => {
    for (const n of PIPELINE_NODES) {
      const it = items.get(n.id)!;
      const s = counts ? { state: 'done' as const, done: 1, total: 1 } : nodeState(byNode[n.id], states);
      it.li.className = `node ${s.state}`;
      it.btn.disabled = !counts;
      const running = byNode[n.id].find((st) => states.get(st) === 'active');
      const now = running ? `running ${running}${progress.get(running) ?? ''}` : 'running';
      it.note.textContent = counts ? counts[n.id] : s.state === 'waiting' ? 'waiting' : s.state === 'done' ? 'done' : s.total > 1 ? `${now}; ${s.done} of ${s.total} stages done` : now;
      it.btn.setAttribute('aria-label', `${n.label}: ${it.note.textContent}${counts ? ' (opens its data)' : ''}`);
    }
    caption.textContent = counts
      ? 'Every step is done. Click a step to see its data: the attempts, the verifier\'s checks and interventions, or the results.'
      : 'The steps light up as the run computes them (hover for what each does); their data opens here when the run ends.';
  };
  const set = (name: string, st: StageState) => {
    if (!states.has(name) || (states.get(name) === 'done' && st === 'active')) return;
    states.set(name, st);
    paint(null);
  };
  if (o.results) paint(nodeCounts(o.results));
  else paint(null);
  return {
    root,
    events: {
      stage: (name, done, total) => {
        if (total > 1) progress.set(name, ` ${done}/${total}`);
        set(name, 'active');
      },
      stageDone: (name) => set(name, 'done'),
      stageLoaded: (name) => set(name, 'done'),
    },
    finish(results) {
      if (results) paint(nodeCounts(results));
    },
  };
}
