/**
 * Runs per-row evaluation for one Query: for each planned call (plan.ts), stages the distinct
 * argument values in a temporary table on the caller's session, streams them back through a
 * cursor in batches, evaluates each batch with one call of the function's batch form (off the
 * event loop: the engines run on the worker pool), and writes the results next to their keys.
 * The statement then looks its results up; the tables are dropped once it has run.
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { CallContext, FunctionRegistry } from '../../functions/index.js';
import type { CallSite, StatementAnalysis } from '../../sql/index.js';
import { literalText, parseStatements, quoteIdent, renderExpressionReplacement, renderSetAsFromItem, renderSetReplacement } from '../../sql/index.js';
import { functionNames, NONE_VOLATILE, volatileFunctionsFrom, type VolatileFunctions } from '../../sql/volatility.js';
import type { TransactionStatus } from '../../wire/index.js';
import { float4ArrayBinary } from '../../wire/values.js';
import { BinaryParam, type Queryable } from '../../db/queryable.js';
import type { BoundParams, CallEvaluator } from '../evaluate.js';
import { inlineParams } from '../../sql/params.js';
import { batchOverload, executeRows } from './execute.js';
import { planBatches, resultColumnType, rowTypeOf, type BatchPlan } from './plan.js';
import type { ScopeCopy, SpanEdit } from '../../sql/scope-rows.js';

/** Rows per FETCH (and per progress notice): big enough to amortize round trips, small enough to bound memory. */
export const BATCH_ROWS = 10_000;
/**
 * Rows per engine call within a FETCH. One chunk's results are written upstream while the next
 * chunk is evaluated, so the engine does not wait for the writes (float4 input of thousands of
 * vectors takes the upstream seconds): only the last chunk's write is not overlapped.
 */
export const EVALUATION_ROWS = 1000;

// Errors that mean the call's arguments name columns its scope does not have (an outer query's).
const SCOPE_ERRORS = new Set<string>([SqlState.UndefinedTable, SqlState.UndefinedColumn, SqlState.InvalidColumnReference]);

/** The values a client bound to a prepared statement's parameters (extended protocol). */
export interface BoundValues {
  values: BoundParams;
  /** SQL text standing for parameter $n (a typed literal of its value). */
  sqlOf(index: number): string;
}

export interface RowBatchOptions {
  /**
   * The tables go at the end of the transaction (ON COMMIT DROP) instead of by finish(): for a
   * prepared statement, whose portal may run any time before then.
   */
  dropOnCommit?: boolean;
}

/** How the statement reads its keyed results: call replacements, and edits of its FROM items. */
export interface KeyedRewrite {
  replacements: Map<number, string>;
  edits: SpanEdit[];
}

export class RowBatches {
  private readonly tables: string[] = [];

  constructor(
    private readonly registry: FunctionRegistry,
    private readonly evaluator: CallEvaluator,
    private readonly context: CallContext,
    private readonly txStatus: () => TransactionStatus,
    private readonly options: RowBatchOptions = {},
  ) {}

  /**
   * The keyed path: fills a results table per row-dependent call; returns each call's replacement text and the
   * other edits of the statement (its FROM items read from the copies the results were computed on).
   */
  async fillResultTables(sql: string, stmt: StatementAnalysis, sites: readonly CallSite[], bound?: BoundValues): Promise<KeyedRewrite> {
    const replacements = new Map<number, string>();
    const { plans, edits } = planBatches(sql, stmt, sites, await this.volatileFunctions(stmt));
    for (const plan of plans) {
      await this.fill(plan, sql, stmt, bound);
      const site = plan.site;
      replacements.set(site.id, replacementOf(site, plan.lookupSql));
    }
    return { replacements, edits };
  }

  /** Which of the functions the statement calls are volatile, as the upstream declares them (volatility.ts). */
  private async volatileFunctions(stmt: StatementAnalysis): Promise<VolatileFunctions> {
    const names = functionNames(parseStatements(stmt.sql)[0]?.stmt);
    if (names.length === 0) return NONE_VOLATILE;
    // The proxy's own functions are replaced by their results before the upstream evaluates anything.
    const volatile = await this.context.db.query<{ schema: string; name: string }>(
      `SELECT n.nspname AS schema, p.proname AS name FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE p.provolatile = 'v' AND p.proname = ANY($1::text[]) AND n.nspname NOT IN ('pgml', 'cron', 'pgml_proxy')`,
      [names],
    );
    return volatileFunctionsFrom(volatile.rows);
  }

  get pending(): boolean {
    return this.tables.length > 0;
  }

  /** Drops the tables once the statement has run (in a failed transaction they go with its rollback). */
  async finish(): Promise<void> {
    const tables = this.tables.splice(0);
    if (tables.length === 0 || this.txStatus() === 'E') return;
    try {
      await this.context.db.query(`DROP TABLE IF EXISTS ${tables.join(', ')}`);
    } catch {
      // The session ended or the transaction failed meanwhile: the tables go with it.
    }
  }

  private async fill(plan: BatchPlan, sql: string, stmt: StatementAnalysis, bound: BoundValues | undefined): Promise<void> {
    const db = this.context.db;
    const returns = plan.site.signature.returns;
    const valueType = resultColumnType(plan.site, plan.table);
    const perRow = new Set(plan.keys.map((k) => k.name));
    const shared = await this.evaluator.sharedArguments(plan.site, stmt, sql, bound?.values, perRow);
    const bind = (enumeration: string) => (bound ? inlineParams(enumeration, (n) => bound.sqlOf(n)) : enumeration);
    const onCommit = this.options.dropOnCommit ? ' ON COMMIT DROP' : '';
    const stage = async (enumeration: string): Promise<number> =>
      (
        await db.query(
          `CREATE TEMP TABLE ${plan.table}${onCommit} AS SELECT row_number() OVER () AS pgml_proxy_id, k.*, NULL::${valueType} AS pgml_proxy_value FROM (${bind(enumeration)}) k`,
        )
      ).rowCount;
    // The caller's own block gets a savepoint; outside one, a transaction of our own holds the cursor.
    const own = this.txStatus() === 'I';
    await db.query(own ? 'BEGIN' : 'SAVEPOINT pgml_proxy_batch');
    let staged = 0;
    try {
      if (returns.kind === 'table') {
        const columns = returns.columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ');
        await db.query(`CREATE TEMP TABLE ${rowTypeOf(plan.table)} (${columns})${onCommit}`);
      }
      try {
        for (const copy of plan.copies) await this.copy(copy, `CREATE TEMP TABLE ${copy.table}${onCommit} AS ${bind(copy.selectSql)}`, plan);
        staged = plan.ungroupedEnumerationSql === undefined ? await stage(plan.enumerationSql) : await this.stageGrouped(plan, stage);
      } catch (error) {
        const e = PgError.from(error);
        if (!SCOPE_ERRORS.has(e.code)) throw e;
        throw new PgError(SqlState.FeatureNotSupported, `pgml-proxy cannot evaluate ${plan.site.schema}.${plan.site.name} per row here: ${e.message}`, {
          position: plan.site.position,
          detail: 'Its arguments read columns that are not in the FROM clause of the query it stands in (an outer query?).',
          hint: 'Move the call to the query whose FROM holds those columns, e.g. SELECT pgml.predict(\'project\', ARRAY[t.a, t.b]) FROM t',
        });
      }
      await db.query(`CREATE UNIQUE INDEX ON ${plan.table} (pgml_proxy_id)`);
      // One key (the usual case) gets a hash index: lookups are equality only, and a key may be far
      // larger than a btree entry can hold (array_agg of a group's features for predict_batch).
      const keyColumns = plan.keys.map((k) => k.column).join(', ');
      await db.query(`CREATE INDEX ON ${plan.table} ${plan.keys.length === 1 ? 'USING hash ' : ''}(${keyColumns})`);
      await this.evaluateAll(plan, shared, staged);
      await db.query(`ANALYZE ${plan.table}`);
      await db.query(own ? 'COMMIT' : 'RELEASE SAVEPOINT pgml_proxy_batch');
    } catch (error) {
      await db.query(own ? 'ROLLBACK' : 'ROLLBACK TO SAVEPOINT pgml_proxy_batch').catch(() => {});
      if (!own) await db.query('RELEASE SAVEPOINT pgml_proxy_batch').catch(() => {});
      const e = PgError.from(error);
      // Rolled back here: the client's transaction is fine, whatever the upstream said, so the
      // error is the proxy's to report (and to make the upstream agree with).
      throw e.origin === 'upstream' ? new PgError(e.code, e.message, { ...e.fields(), origin: 'proxy' }) : e;
    }
    const rowType = returns.kind === 'table' ? [rowTypeOf(plan.table)] : [];
    if (!this.options.dropOnCommit) this.tables.push(...plan.copies.map((c) => c.table), plan.table, ...rowType);
  }

  /** Makes a copy of a scope's rows (scope-rows.ts); the rows of a target without row identity cannot be locked. */
  private async copy(copy: ScopeCopy, sql: string, plan: BatchPlan): Promise<void> {
    try {
      await this.context.db.query(sql);
    } catch (error) {
      const e = PgError.from(error);
      if (copy.locks === undefined || e.code !== SqlState.UndefinedColumn) throw e;
      throw new PgError(SqlState.FeatureNotSupported, `pgml-proxy cannot evaluate ${plan.site.schema}.${plan.site.name} per row here: the rows of ${copy.locks} cannot be locked (${e.message})`, {
        position: plan.site.position,
        detail: 'A per-row call of an UPDATE or DELETE locks the rows it writes; a view or a foreign table has no row identity to lock.',
        hint: 'Write to the table itself, or put the call in RETURNING alone.',
      });
    }
  }

  /** The grouped enumeration, or the ungrouped one when the call stands inside an aggregate (plan.ts). */
  private async stageGrouped(plan: BatchPlan, stage: (enumeration: string) => Promise<number>): Promise<number> {
    const db = this.context.db;
    await db.query('SAVEPOINT pgml_proxy_grouped');
    try {
      const staged = await stage(plan.enumerationSql);
      await db.query('RELEASE SAVEPOINT pgml_proxy_grouped');
      return staged;
    } catch (error) {
      if (PgError.from(error).code !== SqlState.GroupingError) throw error;
      await db.query('ROLLBACK TO SAVEPOINT pgml_proxy_grouped');
      await db.query('RELEASE SAVEPOINT pgml_proxy_grouped');
      return stage(plan.ungroupedEnumerationSql!);
    }
  }

  private async evaluateAll(plan: BatchPlan, shared: Record<string, unknown>, total: number): Promise<void> {
    const db = this.context.db;
    const cursor = 'pgml_proxy_batch_cursor';
    const columns = plan.keys.map((k) => k.column);
    await db.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT pgml_proxy_id, ${columns.join(', ')} FROM ${plan.table}`);
    let done = 0;
    for (;;) {
      const batch = await db.query<Record<string, unknown>>(`FETCH ${BATCH_ROWS} FROM ${cursor}`);
      if (batch.rows.length === 0) break;
      const typeOf = (name: string) => batch.fields.find((f) => f.name === plan.keys.find((k) => k.name === name)?.column)?.typeOid;
      const call = batchOverload(this.registry, plan.site, typeOf);
      const calls = batch.rows.map((row) => {
        const raw: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(shared)) raw[call.nameOf(name)] = value;
        plan.keys.forEach((k) => (raw[call.nameOf(k.name)] = row[k.column]));
        return raw;
      });
      const returns = plan.site.signature.returns;
      // A table's rows travel as JSON objects of the values' text forms, read back by the row type's
      // columns; any other result as the results column's type reads it (a jsonb result that is a JSON
      // array is JSON text, not an array literal).
      const valueType = resultColumnType(plan.site, plan.table);
      const [value, encode] =
        returns.kind === 'table'
          ? [`ARRAY(SELECT jsonb_populate_recordset(NULL::${rowTypeOf(plan.table)}, v.value::jsonb))`, (v: unknown) => rowsAsJson(returns.columns, v)]
          : [`v.value::${valueType}`, (v: unknown) => literalText(v, valueType)];
      const write = async (ids: unknown[], values: unknown[]): Promise<void> => {
        if (valueType === 'real[]' && db.binaryParams && values.every((v) => v === null || v instanceof Float32Array)) {
          await writeFloat4Arrays(db, plan.table, ids, values as (Float32Array | null)[]);
          return;
        }
        await db.query(
          `UPDATE ${plan.table} SET pgml_proxy_value = ${value}
             FROM unnest($1::bigint[], $2::text[]) AS v(id, value) WHERE pgml_proxy_id = v.id`,
          [ids, values.map(encode)],
        );
      };
      // At most one chunk evaluating and one writing: the session runs one query at a time, and
      // neither is left running when the other fails (the caller rolls back on the same session).
      let writing: Promise<void> = Promise.resolve();
      for (let start = 0; start < calls.length; start += EVALUATION_ROWS) {
        const chunk = calls.slice(start, start + EVALUATION_ROWS);
        const [evaluated, written] = await Promise.allSettled([executeRows(this.registry, call.signature, chunk, plan.site, this.context), writing]);
        if (written.status === 'rejected') throw written.reason;
        if (evaluated.status === 'rejected') throw evaluated.reason;
        writing = write(
          batch.rows.slice(start, start + EVALUATION_ROWS).map((r) => r.pgml_proxy_id),
          evaluated.value,
        );
      }
      await writing;
      done += batch.rows.length;
      // A run of more than one batch can take minutes: say how far it got, as each batch lands.
      if (total > BATCH_ROWS) this.context.notice(`${plan.site.schema}.${plan.site.name}: ${done} of ${total} rows`, 'NOTICE');
      if (batch.rows.length < BATCH_ROWS) break;
    }
    await db.query(`CLOSE ${cursor}`);
  }
}

/**
 * Float32Array results (embeddings) written as real[] in binary: one row of VALUES per result, its
 * vector a binary parameter (two parameters a row: EVALUATION_ROWS stays far below Bind's 65535).
 * The upstream reads 4 bytes per float instead of parsing its text (float4in of 384k values per
 * 1000 embeddings), and no one formats that text.
 */
async function writeFloat4Arrays(db: Queryable, table: string, ids: unknown[], values: (Float32Array | null)[]): Promise<void> {
  const rows = values.map((_, k) => `($${2 * k + 1}::bigint, $${2 * k + 2}::real[])`);
  const params = values.flatMap((v, k) => [ids[k], v === null ? null : new BinaryParam(float4ArrayBinary(v))]);
  await db.query(`UPDATE ${table} SET pgml_proxy_value = v.value FROM (VALUES ${rows.join(', ')}) AS v(id, value) WHERE pgml_proxy_id = v.id`, params);
}

/** A table-returning call's rows (arrays in column order, or objects by column) as a JSON array of objects of text values. */
function rowsAsJson(columns: readonly { name: string; type: string }[], value: unknown): string {
  const rows = Array.isArray(value) ? value : [];
  return JSON.stringify(
    rows.map((row: unknown) =>
      Object.fromEntries(
        columns.map((c, i) => {
          const v = Array.isArray(row) ? row[i] : (row as Record<string, unknown>)[c.name];
          return [c.name, literalText(v, c.type)];
        }),
      ),
    ),
  );
}

/** What stands for a keyed call in the statement: its lookup, unnested where the call returns a set. */
export function replacementOf(site: CallSite, lookupSql: string): string {
  if (site.context !== 'expression') return renderSetAsFromItem(site, `unnest(${lookupSql})`);
  if (site.signature.returns.kind !== 'scalar') return renderSetReplacement(site, `unnest(${lookupSql})`);
  return renderExpressionReplacement(site, lookupSql);
}
