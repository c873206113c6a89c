// The live charts in Chromium: a legend that follows the
// cursor (the values at the hovered step) and shows the latest values otherwise, arm colours.
import { describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import { armBars, LivePlot } from '../../src/ui/plots';
import { armColour } from '../../src/ui/published-data';

describe('LivePlot', () => {
  it('shows the hovered step\'s values in its legend, the latest ones otherwise', async () => {
    const p = new LivePlot({ title: 'RL loss', x: 'RL step (optimiser steps)', y: 'policy-gradient loss' });
    document.body.append(p.root);
    for (let s = 1; s <= 5; s++) {
      p.add('rl', s, s === 3 ? -0 : -0.01 * s);
      p.add('int_rl', s, 0.02 * s);
    }
    const legend = p.root.querySelector('.legend')!;
    expect(legend.textContent).toBe('latest+ RL: -0.05 (at 5)+ InT + RL: 0.1 (at 5)');
    // hidden and shown again (a tab switch), then hovered with the mouse
    p.root.hidden = true;
    await new Promise((res) => setTimeout(res, 50));
    p.root.hidden = false;
    await new Promise((res) => setTimeout(res, 50));
    const over = p.root.querySelector<HTMLElement>('.u-over')!;
    const r = over.getBoundingClientRect();
    // step 3 sits at the middle of the x range [1, 5]
    await userEvent.hover(over, { position: { x: r.width / 2, y: r.height / 2 } });
    await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
    expect(legend.textContent).toMatch(/^RL step 3\+ RL: 0\+ InT \+ RL: 0\.06$/);
    await userEvent.unhover(over);
    await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
    expect(legend.textContent).toMatch(/^latest/);
    const swatches = [...legend.querySelectorAll<HTMLElement>('.swatch')].map((s) => s.style.background);
    expect(swatches).toEqual([armColour('rl'), armColour('int_rl')].map((c) => `rgb(${[1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)).join(', ')})`));
    p.destroy();
    p.root.remove();
  });

  it('draws per-arm pass@1 bars with whiskers at the interval, waiting arms without a bar', () => {
    const box = armBars([{ arm: 'rl', estimate: 0.25, lo: 0.1, hi: 0.5 }, { arm: 'int_rl', estimate: null, lo: null, hi: null }], 'pass@1');
    document.body.append(box);
    const rows = box.querySelectorAll('.bar-row');
    expect(rows.length).toBe(2);
    expect(rows[0].querySelector<HTMLElement>('.bar')!.style.width).toBe('25%');
    expect(rows[0].querySelector<HTMLElement>('.whisker')!.style.left).toBe('10%');
    expect(rows[0].querySelector('.bar-value')!.textContent).toBe('25.0% [10.0, 50.0]');
    expect(rows[1].querySelector('.bar')).toBeNull();
    expect(rows[1].querySelector('.bar-value')!.textContent).toBe('waiting');
    box.remove();
  });
});
