/** What the ML and cron layers need from a database session, whatever carries it. */
export interface QueryField {
  name: string;
  typeOid: number;
}

export interface QueryResult<Row = Record<string, unknown>> {
  fields: QueryField[];
  rows: Row[];
  /** The CommandComplete tag, e.g. `INSERT 0 3`. */
  command: string;
  rowCount: number;
}

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
}
