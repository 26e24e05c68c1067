/**
 * Stopping a proxy-evaluated call the way Postgres stops a statement: a CancelRequest or a closed
 * connection aborts the call context's signal (the session does that), and `statement_timeout`
 * is armed here by the calls that can run long (training, embedding many rows, transform). The
 * upstream enforces the timeout only on each of the proxy's own statements, never on the work in
 * between, so the proxy measures it from the start of the client's statement.
 */
import { PgError, SqlState } from '../errors/index.js';
import type { CallContext } from './contract.js';

export function canceledByUser(): PgError {
  return new PgError(SqlState.QueryCanceled, 'canceling statement due to user request');
}

export function canceledByTimeout(): PgError {
  return new PgError(SqlState.QueryCanceled, 'canceling statement due to statement timeout');
}

/** Throws the signal's reason (a PgError) when it has been aborted. */
export function throwIfCanceled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw PgError.from(signal.reason);
}

/**
 * The session's statement_timeout as an SQL expression of type text, as SHOW prints it: an integer
 * and the largest unit it is a whole number of ('0', '1500ms', '3s', '2min', '1h', '1d');
 * millisecondsSetting reads it. current_setting reads the one setting, where the pg_settings view
 * builds a row for each of the server's ~350 settings: 0.44 of the training lookup's 1.04 ms of
 * backend CPU (BENCHMARKS.md, issue 15, ovh2). A caller that queries anyway can ask for it in the
 * same statement and pass it to withStatementLimits (one round trip fewer).
 */
export const STATEMENT_TIMEOUT_SQL = `current_setting('statement_timeout')`;

/** Milliseconds per unit of a time setting as Postgres prints it (guc.c's table of time units). */
const TIME_UNITS_MS = new Map([
  ['', 1],
  ['ms', 1],
  ['s', 1_000],
  ['min', 60_000],
  ['h', 3_600_000],
  ['d', 86_400_000],
]);

/** statement_timeout in milliseconds (0: none), read once per session epoch. */
const timeouts = new WeakMap<CallContext, { epoch: number; ms: number }>();

async function statementTimeoutMs(ctx: CallContext): Promise<number> {
  const known = timeouts.get(ctx);
  if (known && known.epoch === ctx.sessionEpoch) return known.ms;
  const epoch = ctx.sessionEpoch;
  const result = await ctx.db.query<{ setting: string }>(`SELECT ${STATEMENT_TIMEOUT_SQL} AS setting`);
  const ms = millisecondsSetting(result.rows[0]?.setting);
  timeouts.set(ctx, { epoch, ms });
  return ms;
}

/**
 * A STATEMENT_TIMEOUT_SQL value as a number of milliseconds (0: none). Text in another form is an
 * error rather than no timeout: a timeout read wrong must not be silently dropped.
 */
export function millisecondsSetting(setting: unknown): number {
  if (setting === null || setting === undefined) return 0;
  const match = /^(\d+)\s*([a-z]*)$/.exec(String(setting).trim());
  const unit = match === null ? undefined : TIME_UNITS_MS.get(match[2]!);
  if (match === null || unit === undefined) {
    throw new PgError(SqlState.InternalError, `statement_timeout reads "${String(setting)}", which is not a time setting as Postgres prints it`);
  }
  return Number(match[1]) * unit;
}

/**
 * Runs `work` with a signal that aborts on the context's cancellation and when the session's
 * statement_timeout has passed since the client's statement began, whichever comes first.
 * `knownTimeoutMs`: the setting as the caller has just read it in this statement (millisecondsSetting).
 */
export async function withStatementLimits<T>(
  ctx: CallContext,
  work: (signal: AbortSignal) => Promise<T>,
  knownTimeoutMs?: number,
): Promise<T> {
  throwIfCanceled(ctx.signal);
  const timeoutMs = knownTimeoutMs ?? (await statementTimeoutMs(ctx));
  if (timeoutMs <= 0) return work(ctx.signal);
  const remaining = ctx.statementStartedAt + timeoutMs - performance.now();
  if (remaining <= 0) throw canceledByTimeout();
  const controller = new AbortController();
  const onCancel = () => controller.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onCancel, { once: true });
  const timer = setTimeout(() => controller.abort(canceledByTimeout()), remaining);
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onCancel);
  }
}

/**
 * The rows of `make`, stopped as withStatementLimits stops work, for a call whose rows go to the
 * client as they are made: statement_timeout counts while the client's current statement (the
 * Query, or the portal's current Execute: Postgres times each Execute on its own) waits for a row.
 */
export async function* streamWithStatementLimits<T>(ctx: CallContext, make: (signal: AbortSignal) => AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  throwIfCanceled(ctx.signal);
  const timeoutMs = await statementTimeoutMs(ctx);
  if (timeoutMs <= 0) {
    yield* make(ctx.signal);
    return;
  }
  const controller = new AbortController();
  const onCancel = () => controller.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onCancel, { once: true });
  const rows = make(controller.signal)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const remaining = ctx.statementStartedAt + timeoutMs - performance.now();
      if (remaining <= 0) {
        controller.abort(canceledByTimeout());
        throw canceledByTimeout();
      }
      const timer = setTimeout(() => controller.abort(canceledByTimeout()), remaining);
      let next: IteratorResult<T>;
      try {
        next = await rows.next();
      } finally {
        clearTimeout(timer);
      }
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    ctx.signal.removeEventListener('abort', onCancel);
    await rows.return?.();
  }
}
