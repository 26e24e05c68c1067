import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AdminDatabase } from './admin.js';
import type { FunctionSignature, ProxyFunction } from './functions.js';

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
  await db.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
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
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}

/**
 * Every proxy-evaluated function also exists in the upstream with the same signature, so views
 * and SQL functions referring to it can be created; called inside the database, it explains
 * that the call must go through pgml-proxy.
 */
export function stubSql(signature: FunctionSignature): string {
  const name = `${signature.schema}.${signature.name}`;
  const params = signature.params.map((p) => `"${p.name}" ${p.type}${p.hasDefault ? ' DEFAULT NULL' : ''}`).join(', ');
  const returns = signature.returns;
  const returnSql =
    returns.kind === 'scalar'
      ? returns.type
      : returns.kind === 'setof'
        ? `SETOF ${returns.type}`
        : `TABLE(${returns.columns.map((c) => `"${c.name}" ${c.type}`).join(', ')})`;
  const message = `${name}() must be called through pgml-proxy`;
  const outputs = returns.kind === 'table' ? returns.columns.map((c) => c.name) : [];
  if (signature.params.some((p) => outputs.includes(p.name))) {
    // PL/pgSQL refuses a parameter and an output column of the same name (PostgresML's
    // pgml.train(task ...) RETURNS TABLE(task ...)); an SQL function accepts it and raises via a helper.
    const columns = returns.kind === 'table' ? returns.columns.map((c) => `NULL::${c.type}`).join(', ') : 'NULL';
    return `CREATE OR REPLACE FUNCTION pgml_proxy.raise_stub_error(name text) RETURNS void LANGUAGE plpgsql AS $pgml_proxy_stub$
BEGIN
  RAISE EXCEPTION '%() must be called through pgml-proxy', name USING ERRCODE = 'feature_not_supported',
    HINT = format('pgml-proxy evaluates %s: connect to pgml-proxy instead of directly to Postgres.', name);
END
$pgml_proxy_stub$;
CREATE OR REPLACE FUNCTION ${name}(${params}) RETURNS ${returnSql} LANGUAGE sql AS $pgml_proxy_stub$
  SELECT pgml_proxy.raise_stub_error('${name}');
  SELECT ${columns} WHERE false
$pgml_proxy_stub$`;
  }
  return `CREATE OR REPLACE FUNCTION ${name}(${params}) RETURNS ${returnSql} LANGUAGE plpgsql AS $pgml_proxy_stub$
BEGIN
  RAISE EXCEPTION '${message}' USING ERRCODE = 'feature_not_supported',
    HINT = 'pgml-proxy evaluates ${name}: connect to pgml-proxy instead of directly to Postgres.';
END
$pgml_proxy_stub$`;
}

export async function installStubs(db: AdminDatabase, functions: readonly Pick<ProxyFunction, "signature">[]): Promise<void> {
  await db.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await db.transaction(async (tx) => {
      for (const fn of functions) await tx.exec(stubSql(fn.signature));
    });
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}
