import type { ColumnSummary } from '../../../src/dashboard/api-types';
import { get } from '../api';
import { bars, chart, Plot } from '../charts';
import { fill, formatNumber, formatTime, h, link, table } from '../dom';


interface Snapshot {
  id: string;
  relation_name: string;
  y_column_name: string[] | null;
  test_size: number;
  test_sampling: string;
  status: string;
  materialized: boolean;
  created_at: string;
  models: { id: string; algorithm: string; project: string }[];
  sample: { error: string } | { rows: number; sampled: number; totalColumns: number; columns: ColumnSummary[] };
}

export async function snapshotPage(main: HTMLElement, id: string): Promise<void> {
  const s = await get<Snapshot>(`snapshots/${id}`);
  document.title = `Snapshot #${s.id} · pgml-proxy`;
  const head = [
    h('h1', {}, `Snapshot #${s.id} of `, s.relation_name),
    table(
      'Snapshot',
      ['field', 'value'],
      [
        ['label', (s.y_column_name ?? []).join(', ') || '—'],
        ['test size', s.test_size],
        ['test sampling', s.test_sampling],
        ['materialized', s.materialized ? 'yes' : 'no'],
        ['taken', formatTime(s.created_at)],
        ['models', h('span', {}, ...s.models.flatMap((m, i) => [i > 0 ? ', ' : '', link(`/dashboard/models/${m.id}`, `#${m.id} ${m.algorithm}`)]))],
      ],
    ),
  ];
  if ('error' in s.sample) {
    fill(main, ...head, h('p', { class: 'error', role: 'alert' }, `The data cannot be sampled: ${s.sample.error}`));
    return;
  }
  const { rows, sampled, totalColumns, columns } = s.sample;
  const shown = columns.length < totalColumns ? ` (the first ${columns.length} are summarized)` : '';
  const correlated = columns.filter((c) => c.correlation !== undefined);
  fill(main, 
    ...head,
    h('p', {}, `${rows} rows and ${totalColumns} columns now${shown}; the distributions below are computed on a random sample of ${sampled} rows.`),
    table(
      'Columns',
      ['column', 'kind', 'label', 'non-null in sample', 'null in sample', 'correlation with label'],
      columns.map((c) => [c.name, c.kind, c.label ? 'yes' : '', c.count, c.nulls, c.correlation === undefined ? '—' : formatNumber(c.correlation)]),
      { 'data-table': 'columns' },
    ),
    correlated.length > 0
      ? bars('correlation', 'Correlation with the label', `Pearson correlation of each of the ${correlated.length} numeric features with the label, on the sample.`, correlated.map((c) => ({ label: c.name, value: c.correlation! })), 'correlation')
      : null,
    h('h2', {}, 'Distributions'),
    h('div', { class: 'grid' }, ...columns.map(distribution)),
  );
}

function distribution(c: ColumnSummary): HTMLElement {
  if (c.kind === 'categorical') {
    return bars(`distribution`, `${c.name}`, `Counts of the ${c.categories!.length} most frequent values of ${c.name} in the sample.`, c.categories!.map((v) => ({ label: v.value, value: v.count })), 'rows');
  }
  const bins = c.histogram!;
  return chart({
    name: 'distribution',
    title: c.name,
    description: `Histogram of ${c.name} over the sample in ${bins.length} bins${c.label ? ' (the label)' : ''}.`,
    plot: {
      height: 180,
      x: { label: c.name },
      y: { label: 'rows', grid: true },
      marks: [Plot.rectY(bins, { x1: 'x0', x2: 'x1', y: 'count', fill: c.label ? '#d9822b' : '#8aa4c8', inset: 0.5 }), Plot.ruleY([0])],
    },
    data: { head: ['from', 'to', 'rows'], rows: bins.map((b) => [formatNumber(b.x0), formatNumber(b.x1), b.count]) },
  });
}
