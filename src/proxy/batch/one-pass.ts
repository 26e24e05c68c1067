/**
 * Evaluates a one-pass plan (src/sql/plan-one-pass.ts) on the rows of the statement itself, as
 * they stream back from the upstream: DataRows are gathered into batches, each batch is evaluated
 * with one vectorized call per planned call (engines run on the worker pool), and the client gets
 * its rows with the results in place of the placeholders, the extra argument columns dropped, in
 * the format it asked for. Messages reach the client in the upstream's order. While batches are
 * being evaluated the upstream is paused, so memory is bounded by the batch size, not the result.
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { CallContext, FunctionRegistry, PreparedBatch } from '../../functions/index.js';
import type { OnePassCall, OnePassPlan } from '../../sql/plan-one-pass.js';
import { BackendCode, backend, decodeDataRow, decodeRowDescription, type FieldDescription } from '../../wire/index.js';
import { encodeText, parseText, typeOidOf } from '../../wire/types.js';
import { decodeValue, encodeValue } from '../../wire/values.js';
import type { Outcome, ResponseHandler } from '../tracker.js';
import { batchOverload, executeRows, rowParamName, type BatchOverload } from './execute.js';

/** Rows per engine call: enough to amortize a worker round trip, few enough to stream promptly. */
export const ONE_PASS_BATCH_ROWS = 4096;
/** Batches received but not yet sent on: beyond this the upstream waits. */
const MAX_BATCHES_IN_FLIGHT = 2;

export interface OnePassWork {
  plan: OnePassPlan;
  /** Each call's arguments that do not read the rows, evaluated once for the statement. */
  shared: ReadonlyMap<number, Record<string, unknown>>;
  /** Each call's batch form bound to what it loaded before the statement, where it has one. */
  prepared: ReadonlyMap<number, PreparedBatch>;
}

export interface OnePassIO {
  registry: FunctionRegistry;
  context: CallContext;
  writeClient(buffers: readonly Buffer[]): void;
  pauseUpstream(): void;
  resumeUpstream(): void;
}

export interface OnePassOptions {
  /**
   * The columns, when no RowDescription precedes the rows (Execute in the extended protocol):
   * every upstream column, the extra ones included, with the format each arrives in.
   */
  columns?: () => readonly FieldDescription[] | undefined;
  /** Whether the upstream's ReadyForQuery is the client's (a Query's last statement). */
  passReadyForQuery: boolean;
}

export interface OnePassOutcome {
  /** Evaluation failed: nothing after the rows already sent reached the client. */
  error?: PgError;
  upstream: Outcome;
}

export class OnePassStream implements ResponseHandler {
  private columns: readonly FieldDescription[] | undefined;
  private rows: Buffer[] = [];
  private output: Promise<void> = Promise.resolve();
  private inFlight = 0;
  /** Evaluation read the database, which waits for this statement's end: stop pausing. */
  private unbounded = false;
  private error: PgError | undefined;
  private upstreamFailed = false;
  private readonly context: CallContext;
  readonly finished: Promise<OnePassOutcome>;
  private finish!: (outcome: OnePassOutcome) => void;

  constructor(
    private readonly work: OnePassWork,
    private readonly io: OnePassIO,
    private readonly options: OnePassOptions,
  ) {
    this.columns = options.columns?.();
    this.finished = new Promise((resolve) => (this.finish = resolve));
    const base = io.context;
    this.context = {
      db: {
        query: (sql, params) => {
          this.unbounded = true;
          io.resumeUpstream();
          return base.db.query(sql, params);
        },
      },
      user: base.user,
      database: base.database,
      notice: (message, severity) => base.notice(message, severity),
      // Read through: the session's cancellation and epoch change while the rows stream.
      get signal() {
        return base.signal;
      },
      get statementStartedAt() {
        return base.statementStartedAt;
      },
      get sessionEpoch() {
        return base.sessionEpoch;
      },
    };
  }

  message(code: number, message: Buffer): true {
    switch (code) {
      case BackendCode.RowDescription:
        this.columns = decodeRowDescription(message);
        this.send(clientRowDescription(message, this.work.plan));
        return true;
      case BackendCode.DataRow:
        this.rows.push(message);
        if (this.rows.length >= ONE_PASS_BATCH_ROWS) this.seal();
        return true;
      case BackendCode.ReadyForQuery:
        this.seal();
        this.enqueue(() => {
          if (this.error === undefined && (this.options.passReadyForQuery || this.upstreamFailed)) this.io.writeClient([message]);
        });
        return true;
      case BackendCode.ErrorResponse:
        this.upstreamFailed = true;
        this.seal();
        this.send(message);
        return true;
      default:
        this.seal();
        this.send(message);
        return true;
    }
  }

  done(outcome: Outcome): void {
    this.seal();
    void this.output.then(() => this.finish(this.error === undefined ? { upstream: outcome } : { error: this.error, upstream: outcome }));
  }

  private clientColumns(): number {
    return (this.columns?.length ?? 0) - this.work.plan.extraColumns.length;
  }

  /** Passes a message on after everything before it, unless evaluation has failed. */
  private send(message: Buffer): void {
    this.enqueue(() => {
      if (this.error === undefined) this.io.writeClient([message]);
    });
  }

  private enqueue(step: () => void | Promise<void>): void {
    this.output = this.output.then(step);
  }

  /** Starts evaluating the rows gathered so far; their output waits for everything before it. */
  private seal(): void {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    // After a failed batch the rest of the statement's rows are dropped unread.
    if (this.error !== undefined) return;
    this.inFlight++;
    if (this.inFlight >= MAX_BATCHES_IN_FLIGHT && !this.unbounded) this.io.pauseUpstream();
    const evaluated = this.evaluate(rows).then(
      (out) => ({ out }),
      (error: unknown) => ({ error: PgError.from(error) }),
    );
    this.enqueue(async () => {
      const result = await evaluated;
      this.inFlight--;
      if (this.inFlight < MAX_BATCHES_IN_FLIGHT) this.io.resumeUpstream();
      if (this.error !== undefined) return;
      if ('error' in result) this.error = result.error;
      else this.io.writeClient(result.out);
    });
  }

  private async evaluate(messages: readonly Buffer[]): Promise<Buffer[]> {
    const columns = (this.columns ??= this.options.columns?.());
    if (columns === undefined) throw new PgError(SqlState.InternalError, 'pgml-proxy received rows before their description');
    const { plan, shared } = this.work;
    const width = this.clientColumns();
    const rows = messages.map(decodeDataRow);
    const results = new Map<number, Distinct>();
    for (const call of plan.calls) {
      const { site } = call;
      const typeOf = (name: string) => {
        const source = call.inputs.find((input) => input.name === name)?.source;
        return source?.kind === 'column' ? columns[width + source.index]?.typeOid : undefined;
      };
      const overload = batchOverload(this.io.registry, site, call.inputs.some((input) => input.json), typeOf);
      // Rows with equal arguments share one evaluation (an embedding per distinct text, say).
      const distinct: Distinct = { slotOfRow: [], values: [] };
      const slots = new Map<string, number>();
      const raws: Record<string, unknown>[] = [];
      rows.forEach((values, r) => {
        const key = call.inputs
          .map((input) =>
            input.source.kind === 'column'
              ? (values[width + input.source.index]?.toString('latin1') ?? '\u0000')
              : `#${results.get(input.source.callId)!.slotOfRow[r]}`,
          )
          .join('\u0001');
        let slot = slots.get(key);
        if (slot === undefined) {
          slots.set(key, (slot = raws.length));
          raws.push(this.arguments(call, overload, values, r, columns, results));
        }
        distinct.slotOfRow.push(slot);
      });
      // The prepared form was made for the call's own overload; rows (jsonb) go to another one.
      const prepared = overload.signature === site.signature ? this.work.prepared.get(site.id) : undefined;
      distinct.values = await executeRows(this.io.registry, overload.signature, raws, site, this.context, prepared);
      results.set(site.id, distinct);
    }
    return rows.map((values, r) => {
      const out = values.slice(0, width);
      for (const call of plan.calls) {
        if (call.fromEnd === undefined) continue;
        const index = width - 1 - call.fromEnd;
        const column = columns[index]!;
        const result = results.get(call.site.id)!;
        out[index] = encodeValue(column.typeOid, column.format ?? 0, result.values[result.slotOfRow[r]!]);
      }
      return backend.dataRow(out);
    });
  }

  /** One row's arguments for a call: the shared ones, the row's columns, nested calls' results. */
  private arguments(
    call: OnePassCall,
    overload: BatchOverload,
    values: readonly (Buffer | null)[],
    r: number,
    columns: readonly FieldDescription[],
    results: ReadonlyMap<number, Distinct>,
  ): Record<string, unknown> {
    const width = this.clientColumns();
    const raw: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(this.work.shared.get(call.site.id) ?? {})) raw[overload.nameOf(name)] = value;
    for (const input of call.inputs) {
      const key = input.json ? (rowParamName(overload.signature) ?? input.name) : overload.nameOf(input.name);
      if (input.source.kind === 'column') {
        const column = columns[width + input.source.index]!;
        raw[key] = decodeValue(column.typeOid, column.format ?? 0, values[width + input.source.index] ?? null);
      } else {
        const nestedId = input.source.callId;
        const nested = this.work.plan.calls.find((c) => c.site.id === nestedId)!.site;
        const result = results.get(nestedId)!;
        raw[key] = asSqlValue(nested.signature.returns, result.values[result.slotOfRow[r]!]);
      }
    }
    return raw;
  }
}

/** A call's results over a batch: one value per distinct argument list, and each row's slot. */
interface Distinct {
  slotOfRow: number[];
  values: unknown[];
}

/** A nested call's result as the call around it would read it back from SQL. */
function asSqlValue(returns: { kind: string; type?: string }, value: unknown): unknown {
  const text = encodeText(value);
  return text === null ? null : parseText(typeOidOf(returns.type ?? 'text'), text.toString('utf8'));
}

/** A portal bound to a one-pass statement: its calls' shared arguments and, once described, its columns. */
export class OnePassPortal {
  columns: readonly FieldDescription[] | undefined;

  constructor(readonly work: OnePassWork) {}

  /** Handler for the proxy's own Describe of the portal, sent right after its Bind. */
  describer(): ResponseHandler {
    return {
      message: (code, message) => {
        if (code === BackendCode.RowDescription) this.columns = decodeRowDescription(message);
        return true;
      },
    };
  }
}

/** The client's RowDescription: the upstream's without the extra argument columns. */
export function clientRowDescription(message: Buffer, plan: OnePassPlan): Buffer {
  const fields = decodeRowDescription(message);
  return backend.rowDescription(fields.slice(0, fields.length - plan.extraColumns.length));
}
