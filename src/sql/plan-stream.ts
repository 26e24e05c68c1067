/**
 * Streamed answers: a statement whose one column is a set-returning call the proxy can run row by
 * row (pgml.transform_stream), so that the client gets each row while the next is being made.
 * The shape is the local answer's (plan-local.ts), with a set-returning call:
 *
 *   SELECT <call> [AS <name>]           no FROM, WHERE, ORDER BY, LIMIT, ... (see plan-local.ts)
 *
 * with the call's arguments constants, or client parameters in the extended protocol. Every other
 * statement calling the function gets its rows all at once, as for any set-returning call.
 */
import type { ExpressionCallSite, StatementAnalysis } from './analyze.js';
import { list, nameList, nodeOf, str } from './ast.js';
import { parseStatements } from './parser.js';
import { isPlainName, PLAIN_SELECT_KEYS, takesOnlyKnownValues } from './plan-local.js';

export interface StreamPlan {
  site: ExpressionCallSite;
  /** The output column's name, as Postgres names it. */
  column: string;
}

/** The statement's stream plan; the caller checks that the call's function can stream. */
export function planStream(stmt: StatementAnalysis): StreamPlan | undefined {
  if (stmt.nodeType !== 'SelectStmt' || stmt.placement !== 'analyzed' || stmt.calls.length === 0) return undefined;
  const [site, ...more] = stmt.calls.filter((c) => c.parentId === undefined);
  if (site === undefined || more.length > 0 || site.context !== 'expression' || site.signature.returns.kind !== 'setof') return undefined;
  if (!takesOnlyKnownValues(site, stmt)) return undefined;
  const select = nodeOf(parseStatements(stmt.sql)[0]?.stmt, 'SelectStmt');
  if (select === undefined || Object.keys(select).some((key) => !PLAIN_SELECT_KEYS.has(key))) return undefined;
  if (select.op !== 'SETOP_NONE' || select.limitOption !== 'LIMIT_OPTION_DEFAULT') return undefined;
  const targets = list(select.targetList);
  const target = nodeOf(targets[0], 'ResTarget');
  if (targets.length !== 1 || target === undefined) return undefined;
  const call = nodeOf(target.val, 'FuncCall');
  if (call === undefined || call.over !== undefined || call.agg_filter !== undefined || call.agg_order !== undefined) return undefined;
  const [schema, name] = nameList(call.funcname);
  if (schema !== site.schema || name !== site.name) return undefined;
  const column = str(target.name) ?? site.columnName;
  if (column === undefined || !isPlainName(column)) return undefined;
  return { site, column };
}
