// What the proxy's threads do beside the single-sentence `SELECT pgml.embed(m, $1)` calls made right
// after it starts, as bench/embed.ts makes them (issue 16): a fresh proxy per build and round, the
// model loaded by a first call, then windows of calls (BENCH_WINDOWS: 20,200,200,200), and each
// thread's CPU per call in each window (/proc/PID/task/*/schedstat). `platform_ms` sums V8's
// platform threads (the five threads Node starts right after the main thread: four workers and the
// delayed-task scheduler), where V8 optimizes code for every thread of the process; `engine_ms` the
// threads started after the first call that are neither the latency thread nor its onnxruntime
// thread (the two busiest) — the engine threads and the embedding thread. Two builds take turns, a
// fresh proxy each time: CPU counts, not wall time, tell them apart on a loaded machine.
// Run: npm run build && BENCH_CLI_BASE=<other build>/dist/cli.js node --import tsx bench/embed-start.ts
// Env: BENCH_CLI_BASE (required), BENCH_CLI (this checkout's dist/cli.js), BENCH_ROUNDS (2), BENCH_WINDOWS,
// BENCH_SMALL (1 layer of the MiniLM shape instead of 6), PYTHON (python3, for scripts/make-test-model.py).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { execCapture } from '../test/support/exec.js';
import { createDatabase, startPgCluster } from '../test/support/pg-cluster.js';
import { CLI_PATH, REPO_ROOT, startProxy } from '../test/support/proxy.js';
import { sentences } from './embed-sentences.js';
import { threadNs } from './thread-cpu.js';

const BASE = process.env.BENCH_CLI_BASE;
if (!BASE) throw new Error('BENCH_CLI_BASE: the other build to compare with (its dist/cli.js)');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WINDOWS = (process.env.BENCH_WINDOWS ?? '20,200,200,200').split(',').map(Number);
const PYTHON = process.env.PYTHON ?? 'python3';
const MODEL = 'bench/minilm-l6-shape';
const LAYERS = process.env.BENCH_SMALL ? '1' : '6';
const SHAPE = ['--layers', LAYERS, '--hidden', '384', '--heads', '12', '--intermediate', '1536', '--vocab-size', '30522', '--max-positions', '512', '--max-seq-length', '256'];

const dir = mkdtempSync(join(tmpdir(), 'pgml-bench-embed-start-'));
const modelsDir = join(dir, 'models');
const made = await execCapture(PYTHON, [join(REPO_ROOT, 'scripts', 'make-test-model.py'), '--out', join(modelsDir, MODEL), ...SHAPE]);
if (made.code !== 0) throw new Error(`make-test-model.py failed:\n${made.stderr}`);
const total = WINDOWS.reduce((a, b) => a + b, 0);
const texts = sentences(Math.max(200, total));
const call = `SELECT pgml.embed('${MODEL}', $1)`;
process.env.PGML_MODELS_DIR = modelsDir;
const cluster = await startPgCluster();
await createDatabase(cluster, 'bench');
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    const builds = [
      ['base', BASE],
      ['this', process.env.BENCH_CLI ?? CLI_PATH],
    ] as const;
    for (const [build, cliPath] of round % 2 === 0 ? builds : [...builds].reverse()) {
      const proxy = await startProxy({ upstream: cluster.url('postgres', undefined, 'bench'), cliPath });
      const client = new pg.Client({ connectionString: proxy.url('postgres', undefined, 'bench') });
      try {
        const atStart = [...threadNs(proxy.pid).keys()].sort((a, b) => a - b);
        const platform = new Set(atStart.filter((tid) => tid !== proxy.pid).slice(0, 5));
        const early = new Set(atStart);
        await client.connect();
        await client.query(call, ['load the model']);
        let at = 0;
        for (const size of WINDOWS) {
          const before = threadNs(proxy.pid);
          for (let k = 0; k < size; k += 1, at += 1) await client.query(call, [texts[at]]);
          const after = threadNs(proxy.pid);
          const perCall = [...after].map(([tid, ns]) => [tid, (ns - (before.get(tid) ?? 0)) / size / 1e6] as const);
          const sum = (keep: (tid: number) => boolean) => +perCall.filter(([tid]) => keep(tid)).reduce((n, [, ms]) => n + ms, 0).toFixed(3);
          const later = perCall.filter(([tid]) => !early.has(tid)).sort((x, y) => y[1] - x[1]);
          const [latency, pool] = later;
          process.stdout.write(
            `${JSON.stringify({
              round,
              build,
              calls: `${at - size}-${at}`,
              main_ms: sum((tid) => tid === proxy.pid),
              platform_ms: sum((tid) => platform.has(tid)),
              latency_and_pool_ms: +((latency?.[1] ?? 0) + (pool?.[1] ?? 0)).toFixed(3),
              engine_ms: +later.slice(2).reduce((n, [, ms]) => n + ms, 0).toFixed(3),
              load: +loadavg()[0]!.toFixed(1),
            })}\n`,
          );
        }
      } finally {
        await client.end().catch(() => undefined);
        await proxy.stop();
      }
    }
  }
} finally {
  cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
