// The proxy main thread's CPU per single-sentence `SELECT pgml.embed(m, $1)` (issue 16), with the
// latency thread's and the whole process's, two builds in the same run: one proxy per build on one
// Postgres, BENCH_SINGLE calls through each in turn (the order flips every round), each thread's CPU
// (/proc/PID/task/*/schedstat) divided by the calls. Taking turns within one run is what lets two builds be told apart on a loaded machine,
// where the CPU a call costs moves with the load from one minute to the next. The model is
// bench/embed.ts's MiniLM shape (BENCH_SMALL=1: one layer of it, same 384 dimensions, so the rounds
// go faster; the main thread's work per call is the same).
// Run: npm run build && BENCH_CLI_BASE=<other build>/dist/cli.js node --import tsx bench/embed-main-thread.ts
// Env: BENCH_CLI_BASE (required), BENCH_CLI (this checkout's dist/cli.js), BENCH_SINGLE (200), BENCH_ROUNDS (8),
// BENCH_SMALL, PYTHON (python3, for scripts/make-test-model.py). One JSON line per round and build, then a summary line.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { execCapture } from '../test/support/exec.js';
import { createDatabase, startPgCluster } from '../test/support/pg-cluster.js';
import { CLI_PATH, REPO_ROOT, startProxy, type ProxyProcess } from '../test/support/proxy.js';
import { sentences } from './embed-sentences.js';
import { threadNs } from './thread-cpu.js';

const BASE = process.env.BENCH_CLI_BASE;
if (!BASE) throw new Error('BENCH_CLI_BASE: the other build to compare with (its dist/cli.js)');
const SINGLE = Number(process.env.BENCH_SINGLE ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const PYTHON = process.env.PYTHON ?? 'python3';
const MODEL = 'bench/minilm-l6-shape';
const LAYERS = process.env.BENCH_SMALL ? '1' : '6';
const SHAPE = ['--layers', LAYERS, '--hidden', '384', '--heads', '12', '--intermediate', '1536', '--vocab-size', '30522', '--max-positions', '512', '--max-seq-length', '256'];

/**
 * ms of CPU a call: the main thread; the latency thread, the thread other than main that took the
 * most (it calls onnxruntime's run, which takes more than its pool thread's share); the process.
 */
function perCall(pid: number, before: Map<number, number>, after: Map<number, number>, calls: number) {
  const deltas = [...after].map(([tid, ns]) => [tid, ns - (before.get(tid) ?? 0)] as const);
  const ms = (ns: number) => ns / calls / 1e6;
  const others = deltas.filter(([tid]) => tid !== pid).map(([, ns]) => ns);
  return {
    main: ms(deltas.find(([tid]) => tid === pid)?.[1] ?? 0),
    latency: ms(Math.max(0, ...others)),
    process: ms(deltas.reduce((sum, [, ns]) => sum + ns, 0)),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'pgml-bench-embed-main-'));
const modelsDir = join(dir, 'models');
const made = await execCapture(PYTHON, [join(REPO_ROOT, 'scripts', 'make-test-model.py'), '--out', join(modelsDir, MODEL), ...SHAPE]);
if (made.code !== 0) throw new Error(`make-test-model.py failed:\n${made.stderr}`);
const texts = sentences(SINGLE);
const call = `SELECT pgml.embed('${MODEL}', $1)`;

process.env.PGML_MODELS_DIR = modelsDir;
const cluster = await startPgCluster();
await createDatabase(cluster, 'bench');
const builds: { name: string; proxy: ProxyProcess; client: pg.Client; perCall: number[]; latency: number[]; process: number[] }[] = [];
try {
  for (const [name, cliPath] of [
    ['base', BASE],
    ['this', process.env.BENCH_CLI ?? CLI_PATH],
  ] as const) {
    const proxy = await startProxy({ upstream: cluster.url('postgres', undefined, 'bench'), cliPath });
    const client = new pg.Client({ connectionString: proxy.url('postgres', undefined, 'bench') });
    builds.push({ name, proxy, client, perCall: [], latency: [], process: [] });
    await client.connect();
    for (const text of texts.slice(0, 60)) await client.query(call, [text]);
  }
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
      const before = threadNs(build.proxy.pid);
      for (const text of texts) await build.client.query(call, [text]);
      const ms = perCall(build.proxy.pid, before, threadNs(build.proxy.pid), texts.length);
      build.perCall.push(ms.main);
      build.latency.push(ms.latency);
      build.process.push(ms.process);
      process.stdout.write(
        `${JSON.stringify({ round, build: build.name, main_cpu_ms_per_call: +ms.main.toFixed(4), latency_thread_cpu_ms_per_call: +ms.latency.toFixed(4), process_cpu_ms_per_call: +ms.process.toFixed(4), load: +loadavg()[0]!.toFixed(1) })}\n`,
      );
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const [base, mine] = builds as [(typeof builds)[0], (typeof builds)[0]];
  process.stdout.write(
    `${JSON.stringify({
      bench: 'embed-main-thread',
      calls: SINGLE,
      rounds: ROUNDS,
      base_median_ms: +median(base.perCall).toFixed(4),
      this_median_ms: +median(mine.perCall).toFixed(4),
      base_min_ms: +Math.min(...base.perCall).toFixed(4),
      this_min_ms: +Math.min(...mine.perCall).toFixed(4),
      rounds_this_lower: mine.perCall.filter((ms, i) => ms < base.perCall[i]!).length,
      latency_thread: {
        base_median_ms: +median(base.latency).toFixed(4),
        this_median_ms: +median(mine.latency).toFixed(4),
        rounds_this_lower: mine.latency.filter((ms, i) => ms < base.latency[i]!).length,
      },
      process: { base_median_ms: +median(base.process).toFixed(4), this_median_ms: +median(mine.process).toFixed(4) },
      load_average: loadavg().map((x) => +x.toFixed(1)),
    })}\n`,
  );
} finally {
  for (const build of builds) {
    await build.client.end().catch(() => undefined);
    await build.proxy.stop();
  }
  cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
