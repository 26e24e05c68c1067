/**
 * What happens to a Query or Parse that calls proxy-evaluated functions: parse it, evaluate the
 * calls (now, or at Bind when they take client parameters), and send the rewritten SQL upstream.
 * Errors become a proper ErrorResponse with the upstream's transaction state kept truthful.
 */
import { PgError, SqlState } from '../errors/index.js';
import type { FunctionRegistry, PreparedBatch } from '../functions/index.js';
import { analyzeQuery, spliceStatement } from '../sql/index.js';
import type { CallSite, QueryAnalysis, StatementAnalysis } from '../sql/index.js';
import { maxParamIndex } from '../sql/params.js';
import {
  BackendCode,
  FrontendCode,
  backend,
  frontend,
  decodeExecute,
  decodeReadyForQuery,
  type BindMessage,
  type ParseMessage,
  type TransactionStatus,
} from '../wire/index.js';
import { TypeOid, encodeText, parseBinary, parseText, typeNameOf, typeOidOf } from '../wire/types.js';
import { quoteString } from '../sql/render.js';
import { replacementOf, RowBatches, type BoundValues, type KeyedRewrite } from './batch/run.js';
import { resultColumnType } from './batch/plan.js';
import { OnePassPortal, OnePassStream, clientRowDescription, type OnePassIO, type OnePassWork } from './batch/one-pass.js';
import { planStatement, type Protocol, type StatementPlan } from '../sql/plan.js';
import { evaluateSubqueryArguments, hasSubqueryArguments, parameterizeSubqueryArguments, subqueryValues, type SubqueryParam } from './subquery-args.js';
import { renderOnePass, type OnePassPlan } from '../sql/plan-one-pass.js';
import { cursorStatementOf, cursorStatements, type CursorStatement } from '../sql/cursor-statement.js';
import { parseStatements } from '../sql/parser.js';
import { canEncode } from '../wire/values.js';
import { CallEvaluator, mayFoldConstants, type BoundParams } from './evaluate.js';
import { answerSql, refusalOf, runExpandedStatements, runsInSession, type ExpandedCall } from './expanded-call.js';
import type { FunctionInliner } from './inline.js';
import { attnumsAfterAlter, definitionStatements, fillSql, relationExists } from './generated-columns.js';
import { OnePassCursors } from './one-pass-cursors.js';
import { Mentions } from './sniff.js';
import { generatedDdlOf, rewriteGeneratedWrites, type GeneratedDdl } from '../sql/generated.js';
import type { UpstreamFunctions } from './upstream-functions.js';
import { analyzeRecent, analyzeTyped } from './recent-analyses.js';
import { canAnswerType, type BoundShape, type LocalAnswers } from './local-answer.js';
import type { LocalAnswerPlan } from '../sql/plan-local.js';
import { StreamAnswers, StreamPortal, type StreamPort } from './stream-answer.js';
import type { StreamPlan } from '../sql/plan-stream.js';
import type { ResponseHandler, ResponseTracker } from './tracker.js';

/** The parts of a client session the interceptor drives. */
export interface SessionPort extends StreamPort {
  readonly tracker: ResponseTracker;
  readonly txStatus: TransactionStatus;
  expectAndSend(code: number, message: Buffer, handler?: ResponseHandler): void;
  writeClient(buffers: readonly Buffer[]): void;
  /** After a ReadyForQuery the proxy wrote itself: a cancel that came during the statement is spent. */
  endStatement(): void;
  /** The catalogs the proxy keeps must be reloaded once the current transaction ends. */
  noteCatalogDdl(): void;
  /** Flow control for results the proxy evaluates as they stream (batch/one-pass.ts). */
  pauseUpstream(): void;
  resumeUpstream(): void;
}

/**
 * A prepared statement whose calls are evaluated at each Bind: calls that take client parameters,
 * and per-row calls (whose rows depend on the bound values too).
 */
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
    /** Per-row calls: evaluated in batches at Bind (batch/), then looked up by `execName`. */
    readonly perRow: CallSite[] = [],
    /** What replaces every call that is not per-row (constants and deferred parameters). */
    readonly replacements: ReadonlyMap<number, string> = new Map(),
    /** The upstream statement a Bind of this one really binds to, when it has per-row calls. */
    readonly execName = '',
    /** Per-row calls evaluated as the rows of each Execute stream back. */
    readonly onePass?: OnePassPlan,
    /** The set-returning call whose rows each Execute sends as they are made (stream-answer.ts). */
    readonly stream?: StreamPlan,
    /** `SELECT model_train()` of a function the session expands: its body runs at each Bind (expanded-call.ts). */
    readonly expansion?: ExpandedCall,
    /** Uncorrelated subquery arguments, read at each Bind into the parameters after the client's (subquery-args.ts). */
    readonly subqueries: readonly SubqueryParam[] = [],
  ) {}

  /**
   * The statement's local answer (src/sql/plan-local.ts), once the upstream has prepared it: a Bind,
   * Execute and Sync sent together may then be answered without the upstream (answerPrepared).
   * Cleared by anything that may have deallocated it upstream.
   */
  localAnswer: LocalAnswerPlan | undefined;

  clientParamTypes(): number[] {
    return this.paramTypes.slice(0, this.clientParams);
  }
}

/**
 * What handling an extended-protocol message leaves the session to do: after an error the server
 * ignores the client's messages up to its Sync (`skipToSync`), and so does the session.
 */
export type MessageOutcome = 'done' | 'skipToSync';

export class Interceptor {
  private readonly statements = new Map<string, RewrittenStatement>();
  private readonly portals = new Map<string, OnePassPortal>();
  private execStatements = 0;
  /**
   * The proxy opened a transaction block for per-row evaluation at a Bind outside the client's own
   * block: it stands in for the implicit transaction of the client's pipeline and ends at its Sync.
   */
  private inImplicitBlock = false;
  readonly streams: StreamAnswers;
  /** Cursors this session declared over one-pass plans (one-pass-cursors.ts). */
  readonly cursors = new OnePassCursors();

  constructor(
    private readonly session: SessionPort,
    private readonly registry: FunctionRegistry,
    private readonly evaluator: CallEvaluator,
    private readonly inliner: FunctionInliner,
    /** The upstream's inlined functions and the tables whose columns the proxy computes. */
    private readonly functions: UpstreamFunctions,
    /** Absent when every statement goes upstream (the embedded backend; tests comparing answers). */
    private readonly local?: LocalAnswers,
  ) {
    this.streams = new StreamAnswers(session, evaluator);
  }

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

  /**
   * `endsPipeline`: extended-protocol messages came before without a Sync; the upstream must see
   * this Query, which ends their implicit transaction (or which it ignores after their error).
   * `mentions`: what the sniffer found in the text (sniff.ts's Mentions bits).
   */
  async query(text: string, original: Buffer, { endsPipeline, mentions }: { endsPipeline: boolean; mentions: number }): Promise<void> {
    // The transaction status is known once the statements pipelined before this one are answered.
    if (this.session.tracker.pending > 0) await this.settle();
    if (this.session.txStatus !== 'E' && mayDefineGenerated(text) && (await this.generatedDdl(text))) return;
    if ((mentions & Mentions.cursor) !== 0 && this.session.txStatus !== 'E' && (await this.cursorQuery(text, original))) return;
    // In a failed transaction the upstream refuses everything but ROLLBACK; let it say so.
    const prepared = this.session.txStatus === 'E' ? 'passthrough' : await this.analyze(text, mentions);
    // Statements passed through as they are would hand the client a one-pass cursor's rows unevaluated.
    const unevaluatedFetch = prepared === 'passthrough' && (mentions & Mentions.cursor) !== 0 ? this.onePassFetch(cursorStatements(text)) : undefined;
    if (unevaluatedFetch !== undefined && this.session.txStatus !== 'E') return this.failQuery(oneFetchAlone(unevaluatedFetch.name));
    // `SELECT model_train()` holds no call the proxy evaluates (or one of a function it cannot
    // inline), but the function's body may: the session runs it as the scheduler would.
    const unevaluated = prepared === 'passthrough' || prepared instanceof PgError;
    if (unevaluated && this.session.txStatus !== 'E' && (await this.expandedCall(text))) return;
    if (prepared === 'passthrough') {
      this.session.expectAndSend(FrontendCode.Query, original);
      return;
    }
    if (prepared instanceof PgError) return this.failQuery(prepared);
    const { sql, analysis } = prepared;
    if (sql === text && !endsPipeline && (await this.answerLocally(sql, analysis))) return;
    if (sql === text && !endsPipeline && (await this.streamAnswer(sql, analysis))) return;
    const batches = new RowBatches(this.registry, this.evaluator, this.evaluator.context, () => this.session.txStatus);
    let pending: string[] = [];
    // Keyed calls lock the rows they write (src/sql/scope-rows.ts): outside the client's block, their
    // evaluation and the statements from theirs to the end of the Query (or to the next segment)
    // run in one block of the proxy's own. Invariant: the block holds the statements in `pending`.
    let ownBlock = false;
    const flush = async (): Promise<boolean> => {
      const sent = pending.join(';\n');
      pending = [];
      if (!ownBlock) return this.runSegment(sent);
      ownBlock = false;
      return this.runInOwnBlock(sent, batches, false);
    };
    for (const [index, analyzed] of analysis.statements.entries()) {
      let stmt = analyzed;
      // The client's own BEGIN or COMMIT must not meet the proxy's block.
      if (ownBlock && stmt.nodeType === 'TransactionStmt' && !(await flush())) return batches.finish();
      const fetch = stmt.nodeType === 'FetchStmt' ? this.onePassFetch([cursorStatementOf(parseStatements(stmt.sql)[0]?.stmt)]) : undefined;
      if (fetch !== undefined) {
        // A one-pass cursor's rows are evaluated as the FETCH streams them back, in a segment of its own.
        const last = index === analysis.statements.length - 1;
        if ((pending.length > 0 && !(await flush())) || !(await this.runOnePass(stmt.sql, fetch.work, last, true)) || last) return batches.finish();
        continue;
      }
      if (stmt.calls.length === 0) {
        pending.push(stmt.sql);
        continue;
      }
      if (hasSubqueryArguments(stmt)) {
        // The subqueries may read what the statements before wrote.
        if (pending.length > 0 && !(await flush())) return batches.finish();
        try {
          stmt = await evaluateSubqueryArguments(stmt, this.evaluator.context.db);
        } catch (error) {
          await this.failQuery(PgError.from(error));
          return batches.finish();
        }
      }
      const plan = planOf(sql, stmt, 'simple');
      // Statements before this one must have run if the call may read what they wrote: a per-row
      // call always reads the rows (a table the statements before may have created or changed).
      const readsRows = plan.calls.some((c) => c.mode === 'keyed' || c.mode === 'onePass');
      if (pending.length > 0 && (readsRows || !plan.calls.every((c) => this.evaluator.isPure(c.site, stmt)))) {
        if (!(await flush())) return batches.finish();
      }
      let statementSql: string;
      let work: OnePassWork | undefined;
      try {
        const keyedBatches = this.keyedBatches(plan, batches);
        if (this.session.txStatus === 'I' && plan.calls.some((c) => c.mode === 'keyed')) {
          await this.evaluator.context.db.query('BEGIN');
          ownBlock = true;
        }
        const { replacements, edits } = await this.replacements(sql, plan, keyedBatches, undefined);
        if (plan.onePass !== undefined) work = await this.prepareOnePass(sql, plan.onePass, stmt, undefined);
        statementSql = plan.onePass === undefined ? spliceStatement(sql, stmt, replacements, edits) : renderOnePass(sql, stmt, plan.onePass, replacements);
      } catch (error) {
        if (ownBlock && this.session.txStatus !== 'I') {
          await batches.finish();
          await this.evaluator.context.db.query('ROLLBACK').catch(() => {});
        }
        await this.failQuery(PgError.from(error));
        return batches.finish();
      }
      if (work === undefined) {
        pending.push(statementSql);
        continue;
      }
      const last = index === analysis.statements.length - 1;
      const cursor = stmt.nodeType === 'DeclareCursorStmt' ? cursorStatementOf(parseStatements(stmt.sql)[0]?.stmt) : undefined;
      if (cursor?.kind === 'declare') {
        // The upstream holds the cursor; its rows are evaluated at each FETCH.
        if (!(await this.runSegment(statementSql, last))) return batches.finish();
        this.cursors.declare(cursor.name, work, cursor.hold);
        if (last) return batches.finish();
        continue;
      }
      // A one-pass statement is a segment of its own: its rows are the ones the proxy evaluates.
      if (!(await this.runOnePass(statementSql, work, last)) || last) return batches.finish();
    }
    if (ownBlock) {
      await this.runInOwnBlock(pending.join(';\n'), batches, true);
      return;
    }
    this.session.expectAndSend(FrontendCode.Query, frontend.query(pending.join(';\n')));
    if (batches.pending) {
      // Staging tables go once the statement has run (waiting here, not with a Flush behind the Query).
      await this.session.tracker.whenIdle();
      await batches.finish();
    }
  }

  /** Waits until the upstream has answered everything sent before (a Flush makes it answer). */
  private async settle(): Promise<void> {
    const { tracker } = this.session;
    if (tracker.pending === 0) return;
    this.session.expectAndSend(FrontendCode.Flush, frontend.flush());
    await tracker.whenIdle();
  }

  /**
   * Answers a simple Query of one statement the planner marked `local` (after settle(): the
   * transaction status is the true one); false when the upstream must answer.
   */
  private async answerLocally(sql: string, analysis: QueryAnalysis): Promise<boolean> {
    // Indexes, not `[stmt, ...more]`: the rest's array was garbage at every prediction.
    const stmt = analysis.statements.length === 1 ? analysis.statements[0] : undefined;
    const { local } = this;
    const plan = local === undefined || stmt === undefined ? undefined : planOf(sql, stmt, 'simple').local;
    if (local === undefined || stmt === undefined || plan === undefined) return false;
    try {
      return await local.query(sql, stmt, plan);
    } catch (error) {
      await this.failQuery(PgError.from(error));
      return true;
    }
  }

  /** Answers a simple Query of one statement the planner marked `stream`; false when the upstream must answer. */
  private async streamAnswer(sql: string, analysis: QueryAnalysis): Promise<boolean> {
    const [stmt, ...more] = analysis.statements;
    const plan = stmt === undefined || more.length > 0 ? undefined : planOf(sql, stmt, 'simple').stream;
    if (stmt === undefined || plan === undefined || !this.evaluator.canStream(plan.site.signature)) return false;
    try {
      return await this.streams.query(sql, stmt, plan);
    } catch (error) {
      await this.failQuery(PgError.from(error));
      return true;
    }
  }

  /**
   * Runs statements in the block the proxy opened for a keyed evaluation (the rows it locked stay
   * locked until they have run), then ends the block as the client's implicit transaction would
   * have ended; false if they failed (the client saw why). `last`: they end the Query.
   */
  private async runInOwnBlock(sql: string, batches: RowBatches, last: boolean): Promise<boolean> {
    let failed = false;
    await new Promise<void>((resolve) => {
      this.session.expectAndSend(FrontendCode.Query, frontend.query(sql), {
        message: (code) => {
          if (code === BackendCode.ErrorResponse) failed = true;
          // The block's status is the proxy's to hide: the client's is given below.
          return code === BackendCode.ReadyForQuery;
        },
        done: () => resolve(),
      });
    });
    const db = this.evaluator.context.db;
    try {
      await batches.finish();
      await db.query(failed ? 'ROLLBACK' : 'COMMIT');
    } catch (error) {
      failed = true;
      this.session.writeClient([backend.errorResponse(PgError.from(error))]);
      if (this.session.txStatus !== 'I') await db.query('ROLLBACK').catch(() => {});
    }
    if (failed || last) this.session.writeClient([backend.readyForQuery(this.session.txStatus)]);
    return !failed;
  }

  /** Runs `SELECT f()` for a function the session expands (expanded-call.ts); false if it is not one. */
  private async expandedCall(text: string): Promise<boolean> {
    try {
      const expansion = await this.inliner.expand(text, this.evaluator.context.db);
      const refusal = refusalOf(expansion);
      if (refusal !== undefined) throw refusal;
      if (!runsInSession(expansion)) return false;
      const parts = { registry: this.registry, evaluator: this.evaluator, inliner: this.inliner, txStatus: () => this.session.txStatus };
      await runExpandedStatements(expansion, parts);
      this.session.expectAndSend(FrontendCode.Query, frontend.query(answerSql(expansion)));
    } catch (error) {
      await this.failQuery(PgError.from(error));
    }
    return true;
  }

  /**
   * Runs DDL defining columns generated by proxy-evaluated functions (generated-columns.ts) and
   * answers it as Postgres would; false for any other statement.
   */
  private async generatedDdl(text: string): Promise<boolean> {
    try {
      const ddl = generatedDdlOf(text, this.registry);
      if (ddl === undefined) return false;
      this.session.noteCatalogDdl();
      if (ddl.kind === 'alter') {
        await this.addGeneratedColumns(ddl);
        return true;
      }
      if (ddl.ifExists !== undefined && (await relationExists(this.evaluator.context.db, ddl.relation))) {
        this.session.expectAndSend(FrontendCode.Query, frontend.query(ddl.ifExists));
        return true;
      }
      const attnumOf = (name: string) => 1 + ddl.columnNames.indexOf(name) || undefined;
      await this.runAsOneStatement(definitionStatements(ddl, attnumOf).join(';\n'));
      // Later statements of the client's block see the table before it commits.
      if (this.session.txStatus === 'T') await this.functions.reloadGenerated(this.evaluator.context.db);
    } catch (error) {
      const e = PgError.from(error);
      if (e.code === SqlState.SyntaxError) return false;
      await this.failQuery(e);
    }
    return true;
  }

  /**
   * ALTER TABLE ... ADD COLUMN of generated columns: the plain columns and their definitions, then
   * every existing row filled by an UPDATE the planner evaluates like any other, all in one
   * transaction (the client's block, or one of the proxy's own); the client sees `ALTER TABLE`.
   */
  private async addGeneratedColumns(ddl: GeneratedDdl): Promise<void> {
    const db = this.evaluator.context.db;
    const ownBlock = this.session.txStatus === 'I';
    if (ownBlock) await db.query('BEGIN');
    try {
      const attnumOf = await attnumsAfterAlter(db, ddl);
      for (const statement of definitionStatements(ddl, attnumOf)) await db.query(statement);
      await this.functions.reloadGenerated(db);
      await this.runInternally(fillSql(ddl));
      if (ownBlock) await db.query('COMMIT');
    } catch (error) {
      if (ownBlock && this.session.txStatus !== 'I') await db.query('ROLLBACK').catch(() => {});
      throw error;
    }
    await this.session.tracker.whenIdle();
    this.session.writeClient([backend.commandComplete('ALTER TABLE'), backend.readyForQuery(this.session.txStatus)]);
    this.session.endStatement();
  }

  /** Runs one statement of the proxy's own through the planner (per-row calls keyed), its answer unseen. */
  private async runInternally(text: string): Promise<void> {
    // The proxy's own statements are not sniffed: the fill writes the generated table.
    const prepared = await this.analyze(text, Mentions.generatedTable);
    if (prepared instanceof PgError) throw prepared;
    const stmt = prepared === 'passthrough' ? undefined : prepared.analysis.statements[0];
    if (prepared === 'passthrough' || stmt === undefined) {
      await this.evaluator.context.db.query(text);
      return;
    }
    const plan = planOf(prepared.sql, stmt, 'simple');
    if (plan.onePass !== undefined) throw new PgError(SqlState.InternalError, 'pgml-proxy planned its own statement in one pass');
    const batches = new RowBatches(this.registry, this.evaluator, this.evaluator.context, () => this.session.txStatus);
    try {
      const { replacements, edits } = await this.replacements(prepared.sql, plan, batches, undefined);
      await this.evaluator.context.db.query(spliceStatement(prepared.sql, stmt, replacements, edits));
    } finally {
      await batches.finish();
    }
  }

  /**
   * Sends statements as one Query (one implicit transaction, or in the client's block) and shows
   * the client the first statement's answer alone, as if it had sent only that.
   */
  private async runAsOneStatement(sql: string): Promise<void> {
    let completed = false;
    await new Promise<void>((resolve) => {
      this.session.expectAndSend(FrontendCode.Query, frontend.query(sql), {
        message: (code) => {
          if (code === BackendCode.ErrorResponse || code === BackendCode.ReadyForQuery) return false;
          const hide = completed;
          if (code === BackendCode.CommandComplete) completed = true;
          return hide;
        },
        done: () => resolve(),
      });
    });
  }

  /**
   * Where a statement's keyed results are staged. A cursor reads them at each FETCH, so they stay
   * until its transaction ends (ON COMMIT DROP); outside a block there is no such end to wait for.
   */
  private keyedBatches(plan: StatementPlan, batches: RowBatches): RowBatches {
    if (plan.stmt.nodeType !== 'DeclareCursorStmt' || !plan.calls.some((c) => c.mode === 'keyed')) return batches;
    if (this.session.txStatus !== 'T') {
      throw new PgError(SqlState.FeatureNotSupported, 'pgml-proxy evaluates per-row calls in a cursor only inside a transaction block', {
        hint: 'BEGIN; DECLARE c CURSOR FOR SELECT ...; FETCH ... FROM c; COMMIT;',
      });
    }
    return new RowBatches(this.registry, this.evaluator, this.evaluator.context, () => this.session.txStatus, { dropOnCommit: true });
  }

  /** What replaces each call that is not evaluated per row in one pass (and the keyed calls' FROM edits). */
  private async replacements(sql: string, plan: StatementPlan, batches: RowBatches, bound: BoundValues | undefined): Promise<KeyedRewrite> {
    const { stmt } = plan;
    const keyed = plan.calls.filter((c) => c.mode === 'keyed').map((c) => c.site);
    const rewrite = keyed.length > 0 ? await batches.fillResultTables(sql, stmt, keyed, bound) : { replacements: new Map<number, string>(), edits: [] };
    const { replacements } = rewrite;
    for (const call of plan.calls) {
      switch (call.mode) {
        case 'now':
          replacements.set(call.site.id, this.evaluator.renderValue(call.site, await this.evaluator.evaluate(call.site, stmt, sql, bound?.values)));
          break;
        case 'atBind':
          if (bound === undefined) throw new PgError(SqlState.InternalError, `${call.site.schema}.${call.site.name} needs parameters outside a Bind`);
          break;
        case 'refuse':
          throw call.error;
        case 'keyed':
        case 'onePass':
          break;
      }
    }
    return rewrite;
  }

  /**
   * Each one-pass call's arguments that do not read the rows, evaluated once, and what the
   * function loads with them before the rows stream (a model, say).
   */
  private async prepareOnePass(sql: string, plan: OnePassPlan, stmt: StatementAnalysis, params: BoundParams): Promise<OnePassWork> {
    const shared = new Map<number, Record<string, unknown>>();
    const prepared = new Map<number, PreparedBatch>();
    for (const { site, inputs } of plan.calls) {
      const values = await this.evaluator.sharedArguments(site, stmt, sql, params, new Set(inputs.map((i) => i.name)));
      shared.set(site.id, values);
      try {
        const batch = await this.registry.implementation(site.signature).prepareBatch?.(values, this.evaluator.context);
        if (batch !== undefined) prepared.set(site.id, batch);
      } catch {
        // Left to the evaluation of the rows, which reports it if there are any (none: no error).
      }
    }
    return { plan, shared, prepared };
  }

  /**
   * Runs a one-pass statement, evaluating its rows as they stream back; false if it failed (the
   * client saw why). `last`: its ReadyForQuery ends the client's Query.
   */
  private async runOnePass(sql: string, work: OnePassWork, last: boolean, checkExtraColumns = false): Promise<boolean> {
    const stream = new OnePassStream(work, this.streamIO(), { passReadyForQuery: last, checkExtraColumns });
    this.session.expectAndSend(FrontendCode.Query, frontend.query(sql), stream);
    const outcome = await stream.finished;
    if (outcome.error !== undefined) {
      await this.failQuery(outcome.error);
      return false;
    }
    return outcome.upstream === 'ok';
  }

  private streamIO(): OnePassIO {
    return {
      registry: this.registry,
      context: this.evaluator.context,
      writeClient: (buffers) => this.session.writeClient(buffers),
      pauseUpstream: () => this.session.pauseUpstream(),
      resumeUpstream: () => this.session.resumeUpstream(),
    };
  }

  /**
   * A Query of one statement naming a one-pass cursor (the sniffer found its name); false when the
   * usual path is the one. A FETCH's rows are evaluated as a SELECT's; CLOSE, CLOSE ALL and DISCARD
   * ALL forget their cursors once they have run without error (until then the cursors may be there).
   */
  private async cursorQuery(text: string, original: Buffer): Promise<boolean> {
    const statements = cursorStatements(text);
    if (statements === undefined) return false;
    const fetch = this.onePassFetch(statements);
    // With other statements, the FETCH is a segment of the Query's own (query()).
    if (fetch !== undefined) {
      if (statements.length === 1) await this.runOnePass(text, fetch.work, true, true);
      return statements.length === 1;
    }
    const forgets = statements.filter((c) => c?.kind === 'discardAll' || (c?.kind === 'close' && (c.name === undefined || this.cursors.work(c.name) !== undefined)));
    // Beside other statements (which may hold calls to evaluate) the usual path runs them: the
    // mapping stays until the transaction ends, and a FETCH's RowDescription tells it is stale.
    if (forgets.length === 0 || statements.length > 1) return false;
    let failed = false;
    await new Promise<void>((resolve) => {
      this.session.expectAndSend(FrontendCode.Query, original, {
        message: (code) => {
          if (code === BackendCode.ErrorResponse) failed = true;
          return false;
        },
        done: () => resolve(),
      });
    });
    if (failed) return true;
    for (const c of forgets) {
      if (c?.kind === 'close' && c.name !== undefined) this.cursors.forget(c.name);
      else this.cursors.forgetAll();
    }
    return true;
  }

  /** The first FETCH (not MOVE) from a one-pass cursor among these statements, with the cursor's work. */
  private onePassFetch(statements: readonly (CursorStatement | undefined)[] | undefined): { name: string; work: OnePassWork } | undefined {
    for (const c of statements ?? []) {
      if (c?.kind !== 'fetch' || c.move) continue;
      const work = this.cursors.work(c.name);
      if (work !== undefined) return { name: c.name, work };
    }
    return undefined;
  }

  /**
   * Runs statements that precede an evaluated call; false if they failed (the client saw why).
   * `last`: they end the client's Query, whose ReadyForQuery is theirs.
   */
  private runSegment(sql: string, last = false): Promise<boolean> {
    return new Promise((resolve) => {
      let failed = false;
      this.session.expectAndSend(FrontendCode.Query, frontend.query(sql), {
        message: (code) => {
          if (code === BackendCode.ErrorResponse) failed = true;
          // The query goes on, so the segment's ReadyForQuery is not the client's; unless it failed.
          return code === BackendCode.ReadyForQuery && !failed && !last;
        },
        done: () => resolve(!failed),
      });
    });
  }

  private async failQuery(error: PgError): Promise<void> {
    await this.session.tracker.whenIdle();
    this.session.writeClient([backend.errorResponse(error)]);
    // An error inside a transaction block aborts it; make the upstream agree before saying so.
    if (error.origin !== 'upstream' && this.session.txStatus === 'T') await this.abortUpstream(true);
    this.session.writeClient([backend.readyForQuery(this.session.txStatus)]);
    this.session.endStatement();
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

  async parse(message: ParseMessage, original: Buffer, mentions: number): Promise<MessageOutcome> {
    const replaced = this.statements.get(message.name);
    this.statements.delete(message.name);
    const fetch = (mentions & Mentions.cursor) !== 0 ? this.onePassFetch(cursorStatements(message.sql)) : undefined;
    if (fetch !== undefined) return this.failExtended(oneFetchAlone(fetch.name));
    const prepared = await this.analyze(message.sql, mentions);
    const unevaluated = prepared === 'passthrough' || prepared instanceof PgError;
    if (unevaluated && this.session.txStatus !== 'E') {
      const expanded = await this.expandedParse(message);
      if (expanded !== undefined) return expanded;
    }
    if (prepared === 'passthrough') {
      this.session.expectAndSend(FrontendCode.Parse, original);
      return 'done';
    }
    if (prepared instanceof PgError) return this.failExtended(prepared);
    const { sql: text, analysis } = prepared;
    const written = analysis.statements[0];
    if (!written || analysis.statements.length > 1) {
      return this.failExtended(new PgError(SqlState.SyntaxError, 'cannot insert multiple commands into a prepared statement'));
    }
    const clientParams = Math.max(maxParamIndex(written.sql), message.paramTypes.length);
    const paramTypes = Array.from({ length: clientParams }, (_, i) => message.paramTypes[i] ?? 0);
    let stmt = written;
    let subqueries: SubqueryParam[] = [];
    if (hasSubqueryArguments(written)) {
      try {
        const typeOf = (n: number) => typeNameOf(paramTypes[n - 1] ?? 0);
        ({ stmt, params: subqueries } = await parameterizeSubqueryArguments(written, this.evaluator.context.db, clientParams + 1, typeOf));
      } catch (error) {
        return this.failExtended(PgError.from(error));
      }
      for (const { type } of subqueries) paramTypes.push(typeOidOf(type));
    }
    const plan = planOf(text, stmt, 'extended');
    // A streamed call's statement does not check the subqueries it reads.
    if (plan.stream !== undefined && subqueries.length === 0 && this.evaluator.canStream(plan.stream.site.signature)) {
      const streamed = await this.parseStream(message.name, text, stmt, plan.stream, paramTypes);
      if (streamed !== undefined) return streamed;
    }
    const replacements = new Map<number, string>();
    const deferred: { site: CallSite; index: number }[] = [];
    const keyed: CallSite[] = [];
    const placeholders = new Map<number, string>();
    try {
      for (const call of plan.calls) {
        const { site } = call;
        switch (call.mode) {
          case 'refuse':
            throw call.error;
          case 'keyed':
            // Evaluated per Bind; until then a typed NULL lets the upstream describe the statement.
            keyed.push(site);
            placeholders.set(site.id, rowPlaceholder(site));
            this.declareArgumentTypes(site, stmt, paramTypes);
            break;
          case 'onePass':
            this.declareArgumentTypes(site, stmt, paramTypes);
            break;
          case 'atBind': {
            const index = clientParams + subqueries.length + deferred.length + 1;
            deferred.push({ site, index });
            replacements.set(site.id, this.evaluator.renderParam(site, index));
            this.declareArgumentTypes(site, stmt, paramTypes);
            break;
          }
          case 'now':
            replacements.set(site.id, this.evaluator.renderValue(site, await this.evaluator.evaluate(site, stmt, text, undefined)));
            break;
        }
      }
      const probed = await this.evaluator.parameterTypes(stmt, text, paramTypes, deferred.map((d) => d.site));
      for (const [index, oid] of probed) paramTypes[index - 1] = oid;
    } catch (error) {
      return this.failExtended(PgError.from(error));
    }
    for (const { site } of deferred) paramTypes.push(CallEvaluator.paramTypeOid(site));
    const sql =
      plan.onePass === undefined
        ? spliceStatement(text, stmt, new Map([...replacements, ...placeholders]))
        : renderOnePass(text, stmt, plan.onePass, replacements);
    const evaluatedAtBind = deferred.length > 0 || keyed.length > 0 || plan.onePass !== undefined || subqueries.length > 0;
    if (!evaluatedAtBind) {
      this.session.expectAndSend(FrontendCode.Parse, frontend.parse(message.name, sql, message.paramTypes));
      return 'done';
    }
    const execName = keyed.length > 0 ? `pgml_proxy_exec_${++this.execStatements}` : '';
    const statement = new RewrittenStatement(text, stmt, clientParams, paramTypes, deferred, keyed, replacements, execName, plan.onePass, undefined, undefined, subqueries);
    this.statements.set(message.name, statement);
    // A call of constants is evaluated once, here, into the upstream's statement: the answer it gives
    // at each Bind stays that value, which a local answer must not re-evaluate.
    const answerable =
      this.local !== undefined &&
      text === message.sql &&
      subqueries.length === 0 &&
      plan.calls.every((c) => c.mode === 'atBind') &&
      !statement.clientParamTypes().includes(0);
    this.session.expectAndSend(FrontendCode.Parse, frontend.parse(message.name, sql, paramTypes), this.prepared(message.name, statement, answerable ? plan.local : undefined, replaced));
    return 'done';
  }

  /**
   * Follows the upstream's answer to a rewritten statement's Parse: once prepared, the statement
   * may be answered locally; if the upstream refused it, a named statement it already held (42P05)
   * keeps the record it had (the unnamed one is gone either way).
   */
  private prepared(name: string, statement: RewrittenStatement, local: LocalAnswerPlan | undefined, replaced: RewrittenStatement | undefined): ResponseHandler {
    return {
      message: () => false,
      done: (outcome) => {
        if (this.statements.get(name) !== statement) return;
        if (outcome === 'ok') statement.localAnswer = local;
        else if (name !== '' && replaced !== undefined) this.statements.set(name, replaced);
        else this.statements.delete(name);
      },
    };
  }

  /**
   * Prepares a streamed statement (stream-answer.ts): the upstream gets it with the call replaced by
   * an empty set of its type, to check, describe and bind; undefined when the client's encoding
   * rules streaming out (the statement is then prepared as any other).
   */
  private async parseStream(name: string, text: string, stmt: StatementAnalysis, plan: StreamPlan, paramTypes: number[]): Promise<MessageOutcome | undefined> {
    try {
      if (!(await this.streams.canWrite())) return undefined;
      this.declareArgumentTypes(plan.site, stmt, paramTypes);
      const probed = await this.evaluator.parameterTypes(stmt, text, paramTypes, [plan.site]);
      for (const [index, oid] of probed) paramTypes[index - 1] = oid;
    } catch (error) {
      return this.failExtended(PgError.from(error));
    }
    const sql = spliceStatement(text, stmt, new Map([[plan.site.id, this.evaluator.renderValue(plan.site, [])]]));
    this.statements.set(name, new RewrittenStatement(text, stmt, paramTypes.length, paramTypes, [], [], new Map(), '', undefined, plan));
    this.session.expectAndSend(FrontendCode.Parse, frontend.parse(name, sql, paramTypes));
    return 'done';
  }

  /**
   * Parse of `SELECT model_train()` for a function the session expands, as query() does: the
   * upstream prepares the call's answer, and each Bind runs the body first (bindExpanded).
   * Undefined if the statement is not such a call.
   */
  private async expandedParse(message: ParseMessage): Promise<MessageOutcome | undefined> {
    try {
      const expansion = await this.inliner.expand(message.sql, this.evaluator.context.db);
      const refusal = refusalOf(expansion);
      if (refusal !== undefined) throw refusal;
      if (!runsInSession(expansion)) return undefined;
      const stmt = analyzeQuery(message.sql, this.registry).statements[0];
      if (stmt === undefined) return undefined;
      this.statements.set(message.name, new RewrittenStatement(message.sql, stmt, 0, [], [], [], new Map(), '', undefined, undefined, expansion));
      this.session.expectAndSend(FrontendCode.Parse, frontend.parse(message.name, answerSql(expansion), []));
      return 'done';
    } catch (error) {
      return this.failExtended(PgError.from(error));
    }
  }

  /**
   * Bind of an expanded call: its body's statements run first, in the client's block or, outside
   * one, in the block that stands in for the pipeline's implicit transaction (see preparePerRow).
   */
  private async bindExpanded(message: BindMessage, expansion: ExpandedCall): Promise<MessageOutcome> {
    if (this.session.txStatus !== 'E') {
      try {
        const txStatus = await this.openImplicitBlock();
        await runExpandedStatements(expansion, { registry: this.registry, evaluator: this.evaluator, inliner: this.inliner, txStatus });
      } catch (error) {
        return this.failExtended(PgError.from(error));
      }
    }
    this.session.expectAndSend(FrontendCode.Bind, frontend.bind(message));
    return 'done';
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
      } else {
        // Calls nested in the argument (pgml.embed(...)::real[] is an expression around one).
        const ids = arg.kind === 'call' ? [arg.callId] : arg.kind === 'expr' || arg.kind === 'rowDependent' ? arg.callIds : [];
        for (const nested of stmt.calls.filter((c) => ids.includes(c.id))) this.declareArgumentTypes(nested, stmt, paramTypes);
      }
    }
  }

  /**
   * Answers locally the unnamed statement's Parse, Describe (when `statementDescribed`: the types
   * the proxy declares are those the upstream's ParameterDescription lists), Bind, Describe
   * (portal, when `described`), Execute (all rows) and Sync that the client sent together (the
   * session checked the shape), outside a transaction block; false when they must go the upstream's way: a statement the
   * planner does not answer locally, a parameter whose type the proxy would not declare itself, or
   * an evaluation error (the upstream path then reports it in its own words).
   */
  async answerBound(parse: ParseMessage, bind: BindMessage, { described, statementDescribed }: { described: boolean; statementDescribed: boolean }, mentions: number): Promise<boolean> {
    const { local } = this;
    if (local === undefined) return false;
    if (this.session.tracker.pending > 0) await this.settle();
    // In a block the upstream's unnamed portal would outlive the Sync: only the implicit transaction.
    if (this.session.txStatus !== 'I') return false;
    const prepared = await this.analyze(parse.sql, mentions);
    if (prepared === 'passthrough' || prepared instanceof PgError || prepared.sql !== parse.sql) return false;
    const [stmt, ...more] = prepared.analysis.statements;
    if (stmt === undefined || more.length > 0 || hasSubqueryArguments(stmt)) return false;
    const plan = planOf(parse.sql, stmt, 'extended').local;
    if (plan === undefined) return false;
    // The types parse() gives the upstream for parameters used only in calls: declared, or the call's.
    const clientParams = Math.max(maxParamIndexOf(stmt), parse.paramTypes.length);
    const paramTypes = Array.from({ length: clientParams }, (_, i) => parse.paramTypes[i] ?? 0);
    for (const { site } of plan.columns) this.declareArgumentTypes(site, stmt, paramTypes);
    // A declared `unknown` the upstream refuses (42P18, could not determine the parameter's type).
    if (paramTypes.includes(0) || paramTypes.includes(TypeOid.unknown)) return false;
    const shape = { parsed: true, described, statementDescribed: statementDescribed ? { paramTypes } : undefined };
    return this.answerWithValues(local, { sql: parse.sql, stmt, plan, paramTypes, clientParams }, bind, shape);
  }

  /**
   * Answers locally a Bind of a named statement the upstream prepared, its portal's Describe (when
   * `described`), Execute (all rows) and Sync, sent together outside a transaction block: the
   * upstream keeps the statement (a later Describe, Close, DEALLOCATE or Bind it refuses meets it
   * as the client left it) and sees none of the four. False when they must go the upstream's way.
   */
  async answerPrepared(bind: BindMessage, statement: RewrittenStatement, described: boolean): Promise<boolean> {
    const { local } = this;
    if (local === undefined) return false;
    if (this.session.tracker.pending > 0) await this.settle();
    // What ran meanwhile (a Close, DEALLOCATE or DISCARD ALL) may have dropped the statement.
    const plan = this.statements.get(bind.statement) === statement ? statement.localAnswer : undefined;
    if (plan === undefined || this.session.txStatus !== 'I') return false;
    const { sql, statement: stmt, paramTypes, clientParams } = statement;
    return this.answerWithValues(local, { sql, stmt, plan, paramTypes, clientParams }, bind, { parsed: false, described });
  }

  /** Statements answered locally may be gone upstream (DEALLOCATE, DISCARD ALL): the upstream answers them again. */
  forgetLocalAnswers(): void {
    for (const statement of this.statements.values()) statement.localAnswer = undefined;
  }

  /**
   * The local answer to a Bind with these values, once the caller has seen the transaction status
   * is 'I'; false when the upstream must answer: parameters or formats it would refuse,
   * or an evaluation error (the upstream path then reports it in its own words).
   */
  private async answerWithValues(
    local: LocalAnswers,
    { sql, stmt, plan, paramTypes, clientParams }: { sql: string; stmt: StatementAnalysis; plan: LocalAnswerPlan; paramTypes: readonly number[]; clientParams: number },
    bind: BindMessage,
    shape: BoundShape,
  ): Promise<boolean> {
    if (bind.params.length !== clientParams || !validParamFormats(bind)) return false;
    const formats = resultFormatsOf(bind.resultFormats, plan.columns.length);
    if (formats === undefined) return false;
    try {
      return await local.bound(sql, stmt, plan, boundValues(bind, paramTypes), formats, shape);
    } catch {
      return false;
    }
  }

  async bind(message: BindMessage, statement: RewrittenStatement): Promise<MessageOutcome> {
    if (statement.expansion !== undefined) return this.bindExpanded(message, statement.expansion);
    const extra: (Buffer | null)[] = [];
    let values: unknown[] = [];
    try {
      if (message.params.length !== statement.clientParams) {
        throw new PgError(
          SqlState.ProtocolViolation,
          `bind message supplies ${message.params.length} parameters, but prepared statement "${message.statement}" requires ${statement.clientParams}`,
        );
      }
      values = boundValues(message, statement.paramTypes);
      if (statement.subqueries.length > 0) {
        const texts = await subqueryValues(statement.subqueries, this.evaluator.context.db, values);
        extra.push(...texts.map((text) => (text === null ? null : Buffer.from(text, 'utf8'))));
        values = [...values, ...texts.map((text, i) => subqueryValue(text, statement.subqueries[i]!.type))];
      }
      for (const { site } of statement.deferred) {
        const value = await this.evaluator.evaluate(site, statement.statement, statement.sql, values);
        extra.push(encodeText(CallEvaluator.paramValue(site, value)));
      }
    } catch (error) {
      return this.failExtended(PgError.from(error));
    }
    if (statement.stream !== undefined) {
      const format = message.resultFormats[0] === 1 ? 1 : 0;
      const call = { plan: statement.stream, stmt: statement.statement, sql: statement.sql, params: values };
      this.streams.bind(message.portal, new StreamPortal(call, format));
      this.session.expectAndSend(FrontendCode.Bind, frontend.bind(message));
      return 'done';
    }
    const paramFormats = [...message.params.map((_, i) => paramFormatOf(message, i)), ...extra.map(() => 0)];
    if (statement.onePass !== undefined) return this.bindOnePass(message, statement, statement.onePass, values, { paramFormats, params: [...message.params, ...extra] });
    let target = message.statement;
    // In a failed transaction the upstream refuses the Bind itself; no need to evaluate anything.
    if (statement.perRow.length > 0 && this.session.txStatus !== 'E') {
      try {
        await this.preparePerRow(statement, {
          values,
          sqlOf: (n) => boundLiteral(message.params[n - 1], values[n - 1], paramFormatOf(message, n - 1), statement.paramTypes[n - 1] ?? 0),
        });
      } catch (error) {
        return this.failExtended(PgError.from(error));
      }
      target = statement.execName;
    }
    this.session.expectAndSend(
      FrontendCode.Bind,
      frontend.bind({ ...message, statement: target, paramFormats, params: [...message.params, ...extra] }),
    );
    return 'done';
  }

  /**
   * Binds a one-pass statement: its calls' shared arguments are evaluated with the bound values,
   * the extra argument columns arrive in text unless the client asked one format for all columns,
   * and the proxy describes the portal to learn the columns' types and formats for Execute.
   */
  private async bindOnePass(
    message: BindMessage,
    statement: RewrittenStatement,
    plan: OnePassPlan,
    values: unknown[],
    params: { paramFormats: number[]; params: (Buffer | null)[] },
  ): Promise<MessageOutcome> {
    let work: OnePassWork = { plan, shared: new Map(), prepared: new Map() };
    // In a failed transaction the upstream refuses the Bind itself; no need to evaluate anything.
    if (this.session.txStatus !== 'E') {
      try {
        work = await this.prepareOnePass(statement.sql, plan, statement.statement, values);
      } catch (error) {
        return this.failExtended(PgError.from(error));
      }
    }
    const resultFormats = message.resultFormats.length > 1 ? [...message.resultFormats, ...plan.extraColumns.map(() => 0)] : message.resultFormats;
    const portal = new OnePassPortal(work);
    this.portals.set(message.portal, portal);
    this.session.expectAndSend(FrontendCode.Bind, frontend.bind({ ...message, ...params, resultFormats }));
    this.session.expectAndSend(FrontendCode.Describe, frontend.describe('P', message.portal), portal.describer());
    return 'done';
  }

  /** A portal bound to a one-pass statement, if this one is. */
  onePassPortal(name: string): OnePassPortal | undefined {
    return this.portals.get(name);
  }

  get hasOnePassPortals(): boolean {
    return this.portals.size > 0;
  }

  forgetPortal(name: string): void {
    this.portals.delete(name);
  }

  /** Executes a one-pass portal: its rows are evaluated as they stream back, up to the row limit. */
  async execute(message: Buffer, portal: OnePassPortal): Promise<MessageOutcome> {
    const stream = new OnePassStream(portal.work, this.streamIO(), { passReadyForQuery: false, columns: () => portal.columns });
    this.session.expectAndSend(FrontendCode.Execute, message, stream);
    // The answer must come now: nothing after the Execute goes upstream until its rows are out.
    this.session.expectAndSend(FrontendCode.Flush, frontend.flush());
    const outcome = await stream.finished;
    return outcome.error === undefined ? 'done' : this.failExtended(outcome.error);
  }

  /** Answers an Execute of a streamed portal after everything before it, unless the pipeline failed. */
  async executeStream(message: Buffer, portal: StreamPortal): Promise<MessageOutcome> {
    await this.settle();
    // After an error the server skips every message up to Sync.
    if (this.session.tracker.pipelineFailed) return 'done';
    try {
      await this.streams.execute(portal, decodeExecute(message).maxRows);
      return 'done';
    } catch (error) {
      return this.failExtended(PgError.from(error));
    }
  }

  /** What the client sees of a Describe: without the parameters and columns the proxy added. */
  describeHandler(statement: RewrittenStatement | undefined, portal: OnePassPortal | undefined): ResponseHandler {
    const plan = statement?.onePass ?? portal?.work.plan;
    return {
      message: (code, reply) => {
        if (code === BackendCode.ParameterDescription && statement !== undefined) return backend.parameterDescription(statement.clientParamTypes());
        if (code === BackendCode.RowDescription && plan !== undefined) return clientRowDescription(reply, plan);
        return false;
      },
    };
  }

  /**
   * Fills the per-row results tables for this Bind's values and prepares the statement that reads
   * them (under the statement's execName). Outside a transaction block the work opens one that
   * stands in for the pipeline's implicit transaction: the cursor needs a block, and the tables go
   * when it commits at the client's Sync (see sync()).
   */
  private async preparePerRow(statement: RewrittenStatement, bound: BoundValues): Promise<void> {
    const context = this.evaluator.context;
    const inBlock = await this.openImplicitBlock();
    const batches = new RowBatches(this.registry, this.evaluator, context, inBlock, { dropOnCommit: true });
    const { replacements, edits } = await batches.fillResultTables(statement.sql, statement.statement, statement.perRow, bound);
    const sql = spliceStatement(statement.sql, statement.statement, new Map([...statement.replacements, ...replacements]), edits);
    // Their answers are the proxy's; an error still reaches the client (and fails its pipeline).
    const quiet: ResponseHandler = { message: (code) => code === BackendCode.CloseComplete || code === BackendCode.ParseComplete };
    this.session.expectAndSend(FrontendCode.Close, frontend.close('S', statement.execName), quiet);
    this.session.expectAndSend(FrontendCode.Parse, frontend.parse(statement.execName, sql, statement.paramTypes), quiet);
  }

  /**
   * Outside a transaction block, opens the one that stands in for the pipeline's implicit
   * transaction until the client's Sync (see sync()); returns the status the work inside sees.
   */
  private async openImplicitBlock(): Promise<() => TransactionStatus> {
    if (this.session.txStatus === 'I' && !this.inImplicitBlock) {
      await this.evaluator.context.db.query('BEGIN');
      this.inImplicitBlock = true;
    }
    return () => (this.inImplicitBlock ? 'T' : this.session.txStatus);
  }

  /**
   * What the client's Sync needs: nothing of the interceptor's (undefined: it goes upstream as it
   * is), or, after the proxy opened a block for per-row evaluation, the end of that block (sync()).
   */
  syncTask(message: Buffer): (() => Promise<MessageOutcome>) | undefined {
    return this.inImplicitBlock ? () => this.sync(message) : undefined;
  }

  /**
   * The client's Sync after the proxy opened a block for per-row evaluation: the upstream answers
   * it inside that block, so end the block the way the implicit transaction would have ended
   * (commit, or roll back after an error) and then tell the client the transaction is over.
   */
  private async sync(message: Buffer): Promise<MessageOutcome> {
    let status: TransactionStatus = 'I';
    await new Promise<void>((resolve) => {
      this.session.expectAndSend(FrontendCode.Sync, message, {
        message: (code, reply) => code === BackendCode.ReadyForQuery && ((status = decodeReadyForQuery(reply)), true),
        done: () => resolve(),
      });
    });
    this.inImplicitBlock = false;
    try {
      if (status !== 'I') await this.evaluator.context.db.query(status === 'E' ? 'ROLLBACK' : 'COMMIT');
    } catch (error) {
      this.session.writeClient([backend.errorResponse(PgError.from(error))]);
    }
    this.session.writeClient([backend.readyForQuery(this.session.txStatus)]);
    return 'done';
  }

  /**
   * An error while handling an extended-protocol message: report it after everything before it,
   * fail the upstream's pipeline too, and have the session ignore the client's messages until its
   * Sync, as a server does.
   */
  private async failExtended(error: PgError): Promise<'skipToSync'> {
    const { tracker } = this.session;
    await this.settle();
    // Already failed before this message: the server would have skipped it silently.
    if (tracker.pipelineFailed && error.origin !== 'upstream') return 'skipToSync';
    this.session.writeClient([backend.errorResponse(error)]);
    if (!tracker.pipelineFailed) await this.abortUpstream(false);
    return 'skipToSync';
  }

  /**
   * Rewrites writes of tables whose columns the proxy computes (when `mentions` says the text names
   * one), inlines upstream functions that call proxy-evaluated ones, then parses and analyzes;
   * syntax errors are left for the upstream to report in its own words.
   */
  private async analyze(original: string, mentions: number): Promise<{ sql: string; analysis: QueryAnalysis } | PgError | 'passthrough'> {
    try {
      const { generated } = this.functions;
      const { db } = this.evaluator.context;
      const namesTable = (mentions & Mentions.generatedTable) !== 0 && !generated.isEmpty;
      const written = namesTable ? (rewriteGeneratedWrites(original, generated.lookup) ?? original) : original;
      // Awaited only when some function is inlined: an await per statement is garbage and a turn of the microtask queue.
      const sql = (this.inliner.inlinesAny ? await this.inliner.inline(written, db) : undefined) ?? written;
      const recent = analyzeRecent(sql, this.registry);
      // Awaited only when there is something to wait for: each await was garbage at every prediction.
      const outcome = recent !== 'passthrough' && recent.columnProbes.length > 0 ? await analyzeTyped(sql, this.registry, db) : recent;
      if (outcome === 'passthrough') return outcome;
      // Constant calls nested in per-row calls are evaluated once, before per-row planning.
      const folded = mayFoldConstants(outcome) ? await this.evaluator.foldConstantsInPerRowCalls(sql, outcome) : undefined;
      if (folded === undefined) return { sql, analysis: outcome };
      const refolded = await analyzeTyped(folded, this.registry, db);
      return refolded === 'passthrough' ? refolded : { sql: folded, analysis: refolded };
    } catch (error) {
      const e = PgError.from(error);
      return e.code === SqlState.SyntaxError ? 'passthrough' : e;
    }
  }
}

/** A FETCH from a one-pass cursor is evaluated in a simple Query (with calls the proxy evaluates, when with other statements). */
function oneFetchAlone(name: string): PgError {
  return new PgError(SqlState.FeatureNotSupported, `pgml-proxy evaluates FETCH from cursor "${name}" (declared over per-row calls) only in a simple Query`, {
    hint: `Send FETCH ... FROM ${name} alone, not with other statements or as a prepared statement.`,
  });
}

/** A cheap look before parsing for DDL of generated columns: the text says GENERATED. */
function mayDefineGenerated(text: string): boolean {
  return text.length >= 9 && /generated/i.test(text);
}

/** Result types the proxy can write into the client's rows itself, and into its own answers. */
const PLAN_OPTIONS = { canPlaceType: (type: string) => canEncode(typeOidOf(type)), canAnswerType };

/** Plans of recently analyzed statements: an analysis (recentAnalyses) is never modified once made. */
const recentPlans = new WeakMap<StatementAnalysis, Map<Protocol, StatementPlan>>();

/**
 * The highest `$n` of recently analyzed statements: scanning the text again at every bound local
 * answer took 0.18 ms of the 0.25 ms before its evaluation (BENCHMARKS.md, issue 16, embedl).
 */
const recentParamCounts = new WeakMap<StatementAnalysis, number>();

function maxParamIndexOf(stmt: StatementAnalysis): number {
  let count = recentParamCounts.get(stmt);
  if (count === undefined) recentParamCounts.set(stmt, (count = maxParamIndex(stmt.sql)));
  return count;
}

/** The format of a Bind's i-th parameter: one format for all, one each, or none (all text). */
function paramFormatOf(message: BindMessage, i: number): number {
  return message.paramFormats.length === 1 ? message.paramFormats[0]! : (message.paramFormats[i] ?? 0);
}

/** Whether the server accepts the Bind's parameter formats: none, one for all, or 0 or 1 for each parameter. */
function validParamFormats(message: BindMessage): boolean {
  const { paramFormats, params } = message;
  return (paramFormats.length <= 1 || paramFormats.length === params.length) && paramFormats.every((f) => f === 0 || f === 1);
}

/** The bound parameters read as their types (`paramTypes`, 0: unknown, kept as text). */
function boundValues(message: BindMessage, paramTypes: readonly number[]): unknown[] {
  return message.params.map((raw, i) => {
    if (raw === null) return null;
    const oid = paramTypes[i] ?? 0;
    if (paramFormatOf(message, i) === 1) return parseBinary(oid, raw);
    return oid === 0 ? raw.toString('utf8') : parseText(oid, raw.toString('utf8'));
  });
}

/** A Bind's result formats, one per column; undefined when the server would refuse them. */
function resultFormatsOf(formats: readonly number[], columns: number): number[] | undefined {
  const each = formats.length === 0 ? Array<number>(columns).fill(0) : formats.length === 1 ? Array<number>(columns).fill(formats[0]!) : [...formats];
  return each.length === columns && each.every((f) => f === 0 || f === 1) ? each : undefined;
}

function planOf(sql: string, stmt: StatementAnalysis, protocol: Protocol): StatementPlan {
  let plans = recentPlans.get(stmt);
  if (plans === undefined) recentPlans.set(stmt, (plans = new Map()));
  let plan = plans.get(protocol);
  if (plan === undefined) plans.set(protocol, (plan = planStatement(sql, stmt, protocol, PLAN_OPTIONS)));
  return plan;
}

/** A subquery argument's value as the call reads it: its text read as its type, when the proxy knows the type. */
function subqueryValue(text: string | null, type: string): unknown {
  const oid = typeOidOf(type);
  return text === null || oid === 0 ? text : parseText(oid, text);
}

/** A typed NULL in place of a keyed per-row call, for the statement the client's Parse and Describe see. */
function rowPlaceholder(site: CallSite): string {
  const returns = site.signature.returns;
  // The planner refuses per-row calls in FROM and of functions returning tables.
  if (site.context !== 'expression' || returns.kind === 'table') throw new PgError(SqlState.InternalError, `${site.schema}.${site.name} has no per-row value`);
  // Placed as the lookup will be (a set per row unnested), so the statement described has the same columns.
  return replacementOf(site, `NULL::${resultColumnType(site)}`);
}

/** A bound parameter as SQL: its value as a literal, typed when the proxy knows the type's name. */
function boundLiteral(raw: Buffer | null | undefined, value: unknown, format: number, oid: number): string {
  const type = typeNameOf(oid);
  const cast = type === undefined ? '' : `::${type}`;
  if (raw === null || raw === undefined) return `NULL${cast}`;
  const text = format === 1 ? (encodeText(value)?.toString('utf8') ?? '') : raw.toString('utf8');
  return `${quoteString(text)}${cast}`;
}
