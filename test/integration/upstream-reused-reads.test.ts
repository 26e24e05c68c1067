// The proxy reads each upstream socket into one reused buffer (tcp-upstream.ts, `onread`), so the
// session must copy whatever outlives a read: a chunk queued for a client that is not reading, a
// message a handler keeps, a notice sent between a training read's rows. Here a proxy in this
// process runs on a real Postgres through the real TcpUpstreamConnector, whose links overwrite each
// read's bytes as soon as the session has handled them, as the next socket read would: a reference
// kept to them shows up as a wrong byte, every time, instead of only when a later read lands first.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { PgAdminDatabase } from '../../src/db/admin.js';
import { loadMigrations, migrate } from '../../src/db/migrations.js';
import { installStubs } from '../../src/functions/stub.js';
import { Embedder } from '../../src/pgml/embeddings/index.js';
import { closePool } from '../../src/pgml/engines/pool.js';
import { createServingCaches } from '../../src/pgml/serving/services.js';
import type { UpstreamConnector, UpstreamLink } from '../../src/proxy/link.js';
import { ProxyServer } from '../../src/proxy/server.js';
import { TcpUpstreamConnector } from '../../src/proxy/tcp-upstream.js';
import { UpstreamFunctions } from '../../src/proxy/upstream-functions.js';
import { initParser } from '../../src/sql/index.js';
import { registry } from '../support/catalog.js';
import { createDatabase, startPgCluster, type PgCluster } from '../support/pg-cluster.js';

const MIGRATIONS = fileURLToPath(new URL('../../migrations', import.meta.url));
const md5 = (i: number): string => createHash('md5').update(String(i)).digest('hex');

/** The real connector, with each lent read's bytes overwritten once the session returns from it. */
class OverwritingConnector implements UpstreamConnector {
  readonly kind = 'postgres';
  lentReads = 0;
  constructor(private readonly real: TcpUpstreamConnector) {}

  async connect(startupPacket: Buffer): Promise<UpstreamLink> {
    const link = await this.real.connect(startupPacket);
    let handler: UpstreamLink['onData'] = () => {};
    link.onData = (chunk, lent) => {
      handler(chunk, lent);
      if (lent !== true) return;
      this.lentReads++;
      chunk.fill(0xee);
    };
    return new Proxy(link, {
      set(target, key, value) {
        if (key === 'onData') handler = value as UpstreamLink['onData'];
        else (target as unknown as Record<string | symbol, unknown>)[key] = value;
        return true;
      },
    });
  }

  cancel(processId: number, secretKey: number): Promise<void> {
    return this.real.cancel(processId, secretKey);
  }

  close(): Promise<void> {
    return this.real.close();
  }
}

let cluster: PgCluster;
let server: ProxyServer;
let connector: OverwritingConnector;
let url: string;

before(async () => {
  await initParser();
  cluster = await startPgCluster();
  await createDatabase(cluster, 'reads');
  const upstream = cluster.url('postgres', undefined, 'reads');
  const prepare = async (work: (db: PgAdminDatabase) => Promise<void>): Promise<void> => {
    const admin = await PgAdminDatabase.connect(upstream);
    try {
      await work(admin);
    } finally {
      await admin.close();
    }
  };
  await prepare(async (db) => {
    await migrate(db, await loadMigrations(MIGRATIONS));
    await installStubs(db, registry.all());
  });
  const functions = new UpstreamFunctions(registry);
  await functions.reload(prepare);
  connector = new OverwritingConnector(new TcpUpstreamConnector({ host: cluster.host, port: cluster.port }));
  const services = { serving: createServingCaches(), embedder: new Embedder() };
  server = new ProxyServer({ connector, registry, functions, services, authTimeoutMs: 10_000, answerLocally: true, log: () => {} });
  const { port } = await server.listen('127.0.0.1', 0);
  url = `postgres://postgres@127.0.0.1:${port}/reads`;
});

after(async () => {
  await server?.stop(0);
  await closePool();
  cluster?.stop();
});

/** The pg client's socket: pausing it stops the client reading, so the proxy's writes to it queue. */
const socketOf = (client: pg.Client): Socket => (client as unknown as { connection: { stream: Socket } }).connection.stream;

/** Runs `query` with the client not reading for `ms`, long enough for the proxy to queue what it forwards. */
async function heldBack<T>(client: pg.Client, ms: number, query: () => Promise<T>): Promise<T> {
  const socket = socketOf(client);
  const result = query();
  socket.pause();
  await sleep(ms);
  socket.resume();
  return result;
}

async function connect(notices: string[] = []): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('notice', (n) => notices.push(n.message ?? ''));
  await client.connect();
  return client;
}

test('a result forwarded to a client that is not reading arrives intact, every read overwritten after it', { timeout: 60_000 }, async () => {
  const client = await connect();
  try {
    const before = connector.lentReads;
    const rows = 60_000;
    const result = await heldBack(client, 1000, () =>
      client.query<{ i: number; v: string }>(`SELECT i, repeat(md5(i::text), 6) AS v FROM generate_series(1, ${rows}) AS i`),
    );
    assert.ok(connector.lentReads - before > 10, 'the result came in lent reads');
    assert.equal(result.rows.length, rows);
    for (const [n, row] of result.rows.entries()) {
      assert.equal(row.i, n + 1);
      if (row.v !== md5(n + 1).repeat(6)) assert.fail(`row ${n + 1} differs: ${row.v.slice(0, 40)}…`);
    }
  } finally {
    await client.end();
  }
});

test("a training read framed in place: its notices between the rows arrive intact, the model is the rows'", { timeout: 60_000 }, async () => {
  const notices: string[] = [];
  const client = await connect(notices);
  try {
    // A notice of ~1 KB every fourth row, raised while the training's own read streams the rows:
    // the rows go to the decoder in runs, the notices to the client (queued while it does not read).
    await client.query(`
      CREATE FUNCTION noisy(i int) RETURNS int LANGUAGE plpgsql AS $$
      BEGIN
        IF i % 4 = 0 THEN RAISE NOTICE 'row % %', i, repeat(md5(i::text), 30); END IF;
        RETURN i;
      END $$`);
    const rows = 20_000;
    await client.query(
      `CREATE VIEW noisy_rows AS SELECT (noisy(i) % 97)::float4 AS a, cos(i * 0.3)::float4 AS b, (cos(i * 0.3) + (i % 97) / 97.0 > 0.6) AS label
         FROM generate_series(1, ${rows}) AS i`,
    );
    const trained = await heldBack(client, 1000, () =>
      client.query(`SELECT deployed FROM pgml.train('noisy', 'classification', 'noisy_rows', 'label', 'linear', test_size => 0.25, test_sampling => 'last')`),
    );
    assert.equal(trained.rows[0].deployed, true);
    const rowNotices = notices.filter((n) => n.startsWith('row '));
    assert.equal(rowNotices.length, rows / 4);
    for (const [k, notice] of rowNotices.entries()) {
      const i = 4 * (k + 1);
      if (notice !== `row ${i} ${md5(i).repeat(30)}`) assert.fail(`notice ${k} differs: ${notice.slice(0, 60)}…`);
    }
    // The rows reached the model intact: the same relation copied to a table (read with no notice
    // between its rows) trains to the same metrics.
    await client.query(`CREATE TABLE quiet_rows AS SELECT * FROM noisy_rows`);
    await client.query(`SELECT * FROM pgml.train('quiet', 'classification', 'quiet_rows', 'label', 'linear', test_size => 0.25, test_sampling => 'last')`);
    const metrics = async (project: string) => {
      const sql = `SELECT m.metrics - 'fit_time' - 'score_time' AS metrics FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = $1`;
      return (await client.query(sql, [project])).rows[0].metrics;
    };
    assert.deepEqual(await metrics('noisy'), await metrics('quiet'));
  } finally {
    await client.end();
  }
});
