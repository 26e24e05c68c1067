/**
 * The proxy's own connection for its bookkeeping (migrations, stubs): `pg` against a real
 * upstream, or PGlite's own API between client transactions on the embedded one.
 */
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import { fromPgResult } from './pg-result.js';
import type { QueryResult, Queryable } from './queryable.js';

export interface AdminDatabase extends Queryable {
  /** Runs a script of several statements. */
  exec(sql: string): Promise<void>;
  /** Runs `work` in one transaction. */
  transaction<T>(work: (db: AdminDatabase) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Runs `work` between BEGIN and COMMIT on `db`, rolling back if it throws. */
async function inTransaction<T>(db: AdminDatabase, work: (db: AdminDatabase) => Promise<T>): Promise<T> {
  await db.exec('BEGIN');
  try {
    const result = await work(db);
    await db.exec('COMMIT');
    return result;
  } catch (error) {
    await db.exec('ROLLBACK');
    throw error;
  }
}

export class PgAdminDatabase implements AdminDatabase {
  private constructor(private readonly client: pg.Client) {}

  static async connect(url: string): Promise<PgAdminDatabase> {
    const client = new pg.Client({ connectionString: url, application_name: 'pgml-proxy' });
    client.on('error', () => {});
    await client.connect();
    return new PgAdminDatabase(client);
  }

  async query<Row = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    return fromPgResult<Row>(await this.client.query(sql, params as unknown[]));
  }

  async exec(sql: string): Promise<void> {
    await this.client.query(sql);
  }

  transaction<T>(work: (db: AdminDatabase) => Promise<T>): Promise<T> {
    return inTransaction(this, work);
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

/** PGlite's API, used only inside EmbeddedConnector.exclusive(). */
export class PGliteAdminDatabase implements AdminDatabase {
  constructor(private readonly db: PGlite) {}

  async query<Row = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    const r = await this.db.query<Row>(sql, params as unknown[]);
    return {
      rows: r.rows,
      fields: r.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID })),
      command: '',
      rowCount: r.affectedRows ?? r.rows.length,
    };
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  transaction<T>(work: (db: AdminDatabase) => Promise<T>): Promise<T> {
    return inTransaction(this, work);
  }

  async close(): Promise<void> {}
}
