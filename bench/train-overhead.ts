// Fixed overhead of pgml.train (issue 15: at most 20 ms outside the solver for `linear` on
// breast_cancer): wall time of the whole `SELECT * FROM pgml.train(...)` minus the fit's own
// `fit_time`, and where the rest goes, read from the arrival times of the INFO notices training sends
// as it goes (no instrumentation in the proxy). With BENCH_BASE_CLI (another build's dist/cli.js) the
// same cluster serves two proxies and the trainings alternate between them, so both see the same load.
// Also per proxy: the time from spawn to its listening line, and its first training, sent
// BENCH_FIRST_AFTER_MS after that line (a proxy usually runs a while before someone trains). The runs
// follow once the proxies have settled (train-phases.ts's settle: their engine warm-up, which resumes
// after 2 s without a client, is over; under load it outlasted the 10 s and inflated the first runs).
// Per training also the CPU it cost (schedstat): the proxy's main thread, its other threads, and the
// session's upstream backend, which the machine's other load moves less than the wall time.
// Run: npm run build && node --import tsx bench/train-overhead.ts   (prints one JSON line)
// Env: BENCH_BASE_CLI path of the baseline's cli.js; BENCH_RUNS trainings per proxy (15);
//      BENCH_FIRST_AFTER_MS (10000).
import { loadavg } from 'node:os';
import pg from 'pg';
import { createDatabase, startPgCluster } from '../test/support/pg-cluster.js';
import { CLI_PATH, startProxy, type ProxyProcess } from '../test/support/proxy.js';
import { median } from './select-loop.js';
import { backendCpuMs, settle, threadCpuMs } from './train-phases.js';

const DATABASE = 'bench';
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const FIRST_AFTER_MS = Number(process.env.BENCH_FIRST_AFTER_MS ?? 10_000);
const TRAIN = `SELECT * FROM pgml.train('bench_overhead', 'classification', 'pgml.breast_cancer', 'malignant', 'linear')`;

/** Each phase ends when a notice starting with one of its texts arrives; the last ends with the result. */
const PHASES = [
  ['project', ['Snapshotting table']],
  ['read_and_prepare', ['Dataset {']],
  ['fit_and_score', ['Trained on runtime']],
  ['register', ['Deploying model id', 'Not deploying']],
] as const;

function round(v: number, digits = 4): number {
  return Number(v.toPrecision(digits));
}

function log(message: string): void {
  process.stderr.write(`[train-overhead] ${message}\n`);
}

interface Run {
  wall_ms: number;
  fit_ms: number;
  score_ms: number;
  outside_ms: number;
  phases_ms: Record<string, number>;
  /** CPU the training cost the proxy's main thread, its other threads, and the session's upstream backend. */
  cpu_ms: { main: number; other_threads: number; backend: number };
}

/** A proxy and one client session through it, with the session's upstream backend's pid. */
interface Session {
  db: pg.Client;
  proxyPid: number;
  backendPid: number;
}

async function trainOnce({ db, proxyPid, backendPid }: Session): Promise<Run> {
  const arrivals: { text: string; at: number }[] = [];
  const onNotice = (notice: { message?: string }): void => void arrivals.push({ text: notice.message ?? '', at: performance.now() });
  db.on('notice', onNotice);
  const [threads, backend] = [threadCpuMs(proxyPid), backendCpuMs(backendPid)];
  const started = performance.now();
  try {
    await db.query(TRAIN);
  } finally {
    db.off('notice', onNotice);
  }
  const wall = performance.now() - started;
  const threadsAfter = threadCpuMs(proxyPid);
  const cpu = {
    main: round(threadsAfter.main - threads.main),
    other_threads: round(threadsAfter.others - threads.others),
    backend: round(backendCpuMs(backendPid) - backend),
  };
  const m = await db.query<{ metrics: Record<string, number> }>(
    `SELECT m.metrics FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'bench_overhead' ORDER BY m.id DESC LIMIT 1`,
  );
  const { fit_time: fit = Number.NaN, score_time: score = Number.NaN } = m.rows[0]!.metrics;
  const phases: Record<string, number> = {};
  let from = started;
  for (const [name, texts] of PHASES) {
    const at = arrivals.find((a) => texts.some((text) => a.text.startsWith(text)))?.at ?? Number.NaN;
    phases[name] = round(at - from);
    from = at;
  }
  phases.result = round(started + wall - from);
  return { wall_ms: round(wall), fit_ms: round(fit * 1000), score_ms: round(score * 1000), outside_ms: round(wall - fit * 1000), phases_ms: phases, cpu_ms: cpu };
}

function summary(runs: Run[]): Record<string, unknown> {
  const phases = Object.keys(runs[0]?.phases_ms ?? {});
  return {
    outside_ms: { best: round(Math.min(...runs.map((r) => r.outside_ms))), median: median(runs.map((r) => r.outside_ms)) },
    median_ms: {
      wall: median(runs.map((r) => r.wall_ms)),
      fit: median(runs.map((r) => r.fit_ms)),
      score: median(runs.map((r) => r.score_ms)),
      ...Object.fromEntries(phases.map((p) => [p, median(runs.map((r) => r.phases_ms[p]!))])),
    },
    median_cpu_ms: {
      main: median(runs.map((r) => r.cpu_ms.main)),
      other_threads: median(runs.map((r) => r.cpu_ms.other_threads)),
      backend: median(runs.map((r) => r.cpu_ms.backend)),
    },
  };
}

interface Subject extends Session {
  name: string;
  proxy: ProxyProcess;
  start_ms: number;
  first: Run;
  runs: Run[];
}

async function main(): Promise<void> {
  const loadStart = loadavg().map((v) => round(v, 2));
  const cluster = await startPgCluster();
  const subjects: Subject[] = [];
  try {
    await createDatabase(cluster, DATABASE);
    const upstream = cluster.url('postgres', undefined, DATABASE);
    const clis = [...(process.env.BENCH_BASE_CLI ? [['base', process.env.BENCH_BASE_CLI]] : []), ['this', CLI_PATH]] as const;
    for (const [name, cliPath] of clis) {
      const t = performance.now();
      const proxy = await startProxy({ upstream, cliPath });
      const start = performance.now() - t;
      const db = new pg.Client({ connectionString: proxy.url('postgres', undefined, DATABASE) });
      await db.connect();
      if (subjects.length === 0) await db.query(`SELECT * FROM pgml.load_dataset('breast_cancer')`);
      const session = { db, proxyPid: proxy.pid, backendPid: Number((await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid) };
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, FIRST_AFTER_MS - (performance.now() - t - start))));
      log(`${name}: first training`);
      subjects.push({ name, proxy, ...session, start_ms: round(start), first: await trainOnce(session), runs: [] });
    }
    // The first trainings are over: the proxies' engine warm-up resumes once they have been idle for 2 s.
    const settledMs = await settle(subjects.map((s) => s.proxy.pid));
    for (let i = 0; i < RUNS; i++) {
      for (const subject of subjects) subject.runs.push(await trainOnce(subject));
    }
    process.stdout.write(
      `${JSON.stringify({
        bench: 'train-overhead',
        runs: RUNS,
        first_training_after_ms: FIRST_AFTER_MS,
        settled_after_first_ms: settledMs,
        load_average: { start: loadStart, end: loadavg().map((v) => round(v, 2)) },
        proxies: Object.fromEntries(
          subjects.map((s) => [s.name, { start_ms: s.start_ms, first_training: s.first, ...summary(s.runs), runs: s.runs.map((r) => r.outside_ms) }]),
        ),
      })}\n`,
    );
  } finally {
    for (const s of subjects) {
      await s.db.end().catch(() => undefined);
      await s.proxy.stop();
    }
    cluster.stop();
  }
}

await main();
