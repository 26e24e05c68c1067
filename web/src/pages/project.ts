import { get, post } from '../api';
import { bars, chart, Plot } from '../charts';
import { fill, formatNumber, formatTime, h, link, table } from '../dom';
import { showError } from '../show-error';
import { keyMetricBars, type ModelSummary } from './projects';

interface Project {
  id: string;
  name: string;
  task: string;
  key_metric: string | null;
  deployed_model_id: string | null;
  models: (ModelSummary & { runtime: string; hyperparams: Record<string, unknown>; created_at: string; search: string | null; snapshot_id: string | null })[];
  deployments: { id: string; model_id: string; strategy: string; created_at: string; algorithm: string | null }[];
}

/** Why a deployment happened, from its strategy (pgml.deploy and pgml.train's automatic deploy). */
const REASONS: Record<string, string> = {
  new_score: 'trained and scored better than the deployed model (automatic deploy)',
  best_score: 'pgml.deploy chose the best key metric',
  most_recent: 'pgml.deploy chose the newest model',
  rollback: 'pgml.deploy rolled back to the previous model',
  specific: 'pgml.deploy of this model by id',
};

export async function projectPage(main: HTMLElement, name: string): Promise<void> {
  const live = h('section', { 'aria-labelledby': 'live-h' }, h('h2', { id: 'live-h' }, 'Live training log'), h('div', { class: 'log', role: 'log', 'aria-live': 'polite', id: 'live-log' }, 'Waiting for a training of this project…'));
  const content = h('div');
  fill(main, h('h1', {}, 'Project ', name), content, live);
  document.title = `${name} · pgml-proxy`;
  await drawProject(content, name);
  watchTraining(name, live.querySelector('#live-log')!, () => drawProject(content, name).catch((e: unknown) => showError(main, e)));
}

async function drawProject(content: HTMLElement, name: string): Promise<void> {
  const p = await get<Project>(`projects/${encodeURIComponent(name)}`);
  const key = p.key_metric ?? '';
  const status = h('p', { class: 'status', role: 'status' });
  const act = (path: string, done: string) => () => {
    status.textContent = 'Deploying…';
    post(path)
      .then(() => drawProject(content, name))
      .then(() => (content.querySelector('[role="status"]')!.textContent = done))
      .catch((error: unknown) => (status.textContent = error instanceof Error ? error.message : String(error)));
  };
  const metricNames = [...new Set(p.models.flatMap((m) => Object.keys(m.metrics)))].filter((k) => k !== 'fit_time' && k !== 'score_time').sort();
  const rows = p.models.map((m) => {
    const deployed = String(m.id) === String(p.deployed_model_id);
    return [
      link(`/dashboard/models/${m.id}`, `#${m.id}`),
      h('span', {}, m.algorithm, ' ', deployed ? h('span', { class: 'badge' }, 'deployed') : null),
      JSON.stringify(m.hyperparams),
      ...metricNames.map((k) => formatNumber(m.metrics[k])),
      formatNumber(m.metrics.fit_time),
      m.runtime,
      formatTime(m.created_at),
      deployed ? '' : h('button', { type: 'button', 'data-deploy': String(m.id), onclick: act(`models/${m.id}/deploy`, `Model #${m.id} deployed.`) }, `Deploy #${m.id}`),
    ];
  });
  const deployments = p.deployments.map((d, i) => ({ ...d, at: new Date(d.created_at), order: i + 1, label: `#${d.model_id} ${d.algorithm ?? ''}` }));
  fill(content, 
    h('p', {}, `Task ${p.task}; key metric ${key}.`),
    table(`Models of ${p.name}`, ['model', 'algorithm', 'hyperparameters', ...metricNames, 'fit time (s)', 'runtime', 'created', 'action'], rows, { 'data-table': 'models' }),
    p.deployments.length > 1 ? h('button', { type: 'button', id: 'rollback', onclick: act(`projects/${encodeURIComponent(p.name)}/rollback`, 'Rolled back.') }, 'Roll back to the previous deployment') : null,
    status,
    h('h2', {}, 'Comparison'),
    bars('comparison', `${key} by model`, `The ${key} of each scored model of ${p.name}; the deployed one is orange.`, keyMetricBars(p.models, key, p.deployed_model_id), key),
    h('h2', {}, 'Deployments'),
    chart({
      name: 'deployments',
      title: 'Deployment timeline',
      description: `Each of the ${deployments.length} deployments of ${p.name} in time order, by the model it deployed, labelled with its strategy.`,
      plot: {
        height: 80 + 30 * new Set(deployments.map((d) => d.label)).size,
        marginLeft: 140,
        // Room for the strategy label of the newest deployment, at the right edge.
        marginRight: 48,
        x: { type: 'utc', label: 'deployed at', grid: true },
        y: { label: null },
        marks: [
          Plot.line(deployments, { x: 'at', y: 'label', stroke: '#c5cfdb', curve: 'step-after' }),
          Plot.dot(deployments, { x: 'at', y: 'label', r: 6, fill: 'strategy', ariaLabel: (d: { label: string; strategy: string }) => `${d.label} by ${d.strategy}` }),
          Plot.text(deployments, { x: 'at', y: 'label', text: 'strategy', dy: -12, fontSize: 10 }),
        ],
        color: { type: 'ordinal', legend: true },
      },
      data: {
        head: ['deployment', 'model', 'strategy', 'reason', 'at'],
        rows: deployments.map((d) => [`${d.order}`, d.label, d.strategy, REASONS[d.strategy] ?? d.strategy, formatTime(d.created_at)]),
      },
    }),
  );
}

/** Training notices of this project as they happen; when one ends, the page redraws its data. */
function watchTraining(name: string, log: HTMLElement, ended: () => void): void {
  const source = new EventSource(`/dashboard/api/projects/${encodeURIComponent(name)}/live`);
  source.addEventListener('open', () => (log.dataset.state = 'open'));
  let first = true;
  const line = (text: string) => {
    if (first) log.replaceChildren();
    first = false;
    log.append(h('div', {}, text));
    log.scrollTop = log.scrollHeight;
  };
  source.addEventListener('notice', (event) => {
    const notice = JSON.parse((event as MessageEvent<string>).data) as { severity: string; message: string; user: string };
    line(`${notice.severity}: ${notice.message}`);
  });
  source.addEventListener('end', (event) => {
    const end = JSON.parse((event as MessageEvent<string>).data) as { ok: boolean; user: string };
    line(end.ok ? `Training by ${end.user} finished.` : `Training by ${end.user} failed.`);
    ended();
  });
}
