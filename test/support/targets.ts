// The servers a client test runs against. By default both proxy flavours; PGML_TEST_TARGETS
// (comma list of `proxy-postgres`, `proxy-pglite`, `direct`) narrows or widens that. `direct`
// talks to the cluster without the proxy: it validates a test's expectations against Postgres itself.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onExit } from './cleanup.js';
import { createDatabase, startPgCluster, type PgCluster } from './pg-cluster.js';
import { startProxy, type ProxyProcess } from './proxy.js';

export type TargetKind = 'proxy-postgres' | 'proxy-pglite' | 'direct';
const ALL_KINDS: readonly TargetKind[] = ['proxy-postgres', 'proxy-pglite', 'direct'];
const DEFAULT_KINDS: readonly TargetKind[] = ['proxy-postgres', 'proxy-pglite'];
/** Drivers wait forever on a silent server by default; a hung proxy must fail the suite, not CI. */
const SUITE_TIMEOUT_MS = 300_000;

export interface Target {
  kind: TargetKind;
  host: string;
  port: number;
  database: string;
  /** Connection URL for the given role (defaults to the trusted superuser `postgres`). */
  url(user?: string, password?: string): string;
  /** The real Postgres behind the target; absent for embedded PGlite. */
  cluster?: PgCluster;
  /** The proxy process; absent for `direct`. */
  proxy?: ProxyProcess;
}

export interface TargetFilter {
  /** Features that need a real server process: SCRAM/md5 roles, CancelRequest, restarts. */
  realPostgresOnly?: boolean;
  /** Features of the proxy itself (pgml.*, its own protocol errors). */
  proxyOnly?: boolean;
  /** Start proxies with their HTTP endpoint (`target.proxy.httpUrl`), e.g. to read /metrics. */
  http?: boolean;
  /** More command-line options for the proxies, e.g. `--anon-role postgres` for /rpc without a token. */
  proxyArgs?: string[];
}

export function selectedKinds(filter: TargetFilter = {}): TargetKind[] {
  const raw = process.env.PGML_TEST_TARGETS;
  const kinds = raw ? raw.split(',').map((k) => k.trim()).filter(Boolean) : [...DEFAULT_KINDS];
  for (const kind of kinds) {
    if (!ALL_KINDS.includes(kind as TargetKind)) throw new Error(`unknown target ${kind} in PGML_TEST_TARGETS`);
  }
  return (kinds as TargetKind[]).filter(
    (kind) => !(filter.realPostgresOnly && kind === 'proxy-pglite') && !(filter.proxyOnly && kind === 'direct'),
  );
}

let sharedCluster: Promise<PgCluster> | undefined;
let clusterUsers = 0;

/** One cluster per test file: started on first use, stopped when the file's last target is done. */
function acquireCluster(): Promise<PgCluster> {
  clusterUsers += 1;
  sharedCluster ??= startPgCluster();
  return sharedCluster;
}

async function releaseCluster(): Promise<void> {
  clusterUsers -= 1;
  if (clusterUsers === 0 && sharedCluster) {
    const cluster = await sharedCluster;
    sharedCluster = undefined;
    cluster.stop();
  }
}

async function startTarget(kind: TargetKind, http = false, extraArgs: string[] = []): Promise<{ target: Target; stop: () => Promise<void> }> {
  if (kind === 'proxy-pglite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'pgml-pglite-'));
    const forgetExitHook = onExit(() => rmSync(dataDir, { recursive: true, force: true }));
    try {
      const proxy = await startProxy({ dataDir, http, extraArgs });
      const target: Target = { kind, host: proxy.host, port: proxy.port, database: 'postgres', proxy, url: (u, p) => proxy.url(u, p) };
      return {
        target,
        stop: async () => {
          await proxy.stop();
          forgetExitHook();
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      forgetExitHook();
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }

  const cluster = await acquireCluster();
  try {
    const database = kind.replace('-', '_');
    await createDatabase(cluster, database);
    if (kind === 'direct') {
      const target: Target = { kind, host: cluster.host, port: cluster.port, database, cluster, url: (u, p) => cluster.url(u, p, database) };
      return { target, stop: releaseCluster };
    }
    const proxy = await startProxy({ upstream: cluster.url('postgres', undefined, database), http, extraArgs });
    const target: Target = { kind, host: proxy.host, port: proxy.port, database, cluster, proxy, url: (u, p) => proxy.url(u, p, database) };
    return {
      target,
      stop: async () => {
        await proxy.stop();
        await releaseCluster();
      },
    };
  } catch (err) {
    await releaseCluster();
    throw err;
  }
}

/**
 * Registers `describe(title [kind])` for every selected target; `body` receives a getter because
 * the target only exists once the `before` hook ran.
 */
export function describeTargets(
  title: string,
  filter: TargetFilter,
  body: (target: () => Target, kind: TargetKind) => void,
): void {
  for (const kind of selectedKinds(filter)) {
    describe(`${title} [${kind}]`, { timeout: SUITE_TIMEOUT_MS }, () => {
      let started: { target: Target; stop: () => Promise<void> } | undefined;
      before(async () => {
        started = await startTarget(kind, filter.http, filter.proxyArgs);
      });
      body(() => {
        assert.ok(started, `target ${kind} failed to start`);
        return started.target;
      }, kind);
      // Registered after the body's hooks so its clients disconnect before the server goes away.
      after(async () => {
        await started?.stop();
      });
    });
  }
}

/** For tests that prove the proxy survived a misbehaving client or upstream. */
export function assertProxyAlive(target: Target): void {
  if (target.proxy) assert.ok(target.proxy.isAlive(), `proxy exited:\n${target.proxy.output()}`);
}
