/**
 * What happens to a Query or Parse that calls proxy-evaluated functions: parse it, evaluate the
 * calls (now, or at Bind when they take client parameters), and send the rewritten SQL upstream.
 * Errors become a proper ErrorResponse with the upstream's transaction state kept truthful.
 */
import { PgError, SqlState } from '../errors/index.js';
import type { FunctionRegistry } from '../db/functions.js';
import { analyzeQuery, spliceStatement } from '../sql/index.js';
import type { CallSite, QueryAnalysis, StatementAnalysis } from '../sql/index.js';
import { maxParamIndex } from '../sql/params.js';
import {
  BackendCode,
  FrontendCode,
  backend,
  frontend,
  type BindMessage,
  type ParseMessage,
  type TransactionStatus,
} from '../wire/index.js';
import { encodeText, parseBinary, parseText, typeOidOf } from '../wire/types.js';
import { RowBatches } from './batch/run.js';
import { isRowDependent } from './batch/plan.js';
import { CallEvaluator } from './evaluate.js';
import { upstreamErrors } from './internal-query.js';
import type { ResponseHandler, ResponseTracker } from './tracker.js';

/** The parts of a client session the interceptor drives. */
export interface SessionPort {
  readonly tracker: ResponseTracker;
  readonly txStatus: TransactionStatus;
  skipUntilSync: boolean;
  expectAndSend(code: number, message: Buffer, handler?: ResponseHandler): void;
  writeClient(buffers: readonly Buffer[]): void;
}

/** A prepared statement whose calls take client parameters and are evaluated at each Bind. */
export class RewrittenStatement {
  constructor(
    readonly sql: string,
    readonly statement: StatementAnalysis,
    /** Number of parameters the client's statement has. */
    readonly clientParams: number,
    /** Types of all parameters sent upstream: the client's, then one per deferred call. */
    readonly paramTypes: number[],
    /** Deferred calls and the parameter index ($k) that carries each result. */
    readonly deferred: { site: CallSite; index: number }[],
  ) {}

  clientParamTypes(): number[] {
    return this.paramTypes.slice(0, this.clientParams);
  }
}

export class Interceptor {
  private readonly statements = new Map<string, RewrittenStatement>();

  constructor(
    private readonly session: SessionPort,
    private readonly registry: FunctionRegistry,
    private readonly evaluator: CallEvaluator,
  ) {}

  get hasRewritten(): boolean {
    return this.statements.size > 0;
  }

  rewritten(name: string): RewrittenStatement | undefined {
    return this.statements.get(name);
  }

  forget(name: string): void {
    this.statements.delete(name);
  }

  // ---- simple query protocol ----

  async query(sql: string, original: Buffer): Promise<void> {
    const analysis = this.analyze(sql);
    // In a failed transaction the upstream refuses everything but ROLLBACK; let it say so.
    if (analysis === 'passthrough' || this.session.txStatus === 'E') {
      this.session.expectAndSend(FrontendCode.Query, original);
      return;
    }
    if (analysis instanceof PgError) return this.failQuery(analysis);
    const batches = new RowBatches(this.registry, this.evaluator, this.evaluator.context, () => this.session.txStatus);
    let pending: string[] = [];
    for (const stmt of analysis.statements) {
      if (stmt.calls.length === 0) {
        pending.push(stmt.sql);
        continue;
      }
      const calls = topLevel(stmt);
      // Statements before this one must have run if the call may read what they wrote.
      if (pending.length > 0 && !calls.every((c) => this.evaluator.isPure(c, stmt))) {
        if (!(await this.runSegment(pending.join(';\n')))) return;
        pending = [];
      }
      try {
        // Calls whose arguments read the rows are evaluated in batches over those rows (batch/).
        const perRow = calls.filter(isRowDependent);
        const replacements = perRow.length > 0 ? await batches.render(sql, stmt, perRow) : new Map<number, string>();
        for (const site of calls) {
          if (replacements.has(site.id)) continue;
          replacements.set(site.id, this.evaluator.renderValue(site, await this.evaluator.evaluate(site, stmt, sql, undefined)));
        }
        pending.push(spliceStatement(sql, stmt, replacements));
      } catch (error) {
        await this.failQuery(PgError.from(error));
        return batches.finish();
      }
    }
    this.session.expectAndSend(FrontendCode.Query, frontend.query(pending.join(';\n')));
    if (batches.pending) {
      // Staging tables go once the statement has run (waiting here, not with a Flush behind the Query).
      await this.session.tracker.whenIdle();
      await batches.finish();
    }
  }

  /** Runs statements that precede an evaluated call; false if they failed (the client saw why). */
  private runSegment(sql: string): Promise<boolean> {
    return new Promise((resolve) => {
      let failed = false;
      this.session.expectAndSend(FrontendCode.Query, frontend.query(sql), {
        message: (code) => {
          if (code === BackendCode.ErrorResponse) failed = true;
          // The query goes on, so the segment's ReadyForQuery is not the client's; unless it failed.
          return code === BackendCode.ReadyForQuery && !failed;
        },
        done: () => resolve(!failed),
      });
    });
  }

  private async failQuery(error: PgError): Promise<void> {
    await this.session.tracker.whenIdle();
    this.session.writeClient([backend.errorResponse(error)]);
    // An error inside a transaction block aborts it; make the upstream agree before saying so.
    if (!upstreamErrors.has(error) && this.session.txStatus === 'T') await this.abortUpstream(true);
    this.session.writeClient([backend.readyForQuery(this.session.txStatus)]);
  }

  /** Makes the upstream fail the current transaction or pipeline, as the refused statement would have. */
  private abortUpstream(withSync: boolean): Promise<void> {
    return new Promise((resolve) => {
      const swallow: ResponseHandler = { message: () => true };
      const last: ResponseHandler = { message: () => true, done: () => resolve() };
      this.session.expectAndSend(FrontendCode.Parse, frontend.parse('', 'pgml-proxy refused the statement'), withSync ? swallow : last);
      if (withSync) this.session.expectAndSend(FrontendCode.Sync, frontend.sync(), last);
      else this.session.expectAndSend(FrontendCode.Flush, frontend.flush());
    });
  }

  // ---- extended query protocol ----

  async parse(message: ParseMessage, original: Buffer): Promise<void> {
    this.statements.delete(message.name);
    const analysis = this.analyze(message.sql);
    if (analysis === 'passthrough') {
      this.session.expectAndSend(FrontendCode.Parse, original);
      return;
    }
    if (analysis instanceof PgError) return this.failExtended(analysis);
    const stmt = analysis.statements[0];
    if (!stmt || analysis.statements.length > 1) {
      return this.failExtended(new PgError(SqlState.SyntaxError, 'cannot insert multiple commands into a prepared statement'));
    }
    const clientParams = Math.max(maxParamIndex(stmt.sql), message.paramTypes.length);
    const paramTypes = Array.from({ length: clientParams }, (_, i) => message.paramTypes[i] ?? 0);
    const replacements = new Map<number, string>();
    const deferred: { site: CallSite; index: number }[] = [];
    try {
      for (const site of topLevel(stmt)) {
        if (CallEvaluator.needsParams(site, stmt)) {
          const index = clientParams + deferred.length + 1;
          deferred.push({ site, index });
          replacements.set(site.id, this.evaluator.renderParam(site, index));
          this.declareArgumentTypes(site, stmt, paramTypes);
        } else {
          replacements.set(site.id, this.evaluator.renderValue(site, await this.evaluator.evaluate(site, stmt, message.sql, undefined)));
        }
      }
    } catch (error) {
      return this.failExtended(PgError.from(error));
    }
    for (const { site } of deferred) paramTypes.push(CallEvaluator.paramTypeOid(site.signature));
    const sql = spliceStatement(message.sql, stmt, replacements);
    if (deferred.length > 0) {
      this.statements.set(message.name, new RewrittenStatement(message.sql, stmt, clientParams, paramTypes, deferred));
    }
    this.session.expectAndSend(
      FrontendCode.Parse,
      frontend.parse(message.name, sql, deferred.length > 0 ? paramTypes : message.paramTypes),
    );
  }

  /**
   * A parameter used only inside a call disappears from the upstream's statement, so the upstream
   * cannot infer its type: declare the function's parameter type for it.
   */
  private declareArgumentTypes(site: CallSite, stmt: StatementAnalysis, paramTypes: number[]): void {
    for (const [name, arg] of site.args) {
      if (arg.kind === 'param' && paramTypes[arg.index - 1] === 0) {
        const declared = arg.castType ?? site.signature.params.find((p) => p.name === name)?.type ?? 'text';
        paramTypes[arg.index - 1] = typeOidOf(declared) || typeOidOf('text');
      } else if (arg.kind === 'call') {
        const nested = stmt.calls.find((c) => c.id === arg.callId);
        if (nested) this.declareArgumentTypes(nested, stmt, paramTypes);
      }
    }
  }

  async bind(message: BindMessage, statement: RewrittenStatement): Promise<void> {
    const formatOf = (i: number): number =>
      message.paramFormats.length === 1 ? message.paramFormats[0]! : (message.paramFormats[i] ?? 0);
    const extra: (Buffer | null)[] = [];
    try {
      if (message.params.length !== statement.clientParams) {
        throw new PgError(
          SqlState.ProtocolViolation,
          `bind message supplies ${message.params.length} parameters, but prepared statement "${message.statement}" requires ${statement.clientParams}`,
        );
      }
      const values = message.params.map((raw, i) => {
        if (raw === null) return null;
        const oid = statement.paramTypes[i] ?? 0;
        if (formatOf(i) === 1) return parseBinary(oid, raw);
        return oid === 0 ? raw.toString('utf8') : parseText(oid, raw.toString('utf8'));
      });
      for (const { site } of statement.deferred) {
        const value = await this.evaluator.evaluate(site, statement.statement, statement.sql, values);
        extra.push(encodeText(CallEvaluator.paramValue(site.signature, value)));
      }
    } catch (error) {
      return this.failExtended(PgError.from(error));
    }
    const paramFormats = [...message.params.map((_, i) => formatOf(i)), ...extra.map(() => 0)];
    this.session.expectAndSend(
      FrontendCode.Bind,
      frontend.bind({ ...message, paramFormats, params: [...message.params, ...extra] }),
    );
  }

  /**
   * An error while handling an extended-protocol message: report it after everything before it,
   * fail the upstream's pipeline too, and ignore the client's messages until its Sync, as a server does.
   */
  private async failExtended(error: PgError): Promise<void> {
    const { tracker } = this.session;
    if (tracker.pending > 0) {
      this.session.expectAndSend(FrontendCode.Flush, frontend.flush());
      await tracker.whenIdle();
    }
    this.session.skipUntilSync = true;
    // Already failed before this message: the server would have skipped it silently.
    if (tracker.pipelineFailed && !upstreamErrors.has(error)) return;
    this.session.writeClient([backend.errorResponse(error)]);
    if (!tracker.pipelineFailed) await this.abortUpstream(false);
  }

  /** Parses and analyzes; syntax errors are left for the upstream to report in its own words. */
  private analyze(sql: string): QueryAnalysis | PgError | 'passthrough' {
    let analysis: QueryAnalysis;
    try {
      analysis = analyzeQuery(sql, this.registry);
    } catch (error) {
      const e = PgError.from(error);
      return e.code === SqlState.SyntaxError ? 'passthrough' : e;
    }
    return analysis.intercepted ? analysis : 'passthrough';
  }
}

function topLevel(stmt: StatementAnalysis): CallSite[] {
  return stmt.calls.filter((c) => c.parentId === undefined);
}
