// Memory a training leaves behind (issue 15): one training proxy trains `linear`, then XGBoost
// BENCH_XGBOOST_FITS times (4), then `linear` again, on one generated n×30 table (BENCH_ROWS,
// 1000000), one training at a time. Per training: the proxy's RSS before, its peak during the
// training (VmHWM, reset before it), both over the matrix, and after each training (2 s later) what
// holds the resident memory: the main thread's malloc heap ([heap]), the 64 MB heaps of glibc's other
// arenas (the threads'), the rest of the anonymous memory (V8's heaps, mmap'd buffers: a matrix is one
// mapping of its own size, listed under `large`), and file mappings. BENCH_MALLOC_INFO=1 also writes
// glibc's malloc_info of the proxy (through gdb, which must be installed): per arena the MB it holds
// from the system and the MB free in it. During each training the RSS is sampled every 20 ms:
// `resident_at_peak` is the same breakdown taken when it last rose to a new high (2 MB steps), with the
// training's last notice before it (which phase the peak fell in).
// Run: npm run build && node --import tsx bench/train-rss.ts   (prints one JSON line)
// Env: BENCH_CLI another build's dist/cli.js (an A/B against main's build); BENCH_SEQUENCE the trainings
//      in order, e.g. linear,linear,xgboost,linear (a matrix left from the previous training shows there);
//      BENCH_NOTICE_LOG a file that gets each training's start and notices as [epoch ms, text] lines, the
//      clock of bench/rss-probe.mjs (a preload that samples the proxy's memory every 10 ms; see its header).
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDatabase, startPgCluster } from '../test/support/pg-cluster.js';
import { startProxy } from '../test/support/proxy.js';
import { createTable, FEATURES } from './train-table.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const XGBOOST_FITS = Number(process.env.BENCH_XGBOOST_FITS ?? 4);
/** BENCH_SEQUENCE: the trainings in order (comma list of algorithms), instead of linear, XGBoost ×BENCH_XGBOOST_FITS, linear. */
const SEQUENCE = process.env.BENCH_SEQUENCE?.split(',').filter(Boolean);
const SAMPLE_MS = 20;
const SETTLE_MS = 2000;
const PARAMS = {
  xgboost: { n_estimators: 100, max_depth: 6, eta: 0.3, tree_method: 'hist', nthread: 2 },
  linear: { C: 1.0, max_iter: 100, tol: 1e-4, fit_intercept: true },
};
type Algorithm = keyof typeof PARAMS;
const MATRIX_MB = (ROWS * FEATURES * 4) / (1024 * 1024);

const round = (v: number, digits = 4) => Number(v.toPrecision(digits));
const mb = (kb: number) => round(kb / 1024);

function log(message: string): void {
  process.stderr.write(`[train-rss] ${message}\n`);
}

function status(pid: number): { rss: number; peak: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(text)?.[1]);
  return { rss: mb(kb('VmRSS')), peak: mb(kb('VmHWM')) };
}

interface Mapping {
  start: bigint;
  end: bigint;
  perm: string;
  name: string;
  rss: number;
}

/** Resident memory by what holds it, from /proc/<pid>/smaps. */
function residentBy(pid: number) {
  const all: Mapping[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) all.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), perm: m[3]!, name: m[4]!, rss: 0 });
    else if (line.startsWith('Rss:') && all.length > 0) all[all.length - 1]!.rss = Number(/(\d+)/.exec(line)![1]);
  }
  const HEAP_MAX = 64n * 1024n * 1024n;
  const out = { main_malloc_heap: 0, arena_heaps: 0, other_anonymous: 0, files: 0 };
  const large: number[] = [];
  all.forEach((m, i) => {
    const next = all[i + 1];
    // A non-main glibc arena heap: 64 MB aligned and reserved, its unused part a ---p mapping after it.
    const reserved = m.end - m.start + (next !== undefined && next.start === m.end && next.perm === '---p' ? next.end - next.start : 0n);
    if (m.name === '[heap]') out.main_malloc_heap += m.rss;
    else if (m.name === '' && m.perm.startsWith('rw') && m.start % HEAP_MAX === 0n && reserved === HEAP_MAX) out.arena_heaps += m.rss;
    else if (m.name === '' || m.name.startsWith('[anon')) {
      out.other_anonymous += m.rss;
      if (m.rss > 8 * 1024) large.push(mb(m.rss));
    } else out.files += m.rss;
  });
  return { main_malloc_heap: mb(out.main_malloc_heap), arena_heaps: mb(out.arena_heaps), other_anonymous: mb(out.other_anonymous), large, files: mb(out.files) };
}

/** glibc's malloc_info of the process, through gdb: per arena [MB from the system, MB free in it]. */
function mallocInfo(pid: number): number[][] | undefined {
  if (process.env.BENCH_MALLOC_INFO !== '1') return undefined;
  const file = join(tmpdir(), `train-rss-malloc-info-${pid}.xml`);
  const calls = [`set $f = (void*)fopen("${file}","w")`, 'call (int)malloc_info(0,$f)', 'call (int)fclose($f)'];
  execFileSync('gdb', ['-p', String(pid), '-batch', ...calls.flatMap((c) => ['-ex', c])], { stdio: 'ignore' });
  const xml = readFileSync(file, 'utf8');
  return [...xml.matchAll(/<heap nr="\d+">([\s\S]*?)<\/heap>/g)].map(([, body]) => {
    const free = [...body!.matchAll(/<total type="(?:fast|rest)" count="\d+" size="(\d+)"\/>/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    const system = Number(/<system type="current" size="(\d+)"\/>/.exec(body!)?.[1]);
    return [round(system / 1048576, 3), round(free / 1048576, 3)];
  });
}

/**
 * Samples the RSS every SAMPLE_MS while a training runs; each time it passes its highest so far by
 * 2 MB, what holds it (residentBy) and the training's last notice then: `stop()` gives the last such.
 */
function samplePeak(pid: number, notices: [number, string][]) {
  let highest = 0;
  let found: { rss_mb: number; after_notice: string; resident: ReturnType<typeof residentBy> } | undefined;
  const timer = setInterval(() => {
    const { rss } = status(pid);
    if (rss < highest + 2) return;
    highest = rss;
    const last = notices[notices.length - 1]?.[1] ?? '(none yet)';
    found = { rss_mb: rss, after_notice: last.slice(0, 40), resident: residentBy(pid) };
  }, SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      return found;
    },
  };
}

async function main(): Promise<void> {
  const loadStart = loadavg().map((v) => round(v, 2));
  const cluster = await startPgCluster();
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  try {
    await createDatabase(cluster, 'bench');
    const direct = cluster.url('postgres', undefined, 'bench');
    const setup = new pg.Client({ connectionString: direct });
    await setup.connect();
    log(`generating ${ROWS}×${FEATURES}`);
    await createTable(setup, 'synthetic', ROWS);
    await setup.end();
    const cliPath = process.env.BENCH_CLI;
    proxy = await startProxy({ upstream: direct, ...(cliPath === undefined ? {} : { cliPath }) });
    const pid = proxy.pid;
    const db = new pg.Client({ connectionString: proxy.url('postgres', undefined, 'bench') });
    await db.connect();
    const started = { rss: status(pid).rss, resident: residentBy(pid) };
    const sequence = (SEQUENCE ?? ['linear', ...Array<Algorithm>(XGBOOST_FITS).fill('xgboost'), 'linear']) as Algorithm[];
    const notices: [number, string][] = [];
    const noticeLog = process.env.BENCH_NOTICE_LOG;
    db.on('notice', (n) => {
      notices.push([performance.now(), n.message ?? '']);
      if (noticeLog !== undefined) appendFileSync(noticeLog, `${JSON.stringify([Date.now(), (n.message ?? '').slice(0, 60)])}\n`);
    });
    const trainings = [];
    for (const [i, algorithm] of sequence.entries()) {
      log(`training ${i + 1} of ${sequence.length}: ${algorithm}`);
      if (noticeLog !== undefined) appendFileSync(noticeLog, `${JSON.stringify([Date.now(), `start ${algorithm}`])}\n`);
      const before = status(pid).rss;
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
      const t = performance.now();
      notices.length = 0;
      const atPeak = samplePeak(pid, notices);
      await db.query(
        `SELECT * FROM pgml.train(project_name => $1, task => 'classification', relation_name => 'synthetic', y_column_name => 'label',
           algorithm => $2, hyperparams => $3::jsonb, test_size => 0.25, test_sampling => 'last')`,
        [`rss_${i}`, algorithm, JSON.stringify(PARAMS[algorithm])],
      );
      const wall = (performance.now() - t) / 1000;
      const { peak } = status(pid);
      const resident_at_peak = atPeak.stop();
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const after = status(pid).rss;
      const training = {
        algorithm,
        wall: round(wall),
        rss_before_mb: before,
        peak_rss_mb: peak,
        peak_over_before_per_matrix: round((peak - before) / MATRIX_MB, 3),
        peak_over_start_per_matrix: round((peak - started.rss) / MATRIX_MB, 3),
        resident_at_peak,
        rss_after_mb: after,
        resident_after_mb: residentBy(pid),
        ...(process.env.BENCH_MALLOC_INFO === '1' ? { malloc_arenas_after_mb: mallocInfo(pid) } : {}),
      };
      log(JSON.stringify(training));
      trainings.push(training);
    }
    await db.end();
    process.stdout.write(
      `${JSON.stringify({
        bench: 'train-rss',
        ...(cliPath === undefined ? {} : { cli: cliPath }),
        rows: ROWS,
        features: FEATURES,
        matrix_mb: round(MATRIX_MB),
        load_average: { start: loadStart, end: loadavg().map((v) => round(v, 2)) },
        proxy_started_mb: started.rss,
        resident_started_mb: started.resident,
        trainings,
      })}\n`,
    );
  } finally {
    await proxy?.stop();
    cluster.stop();
  }
}

await main();
