/**
 * The proxy's own connection for its bookkeeping (migrations, stubs): `pg` against a real
 * upstream, or PGlite's own API between client transactions on the embedded one.
 */
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import type { QueryResult, Queryable } from './queryable.js';

export interface AdminDatabase extends Queryable {
  /** Runs a script of several statements. */
  exec(sql: string): Promise<void>;
  /** Runs `work` in one transaction. */
  transaction<T>(work: (db: AdminDatabase) => Promise<T>): Promise<T>;
  close(): Promise<void>;
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
    const r = await this.client.query(sql, params as unknown[]);
    return {
      rows: r.rows as Row[],
      fields: r.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID })),
      command: r.command,
      rowCount: r.rowCount ?? 0,
    };
  }

  async exec(sql: string): Promise<void> {
    await this.client.query(sql);
  }

  async transaction<T>(work: (db: AdminDatabase) => Promise<T>): Promise<T> {
    await this.client.query('BEGIN');
    try {
      const result = await work(this);
      await this.client.query('COMMIT');
      return result;
    } catch (error) {
      await this.client.query('ROLLBACK');
      throw error;
    }
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

  async transaction<T>(work: (db: AdminDatabase) => Promise<T>): Promise<T> {
    await this.db.exec('BEGIN');
    try {
      const result = await work(this);
      await this.db.exec('COMMIT');
      return result;
    } catch (error) {
      await this.db.exec('ROLLBACK');
      throw error;
    }
  }

  async close(): Promise<void> {}
}
