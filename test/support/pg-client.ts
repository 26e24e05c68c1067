// A pg client per test suite, a client that keeps its notices, and the check of an error's
// SQLSTATE that assert.rejects takes.
import { after, before } from 'node:test';
import pg from 'pg';
import type { Target } from './targets.js';

/** assert.rejects(promise, sqlState('22023')): the error carries that SQLSTATE. */
export function sqlState(code: string) {
  return (error: unknown) => (error as { code?: string }).code === code;
}

/** Connects before the suite's tests and closes after them; call the result for the client. */
export function suiteClient(target: () => Target): () => pg.Client {
  let client: pg.Client | undefined;
  before(async () => {
    client = new pg.Client({ connectionString: target().url() });
    await client.connect();
  });
  after(async () => {
    await client?.end();
  });
  return () => {
    if (!client) throw new Error('the suite client is used before the suite started');
    return client;
  };
}

export interface Notice {
  severity: string;
  message: string;
}

/** Connects a client whose notices (INFO, NOTICE, WARNING) are appended to `notices`. */
export async function noticingClient(url: string, notices: Notice[]): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('notice', (n) => notices.push({ severity: n.severity ?? '', message: n.message ?? '' }));
  // The target's own after hook may stop the server before the suite ends the client.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
