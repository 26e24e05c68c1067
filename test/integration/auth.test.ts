// Password authentication relayed to the upstream. Real Postgres only: embedded PGlite has no
// roles with SCRAM/md5 verifiers or a pg_hba to demand them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import postgres from 'postgres';
import { execCapture } from '../support/exec.js';
import { MD5_USER, SCRAM_USER } from '../support/pg-cluster.js';
import { assertProxyAlive, describeTargets, type Target } from '../support/targets.js';

async function currentUser(target: Target, user: string, password: string): Promise<string> {
  const client = new pg.Client({ connectionString: target.url(user, password) });
  await client.connect();
  try {
    const r = await client.query('select current_user as u, $1::int as n', [1]);
    assert.equal(r.rows[0].n, 1);
    return r.rows[0].u as string;
  } finally {
    await client.end();
  }
}

describeTargets('authentication', { realPostgresOnly: true }, (target) => {
  for (const role of [SCRAM_USER, MD5_USER]) {
    test(`${role.user}: right password connects`, async () => {
      assert.equal(await currentUser(target(), role.user, role.password), role.user);
    });

    test(`${role.user}: wrong password is refused with 28P01 and the server stays up`, async () => {
      await assert.rejects(currentUser(target(), role.user, 'wrong-password'), (err: pg.DatabaseError) => {
        assert.equal(err.code, '28P01');
        assert.match(err.message, new RegExp(`password authentication failed for user "${role.user}"`));
        return true;
      });
      assertProxyAlive(target());
      assert.equal(await currentUser(target(), role.user, role.password), role.user);
    });
  }

  test('the roles store the verifier that forces each method', async () => {
    const client = new pg.Client({ connectionString: target().url() });
    await client.connect();
    try {
      const r = await client.query(`select rolname, left(rolpassword, 13) as kind from pg_authid where rolname = any($1) order by rolname`, [
        [SCRAM_USER.user, MD5_USER.user],
      ]);
      assert.deepEqual(r.rows.map((row) => row.rolname), [MD5_USER.user, SCRAM_USER.user]);
      assert.match(r.rows[0].kind, /^md5/);
      assert.equal(r.rows[1].kind, 'SCRAM-SHA-256');
    } finally {
      await client.end();
    }
  });

  test('no password at all for a SCRAM role is refused', async () => {
    const client = new pg.Client({ connectionString: target().url(SCRAM_USER.user) });
    await assert.rejects(client.connect());
    assertProxyAlive(target());
  });

  test('postgres.js (its own SCRAM implementation) authenticates', async () => {
    const sql = postgres(target().url(SCRAM_USER.user, SCRAM_USER.password), { max: 1 });
    try {
      const [row] = await sql`select current_user as u`;
      assert.equal(row!.u, SCRAM_USER.user);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  test('psql (libpq SCRAM with channel-binding negotiation) authenticates', async () => {
    const ok = await execCapture('/usr/bin/psql', ['-X', '-At', '-d', target().url(SCRAM_USER.user, SCRAM_USER.password), '-c', 'select current_user']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, `${SCRAM_USER.user}\n`);
    const bad = await execCapture('/usr/bin/psql', ['-X', '-At', '-d', target().url(SCRAM_USER.user, 'nope'), '-c', 'select 1']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /password authentication failed/);
  });
});
