// Statements the proxy answers itself (issue 16: `SELECT pgml.predict(...)` and friends, src/sql/
// plan-local.ts): the bytes a client receives must be exactly those the upstream sends for the same
// statement. Two proxies run on one Postgres, one with answering locally turned off
// (PGML_PROXY_ANSWER_LOCALLY=off sends every statement upstream), and the same message sequences
// are sent to both through a raw connection written independently of src/wire; the test also
// checks that the locally answered statements never reached the upstream (pg_stat_activity).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { DATABASE, TINY, exchange, session, show, startProxyPair, type ProxyPair } from '../support/local-answers.js';
import type { ProxyProcess } from '../support/proxy.js';
import { extendedQueryMessages, queryMessage, syncMessage } from '../support/raw-wire.js';

const PREDICT = `SELECT pgml.predict('reg', ARRAY[0.25, -0.5, 0.125]::float8[])`;

/** Statements the planner answers locally, as users write them. */
const LOCAL_STATEMENTS = [
  PREDICT,
  `SELECT pgml.predict('reg', ARRAY[1, 2, 3]::real[]) AS y_hat`,
  `select pgml.predict('reg', '{0.1,0.2,0.3}'::real[]), pgml.predict('reg', ARRAY[0.3, 0.2, 0.1]::float8[])::double precision, pgml.predict('cls', ARRAY[0.5, 0.5]::float8[])::real AS "Label"`,
  `SELECT pgml.predict_proba('cls', ARRAY[0.9, -0.1]), pgml.predict_proba('cls', ARRAY[0.9, -0.1])::float8[] AS wide`,
  `SELECT pgml.predict('reg', ARRAY[1e30, -1e-30, 0])`,
  // XGBoost regression: its trees walked in JavaScript (src/pgml/serving/xgboost-trees.ts).
  `SELECT pgml.predict('xreg', ARRAY[0.25, -0.5, 0.125]::float8[]), pgml.predict('xreg', ARRAY[3, 0.5, 1]::float8[])::double precision AS wide`,
  `SELECT pgml.embed('${TINY}', 'The cat sat on the mat.')`,
  `SELECT pgml.embed('${TINY}', 'short') AS e, pgml.predict('reg', ARRAY[0, 0, 0]) AS zero`,
];

/** Statements with the same calls that the upstream must answer (or fail) as before. */
const UPSTREAM_STATEMENTS = [
  `SELECT pgml.predict('reg', ARRAY[0.25, -0.5, 0.125]::float8[]) * 2`,
  `SELECT pgml.predict('reg', ARRAY[0.25, -0.5, 0.125]::float8[])::numeric(10, 3)`,
  `SELECT round(pgml.predict('reg', ARRAY[0.25, -0.5, 0.125]::float8[])::numeric, 2)`,
  `SELECT pgml.predict('reg', ARRAY[0.25, -0.5, 0.125]::float8[]) AS "prédiction"`,
  `SELECT pgml.predict('reg', ARRAY[0.25, -0.5, 0.125]::float8[]) FROM generate_series(1, 2)`,
  `SELECT pgml.version()`,
  `SELECT pgml.predict('reg', '{0.1,0.2,0.3}')`,
];

/** Each sequence of simple Queries, with the answers compared message by message. */
const SEQUENCES: { name: string; queries: string[] }[] = [
  { name: 'one statement at a time', queries: [...LOCAL_STATEMENTS, ...UPSTREAM_STATEMENTS] },
  { name: 'inside a transaction block', queries: ['BEGIN', PREDICT, 'SELECT 1', PREDICT, 'COMMIT', PREDICT] },
  {
    name: 'after an error in a transaction block (25P02 until ROLLBACK)',
    queries: ['BEGIN', PREDICT, 'SELECT 1/0', PREDICT, `SELECT pgml.predict('reg', ARRAY[1])`, 'ROLLBACK', PREDICT],
  },
  {
    name: 'bad input, outside and inside a block',
    queries: [
      `SELECT pgml.predict('no_such_project', ARRAY[1, 2, 3])`,
      `SELECT pgml.predict('reg', ARRAY[1, 2])`,
      `SELECT pgml.predict('reg', NULL::real[])`,
      `SELECT pgml.embed('no-such-model', 'x')`,
      'BEGIN',
      `SELECT pgml.predict('reg', ARRAY[1, 2])`,
      PREDICT,
      'ROLLBACK',
      PREDICT,
    ],
  },
  {
    // LOCAL_STATEMENTS[2] widens a prediction to double precision: 17 digits, which every
    // extra_float_digits below 1 writes differently.
    name: 'with SET (extra_float_digits, SET LOCAL, RESET, set_config, DO)',
    queries: [
      'SET extra_float_digits = 0',
      LOCAL_STATEMENTS[2]!,
      LOCAL_STATEMENTS[3]!,
      'SET extra_float_digits = 3',
      LOCAL_STATEMENTS[2]!,
      'SET extra_float_digits = -2',
      LOCAL_STATEMENTS[2]!,
      'RESET extra_float_digits',
      LOCAL_STATEMENTS[2]!,
      'BEGIN',
      'SET LOCAL extra_float_digits = 0',
      LOCAL_STATEMENTS[2]!,
      'COMMIT',
      LOCAL_STATEMENTS[2]!,
      `SELECT set_config('extra_float_digits', '0', false)`,
      LOCAL_STATEMENTS[2]!,
      `SELECT SET_CONFIG('extra_float_digits', '1', false)`,
      LOCAL_STATEMENTS[2]!,
      `DO $$ BEGIN SET extra_float_digits = -1; END $$`,
      LOCAL_STATEMENTS[2]!,
      'SET DateStyle = German',
      LOCAL_STATEMENTS[2]!,
    ],
  },
  {
    // The statements' text says nothing of the setting: the functions' bodies change it.
    name: 'with extra_float_digits changed inside a called function (set_config, SET in PL/pgSQL)',
    queries: [
      LOCAL_STATEMENTS[2]!,
      `SELECT float_digits('0')`,
      LOCAL_STATEMENTS[2]!,
      'RESET extra_float_digits',
      LOCAL_STATEMENTS[2]!,
      'SELECT short_floats()',
      LOCAL_STATEMENTS[2]!,
      'BEGIN',
      `SELECT float_digits('2')`,
      LOCAL_STATEMENTS[2]!,
      'COMMIT',
    ],
  },
];

describe('answering statements locally', () => {
  let pair: ProxyPair;
  let local: ProxyProcess;
  let upstream: ProxyProcess;
  let observer: pg.Client;

  before(async () => {
    pair = await startProxyPair();
    ({ local, upstream } = pair);
    observer = new pg.Client({ connectionString: pair.url });
    await observer.connect();
  });

  after(async () => {
    await observer?.end();
    await pair?.stop();
  });

  for (const { name, queries } of SEQUENCES) {
    test(`same bytes as the upstream: ${name}`, async () => {
      const [mine, theirs] = await Promise.all([session(local), session(upstream)]);
      try {
        for (const sql of queries) {
          const [got, expected] = await Promise.all([exchange(mine, queryMessage(sql), 1), exchange(theirs, queryMessage(sql), 1)]);
          assert.deepEqual(show(got), show(expected), sql);
        }
      } finally {
        mine.destroy();
        theirs.destroy();
      }
    });
  }

  test('same bytes for queries pipelined without waiting, locally answered ones among them', async () => {
    const queries = ['SELECT 1', PREDICT, 'BEGIN', PREDICT, 'SELECT 1/0', PREDICT, 'ROLLBACK', LOCAL_STATEMENTS[2]!, 'SELECT 2'];
    const bytes = Buffer.concat(queries.map(queryMessage));
    const [mine, theirs] = await Promise.all([session(local), session(upstream)]);
    try {
      const [got, expected] = await Promise.all([exchange(mine, bytes, queries.length), exchange(theirs, bytes, queries.length)]);
      assert.deepEqual(show(got), show(expected));
    } finally {
      mine.destroy();
      theirs.destroy();
    }
  });

  test('same bytes after extended-protocol messages in the same write, with and without their Sync', async () => {
    const bytes = Buffer.concat([
      extendedQueryMessages(`SELECT 'extended'`),
      syncMessage(),
      queryMessage(PREDICT),
      extendedQueryMessages(`SELECT 'unsynced'`),
      queryMessage(PREDICT),
      // After an error the server ignores everything up to the Sync, this Query too.
      extendedQueryMessages('SELECT 1/0'),
      queryMessage(PREDICT),
      syncMessage(),
      queryMessage(PREDICT),
    ]);
    const [mine, theirs] = await Promise.all([session(local), session(upstream)]);
    try {
      const [got, expected] = await Promise.all([exchange(mine, bytes, 5), exchange(theirs, bytes, 5)]);
      assert.deepEqual(show(got), show(expected));
    } finally {
      mine.destroy();
      theirs.destroy();
    }
  });

  test('locally answered statements do not reach the upstream; others do', async () => {
    const connection = await session(local);
    try {
      const pidAnswer = await exchange(connection, queryMessage('SELECT pg_backend_pid()'), 1);
      const row = pidAnswer.find((m) => m.type === 'D')!;
      const pid = Number(row.body.subarray(6).toString('latin1'));
      // The backend's last statement and when it started: equal values mean nothing reached it since.
      const lastQuery = async () =>
        JSON.stringify((await observer.query('SELECT query, query_start::text FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0]);
      // The first calls read the session's extra_float_digits and check the role's access to each
      // model; so do the first after any statement that ran on the upstream (a function it called
      // may have changed the role or the setting).
      // The predictions, and the embeddings (a real[] of float4 values, answered as they are).
      const answered = [...LOCAL_STATEMENTS.slice(0, 3), ...LOCAL_STATEMENTS.filter((sql) => sql.includes('pgml.embed'))];
      for (const sql of answered) await exchange(connection, queryMessage(sql), 1);
      await exchange(connection, queryMessage(`SELECT 'marker'`), 1);
      for (const sql of answered) await exchange(connection, queryMessage(sql), 1);
      const before = await lastQuery();
      for (const sql of answered) {
        const answers = await exchange(connection, queryMessage(sql), 1);
        assert.deepEqual(
          answers.map((m) => m.type),
          ['T', 'D', 'C', 'Z'],
          sql,
        );
      }
      assert.equal(await lastQuery(), before);
      await exchange(connection, queryMessage(UPSTREAM_STATEMENTS[0]!), 1);
      assert.notEqual(await lastQuery(), before);
    } finally {
      connection.destroy();
    }
  });

  test('arithmetic around a call is the upstream computing it on the predicted value', async () => {
    const client = new pg.Client({ connectionString: local.url('postgres', undefined, DATABASE) });
    await client.connect();
    try {
      const text = { getTypeParser: () => (value: string) => value };
      const one = async (sql: string, params: unknown[] = []) => Object.values((await client.query({ text: sql, values: params, types: text })).rows[0] as object)[0] as string;
      const predicted = await one(PREDICT);
      for (const [around, onValue] of [
        [`SELECT pgml.predict('reg', ARRAY[0.25, -0.5, 0.125]::float8[]) * 2`, 'SELECT $1::real * 2'],
        [`SELECT round(pgml.predict('reg', ARRAY[0.25, -0.5, 0.125]::float8[])::numeric, 2)`, 'SELECT round($1::real::numeric, 2)'],
        [`SELECT -pgml.predict('reg', ARRAY[0.25, -0.5, 0.125]::float8[]) + 1.5`, 'SELECT -$1::real + 1.5'],
      ] as const) {
        assert.equal(await one(around), await one(onValue, [predicted]), around);
      }
    } finally {
      await client.end();
    }
  });

  test("a deployment made by another session is used by the next locally answered call", async () => {
    const connection = await session(local);
    const other = new pg.Client({ connectionString: upstream.url('postgres', undefined, DATABASE) });
    await other.connect();
    try {
      const value = async () => (await exchange(connection, queryMessage(PREDICT), 1)).find((m) => m.type === 'D')!.body.toString('latin1');
      const before = await value();
      await other.query(`SELECT * FROM pgml.train('reg', 'regression', 'reg', 'y', 'xgboost', '{"n_estimators": 3}')`);
      await other.query(`SELECT * FROM pgml.deploy('reg', 'most_recent')`);
      const text = { getTypeParser: () => (value: string) => value };
      const expected = (await other.query({ text: PREDICT, types: text })).rows[0].predict as string;
      const after = await value();
      assert.notEqual(after, before);
      assert.ok(after.endsWith(expected), `${after} ends with ${expected}`);
    } finally {
      connection.destroy();
      await other.end();
    }
  });
});
