import { PgError, SqlState } from '../errors/index.js';
import { BinaryParam, type BinaryRowSink, type QueryField, type QueryResult, type Queryable } from '../db/queryable.js';
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
  /** Stops reading the upstream's socket, for a streamed read whose sink falls behind. */
  pauseUpstream(): void;
  /** Reads the upstream again (unless the client is the one not keeping up). */
  resumeUpstream(): void;
}

/**
 * Runs the proxy's own statements on a client's upstream session, between the client's messages:
 * inside the client's transaction (and pipeline), with the client's privileges. Outside a pipeline
 * the batch ends with Sync; inside one it ends with Flush so the client's implicit transaction
 * stays open and an error fails the client's pipeline as a failing statement of its own would.
 */
export class SessionQueryRunner implements Queryable {
  readonly binaryParams = true;

  constructor(private readonly channel: InternalChannel) {}

  async query<Row = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    const collector = new ResultCollector<Row>();
    await this.run(sql, params, TEXT, collector);
    return collector.result();
  }

  /** The rows in binary format, handed to `sink` one by one as the upstream sends them. */
  async streamBinary(sql: string, params: readonly unknown[], sink: BinaryRowSink): Promise<number> {
    const collector = new StreamCollector(sink);
    sink.flow?.({ pause: () => this.channel.pauseUpstream(), resume: () => this.channel.resumeUpstream() });
    await this.run(sql, params, BINARY, collector);
    return collector.result();
  }

  private async run(sql: string, params: readonly unknown[], resultFormats: number[], collector: Collector): Promise<void> {
    const { tracker } = this.channel;
    if (tracker.pending > 0) {
      this.channel.send([frontend.flush()]);
      await tracker.whenIdle();
    }
    if (tracker.pipelineFailed) {
      throw new PgError(SqlState.InFailedSqlTransaction, 'current transaction is aborted, commands ignored until end of transaction block');
    }
    const inPipeline = this.channel.pipelineOpen();
    // The portal of a statement that failed in a transaction block lives until the block ends:
    // close it first, or the ROLLBACK that follows a failed statement could not bind.
    const messages = [
      frontend.close('S', STATEMENT),
      frontend.close('P', PORTAL),
      frontend.parse(STATEMENT, sql),
      frontend.bind({ portal: PORTAL, statement: STATEMENT, ...bindParams(params), resultFormats }),
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
  }
}

/** Bind's parameters: text, unless one is a BinaryParam (then each gets its format code). */
function bindParams(params: readonly unknown[]): { params: (Buffer | null)[]; paramFormats?: number[] } {
  const encoded = params.map((p) => (p instanceof BinaryParam ? Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength) : encodeText(p)));
  if (!params.some((p) => p instanceof BinaryParam)) return { params: encoded };
  return { params: encoded, paramFormats: params.map((p) => (p instanceof BinaryParam ? 1 : 0)) };
}

/** Bind's result format codes: none means text for every column, a single 1 binary for every column. */
const TEXT: number[] = [];
/** A DataRow's type byte and length, before its body. */
const DATA_ROW_HEADER = 5;
const BINARY = [1];

/** Sees the answer to one internal query; `finishing` also resolves it at its last message. */
abstract class Collector implements ResponseHandler {
  protected command = '';
  protected error: PgError | undefined;

  abstract message(code: number, message: Buffer): boolean;

  protected common(code: number, message: Buffer): void {
    if (code === BackendCode.CommandComplete) this.command = decodeCommandComplete(message);
    else if (code === BackendCode.ErrorResponse) {
      this.error ??= decodeErrorResponse(message);
    }
  }

  finishing(resolve: () => void): ResponseHandler {
    return {
      message: (code, message) => this.message(code, message),
      done: () => resolve(),
    };
  }

  protected rowCount(): number {
    const match = /(\d+)$/.exec(this.command);
    return match ? Number(match[1]) : 0;
  }
}

/**
 * Hands binary DataRows to a sink. A sink that throws keeps the first error and sees no more rows:
 * the rest of the answer still has to be read off the session before the error is raised.
 */
class StreamCollector extends Collector {
  private sinkError: unknown;

  constructor(private readonly sink: BinaryRowSink) {
    super();
  }

  message(code: number, message: Buffer): boolean {
    if (code !== BackendCode.DataRow) this.common(code, message);
    else if (this.sinkError === undefined) {
      try {
        this.sink.row(message, DATA_ROW_HEADER);
      } catch (error) {
        this.sinkError = error;
      }
    }
    return true;
  }

  /** DataRows back to back in the upstream's socket read: to a sink that takes runs in one call. */
  rowRun(chunk: Buffer, start: number, end: number): void {
    if (this.sinkError !== undefined) return;
    try {
      if (this.sink.rowRun !== undefined) this.sink.rowRun(chunk, start, end);
      else {
        for (let at = start; at < end; ) {
          const next = at + 1 + chunk.readInt32BE(at + 1);
          this.sink.row(chunk.subarray(at, next), DATA_ROW_HEADER);
          at = next;
        }
      }
    } catch (error) {
      this.sinkError = error;
    }
  }

  result(): number {
    if (this.error) throw this.error;
    if (this.sinkError !== undefined) throw this.sinkError;
    return this.rowCount();
  }
}

class ResultCollector<Row> extends Collector {
  private fields: QueryField[] = [];
  private readonly rows: Row[] = [];

  message(code: number, message: Buffer): boolean {
    if (code === BackendCode.RowDescription) {
      this.fields = decodeRowDescription(message).map((f) => ({ name: f.name, typeOid: f.typeOid }));
    } else if (code === BackendCode.DataRow) {
      const values = decodeDataRow(message);
      const row: Record<string, unknown> = {};
      this.fields.forEach((f, i) => {
        const v = values[i];
        row[f.name] = v === null || v === undefined ? null : parseText(f.typeOid, v.toString('utf8'));
      });
      this.rows.push(row as Row);
    } else this.common(code, message);
    return true;
  }

  result(): QueryResult<Row> {
    if (this.error) throw this.error;
    return { fields: this.fields, rows: this.rows, command: this.command, rowCount: this.rowCount() };
  }
}
