// The GPU suite's one JSON and its Markdown table, assembled from the JSON objects the kernels, model
// and peer benchmarks print (their last stdout line with --json). Pure: no GPU, no files.

type Json = Record<string, unknown>;

/** What running one benchmark of the suite gave. */
export interface SuitePart {
  suite: string;
  /** Arguments the benchmark ran with (its own flags, without --json). */
  args: string[];
  /** Wall seconds of the child process. */
  elapsed_s: number;
  /** The benchmark's result object, or null when it failed. */
  result: Json | null;
  /** Why it failed (exit code and the last error line), or null. */
  error: string | null;
}

export interface SuiteSummary {
  suite: 'gpu-suite';
  started: string;
  elapsed_s: number;
  quick: boolean;
  adapter: string | null;
  host: { cpus: number | null; loadavg_1m: Array<{ suite: string; start: number | null; end: number | null }> };
  /** Every benchmark's notes, prefixed by its name, plus the suite's own. */
  notes: string[];
  parts: SuitePart[];
}

const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const arr = (v: unknown): Json[] => (Array.isArray(v) ? v.map(obj).filter((x): x is Json => x !== null) : []);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The summary object written as the suite's JSON. `extraNotes` come first (e.g. the vocabulary cap in force). */
export function assembleSuite(parts: SuitePart[], opts: { started: string; elapsed_s: number; quick: boolean; extraNotes?: string[] }): SuiteSummary {
  const notes = [...(opts.extraNotes ?? [])];
  let adapter: string | null = null;
  let cpus: number | null = null;
  const load: SuiteSummary['host']['loadavg_1m'] = [];
  for (const p of parts) {
    if (p.error) notes.push(`${p.suite}: FAILED: ${p.error}`);
    const r = p.result;
    if (!r) continue;
    adapter ??= str(r.adapter_description) ?? str(obj(r.runs_on)?.ours);
    const host = obj(r.host);
    cpus ??= num(host?.cpus);
    load.push({ suite: p.suite, start: num(host?.loadavg_1m_start), end: num(host?.loadavg_1m_end) });
    for (const n of Array.isArray(r.notes) ? r.notes : []) if (typeof n === 'string') notes.push(`${p.suite}: ${n}`);
    const model = obj(r.model);
    const vocab = num(model?.vocab);
    const requested = num(model?.vocab_requested);
    if (p.suite === 'model' && vocab !== null && requested !== null && vocab < requested && !notes.some((n) => n.startsWith('model: vocabulary'))) {
      notes.push(`model: measured with ${vocab} of ${requested} vocabulary rows`);
    }
  }
  return { suite: 'gpu-suite', started: opts.started, elapsed_s: opts.elapsed_s, quick: opts.quick, adapter, host: { cpus, loadavg_1m: load }, notes, parts };
}

const cell = (v: unknown, d = 2): string => {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(d);
  return String(v).replace(/\|/g, '\\|');
};

function table(head: string[], rows: unknown[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map((x) => cell(x)).join(' | ')} |`)];
}

function kernelsSection(r: Json): string[] {
  const out = ['## Kernels (GFLOP/s)', ''];
  const rows = arr(r.results);
  out.push(...table(['name', 'shape', 'dtype', 'ours', 'ours transB', 'ort', 'naive', 'ours ms', 'check'], rows.map((k) => [k.name, k.shape, k.dtype, k.ours_gflops, k.ours_transB_gflops, k.ort_gflops, k.naive_gflops, k.ours_ms, k.check])));
  const sampling = arr(r.sampling);
  if (sampling.length) {
    out.push('', '### Sampling (ms per call)', '');
    out.push(...table(['name', 'vocab', 'batch', 'top-k', 'top-p', 'radix ms', 'sort ms', 'sort / radix', 'same ids'], sampling.map((s) => [s.name, s.vocab, s.batch, s.topK, s.topP, s.radix_ms, s.sort_ms, s.speedup, s.same_ids])));
  }
  return out;
}

function modelSection(r: Json): string[] {
  const m = obj(r.model) ?? {};
  const res = obj(r.results) ?? {};
  const est = obj(res.full_vocab_estimate);
  const out = [
    '## Model (tokens/s)',
    '',
    `${cell(m.shapes)}: ${cell(m.layers)} layers, vocabulary ${cell(m.vocab)} of ${cell(m.vocab_requested)}, ${cell(m.weights_dtype)} weights.`,
    '',
  ];
  const head = ['measure', 'measured'];
  if (est) head.push(`est. full vocab (${cell(est.vocab)})`);
  const rows: unknown[][] = [['prefill', res.prefill_tps, ...(est ? [est.prefill_tps] : [])]];
  const decode = obj(res.decode_tps) ?? {};
  const estDecode = obj(est?.decode_tps) ?? {};
  for (const [b, v] of Object.entries(decode)) rows.push([`decode batch ${b}`, v, ...(est ? [estDecode[b]] : [])]);
  rows.push(['decode 64 / 1', res.decode_64_over_1, ...(est ? [est.decode_64_over_1] : [])]);
  rows.push(['LoRA train', res.train_tps, ...(est ? [est.train_tps] : [])]);
  out.push(...table(head, rows));
  const peak = num(res.peak_bytes);
  if (peak !== null) out.push('', `Peak pool bytes: ${(peak / 2 ** 20).toFixed(1)} MiB.`);
  return out;
}

function peerSection(r: Json): string[] {
  const m = obj(r.model) ?? {};
  const ort = obj(r.ort) ?? {};
  const out = [
    '## Peer: greedy decode, ours vs onnxruntime-web WebGPU (tokens/s)',
    '',
    `${cell(m.shapes)}: ${cell(m.layers)} layers, vocabulary ${cell(m.vocab)} of ${cell(m.vocab_requested)}; ours ${cell(m.ours_weights_dtype)} weights; onnxruntime-web ${cell(ort.version)}.`,
    '',
  ];
  out.push(...table(['batch', 'engine', 'tokens/s', 'ms/step', 'ours / engine', 'tokens = ours'], arr(r.results).map((x) => [x.batch, x.engine, x.tps, x.step_ms, x.ours_over, x.tokens_match_ours])));
  return out;
}

const SECTIONS: Record<string, (r: Json) => string[]> = { kernels: kernelsSection, model: modelSection, peer: peerSection };

/** The Markdown report of a suite summary. */
export function suiteMarkdown(s: SuiteSummary): string {
  const out = [
    `# GPU suite${s.quick ? ' (quick)' : ''}`,
    '',
    `Started ${s.started}, ${s.elapsed_s.toFixed(1)} s in all. Adapter: ${s.adapter ?? 'unknown'}.`,
    '',
    ...table(
      ['benchmark', 'args', 'seconds', 'load 1m start', 'load 1m end', 'status'],
      s.parts.map((p) => {
        const l = s.host.loadavg_1m.find((x) => x.suite === p.suite);
        return [p.suite, p.args.join(' ') || '-', p.elapsed_s, l?.start, l?.end, p.error ? 'failed' : 'ok'];
      }),
    ),
  ];
  for (const p of s.parts) {
    out.push('');
    if (!p.result) out.push(`## ${p.suite}`, '', `Failed: ${p.error ?? 'no result'}`);
    else out.push(...(SECTIONS[p.suite] ?? ((r: Json) => [`## ${p.suite}`, '', '```json', JSON.stringify(r.results ?? r, null, 2), '```']))(p.result));
  }
  if (s.notes.length) out.push('', '## Notes', '', ...s.notes.map((n) => `- ${n}`));
  return out.join('\n') + '\n';
}
