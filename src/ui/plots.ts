// Live line plots with uPlot: one chart per metric, one series per arm, appended point by point.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { el } from './dom';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b'];

/** A chart of y against step for several named series (arms); points are added as they arrive. */
export class LivePlot {
  readonly root: HTMLElement;
  private plot: uPlot | null = null;
  private series = new Map<string, Map<number, number>>();
  private order: string[] = [];

  constructor(
    readonly title: string,
    private width = 420,
  ) {
    this.root = el('div', { cls: 'plot', attrs: { 'data-metric': title } }, el('h4', { text: title }));
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

  private redraw(): void {
    const xs = [...new Set([...this.series.values()].flatMap((s) => [...s.keys()]))].sort((a, b) => a - b);
    const data: uPlot.AlignedData = [xs, ...this.order.map((n) => xs.map((x) => this.series.get(n)!.get(x) ?? null))];
    if (!this.plot) {
      const opts: uPlot.Options = {
        width: this.width,
        height: 200,
        scales: { x: { time: false } },
        series: [{ label: 'step' }, ...this.order.map((n, i) => ({ label: n, stroke: COLORS[i % COLORS.length], spanGaps: true, points: { show: xs.length < 30 } }))],
      };
      this.plot = new uPlot(opts, data, this.root);
    } else this.plot.setData(data);
  }

  destroy(): void {
    this.plot?.destroy();
  }
}
