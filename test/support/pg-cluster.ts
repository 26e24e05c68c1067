// A throwaway PostgreSQL cluster for integration tests: its own data dir, TCP port and socket
// dir, with roles for every authentication method the proxy must relay.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { onExit } from './cleanup.js';
import { freePort } from './ports.js';

export const SCRAM_USER = { user: 'scram_user', password: 'scram-secret' } as const;
export const MD5_USER = { user: 'md5_user', password: 'md5-secret' } as const;

export interface PgCluster {
  host: string;
  port: number;
  socketDir: string;
  dataDir: string;
  /** The server's log (pg_ctl -l): a benchmark reads its autovacuum and checkpoint lines. */
  logFile: string;
  url(user?: string, password?: string, database?: string): string;
  /** `pg_ctl restart -m fast`: every open backend is terminated with 57P01. */
  restart(): void;
  stop(): void;
}

const OS_USER = 'postgres';

/** Highest-versioned Debian install first, PATH as a fallback (e.g. a source build). */
export function pgBinary(name: string): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', name)))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(root, versions[0], 'bin', name);
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(`PostgreSQL binary ${name} not found under ${root}/*/bin or on PATH`);
}

/** initdb and postgres refuse to run as root; CI runs as root, so drop to the postgres OS user. */
function asServerUser(argv: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [argv[0]!, argv.slice(1)];
  return ['runuser', ['-u', OS_USER, '--', ...argv]];
}

function run(argv: string[]): void {
  const [cmd, args] = asServerUser(argv);
  const result = spawnSync(cmd, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${argv.join(' ')} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
}

export interface PgClusterOptions {
  /** Start the OID counter here (pg_resetwal -o), e.g. past 2^31 to test unsigned OIDs. */
  nextOid?: number;
  /** More postgresql.conf lines (a benchmark's logging: log_autovacuum_min_duration, log_checkpoints). */
  settings?: string[];
}

export async function startPgCluster(options: PgClusterOptions = {}): Promise<PgCluster> {
  const root = mkdtempSync(join(tmpdir(), 'pgml-pg-'));
  const dataDir = join(root, 'data');
  const socketDir = root;
  const logFile = join(root, 'server.log');
  if (process.getuid?.() === 0) execFileSync('chown', [`${OS_USER}:`, root]);
  chmodSync(root, 0o755);

  const port = await freePort();
  const pgCtl = pgBinary('pg_ctl');
  let running = false;
  const stop = (): void => {
    if (running) {
      running = false;
      const [cmd, args] = asServerUser([pgCtl, 'stop', '-D', dataDir, '-m', 'immediate', '-w']);
      spawnSync(cmd, args);
    }
    rmSync(root, { recursive: true, force: true });
  };
  // Tests that crash must not leave postmasters behind.
  const forgetExitHook = onExit(stop);

  try {
    run([pgBinary('initdb'), '-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    appendFileSync(
      join(dataDir, 'postgresql.conf'),
      [
        `port = ${port}`,
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${socketDir}'`,
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        'max_connections = 200',
        ...(options.settings ?? []),
        '',
      ].join('\n'),
    );
    // First match wins: the password roles are listed before the trust catch-all.
    writeFileSync(
      join(dataDir, 'pg_hba.conf'),
      [
        'local all all trust',
        `host all ${SCRAM_USER.user} 127.0.0.1/32 scram-sha-256`,
        `host all ${MD5_USER.user} 127.0.0.1/32 md5`,
        'host all all 127.0.0.1/32 trust',
        '',
      ].join('\n'),
    );
    if (options.nextOid !== undefined) run([pgBinary('pg_resetwal'), '-o', String(options.nextOid), dataDir]);
    run([pgCtl, 'start', '-w', '-D', dataDir, '-l', logFile]);
    running = true;
  } catch (err) {
    stop();
    throw err;
  }

  const host = '127.0.0.1';
  const cluster: PgCluster = {
    host,
    port,
    socketDir,
    dataDir,
    logFile,
    url: (user = 'postgres', password, database = 'postgres') =>
      `postgres://${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ''}@${host}:${port}/${database}`,
    restart: () => run([pgCtl, 'restart', '-w', '-m', 'fast', '-D', dataDir, '-l', logFile]),
    stop: () => {
      forgetExitHook();
      stop();
    },
  };
  await createRoles(cluster);
  return cluster;
}

async function createRoles(cluster: PgCluster): Promise<void> {
  const client = new pg.Client({ connectionString: cluster.url() });
  await client.connect();
  try {
    // The stored verifier decides the method: an md5 hba line with a SCRAM verifier would upgrade to SCRAM.
    await client.query(`SET password_encryption = 'scram-sha-256'`);
    await client.query(`CREATE ROLE ${SCRAM_USER.user} LOGIN PASSWORD '${SCRAM_USER.password}'`);
    await client.query(`SET password_encryption = 'md5'`);
    await client.query(`CREATE ROLE ${MD5_USER.user} LOGIN PASSWORD '${MD5_USER.password}'`);
  } finally {
    await client.end();
  }
}

/** A database per target keeps tests that share one cluster from seeing each other's tables. */
export async function createDatabase(cluster: PgCluster, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: cluster.url() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
    await client.query(`GRANT ALL ON DATABASE ${name} TO PUBLIC`);
  } finally {
    await client.end();
  }
  const inDb = new pg.Client({ connectionString: cluster.url('postgres', undefined, name) });
  await inDb.connect();
  try {
    // PG15 revoked CREATE on public from PUBLIC; the password roles create tables in auth tests.
    await inDb.query('GRANT ALL ON SCHEMA public TO PUBLIC');
  } finally {
    await inDb.end();
  }
}
