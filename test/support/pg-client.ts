// A pg client per test suite, and the check of an error's SQLSTATE that assert.rejects takes.
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
