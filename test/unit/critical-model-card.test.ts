// The committed model public/models/chains-critical: a check of documents, not of the model. Its
// card must quote its report.json (what `npm run model-report -- --model public/models/chains-critical
// --ladder critical` writes), and its config must be the embedded model's architecture.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelReport } from '../../src/pretrain/model-report';

const DIR = join(__dirname, '../../public/models/chains-critical');
const report = JSON.parse(readFileSync(join(DIR, 'report.json'), 'utf8')) as ModelReport;
const card = readFileSync(join(DIR, 'README.md'), 'utf8');

describe('chains-critical card', () => {
  it('quotes report.json: solve figures, verifier, continuations and the critical calibration', () => {
    for (const t of ['easy', 'medium']) expect(card).toContain(report.solve_pass1_by_tier[t].toFixed(3));
    expect(card).toContain(report.verify!.verify_location_acc.toFixed(3));
    expect(card).toContain(report.verify!.by_tier.critical.accuracy.toFixed(3));
    const c = report.continuation!;
    expect(card).toContain(`${c.prefix.solved} / ${c.prefix_original.solved} / ${c.prefix_intervention.solved} of ${c.prefix.problems}`);
    const k = report.critical!;
    for (const g of [k.overall, ...Object.values(k.byOperand)]) {
      for (const x of [g.pass1, g.passK, g.neverSolved, g.habitRate!, g.fromPrefix, g.oracle]) expect(card).toContain(x.toFixed(3));
    }
  });
  it('has the embedded model architecture', () => {
    const cfg = JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8'));
    expect(cfg.architectures).toEqual(['LlamaForCausalLM']);
    expect(card).toContain('315,552 parameters');
  });
});

describe('chains-critical-strict card', () => {
  const dir = join(__dirname, '../../public/models/chains-critical-strict');
  const r = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as ModelReport;
  const text = readFileSync(join(dir, 'README.md'), 'utf8');
  it('quotes its report.json: solve figures, verifier and the critical calibration per operand', () => {
    for (const t of ['easy', 'medium', 'critical']) expect(text).toContain(r.solve_pass1_by_tier[t].toFixed(3));
    expect(text).toContain(r.verify!.verify_location_acc.toFixed(3));
    expect(text).toContain(r.verify!.by_tier.critical.accuracy.toFixed(3));
    const k = r.critical!;
    for (const g of [k.overall, ...Object.values(k.byOperand)]) {
      for (const x of [g.pass1, g.passK, g.neverSolved, g.habitRate!, g.fromPrefix, g.oracle]) expect(text).toContain(x.toFixed(3));
    }
    expect(text).toContain('npm run pretrain -- --recipe critical-strict');
  });
  it('has the architecture of chains-critical', () => {
    const a = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8'));
    for (const key of ['architectures', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'intermediate_size', 'vocab_size']) expect(a[key]).toEqual(b[key]);
  });
});
