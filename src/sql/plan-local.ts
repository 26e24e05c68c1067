/**
 * Local answers: a statement the proxy can answer itself, without the upstream, because it reads
 * nothing from the database and every value in it is a proxy-evaluated call. The shape is kept
 * narrow on purpose, so that the proxy's answer is byte for byte the one the upstream would give:
 *
 *   SELECT <column>[, <column>...]      no FROM, WHERE, GROUP BY, ORDER BY, LIMIT, DISTINCT, WITH,
 *                                       INTO, FOR UPDATE, set operations
 *   <column> = <call> [::<type>] [AS <name>]
 *
 * where <call> is a proxy-evaluated scalar function whose arguments (and nested calls' arguments)
 * are constants, or client parameters in the extended protocol, and <type> is the call's own
 * result type or, for `real` results, `double precision` (an exact widening). Whatever Postgres
 * would compute itself (arithmetic, other casts, functions of the upstream) is left to it: the
 * statement then goes upstream as before. Which result types the proxy can write, and under
 * which session settings, is the caller's to decide (`LocalAnswerOptions`).
 */
import type { CallSite, ExpressionCallSite, StatementAnalysis } from './analyze.js';
import type { ArgExpr } from './args.js';
import { list, nameList, nodeOf, str, typeNameToSql, type AstBody } from './ast.js';
import { parseStatements } from './parser.js';
import { normalizeType } from './resolve.js';

export interface LocalColumn {
  /** The output column's name, as Postgres names it (the alias, else FigureColname's choice). */
  name: string;
  site: ExpressionCallSite;
  /** The column's SQL type (normalized): the call's result type, or the type it is cast to. */
  type: string;
}

export interface LocalAnswerPlan {
  columns: LocalColumn[];
}

export interface LocalAnswerOptions {
  /** Whether the proxy can write values of this SQL type exactly as the server does; absent: none. */
  canAnswerType?(type: string): boolean;
}

/** SELECT's parts that the shape allows; any other key (FROM, WHERE, LIMIT...) rules it out. */
export const PLAIN_SELECT_KEYS = new Set(['targetList', 'limitOption', 'op']);

/**
 * Identifiers of 64 bytes or more are truncated to 63, by the server with a NOTICE (by the parser
 * here without one): a name of 63 may be such a truncation.
 */
const MAX_NAME_BYTES = 62;

/** The statement's local answer, or undefined when only the upstream can answer it exactly. */
export function planLocalAnswer(stmt: StatementAnalysis, options: LocalAnswerOptions): LocalAnswerPlan | undefined {
  if (stmt.nodeType !== 'SelectStmt' || stmt.placement !== 'analyzed') return undefined;
  const select = nodeOf(parseStatements(stmt.sql)[0]?.stmt, 'SelectStmt');
  if (select === undefined || Object.keys(select).some((key) => !PLAIN_SELECT_KEYS.has(key))) return undefined;
  if (select.op !== 'SETOP_NONE' || select.limitOption !== 'LIMIT_OPTION_DEFAULT') return undefined;
  const targets = list(select.targetList);
  // Walk order lists each top-level call before the calls nested in it, and targets in order.
  const top = stmt.calls.filter((c) => c.parentId === undefined);
  if (targets.length === 0 || targets.length !== top.length) return undefined;
  const columns: LocalColumn[] = [];
  for (const [i, target] of targets.entries()) {
    const column = localColumn(nodeOf(target, 'ResTarget'), top[i]!, stmt, options);
    if (column === undefined) return undefined;
    columns.push(column);
  }
  return { columns };
}

function localColumn(target: AstBody | undefined, site: CallSite, stmt: StatementAnalysis, options: LocalAnswerOptions): LocalColumn | undefined {
  if (target === undefined || site.context !== 'expression' || site.signature.returns.kind !== 'scalar') return undefined;
  const cast = nodeOf(target.val, 'TypeCast');
  const call = nodeOf(cast === undefined ? target.val : cast.arg, 'FuncCall');
  if (call === undefined || call.over !== undefined || call.agg_filter !== undefined || call.agg_order !== undefined) return undefined;
  const [schema, name] = nameList(call.funcname);
  if (schema !== site.schema || name !== site.name || !takesOnlyKnownValues(site, stmt)) return undefined;
  const returns = normalizeType(site.signature.returns.type);
  const type = cast === undefined ? returns : castType(returns, cast.typeName);
  if (type === undefined || options.canAnswerType?.(type) !== true) return undefined;
  const columnName = str(target.name) ?? site.columnName;
  if (columnName === undefined || !isPlainName(columnName)) return undefined;
  return { name: columnName, site, type };
}

/**
 * The type of `<call>::<typeName>` when the cast changes no value: to the same type, or from real
 * to double precision (float4 → float8 is exact). Casts with a type modifier are left upstream.
 */
function castType(from: string, typeName: unknown): string | undefined {
  if (list((typeName as AstBody | undefined)?.typmods).length > 0) return undefined;
  const to = normalizeType(typeNameToSql(typeName));
  if (to === from) return to;
  if (from === 'real' && to === 'double precision') return to;
  if (from === 'real[]' && to === 'double precision[]') return to;
  return undefined;
}

/** Constants and parameters only, also in nested calls: nothing the upstream would compute. */
export function takesOnlyKnownValues(site: CallSite, stmt: StatementAnalysis): boolean {
  return [...site.args.values()].every((arg: ArgExpr) => {
    if (arg.kind === 'const' || arg.kind === 'param') return true;
    if (arg.kind !== 'call') return false;
    const nested = stmt.calls.find((c) => c.id === arg.callId);
    return nested !== undefined && nested.context === 'expression' && takesOnlyKnownValues(nested, stmt);
  });
}

/**
 * Column names the server sends unchanged whatever the client's encoding: ASCII (every client
 * encoding extends it) and short enough not to be truncated.
 */
export function isPlainName(name: string): boolean {
  return name.length <= MAX_NAME_BYTES && !/[^\x20-\x7e]/.test(name);
}
