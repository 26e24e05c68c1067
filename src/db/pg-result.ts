/** node-postgres' result as the Queryable interface describes it. */
import type pg from 'pg';
import type { QueryResult } from './queryable.js';

export function fromPgResult<Row>(r: pg.QueryResult): QueryResult<Row> {
  return {
    rows: r.rows as Row[],
    fields: r.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID })),
    command: r.command,
    rowCount: r.rowCount ?? 0,
  };
}
