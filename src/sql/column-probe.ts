/**
 * Probes for the type of a column passed where a row or an array of features may go:
 * `pgml.predict('p', f)` with `f` a composite-typed column takes the row overload, as Postgres
 * would choose it, but only the upstream knows f's type. The analysis asks for a probe; the proxy
 * runs it (`SELECT f FROM <the statement's FROM> WHERE false`, reading the column's type) and
 * analyzes again with the answer.
 */
import { list, nameList, nodeOf, walk } from './ast.js';
import type { AstBody } from './ast.js';
import type { FunctionCatalog } from './catalog.js';
import { deparseStatement } from './parser.js';

/** A probe of one argument's type: run `sql`, read its one column's type. */
export interface ColumnProbe {
  /** Where the argument starts in the query text (the key its type is given back under). */
  argStart: number;
  sql: string;
}


/**
 * The probe for a plain column reference `node`, seen from `scope` (the statement's own top-level
 * SELECT, UPDATE or DELETE, so the FROM holds every name the reference may use), or undefined when
 * probing could do more than read types: parameters, data-modifying CTEs, or calls the proxy
 * evaluates in the FROM.
 */
export function columnTypeProbe(node: unknown, scope: { type: string; body: AstBody }, catalog: FunctionCatalog): string | undefined {
  const ref = nodeOf(node, 'ColumnRef');
  if (ref === undefined || list(ref.fields).some((field) => nodeOf(field, 'String') === undefined)) return undefined;
  const { body } = scope;
  const from =
    scope.type === 'SelectStmt'
      ? list(body.fromClause)
      : [{ RangeVar: body.relation }, ...list(scope.type === 'UpdateStmt' ? body.fromClause : body.usingClause)];
  if (from.length === 0) return undefined;
  const withClause = body.withClause as AstBody | undefined;
  if (!isReadOnly([from, withClause], catalog)) return undefined;
  const select: AstBody = {
    targetList: [{ ResTarget: { val: node } }],
    fromClause: from,
    whereClause: { A_Const: { boolval: { boolval: false } } },
    limitOption: 'LIMIT_OPTION_DEFAULT',
    op: 'SETOP_NONE',
  };
  if (withClause !== undefined) select.withClause = withClause;
  return deparseStatement({ SelectStmt: select });
}

/** No parameter, no data-modifying CTE, no call the upstream cannot run. */
function isReadOnly(nodes: unknown, catalog: FunctionCatalog): boolean {
  let readOnly = true;
  walk(nodes, {
    enter(type, body) {
      if (type === 'ParamRef') readOnly = false;
      if (type === 'CommonTableExpr' && nodeOf(body.ctequery, 'SelectStmt') === undefined) readOnly = false;
      if (type === 'FuncCall') {
        const names = nameList(body.funcname);
        if (names.length === 2 && (catalog.overloads(names[0] as string, names[1] as string)?.length ?? 0) > 0) readOnly = false;
      }
      return readOnly;
    },
  });
  return readOnly;
}
