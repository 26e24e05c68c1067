import { get, post } from '../api';
import { chart, Plot } from '../charts';
import { fill, formatNumber, formatTime, h, table } from '../dom';

interface Run {
  runid: number;
  status: string;
  return_message: string | null;
  start_time: string | null;
  end_time: string | null;
  seconds: number | null;
}

interface Job {
  jobid: string;
  jobname: string | null;
  schedule: string;
  command: string;
  database: string;
  username: string;
  active: boolean;
  next_run: string | null;
  time_zone: string;
  runs: Run[];
}

export async function jobsPage(main: HTMLElement): Promise<void> {
  const jobs = await get<Job[]>('jobs');
  document.title = 'Jobs · pgml-proxy';
  const status = h('p', { class: 'status', role: 'status' });
  const toggle = (job: Job) => () => {
    const verb = job.active ? 'pause' : 'resume';
    post(`jobs/${job.jobid}/${verb}`)
      .then(() => jobsPage(main))
      .then(() => (main.querySelector('[role="status"]')!.textContent = `Job ${job.jobname ?? job.jobid} ${job.active ? 'paused' : 'resumed'}.`))
      .catch((error: unknown) => (status.textContent = error instanceof Error ? error.message : String(error)));
  };
  const rows = jobs.map((j) => [
    j.jobname ?? `#${j.jobid}`,
    h('code', {}, j.schedule),
    h('code', {}, j.command),
    j.username,
    j.active ? 'active' : 'paused',
    j.active ? (j.next_run ? formatTime(j.next_run) : 'not on the clock') : '—',
    h('button', { type: 'button', 'data-toggle': j.jobid, onclick: toggle(j) }, `${j.active ? 'Pause' : 'Resume'} ${j.jobname ?? j.jobid}`),
  ]);
  const runs = jobs.flatMap((j) => j.runs.filter((r) => r.start_time !== null).map((r) => ({ job: j.jobname ?? `#${j.jobid}`, at: new Date(r.start_time!), seconds: r.seconds ?? 0, status: r.status })));
  // Newest first: the five last failures of each job.
  const failures = jobs.flatMap((j) => j.runs.filter((r) => r.status === 'failed').slice(-5).reverse().map((r) => ({ job: j, run: r })));
  fill(main, 
    h('h1', {}, 'Jobs'),
    jobs.length === 0 ? h('p', {}, 'No job your role may read. Schedule one with cron.schedule.') : table(`Scheduled jobs (schedules read in time zone ${jobs[0]!.time_zone})`, ['job', 'schedule', 'command', 'owner', 'state', 'next run', 'action'], rows, { 'data-table': 'jobs' }),
    status,
    h('h2', {}, 'Run history'),
    runs.length === 0
      ? h('p', {}, 'No runs recorded yet.')
      : chart({
          name: 'runs',
          title: 'Run durations',
          description: `Each of the ${runs.length} recorded runs by start time and duration, coloured by status.`,
          plot: {
            height: 260,
            x: { type: 'utc', label: 'started', grid: true },
            y: { label: 'seconds', grid: true, zero: true },
            color: { legend: true, domain: ['succeeded', 'failed', 'running', 'starting'], range: ['#2e8540', '#a4262c', '#1f5fae', '#999'] },
            symbol: { legend: false },
            marks: [Plot.dot(runs, { x: 'at', y: 'seconds', fill: 'status', symbol: 'job', r: 4, ariaLabel: (d: { job: string; status: string; seconds: number }) => `${d.job} ${d.status} in ${d.seconds} s` })],
          },
          data: { head: ['job', 'started', 'seconds', 'status'], rows: runs.map((r) => [r.job, formatTime(r.at.toISOString()), formatNumber(r.seconds), r.status]) },
        }),
    h('h2', {}, 'Last errors'),
    failures.length === 0
      ? h('p', {}, 'No failed runs.')
      : h('div', { 'data-errors': '' }, ...failures.map(({ job, run }) => h('section', {}, h('h3', {}, `${job.jobname ?? job.jobid}, run ${run.runid} at ${formatTime(run.start_time)}`), h('pre', {}, run.return_message ?? '')))),
  );
}
