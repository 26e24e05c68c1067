/**
 * `SELECT model_train()` in a client's session, for a function whose body calls pgml.* and that
 * src/sql/expand-call.ts can expand (as the scheduler does for jobs): the proxy runs the body's
 * statements on the client's session, each with its calls evaluated as in any query, as one
 * statement would run (in the client's block, or in a transaction of its own), then answers the
 * call as Postgres would: one row holding the void result, under the call's column name.
 */
import { PgError, SqlState } from '../errors/index.js';
import type { FunctionRegistry } from '../functions/index.js';
import { analyzeQuery, quoteIdent, spliceStatement } from '../sql/index.js';
import type { Expansion } from '../sql/index.js';
import type { TransactionStatus } from '../wire/index.js';
import { isRowDependent } from '../sql/per-row.js';
import { RowBatches } from './batch/run.js';
import type { CallEvaluator } from './evaluate.js';
import type { FunctionInliner } from './inline.js';

export type ExpandedCall = Extract<Expansion, { kind: 'expanded' }>;

/**
 * Why a call the session cannot expand is refused (0A000), or undefined when it runs as written. A
 * session runs only a void function's body (runsInSession); another function is inlined, whose own
 * refusal says why it cannot be (`pf($1)` of a body reading a parameter by a bare name), or left to
 * Postgres.
 */
export function refusalOf(expansion: Expansion): PgError | undefined {
  if (expansion.kind !== 'refused' || expansion.resultType !== 'void') return undefined;
  return new PgError(SqlState.FeatureNotSupported, `pgml-proxy cannot run ${expansion.function}: ${expansion.reason}`, {
    detail: 'Its body calls functions that pgml-proxy evaluates, so pgml-proxy runs the body statement by statement; this body it cannot.',
    hint: 'Write the body as plain SQL statements and PERFORMs without variables or control flow, or call the pgml functions directly.',
  });
}

/** Whether the session runs this expansion: a call of a void function (others are inlined or left to Postgres). */
export function runsInSession(expansion: Expansion): expansion is ExpandedCall {
  return expansion.kind === 'expanded' && expansion.resultType === 'void';
}

/** The query that answers the call once its statements have run: what `SELECT f()` of a void f returns. */
export function answerSql(expansion: ExpandedCall): string {
  return `SELECT ''::void AS ${quoteIdent(expansion.column)}`;
}

/**
 * Runs the statements on the client's session. Outside a transaction block they run in one of
 * their own, committed at the end or rolled back on the first error (which is thrown).
 */
export async function runExpandedStatements(
  expansion: ExpandedCall,
  parts: { registry: FunctionRegistry; evaluator: CallEvaluator; inliner: FunctionInliner; txStatus: () => TransactionStatus },
): Promise<void> {
  const { registry, evaluator, inliner } = parts;
  const db = evaluator.context.db;
  const own = parts.txStatus() === 'I';
  if (own) await db.query('BEGIN');
  try {
    for (const written of expansion.statements) {
      const sql = (await inliner.inline(written, db)) ?? written;
      for (const stmt of analyzeQuery(sql, registry).statements) {
        const calls = stmt.calls.filter((c) => c.parentId === undefined);
        const perRow = calls.filter((site) => isRowDependent(site, stmt));
        const batches = new RowBatches(registry, evaluator, evaluator.context, parts.txStatus);
        try {
          const { replacements, edits } = perRow.length > 0 ? await batches.fillResultTables(sql, stmt, perRow) : { replacements: new Map<number, string>(), edits: [] };
          for (const site of calls) {
            if (!replacements.has(site.id)) replacements.set(site.id, evaluator.renderValue(site, await evaluator.evaluate(site, stmt, sql, undefined)));
          }
          await db.query(spliceStatement(sql, stmt, replacements, edits));
        } finally {
          await batches.finish();
        }
      }
    }
    if (own) await db.query('COMMIT');
  } catch (error) {
    if (own) await db.query('ROLLBACK').catch(() => {});
    throw PgError.from(error);
  }
}
