// The extended protocol with bound parameters (issue 16): `SELECT pgml.predict('reg', $1::real[])`
// and `SELECT pgml.embed($1, $2)` as drivers send them (Parse, Bind, Describe, Execute, Sync). The
// bytes a client receives must be exactly those the upstream sends for the same messages: the same
// message sequences go to a proxy that answers locally what it can and to one that sends every
// statement upstream (test/support/local-answers.ts), through raw connections written independently
// of src/wire, and through the drivers users have (pg with values and with `name:`, postgres.js,
// which prepares by default, psycopg with binary results and in libpq pipeline mode).
// The proxy answers locally, outside a transaction block, a Bind, Execute of all rows and Sync sent
// together (with or without the portal's Describe): after the unnamed statement's Parse (pg with
// values, psycopg without prepare; postgres.js without prepare has the statement's Describe between
// Parse and Bind), or of a named statement the upstream prepared earlier (pg with
// `name:`, postgres.js, psycopg with prepare): the last tests check that those never reach the
// upstream (pg_stat_activity). Every other shape goes upstream; the answers' message types are
// listed so that each sequence shows what it compares.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pg from 'pg';
import postgres from 'postgres';
import { execCapture } from '../support/exec.js';
import { REPO_ROOT } from '../support/proxy.js';
import { DATABASE, TINY, exchange, session, show, startProxyPair, type ProxyPair } from '../support/local-answers.js';
import { type BackendMessage, bindMessage, closeMessage, describeMessage, executeMessage, parseMessage, queryMessage, syncMessage } from '../support/raw-wire.js';

const PSYCOPG_SCRIPT = join(REPO_ROOT, 'test', 'integration', 'clients', 'psycopg_bound.py');
const PYTHON = process.env.PYTHON ?? 'python3';

const TEXT = 25;
const FLOAT4_ARRAY = 1021;
const FLOAT4 = 700;

const PREDICT_BOUND = `SELECT pgml.predict('reg', $1::real[])`;
const PREDICT_CONSTANT = `SELECT pgml.predict('reg', ARRAY[0.25, -0.5, 0.125]::float8[])`;
const EMBED_BOUND = 'SELECT pgml.embed($1, $2)';
const FEATURES = '{0.25,-0.5,0.125}';

const text = (value: string): Buffer => Buffer.from(value, 'utf8');

/** A one-dimensional real[] in the binary format (array_send): header, then each element's length and float4. */
function float4Array(values: readonly number[]): Buffer {
  const bytes = Buffer.alloc(20 + values.length * 8);
  bytes.writeInt32BE(1, 0);
  bytes.writeInt32BE(0, 4);
  bytes.writeUInt32BE(FLOAT4, 8);
  bytes.writeInt32BE(values.length, 12);
  bytes.writeInt32BE(1, 16);
  values.forEach((value, i) => {
    bytes.writeInt32BE(4, 20 + i * 8);
    bytes.writeFloatBE(value, 24 + i * 8);
  });
  return bytes;
}

/** Parse, Bind, Describe (portal) and Execute of the unnamed statement, without a Sync. */
const boundQuery = (sql: string, params: (Buffer | null)[], resultFormats: number[] = []): Buffer =>
  Buffer.concat([parseMessage('', sql), bindMessage('', '', { params, resultFormats }), describeMessage('P', ''), executeMessage('')]);

/** Parse, Describe (statement), Bind and Execute of the unnamed statement, without a Sync: postgres.js without prepare. */
const describedQuery = (sql: string, params: (Buffer | null)[], resultFormats: number[] = [], types: number[] = []): Buffer =>
  Buffer.concat([parseMessage('', sql, types), describeMessage('S', ''), bindMessage('', '', { params, resultFormats }), executeMessage('')]);

const sync = syncMessage();

/** A message's type, and an ErrorResponse's SQLSTATE. */
const typeOf = (message: BackendMessage): string =>
  message.type === 'E' ? `E${message.body.toString('latin1').split('\0').find((field) => field.startsWith('C'))!.slice(1)}` : message.type;

/** Each sequence: writes of messages, each answered up to its `ready`-th ReadyForQuery, and the
 * answers' message types (an ErrorResponse with its SQLSTATE), so that the test shows what it compares. */
const SEQUENCES: { name: string; writes: { bytes: Buffer; ready: number }[]; answers: string[] }[] = [
  {
    name: 'unnamed statement, text parameter, text and binary results',
    writes: [
      { bytes: Buffer.concat([boundQuery(PREDICT_BOUND, [text(FEATURES)]), sync]), ready: 1 },
      { bytes: Buffer.concat([boundQuery(PREDICT_BOUND, [text(FEATURES)], [1]), sync]), ready: 1 },
      { bytes: Buffer.concat([boundQuery(EMBED_BOUND, [text(TINY), text('The cat sat on the mat.')]), sync]), ready: 1 },
      { bytes: Buffer.concat([boundQuery(EMBED_BOUND, [text(TINY), text('The cat sat on the mat.')], [1]), sync]), ready: 1 },
    ],
    answers: ['1 2 T D C Z', '1 2 T D C Z', '1 2 T D C Z', '1 2 T D C Z'],
  },
  {
    name: 'the unnamed statement answered, then bound, described and closed without a new Parse',
    writes: [
      { bytes: Buffer.concat([boundQuery(PREDICT_BOUND, [text(FEATURES)]), sync]), ready: 1 },
      {
        bytes: Buffer.concat([bindMessage('', '', { params: [text('{3,0.5,1}')], resultFormats: [1] }), describeMessage('P', ''), executeMessage(''), sync]),
        ready: 1,
      },
      { bytes: Buffer.concat([boundQuery(EMBED_BOUND, [text(TINY), text('short')]), sync]), ready: 1 },
      { bytes: Buffer.concat([describeMessage('S', ''), sync]), ready: 1 },
      { bytes: Buffer.concat([boundQuery(PREDICT_BOUND, [text(FEATURES)]), sync]), ready: 1 },
      { bytes: Buffer.concat([closeMessage('S', ''), sync]), ready: 1 },
      { bytes: Buffer.concat([bindMessage('', '', { params: [text(FEATURES)] }), executeMessage(''), sync]), ready: 1 },
    ],
    answers: ['1 2 T D C Z', '2 T D C Z', '1 2 T D C Z', 't T Z', '1 2 T D C Z', '3 Z', 'E26000 Z'],
  },
  {
    name: 'named statement described, then bound and executed many times',
    writes: [
      { bytes: Buffer.concat([parseMessage('embed', EMBED_BOUND), describeMessage('S', 'embed'), sync]), ready: 1 },
      ...['One sentence.', 'Another, longer sentence about the weather.', 'One sentence.'].map((sentence, i) => ({
        bytes: Buffer.concat([
          bindMessage('', 'embed', { params: [text(TINY), text(sentence)], resultFormats: [i % 2] }),
          executeMessage(''),
          sync,
        ]),
        ready: 1,
      })),
      { bytes: Buffer.concat([closeMessage('S', 'embed'), sync]), ready: 1 },
    ],
    answers: ['1 t T Z', '2 D C Z', '2 D C Z', '2 D C Z', '3 Z'],
  },
  {
    name: 'unnamed statement bound and executed without a Describe, and into a named portal',
    writes: [
      { bytes: Buffer.concat([parseMessage('', PREDICT_BOUND), bindMessage('', '', { params: [text(FEATURES)] }), executeMessage(''), sync]), ready: 1 },
      {
        bytes: Buffer.concat([parseMessage('', PREDICT_BOUND), bindMessage('p', '', { params: [text(FEATURES)], resultFormats: [1] }), describeMessage('P', 'p'), executeMessage('p'), sync]),
        ready: 1,
      },
    ],
    answers: ['1 2 D C Z', '1 2 T D C Z'],
  },
  {
    name: 'the unnamed statement described between its Parse and Bind, as postgres.js sends it without prepare; errors; a declared unknown',
    writes: [
      { bytes: Buffer.concat([describedQuery(PREDICT_CONSTANT, []), sync]), ready: 1 },
      { bytes: Buffer.concat([describedQuery(PREDICT_BOUND, [text(FEATURES)], [1]), sync]), ready: 1 },
      { bytes: Buffer.concat([describedQuery(PREDICT_BOUND, [text(FEATURES)], [], [FLOAT4_ARRAY]), sync]), ready: 1 },
      { bytes: Buffer.concat([describedQuery(EMBED_BOUND, [text(TINY), text('short')], [], [TEXT, 0]), sync]), ready: 1 },
      { bytes: Buffer.concat([describedQuery(PREDICT_BOUND, [text('{abc}')]), sync]), ready: 1 },
      { bytes: Buffer.concat([describedQuery(`SELECT pgml.embed('no-such-model', 'x')`, []), sync]), ready: 1 },
      { bytes: Buffer.concat([describedQuery(EMBED_BOUND, [text('no-such-model'), text('x')]), sync]), ready: 1 },
      { bytes: Buffer.concat([describedQuery(PREDICT_BOUND, [text(FEATURES)], [], [705]), sync]), ready: 1 },
      { bytes: Buffer.concat([parseMessage('', PREDICT_BOUND, [705]), bindMessage('', '', { params: [text(FEATURES)] }), executeMessage(''), sync]), ready: 1 },
      { bytes: Buffer.concat([describedQuery(PREDICT_CONSTANT, []), sync]), ready: 1 },
    ],
    answers: ['1 t T 2 D C Z', '1 t T 2 D C Z', '1 t T 2 D C Z', '1 t T 2 D C Z', '1 t T E22P02 Z', 'E42704 Z', '1 t T E42704 Z', 'E42P18 Z', 'E42P18 Z', '1 t T 2 D C Z'],
  },
  {
    name: 'named statement prepared once, then bound and executed per call as pg with name:, postgres.js and psycopg send it',
    writes: [
      {
        bytes: Buffer.concat([parseMessage('pred', PREDICT_BOUND), bindMessage('', 'pred', { params: [text(FEATURES)] }), describeMessage('P', ''), executeMessage(''), sync]),
        ready: 1,
      },
      { bytes: Buffer.concat([bindMessage('', 'pred', { params: [text(FEATURES)] }), describeMessage('P', ''), executeMessage(''), sync]), ready: 1 },
      {
        bytes: Buffer.concat([bindMessage('', 'pred', { params: [text('{3,0.5,1}')], resultFormats: [1] }), describeMessage('P', ''), executeMessage(''), sync]),
        ready: 1,
      },
      { bytes: Buffer.concat([bindMessage('', 'pred', { params: [text(FEATURES)] }), executeMessage(''), sync]), ready: 1 },
      {
        bytes: Buffer.concat([bindMessage('p', 'pred', { paramFormats: [0], params: [text(FEATURES)], resultFormats: [1] }), describeMessage('P', 'p'), executeMessage('p'), sync]),
        ready: 1,
      },
      { bytes: Buffer.concat([describeMessage('S', 'pred'), sync]), ready: 1 },
      { bytes: Buffer.concat([bindMessage('', 'pred', { params: [] }), describeMessage('P', ''), executeMessage(''), sync]), ready: 1 },
      { bytes: Buffer.concat([bindMessage('', 'pred', { params: [text('{abc}')] }), executeMessage(''), sync]), ready: 1 },
      { bytes: Buffer.concat([bindMessage('', 'pred', { params: [text('{1,2}')] }), executeMessage(''), sync]), ready: 1 },
      { bytes: Buffer.concat([bindMessage('', 'pred', { params: [text(FEATURES)] }), executeMessage(''), sync]), ready: 1 },
      // A row limit, and a block (whose portal outlives the Sync): the upstream answers.
      { bytes: Buffer.concat([bindMessage('', 'pred', { params: [text(FEATURES)] }), executeMessage('', 1), sync]), ready: 1 },
      { bytes: queryMessage('BEGIN'), ready: 1 },
      { bytes: Buffer.concat([bindMessage('', 'pred', { params: [text(FEATURES)] }), describeMessage('P', ''), executeMessage(''), sync]), ready: 1 },
      { bytes: Buffer.concat([describeMessage('P', ''), executeMessage(''), sync]), ready: 1 },
      { bytes: queryMessage('COMMIT'), ready: 1 },
      { bytes: Buffer.concat([closeMessage('S', 'pred'), sync]), ready: 1 },
      { bytes: Buffer.concat([bindMessage('', 'pred', { params: [text(FEATURES)] }), describeMessage('P', ''), executeMessage(''), sync]), ready: 1 },
    ],
    answers: [
      '1 2 T D C Z',
      '2 T D C Z',
      '2 T D C Z',
      '2 D C Z',
      '2 T D C Z',
      't T Z',
      'E08P01 Z',
      'E22P02 Z',
      'E22023 Z',
      '2 D C Z',
      '2 D s Z',
      'C Z',
      '2 T D C Z',
      'T C Z',
      'C Z',
      '3 Z',
      'E26000 Z',
    ],
  },
  {
    name: 'named statements deallocated, discarded, and prepared again under a name in use',
    writes: [
      { bytes: Buffer.concat([parseMessage('d1', PREDICT_BOUND), parseMessage('d2', EMBED_BOUND), sync]), ready: 1 },
      { bytes: Buffer.concat([bindMessage('', 'd1', { params: [text(FEATURES)] }), executeMessage(''), sync]), ready: 1 },
      { bytes: Buffer.concat([parseMessage('d2', PREDICT_BOUND), sync]), ready: 1 },
      { bytes: Buffer.concat([bindMessage('', 'd2', { params: [text(TINY), text('short')] }), executeMessage(''), sync]), ready: 1 },
      { bytes: queryMessage('DEALLOCATE d1'), ready: 1 },
      { bytes: Buffer.concat([bindMessage('', 'd1', { params: [text(FEATURES)] }), executeMessage(''), sync]), ready: 1 },
      { bytes: Buffer.concat([bindMessage('', 'd2', { params: [text(TINY), text('short')] }), executeMessage(''), sync]), ready: 1 },
      { bytes: queryMessage('DISCARD ALL'), ready: 1 },
      { bytes: Buffer.concat([bindMessage('', 'd2', { params: [text(TINY), text('short')] }), executeMessage(''), sync]), ready: 1 },
    ],
    answers: ['1 1 Z', '2 D C Z', 'E42P05 Z', '2 D C Z', 'C Z', 'E26000 Z', '2 D C Z', 'C Z', 'E26000 Z'],
  },
  {
    name: 'a simple Query answered locally drops the unnamed statement and, in a block, the unnamed portal',
    writes: [
      { bytes: Buffer.concat([parseMessage('', 'SELECT 1'), sync]), ready: 1 },
      { bytes: queryMessage(PREDICT_CONSTANT), ready: 1 },
      { bytes: Buffer.concat([bindMessage('', '', {}), executeMessage(''), sync]), ready: 1 },
      { bytes: Buffer.concat([describeMessage('S', ''), sync]), ready: 1 },
      { bytes: queryMessage('BEGIN'), ready: 1 },
      { bytes: Buffer.concat([parseMessage('', 'SELECT 2'), bindMessage('', '', {}), sync]), ready: 1 },
      { bytes: queryMessage(PREDICT_CONSTANT), ready: 1 },
      { bytes: Buffer.concat([executeMessage(''), sync]), ready: 1 },
      { bytes: queryMessage('ROLLBACK'), ready: 1 },
    ],
    answers: ['1 Z', 'T D C Z', 'E26000 Z', 'E26000 Z', 'C Z', '1 2 Z', 'T D C Z', 'E34000 Z', 'C Z'],
  },
  {
    name: 'parameter types given in Parse, binary parameters, a named portal',
    writes: [
      {
        bytes: Buffer.concat([
          parseMessage('typed', 'SELECT pgml.predict($1, $2)', [TEXT, FLOAT4_ARRAY]),
          describeMessage('S', 'typed'),
          bindMessage('p', 'typed', { paramFormats: [0, 1], params: [text('reg'), float4Array([0.25, -0.5, 0.125])], resultFormats: [1] }),
          describeMessage('P', 'p'),
          executeMessage('p'),
          closeMessage('P', 'p'),
          bindMessage('p', 'typed', { paramFormats: [1], params: [text('xreg'), float4Array([3, 0.5, 1])] }),
          executeMessage('p'),
          sync,
        ]),
        ready: 1,
      },
    ],
    answers: ['1 t T 2 T D C 3 2 D C Z'],
  },
  {
    name: 'several columns, a result format per column',
    writes: [
      {
        bytes: Buffer.concat([
          boundQuery(
            `SELECT pgml.predict('reg', $1::real[]) AS a, pgml.predict('cls', $2::float8[])::real AS b, pgml.embed('${TINY}', $3) AS e`,
            [text(FEATURES), text('{0.5,0.5}'), text('short')],
            [1, 0, 1],
          ),
          sync,
        ]),
        ready: 1,
      },
    ],
    answers: ['1 2 T D C Z'],
  },
  {
    name: 'Execute with a row limit (PortalSuspended)',
    writes: [
      {
        bytes: Buffer.concat([
          parseMessage('', PREDICT_BOUND),
          bindMessage('', '', { params: [text(FEATURES)] }),
          executeMessage('', 1),
          executeMessage('', 1),
          sync,
        ]),
        ready: 1,
      },
    ],
    answers: ['1 2 D s C Z'],
  },
  {
    name: 'bad input: the error, the rest skipped until Sync, the session usable',
    writes: [
      { bytes: Buffer.concat([boundQuery(`SELECT pgml.predict($1, $2::real[])`, [text('no_such_project'), text(FEATURES)]), boundQuery(PREDICT_BOUND, [text(FEATURES)]), sync]), ready: 1 },
      { bytes: Buffer.concat([boundQuery(PREDICT_BOUND, [text('{1,2}')]), sync]), ready: 1 },
      { bytes: Buffer.concat([boundQuery(PREDICT_BOUND, [text('{abc}')]), sync]), ready: 1 },
      { bytes: Buffer.concat([boundQuery(PREDICT_BOUND, [null]), sync]), ready: 1 },
      { bytes: Buffer.concat([boundQuery(EMBED_BOUND, [text('no-such-model'), text('x')]), sync]), ready: 1 },
      { bytes: Buffer.concat([bindMessage('', '', { params: [] }), executeMessage(''), sync]), ready: 1 },
      { bytes: Buffer.concat([boundQuery(PREDICT_BOUND, [text(FEATURES)]), sync]), ready: 1 },
    ],
    answers: ['1 E42704 Z', '1 E22023 Z', '1 E22P02 Z', '1 E22004 Z', '1 E42704 Z', 'E08P01 Z', '1 2 T D C Z'],
  },
  {
    name: 'inside a transaction block, and after an error in one (25P02 until ROLLBACK)',
    writes: [
      { bytes: queryMessage('BEGIN'), ready: 1 },
      { bytes: Buffer.concat([boundQuery(PREDICT_BOUND, [text(FEATURES)]), sync]), ready: 1 },
      { bytes: queryMessage('SELECT 1/0'), ready: 1 },
      { bytes: Buffer.concat([boundQuery(PREDICT_BOUND, [text(FEATURES)]), sync]), ready: 1 },
      { bytes: queryMessage('ROLLBACK'), ready: 1 },
      { bytes: Buffer.concat([boundQuery(PREDICT_BOUND, [text(FEATURES)]), sync]), ready: 1 },
    ],
    answers: ['C Z', '1 2 T D C Z', 'E22012 Z', 'E25P02 Z', 'C Z', '1 2 T D C Z'],
  },
  {
    name: 'one pipeline mixing bound calls and statements for the upstream, in order',
    writes: [
      {
        bytes: Buffer.concat([
          boundQuery(PREDICT_BOUND, [text(FEATURES)]),
          boundQuery('SELECT $1::int + 1', [text('41')]),
          parseMessage('again', PREDICT_BOUND),
          bindMessage('', 'again', { params: [text('{3,0.5,1}')], resultFormats: [1] }),
          executeMessage(''),
          sync,
          queryMessage(`SELECT pgml.predict('reg', ARRAY[0.25, -0.5, 0.125]::float8[])`),
          bindMessage('', 'again', { params: [text(FEATURES)] }),
          executeMessage(''),
          boundQuery('SELECT 1/0', []),
          boundQuery(PREDICT_BOUND, [text(FEATURES)]),
          sync,
          bindMessage('', 'again', { params: [text(FEATURES)] }),
          executeMessage(''),
          sync,
        ]),
        ready: 4,
      },
    ],
    answers: ['1 2 T D C 1 2 T D C 1 2 D C Z T D C Z 2 D C 1 E22012 Z 2 D C Z'],
  },
];

describe('bound-parameter statements answered as the upstream answers them (extended protocol)', () => {
  let pair: ProxyPair;

  before(async () => {
    pair = await startProxyPair();
  });

  after(async () => {
    await pair?.stop();
  });

  for (const { name, writes, answers } of SEQUENCES) {
    test(`same bytes as the upstream: ${name}`, async () => {
      const [mine, theirs] = await Promise.all([session(pair.local), session(pair.upstream)]);
      try {
        const seen: string[] = [];
        for (const [i, { bytes, ready }] of writes.entries()) {
          const [got, expected] = await Promise.all([exchange(mine, bytes, ready), exchange(theirs, bytes, ready)]);
          assert.deepEqual(show(got), show(expected), `write ${i}`);
          seen.push(expected.map(typeOf).join(' '));
        }
        assert.deepEqual(seen, answers);
      } finally {
        mine.destroy();
        theirs.destroy();
      }
    });
  }

  test('same rows through pg (with values, and prepared with name:) and postgres.js', async () => {
    // Every value as the server's text, so that equal strings mean equal answers.
    const raw = { getTypeParser: () => (value: string) => value };
    const answers = async (url: string) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        const rows: unknown[] = [];
        for (const features of [[0.25, -0.5, 0.125], [3, 0.5, 1]]) {
          rows.push((await client.query({ text: PREDICT_BOUND, values: [features], types: raw })).rows);
          rows.push((await client.query({ name: 'predict', text: PREDICT_BOUND, values: [features], types: raw })).rows);
          rows.push([...(await sql.unsafe(PREDICT_BOUND, [features]))]);
        }
        for (const sentence of ['The cat sat on the mat.', 'short']) {
          rows.push((await client.query({ name: 'embed', text: EMBED_BOUND, values: [TINY, sentence], types: raw })).rows);
          rows.push([...(await sql`SELECT pgml.embed(${TINY}, ${sentence})`)]);
        }
        return rows;
      } finally {
        await client.end();
        await sql.end();
      }
    };
    const [got, expected] = await Promise.all([
      answers(pair.local.url('postgres', undefined, DATABASE)),
      answers(pair.upstream.url('postgres', undefined, DATABASE)),
    ]);
    assert.deepEqual(got, expected);
  });

  test('unnamed statements bound and executed together are answered locally (raw, pg with values, postgres.js without prepare)', async () => {
    const client = new pg.Client({ connectionString: pair.local.url('postgres', undefined, DATABASE) });
    const observer = new pg.Client({ connectionString: pair.url });
    await Promise.all([client.connect(), observer.connect()]);
    // Without prepare, a tagged template without values is Parse, Describe S, Bind, Execute, Sync of the unnamed statement.
    const sql = postgres(pair.local.url('postgres', undefined, DATABASE), { max: 1, prepare: false, onnotice: () => {} });
    const connection = await session(pair.local);
    try {
      const pidOf = async (query: () => Promise<string>) => Number(await query());
      const rawPid = await pidOf(async () => {
        const answer = await exchange(connection, queryMessage('SELECT pg_backend_pid()'), 1);
        return answer.find((m) => m.type === 'D')!.body.subarray(6).toString('latin1');
      });
      const pgPid = await pidOf(async () => String((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid));
      const jsPid = await pidOf(async () => String((await sql`SELECT pg_backend_pid() AS pid`)[0]!.pid));
      // The backend's last statement and when it started: equal values mean nothing reached it since.
      const lastQuery = async (pid: number) =>
        JSON.stringify((await observer.query('SELECT query, query_start::text FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0]);
      const rawCalls = async () => {
        const answers: string[] = [];
        for (const bytes of [
          describedQuery(PREDICT_CONSTANT, [], [1]),
          describedQuery(PREDICT_BOUND, [text(FEATURES)]),
          boundQuery(EMBED_BOUND, [text(TINY), text('short')], [1]),
          boundQuery(PREDICT_BOUND, [text(FEATURES)]),
          boundQuery(PREDICT_BOUND, [text(FEATURES)], [1]),
        ]) {
          answers.push((await exchange(connection, Buffer.concat([bytes, sync]), 1)).map(typeOf).join(' '));
        }
        return answers;
      };
      const pgCalls = async () => {
        const rows: unknown[] = [];
        rows.push((await client.query(PREDICT_BOUND, [[0.25, -0.5, 0.125]])).rows);
        rows.push((await client.query(EMBED_BOUND, [TINY, 'The cat sat on the mat.'])).rows);
        rows.push([...(await sql`SELECT pgml.predict('reg', ARRAY[0.25, -0.5, 0.125]::float8[])`)]);
        return rows;
      };
      // The first calls read the session's settings and check the role's access to each model.
      await rawCalls();
      await pgCalls();
      const before = [await lastQuery(rawPid), await lastQuery(pgPid), await lastQuery(jsPid)];
      assert.deepEqual(await rawCalls(), ['1 t T 2 D C Z', '1 t T 2 D C Z', '1 2 T D C Z', '1 2 T D C Z', '1 2 T D C Z']);
      assert.equal((await pgCalls()).length, 3);
      assert.deepEqual([await lastQuery(rawPid), await lastQuery(pgPid), await lastQuery(jsPid)], before);
      // A Bind of the unnamed statement alone binds the one answered locally (the upstream prepares it first).
      const rebound = await exchange(connection, Buffer.concat([bindMessage('', '', { params: [text('{3,0.5,1}')] }), executeMessage(''), sync]), 1);
      assert.deepEqual(rebound.map(typeOf), ['2', 'D', 'C', 'Z']);
      assert.notEqual(await lastQuery(rawPid), before[0]);
    } finally {
      connection.destroy();
      await Promise.all([client.end(), observer.end(), sql.end()]);
    }
  });

  test('named statements prepared once are answered locally (raw, pg with name:, postgres.js)', async () => {
    const url = pair.local.url('postgres', undefined, DATABASE);
    const client = new pg.Client({ connectionString: url });
    const observer = new pg.Client({ connectionString: pair.url });
    await Promise.all([client.connect(), observer.connect()]);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const connection = await session(pair.local);
    try {
      const rawPid = Number(
        (await exchange(connection, queryMessage('SELECT pg_backend_pid()'), 1)).find((m) => m.type === 'D')!.body.subarray(6).toString('latin1'),
      );
      const pgPid = Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
      const jsPid = Number((await sql`SELECT pg_backend_pid() AS pid`)[0]!.pid);
      const pids = [rawPid, pgPid, jsPid];
      // Each backend's last statement and when it started: equal values mean nothing reached it since.
      const lastQueries = async () =>
        JSON.stringify((await observer.query('SELECT pid, query, query_start::text FROM pg_stat_activity WHERE pid = ANY($1) ORDER BY pid', [pids])).rows);
      await exchange(connection, Buffer.concat([parseMessage('pred', PREDICT_BOUND), describeMessage('S', 'pred'), sync]), 1);
      const calls = async () => {
        const answers: string[] = [];
        for (const bytes of [
          Buffer.concat([bindMessage('', 'pred', { params: [text(FEATURES)] }), describeMessage('P', ''), executeMessage(''), sync]),
          Buffer.concat([bindMessage('', 'pred', { params: [text('{3,0.5,1}')], resultFormats: [1] }), executeMessage(''), sync]),
        ]) {
          answers.push((await exchange(connection, bytes, 1)).map(typeOf).join(' '));
        }
        const features = [0.25, -0.5, 0.125];
        await client.query({ name: 'predict', text: PREDICT_BOUND, values: [features] });
        await client.query({ name: 'embed', text: EMBED_BOUND, values: [TINY, 'The cat sat on the mat.'] });
        // unsafe() with values prepares only when asked (otherwise Parse, Describe S and Flush, then Bind, Execute, Sync).
        await sql.unsafe(PREDICT_BOUND, [features], { prepare: true });
        await sql`SELECT pgml.embed(${TINY}, ${'short'})`;
        return answers;
      };
      // The first calls prepare the statements and check the role's access to each model.
      await calls();
      await calls();
      const before = await lastQueries();
      assert.deepEqual(await calls(), ['2 T D C Z', '2 D C Z']);
      assert.deepEqual(await calls(), ['2 T D C Z', '2 D C Z']);
      assert.equal(await lastQueries(), before);
      // Deallocated upstream, the statement is the upstream's to refuse.
      assert.deepEqual((await exchange(connection, queryMessage('DEALLOCATE pred'), 1)).map(typeOf), ['C', 'Z']);
      const refused = await exchange(connection, Buffer.concat([bindMessage('', 'pred', { params: [text(FEATURES)] }), executeMessage(''), sync]), 1);
      assert.deepEqual(refused.map(typeOf), ['E26000', 'Z']);
    } finally {
      connection.destroy();
      await Promise.all([client.end(), observer.end(), sql.end()]);
    }
  });

  test('psycopg without prepare, and with prepare=True, is answered locally', { timeout: 120_000 }, async () => {
    const script = join(REPO_ROOT, 'test', 'integration', 'clients', 'psycopg_local_bound.py');
    const r = await execCapture(PYTHON, [script, pair.local.url('postgres', undefined, DATABASE), pair.url, TINY]);
    assert.equal(r.code, 0, r.stderr);
    const { before, after, rows } = JSON.parse(r.stdout) as { before: unknown; after: unknown; rows: number };
    assert.equal(rows, 6);
    assert.deepEqual(after, before);
  });

  test('same results through psycopg (binary results, prepared, libpq pipeline mode, errors)', { timeout: 120_000 }, async () => {
    const run = async (url: string) => {
      const r = await execCapture(PYTHON, [PSYCOPG_SCRIPT, url, TINY]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    const [got, expected] = await Promise.all([
      run(pair.local.url('postgres', undefined, DATABASE)),
      run(pair.upstream.url('postgres', undefined, DATABASE)),
    ]);
    assert.deepEqual(got, expected);
    assert.equal((expected.missing_model as string[])[0], '42704');
    assert.equal((expected.bad_features as string[])[0], '22023');
    assert.equal(typeof (expected.binary as unknown[])[0], 'number');
  });
});
