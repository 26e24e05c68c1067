/**
 * What the proxy needs of a function it evaluates itself, once its declaration's types are erased
 * (define.ts), and what it gives the function to run with.
 */
import type { z } from 'zod';
import type { Queryable } from '../db/queryable.js';
import type { FunctionSignature } from './signature.js';

/**
 * The process-wide state of the layers that define functions (caches, worker threads), handed to
 * every call instead of living in module globals. Empty here: each layer adds its part by
 * declaration merging (pgml/serving/services.ts), so src/functions and src/proxy pass it along
 * without naming pgml's types. The composition root builds it.
 */
export interface CallServices {}

export interface CallContext {
  /** Runs SQL on the caller's own upstream session, inside the caller's transaction. */
  db: Queryable;
  user: string;
  database: string;
  /** Sends a notice (INFO by default) to the calling client, as RAISE INFO would. */
  notice(message: string, severity?: 'INFO' | 'NOTICE' | 'WARNING'): void;
  /**
   * Aborted when the statement being evaluated must stop: the client sent a CancelRequest or
   * closed its connection. The reason is the PgError to raise (57014). See cancel.ts for
   * statement_timeout.
   */
  readonly signal: AbortSignal;
  /** When the statement being evaluated started (performance.now()), for statement_timeout. */
  readonly statementStartedAt: number;
  /**
   * Changes whenever the session's role, settings or privileges may have changed (SET, RESET,
   * DISCARD ALL, the end of a transaction that ran one, GRANT, REVOKE, ..., and after every
   * statement of the client's that ran on the upstream, since a function or trigger it called may
   * have run set_config or SET). Whatever is cached per session under an older value must be read again.
   */
  readonly sessionEpoch: number;
  readonly services: CallServices;
  /**
   * Runs `work` once the caller's transaction is over (committed or rolled back), before the client
   * hears so. What the call wrote is then visible to every statement that starts later, so a cache of
   * it in this process must be dropped by then: the upstream's notification may come after the
   * client's next statement. Absent where there is no session (tests' contexts).
   */
  afterTransaction?(work: () => void): void;
  /**
   * Whether another client session of this proxy sent something in the last `withinMs`
   * milliseconds: work that can wait (the training read, store/read-pacer.ts) then leaves them
   * CPU. Absent where there is no proxy (tests' contexts): nobody else is there.
   */
  othersActive?(withinMs: number): boolean;
}

/** Arguments keyed by parameter name, as `args` validated them. */
export type CallArgs = Record<string, unknown>;

/** A batch form bound to what it loaded before the rows: one result per call, in order. */
export type PreparedBatch = (calls: readonly CallArgs[]) => Promise<unknown[]>;

export interface ProxyFunction {
  signature: FunctionSignature;
  /** Validates and normalizes the bound arguments (keyed by parameter name). */
  args: z.ZodType<CallArgs>;
  /** True when the function needs no database: it may run before earlier statements of a query. */
  pure: boolean;
  /** Scalar: the value. Setof: an array. Table: an array of rows keyed by column name. */
  execute(args: CallArgs, context: CallContext): Promise<unknown>;
  /**
   * Optional vectorized form used when a call is evaluated for many rows (one result per call,
   * in order); without it each row runs `execute`.
   */
  executeBatch?(calls: readonly CallArgs[], context: CallContext): Promise<unknown[]>;
  /**
   * Optional: given the arguments that are the same for every row (unvalidated, keyed by parameter
   * name), loads what evaluating the rows needs from the database now and returns the batch form
   * bound to it. Per-row evaluation in one pass calls it before the statement runs: while the rows
   * stream back, the session cannot answer the function's own queries.
   */
  prepareBatch?(shared: CallArgs, context: CallContext): Promise<PreparedBatch | undefined>;
  /**
   * Whether per-row evaluation gives rows with equal arguments one evaluation (the default: an
   * embedding per distinct text). False where a value costs less than finding its equals (a
   * model's prediction from a numeric vector).
   */
  shareEqualRows?: boolean;
  /**
   * Optional, for set-returning functions: the rows one at a time, as they are made, so that a
   * statement can send each to the client at once (pgml.transform_stream). Leaving the iteration
   * early stops the work. `execute` still gives all the rows, for statements that cannot stream.
   */
  stream?(args: CallArgs, context: CallContext): AsyncIterable<unknown>;
}
