// Charts of the run and results views. LivePlot: a uPlot line chart of one metric against the
// optimiser step, one series per arm in the arm's colour (published-data.ts's palette), titled
// axes with units, tick labels without "-0", and a legend that shows the values under the cursor
// (the latest values when the cursor is away). armBars: per-arm pass@1 as horizontal bars with
// the interval as a whisker and the numbers beside each bar.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { ARMS, type ArmId } from '../int/arms';
import { el } from './dom';
import { armColour } from './published-data';

/** A number for a label: 4 significant digits, never "-0". */
export function fmtValue(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const s = Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
  return /^-0(\.0*)?(e[+-]?\d+)?$/.test(s) ? s.slice(1) : s;
}

/** Tick labels for ticks `incr` apart: enough decimals to tell them apart, never "-0". */
export function tickLabels(splits: readonly number[], incr: number): string[] {
  const small = incr > 0 && incr < 1e-3;
  // the fewest decimals that write the step itself exactly (0.25 -> 2, 0.5 -> 1, 20 -> 0)
  let dec = 0;
  while (incr > 0 && dec < 6 && Math.abs(incr * 10 ** dec - Math.round(incr * 10 ** dec)) > 1e-6 * Math.max(1, incr * 10 ** dec)) dec++;
  return splits.map((v) => {
    if (v === null || !Number.isFinite(v)) return '';
    const z = Math.abs(v) < incr * 1e-6 ? 0 : v;
    const s = small ? (z === 0 ? '0' : z.toExponential(1)) : z.toFixed(dec);
    return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
  });
}

/** An arm's row label ("+ InT + RL"), or the key itself. */
export const seriesLabel = (key: string): string => ARMS[key as ArmId]?.label ?? key;

export interface PlotSpec {
  title: string;
  /** Axis titles with units. */
  x: string;
  y: string;
  /** Widest drawing; the chart shrinks to its box. Default 440. */
  width?: number;
  /** Fixed y range (e.g. [0, 1] for a share); default: the data's, padded. */
  yRange?: [number, number];
}

/** The y range of the data: padded by 5%, and a band around a single value (never [0, 100] for
 *  an all-zero series). */
export function yRange(min: number, max: number): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min === max) {
    const d = Math.abs(min) * 0.1 || 0.1;
    return [min - d, max + d];
  }
  const pad = (max - min) * 0.05;
  return [min - pad, max + pad];
}

/** A chart of y against x for several named series (arms); points are added as they arrive. */
export class LivePlot {
  readonly root: HTMLElement;
  private plot: uPlot | null = null;
  private series = new Map<string, Map<number, number>>();
  private order: string[] = [];
  private readonly legend: HTMLElement;
  private readonly chart: HTMLElement;
  private readonly empty: HTMLElement;
  private observer: ResizeObserver | null = null;

  constructor(readonly spec: PlotSpec) {
    this.legend = el('div', { cls: 'legend live', attrs: { 'aria-live': 'off' } });
    this.chart = el('div', { cls: 'chart' });
    this.empty = el('p', { cls: 'note', text: 'no points yet' });
    this.root = el('figure', { cls: 'plot', attrs: { 'data-metric': spec.title } }, el('figcaption', { text: spec.title }), this.empty, this.chart, this.legend);
  }

  /** Add (x, y) to series `name`; non-finite y is skipped. */
  add(name: string, x: number, y: number | null): void {
    if (y === null || !Number.isFinite(y)) return;
    if (!this.series.has(name)) {
      this.series.set(name, new Map());
      this.order.push(name);
      this.plot?.destroy();
      this.plot = null;
    }
    this.series.get(name)!.set(x, y);
    this.redraw();
  }

  get points(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.size;
    return n;
  }

  /** The chart's width: its box's (a hidden box keeps the last width). */
  private width(): number {
    const box = this.root.clientWidth || this.root.parentElement?.clientWidth || 0;
    return Math.max(200, Math.min(this.spec.width ?? 440, box > 0 ? box : (this.spec.width ?? 440)));
  }

  private data(): uPlot.AlignedData {
    const xs = [...new Set([...this.series.values()].flatMap((s) => [...s.keys()]))].sort((a, b) => a - b);
    return [xs, ...this.order.map((n) => xs.map((x) => this.series.get(n)!.get(x) ?? null))];
  }

  private redraw(): void {
    const data = this.data();
    this.empty.hidden = true;
    if (!this.plot) {
      // the page's colours (light or dark: style.css), read once when the chart is made
      const css = getComputedStyle(document.documentElement);
      const [fg, line] = [css.getPropertyValue('--fg').trim() || '#222', css.getPropertyValue('--line').trim() || '#ddd'];
      const axis = (label: string, incrs?: number[]): uPlot.Axis => ({ label, labelSize: 20, size: 52, incrs, stroke: fg, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 }, values: (_u, splits, _ax, _space, incr) => tickLabels(splits, incr) });
      const fixed = this.spec.yRange;
      const opts: uPlot.Options = {
        width: this.width(),
        height: 220,
        legend: { show: false },
        cursor: { points: { size: 7 } },
        // steps are whole numbers: x from 0 to one past the last step (while there are few)
        scales: { x: { time: false, range: (_u, min, max) => [Math.min(0, min), max - min < 20 ? max + 1 : max] }, y: { range: (_u, min, max) => fixed ?? yRange(min, max) } },
        axes: [axis(this.spec.x, [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]), axis(this.spec.y)],
        series: [
          { label: this.spec.x },
          ...this.order.map((n) => ({ label: seriesLabel(n), stroke: armColour(n), width: 2, spanGaps: true, points: { show: (u: uPlot) => u.data[0].length <= 40, size: 6, fill: armColour(n) } })),
        ],
        hooks: { setCursor: [(u) => this.showLegend(u.cursor.idx ?? null)] },
      };
      this.plot = new uPlot(opts, data, this.chart);
      if (!this.observer && typeof ResizeObserver !== 'undefined') {
        this.observer = new ResizeObserver(() => this.root.clientWidth > 0 && this.plot && this.plot.width !== this.width() && this.plot.setSize({ width: this.width(), height: 220 }));
        this.observer.observe(this.root);
      }
    } else this.plot.setData(data);
    this.showLegend(null);
  }

  /** The legend at data index `idx` (the cursor), or each series' latest value when null. */
  private showLegend(idx: number | null): void {
    const data = this.plot?.data ?? this.data();
    const xs = data[0] as number[];
    const items: HTMLElement[] = [];
    const at = (si: number): [number | null, number | null] => {
      const ys = data[si] as (number | null)[];
      if (idx !== null && idx !== undefined) return [xs[idx] ?? null, ys[idx] ?? null];
      for (let i = ys.length - 1; i >= 0; i--) if (ys[i] !== null && ys[i] !== undefined) return [xs[i], ys[i]];
      return [null, null];
    };
    if (idx !== null) items.push(el('span', { cls: 'legend-x', text: `${this.spec.x.replace(/ \(.*\)$/, '')} ${fmtValue(xs[idx])}` }));
    this.order.forEach((n, i) => {
      const [x, y] = at(i + 1);
      const where = idx === null && x !== null ? ` (at ${fmtValue(x)})` : '';
      items.push(el('span', { cls: 'legend-item', attrs: { 'data-arm': n } }, el('span', { cls: 'swatch', attrs: { style: `background:${armColour(n)}` } }), `${seriesLabel(n)}: `, el('strong', { text: fmtValue(y) }), where));
    });
    if (idx === null && this.order.length > 0) items.unshift(el('span', { cls: 'legend-x', text: 'latest' }));
    this.legend.replaceChildren(...items);
  }

  destroy(): void {
    this.observer?.disconnect();
    this.plot?.destroy();
  }
}

export interface ArmBar {
  arm: string;
  /** In [0, 1]; null while the arm is not evaluated yet. */
  estimate: number | null;
  lo: number | null;
  hi: number | null;
}

const pct = (v: number | null) => (v === null || !Number.isFinite(v) ? '–' : (100 * v).toFixed(1));

/** Per-arm pass@1 as horizontal bars (0-100 %) with the `level` bootstrap interval as a whisker
 *  and the numbers beside each bar; arms not evaluated yet show as waiting. */
export function armBars(rows: readonly ArmBar[], caption: string, level = '95%'): HTMLElement {
  const box = el('figure', { cls: 'arm-bars', attrs: { 'data-testid': 'arm-bars', role: 'group', 'aria-label': caption } }, el('figcaption', { text: caption }));
  for (const r of rows) {
    const has = r.estimate !== null && Number.isFinite(r.estimate);
    const text = has ? `${pct(r.estimate)}% [${pct(r.lo)}, ${pct(r.hi)}]` : 'waiting';
    const track = el('span', { cls: 'bar-track' });
    if (has) {
      track.append(el('span', { cls: 'bar', attrs: { style: `width:${100 * r.estimate!}%;background:${armColour(r.arm)}` } }));
      if (r.lo !== null && r.hi !== null && Number.isFinite(r.lo) && Number.isFinite(r.hi)) track.append(el('span', { cls: 'whisker', attrs: { style: `left:${100 * r.lo}%;width:${Math.max(0, 100 * (r.hi - r.lo))}%` } }));
    }
    const title = `${seriesLabel(r.arm)}: held-out pass@1 ${text} (${level} interval)`;
    box.append(
      el(
        'div',
        { cls: `bar-row${has ? '' : ' waiting'}`, attrs: { 'data-arm': r.arm, title } },
        el('span', { cls: 'bar-label' }, el('span', { cls: 'swatch', attrs: { style: `background:${armColour(r.arm)}` } }), seriesLabel(r.arm)),
        track,
        el('span', { cls: 'bar-value', text }),
      ),
    );
  }
  const ticks = el('div', { cls: 'bar-axis', attrs: { 'aria-hidden': 'true' } }, el('span', { cls: 'bar-label' }), el('span', { cls: 'bar-ticks' }, ...[0, 25, 50, 75, 100].map((t) => el('span', { text: String(t), attrs: { style: `left:${t}%` } }))), el('span', { cls: 'bar-value' }));
  box.append(ticks, el('p', { cls: 'axis-title', text: `held-out pass@1 (% of samples correct); the whisker is the ${level} bootstrap interval over problems` }));
  return box;
}
