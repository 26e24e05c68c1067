import { z } from 'zod';
import { defineFunction, optionalParam, param, table } from '../../functions/index.js';
import type { Queryable } from '../../db/queryable.js';
import { PgError, SqlState } from '../../errors/index.js';
import { DATASETS, type DatasetSpec } from '../datasets/catalog.js';
import { readDatasetCsv } from '../datasets/files.js';

/** Rows per INSERT: each column travels as one text[] parameter, so this bounds the message size. */
const BATCH_ROWS = 1000;

/**
 * pgml.load_dataset(source, subset, limit, kwargs): creates one of PostgresML's toy datasets as a
 * table in schema pgml, on the caller's session and inside the caller's transaction. Other sources
 * are Hugging Face datasets, which need network access the proxy does not have.
 */
export const loadDataset = defineFunction({
  schema: 'pgml',
  name: 'load_dataset',
  params: {
    source: param('text', z.string().nullable()),
    subset: optionalParam('text', z.string().nullable()),
    limit: optionalParam('bigint', z.union([z.number(), z.bigint(), z.string()]).nullable()),
    kwargs: optionalParam('jsonb', z.unknown()),
  },
  returns: table({ table_name: 'text', rows: 'bigint' }),
  execute: async (args, ctx) => {
    if (args.source === null) throw new PgError(SqlState.NullValueNotAllowed, 'pgml.load_dataset: source must not be NULL');
    const spec = DATASETS.get(args.source);
    if (!spec) throw remoteSourceError(args.source);
    const limit = parseLimit(args.limit);
    const rows = await load(ctx.db, spec, limit);
    return [{ table_name: `pgml.${spec.table}`, rows }];
  },
});

function remoteSourceError(source: string): PgError {
  return new PgError(
    SqlState.FeatureNotSupported,
    `pgml.load_dataset: "${source}" is not one of the bundled datasets, and loading it from Hugging Face needs network access, which pgml-proxy does not do`,
    {
      hint: `Bundled datasets: ${[...DATASETS.keys()].join(', ')}. Load other data with COPY or INSERT.`,
    },
  );
}

function parseLimit(limit: number | bigint | string | null | undefined): number | undefined {
  if (limit === null || limit === undefined) return undefined;
  const value = typeof limit === 'number' ? limit : Number(limit);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new PgError(SqlState.InvalidParameterValue, `pgml.load_dataset: limit must be a non-negative integer, got ${String(limit)}`);
  }
  return value;
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function load(db: Queryable, spec: DatasetSpec, limit: number | undefined): Promise<number> {
  const records = await readDatasetCsv(spec.file, limit);
  // Every value is converted before the table is touched, so a bad file leaves the old table in place.
  const values = records.map((record) => spec.columns.map((column) => column.value(record)));
  const table = `pgml.${ident(spec.table)}`;

  // As PostgresML: look before dropping, so a first load raises no "does not exist" notice.
  const existing = await db.query(
    `SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'pgml' AND c.relname = $1 AND c.relkind IN ('r', 'p')`,
    [spec.table],
  );
  if (existing.rows.length > 0) await db.query(`DROP TABLE ${table} CASCADE`);
  await db.query(`CREATE TABLE ${table} (${spec.columns.map((c) => `${ident(c.name)} ${c.type}`).join(', ')})`);

  const aliases = spec.columns.map((_, i) => `c${i}`);
  const insert =
    `INSERT INTO ${table} (${spec.columns.map((c) => ident(c.name)).join(', ')}) ` +
    `SELECT ${spec.columns.map((c, i) => `u.c${i}::${c.type}`).join(', ')} ` +
    `FROM unnest(${aliases.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${aliases.join(', ')})`;
  let inserted = 0;
  for (let start = 0; start < values.length; start += BATCH_ROWS) {
    const batch = values.slice(start, start + BATCH_ROWS);
    const params = spec.columns.map((_, i) => batch.map((row) => row[i]!));
    const result = await db.query(insert, params);
    inserted += result.rowCount;
  }
  return inserted;
}
