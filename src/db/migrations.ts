import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AdminDatabase } from './admin.js';

/** Any 64-bit key unique to pgml-proxy: serializes migrations across proxy processes. */
const MIGRATION_LOCK = 7_415_923_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function loadMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    migrations.push({ version: Number(file.split('_')[0]), name: file, sql: await readFile(join(dir, file), 'utf8') });
  }
  const versions = new Set(migrations.map((m) => m.version));
  if (versions.size !== migrations.length) throw new Error(`duplicate migration numbers in ${dir}`);
  return migrations;
}

/**
 * Applies the migrations not yet recorded, in order, each in its own transaction, under an
 * advisory lock so that proxies starting together apply each exactly once. Forward-only.
 */
export async function migrate(db: AdminDatabase, migrations: readonly Migration[]): Promise<string[]> {
  return withMigrationLock(db, async () => {
    await db.exec(`
      CREATE SCHEMA IF NOT EXISTS pgml_proxy;
      CREATE TABLE IF NOT EXISTS pgml_proxy.schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      );`);
    const applied = await db.query<{ version: number }>('SELECT version FROM pgml_proxy.schema_migrations');
    const done = new Set(applied.rows.map((r) => Number(r.version)));
    const newlyApplied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await db.transaction(async (tx) => {
        await tx.exec(m.sql);
        await tx.query('INSERT INTO pgml_proxy.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          createHash('sha256').update(m.sql).digest('hex'),
        ]);
      });
      newlyApplied.push(m.name);
    }
    return newlyApplied;
  });
}

/** Runs `work` holding the lock under which proxies change the schema, one at a time. */
export async function withMigrationLock<T>(db: AdminDatabase, work: () => Promise<T>): Promise<T> {
  await db.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    return await work();
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}
