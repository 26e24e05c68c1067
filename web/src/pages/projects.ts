import { get } from '../api';
import { bars } from '../charts';
import { fill, formatNumber, formatTime, h, link, table } from '../dom';

export interface ModelSummary {
  id: number | string;
  algorithm: string;
  metrics: Record<string, number>;
}

interface ProjectSummary {
  id: string;
  name: string;
  task: string;
  created_at: string;
  deployed_model_id: string | null;
  key_metric: string | null;
  models: ModelSummary[];
}

export async function projectsPage(main: HTMLElement): Promise<void> {
  const projects = await get<ProjectSummary[]>('projects');
  document.title = 'Projects · pgml-proxy';
  if (projects.length === 0) {
    main.replaceChildren(h('h1', {}, 'Projects'), h('p', {}, 'No project your role may read. Train one with pgml.train.'));
    return;
  }
  const rows = projects.map((p) => {
    const deployed = p.models.find((m) => String(m.id) === String(p.deployed_model_id));
    const key = p.key_metric ?? '';
    return [
      link(`/dashboard/projects/${encodeURIComponent(p.name)}`, p.name),
      p.task,
      deployed ? link(`/dashboard/models/${deployed.id}`, `#${deployed.id} ${deployed.algorithm}`) : 'none',
      deployed ? `${key} ${formatNumber(deployed.metrics[key])}` : '—',
      p.models.length,
      formatTime(p.created_at),
    ];
  });
  const cards = projects.map((p) => {
    const key = p.key_metric ?? '';
    return h(
      'section',
      { class: 'card', 'aria-labelledby': `p-${p.id}` },
      h('h2', { id: `p-${p.id}` }, link(`/dashboard/projects/${encodeURIComponent(p.name)}`, p.name)),
      bars(
        'project-metric',
        `${key} per model`,
        `The ${key} of each model of ${p.name} that was scored; the deployed one is orange.`,
        keyMetricBars(p.models, key, p.deployed_model_id),
        key,
      ),
    );
  });
  main.replaceChildren(
    h('h1', {}, 'Projects'),
    table('Every project your role may read', ['project', 'task', 'deployed model', 'key metric', 'models', 'created'], rows, { 'data-table': 'projects' }),
    h('div', { class: 'grid' }, ...cards),
  );
}

/** One bar per model that has the key metric (a model trained with test_size 0 was not scored). */
export function keyMetricBars(models: ModelSummary[], key: string, deployedId: string | number | null): { label: string; value: number; highlight: boolean }[] {
  return models
    .filter((m) => typeof m.metrics[key] === 'number')
    .map((m) => ({ label: `#${m.id} ${m.algorithm}`, value: m.metrics[key] as number, highlight: String(m.id) === String(deployedId) }));
}
