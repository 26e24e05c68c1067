/**
 * The planner: for each analyzed statement, how each intercepted call is evaluated. Decided once
 * here, as data; the interceptor's Query, Parse, Bind and Execute paths switch over the result.
 *
 *   now      every argument is known from the text: evaluated before the statement is sent
 *   atBind   an argument is a client parameter: evaluated at each Bind (extended protocol)
 *   onePass  an argument reads the rows and the call stands in the select list: the statement
 *            runs once, with the call's per-row arguments as extra output columns, and the
 *            proxy evaluates the rows as they stream back (plan-one-pass.ts)
 *   keyed    an argument reads the rows elsewhere: evaluated over the distinct argument values
 *            first, then looked up (src/proxy/batch)
 *   refuse   cannot be evaluated faithfully: the statement fails with this error
 *
 * And for the statement as a whole: `local` when the proxy answers it itself, without the upstream
 * (every column a call of constants or parameters, nothing read from the database: plan-local.ts),
 * and `stream` when its one column is a set the proxy sends row by row as it is made (plan-stream.ts).
 */
import { PgError, SqlState } from '../errors/index.js';
import type { CallSite, StatementAnalysis } from './analyze.js';
import { isRowDependent, needsParams } from './per-row.js';
import { planLocalAnswer, type LocalAnswerOptions, type LocalAnswerPlan } from './plan-local.js';
import { planOnePass, type OnePassOptions, type OnePassPlan } from './plan-one-pass.js';
import { planStream, type StreamPlan } from './plan-stream.js';

export type CallPlan =
  | { mode: 'now'; site: CallSite }
  | { mode: 'atBind'; site: CallSite }
  | { mode: 'onePass'; site: CallSite }
  | { mode: 'keyed'; site: CallSite }
  | { mode: 'refuse'; site: CallSite; error: PgError };

export type Protocol = 'simple' | 'extended';

export interface StatementPlan {
  stmt: StatementAnalysis;
  /** One plan per top-level call (calls nested in arguments go with the call around them). */
  calls: CallPlan[];
  /** Set when the per-row calls are evaluated in one pass over the statement's own rows. */
  onePass?: OnePassPlan;
  /** Set when the proxy can answer the statement itself (its calls are all `now` or `atBind`). */
  local?: LocalAnswerPlan;
  /** Set when the statement's rows are a set-returning call's, sent as they are made (plan-stream.ts). */
  stream?: StreamPlan;
}

export type PlanOptions = OnePassOptions & LocalAnswerOptions;

export function planStatement(sql: string, stmt: StatementAnalysis, protocol: Protocol, options: PlanOptions): StatementPlan {
  const top = stmt.calls.filter((c) => c.parentId === undefined);
  const perRow = top.filter((site) => isRowDependent(site, stmt));
  // An EXPLAIN of per-row calls shows the statement as written: planning them would read the rows
  // (keyed) or change the columns (one pass) of a statement that is only explained.
  if (stmt.nodeType === 'ExplainStmt' && perRow.length > 0) return { stmt, calls: [] };
  // A cursor's FETCH is followed in a simple Query alone; a prepared DECLARE stays keyed.
  const cursorOutsideSimple = stmt.nodeType === 'DeclareCursorStmt' && protocol !== 'simple';
  const onePass = perRow.length > 0 && !cursorOutsideSimple ? planOnePass(sql, stmt, perRow, options) : undefined;
  const calls = top.map((site): CallPlan => {
    if (perRow.includes(site)) {
      const refusal = perRowRefusal(site, protocol);
      if (refusal !== undefined) return { mode: 'refuse', site, error: refusal };
      return { mode: onePass === undefined ? 'keyed' : 'onePass', site };
    }
    if (protocol === 'extended' && needsParams(site, stmt)) return { mode: 'atBind', site };
    return { mode: 'now', site };
  });
  if (onePass !== undefined) return { stmt, calls, onePass };
  // A simple Query has no parameters to bind: `$1` there is the upstream's error to report.
  const answerable = perRow.length === 0 && (protocol === 'extended' || !top.some((site) => needsParams(site, stmt)));
  const stream = answerable ? planStream(stmt) : undefined;
  if (stream !== undefined) return { stmt, calls, stream };
  const local = answerable ? planLocalAnswer(stmt, options) : undefined;
  return local === undefined ? { stmt, calls } : { stmt, calls, local };
}

/**
 * Set-returning functions have no per-row value to put in place, except in an expression (the select
 * list), where the keyed path hands Postgres each row's set as an array to unnest, as PostgresML's
 * `SELECT pgml.predict_batch('p', array_agg(x)), unnest(array_agg(id)) FROM t` needs. Postgres has no
 * arrays of arrays, so a set of arrays stays refused. A table's rows are kept as an array of a row
 * type made for the statement, unnested in the select list (`SELECT pgml.chunk('recursive_character',
 * body) FROM documents`) or in FROM (`FROM documents d, LATERAL pgml.chunk('recursive_character',
 * d.body) c`); a prepared statement cannot name that type when it is parsed: a simple Query only.
 */
function perRowRefusal(site: CallSite, protocol: Protocol): PgError | undefined {
  const returns = site.signature.returns;
  if (site.context === 'expression' && returns.kind === 'scalar') return undefined;
  if (site.context === 'expression' && returns.kind === 'setof' && !returns.type.trim().endsWith('[]')) return undefined;
  const preparedOnly = returns.kind === 'table';
  if (preparedOnly && protocol === 'simple') return undefined;
  return new PgError(SqlState.FeatureNotSupported, `${site.schema}.${site.name} returns a set and cannot be evaluated per row${preparedOnly ? ' in a prepared statement' : ''}`, {
    position: site.position,
    hint:
      returns.kind === 'table'
        ? `Call it in the select list of a simple Query: SELECT ${site.schema}.${site.name}(...) FROM t, or with constant arguments in FROM: SELECT * FROM ${site.schema}.${site.name}(...)`
        : `Call ${site.schema}.${site.name} with constant arguments, or in FROM: SELECT * FROM ${site.schema}.${site.name}(...)`,
  });
}
