// The proxy reads the session's statement_timeout as current_setting prints it (a number and a unit)
// rather than from the pg_settings view, which builds a row per server setting (issue 15: the
// training's lookup). Every unit Postgres prints must come out as pg_settings' milliseconds.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { millisecondsSetting, STATEMENT_TIMEOUT_SQL } from '../../src/functions/cancel.js';
import { PgError } from '../../src/errors/index.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';

describe('statement_timeout as current_setting prints it', () => {
  let cluster: PgCluster;
  let client: pg.Client;

  before(async () => {
    cluster = await startPgCluster();
    client = new pg.Client({ connectionString: cluster.url() });
    await client.connect();
  });

  after(async () => {
    await client?.end();
    cluster?.stop();
  });

  for (const value of ['0', '1', '999', '1500ms', '3s', '90s', '2min', '61min', '1h', '36h', '1d', '3d', '2147483647']) {
    it(`SET statement_timeout = '${value}' reads as pg_settings' milliseconds`, async () => {
      // Read inside a function whose SET clause gives the setting: the reading statement's own timer was armed
      // with the session's (none), so '1' (a millisecond) cannot cancel the read itself, as it did once in CI.
      await client.query(
        `CREATE OR REPLACE FUNCTION pg_temp.timeout_read() RETURNS TABLE (shown text, ms text) LANGUAGE sql SET statement_timeout = '${value}'
         AS $$ SELECT ${STATEMENT_TIMEOUT_SQL}, (SELECT setting FROM pg_catalog.pg_settings WHERE name = 'statement_timeout') $$`,
      );
      const { rows } = await client.query<{ shown: string; ms: string }>('SELECT * FROM pg_temp.timeout_read()');
      assert.equal(millisecondsSetting(rows[0]!.shown), Number(rows[0]!.ms), `shown as ${rows[0]!.shown}`);
    });
  }

  it('refuses text that is not a time setting instead of dropping the timeout', () => {
    for (const text of ['5 fortnights', 'constructor', '1.5s', '-1', '']) {
      assert.throws(() => millisecondsSetting(text), (error: unknown) => error instanceof PgError && error.code === 'XX000', text);
    }
    assert.equal(millisecondsSetting(null), 0);
  });
});
