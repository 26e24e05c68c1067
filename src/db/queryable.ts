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

/**
 * Receives a result row by row in Postgres' binary format, straight from the socket's buffer, so a
 * large result never becomes JavaScript values. Each call may keep no reference to `data`.
 */
export interface BinaryRowSink {
  /**
   * One row: at `data[start]` the DataRow body as the protocol lays it out (Int16 field count, then
   * per field an Int32 length, -1 for NULL, and that many bytes of the type's binary send format).
   */
  row(data: Buffer, start: number): void;
  /**
   * Optional: several rows at once, as whole DataRow messages back to back at data[start, end)
   * (each a type byte, an Int32 length that counts itself, the body as `row` reads it). A source
   * that has many rows in one buffer calls this instead of `row` per row. Keeps no reference to `data`.
   */
  rowRun?(data: Buffer, start: number, end: number): void;
  /**
   * Called before the first row when the rows' source can be held back: the sink may pause it while
   * it falls behind, and must resume it (at the latest when the read ends). Rows already received
   * still arrive after a pause: the rest of the socket read they came in (up to 64 KB).
   */
  flow?(control: ReadFlow): void;
}

/** Stops and restarts reading a result from its source (the upstream session's socket). */
export interface ReadFlow {
  pause(): void;
  resume(): void;
}

/**
 * A parameter already in its type's binary format (what the type's send function writes and its
 * receive function reads, e.g. array_send's layout of a real[]), sent with format code 1: only to a
 * Queryable with binaryParams.
 */
export class BinaryParam {
  constructor(readonly bytes: Uint8Array) {}
}

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** True when `query` takes BinaryParam values among its parameters. */
  readonly binaryParams?: boolean;
  /**
   * Runs a query whose rows go to `sink` in binary format as they arrive; resolves with the row
   * count. Sessions that cannot stream leave it out, and callers fall back to `query`.
   */
  streamBinary?(sql: string, params: readonly unknown[], sink: BinaryRowSink): Promise<number>;
}
