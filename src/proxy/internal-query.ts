import { PgError, SqlState } from '../errors/index.js';
import type { QueryField, QueryResult, Queryable } from '../db/queryable.js';
import {
  BackendCode,
  FrontendCode,
  decodeCommandComplete,
  decodeDataRow,
  decodeErrorResponse,
  decodeRowDescription,
  frontend,
} from '../wire/index.js';
import { encodeText, parseText } from '../wire/types.js';
import type { ResponseHandler, ResponseTracker } from './tracker.js';

// Named, so the client's unnamed statement and portal survive the proxy's own queries.
const STATEMENT = 'pgml_proxy_internal';
const PORTAL = 'pgml_proxy_internal';

export interface InternalChannel {
  tracker: ResponseTracker;
  send(messages: Buffer[]): void;
  /** True while the client has extended-protocol messages after its last Sync. */
  pipelineOpen(): boolean;
}

/**
 * Runs the proxy's own statements on a client's upstream session, between the client's messages:
 * inside the client's transaction (and pipeline), with the client's privileges. Outside a pipeline
 * the batch ends with Sync; inside one it ends with Flush so the client's implicit transaction
 * stays open and an error fails the client's pipeline as a failing statement of its own would.
 */
export class SessionQueryRunner implements Queryable {
  constructor(private readonly channel: InternalChannel) {}

  async query<Row = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    const { tracker } = this.channel;
    if (tracker.pending > 0) {
      this.channel.send([frontend.flush()]);
      await tracker.whenIdle();
    }
    if (tracker.pipelineFailed) {
      throw new PgError(SqlState.InFailedSqlTransaction, 'current transaction is aborted, commands ignored until end of transaction block');
    }
    const inPipeline = this.channel.pipelineOpen();
    const collector = new ResultCollector<Row>();
    // The portal of a statement that failed in a transaction block lives until the block ends:
    // close it first, or the ROLLBACK that follows a failed statement could not bind.
    const messages = [
      frontend.close('S', STATEMENT),
      frontend.close('P', PORTAL),
      frontend.parse(STATEMENT, sql),
      frontend.bind({ portal: PORTAL, statement: STATEMENT, params: params.map(encodeText) }),
      frontend.describe('P', PORTAL),
      frontend.execute(PORTAL, 0),
      frontend.close('P', PORTAL),
    ];
    const codes: number[] = [
      FrontendCode.Close,
      FrontendCode.Close,
      FrontendCode.Parse,
      FrontendCode.Bind,
      FrontendCode.Describe,
      FrontendCode.Execute,
      FrontendCode.Close,
    ];
    messages.push(inPipeline ? frontend.flush() : frontend.sync());
    if (!inPipeline) codes.push(FrontendCode.Sync);
    const finished = new Promise<void>((resolve) => {
      codes.forEach((code, i) => {
        const last = i === codes.length - 1;
        tracker.expect(code, last ? collector.finishing(resolve) : collector);
      });
    });
    this.channel.send(messages);
    await finished;
    return collector.result();
  }
}

class ResultCollector<Row> implements ResponseHandler {
  private fields: QueryField[] = [];
  private readonly rows: Row[] = [];
  private command = '';
  private error: PgError | undefined;

  message(code: number, message: Buffer): boolean {
    switch (code) {
      case BackendCode.RowDescription:
        this.fields = decodeRowDescription(message).map((f) => ({ name: f.name, typeOid: f.typeOid }));
        break;
      case BackendCode.DataRow: {
        const values = decodeDataRow(message);
        const row: Record<string, unknown> = {};
        this.fields.forEach((f, i) => {
          const v = values[i];
          row[f.name] = v === null || v === undefined ? null : parseText(f.typeOid, v.toString('utf8'));
        });
        this.rows.push(row as Row);
        break;
      }
      case BackendCode.CommandComplete:
        this.command = decodeCommandComplete(message);
        break;
      case BackendCode.ErrorResponse:
        this.error ??= decodeErrorResponse(message);
        break;
    }
    return true;
  }

  /** The handler for the batch's last message: it also resolves the batch. */
  finishing(resolve: () => void): ResponseHandler {
    return {
      message: (code, message) => this.message(code, message),
      done: () => resolve(),
    };
  }

  result(): QueryResult<Row> {
    if (this.error) throw this.error;
    const match = /(\d+)$/.exec(this.command);
    return { fields: this.fields, rows: this.rows, command: this.command, rowCount: match ? Number(match[1]) : 0 };
  }
}
