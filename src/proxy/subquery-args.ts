/**
 * Uncorrelated subquery arguments of a statement's calls (src/sql/subquery-args.ts). In a simple
 * Query they are evaluated once, before the statement: `pgml.chunk((SELECT splitter FROM splitter),
 * ...)` then runs as a call of constants, which the statement checks against what it reads itself.
 * In a prepared statement they become parameters of the proxy's own, evaluated at each Bind with the
 * values bound to the client's (`(SELECT features FROM t WHERE id = $1)`), and checked the same way.
 */
import type { Queryable } from '../db/queryable.js';
import { PLANS_QUERY, valueQuery, type ArgExpr, type ArgumentCheck, type CallSite, type StatementAnalysis } from '../sql/index.js';
import { inlineParams, renumberParams } from '../sql/params.js';
import { isPerRowArg } from '../sql/per-row.js';

/** Whether some call of the statement has an argument that may be an uncorrelated subquery. */
export function hasSubqueryArguments(stmt: StatementAnalysis): boolean {
  return stmt.calls.some((site) => [...site.args.values()].some((arg) => arg.kind === 'rowDependent' && arg.standalone !== undefined));
}

/** An uncorrelated subquery argument: the query giving its value, and the parameter's type. */
interface SubqueryArgument {
  standalone: string;
  type: string;
  arg: ArgExpr;
}

/**
 * The statement with each call whose rows-reading arguments are all uncorrelated subqueries taking,
 * for each of them, what `constant` makes of it (its value, or a parameter that carries it) and the
 * check the statement makes; a subquery the upstream cannot plan alone reads the outer rows, and its
 * call stays per row. `nullOf(n)`: SQL standing for the client's `$n` while the upstream plans it.
 */
async function replaceSubqueryArguments(
  stmt: StatementAnalysis,
  db: Queryable,
  nullOf: (index: number) => string,
  constant: (subquery: SubqueryArgument) => Promise<{ arg: ArgExpr; check: ArgumentCheck }>,
): Promise<StatementAnalysis> {
  const calls = [...stmt.calls];
  const current = (): StatementAnalysis => ({ ...stmt, calls });
  // Nested calls come after the calls around them: resolved first, they let the outer call be constant too.
  for (let i = calls.length - 1; i >= 0; i -= 1) {
    const site = calls[i] as CallSite;
    const candidates = [...site.args].filter(([, arg]) => arg.kind === 'rowDependent');
    if (candidates.length === 0 || candidates.some(([, arg]) => arg.kind !== 'rowDependent' || arg.standalone === undefined)) continue;
    if ([...site.args.values()].some((arg) => arg.kind === 'call' && isPerRowArg(arg, current()))) continue;
    const args = new Map(site.args);
    const checks: ArgumentCheck[] = [];
    for (const [name, arg] of candidates) {
      const standalone = (arg as { standalone: string }).standalone;
      const type = site.signature.params.find((p) => p.name === name)?.type ?? 'text';
      if (!(await plans(db, inlineParams(standalone, nullOf)))) break;
      const replaced = await constant({ standalone, type, arg });
      args.set(name, replaced.arg);
      checks.push(replaced.check);
    }
    if (checks.length === candidates.length) calls[i] = { ...site, args, checks };
  }
  return calls.some((site, i) => site !== stmt.calls[i]) ? current() : stmt;
}

/** The statement with the uncorrelated subquery arguments of a simple Query evaluated now. */
export function evaluateSubqueryArguments(stmt: StatementAnalysis, db: Queryable): Promise<StatementAnalysis> {
  return replaceSubqueryArguments(stmt, db, () => 'NULL', async ({ standalone, type, arg }) => {
    const value = (await db.query<{ v: string | null }>(valueQuery(standalone, type))).rows[0]?.v ?? null;
    return {
      arg: { kind: 'const', value, sqlText: arg.sqlText, span: arg.span, castType: type },
      check: { sqlText: arg.sqlText, type, text: value },
    };
  });
}

/** A prepared statement's subquery argument, carried by the proxy's parameter `index` (1-based). */
export interface SubqueryParam {
  index: number;
  standalone: string;
  type: string;
}

/**
 * The statement with the uncorrelated subquery arguments of a prepared statement turned into
 * parameters from `firstIndex` on (evaluated at each Bind by subqueryValues), and those parameters.
 * `typeOf(n)`: the type of the client's `$n`, when known.
 */
export async function parameterizeSubqueryArguments(
  stmt: StatementAnalysis,
  db: Queryable,
  firstIndex: number,
  typeOf: (index: number) => string | undefined,
): Promise<{ stmt: StatementAnalysis; params: SubqueryParam[] }> {
  const params: SubqueryParam[] = [];
  const nullOf = (n: number) => `NULL${typeOf(n) === undefined ? '' : `::${typeOf(n)}`}`;
  const replaced = await replaceSubqueryArguments(stmt, db, nullOf, async ({ standalone, type, arg }) => {
    const index = firstIndex + params.length;
    params.push({ index, standalone, type });
    return {
      arg: { kind: 'param', index, sqlText: arg.sqlText, span: arg.span, castType: type },
      check: { sqlText: arg.sqlText, type, param: index },
    };
  });
  return { stmt: replaced, params };
}

/** Each subquery parameter's value as text of its type, read with the client's bound values (`values[n - 1]` for `$n`). */
export async function subqueryValues(params: readonly SubqueryParam[], db: Queryable, values: readonly unknown[]): Promise<(string | null)[]> {
  const texts: (string | null)[] = [];
  for (const { standalone, type } of params) {
    // Only the parameters the subquery uses are sent, renumbered from $1: Postgres cannot type one it does not see.
    const { sql, used } = renumberParams(valueQuery(standalone, type));
    texts.push((await db.query<{ v: string | null }>(sql, used.map((n) => values[n - 1] ?? null))).rows[0]?.v ?? null);
  }
  return texts;
}

/** Whether the upstream can plan the query; never fails the client's transaction or pipeline. */
async function plans(db: Queryable, sql: string): Promise<boolean> {
  return (await db.query<{ plans: boolean }>(PLANS_QUERY, [sql])).rows[0]?.plans === true;
}
