/**
 * Evaluates a one-pass plan (src/sql/plan-one-pass.ts) on the rows of the statement itself, as
 * they stream back from the upstream: DataRows are gathered into batches, each batch is evaluated
 * with one vectorized call per planned call (engines run on the worker pool), and the client gets
 * its rows with the results in place of the placeholders, the extra argument columns dropped, in
 * the format it asked for. Messages reach the client in the upstream's order. While batches are
 * being evaluated the upstream is paused, so memory is bounded by the batches in flight, not the result.
 */
import { performance } from 'node:perf_hooks';
import { PgError, SqlState } from '../../errors/index.js';
import type { CallContext, FunctionRegistry, PreparedBatch } from '../../functions/index.js';
import { EXTRA_COLUMN_PREFIX, type OnePassCall, type OnePassPlan } from '../../sql/plan-one-pass.js';
import { BackendCode, backend, dataRowStarts, dataRowValue, decodeRowDescription, type FieldDescription, type SentRow } from '../../wire/index.js';
import { encodeText, parseText, typeOidOf } from '../../wire/types.js';
import { decodeValue, encodeValue } from '../../wire/values.js';
import type { Outcome, ResponseHandler } from '../tracker.js';
import { batchOverload, executeRows, type BatchOverload } from './execute.js';
import { nextTurn, onePassLoopHolds } from './loop-steps.js';

/**
 * Rows per batch. A batch's synchronous steps on the event loop (reading its rows' arguments,
 * placing the results) grow with it, and every other client of the proxy waits behind a step:
 * on the loaded machine 4096 rows held the loop a median 103 ms, 512 rows 6–10 ms, at no visible
 * cost in throughput (BENCHMARKS.md). The pool merges waiting batches of one model into one engine
 * call, so the engine still sees thousands of rows at once.
 */
export const ONE_PASS_BATCH_ROWS = 512;
/** Batches received but not yet sent on: beyond this the upstream waits (16384 rows at most). */
const MAX_BATCHES_IN_FLIGHT = 32;

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
  /**
   * A cursor's FETCH: rows whose columns do not end in the plan's extra columns (by name) are not
   * the plan's (the cursor of that name is another one now) and pass on untouched.
   */
  checkExtraColumns?: boolean;
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
  /** The rows are not the plan's (checkExtraColumns): passed on as they come. */
  private untouched = false;
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
      services: base.services,
    };
  }

  message(code: number, message: Buffer): true {
    switch (code) {
      case BackendCode.RowDescription:
        this.columns = decodeRowDescription(message);
        this.untouched = this.options.checkExtraColumns === true && !endsInExtraColumns(this.columns, this.work.plan);
        this.send(this.untouched ? message : clientRowDescription(message, this.work.plan));
        return true;
      case BackendCode.DataRow:
        if (this.untouched) {
          this.send(message);
          return true;
        }
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
    const clock = new StepClock();
    const evaluated = nextTurn()
      .then(() => {
        clock.resume();
        const evaluating = this.evaluate(rows, clock);
        clock.pause();
        return evaluating;
      })
      .then(
        (out) => ({ out }),
        (error: unknown) => ({ error: PgError.from(error) }),
      );
    this.enqueue(async () => {
      const result = await evaluated;
      clock.resume();
      this.inFlight--;
      if (this.inFlight < MAX_BATCHES_IN_FLIGHT) this.io.resumeUpstream();
      if (this.error !== undefined) return;
      if ('error' in result) this.error = result.error;
      else this.io.writeClient(result.out);
      clock.pause();
      onePassLoopHolds.record(clock.longestMs);
    });
  }

  private async evaluate(messages: readonly Buffer[], clock: StepClock): Promise<Buffer[]> {
    const columns = (this.columns ??= this.options.columns?.());
    if (columns === undefined) throw new PgError(SqlState.InternalError, 'pgml-proxy received rows before their description');
    const { plan } = this.work;
    const width = this.clientColumns();
    const rows = messages.map((message): SentRow => ({ message, starts: dataRowStarts(message) }));
    const results = new Map<number, Distinct>();
    for (const call of plan.calls) {
      const { site } = call;
      const typeOf = (name: string) => {
        const source = call.inputs.find((input) => input.name === name)?.source;
        return source?.kind === 'column' ? columns[width + source.index]?.typeOid : undefined;
      };
      const overload = batchOverload(this.io.registry, site, typeOf);
      const argumentsOf = this.rowArguments(call, overload, columns, results);
      const distinct =
        this.io.registry.implementation(overload.signature).shareEqualRows === false
          ? { values: [], raws: rows.map(argumentsOf) }
          : equalRowsOnce(call, rows, width, results, argumentsOf);
      // The prepared form was made for the call's own overload; rows (jsonb) go to another one.
      const prepared = overload.signature === site.signature ? this.work.prepared.get(site.id) : undefined;
      const evaluating = executeRows(this.io.registry, overload.signature, distinct.raws, site, this.context, prepared);
      clock.pause();
      distinct.values = await evaluating;
      await nextTurn();
      clock.resume();
      distinct.raws = [];
      results.set(site.id, distinct);
    }
    const placed = plan.calls
      .filter((call) => call.fromEnd !== undefined)
      .map((call) => ({ index: width - 1 - call.fromEnd!, result: results.get(call.site.id)! }))
      .sort((a, b) => a.index - b.index);
    const encoded = rows.map((_, r) =>
      placed.map(({ index, result }) => encodeValue(columns[index]!.typeOid, columns[index]!.format ?? 0, valueAt(result, r))),
    );
    const out = backend.dataRowsReplacing(
      rows,
      width,
      placed.map((p) => p.index),
      encoded,
    );
    clock.pause();
    return [out];
  }

  /** How a row's arguments for a call are made: the shared ones, the row's columns, nested calls' results. */
  private rowArguments(
    call: OnePassCall,
    overload: BatchOverload,
    columns: readonly FieldDescription[],
    results: ReadonlyMap<number, Distinct>,
  ): (row: SentRow, r: number) => Record<string, unknown> {
    const width = this.clientColumns();
    const shared: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(this.work.shared.get(call.site.id) ?? {})) shared[overload.nameOf(name)] = value;
    const readers = call.inputs.map((input): [string, (row: SentRow, r: number) => unknown] => {
      const key = overload.nameOf(input.name);
      const source = input.source;
      if (source.kind === 'column') {
        const index = width + source.index;
        const { typeOid, format } = columns[index]!;
        return [key, (row) => decodeValue(typeOid, format ?? 0, dataRowValue(row.message, row.starts, index))];
      }
      const returns = this.work.plan.calls.find((c) => c.site.id === source.callId)!.site.signature.returns;
      const result = results.get(source.callId)!;
      return [key, (_, r) => asSqlValue(returns, valueAt(result, r))];
    });
    return (row, r) => {
      const raw = { ...shared };
      for (const [key, read] of readers) raw[key] = read(row, r);
      return raw;
    };
  }
}

/** The longest synchronous step of a batch on the event loop (loop-steps.ts): paused at each await. */
class StepClock {
  longestMs = 0;
  private since = performance.now();

  pause(): void {
    this.longestMs = Math.max(this.longestMs, performance.now() - this.since);
  }

  resume(): void {
    this.since = performance.now();
  }
}

/**
 * A call's results over a batch: one value per distinct argument list (`raws` until evaluated),
 * and each row's slot among them (absent: one per row).
 */
interface Distinct {
  slotOfRow?: number[];
  raws: Record<string, unknown>[];
  values: unknown[];
}

function valueAt(result: Distinct, r: number): unknown {
  return result.values[result.slotOfRow?.[r] ?? r];
}

/** Rows with equal arguments share one evaluation (an embedding per distinct text, say). */
function equalRowsOnce(
  call: OnePassCall,
  rows: readonly SentRow[],
  width: number,
  results: ReadonlyMap<number, Distinct>,
  argumentsOf: (row: SentRow, r: number) => Record<string, unknown>,
): Distinct {
  const distinct: Distinct = { slotOfRow: [], raws: [], values: [] };
  const slots = new Map<string, number>();
  rows.forEach((row, r) => {
    const key = call.inputs
      .map((input) => {
        const source = input.source;
        if (source.kind === 'column') return dataRowValue(row.message, row.starts, width + source.index)?.toString('latin1') ?? '\u0000';
        const nested = results.get(source.callId)!;
        return `#${nested.slotOfRow?.[r] ?? r}`;
      })
      .join('\u0001');
    let slot = slots.get(key);
    if (slot === undefined) {
      slots.set(key, (slot = distinct.raws.length));
      distinct.raws.push(argumentsOf(row, r));
    }
    distinct.slotOfRow!.push(slot);
  });
  return distinct;
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

/** Whether the columns end in the plan's extra columns, as renderOnePass names them. */
function endsInExtraColumns(columns: readonly FieldDescription[], plan: OnePassPlan): boolean {
  const extra = plan.extraColumns.length;
  const width = columns.length - extra;
  return width >= 0 && columns.slice(width).every((column, i) => column.name === `${EXTRA_COLUMN_PREFIX}${i + 1}`);
}

/** The client's RowDescription: the upstream's without the extra argument columns. */
export function clientRowDescription(message: Buffer, plan: OnePassPlan): Buffer {
  const fields = decodeRowDescription(message);
  return backend.rowDescription(fields.slice(0, fields.length - plan.extraColumns.length));
}
