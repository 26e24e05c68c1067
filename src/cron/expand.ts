/**
 * A job such as `SELECT model_train()` calls a user function whose body calls pgml.*. Run inside
 * Postgres, that body would reach the pgml stubs, not the proxy; so when a job is exactly one call
 * of such a function, the proxy runs the function's statements itself, through its own pipeline.
 *
 * Expanded: LANGUAGE sql functions (string bodies; `$n` replaced by the call's constant
 * arguments) and parameterless plpgsql functions whose body is a straight run of SQL statements
 * and PERFORMs, optionally ending in a bare RETURN. Anything else that calls pgml/cron fails with
 * a message saying why; functions that do not mention pgml/cron run natively, untouched.
 *
 * Uses the real parser throughout (libpg-query, via src/sql): never pattern matching on SQL text.
 * That is why src/cron imports src/sql here, beyond STYLE.md's "db, errors": finding the pgml/cron
 * calls in a function body takes the same parser and function catalog the proxy's rewriter uses.
 */
import { parsePlPgSQLSync } from 'libpg-query';
import type { Queryable } from '../db/queryable.js';
import { analyzeQuery, parseStatements, renderLiteral, TextOffsets } from '../sql/index.js';
import type { FunctionCatalog } from '../sql/index.js';
import { decodeConst } from '../sql/args.js';
import { asTypedNode, list, nameList, nodeOf, walk } from '../sql/ast.js';
import { scanTokens } from '../sql/parser.js';

export type Expansion =
  /** Run the command as written. */
  | { kind: 'asIs' }
  /** Run these statements, in one transaction, instead of the call. */
  | { kind: 'expanded'; function: string; statements: string[] }
  /** The function calls pgml/cron but its body cannot be run statement by statement. */
  | { kind: 'refused'; message: string };

interface Call {
  schema: string | null;
  name: string;
  args: unknown[];
}

interface FunctionRow {
  signature: string;
  language: string;
  source: string;
  atomic: boolean;
  argtypes: string[];
  definition: string | null;
}

export async function expandCommand(db: Queryable, command: string, catalog: FunctionCatalog): Promise<Expansion> {
  const call = singleCall(command, catalog);
  if (call === null) return { kind: 'asIs' };
  const fn = await lookUp(db, call);
  if (fn === null) return { kind: 'asIs' };
  const refuse = (why: string): Expansion => ({
    kind: 'refused',
    message: `pgml-proxy cannot run ${fn.signature} for a job: ${why}`,
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
      return { kind: 'expanded', function: fn.signature, statements: statements.map((s) => substituteParams(s, literals)) };
    }
    case 'plpgsql': {
      const body = plpgsqlStatements(fn.definition ?? '');
      if (typeof body === 'string') {
        return plpgsqlMentionsProxy(fn.definition ?? '', catalog) ? refuse(body) : { kind: 'asIs' };
      }
      if (!body.some((s) => mentionsProxy(s, catalog))) return { kind: 'asIs' };
      if (fn.argtypes.length > 0) return refuse('plpgsql functions with parameters are not expanded');
      return { kind: 'expanded', function: fn.signature, statements: body };
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
  const funcCall = nodeOf(nodeOf(targets[0], 'ResTarget')?.val, 'FuncCall');
  if (!funcCall || funcCall.agg_star || funcCall.over || funcCall.func_variadic) return null;
  const names = nameList(funcCall.funcname);
  const name = names.at(-1);
  if (name === undefined || names.length > 2) return null;
  const schema = names.length === 2 ? (names[0] ?? null) : null;
  if (schema !== null && catalog.overloads(schema, name)) return null;
  const args = list(funcCall.args);
  if (args.some((a) => asTypedNode(a)?.type === 'NamedArgExpr')) return null;
  return { schema, name, args };
}

async function lookUp(db: Queryable, call: Call): Promise<FunctionRow | null> {
  // The first schema on the caller's search path that has a function of that name and arity:
  // what Postgres itself would pick for a call without casts in all but overloaded cases, which
  // are left to run as written.
  const r = await db.query<{ signature: string; language: string; source: string; atomic: boolean; argtypes: string[]; definition: string | null; rank: number }>(
    `SELECT p.oid::regprocedure::text AS signature, l.lanname AS language, p.prosrc AS source,
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
  let parsed: unknown;
  try {
    parsed = parsePlPgSQLSync(definition);
  } catch {
    return false;
  }
  let found = false;
  walk(parsed, {
    enter(type, body) {
      if (found || type !== 'PLpgSQL_expr' || typeof body.query !== 'string') return;
      // parseMode 0 is a whole statement; the others are expressions (IF conditions, assignments).
      found = mentionsProxy(body.parseMode === 0 || body.parseMode === undefined ? body.query : `SELECT ${body.query}`, catalog);
    },
  });
  return found;
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
