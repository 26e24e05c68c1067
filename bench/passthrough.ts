// Passthrough overhead: pgbench select-only against Postgres directly, through pgml-proxy, and
// through pgbouncer (session mode) as the yardstick for "a proxy in the path". Cells run the
// three targets back to back so drift on the machine hits all of them alike.
// Run: npm run build && node --import tsx bench/passthrough.ts   (prints one JSON line)
// Env: BENCH_DURATION seconds per run (10), BENCH_SCALE (10), BENCH_CLIENTS ("1,8"), BENCH_MODES ("simple,prepared").
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execCapture } from '../test/support/exec.js';
import { createDatabase, startPgCluster, type PgCluster } from '../test/support/pg-cluster.js';
import { freePort } from '../test/support/ports.js';
import { startProxy } from '../test/support/proxy.js';

const PGBENCH = process.env.PGBENCH ?? '/usr/bin/pgbench';
const PGBOUNCER = '/usr/sbin/pgbouncer';
const DATABASE = 'bench';

const durationSec = Number(process.env.BENCH_DURATION ?? 10);
const scale = Number(process.env.BENCH_SCALE ?? 10);
const clientCounts = (process.env.BENCH_CLIENTS ?? '1,8').split(',').map(Number);
const modes = (process.env.BENCH_MODES ?? 'simple,prepared').split(',');

interface Bouncer {
  url: string;
  stop(): Promise<void>;
}

function log(message: string): void {
  process.stderr.write(`[passthrough] ${message}\n`);
}

/** pgbouncer refuses to run as root, so it runs as the postgres OS user when we are root. */
async function startPgbouncer(cluster: PgCluster): Promise<Bouncer> {
  const dir = mkdtempSync(join(tmpdir(), 'pgml-bouncer-'));
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const uid = asRoot ? Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()) : undefined;
  const gid = asRoot ? Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()) : undefined;
  writeFileSync(join(dir, 'userlist.txt'), '"postgres" ""\n');
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `${DATABASE} = host=${cluster.host} port=${cluster.port} dbname=${DATABASE}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = session',
      'max_client_conn = 200',
      'default_pool_size = 50',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid);
  chmodSync(dir, 0o755);
  const child = spawn(PGBOUNCER, [join(dir, 'pgbouncer.ini')], { uid, gid, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  await waitForPort(port, child, () => stderr);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${DATABASE}`,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited: ${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`pgbouncer did not listen on ${port}: ${stderr()}`);
}

async function pgbench(url: string, clients: number, mode: string): Promise<number> {
  const threads = Math.min(clients, availableParallelism());
  const args = ['-n', '-S', '-M', mode, '-c', String(clients), '-j', String(threads), '-T', String(durationSec), url];
  const r = await execCapture(PGBENCH, args);
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(r.stdout);
  if (r.code !== 0 || !tps || !/number of failed transactions: 0 /.test(r.stdout)) {
    throw new Error(`pgbench ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return Number(tps[1]);
}

const round = (n: number, digits: number): number => Number(n.toFixed(digits));

async function main(): Promise<void> {
  const cluster = await startPgCluster();
  const stops: Array<() => Promise<void> | void> = [() => cluster.stop()];
  try {
    await createDatabase(cluster, DATABASE);
    const directUrl = cluster.url('postgres', undefined, DATABASE);
    log(`pgbench -i -s ${scale}`);
    const init = await execCapture(PGBENCH, ['-i', '-q', '-s', String(scale), directUrl]);
    if (init.code !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);

    const proxy = await startProxy({ upstream: directUrl });
    stops.unshift(() => proxy.stop());
    const targets: Array<[string, string]> = [
      ['direct', directUrl],
      ['proxy', proxy.url('postgres', undefined, DATABASE)],
    ];
    if (existsSync(PGBOUNCER)) {
      const bouncer = await startPgbouncer(cluster);
      stops.unshift(() => bouncer.stop());
      targets.push(['pgbouncer', bouncer.url]);
    } else {
      log(`${PGBOUNCER} not found: no pgbouncer column`);
    }

    const cells = [];
    for (const clients of clientCounts) {
      for (const mode of modes) {
        const tps: Record<string, number> = {};
        for (const [name, url] of targets) {
          tps[name] = round(await pgbench(url, clients, mode), 1);
          log(`${mode} c=${clients} ${name}: ${tps[name]} tps`);
        }
        cells.push({
          clients,
          mode,
          tps,
          proxyOverDirect: round(tps.proxy! / tps.direct!, 3),
          proxyOverPgbouncer: tps.pgbouncer === undefined ? null : round(tps.proxy! / tps.pgbouncer, 3),
        });
      }
    }
    const pgbenchVersion = execFileSync(PGBENCH, ['--version'], { encoding: 'utf8' }).trim();
    process.stdout.write(
      `${JSON.stringify({ bench: 'passthrough', workload: 'pgbench -S', pgbench: pgbenchVersion, scale, durationSec, cpus: availableParallelism(), cells })}\n`,
    );
  } finally {
    for (const stop of stops) await stop();
  }
}

await main();
