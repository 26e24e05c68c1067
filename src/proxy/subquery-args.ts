/**
 * Evaluates the uncorrelated subquery arguments of a statement's calls once, before the statement
 * (src/sql/subquery-args.ts): `pgml.chunk((SELECT splitter FROM splitter), ...)` then runs as a
 * call of constants, which the statement checks against what it reads itself.
 */
import { PgError } from '../errors/index.js';
import type { Queryable } from '../db/queryable.js';
import { planOnlyQuery, valueQuery, type ArgExpr, type ArgumentCheck, type CallSite, type StatementAnalysis } from '../sql/index.js';
import { isPerRowArg } from '../sql/per-row.js';

/** Whether some call of the statement has an argument that may be an uncorrelated subquery. */
export function hasSubqueryArguments(stmt: StatementAnalysis): boolean {
  return stmt.calls.some((site) => [...site.args.values()].some((arg) => arg.kind === 'rowDependent' && arg.standalone !== undefined));
}

/**
 * The statement with each call whose rows-reading arguments are all uncorrelated subqueries
 * turned into a call of their values (and the checks the statement makes); a subquery the
 * upstream cannot plan alone reads the outer rows, and its call stays per row. `inBlock`: the
 * upstream is in a transaction block, which a failed probe must not abort.
 */
export async function evaluateSubqueryArguments(stmt: StatementAnalysis, db: Queryable, inBlock: boolean): Promise<StatementAnalysis> {
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
      if (!(await plans(db, planOnlyQuery(standalone), inBlock))) break;
      const value = (await db.query<{ v: string | null }>(valueQuery(standalone, type))).rows[0]?.v ?? null;
      const constant: ArgExpr = { kind: 'const', value, sqlText: arg.sqlText, span: arg.span, castType: type };
      args.set(name, constant);
      checks.push({ sqlText: arg.sqlText, type, text: value });
    }
    if (checks.length === candidates.length) calls[i] = { ...site, args, checks };
  }
  return calls.some((site, i) => site !== stmt.calls[i]) ? current() : stmt;
}

/** Whether the upstream can plan the query (run with no rows); an error never aborts the client's block. */
async function plans(db: Queryable, sql: string, inBlock: boolean): Promise<boolean> {
  if (inBlock) await db.query('SAVEPOINT pgml_proxy_subquery');
  try {
    await db.query(sql);
    if (inBlock) await db.query('RELEASE SAVEPOINT pgml_proxy_subquery');
    return true;
  } catch (error) {
    if (!(error instanceof PgError)) throw error;
    if (inBlock) {
      await db.query('ROLLBACK TO SAVEPOINT pgml_proxy_subquery');
      await db.query('RELEASE SAVEPOINT pgml_proxy_subquery');
    }
    return false;
  }
}
