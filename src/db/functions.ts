/**
 * Proxy-evaluated SQL functions: how the pgml and cron layers declare them, and the registry the
 * proxy consults. The signature shape matches src/sql's FunctionSignature structurally.
 */
import type { z } from 'zod';
import type { Queryable } from './queryable.js';

export interface ParamSpec {
  name: string;
  type: string;
  hasDefault: boolean;
}

export type ReturnSpec =
  | { kind: 'scalar'; type: string }
  | { kind: 'setof'; type: string }
  | { kind: 'table'; columns: { name: string; type: string }[] };

export interface FunctionSignature {
  schema: string;
  name: string;
  params: ParamSpec[];
  returns: ReturnSpec;
}

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
   * DISCARD ALL, the end of a transaction that ran one, GRANT, REVOKE, ...). Whatever is cached
   * per session under an older value must be read again.
   */
  readonly sessionEpoch: number;
}

export interface ProxyFunction<Args = Record<string, unknown>> {
  signature: FunctionSignature;
  /** Validates and normalizes the bound arguments (keyed by parameter name). */
  args: z.ZodType<Args>;
  /** True when the function needs no database: it may run before earlier statements of a query. */
  pure?: boolean;
  /** Scalar: the value. Setof: an array. Table: an array of rows keyed by column name. */
  execute(args: Args, context: CallContext): Promise<unknown>;
  /**
   * Optional vectorized form used when a call is evaluated for many rows (one result per call,
   * in order); without it each row runs `execute`.
   */
  executeBatch?(calls: readonly Args[], context: CallContext): Promise<unknown[]>;
  /**
   * Optional: given the arguments that are the same for every row (unvalidated, keyed by parameter
   * name), loads what evaluating the rows needs from the database now and returns the batch form
   * bound to it. Per-row evaluation in one pass calls it before the statement runs: while the rows
   * stream back, the session cannot answer the function's own queries.
   */
  prepareBatch?(shared: Record<string, unknown>, context: CallContext): Promise<((calls: readonly Args[]) => Promise<unknown[]>) | undefined>;
}

export class FunctionRegistry {
  private readonly byName = new Map<string, ProxyFunction<never>[]>();

  register<Args>(fn: ProxyFunction<Args>): this {
    const key = `${fn.signature.schema}.${fn.signature.name}`;
    const list = this.byName.get(key) ?? [];
    list.push(fn as unknown as ProxyFunction<never>);
    this.byName.set(key, list);
    return this;
  }

  /** Every overload of schema.name (names are case-folded like unquoted SQL identifiers). */
  overloads(schema: string, name: string): readonly FunctionSignature[] | undefined {
    return this.byName.get(`${schema.toLowerCase()}.${name.toLowerCase()}`)?.map((f) => f.signature);
  }

  implementation(signature: FunctionSignature): ProxyFunction<Record<string, unknown>> {
    const list = this.byName.get(`${signature.schema}.${signature.name}`) ?? [];
    const fn = list.find((f) => f.signature === signature);
    if (!fn) throw new Error(`no implementation for ${signature.schema}.${signature.name}`);
    return fn as unknown as ProxyFunction<Record<string, unknown>>;
  }

  all(): ProxyFunction<Record<string, unknown>>[] {
    return [...this.byName.values()].flat() as unknown as ProxyFunction<Record<string, unknown>>[];
  }
}
