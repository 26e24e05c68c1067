import { get } from '../api';
import { fill, formatNumber, formatTime, h, link, table } from '../dom';
import { modelPlots, type TestResults } from './model-plots';

interface Model {
  id: string;
  project: string;
  task: string;
  algorithm: string;
  runtime: string;
  hyperparams: Record<string, unknown>;
  metrics: Record<string, unknown>;
  search: string | null;
  search_params: Record<string, unknown>;
  status: string;
  created_at: string;
  deployed: boolean;
  num_features: number;
  snapshot: { id: string; relation_name: string; y_column_name: string[] | null; test_size: number; test_sampling: string; created_at: string } | null;
  test_results: TestResults | null;
}

export async function modelPage(main: HTMLElement, id: string): Promise<void> {
  const m = await get<Model>(`models/${id}`);
  document.title = `Model #${m.id} · pgml-proxy`;
  const { search_results: searchResults, ...metrics } = m.metrics as Record<string, unknown> & { search_results?: Record<string, unknown> };
  const s = m.snapshot;
  fill(main, 
    h('h1', {}, `Model #${m.id} `, m.algorithm, ' ', m.deployed ? h('span', { class: 'badge' }, 'deployed') : null),
    h('p', {}, 'Project ', link(`/dashboard/projects/${encodeURIComponent(m.project)}`, m.project), `, task ${m.task}, runtime ${m.runtime}, ${m.num_features} features, trained ${formatTime(m.created_at)}.`),
    h(
      'div',
      { class: 'grid' },
      table('Metrics', ['metric', 'value'], Object.entries(metrics).map(([k, v]) => [k, formatNumber(v)]), { 'data-table': 'metrics' }),
      table(
        'Hyperparameters',
        ['hyperparameter', 'value'],
        Object.entries(m.hyperparams).length > 0 ? Object.entries(m.hyperparams).map(([k, v]) => [k, JSON.stringify(v)]) : [['(defaults)', '']],
        { 'data-table': 'hyperparams' },
      ),
      s
        ? table(
            'Snapshot',
            ['field', 'value'],
            [
              ['snapshot', link(`/dashboard/snapshots/${s.id}`, `#${s.id}`)],
              ['relation', s.relation_name],
              ['label', (s.y_column_name ?? []).join(', ') || '—'],
              ['test size', s.test_size],
              ['test sampling', s.test_sampling],
              ['taken', formatTime(s.created_at)],
            ],
          )
        : h('p', {}, 'No snapshot.'),
    ),
    m.search ? table('Search', ['field', 'value'], [['search', m.search], ['searched', JSON.stringify(m.search_params)]]) : null,
    h('h2', {}, 'Plots'),
    m.test_results === null ? h('p', {}, 'No held-out rows were stored for this model (trained with test_size 0, or before the dashboard existed).') : null,
    h('div', { class: 'grid' }, ...modelPlots(m.task, m.test_results, searchResults)),
  );
}
