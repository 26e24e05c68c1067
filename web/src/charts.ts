/**
 * Every chart is a <figure data-chart=NAME> holding an Observable Plot SVG (with an aria-label
 * and description), a caption, and its data as a table in a <details>: the text alternative a
 * screen reader or keyboard user can read instead of the picture.
 */
import * as Plot from '@observablehq/plot';
import { h, table, type Child } from './dom';

export { Plot };

export interface ChartSpec {
  /** data-chart: what tests and styles select. */
  name: string;
  title: string;
  /** One sentence saying what the chart shows, for screen readers. */
  description: string;
  plot: Plot.PlotOptions;
  data: { head: string[]; rows: Child[][] };
}

export function chart(spec: ChartSpec): HTMLElement {
  const svg = Plot.plot({
    width: 560,
    height: 260,
    marginLeft: 56,
    style: { fontSize: '12px', background: 'transparent' },
    ...spec.plot,
    ariaLabel: spec.title,
    ariaDescription: spec.description,
  });
  return h(
    'figure',
    { 'data-chart': spec.name, class: 'chart' },
    h('figcaption', {}, h('strong', {}, spec.title), ' — ', spec.description),
    svg,
    h('details', {}, h('summary', {}, `${spec.title}: data table`), table(spec.title, spec.data.head, spec.data.rows)),
  );
}

/** A small chart for a list: bars of one value per item. */
export function bars(name: string, title: string, description: string, items: { label: string; value: number; highlight?: boolean }[], yLabel: string): HTMLElement {
  return chart({
    name,
    title,
    description,
    plot: {
      height: 200,
      x: { label: null, tickRotate: items.length > 6 ? -30 : 0 },
      y: { label: yLabel, grid: true },
      color: { domain: [false, true], range: ['#8aa4c8', '#d9822b'] },
      marks: [
        Plot.barY(items, { x: 'label', y: 'value', fill: (d: { highlight?: boolean }) => d.highlight === true, ariaLabel: (d: { label: string; value: number }) => `${d.label}: ${d.value}` }),
        Plot.ruleY([0]),
      ],
    },
    data: { head: ['item', yLabel], rows: items.map((i) => [i.label, i.value]) },
  });
}
