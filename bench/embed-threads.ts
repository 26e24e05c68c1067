// Where a single sentence's CPU goes in the proxy (issue 16): `SELECT pgml.embed(m, $1)` over the
// BENCH_SINGLE sentences of bench/embed.ts (the same seeded texts, the same MiniLM-shaped model),
// then per call: the CPU time of every thread of the proxy process (/proc/PID/task/*/schedstat, ns)
// and how often each went to sleep (voluntary context switches: each is a wake-up on the path),
// the client's CPU, and the p50. CPU time and counts, not wall time, are what survive a loaded
// machine; wall time comes near a quiet machine's under SCHED_FIFO (`chrt -f 10`), which runs the
// proxy, the client and bench/embed_baseline.py ahead of the machine's other work.
// Then the same texts on the same file outside the proxy, in this process (bench/embed-alone.ts): the
// latency thread's own work back to back, the same with the proxy's pause between calls, and a bare
// onnxruntime-node session with the latency session's options: what the latency thread costs with
// nothing around it, on the same machine in the same minute.
// Run: npm run build && node --import tsx bench/embed-threads.ts   (one JSON line per round and phase)
// Env: BENCH_SINGLE (200), BENCH_ROUNDS (2), BENCH_CLI (another build's dist/cli.js, for an A/B), PYTHON (python3),
// BENCH_ALONE (1; 0 skips the phase outside the proxy), BENCH_PAUSE_MS (the pause between paced calls: 3).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { execCapture } from '../test/support/exec.js';
import { createDatabase, startPgCluster } from '../test/support/pg-cluster.js';
import { REPO_ROOT, startProxy } from '../test/support/proxy.js';
import { embedAlone } from './embed-alone.js';
import { sentences } from './embed-sentences.js';
import { percentile } from './predict-common.js';

const SINGLE = Number(process.env.BENCH_SINGLE ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PYTHON = process.env.PYTHON ?? 'python3';
const MODEL = 'bench/minilm-l6-shape';
const SHAPE = ['--layers', '6', '--hidden', '384', '--heads', '12', '--intermediate', '1536', '--vocab-size', '30522', '--max-positions', '512', '--max-seq-length', '256'];

/** CPU ns and voluntary context switches of each thread of `pid`, by thread id. */
function threads(pid: number): Map<string, { ns: number; sleeps: number }> {
  const out = new Map<string, { ns: number; sleeps: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      out.set(tid, { ns, sleeps: Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)![1]) });
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'pgml-bench-embed-threads-'));
const modelsDir = join(dir, 'models');
const made = await execCapture(PYTHON, [join(REPO_ROOT, 'scripts', 'make-test-model.py'), '--out', join(modelsDir, MODEL), ...SHAPE]);
if (made.code !== 0) throw new Error(`make-test-model.py failed:\n${made.stderr}`);
const texts = sentences(SINGLE);

process.env.PGML_MODELS_DIR = modelsDir;
const cluster = await startPgCluster();
await createDatabase(cluster, 'bench');
const proxy = await startProxy({ upstream: cluster.url('postgres', undefined, 'bench'), ...(process.env.BENCH_CLI ? { cliPath: process.env.BENCH_CLI } : {}) });
try {
  const client = new pg.Client({ connectionString: proxy.url('postgres', undefined, 'bench') });
  await client.connect();
  for (const text of texts.slice(0, 40)) await client.query(`SELECT pgml.embed('${MODEL}', $1)`, [text]);
  for (let round = 1; round <= ROUNDS; round += 1) {
    const before = threads(proxy.pid);
    const clientBefore = process.cpuUsage();
    const walls: number[] = [];
    for (const text of texts) {
      const start = performance.now();
      await client.query(`SELECT pgml.embed('${MODEL}', $1)`, [text]);
      walls.push(performance.now() - start);
    }
    const clientCpu = process.cpuUsage(clientBefore);
    const after = threads(proxy.pid);
    walls.sort((a, b) => a - b);
    // Threads that did at least 2 µs of work a call: [CPU ms a call, sleeps a call], busiest first.
    const perThread = [...after]
      .map(([tid, a]) => [tid, (a.ns - (before.get(tid)?.ns ?? 0)) / texts.length / 1e6, (a.sleeps - (before.get(tid)?.sleeps ?? 0)) / texts.length] as const)
      .filter(([, ms]) => ms > 0.002)
      .sort((x, y) => y[1] - x[1]);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'embed-threads',
        round,
        calls: texts.length,
        p50_ms: +percentile(walls, 50).toFixed(3),
        client_cpu_ms_per_call: +((clientCpu.user + clientCpu.system) / texts.length / 1000).toFixed(3),
        proxy_cpu_ms_per_call: +perThread.reduce((n, [, ms]) => n + ms, 0).toFixed(3),
        proxy_sleeps_per_call: +perThread.reduce((n, [, , s]) => n + s, 0).toFixed(2),
        threads_ms_sleeps_per_call: Object.fromEntries(perThread.map(([tid, ms, s]) => [tid === String(proxy.pid) ? 'main' : tid, [+ms.toFixed(3), +s.toFixed(2)]])),
        load_average: loadavg().map((x) => +x.toFixed(1)),
      })}\n`,
    );
  }
  await client.end();
} finally {
  await proxy.stop();
  cluster.stop();
}
try {
  if (process.env.BENCH_ALONE !== '0') await embedAlone(join(modelsDir, MODEL), texts, ROUNDS, Number(process.env.BENCH_PAUSE_MS ?? 3));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
// The phase outside the proxy loaded transformers.js and onnxruntime in this process; nothing is left to wait for.
process.exit(0);
