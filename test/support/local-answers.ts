// Shared by the tests comparing the proxy's local answers with the upstream's (answer-locally*.test.ts):
// two proxies on one Postgres, one with answering locally turned off (PGML_PROXY_ANSWER_LOCALLY=off
// sends every statement upstream), the models they predict with, and a raw connection to each.
import { join } from 'node:path';
import pg from 'pg';
import { createDatabase, startPgCluster, type PgCluster } from './pg-cluster.js';
import { REPO_ROOT, startProxy, type ProxyProcess } from './proxy.js';
import { RawConnection, type BackendMessage } from './raw-wire.js';

const MODELS = join(REPO_ROOT, 'test', 'fixtures', 'models');
export const TINY = 'pgml-test/tiny-bert';
export const DATABASE = 'local_answers';

const SETUP = `
  CREATE TABLE reg AS
  SELECT sin(i)::real AS a, cos(i * 1.3)::real AS b, ((i % 7) / 7.0)::real AS c,
         (3 * sin(i) - 2 * cos(i * 1.3) + (i % 7) / 7.0)::real AS y
    FROM generate_series(1, 200) AS i;
  CREATE TABLE cls AS
  SELECT sin(i)::real AS a, cos(i * 0.7)::real AS b, (sin(i) + cos(i * 0.7) > 0.3)::int AS label
    FROM generate_series(1, 200) AS i;
  CREATE FUNCTION float_digits(digits text) RETURNS text LANGUAGE sql AS $$ SELECT set_config('extra_float_digits', digits, false) $$;
  CREATE FUNCTION short_floats() RETURNS void LANGUAGE plpgsql AS $$ BEGIN SET extra_float_digits = -1; END $$;
  SELECT * FROM pgml.train('reg', 'regression', 'reg', 'y', 'linear');
  SELECT * FROM pgml.train('cls', 'classification', 'cls', 'label', 'xgboost', '{"n_estimators": 5}');
  SELECT * FROM pgml.train('xreg', 'regression', 'reg', 'y', 'xgboost', '{"n_estimators": 20}');`;

export interface ProxyPair {
  cluster: PgCluster;
  /** Answers locally what it can. */
  local: ProxyProcess;
  /** Sends every statement upstream: the answers to compare with. */
  upstream: ProxyProcess;
  /** The database, straight (no proxy). */
  url: string;
  stop(): Promise<void>;
}

/** A Postgres with the models of SETUP trained, and the two proxies in front of it. */
export async function startProxyPair(): Promise<ProxyPair> {
  const cluster = await startPgCluster();
  await createDatabase(cluster, DATABASE);
  const url = cluster.url('postgres', undefined, DATABASE);
  const env = { PGML_MODELS_DIR: MODELS };
  const [local, upstream] = await Promise.all([
    startProxy({ upstream: url, env }),
    startProxy({ upstream: url, env: { ...env, PGML_PROXY_ANSWER_LOCALLY: 'off' } }),
  ]);
  const setup = new pg.Client({ connectionString: local.url('postgres', undefined, DATABASE) });
  await setup.connect();
  await setup.query(SETUP);
  await setup.end();
  return {
    cluster,
    local,
    upstream,
    url,
    async stop() {
      await Promise.all([local.stop(), upstream.stop()]);
      cluster.stop();
    },
  };
}

export async function session(proxy: ProxyProcess): Promise<RawConnection> {
  const connection = await RawConnection.open(proxy.host, proxy.port);
  await connection.startup('postgres', DATABASE);
  return connection;
}

/** Sends the bytes and reads the answers up to the `readyCount`-th ReadyForQuery. */
export async function exchange(connection: RawConnection, bytes: Buffer, readyCount: number): Promise<BackendMessage[]> {
  connection.write(bytes);
  const answers: BackendMessage[] = [];
  for (let ready = 0; ready < readyCount; ready++) answers.push(...(await connection.readUntil('Z')));
  return answers;
}

/** A readable form of the messages, with every byte of each: equal strings mean equal bytes. */
export const show = (messages: readonly BackendMessage[]): string[] =>
  messages.map((m) => `${m.type} ${m.body.toString('hex')} ${JSON.stringify(m.body.toString('latin1'))}`);
