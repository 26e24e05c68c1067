/**
 * `SELECT model_train()` calls a user function whose body calls pgml.*. Run inside Postgres, that
 * body would reach the pgml stubs, not the proxy; so when a command is exactly one call of such a
 * function, the proxy runs the function's statements itself, through its own evaluation: for a
 * scheduled job (src/cron/runner.ts) and in a client's session (src/proxy/expanded-call.ts) alike.
 *
 * Expanded: LANGUAGE sql functions (string bodies; `$n` replaced by the call's constant
 * arguments) and parameterless plpgsql functions whose body is a straight run of SQL statements
 * and PERFORMs, optionally ending in a bare RETURN. Anything else that calls pgml/cron is refused
 * with the reason; functions that do not mention pgml/cron run natively, untouched. Uses the real
 * parser throughout (libpg-query): never pattern matching on SQL text.
 */
import { parsePlPgSQLSync } from 'libpg-query';
import { analyzeQuery } from './analyze.js';
import { decodeConst } from './args.js';
import { asTypedNode, list, nameList, nodeOf, str, walk } from './ast.js';
import type { FunctionCatalog } from './catalog.js';
import { calledFunctionNames, type CalledName } from './inline-calls.js';
import { parseStatements, scanTokens, TextOffsets } from './parser.js';
import { renderLiteral } from './render.js';

/** The one query the lookup needs: src/sql knows no database layer, only this shape. */
export interface CatalogReader {
  query<Row>(sql: string, params: readonly unknown[]): Promise<{ rows: Row[] }>;
}

export type Expansion =
  /** Run the command as written. */
  | { kind: 'asIs' }
  /**
   * Run these statements, in one transaction, instead of the call; `column` is the name of the
   * call's output column, `resultType` the function's result type.
   */
  | { kind: 'expanded'; function: string; statements: string[]; column: string; resultType: string }
  /** The function (its signature) calls pgml/cron, but its body cannot be run statement by statement. */
  | { kind: 'refused'; function: string; reason: string; resultType: string };

interface Call {
  schema: string | null;
  name: string;
  args: unknown[];
  /** The output column: the alias, else the function's name. */
  column: string;
}

interface FunctionRow {
  signature: string;
  language: string;
  source: string;
  atomic: boolean;
  argtypes: string[];
  definition: string | null;
  result_type: string;
}

/**
 * What to run for `command`. `isCandidate` screens the called name first (the proxy asks only for
 * functions it knows to call pgml), so other commands cost no catalog lookup.
 */
export async function expandCommand(
  db: CatalogReader,
  command: string,
  catalog: FunctionCatalog,
  isCandidate: (schema: string | null, name: string) => boolean = () => true,
): Promise<Expansion> {
  const call = singleCall(command, catalog);
  if (call === null || !isCandidate(call.schema, call.name)) return { kind: 'asIs' };
  const fn = await lookUp(db, call);
  if (fn === null) return { kind: 'asIs' };
  const refuse = (reason: string): Expansion => ({ kind: 'refused', function: fn.signature, reason, resultType: fn.result_type });
  const expanded = (statements: string[]): Expansion => ({
    kind: 'expanded',
    function: fn.signature,
    statements,
    column: call.column,
    resultType: fn.result_type,
  });

  switch (fn.language) {
    case 'sql': {
      if (fn.atomic) {
        return mentionsProxy(fn.definition ?? '', catalog) ? refuse('BEGIN ATOMIC bodies are not expanded; use a string body (AS $$ ... $$)') : { kind: 'asIs' };
      }
      const statements = splitStatements(fn.source);
      if (!statements.some((s) => mentionsProxy(s, catalog))) return { kind: 'asIs' };
      const literals = argumentLiterals(call, fn);
      if (typeof literals === 'string') return refuse(literals);
      return expanded(statements.map((s) => substituteParams(s, literals)));
    }
    case 'plpgsql': {
      const body = plpgsqlStatements(fn.definition ?? '');
      if (typeof body === 'string') {
        return plpgsqlMentionsProxy(fn.definition ?? '', catalog) ? refuse(body) : { kind: 'asIs' };
      }
      if (!body.some((s) => mentionsProxy(s, catalog))) return { kind: 'asIs' };
      if (fn.argtypes.length > 0) return refuse('plpgsql functions with parameters are not expanded');
      return expanded(body);
    }
    default:
      return { kind: 'asIs' };
  }
}

/** `SELECT [schema.]fn(constants...)` and nothing else, where fn is not one the proxy evaluates. */
function singleCall(command: string, catalog: FunctionCatalog): Call | null {
  let stmts;
  try {
    stmts = parseStatements(command);
  } catch {
    return null;
  }
  if (stmts.length !== 1) return null;
  const select = nodeOf(stmts[0]?.stmt, 'SelectStmt');
  if (!select) return null;
  const clauses = ['fromClause', 'whereClause', 'groupClause', 'havingClause', 'sortClause', 'withClause', 'limitCount', 'valuesLists', 'larg'];
  if (clauses.some((c) => select[c] !== undefined)) return null;
  const targets = list(select.targetList);
  if (targets.length !== 1) return null;
  const target = nodeOf(targets[0], 'ResTarget');
  const funcCall = nodeOf(target?.val, 'FuncCall');
  if (!funcCall || funcCall.agg_star || funcCall.over || funcCall.func_variadic) return null;
  const names = nameList(funcCall.funcname);
  const name = names.at(-1);
  if (name === undefined || names.length > 2) return null;
  const schema = names.length === 2 ? (names[0] ?? null) : null;
  if (schema !== null && catalog.overloads(schema, name)) return null;
  const args = list(funcCall.args);
  if (args.some((a) => asTypedNode(a)?.type === 'NamedArgExpr')) return null;
  return { schema, name, args, column: str(target?.name) ?? name };
}

async function lookUp(db: CatalogReader, call: Call): Promise<FunctionRow | null> {
  // The first schema on the caller's search path that has a function of that name and arity:
  // what Postgres itself would pick for a call without casts in all but overloaded cases, which
  // are left to run as written.
  const r = await db.query<FunctionRow & { rank: number }>(
    `SELECT p.oid::regprocedure::text AS signature, l.lanname AS language, p.prosrc AS source,
            pg_catalog.format_type(p.prorettype, NULL) AS result_type,
            p.prosqlbody IS NOT NULL AS atomic, p.proargtypes::oid[]::regtype[]::text[] AS argtypes,
            CASE WHEN l.lanname IN ('plpgsql', 'sql') THEN pg_catalog.pg_get_functiondef(p.oid) END AS definition,
            pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname) AS rank
       FROM pg_catalog.pg_proc p
       JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
       JOIN pg_catalog.pg_language l ON l.oid = p.prolang
      WHERE p.proname = $1 AND p.pronargs = $2 AND p.prokind = 'f'
        AND (CASE WHEN $3::text IS NULL THEN n.nspname = ANY (pg_catalog.current_schemas(true)) ELSE n.nspname = $3::text END)
      ORDER BY rank NULLS LAST
      LIMIT 2`,
    [call.name, call.args.length, call.schema],
  );
  const [first, second] = r.rows;
  if (!first || (second && second.rank === first.rank)) return null;
  return { ...first, argtypes: first.argtypes ?? [] };
}

function mentionsProxy(sql: string, catalog: FunctionCatalog): boolean {
  try {
    return analyzeQuery(sql, catalog).intercepted;
  } catch {
    return false;
  }
}

/** Whether any SQL statement or expression anywhere in a plpgsql body calls pgml/cron. */
function plpgsqlMentionsProxy(definition: string, catalog: FunctionCatalog): boolean {
  return plpgsqlQueries(definition).some((query) => mentionsProxy(query, catalog));
}

/** Every SQL statement and expression of a plpgsql definition (CREATE FUNCTION ...), as SQL. */
function plpgsqlQueries(definition: string): string[] {
  let parsed: unknown;
  try {
    parsed = parsePlPgSQLSync(definition);
  } catch {
    return [];
  }
  const queries: string[] = [];
  walk(parsed, {
    enter(type, body) {
      if (type !== 'PLpgSQL_expr' || typeof body.query !== 'string') return;
      // parseMode 0 is a whole statement; the others are expressions (IF conditions, assignments).
      queries.push(body.parseMode === 0 || body.parseMode === undefined ? body.query : `SELECT ${body.query}`);
    },
  });
  return queries;
}

/** The functions a plpgsql definition calls anywhere in its statements and expressions. */
export function plpgsqlCalledFunctionNames(definition: string): CalledName[] {
  return plpgsqlQueries(definition).flatMap((query) => {
    try {
      return calledFunctionNames(query);
    } catch {
      return [];
    }
  });
}

function splitStatements(source: string): string[] {
  const offsets = new TextOffsets(source);
  return parseStatements(source).map((stmt) => {
    const start = stmt.stmt_location ?? 0;
    const end = stmt.stmt_len ? start + stmt.stmt_len : offsets.byteLength;
    return source.slice(offsets.charIndex(start), offsets.charIndex(end)).trim();
  });
}

/** Each argument of the call as a typed literal of its parameter's type, or why it cannot be. */
function argumentLiterals(call: Call, fn: FunctionRow): string[] | string {
  const literals: string[] = [];
  for (const [i, arg] of call.args.entries()) {
    const decoded = decodeConst(arg);
    if (decoded === undefined) return 'arguments must be constants';
    literals.push(`(${renderLiteral(decoded.value, fn.argtypes[i] ?? decoded.castType ?? 'text')})`);
  }
  return literals;
}

/** Replaces `$n` parameter tokens (the scanner's PARAM) by the argument literals. */
function substituteParams(statement: string, literals: readonly string[]): string {
  if (literals.length === 0) return statement;
  const offsets = new TextOffsets(statement);
  let out = '';
  let at = 0;
  for (const token of scanTokens(statement)) {
    if (token.tokenName !== 'PARAM') continue;
    const index = Number(statement.slice(offsets.charIndex(token.start) + 1, offsets.charIndex(token.end)));
    const literal = literals[index - 1];
    if (literal === undefined) continue;
    out += statement.slice(at, offsets.charIndex(token.start)) + literal;
    at = offsets.charIndex(token.end);
  }
  return out + statement.slice(at);
}

/** The statements of a straight-line plpgsql body, or why the body is not one. */
function plpgsqlStatements(definition: string): string[] | string {
  let parsed: unknown;
  try {
    parsed = parsePlPgSQLSync(definition);
  } catch (error) {
    return `its body could not be parsed (${error instanceof Error ? error.message : String(error)})`;
  }
  const fn = nodeOf(list((parsed as { plpgsql_funcs?: unknown }).plpgsql_funcs)[0], 'PLpgSQL_function');
  const block = nodeOf(fn?.action, 'PLpgSQL_stmt_block');
  if (!fn || !block) return 'its body could not be parsed';
  if (block.exceptions !== undefined) return 'EXCEPTION blocks are not expanded';
  const declared = list(fn.datums).filter((d) => {
    const v = nodeOf(d, 'PLpgSQL_var') ?? nodeOf(d, 'PLpgSQL_rec') ?? nodeOf(d, 'PLpgSQL_row');
    return v?.refname !== 'found';
  });
  if (declared.length > 0) return 'only straight-line bodies without variables are expanded';

  const statements: string[] = [];
  const body = list(block.body);
  for (const [i, node] of body.entries()) {
    const typed = asTypedNode(node);
    switch (typed?.type) {
      case 'PLpgSQL_stmt_execsql': {
        if (typed.body.into) return 'SELECT/RETURNING ... INTO is not expanded';
        const query = nodeOf(typed.body.sqlstmt, 'PLpgSQL_expr')?.query;
        if (typeof query !== 'string') return 'its body could not be parsed';
        statements.push(query);
        break;
      }
      case 'PLpgSQL_stmt_perform': {
        // The parser has already turned PERFORM into the SELECT it stands for.
        const query = nodeOf(typed.body.expr, 'PLpgSQL_expr')?.query;
        if (typeof query !== 'string') return 'its body could not be parsed';
        statements.push(query);
        break;
      }
      case 'PLpgSQL_stmt_return':
        if (i !== body.length - 1 || typed.body.expr !== undefined) return 'only a final bare RETURN is expanded';
        break;
      default:
        return `${(typed?.type ?? 'unknown').replace(/^PLpgSQL_stmt_/, '').toUpperCase()} statements are not expanded; only SQL statements and PERFORM are`;
    }
  }
  return statements;
}
