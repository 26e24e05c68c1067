// The PostgREST-compatible /rpc endpoint (issue 7), called with a real HTTP client (fetch) on a proxy
// in front of real Postgres: argument passing, result shapes, access modes, JWT auth and roles,
// PostgREST's error shapes, schema reloads, the pool's queue, /health and /metrics. A smoke suite
// runs on embedded PGlite.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import pg from 'pg';
import { headlinesTable } from '../support/clickbait.js';
import { createDatabase, startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { freePort } from '../support/ports.js';
import { startProxy, type ProxyProcess } from '../support/proxy.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const PREFIX = '/rest/v1';
const MAX_BODY = 1024 * 1024;

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

async function request(base: string, path: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

function post(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) };
}

function token(claims: Record<string, unknown>, secret = SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

function bearer(jwt: string): Record<string, string> {
  return { Authorization: `Bearer ${jwt}` };
}

function assertError(reply: Reply, status: number, code: string): void {
  assert.equal(reply.status, status, reply.text);
  const body = reply.json as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['code', 'details', 'hint', 'message'], reply.text);
  assert.equal(body.code, code, reply.text);
  assert.equal(typeof body.message, 'string');
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

const SCHEMA = `
  CREATE ROLE web_anon NOLOGIN;
  CREATE ROLE reader NOLOGIN;
  CREATE TABLE secrets (id int);
  INSERT INTO secrets VALUES (1), (2);
  CREATE TABLE notes (id serial PRIMARY KEY, body text UNIQUE);
  GRANT SELECT ON notes TO reader;
  CREATE FUNCTION add_them(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
  CREATE FUNCTION squares(n integer) RETURNS TABLE(i integer, sq integer) LANGUAGE sql STABLE
    AS 'SELECT g, g * g FROM generate_series(1, n) g';
  CREATE FUNCTION numbers(n integer) RETURNS SETOF integer LANGUAGE sql STABLE AS 'SELECT generate_series(1, n)';
  CREATE FUNCTION pair(a integer, OUT x integer, OUT y text) LANGUAGE sql AS 'SELECT a, ''q''';
  CREATE FUNCTION one_col(input_string text) RETURNS TABLE(is_long real) LANGUAGE sql
    AS 'SELECT (length(input_string) > 5)::int::real';
  CREATE FUNCTION add_note(body text) RETURNS integer LANGUAGE sql
    AS 'INSERT INTO notes (body) VALUES (body) RETURNING id';
  CREATE FUNCTION touch() RETURNS void LANGUAGE sql AS 'INSERT INTO notes (body) VALUES (''touched'')';
  CREATE FUNCTION count_secrets() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM secrets';
  CREATE FUNCTION count_notes() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM notes';
  CREATE FUNCTION whoami() RETURNS json LANGUAGE sql STABLE
    AS 'SELECT json_build_object(''user'', current_user, ''claims'', current_setting(''request.jwt.claims'', true)::json,
                                 ''method'', current_setting(''request.method'', true),
                                 ''read_only'', current_setting(''transaction_read_only''))';
  CREATE FUNCTION ov(a integer) RETURNS text LANGUAGE sql AS 'SELECT ''one''';
  CREATE FUNCTION ov(a integer, b integer) RETURNS text LANGUAGE sql AS 'SELECT ''two''';
  CREATE FUNCTION amb(a integer) RETURNS text LANGUAGE sql AS 'SELECT ''int''';
  CREATE FUNCTION amb(a text) RETURNS text LANGUAGE sql AS 'SELECT ''text''';
  CREATE FUNCTION with_default(a integer, b integer DEFAULT 10) RETURNS integer LANGUAGE sql AS 'SELECT a + b';
  CREATE FUNCTION mult_them(json) RETURNS integer LANGUAGE sql AS 'SELECT ($1->>''x'')::int * ($1->>''y'')::int';
  CREATE FUNCTION arr_sum(arr integer[]) RETURNS integer LANGUAGE sql AS 'SELECT sum(x)::int FROM unnest(arr) x';
  CREATE FUNCTION texts(arr text[]) RETURNS text[] LANGUAGE sql AS 'SELECT arr';
  CREATE FUNCTION plus_one(VARIADIC v integer[]) RETURNS integer[] LANGUAGE sql AS 'SELECT array_agg(n + 1) FROM unnest(v) n';
  CREATE FUNCTION echo_json(doc jsonb) RETURNS jsonb LANGUAGE sql AS 'SELECT doc';
  CREATE FUNCTION refuse() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'I refuse!' USING DETAIL = 'Pretty simple', HINT = 'There is nothing you can do.'; END $$;
  CREATE FUNCTION pay() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN RAISE sqlstate 'PT402' USING message = 'Payment Required'; END $$;
  CREATE FUNCTION wait_for_lock() RETURNS integer LANGUAGE sql AS 'SELECT pg_advisory_xact_lock(4242); SELECT 1';
  CREATE FUNCTION "camelCase"("someParam" text) RETURNS text LANGUAGE sql AS 'SELECT upper("someParam")';
  GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO PUBLIC;
  -- The seed's training half, on feature arrays (as in pgml-train.test.ts).
  CREATE TABLE click_train_array AS
  SELECT ARRAY[sin(i)::real, cos(i * 0.7)::real, ((i % 13) / 13.0)::real] AS features,
         (sin(i) + cos(i * 0.7) > 0.3) AS is_clickbait
    FROM generate_series(1, 240) AS i;`;

describe('HTTP /rpc [proxy-postgres]', { timeout: 300_000 }, () => {
  let cluster: PgCluster;
  let proxy: ProxyProcess;
  let base: string;
  let sql: pg.Client;

  before(async () => {
    cluster = await startPgCluster();
    await createDatabase(cluster, 'rpc');
    const setup = new pg.Client({ connectionString: cluster.url('postgres', undefined, 'rpc') });
    await setup.connect();
    await setup.query(SCHEMA);
    await setup.end();
    const httpPort = await freePort();
    proxy = await startProxy({
      upstream: cluster.url('postgres', undefined, 'rpc'),
      extraArgs: [
        ...['--http', `127.0.0.1:${httpPort}`, '--http-prefix', PREFIX, '--jwt-secret', SECRET, '--anon-role', 'web_anon'],
        ...['--http-schemas', 'public,pgml'],
        ...['--http-pool-size', '2', '--http-pool-timeout', '0.5', '--http-max-body', String(MAX_BODY)],
      ],
    });
    base = `http://127.0.0.1:${httpPort}`;
    sql = new pg.Client({ connectionString: proxy.url('postgres', undefined, 'rpc') });
    sql.on('error', () => undefined);
    await sql.connect();
  });

  after(async () => {
    await sql?.end().catch(() => undefined);
    await proxy?.stop();
    cluster?.stop();
  });

  const rpc = (fn: string, init?: RequestInit): Promise<Reply> => request(base, `${PREFIX}/rpc/${fn}`, init);
  const asPostgres = async (): Promise<Record<string, string>> => bearer(await token({ role: 'postgres' }));

  test('POST with a JSON object and GET with query parameters call the function by argument names', async () => {
    const posted = await rpc('add_them', post({ a: 1, b: 2 }));
    assert.equal(posted.status, 200, posted.text);
    assert.equal(posted.json, 3);
    assert.match(posted.headers.get('content-type') ?? '', /^application\/json/);
    const got = await rpc('add_them?b=40&a=2');
    assert.equal(got.status, 200, got.text);
    assert.equal(got.json, 42);
    assert.equal((await rpc('camelCase', post({ someParam: 'abc' }))).json, 'ABC');
  });

  test('result shapes: scalar, SETOF scalar, TABLE, OUT parameters, void', async () => {
    assert.deepEqual((await rpc('squares?n=3')).json, [
      { i: 1, sq: 1 },
      { i: 2, sq: 4 },
      { i: 3, sq: 9 },
    ]);
    assert.deepEqual((await rpc('squares?n=0')).json, []);
    assert.deepEqual((await rpc('numbers?n=3')).json, [1, 2, 3]);
    assert.deepEqual((await rpc('pair?a=7')).json, { x: 7, y: 'q' });
    // A single-column TABLE keeps its column name, as the seed's RETURNS TABLE(is_clickbait REAL).
    assert.deepEqual((await rpc('one_col', post({ input_string: 'a long headline' }))).json, [{ is_long: 1 }]);
    const voided = await rpc('touch', post({}, await asPostgres()));
    assert.equal(voided.status, 204);
    assert.equal(voided.text, '');
  });

  test('Accept: application/vnd.pgrst.object+json gives one object or 406 PGRST116', async () => {
    const accept = { Accept: 'application/vnd.pgrst.object+json' };
    const one = await rpc('squares?n=1', { headers: accept });
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.json, { i: 1, sq: 1 });
    assert.match(one.headers.get('content-type') ?? '', /^application\/vnd\.pgrst\.object\+json/);
    assertError(await rpc('squares?n=2', { headers: accept }), 406, 'PGRST116');
    assertError(await rpc('squares?n=0', { headers: accept }), 406, 'PGRST116');
    assertError(await rpc('squares?n=1', { headers: { Accept: 'text/html' } }), 406, 'PGRST107');
  });

  test('arguments: defaults, overloads, arrays, variadic, json, a single unnamed json parameter', async () => {
    assert.equal((await rpc('with_default?a=1')).json, 11);
    assert.equal((await rpc('with_default', post({ a: 1, b: 2 }))).json, 3);
    assert.equal((await rpc('ov?a=1')).json, 'one');
    assert.equal((await rpc('ov?a=1&b=2')).json, 'two');
    assertError(await rpc('amb?a=1'), 300, 'PGRST203');
    assert.equal((await rpc('arr_sum', post({ arr: [1, 2, 3, 4] }))).json, 10);
    assert.equal((await rpc(`arr_sum?arr=${encodeURIComponent('{5,6}')}`)).json, 11);
    assert.deepEqual((await rpc('texts', post({ arr: ['a "quoted" \\ one', null, 'b,c'] }))).json, ['a "quoted" \\ one', null, 'b,c']);
    assert.deepEqual((await rpc('plus_one', post({ v: [1, 2, 3] }))).json, [2, 3, 4]);
    assert.deepEqual((await rpc('plus_one?v=1&v=2')).json, [2, 3]);
    assert.deepEqual((await rpc('echo_json', post({ doc: { nested: [1, { a: null }], s: 'x' } }))).json, { nested: [1, { a: null }], s: 'x' });
    assert.equal((await rpc('mult_them', post({ x: 4, y: 2 }))).json, 8);
    const form = await rpc('add_them', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'a=5&b=6',
    });
    assert.equal(form.json, 11);
  });

  test('unknown function or argument names: 404 PGRST202 with a hint', async () => {
    const unknown = await rpc('add_themm', post({ a: 1, b: 2 }));
    assertError(unknown, 404, 'PGRST202');
    assert.match((unknown.json as { hint: string }).hint, /public\.add_them/);
    const wrongArg = await rpc('add_them', post({ a: 1, c: 2 }));
    assertError(wrongArg, 404, 'PGRST202');
    assert.match((wrongArg.json as { message: string }).message, /public\.add_them\(a, c\)/);
    assertError(await rpc('add_them?a=1'), 404, 'PGRST202');
  });

  test('GET runs read-only; POST of a VOLATILE function writes; STABLE runs read-only under POST too', async () => {
    const before = Number((await sql.query('SELECT count(*) AS n FROM notes')).rows[0].n);
    const viaGet = await rpc('add_note?body=from-get', { headers: await asPostgres() });
    assertError(viaGet, 405, '25006');
    const viaPost = await rpc('add_note', post({ body: 'from-post' }, await asPostgres()));
    assert.equal(viaPost.status, 200, viaPost.text);
    assert.equal(Number((await sql.query('SELECT count(*) AS n FROM notes')).rows[0].n), before + 1);
    const who = (await rpc('whoami', post({}))).json as { read_only: string; method: string };
    assert.equal(who.read_only, 'on');
    assert.equal(who.method, 'POST');
  });

  test('JWT: the role claim becomes the role, claims are readable in SQL, no token means the anonymous role', async () => {
    const jwt = await token({ role: 'reader', sub: 'user-1', exp: nowSeconds() + 600 });
    const who = await rpc('whoami', { headers: bearer(jwt) });
    assert.equal(who.status, 200, who.text);
    const body = who.json as { user: string; claims: Record<string, unknown> };
    assert.equal(body.user, 'reader');
    assert.equal(body.claims.sub, 'user-1');
    assert.equal(body.claims.role, 'reader');
    assert.equal(((await rpc('whoami')).json as { user: string }).user, 'web_anon');
    // A token within the 30 s skew of its expiry still passes.
    assert.equal((await rpc('whoami', { headers: bearer(await token({ role: 'reader', exp: nowSeconds() - 5 })) })).status, 200);
  });

  test('role switching: a role without SELECT on a table gets 403 with a token and 401 without', async () => {
    const reader = bearer(await token({ role: 'reader' }));
    assert.equal((await rpc('count_notes', { headers: reader })).status, 200);
    assertError(await rpc('count_secrets', { headers: reader }), 403, '42501');
    const anon = await rpc('count_secrets');
    assertError(anon, 401, '42501');
    assert.equal(anon.headers.get('www-authenticate'), 'Bearer');
    assert.equal((await rpc('count_secrets', { headers: await asPostgres() })).json, 2);
  });

  test('bad tokens: bad signature, expired, not yet valid, issued in the future, alg none, malformed, unknown role', async () => {
    const forged = await token({ role: 'postgres' }, 'another-secret-that-is-also-long-enough');
    const badSignature = await rpc('whoami', { headers: bearer(forged) });
    assertError(badSignature, 401, 'PGRST301');
    assert.match(badSignature.headers.get('www-authenticate') ?? '', /invalid_token/);
    assertError(await rpc('whoami', { headers: bearer(await token({ role: 'reader', exp: nowSeconds() - 120 })) }), 401, 'PGRST303');
    assertError(await rpc('whoami', { headers: bearer(await token({ role: 'reader', nbf: nowSeconds() + 120 })) }), 401, 'PGRST303');
    assertError(await rpc('whoami', { headers: bearer(await token({ role: 'reader', iat: nowSeconds() + 120 })) }), 401, 'PGRST303');
    const encode = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    const none = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ role: 'postgres' })}.`;
    assertError(await rpc('count_secrets', { headers: bearer(none) }), 401, 'PGRST301');
    assertError(await rpc('whoami', { headers: bearer('not-a-jwt') }), 401, 'PGRST301');
    const ghost = await rpc('whoami', { headers: bearer(await token({ role: 'ghost' })) });
    assertError(ghost, 400, '22023');
    assert.match((ghost.json as { message: string }).message, /role "ghost" does not exist/);
  });

  test('bad input: malformed JSON, a non-object body, wrong argument types, too large a body, unknown paths and methods; nothing is written', async () => {
    const admin = await asPostgres();
    const count = async (): Promise<number> => Number((await sql.query('SELECT count(*) AS n FROM notes')).rows[0].n);
    const before = await count();
    assertError(await rpc('add_note', post('{"body": "x"', admin)), 400, 'PGRST102');
    assertError(await rpc('add_note', post('["x"]', admin)), 400, 'PGRST102');
    assertError(await rpc('add_note', post('"x"', admin)), 400, 'PGRST102');
    assertError(await rpc('add_them', post({ a: 'one', b: 2 })), 400, '22P02');
    assertError(await rpc('add_them?a=1&b=x'), 400, '22P02');
    const huge = await rpc('add_note', post({ body: 'x'.repeat(10 * 1024 * 1024) }, admin));
    assertError(huge, 413, 'PGRST102');
    assertError(await rpc('add_note', { method: 'POST', headers: { ...admin, 'Content-Type': 'text/csv' }, body: 'a,b' }), 415, 'PGRST107');
    assertError(await request(base, `${PREFIX}/nope`), 404, 'PGRST125');
    assertError(await request(base, '/rpc/add_them?a=1&b=2'), 404, 'PGRST125');
    assertError(await rpc('add_them', { method: 'DELETE' }), 405, 'PGRST101');
    assertError(await rpc('add_them?a=1&b=2', { headers: { 'Accept-Profile': 'secret_schema' } }), 406, 'PGRST106');
    assert.equal(await count(), before);
    assert.ok(proxy.isAlive(), proxy.output());
    assert.equal((await rpc('add_them?a=1&b=1')).json, 2);
  });

  test("PostgREST's SQLSTATE mapping for errors raised by functions", async () => {
    const refused = await rpc('refuse', post({}));
    assertError(refused, 400, 'P0001');
    assert.deepEqual(refused.json, { code: 'P0001', message: 'I refuse!', details: 'Pretty simple', hint: 'There is nothing you can do.' });
    assertError(await rpc('pay', post({})), 402, 'PT402');
    const admin = await asPostgres();
    assert.equal((await rpc('add_note', post({ body: 'unique-once' }, admin))).status, 200);
    assertError(await rpc('add_note', post({ body: 'unique-once' }, admin)), 409, '23505');
  });

  test("NOTIFY pgrst, 'reload schema' from any session makes a new function callable", async () => {
    // Made directly on the upstream, with the proxy's event trigger off: only the NOTIFY tells.
    const direct = new pg.Client({ connectionString: cluster.url('postgres', undefined, 'rpc') });
    await direct.connect();
    await direct.query('ALTER EVENT TRIGGER pgml_proxy_catalog DISABLE');
    await direct.query(`CREATE FUNCTION created_later() RETURNS text LANGUAGE sql AS 'SELECT ''later'''`);
    await direct.query('ALTER EVENT TRIGGER pgml_proxy_catalog ENABLE');
    assertError(await rpc('created_later'), 404, 'PGRST202');
    await direct.query(`NOTIFY pgrst, 'reload schema'`);
    await direct.end();
    // The reload runs when the notification arrives: poll for it (bounded) rather than time it.
    let reply = await rpc('created_later');
    for (let i = 0; i < 100 && reply.status === 404; i++) {
      await sleep(50);
      reply = await rpc('created_later');
    }
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json, 'later');
  });

  test('requests beyond the pool queue, and get 503 PGRST003 when the wait times out', async () => {
    const holder = new pg.Client({ connectionString: cluster.url('postgres', undefined, 'rpc') });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock(4242)');
    const admin = await asPostgres();
    // Both pool connections block on the lock...
    const blocked = [rpc('wait_for_lock', post({}, admin)), rpc('wait_for_lock', post({}, admin))];
    // ...once the server holds both (visible in pg_locks), a third request can only time out.
    for (let i = 0; i < 200; i++) {
      const waiting = await holder.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`);
      if (waiting.rows[0].n === 2) break;
      await sleep(25);
    }
    assertError(await rpc('add_them?a=1&b=2'), 503, 'PGRST003');
    await holder.query('SELECT pg_advisory_unlock(4242)');
    await holder.end();
    for (const reply of await Promise.all(blocked)) assert.equal(reply.status, 200, reply.text);
    assert.equal((await rpc('add_them?a=1&b=2')).json, 3);
  });

  test('pgml.* reached over /rpc is evaluated by the proxy, as for a SQL client', async () => {
    await sql.query(
      `SELECT * FROM pgml.train(project_name => 'clickbait_classifier', algorithm => 'xgboost', task => 'classification',
         relation_name => 'click_train_array', y_column_name => 'is_clickbait', test_sampling => 'random')`,
    );
    const features = [Math.sin(3), Math.cos(3 * 0.7), 3 / 13];
    const expected = await sql.query('SELECT pgml.predict_batch($1, $2::real[]) AS p', ['clickbait_classifier', features]);
    const profile = { 'Content-Profile': 'pgml', 'Accept-Profile': 'pgml' };
    const reply = await rpc('predict_batch', post({ project_name: 'clickbait_classifier', features }, { ...(await asPostgres()), ...profile }));
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.json, expected.rows.map((r) => r.p));
    assert.equal((await rpc('version', { headers: profile })).status, 200);
  });

  test('any DDL on functions made through the proxy reloads the schema cache, without NOTIFY', async () => {
    await sql.query(`CREATE FUNCTION made_through_proxy() RETURNS text LANGUAGE sql AS 'SELECT ''seen'''`);
    // The session takes its next statement only once the reload after its DDL is done.
    await sql.query('SELECT 1');
    const reply = await rpc('made_through_proxy');
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json, 'seen');
    await sql.query('DROP FUNCTION made_through_proxy()');
    await sql.query('SELECT 1');
    assertError(await rpc('made_through_proxy'), 404, 'PGRST202');
  });

  test('the seed: predict_clickbait over POST /rest/v1/rpc with a signed token answers [{"is_clickbait":1}]', async () => {
    await sql.query(headlinesTable('seed_headlines'));
    await sql.query(`
      CREATE TABLE clickbait_train AS
        SELECT pgml.embed('wink/sg-100d', headline)::real[] AS embedding, is_clickbait FROM seed_headlines;`);
    // 'last': the seed's headline (the first row) is always in the training set, so a model
    // trained on nine rows answers for it deterministically.
    await sql.query(
      `SELECT * FROM pgml.train(project_name => 'clickbait_seed', algorithm => 'xgboost', task => 'classification',
         relation_name => 'clickbait_train', y_column_name => 'is_clickbait', test_sampling => 'last')`,
    );
    await sql.query(`
      CREATE FUNCTION predict_clickbait(input_string text) RETURNS TABLE(is_clickbait REAL) LANGUAGE sql AS $$
        SELECT pgml.predict('clickbait_seed', pgml.embed('wink/sg-100d', input_string)::real[]) AS is_clickbait;
      $$;
      NOTIFY pgrst, 'reload schema';`);
    const headers = { ...bearer(await token({ role: 'postgres', exp: nowSeconds() + 600 })) };
    let reply = await rpc('predict_clickbait', post({ input_string: 'Once A Huge Star, Today He Lives Alone in Westlake.' }, headers));
    for (let i = 0; i < 100 && reply.status === 404; i++) {
      await sleep(50);
      reply = await rpc('predict_clickbait', post({ input_string: 'Once A Huge Star, Today He Lives Alone in Westlake.' }, headers));
    }
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.json, [{ is_clickbait: 1 }]);
  });

  test('/health is ready and /metrics counts connections, statements and calls per function', async () => {
    const health = await request(base, '/health');
    assert.equal(health.status, 200, health.text);
    assert.deepEqual(health.json, { status: 'ok', upstream: 'reachable', migrations: (health.json as { migrations: unknown }).migrations, schemaCache: 'loaded' });
    assert.deepEqual((health.json as { migrations: { missing: number[] } }).migrations.missing, []);
    const calls = async (): Promise<number> => {
      const text = (await request(base, '/metrics')).text;
      const line = text.split('\n').find((l) => l.startsWith('pgml_proxy_rpc_requests_total{function="public.add_them",status="200"}'));
      return line === undefined ? 0 : Number(line.split(' ').pop());
    };
    const beforeCalls = await calls();
    await rpc('add_them?a=2&b=2');
    assert.equal(await calls(), beforeCalls + 1);
    const metrics = await request(base, '/metrics');
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(metrics.text, /^pgml_proxy_client_connections \d+$/m);
    assert.match(metrics.text, /^pgml_proxy_client_messages_total\{disposition="passed_through"\} [1-9]\d*$/m);
    assert.match(metrics.text, /^pgml_proxy_client_messages_total\{disposition="intercepted"\} [1-9]\d*$/m);
    assert.match(metrics.text, /^pgml_proxy_rpc_duration_seconds_count\{function="public\.add_them"\} [1-9]\d*$/m);
  });
});

describe('HTTP /rpc [proxy-pglite]', { timeout: 300_000 }, () => {
  let proxy: ProxyProcess;
  let base: string;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pgml-http-'));
    const httpPort = await freePort();
    // No --anon-role: requests without a token are refused.
    proxy = await startProxy({ dataDir, extraArgs: ['--http', `127.0.0.1:${httpPort}`, '--jwt-secret', SECRET] });
    base = `http://127.0.0.1:${httpPort}`;
  });

  after(async () => {
    await proxy?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('calls through the embedded database, reloads on NOTIFY, refuses anonymous requests with PGRST302', async () => {
    const sql = new pg.Client({ connectionString: proxy.url() });
    await sql.connect();
    await sql.query(`CREATE FUNCTION add_them(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT a + b'`);
    await sql.query(`NOTIFY pgrst, 'reload schema'`);
    await sql.end();
    const headers = bearer(await token({ role: 'postgres' }));
    let reply = await request(base, '/rpc/add_them?a=1&b=2', { headers });
    for (let i = 0; i < 100 && reply.status === 404; i++) {
      await sleep(50);
      reply = await request(base, '/rpc/add_them?a=1&b=2', { headers });
    }
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json, 3);
    const anonymous = await request(base, '/rpc/add_them?a=1&b=2');
    assertError(anonymous, 401, 'PGRST302');
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
    assert.equal((await request(base, '/health')).status, 200);
  });

  test('a function calling pgml.embed, created through the proxy, answers over POST /rpc', async () => {
    const sql = new pg.Client({ connectionString: proxy.url() });
    await sql.connect();
    await sql.query(`CREATE FUNCTION embedding_size(input_string text) RETURNS TABLE(size int) LANGUAGE sql AS $$
      SELECT array_length(pgml.embed('wink/sg-100d', input_string), 1) AS size $$`);
    await sql.query('SELECT 1'); // waits for the reload that the DDL started
    await sql.end();
    const reply = await request(base, '/rpc/embedding_size', post({ input_string: 'Once A Huge Star' }, bearer(await token({ role: 'postgres' }))));
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.json, [{ size: 100 }]);
  });
});
