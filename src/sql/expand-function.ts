/**
 * Inlines a `LANGUAGE sql` function: its body with the arguments substituted, as an expression
 * that can stand where the call stood. The proxy uses it when an upstream SQL function calls
 * proxy-evaluated functions (the seed's `predict_clickbait(input_string)`): once expanded, the
 * pgml.* calls inside are visible to the analyzer like any others. Parameter references are found
 * on the real parser's AST (ParamRef `$n`, ColumnRef `name` or `function.name`) and replaced by
 * token extents, so the rest of the body stays byte-identical.
 */
import { PgError, SqlState } from '../errors/index.js';
import { isBareSelectList } from './args.js';
import { list, nodeOf, num, str, walk, type AstBody } from './ast.js';
import { parseStatements, scanTokens } from './parser.js';
import { significantTokens, tokenIndexAt } from './tokens.js';

export interface SqlFunctionDefinition {
  name: string;
  /** Parameter names in order; unnamed parameters as ''. */
  params: readonly string[];
  /** The function's body (prosrc). */
  body: string;
}

export interface ExpandedBody {
  /** `(SELECT ...)`: the body with every parameter reference replaced by `(argument SQL)`. */
  sql: string;
  /** The body reads a FROM clause somewhere (its own names may then hide the caller's). */
  hasFrom: boolean;
  /** A bare SELECT list (no FROM, WHERE, GROUP, LIMIT, set operation...): exactly one row. */
  singleRow: boolean;
  /** How often each parameter is referenced. */
  uses: number[];
}

/**
 * The body expanded for these arguments (SQL texts, one per parameter), or why it cannot be
 * inlined faithfully: not exactly one SELECT, or a bare name that may also be a column of a FROM
 * item in the body (Postgres would prefer the column; only the catalog could tell).
 */
export function expandSqlFunction(fn: SqlFunctionDefinition, args: readonly string[]): ExpandedBody | string {
  if (args.length !== fn.params.length) {
    throw new PgError(SqlState.UndefinedFunction, `function ${fn.name} takes ${fn.params.length} arguments, got ${args.length}`);
  }
  const statements = parseStatements(fn.body);
  const only = statements[0];
  const select = nodeOf(only?.stmt, 'SelectStmt');
  if (statements.length !== 1 || only === undefined || select === undefined) return 'its body is not exactly one SELECT';
  const byteStart = only.stmt_location ?? 0;
  const byteEnd = only.stmt_len ? byteStart + only.stmt_len : Buffer.byteLength(fn.body);

  const names = new Map(fn.params.map((p, i) => [p.toLowerCase(), i] as const).filter(([p]) => p !== ''));
  const replacements: { byteStart: number; tokens: number; arg: number }[] = [];
  const uses = fn.params.map(() => 0);
  let hasFrom = false;
  let bareName = false;
  walk(only.stmt, {
    enter(type, body) {
      if (type === 'SelectStmt' && list(body.fromClause).length > 0) hasFrom = true;
      if (type === 'ParamRef') {
        const index = (num(body.number) ?? 0) - 1;
        if (index >= 0 && index < args.length) replacements.push({ byteStart: num(body.location) ?? 0, tokens: 1, arg: index });
      }
      if (type === 'ColumnRef') {
        const match = parameterOf(body, fn.name, names);
        if (match !== undefined) {
          replacements.push({ byteStart: num(body.location) ?? 0, tokens: match.qualified ? 3 : 1, arg: match.index });
          bareName ||= !match.qualified;
        }
      }
    },
  });
  if (hasFrom && bareName) {
    return 'its body refers to a parameter by a bare name that could also be a column of its FROM clause (write $n or function_name.parameter)';
  }

  const tokens = significantTokens(scanTokens(fn.body));
  let out = '';
  let cursor = byteStart;
  const bytes = Buffer.from(fn.body, 'utf8');
  for (const r of replacements.sort((a, b) => a.byteStart - b.byteStart)) {
    const first = tokenIndexAt(tokens, r.byteStart);
    const end = tokens[first + r.tokens - 1]!.end;
    out += bytes.subarray(cursor, r.byteStart).toString('utf8') + `(${args[r.arg]})`;
    cursor = end;
    uses[r.arg]! += 1;
  }
  out += bytes.subarray(cursor, byteEnd).toString('utf8');
  return { sql: `(${out.trim()})`, hasFrom, singleRow: isBareSelectList(select), uses };
}

function parameterOf(ref: AstBody, fnName: string, names: Map<string, number>): { index: number; qualified: boolean } | undefined {
  const fields = list(ref.fields).map((f) => str(nodeOf(f, 'String')?.sval));
  if (fields.length === 1 && fields[0] !== undefined) {
    const index = names.get(fields[0]);
    return index === undefined ? undefined : { index, qualified: false };
  }
  if (fields.length === 2 && fields[0] === fnName.toLowerCase() && fields[1] !== undefined) {
    const index = names.get(fields[1]);
    return index === undefined ? undefined : { index, qualified: true };
  }
  return undefined;
}
