// Issue 12, section 2: the message limits Postgres applies per phase, the proxy's own
// authentication timeout, and bystanders staying served while clients send oversized messages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { MD5_USER } from '../support/pg-cluster.js';
import { startProxy, type ProxyProcess } from '../support/proxy.js';
import { errorFields, frontendMessage, queryMessage, RawConnection, startupMessage, type BackendMessage } from '../support/raw-wire.js';
import { assertProxyAlive, describeTargets, type TargetKind } from '../support/targets.js';

const ATTACKERS = join(dirname(fileURLToPath(import.meta.url)), '..', 'support', 'oversized-attackers.mjs');

/** A message header declaring `length` (which counts itself), without any of the body. */
function header(type: string, length: number): Buffer {
  const b = Buffer.alloc(5);
  b.write(type, 0, 'latin1');
  b.writeUInt32BE(length >>> 0, 1);
  return b;
}

function finalError(messages: BackendMessage[]): Record<string, string> {
  const error = messages.find((m) => m.type === 'E');
  assert.ok(error, `expected an ErrorResponse, got ${messages.map((m) => m.type).join(',') || 'nothing'}`);
  return errorFields(error);
}

function assertRefused(fields: Record<string, string>, message: string): void {
  assert.equal(fields.S, 'FATAL');
  assert.equal(fields.C, '08P01');
  assert.equal(fields.M, message);
}

/** A role that must authenticate on a real upstream; embedded PGlite authenticates nobody. */
const passwordRole = (kind: TargetKind): string => (kind === 'proxy-postgres' ? MD5_USER.user : 'postgres');

/** A startup packet of exactly `total` bytes, padded in application_name. */
function startupOfLength(total: number, database: string): Buffer {
  const base = startupMessage({ user: 'postgres', database, application_name: '' }).length;
  const packet = startupMessage({ user: 'postgres', database, application_name: 'a'.repeat(total - base) });
  assert.equal(packet.length, total);
  return packet;
}

describeTargets('protocol limits', { proxyOnly: true }, (target, kind) => {
  async function exchange(bytes: Buffer): Promise<BackendMessage[]> {
    const c = await RawConnection.open(target().host, target().port);
    c.write(bytes);
    return c.readToEnd();
  }

  async function authenticated(): Promise<RawConnection> {
    const c = await RawConnection.open(target().host, target().port);
    await c.startup('postgres', target().database);
    return c;
  }

  async function assertBystanderWorks(): Promise<void> {
    assertProxyAlive(target());
    const client = new pg.Client({ connectionString: target().url() });
    await client.connect();
    assert.deepEqual((await client.query('select 1 as still')).rows, [{ still: 1 }]);
    await client.end();
  }

  test('a startup packet of 10004 bytes is read, one of 10005 is refused (MAX_STARTUP_PACKET_LENGTH)', async () => {
    const accepted = await RawConnection.open(target().host, target().port);
    accepted.write(startupOfLength(10_004, target().database));
    const greeting = await accepted.readUntil('Z');
    assert.equal(greeting.find((m) => m.type === 'E'), undefined);
    accepted.destroy();
    assertRefused(finalError(await exchange(startupOfLength(10_005, target().database))), 'invalid length of startup packet');
    await assertBystanderWorks();
  });

  test('before authentication a password message declaring more than 65535 bytes is refused on its header', async () => {
    const startup = startupMessage({ user: passwordRole(kind), database: target().database });
    // Only the header is sent: the refusal cannot depend on the body arriving.
    const messages = await exchange(Buffer.concat([startup, header('p', 65_536)]));
    assertRefused(finalError(messages), 'invalid message length');
    assertRefused(finalError(await exchange(Buffer.concat([startup, header('p', 0x3fff_fffe)]))), 'invalid message length');
    await assertBystanderWorks();
  });

  test('before authentication a message other than a password response is refused', async () => {
    const startup = startupMessage({ user: passwordRole(kind), database: target().database });
    const messages = await exchange(Buffer.concat([startup, queryMessage('select 1')]));
    assertRefused(finalError(messages), 'expected password response, got message type 81');
    assert.equal(messages.find((m) => m.type === 'D'), undefined, 'the query was not run');
    await assertBystanderWorks();
  });

  test('a password message of 65535 bytes is read and answered by the upstream', { skip: kind !== 'proxy-postgres' && 'needs an upstream that asks for a password' }, async () => {
    const c = await RawConnection.open(target().host, target().port);
    c.write(startupMessage({ user: MD5_USER.user, database: target().database }));
    await c.readUntil('R');
    c.write(frontendMessage('p', Buffer.concat([Buffer.alloc(65_530, 'x'), Buffer.from([0])])));
    const fields = finalError(await c.readToEnd());
    assert.equal(fields.C, '28P01', JSON.stringify(fields));
    await assertBystanderWorks();
  });

  test('after authentication a Sync declaring more than 10000 bytes is refused (PQ_SMALL_MESSAGE_LIMIT)', async () => {
    const c = await authenticated();
    c.write(header('S', 10_001));
    assertRefused(finalError(await c.readToEnd()), 'invalid message length');
    await assertBystanderWorks();
  });

  test('after authentication a Query declaring 1 GB is refused on its header (PQ_LARGE_MESSAGE_LIMIT)', async () => {
    const c = await authenticated();
    c.write(header('Q', 0x3fff_ffff));
    assertRefused(finalError(await c.readToEnd()), 'invalid message length');
    await assertBystanderWorks();
  });

  test('a message type Postgres does not know is refused on its header', async () => {
    const c = await authenticated();
    c.write(header('p', 100));
    assertRefused(finalError(await c.readToEnd()), 'invalid frontend message type 112');
  });

  test('a 16 MB query and a 16 MB parameter arrive whole', async () => {
    const client = new pg.Client({ connectionString: target().url() });
    await client.connect();
    try {
      const big = 'x'.repeat(16 << 20);
      const simple = await client.query(`select length('${big}') as n`);
      assert.equal(simple.rows[0].n, big.length);
      const bound = await client.query('select length($1::text) as n', [big]);
      assert.equal(bound.rows[0].n, big.length);
    } finally {
      await client.end();
    }
  });

  // Postgres reads one slow statement at a time; a client that writes faster must be held back by
  // the proxy instead of having its bytes queued in the proxy's memory. Without backpressure the
  // client gets nearly all 120 MB out while the upstream answers 10 statements a second; with it, at
  // most the socket buffers (a few MB each way) and the proxy's 1 MB bounds are ahead of the answers.
  test('a client writing faster than the upstream reads is held back (backpressure)', { timeout: 120_000 }, async (t) => {
    const c = await authenticated();
    const MESSAGES = 120;
    const filler = 'x'.repeat((1 << 20) - 64);
    const message = queryMessage(`SELECT pg_sleep(0.1) /* ${filler} */`);
    let answered = 0;
    let maxAhead = 0;
    const answers = (async () => {
      while (answered < MESSAGES) {
        const m = await c.next();
        if (m === undefined) throw new Error('connection closed');
        if (m.type === 'E') throw new Error(JSON.stringify(errorFields(m)));
        if (m.type === 'Z') answered++;
      }
    })();
    for (let sent = 1; sent <= MESSAGES; sent++) {
      if (!c.socket.write(message)) await new Promise((resolve) => c.socket.once('drain', resolve));
      maxAhead = Math.max(maxAhead, (sent - answered) * message.length);
    }
    await answers;
    c.destroy();
    t.diagnostic(`at most ${(maxAhead / 2 ** 20).toFixed(0)} MB written ahead of the answers`);
    assert.ok(maxAhead < 48 << 20, `the client got ${(maxAhead / 2 ** 20).toFixed(0)} MB ahead of the answers`);
    await assertBystanderWorks();
  });

  test("other sessions' SELECT 1 stays fast while 20 clients send oversized messages", { timeout: 120_000 }, async (t) => {
    const bystander = new pg.Client({ connectionString: target().url() });
    await bystander.connect();
    const samples = async (n: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const start = process.hrtime.bigint();
        await bystander.query('select 1');
        out.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      return out;
    };
    const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)]!;
    try {
      const quiet = p99(await samples(300));
      const attackers = spawn(process.execPath, [ATTACKERS, target().host, String(target().port), target().database, passwordRole(kind), '20'], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      let output = '';
      attackers.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const exited = new Promise((resolve) => attackers.once('exit', resolve));
      // Let every attacker connect before measuring.
      await sleep(500);
      const attacked = p99(await samples(300));
      attackers.stdin.end();
      await exited;
      const refused = Number(output.trim());
      t.diagnostic(`SELECT 1 p99: ${quiet.toFixed(1)} ms quiet, ${attacked.toFixed(1)} ms under attack; ${refused} oversized messages refused`);
      assert.ok(refused >= 20, `the attackers were refused (${output.trim()})`);
      // The goal is 50 ms; a shared, loaded 2-core test machine gets a generous bound (five
      // times its own quiet p99, at least 500 ms), and the measured values are reported above.
      // Buffering the attackers' bytes stalled other sessions for seconds.
      const bound = Math.max(500, 5 * quiet);
      assert.ok(attacked < bound, `SELECT 1 p99 under attack was ${attacked.toFixed(1)} ms (bound ${bound.toFixed(0)} ms)`);
    } finally {
      await bystander.end();
    }
    await assertBystanderWorks();
  });
});

describeTargets('authentication timeout', { proxyOnly: true }, (target, kind) => {
  let proxy: ProxyProcess;
  let dataDir: string | undefined;
  before(async () => {
    if (kind === 'proxy-postgres') {
      proxy = await startProxy({ upstream: target().cluster!.url('postgres', undefined, target().database), extraArgs: ['--auth-timeout', '1'] });
    } else {
      dataDir = mkdtempSync(join(tmpdir(), 'pgml-auth-timeout-'));
      proxy = await startProxy({ dataDir, extraArgs: ['--auth-timeout', '1'] });
    }
  });
  after(async () => {
    await proxy?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function silentClient(bytes: Buffer): Promise<Record<string, string>> {
    const c = await RawConnection.open(proxy.host, proxy.port);
    if (bytes.length > 0) c.write(bytes);
    return finalError(await c.readToEnd());
  }

  const timedOut = (fields: Record<string, string>): void => {
    assert.equal(fields.S, 'FATAL');
    assert.equal(fields.C, '28000');
    assert.equal(fields.M, 'authentication did not complete within 1 s');
  };

  test('a connection that never sends a startup packet is closed', async () => {
    timedOut(await silentClient(Buffer.alloc(0)));
  });

  test('a client that never answers the password request is closed', { skip: kind !== 'proxy-postgres' && 'needs an upstream that asks for a password' }, async () => {
    timedOut(await silentClient(startupMessage({ user: MD5_USER.user, database: target().database })));
  });

  test('half a startup packet is not enough to stay connected', async () => {
    timedOut(await silentClient(startupMessage({ user: 'postgres', database: target().database }).subarray(0, 9)));
  });

  test('an authenticated session outlives the timeout', async () => {
    const client = new pg.Client({ connectionString: proxy.url('postgres', undefined, target().database) });
    await client.connect();
    try {
      await client.query('select pg_sleep(1.5)');
      assert.deepEqual((await client.query('select 1 as alive')).rows, [{ alive: 1 }]);
    } finally {
      await client.end();
    }
  });
});
