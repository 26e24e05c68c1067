/**
 * The tables whose generated columns the proxy computes (migration 0026, src/sql/generated.ts),
 * kept in memory so an INSERT pays no catalog query: loaded with the inlined functions at start
 * and after DDL (catalog-reload.ts says who asks), and by a session right after it defines one,
 * so the statements after it in its transaction see the table before it commits.
 */
import type { Queryable } from '../db/queryable.js';
import { PgError, SqlState } from '../errors/index.js';
import { quoteIdent, quoteString } from '../sql/index.js';
import { encodeExpression, type GeneratedDdl, type GeneratedTable } from '../sql/generated.js';

// A definition is believed only for a table carrying the proxy's trigger, which only its owner can create.
const LOAD_SQL = `
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name,
       (SELECT json_agg(json_build_object('name', a.attname, 'attnum', a.attnum, 'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                                          'hasDefault', a.atthasdef) ORDER BY a.attnum)
          FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       json_agg(json_build_object('attnum', g.attnum, 'expression', g.expression) ORDER BY g.attnum) AS generated
  FROM pgml_proxy.generated_columns g
  JOIN pg_catalog.pg_class c ON c.oid = g.table_oid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = g.table_oid AND a.attnum = g.attnum AND NOT a.attisdropped
 WHERE EXISTS (SELECT FROM pg_catalog.pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'pgml_proxy_generated')
 GROUP BY c.oid, n.nspname, c.relname`;

// Definitions of dropped tables and columns (run on the proxy's own connection, which owns the table).
const FORGET_DROPPED_SQL = `
DELETE FROM pgml_proxy.generated_columns g
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = g.table_oid AND a.attnum = g.attnum AND NOT a.attisdropped)`;

export class GeneratedColumns {
  private tables: readonly GeneratedTable[] = [];

  get isEmpty(): boolean {
    return this.tables.length === 0;
  }

  /** Table names, for the sniffer: a statement naming one is parsed. */
  names(): string[] {
    return [...new Set(this.tables.map((t) => t.name))];
  }

  /**
   * The table an INSERT or UPDATE names. An unqualified name is matched against every schema: when
   * two schemas have such a table the proxy cannot tell which the search path picks, and refuses.
   */
  readonly lookup = (schema: string | null, name: string): GeneratedTable | undefined => {
    const matches = this.tables.filter((t) => t.name === name && (schema === null || t.schema === schema));
    if (matches.length > 1) {
      throw new PgError(SqlState.FeatureNotSupported, `pgml-proxy computes columns of more than one table named "${name}"`, {
        hint: `Qualify the table with its schema: ${matches.map((t) => `${t.schema}.${t.name}`).join(' or ')}.`,
      });
    }
    return matches[0];
  };

  /** Reads the definitions; `forgetDropped` on the proxy's own connection only. */
  async load(db: Queryable, forgetDropped: boolean): Promise<void> {
    if (forgetDropped) await db.query(FORGET_DROPPED_SQL);
    const { rows } = await db.query<{ oid: string; schema: string; name: string; columns: GeneratedTable['columns']; generated: GeneratedTable['generated'] }>(LOAD_SQL);
    this.tables = rows.map((row) => ({ ...row, oid: Number(row.oid) }));
  }
}

/**
 * What runs, in one transaction, in place of DDL defining proxy-computed columns: the DDL with the
 * columns made plain, the trigger refusing writes that do not compute them, and their
 * definitions. `attnumOf` gives the number a column of the table will have after the DDL.
 */
export function definitionStatements(ddl: GeneratedDdl, attnumOf: (name: string) => number | undefined): string[] {
  const relation = quoteString(ddl.relation);
  const definitions = ddl.columns.map((column) => {
    const { text, reads } = encodeExpression(column.expression, attnumOf);
    const attnum = attnumOf(column.name);
    if (attnum === undefined) throw new PgError(SqlState.InternalError, `pgml-proxy lost the number of column "${column.name}"`);
    return `(${relation}::regclass, ${attnum}, ${quoteString(text)}, '{${reads.join(',')}}')`;
  });
  return [
    ddl.sql,
    `CREATE OR REPLACE TRIGGER pgml_proxy_generated BEFORE INSERT OR UPDATE ON ${ddl.relation} FOR EACH ROW EXECUTE FUNCTION pgml_proxy.refuse_uncomputed_write()`,
    `INSERT INTO pgml_proxy.generated_columns (table_oid, attnum, expression, reads) VALUES ${definitions.join(', ')}`,
  ];
}

// Existing columns by name, and the number the next added column gets (attnums count dropped columns).
const ATTNUMS_SQL = `
SELECT json_object_agg(a.attname, a.attnum) FILTER (WHERE NOT a.attisdropped) AS attnums, c.relnatts AS natts
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
 WHERE c.oid = $1::regclass
 GROUP BY c.relnatts`;

/** The attnum each column of the table will have once ALTER TABLE ... ADD COLUMN has run. */
export async function attnumsAfterAlter(db: Queryable, ddl: GeneratedDdl): Promise<(name: string) => number | undefined> {
  const { rows } = await db.query<{ attnums: Record<string, number> | null; natts: number }>(ATTNUMS_SQL, [ddl.relation]);
  const existing = rows[0]?.attnums ?? {};
  const added = new Map(ddl.columns.map((column, i) => [column.name, (rows[0]?.natts ?? 0) + i + 1]));
  return (name) => added.get(name) ?? existing[name];
}

/** Whether the relation a CREATE TABLE IF NOT EXISTS names is there (as the session sees it). */
export async function relationExists(db: Queryable, relation: string): Promise<boolean> {
  const { rows } = await db.query<{ found: boolean }>('SELECT pg_catalog.to_regclass($1) IS NOT NULL AS found', [relation]);
  return rows[0]?.found === true;
}

/** The UPDATE that gives every existing row its added generated columns (rewritten like any UPDATE). */
export function fillSql(ddl: GeneratedDdl): string {
  return `UPDATE ${ddl.relation} SET ${ddl.columns.map((column) => `${quoteIdent(column.name)} = DEFAULT`).join(', ')}`;
}

