// The proxy's one LISTEN connection (src/db/notifications.ts) against a real Postgres: many
// channels on one backend, and lost/restored around an upstream restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { NotificationService } from '../../src/db/notifications.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { waitFor } from '../support/wait.js';

let cluster: PgCluster;
before(async () => {
  cluster = await startPgCluster();
});
after(() => cluster?.stop());

async function notify(channel: string, payload: string): Promise<void> {
  const client = new pg.Client({ connectionString: cluster.url() });
  await client.connect();
  try {
    await client.query('SELECT pg_notify($1, $2)', [channel, payload]);
  } finally {
    await client.end();
  }
}

async function listenerBackends(): Promise<number> {
  const client = new pg.Client({ connectionString: cluster.url() });
  await client.connect();
  try {
    const r = await client.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pgml-proxy listener'`);
    return r.rows[0].n as number;
  } finally {
    await client.end();
  }
}

test('one connection delivers every channel, and says lost and restored around an upstream restart', async () => {
  const events: string[] = [];
  const service = new NotificationService(cluster.url(), () => {});
  service.subscribe('first', { notify: (p) => events.push(`first:${p}`), lost: () => events.push('lost'), restored: () => events.push('restored') });
  service.subscribe('second', { notify: (p) => events.push(`second:${p}`) });
  try {
    await service.start();
    assert.deepEqual(events, ['restored']);
    assert.equal(await listenerBackends(), 1);
    // Subscribed after start: listened to at once, on the same connection.
    service.subscribe('third', { notify: (p) => events.push(`third:${p}`) });
    await notify('first', 'a');
    await notify('second', '');
    await waitFor('the second notification', async () => events.includes('second:'));
    await notify('third', 'c');
    await waitFor('the third notification', async () => events.includes('third:c'));
    assert.deepEqual(events, ['restored', 'first:a', 'second:', 'third:c']);
    assert.equal(await listenerBackends(), 1);

    events.length = 0;
    cluster.restart();
    await waitFor('the connection to come back', async () => events.includes('restored'));
    assert.deepEqual(events, ['lost', 'restored']);
    // Every channel is listened to again, the late one too.
    await notify('third', 'after');
    await notify('first', 'after');
    await waitFor('a notification after the restart', async () => events.includes('first:after'));
    assert.deepEqual(events, ['lost', 'restored', 'third:after', 'first:after']);
  } finally {
    await service.stop();
  }
  await waitFor('the listener backend to end', async () => (await listenerBackends()) === 0);
});
