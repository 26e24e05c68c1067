/**
 * Which expressions of a statement may give another value each time they are evaluated (a call of
 * a VOLATILE function: random(), clock_timestamp(), nextval(), a user's volatile function). The
 * keyed path evaluates some expressions twice, once to enumerate the arguments and once when the
 * statement runs; it must know which ones could disagree. Volatility is the upstream's to know
 * (pg_proc.provolatile): the caller asks it about the names functionNames() finds.
 */
import { nameList, walk } from './ast.js';

/** Whether a function of this name (schema-qualified or not, as written) is volatile upstream. */
export type VolatileFunctions = (name: readonly string[]) => boolean;

/** No function is volatile: for callers that know the statement calls none. */
export const NONE_VOLATILE: VolatileFunctions = () => false;

/** Schemas of the proxy's own functions: replaced by their results before the upstream evaluates anything. */
const PROXY_SCHEMAS = new Set(['pgml', 'cron', 'pgml_proxy']);

/**
 * The unqualified names of every function the statement calls, to ask the upstream about; calls
 * qualified with the proxy's own schemas are left out (a statement calling only those needs no question).
 */
export function functionNames(root: unknown): string[] {
  const names = new Set<string>();
  walk(root, {
    enter(type, body) {
      if (type === 'FuncCall') {
        const qualified = nameList(body.funcname);
        const name = qualified.at(-1);
        if (name !== undefined && !(qualified.length > 1 && PROXY_SCHEMAS.has(qualified[0]!))) names.add(name);
      }
    },
  });
  return [...names];
}

/** Whether the expression calls a volatile function anywhere, subqueries included (a TABLESAMPLE there counts: it samples anew). */
export function callsVolatile(node: unknown, volatile: VolatileFunctions): boolean {
  let found = false;
  walk(node, {
    enter(type, body) {
      if (found) return false;
      if (type === 'RangeTableSample' || (type === 'FuncCall' && volatile(nameList(body.funcname)))) found = true;
      return !found;
    },
  });
  return found;
}

/**
 * The volatile-function test from the upstream's answer: rows of (schema, name) of the volatile
 * functions among the names asked about. An unqualified name is volatile when a function of that
 * name is volatile in any schema (the search path could reach it): more expressions are treated
 * as volatile than need be, never fewer.
 */
export function volatileFunctionsFrom(rows: readonly { schema: string; name: string }[]): VolatileFunctions {
  const qualified = new Set(rows.map((r) => `${r.schema}.${r.name}`));
  const unqualified = new Set(rows.map((r) => r.name));
  return (name) => {
    const last = name.at(-1);
    if (last === undefined) return false;
    return name.length === 1 ? unqualified.has(last) : qualified.has(`${name.at(-2)}.${last}`);
  };
}
