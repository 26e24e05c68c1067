/**
 * Arguments that read rows only through uncorrelated subqueries are constants of the statement:
 * `pgml.chunk((SELECT splitter FROM splitter), (SELECT document FROM document), '...')` over the
 * statement's CTEs (PostgresML's examples/chunking.sql). Whether a subquery is correlated depends on
 * the tables' columns, which only the upstream knows: the argument is written out alone, as a query
 * under the CTEs it can see (`standaloneArgument`), and if the upstream can plan that query, every
 * name in it resolves inside it, as it does in the statement (inner names shadow outer ones).
 *
 * The proxy evaluates that query once, before the statement, and the statement checks that it reads
 * the same value (`argumentCheck`): a volatile subquery, or a table written in between, fails the
 * statement with 40001 (pgml_proxy.argument_unchanged, migration 0024) instead of pairing the call's
 * result with rows the value no longer describes.
 */
import { list, nodeOf, type AstBody } from './ast.js';
import { quoteString } from './render.js';
import { deparseStatement } from './parser.js';

/**
 * The argument as a one-column query under the enclosing WITH clauses (outermost first), each level
 * nested as written so inner CTEs shadow outer ones; undefined when a CTE there writes (evaluating
 * it apart would write twice).
 */
export function standaloneArgument(node: unknown, withClauses: readonly AstBody[]): string | undefined {
  const ctes = withClauses.flatMap((w) => list(w.ctes));
  if (!ctes.every((cte) => nodeOf(nodeOf(cte, 'CommonTableExpr')?.ctequery, 'SelectStmt') !== undefined)) return undefined;
  const levels = [...withClauses];
  let select: AstBody = withLevel(selectOf(node), levels.pop());
  while (levels.length > 0) select = withLevel(selectOf({ SubLink: { subLinkType: 'EXPR_SUBLINK', subselect: { SelectStmt: select } } }), levels.pop());
  return deparseStatement({ SelectStmt: select });
}

function withLevel(select: AstBody, withClause: AstBody | undefined): AstBody {
  return withClause === undefined ? select : { ...select, withClause };
}

function selectOf(value: unknown): AstBody {
  return { targetList: [{ ResTarget: { name: 'v', val: value } }], limitOption: 'LIMIT_OPTION_DEFAULT', op: 'SETOP_NONE' };
}

/**
 * A query true when the upstream can plan `standalone` (pgml_proxy.query_plans, migration 0035),
 * which never fails the caller's transaction; `$1` is `standalone`'s text.
 */
export const PLANS_QUERY = 'SELECT pgml_proxy.query_plans($1) AS plans';

/** The query giving the argument's value as text of `type` (what the statement's check compares). */
export function valueQuery(standalone: string, type: string): string {
  return `SELECT (${standalone})::${type}::text AS v`;
}

/**
 * An argument evaluated apart, for the statement to check: its text in the statement, its type, and
 * the value's text, or (a prepared statement, evaluated at each Bind) the parameter that carries it.
 */
export type ArgumentCheck = { sqlText: string; type: string } & ({ text: string | null } | { param: number });

/**
 * A boolean expression that is true when every argument reads, in the statement, the value the proxy
 * evaluated, and otherwise fails the statement with 40001.
 */
export function argumentCheck(checks: readonly ArgumentCheck[], schema: string, name: string): string {
  const valueOf = (c: ArgumentCheck) => ('param' in c ? `$${c.param}` : c.text === null ? 'NULL' : quoteString(c.text));
  const same = checks.map((c) => `(${c.sqlText})::${c.type} IS NOT DISTINCT FROM ${valueOf(c)}::${c.type}`);
  return `pgml_proxy.argument_unchanged(${same.join(' AND ')}, ${quoteString(schema)}, ${quoteString(name)})`;
}
